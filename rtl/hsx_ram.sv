// hsx_ram: single-port synchronous RAM, 32-bit words with byte enables.
//
// One access per cycle: with req_i high, a write (we_i) stores the enabled bytes of
// wdata_i at the rising edge; every request (read or write) also registers the old word
// at addr_i into rdata_o, valid in the next cycle (read-first). Without req_i, rdata_o
// holds its value.
//
// The array `mem` is a plain unpacked array of words, public to the Verilated model so
// the simulator can read any word in zero time (docs/rtl-interface.md "Probe").
// No reset: RAM contents are not control state. Yosys infers it as a memory ($mem).

module hsx_ram #(
  parameter int unsigned Words = 16384,
  parameter int unsigned Aw    = 14
) (
  input  logic          clk_i,
  input  logic          req_i,
  input  logic          we_i,
  input  logic [Aw-1:0] addr_i,
  input  logic [3:0]    be_i,
  input  logic [31:0]   wdata_i,
  output logic [31:0]   rdata_o
);

  logic [31:0] mem [Words] /* verilator public_flat_rw */;
  logic [31:0] rdata_q;

  always_ff @(posedge clk_i) begin
    if (req_i) begin
      if (we_i) begin
        if (be_i[0]) mem[addr_i][7:0]   <= wdata_i[7:0];
        if (be_i[1]) mem[addr_i][15:8]  <= wdata_i[15:8];
        if (be_i[2]) mem[addr_i][23:16] <= wdata_i[23:16];
        if (be_i[3]) mem[addr_i][31:24] <= wdata_i[31:24];
      end
      rdata_q <= mem[addr_i];
    end
  end

  assign rdata_o = rdata_q;

endmodule
