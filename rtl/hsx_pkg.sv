// hsx_pkg: hand-written types and constants internal to the HSX RTL. Everything the RTL
// shares with the Rust side is in the generated ISA package, hsx_isa_pkg (opcodes,
// instruction classes, alu_op_e/fpu_op_e/jump_e, task states, wait kinds, fault codes,
// PSW bits, the control-register map and command codes, host-bus spaces, trap causes,
// the window base).
//
// Yosys 0.23 note: never `import hsx_pkg::*`; refer to items as `hsx_pkg::name`.

package hsx_pkg;

  // Memory geometry: 64 KiB data RAM and 64 KiB code RAM, both 32-bit words.
  localparam int unsigned RamWords = 16384;
  localparam int unsigned RamAw    = 14;     // word-address width

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
    StTrap     = 4'd11   // trap pending (SVC or timeout), waiting for trap_ack_i
  } core_st_e;

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


endpackage
