// hsx_lsu: address checks and byte-lane steering for loads and stores (isa.md "Memory",
// context.md "Memory protection"). Combinational.
//
// For an access of len = 1, 2 or 4 bytes at the 16-bit address addr_i:
//   - mem_fault_o: a byte would lie past 0xFFFF (addr + len > 0x10000);
//   - acc_fault_o: with protect_i, a byte lies in the executive's reserved area
//     [0x0000, 0x1000) or the window region [0x1000, 0x1000 + 64*NTasks) right above it
//     (together one low block [0, LowHi)), or at/above stack_region_lo outside the task's
//     own [stack_limit, stack_top). MEM_FAULT is checked first (the core's priority).
//   - the access covers word addr>>2 and, when it spans a word boundary (two_o), the next
//     word too. Stores: be0/wd0 and be1/wd1 are the masks and lanes of the two words.
//     Loads: load_o assembles the zero-extended value from the two words read.

module hsx_lsu #(
  parameter int unsigned NTasks = 8
) (
  input  logic [15:0]    addr_i,
  input  hsx_pkg::size_e size_i,
  input  logic           protect_i,
  input  logic [16:0]    stack_region_lo_i,
  input  logic [16:0]    stack_limit_i,
  input  logic [16:0]    stack_top_i,
  input  logic [31:0]    store_val_i,
  input  logic [31:0]    rword0_i,        // loads: word at addr>>2
  input  logic [31:0]    rword1_i,        // loads: the next word (when two_o)
  output logic           mem_fault_o,
  output logic           acc_fault_o,
  output logic           two_o,
  output logic [13:0]    word0_o,
  output logic [13:0]    word1_o,
  output logic [3:0]     be0_o,
  output logic [3:0]     be1_o,
  output logic [31:0]    wd0_o,
  output logic [31:0]    wd1_o,
  output logic [31:0]    load_o
);

  // One past the window region. The reserved area ends where the windows start
  // (isa.md memory map), so [0, LowHi) is the whole forbidden low block.
  localparam logic [16:0] LowHi = {1'b0, hsx_isa_pkg::WindowBase} + 17'(64 * NTasks);

  logic [2:0]  len;
  logic [16:0] lo, hi;          // first byte, one past the last byte
  logic [16:0] lo_stk;          // max(lo, stack_region_lo)
  logic [1:0]  off;
  logic [7:0]  mask8;
  logic [63:0] wide_wd;
  logic [63:0] wide_rd;
  logic [31:0] shifted;

  always_comb begin
    unique case (size_i)
      hsx_pkg::SizeB: len = 3'd1;
      hsx_pkg::SizeH: len = 3'd2;
      hsx_pkg::SizeW: len = 3'd4;
      default:        len = 3'd4;
    endcase
  end

  assign lo      = {1'b0, addr_i};
  assign hi      = lo + 17'(len);
  assign lo_stk  = (lo > stack_region_lo_i) ? lo : stack_region_lo_i;
  assign off     = addr_i[1:0];

  assign mem_fault_o = hi > 17'h10000;
  assign acc_fault_o = protect_i && (
      lo < LowHi ||
      (hi > stack_region_lo_i && (lo_stk < stack_limit_i || hi > stack_top_i)));

  assign two_o   = ({1'b0, off} + len) > 3'd4;
  assign word0_o = addr_i[15:2];
  assign word1_o = addr_i[15:2] + 14'd1;

  // Store lanes: the value and its byte mask shifted to the byte offset, across two words.
  always_comb begin
    unique case (size_i)
      hsx_pkg::SizeB: mask8 = 8'b0000_0001;
      hsx_pkg::SizeH: mask8 = 8'b0000_0011;
      hsx_pkg::SizeW: mask8 = 8'b0000_1111;
      default:        mask8 = 8'b0000_1111;
    endcase
  end

  logic [7:0]  be_wide;
  assign be_wide = mask8 << off;
  assign wide_wd = {32'd0, store_val_i} << {off, 3'b000};
  assign be0_o   = be_wide[3:0];
  assign be1_o   = be_wide[7:4];
  assign wd0_o   = wide_wd[31:0]  & {{8{be_wide[3]}}, {8{be_wide[2]}}, {8{be_wide[1]}}, {8{be_wide[0]}}};
  assign wd1_o   = wide_wd[63:32] & {{8{be_wide[7]}}, {8{be_wide[6]}}, {8{be_wide[5]}}, {8{be_wide[4]}}};

  // Load: shift the two words down by the offset and keep len bytes.
  logic [31:0] unused_rd_hi;
  assign wide_rd = {rword1_i, rword0_i} >> {off, 3'b000};
  assign shifted = wide_rd[31:0];
  assign unused_rd_hi = wide_rd[63:32];
  always_comb begin
    unique case (size_i)
      hsx_pkg::SizeB: load_o = {24'd0, shifted[7:0]};
      hsx_pkg::SizeH: load_o = {16'd0, shifted[15:0]};
      hsx_pkg::SizeW: load_o = shifted;
      default:        load_o = shifted;
    endcase
  end

endmodule
