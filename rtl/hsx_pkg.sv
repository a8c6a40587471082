// hsx_pkg: hand-written types and constants of the HSX RTL (the generated ISA package,
// hsx_isa_pkg, holds the opcodes, task states, wait kinds and fault codes).
//
// Yosys 0.23 note: never `import hsx_pkg::*`; refer to items as `hsx_pkg::name`.

package hsx_pkg;

  // Memory geometry: 64 KiB data RAM and 64 KiB code RAM, both 32-bit words.
  localparam int unsigned RamWords = 16384;
  localparam int unsigned RamAw    = 14;     // word-address width

  // Memory map (isa.md, context.md).
  localparam logic [15:0] WindowBase = 16'h1000;

  // Host-bus address spaces (hb_space_i).
  localparam logic [1:0] SpaceData = 2'd0;
  localparam logic [1:0] SpaceCode = 2'd1;
  localparam logic [1:0] SpaceCtrl = 2'd2;

  // Trap causes (trap_cause_o).
  localparam logic [1:0] TrapNone    = 2'd0;
  localparam logic [1:0] TrapSvc     = 2'd1;
  localparam logic [1:0] TrapTimeout = 2'd2;

  // Scheduler commands (control register CMD, bits 3:0), docs/rtl-interface.md.
  typedef enum logic [3:0] {
    CmdNone     = 4'd0,
    CmdSpawn    = 4'd1,
    CmdBlock    = 4'd2,
    CmdWake     = 4'd3,
    CmdExit     = 4'd4,
    CmdYield    = 4'd5,
    CmdPause    = 4'd6,
    CmdResume   = 4'd7,
    CmdKill     = 4'd8,
    CmdSetSlice = 4'd9
  } cmd_e;

  // Core control states (docs/rtl.md has the state diagram and docs/timing.md the cycles).
  typedef enum logic [3:0] {
    StBoundary = 4'd0,   // step boundary: host bus served, halt, or start a step
    StStart    = 4'd1,   // inside a step, before the fetch: timeouts, pick, idle jump
    StDecode   = 4'd2,   // instruction word arrives from code RAM
    StOpA      = 4'd3,   // first data-RAM read arrives (R[rs1], M32[SP] or R0)
    StOpB      = 4'd4,   // second data-RAM read arrives (R[rs2])
    StMem0     = 4'd5,   // load: first data word arrives
    StMem1     = 4'd6,   // load: second word arrives / store: second word written
    StWr2      = 4'd7,   // second register write (PUSH/CALL: R15, POP: rd)
    StDiv      = 4'd8,   // iterative divider
    StFpu      = 4'd9,   // waiting for the FPU
    StLit      = 4'd10,  // LDI32: literal word arrives from code RAM
    StTrap     = 4'd11,  // trap pending (SVC or timeout), waiting for trap_ack_i
    StMulX     = 4'd12   // mutant 9 only: the extra MUL cycle
  } core_st_e;

  // Instruction classes: how the core sequences an instruction (hsx_decoder maps every
  // opcode to one; the core's state machine cases over the class).
  typedef enum logic [3:0] {
    ClsIllegal = 4'd0,   // undefined opcode: ILLEGAL fault
    ClsLdi     = 4'd1,   // LDI
    ClsLdi32   = 4'd2,   // LDI32
    ClsAluR    = 4'd3,   // MOV, NOT: one register operand
    ClsAluRr   = 4'd4,   // ADD SUB MUL AND OR XOR LSL LSR ASR ADC SBC CMP
    ClsDiv     = 4'd5,   // DIV (iterative)
    ClsLoad    = 4'd6,   // LD LDB LDH
    ClsStore   = 4'd7,   // ST STB STH
    ClsJump    = 4'd8,   // JMP JZ JNZ
    ClsCall    = 4'd9,   // CALL
    ClsRet     = 4'd10,  // RET
    ClsPush    = 4'd11,  // PUSH
    ClsPop     = 4'd12,  // POP
    ClsSvc     = 4'd13,  // SVC
    ClsBrk     = 4'd14,  // BRK
    ClsFp      = 4'd15   // FADD FSUB FMUL FDIV I2F F2I
  } cls_e;

  // How a step ends (core -> scheduler at commit).
  typedef enum logic [2:0] {
    EndNormal = 3'd0,    // the task stays RUNNING (may rotate)
    EndFault  = 3'd1,    // -> FAULTED with the fault code
    EndBrk    = 3'd2,    // -> PAUSED
    EndReturn = 3'd3,    // -> RETURNED with exit code R0
    EndSvc    = 3'd4     // SVC retired: state as the executive's commands left it
  } end_e;

  // Data-access size of loads and stores.
  typedef enum logic [1:0] {
    SizeB = 2'd0,
    SizeH = 2'd1,
    SizeW = 2'd2
  } size_e;

  // FPU operation codes (hsx_fpu op_i).
  localparam logic [2:0] FpuFadd = 3'd0;
  localparam logic [2:0] FpuFsub = 3'd1;
  localparam logic [2:0] FpuFmul = 3'd2;
  localparam logic [2:0] FpuFdiv = 3'd3;
  localparam logic [2:0] FpuI2f  = 3'd4;
  localparam logic [2:0] FpuF2i  = 3'd5;

  // Mutant numbers (docs/mutants.md). Only used under `ifdef HSX_MUTANTS.
  localparam logic [7:0] MutAddV        = 8'd1;
  localparam logic [7:0] MutWindowPid3  = 8'd2;
  localparam logic [7:0] MutPushGuard   = 8'd3;
  localparam logic [7:0] MutRotateSkip  = 8'd4;
  localparam logic [7:0] MutSwitchSp    = 8'd5;
  localparam logic [7:0] MutSwitchPsw   = 8'd6;
  localparam logic [7:0] MutSvcNoResult = 8'd7;
  localparam logic [7:0] MutNoWindowChk = 8'd8;
  localparam logic [7:0] MutMulSlow     = 8'd9;
  localparam logic [7:0] MutFpRound     = 8'd10;
  localparam logic [7:0] MutSthMask     = 8'd11;
  localparam logic [7:0] MutTimeoutHigh = 8'd12;
  localparam logic [7:0] MutSliceCount  = 8'd13;

endpackage
