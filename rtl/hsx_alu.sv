// hsx_alu: the integer ALU of the HSX core (isa.md), combinational.
//
// Computes the result and the new PSW of MOV, NOT and the register-register operations
// ADD SUB MUL AND OR XOR LSL LSR ASR ADC SBC CMP, selected by the decoder's typed
// operation (hsx_isa_pkg::alu_op_e, one member per ALU-class row of the ISA table).
// PSW bits: 0 Z, 1 C, 2 N, 3 V. Flags are computed from the result; C and V as each row
// of isa.md says. DIV has its own unit (hsx_div); AluNone (every other instruction)
// passes the PSW through with result 0.

module hsx_alu (
  input  hsx_isa_pkg::alu_op_e op_i,
  input  logic [31:0]          a_i,
  input  logic [31:0]          b_i,
  input  logic [3:0]           psw_i,
  output logic [31:0]          result_o,
  output logic [3:0]           psw_o
);

  localparam int unsigned Z = hsx_isa_pkg::PswZ;
  localparam int unsigned C = hsx_isa_pkg::PswC;
  localparam int unsigned N = hsx_isa_pkg::PswN;
  localparam int unsigned V = hsx_isa_pkg::PswV;

  logic [4:0]  sh;
  logic [4:0]  sh_neg;     // 32 - sh (mod 32): LSL's last bit shifted out
  logic [32:0] sum;        // a + b + carry-in (ADD, ADC)
  logic [32:0] diff;       // a - b - borrow-in (SUB, CMP, SBC), bit 32 = borrow out
  logic [63:0] prod;
  logic        cin;

  assign sh     = b_i[4:0];
  assign sh_neg = 5'd0 - sh;
  assign cin  = (op_i == hsx_isa_pkg::AluAdc) ? psw_i[C] : 1'b0;
  assign sum  = {1'b0, a_i} + {1'b0, b_i} + {32'd0, cin};
  // SBC: borrow = 1 - C; SUB/CMP: borrow 0.
  assign diff = {1'b0, a_i} - {1'b0, b_i}
              - {32'd0, (op_i == hsx_isa_pkg::AluSbc) ? ~psw_i[C] : 1'b0};
  assign prod = {32'd0, a_i} * {32'd0, b_i};

  always_comb begin
    logic zn;       // set Z and N from the result
    result_o = '0;
    psw_o    = psw_i;
    zn       = 1'b1;
    unique case (op_i)
      hsx_isa_pkg::AluMov: begin
        result_o = a_i;
        zn       = 1'b0;   // MOV never touches the PSW
      end
      hsx_isa_pkg::AluNot: begin
        result_o = ~a_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::AluAdd, hsx_isa_pkg::AluAdc: begin
        result_o = sum[31:0];
        psw_o[C] = sum[32];
        psw_o[V] = (~(a_i[31] ^ b_i[31])) & (a_i[31] ^ sum[31]);
      end
      hsx_isa_pkg::AluSub, hsx_isa_pkg::AluCmp, hsx_isa_pkg::AluSbc: begin
        result_o = diff[31:0];
        psw_o[C] = ~diff[32];  // no borrow: a >= b (+ borrow), exact
        psw_o[V] = (a_i[31] ^ b_i[31]) & (a_i[31] ^ diff[31]);
      end
      hsx_isa_pkg::AluMul: begin
        result_o = prod[31:0];
        psw_o[C] = (prod[63:32] != 32'd0);
        psw_o[V] = (prod[63:32] != 32'd0);
      end
      hsx_isa_pkg::AluAnd: begin
        result_o = a_i & b_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::AluOr: begin
        result_o = a_i | b_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::AluXor: begin
        result_o = a_i ^ b_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::AluLsl: begin
        result_o = a_i << sh;
        psw_o[V] = 1'b0;
        if (sh != 5'd0) psw_o[C] = a_i[sh_neg];
      end
      hsx_isa_pkg::AluLsr: begin
        result_o = a_i >> sh;
        psw_o[V] = 1'b0;
        if (sh != 5'd0) psw_o[C] = a_i[sh - 5'd1];
      end
      hsx_isa_pkg::AluAsr: begin
        result_o = $unsigned($signed(a_i) >>> sh);
        psw_o[V] = 1'b0;
        if (sh != 5'd0) psw_o[C] = a_i[sh - 5'd1];
      end
      // Not an ALU operation: no result, PSW unchanged.
      hsx_isa_pkg::AluNone: zn = 1'b0;
      default:              zn = 1'b0;
    endcase
    if (zn) begin
      psw_o[Z] = (result_o == 32'd0);
      psw_o[N] = result_o[31];
    end
  end

endmodule
