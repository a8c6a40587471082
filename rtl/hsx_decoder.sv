// hsx_decoder: instruction-word decode of the HSX ISA (isa.md "Encoding").
//
//  31        24 23    20 19    16 15    12 11                0
// +------------+--------+--------+--------+-------------------+
// |   opcode   |   rd   |  rs1   |  rs2   |      imm12        |
// +------------+--------+--------+--------+-------------------+
//
// Purely combinational. Every opcode of hsx_isa_pkg::opcode_e appears below by name
// (mnemonic `add` is `OpAdd`); any other byte is ClsIllegal.

module hsx_decoder (
  input  logic [31:0]            insn_i,
  output logic [7:0]             op_o,       // opcode byte (compare with hsx_isa_pkg::OpXxx)
  output hsx_pkg::cls_e          cls_o,
  output logic [3:0]             rd_o,
  output logic [3:0]             rs1_o,
  output logic [3:0]             rs2_o,
  output logic [31:0]            simm_o,     // imm12 sign-extended
  output logic [11:0]            uimm_o,     // imm12
  output hsx_pkg::size_e         size_o,     // loads and stores
  output logic [2:0]             fpu_op_o,   // FP class: hsx_fpu op_i
  output logic                   fp_unary_o  // FP class: I2F or F2I (one source operand)
);

  assign op_o   = insn_i[31:24];
  assign rd_o   = insn_i[23:20];
  assign rs1_o  = insn_i[19:16];
  assign rs2_o  = insn_i[15:12];
  assign uimm_o = insn_i[11:0];
  assign simm_o = {{20{insn_i[11]}}, insn_i[11:0]};

  always_comb begin
    cls_o      = hsx_pkg::ClsIllegal;
    size_o     = hsx_pkg::SizeW;
    fpu_op_o   = hsx_pkg::FpuFadd;
    fp_unary_o = 1'b0;
    unique case (insn_i[31:24])
      hsx_isa_pkg::OpLdi:   cls_o = hsx_pkg::ClsLdi;
      hsx_isa_pkg::OpLd:    begin cls_o = hsx_pkg::ClsLoad;  size_o = hsx_pkg::SizeW; end
      hsx_isa_pkg::OpSt:    begin cls_o = hsx_pkg::ClsStore; size_o = hsx_pkg::SizeW; end
      hsx_isa_pkg::OpMov:   cls_o = hsx_pkg::ClsAluR;
      hsx_isa_pkg::OpLdb:   begin cls_o = hsx_pkg::ClsLoad;  size_o = hsx_pkg::SizeB; end
      hsx_isa_pkg::OpLdh:   begin cls_o = hsx_pkg::ClsLoad;  size_o = hsx_pkg::SizeH; end
      hsx_isa_pkg::OpStb:   begin cls_o = hsx_pkg::ClsStore; size_o = hsx_pkg::SizeB; end
      hsx_isa_pkg::OpSth:   begin cls_o = hsx_pkg::ClsStore; size_o = hsx_pkg::SizeH; end
      hsx_isa_pkg::OpAdd:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpSub:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpMul:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpDiv:   cls_o = hsx_pkg::ClsDiv;
      hsx_isa_pkg::OpAnd:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpOr:    cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpXor:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpNot:   cls_o = hsx_pkg::ClsAluR;
      hsx_isa_pkg::OpCmp:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpJmp:   cls_o = hsx_pkg::ClsJump;
      hsx_isa_pkg::OpJz:    cls_o = hsx_pkg::ClsJump;
      hsx_isa_pkg::OpJnz:   cls_o = hsx_pkg::ClsJump;
      hsx_isa_pkg::OpCall:  cls_o = hsx_pkg::ClsCall;
      hsx_isa_pkg::OpRet:   cls_o = hsx_pkg::ClsRet;
      hsx_isa_pkg::OpSvc:   cls_o = hsx_pkg::ClsSvc;
      hsx_isa_pkg::OpLsl:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpLsr:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpAsr:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpAdc:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpSbc:   cls_o = hsx_pkg::ClsAluRr;
      hsx_isa_pkg::OpPush:  cls_o = hsx_pkg::ClsPush;
      hsx_isa_pkg::OpPop:   cls_o = hsx_pkg::ClsPop;
      hsx_isa_pkg::OpFadd:  begin cls_o = hsx_pkg::ClsFp; fpu_op_o = hsx_pkg::FpuFadd; end
      hsx_isa_pkg::OpFsub:  begin cls_o = hsx_pkg::ClsFp; fpu_op_o = hsx_pkg::FpuFsub; end
      hsx_isa_pkg::OpFmul:  begin cls_o = hsx_pkg::ClsFp; fpu_op_o = hsx_pkg::FpuFmul; end
      hsx_isa_pkg::OpFdiv:  begin cls_o = hsx_pkg::ClsFp; fpu_op_o = hsx_pkg::FpuFdiv; end
      hsx_isa_pkg::OpI2f:   begin cls_o = hsx_pkg::ClsFp; fpu_op_o = hsx_pkg::FpuI2f; fp_unary_o = 1'b1; end
      hsx_isa_pkg::OpF2i:   begin cls_o = hsx_pkg::ClsFp; fpu_op_o = hsx_pkg::FpuF2i; fp_unary_o = 1'b1; end
      hsx_isa_pkg::OpLdi32: cls_o = hsx_pkg::ClsLdi32;
      hsx_isa_pkg::OpBrk:   cls_o = hsx_pkg::ClsBrk;
      default:              cls_o = hsx_pkg::ClsIllegal;  // every other byte: ILLEGAL
    endcase
  end

endmodule
