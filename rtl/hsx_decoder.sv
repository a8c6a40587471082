// hsx_decoder: instruction-word decode of the HSX ISA (isa.md "Encoding").
//
//  31        24 23    20 19    16 15    12 11                0
// +------------+--------+--------+--------+-------------------+
// |   opcode   |   rd   |  rs1   |  rs2   |      imm12        |
// +------------+--------+--------+--------+-------------------+
//
// Purely combinational, and the only module that looks at the opcode byte: it turns it
// into typed controls (Ibex style) — the instruction class the core's state machine
// cases over, the ALU operation, the FPU operation, the jump, the access size — all of
// them enums of the generated hsx_isa_pkg, whose members come from the ISA table
// (isa/src/table.rs: the class column; one alu_op_e/fpu_op_e/jump_e member per row of
// that class). Every opcode of hsx_isa_pkg::opcode_e appears below by name (mnemonic
// `add` is `OpAdd`); any other byte is ClsIllegal. A test (tests/integration/codegen.rs)
// checks that every arm below agrees with the table's class column.

module hsx_decoder (
  input  logic [31:0]           insn_i,
  output hsx_isa_pkg::cls_e     cls_o,
  output hsx_isa_pkg::alu_op_e  alu_op_o,   // ALU classes: the operation; else AluNone
  output logic                  alu_we_o,   // ALU classes: the result is written to rd (not CMP)
  output hsx_isa_pkg::fpu_op_e  fpu_op_o,   // FP class: hsx_fpu op_i
  output logic                  fp_unary_o, // FP class: I2F or F2I (one source operand)
  output hsx_isa_pkg::jump_e    jump_o,     // jump class: which jump
  output hsx_pkg::size_e        size_o,     // loads and stores
  output logic [3:0]            rd_o,
  output logic [3:0]            rs1_o,
  output logic [3:0]            rs2_o,
  output logic [31:0]           simm_o,     // imm12 sign-extended
  output logic [11:0]           uimm_o      // imm12
);

  assign rd_o   = insn_i[23:20];
  assign rs1_o  = insn_i[19:16];
  assign rs2_o  = insn_i[15:12];
  assign uimm_o = insn_i[11:0];
  assign simm_o = {{20{insn_i[11]}}, insn_i[11:0]};

  always_comb begin
    cls_o      = hsx_isa_pkg::ClsIllegal;
    alu_op_o   = hsx_isa_pkg::AluNone;
    alu_we_o   = 1'b1;
    fpu_op_o   = hsx_isa_pkg::FpuFadd;
    fp_unary_o = 1'b0;
    jump_o     = hsx_isa_pkg::JumpJmp;
    size_o     = hsx_pkg::SizeW;
    unique case (insn_i[31:24])
      hsx_isa_pkg::OpLdi:   cls_o = hsx_isa_pkg::ClsLdi;
      hsx_isa_pkg::OpLd:    begin cls_o = hsx_isa_pkg::ClsLoad;  size_o = hsx_pkg::SizeW; end
      hsx_isa_pkg::OpSt:    begin cls_o = hsx_isa_pkg::ClsStore; size_o = hsx_pkg::SizeW; end
      hsx_isa_pkg::OpMov:   begin cls_o = hsx_isa_pkg::ClsAluR;  alu_op_o = hsx_isa_pkg::AluMov; end
      hsx_isa_pkg::OpLdb:   begin cls_o = hsx_isa_pkg::ClsLoad;  size_o = hsx_pkg::SizeB; end
      hsx_isa_pkg::OpLdh:   begin cls_o = hsx_isa_pkg::ClsLoad;  size_o = hsx_pkg::SizeH; end
      hsx_isa_pkg::OpStb:   begin cls_o = hsx_isa_pkg::ClsStore; size_o = hsx_pkg::SizeB; end
      hsx_isa_pkg::OpSth:   begin cls_o = hsx_isa_pkg::ClsStore; size_o = hsx_pkg::SizeH; end
      hsx_isa_pkg::OpAdd:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluAdd; end
      hsx_isa_pkg::OpSub:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluSub; end
      hsx_isa_pkg::OpMul:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluMul; end
      hsx_isa_pkg::OpDiv:   cls_o = hsx_isa_pkg::ClsDiv;
      hsx_isa_pkg::OpAnd:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluAnd; end
      hsx_isa_pkg::OpOr:    begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluOr;  end
      hsx_isa_pkg::OpXor:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluXor; end
      hsx_isa_pkg::OpNot:   begin cls_o = hsx_isa_pkg::ClsAluR;  alu_op_o = hsx_isa_pkg::AluNot; end
      hsx_isa_pkg::OpCmp:   begin
        cls_o    = hsx_isa_pkg::ClsAluRr;
        alu_op_o = hsx_isa_pkg::AluCmp;
        alu_we_o = 1'b0;                                   // flags only
      end
      hsx_isa_pkg::OpJmp:   begin cls_o = hsx_isa_pkg::ClsJump;  jump_o = hsx_isa_pkg::JumpJmp; end
      hsx_isa_pkg::OpJz:    begin cls_o = hsx_isa_pkg::ClsJump;  jump_o = hsx_isa_pkg::JumpJz;  end
      hsx_isa_pkg::OpJnz:   begin cls_o = hsx_isa_pkg::ClsJump;  jump_o = hsx_isa_pkg::JumpJnz; end
      hsx_isa_pkg::OpCall:  cls_o = hsx_isa_pkg::ClsCall;
      hsx_isa_pkg::OpRet:   cls_o = hsx_isa_pkg::ClsRet;
      hsx_isa_pkg::OpSvc:   cls_o = hsx_isa_pkg::ClsSvc;
      hsx_isa_pkg::OpLsl:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluLsl; end
      hsx_isa_pkg::OpLsr:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluLsr; end
      hsx_isa_pkg::OpAsr:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluAsr; end
      hsx_isa_pkg::OpAdc:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluAdc; end
      hsx_isa_pkg::OpSbc:   begin cls_o = hsx_isa_pkg::ClsAluRr; alu_op_o = hsx_isa_pkg::AluSbc; end
      hsx_isa_pkg::OpPush:  cls_o = hsx_isa_pkg::ClsPush;
      hsx_isa_pkg::OpPop:   cls_o = hsx_isa_pkg::ClsPop;
      hsx_isa_pkg::OpFadd:  begin cls_o = hsx_isa_pkg::ClsFp; fpu_op_o = hsx_isa_pkg::FpuFadd; end
      hsx_isa_pkg::OpFsub:  begin cls_o = hsx_isa_pkg::ClsFp; fpu_op_o = hsx_isa_pkg::FpuFsub; end
      hsx_isa_pkg::OpFmul:  begin cls_o = hsx_isa_pkg::ClsFp; fpu_op_o = hsx_isa_pkg::FpuFmul; end
      hsx_isa_pkg::OpFdiv:  begin cls_o = hsx_isa_pkg::ClsFp; fpu_op_o = hsx_isa_pkg::FpuFdiv; end
      hsx_isa_pkg::OpI2f:   begin
        cls_o      = hsx_isa_pkg::ClsFp;
        fpu_op_o   = hsx_isa_pkg::FpuI2f;
        fp_unary_o = 1'b1;
      end
      hsx_isa_pkg::OpF2i:   begin
        cls_o      = hsx_isa_pkg::ClsFp;
        fpu_op_o   = hsx_isa_pkg::FpuF2i;
        fp_unary_o = 1'b1;
      end
      hsx_isa_pkg::OpLdi32: cls_o = hsx_isa_pkg::ClsLdi32;
      hsx_isa_pkg::OpBrk:   cls_o = hsx_isa_pkg::ClsBrk;
      default:              cls_o = hsx_isa_pkg::ClsIllegal;  // every other byte: ILLEGAL
    endcase
  end

endmodule
