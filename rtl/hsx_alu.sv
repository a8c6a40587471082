// hsx_alu: the integer ALU of the HSX core (isa.md), combinational.
//
// Computes the result and the new PSW of MOV, NOT and the register-register operations
// ADD SUB MUL AND OR XOR LSL LSR ASR ADC SBC CMP. PSW bits: 0 Z, 1 C, 2 N, 3 V. Flags are
// computed from the result; C and V as each row of isa.md says. DIV has its own unit
// (hsx_div); every other opcode passes the PSW through with result 0.

module hsx_alu (
  input  logic [7:0]           op_i,       // opcode byte (hsx_isa_pkg::OpXxx)
  input  logic [31:0]          a_i,
  input  logic [31:0]          b_i,
  input  logic [3:0]           psw_i,
  output logic [31:0]          result_o,
  output logic [3:0]           psw_o
`ifdef HSX_MUTANTS
  ,
  input  logic [7:0]           mutant_i
`endif
);

  localparam int unsigned Z = hsx_isa_pkg::PswZ;
  localparam int unsigned C = hsx_isa_pkg::PswC;
  localparam int unsigned N = hsx_isa_pkg::PswN;
  localparam int unsigned V = hsx_isa_pkg::PswV;

  logic [7:0] mut;
`ifdef HSX_MUTANTS
  assign mut = mutant_i;
`else
  assign mut = 8'd0;
`endif

  logic [4:0]  sh;
  logic [4:0]  sh_neg;     // 32 - sh (mod 32): LSL's last bit shifted out
  logic [32:0] sum;        // a + b + carry-in (ADD, ADC)
  logic [32:0] diff;       // a - b - borrow-in (SUB, CMP, SBC), bit 32 = borrow out
  logic [63:0] prod;
  logic        cin;

  assign sh     = b_i[4:0];
  assign sh_neg = 5'd0 - sh;
  assign cin  = (op_i == hsx_isa_pkg::OpAdc) ? psw_i[C] : 1'b0;
  assign sum  = {1'b0, a_i} + {1'b0, b_i} + {32'd0, cin};
  // SBC: borrow = 1 - C; SUB/CMP: borrow 0.
  assign diff = {1'b0, a_i} - {1'b0, b_i}
              - {32'd0, (op_i == hsx_isa_pkg::OpSbc) ? ~psw_i[C] : 1'b0};
  assign prod = {32'd0, a_i} * {32'd0, b_i};

  always_comb begin
    logic zn;       // set Z and N from the result
    result_o = '0;
    psw_o    = psw_i;
    zn       = 1'b1;
    unique case (op_i)
      hsx_isa_pkg::OpMov: begin
        result_o = a_i;
        zn       = 1'b0;   // MOV never touches the PSW
      end
      hsx_isa_pkg::OpNot: begin
        result_o = ~a_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::OpAdd, hsx_isa_pkg::OpAdc: begin
        result_o = sum[31:0];
        psw_o[C] = sum[32];
        psw_o[V] = (~(a_i[31] ^ b_i[31])) & (a_i[31] ^ sum[31]);
        if (op_i == hsx_isa_pkg::OpAdd && mut == hsx_pkg::MutAddV) begin
          psw_o[V] = psw_o[V] ^ (a_i[31] & b_i[31]);   // mutant 1
        end
      end
      hsx_isa_pkg::OpSub, hsx_isa_pkg::OpCmp, hsx_isa_pkg::OpSbc: begin
        result_o = diff[31:0];
        psw_o[C] = ~diff[32];  // no borrow: a >= b (+ borrow), exact
        psw_o[V] = (a_i[31] ^ b_i[31]) & (a_i[31] ^ diff[31]);
      end
      hsx_isa_pkg::OpMul: begin
        result_o = prod[31:0];
        psw_o[C] = (prod[63:32] != 32'd0);
        psw_o[V] = (prod[63:32] != 32'd0);
      end
      hsx_isa_pkg::OpAnd: begin
        result_o = a_i & b_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::OpOr: begin
        result_o = a_i | b_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::OpXor: begin
        result_o = a_i ^ b_i;
        psw_o[C] = 1'b0;
        psw_o[V] = 1'b0;
      end
      hsx_isa_pkg::OpLsl: begin
        result_o = a_i << sh;
        psw_o[V] = 1'b0;
        if (sh != 5'd0) psw_o[C] = a_i[sh_neg];
      end
      hsx_isa_pkg::OpLsr: begin
        result_o = a_i >> sh;
        psw_o[V] = 1'b0;
        if (sh != 5'd0) psw_o[C] = a_i[sh - 5'd1];
      end
      hsx_isa_pkg::OpAsr: begin
        result_o = $unsigned($signed(a_i) >>> sh);
        psw_o[V] = 1'b0;
        if (sh != 5'd0) psw_o[C] = a_i[sh - 5'd1];
      end
      // Not ALU operations: no result, PSW unchanged.
      hsx_isa_pkg::OpLdi, hsx_isa_pkg::OpLd, hsx_isa_pkg::OpSt, hsx_isa_pkg::OpLdb,
      hsx_isa_pkg::OpLdh, hsx_isa_pkg::OpStb, hsx_isa_pkg::OpSth, hsx_isa_pkg::OpDiv,
      hsx_isa_pkg::OpJmp, hsx_isa_pkg::OpJz, hsx_isa_pkg::OpJnz, hsx_isa_pkg::OpCall,
      hsx_isa_pkg::OpRet, hsx_isa_pkg::OpSvc, hsx_isa_pkg::OpPush, hsx_isa_pkg::OpPop,
      hsx_isa_pkg::OpFadd, hsx_isa_pkg::OpFsub, hsx_isa_pkg::OpFmul, hsx_isa_pkg::OpFdiv,
      hsx_isa_pkg::OpI2f, hsx_isa_pkg::OpF2i, hsx_isa_pkg::OpLdi32, hsx_isa_pkg::OpBrk: begin
        zn = 1'b0;
      end
      default: zn = 1'b0;  // illegal opcode bytes never reach the ALU
    endcase
    if (zn) begin
      psw_o[Z] = (result_o == 32'd0);
      psw_o[N] = result_o[31];
    end
  end

endmodule
