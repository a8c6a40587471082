// hsx_sched: the context unit and scheduler of the HSX machine (context.md, scheduler.md).
//
// Holds the task table (one record per pid 1..NTasks, one unpacked array per field,
// indexed by pid - 1), the machine-wide registers (current, last_ran, steps, ticks,
// stack_region_lo, protect), the control registers of the host bus (docs/rtl-interface.md)
// and applies, at the rising edge:
//   - commands (a write to the CMD control register), exactly per scheduler.md;
//   - the pick at the start of a step (pick_i), the idle jump of ticks (jump_i);
//   - the end of a step (commit_i): the instruction's pc/psw/sp, the state change of its
//     ending (fault, BRK, return), accounting (steps, accounted_steps, slice_used, ticks,
//     last_ran, current) and rotation (step 4), all in the same edge, so the state after
//     the edge is the post-rotate state the harness compares.
// It also computes, for the core's step-start logic (scan_en_i), the first timed-out
// BLOCKED task, whether any task is READY and whether any BLOCKED task has a deadline.
//
// The general registers are not here: they live in the data RAM at reg_base (the core
// reads the current record through cur_*_o; a context switch only changes `current`).
//
// Every field is zero at reset (state EMPTY), stack_region_lo 0x10000, protect 1.

module hsx_sched #(
  parameter int unsigned NTasks = 8
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Control registers (host bus space 2). rdata is combinational (the top registers it).
  input  logic        ctrl_req_i,
  input  logic        ctrl_we_i,
  input  logic [15:0] ctrl_addr_i,
  input  logic [31:0] ctrl_wdata_i,
  output logic [31:0] ctrl_rdata_o,

  // The current task's record.
  output logic [4:0]  cur_o,              // current pid (0 = none)
  output logic        cur_running_o,      // current != 0 and its state is RUNNING
  output logic [15:0] cur_pc_o,
  output logic [3:0]  cur_psw_o,
  output logic [16:0] cur_sp_o,
  output logic [15:0] cur_reg_base_o,
  output logic [16:0] cur_stack_limit_o,
  output logic [16:0] cur_stack_top_o,
  output logic [16:0] cur_code_base_o,
  output logic [16:0] cur_code_size_o,
  output logic        protect_o,
  output logic [16:0] stack_region_lo_o,
  output logic [63:0] steps_o,

  // Step start (the core asks only in its step-start states).
  input  logic        scan_en_i,
  output logic        tmo_valid_o,        // a BLOCKED task's deadline <= ticks
  output logic [4:0]  tmo_pid_o,          // the lowest such pid
  output logic [15:0] tmo_pc_o,           // its pc (reported on trap_pc_o)
  output logic        any_ready_o,        // some task is READY
  output logic        any_deadline_o,     // some BLOCKED task has a deadline
  input  logic        pick_i,             // make the next READY task after last_ran RUNNING
  input  logic        clear_cur_i,        // step start with a current task not RUNNING: current <- 0
  input  logic        jump_i,             // idle: ticks <- the earliest deadline

  // End of step.
  input  logic              commit_i,
  input  hsx_pkg::end_e     end_i,
  input  logic [15:0]       new_pc_i,
  input  logic [3:0]        new_psw_i,
  input  logic [16:0]       new_sp_i,
  input  logic [31:0]       end_code_i     // fault code (EndFault) or exit code (EndReturn)
);

  localparam int unsigned Iw = (NTasks > 1) ? $clog2(NTasks) : 1;
  localparam logic [4:0]  NPid = 5'(NTasks);

  // ---------------------------------------------------------------------------------------
  // The task table: one array per field (public for the simulator's zero-time probe).
  // ---------------------------------------------------------------------------------------

  hsx_isa_pkg::task_state_e state_q       [NTasks] /* verilator public_flat_rd */;
  logic [15:0]              pc_q          [NTasks] /* verilator public_flat_rd */;
  logic [16:0]              code_base_q   [NTasks] /* verilator public_flat_rd */;
  logic [16:0]              code_size_q   [NTasks] /* verilator public_flat_rd */;
  logic [3:0]               psw_q         [NTasks] /* verilator public_flat_rd */;
  logic [16:0]              sp_q          [NTasks] /* verilator public_flat_rd */;
  logic [15:0]              reg_base_q    [NTasks] /* verilator public_flat_rd */;
  logic [16:0]              stack_limit_q [NTasks] /* verilator public_flat_rd */;
  logic [16:0]              stack_top_q   [NTasks] /* verilator public_flat_rd */;
  logic [31:0]              slice_q       [NTasks] /* verilator public_flat_rd */;
  logic [31:0]              slice_used_q  [NTasks] /* verilator public_flat_rd */;
  logic [1:0]               wait_q        [NTasks] /* verilator public_flat_rd */;
  logic                     dl_valid_q    [NTasks] /* verilator public_flat_rd */;
  logic [63:0]              deadline_q    [NTasks] /* verilator public_flat_rd */;
  logic [63:0]              acct_q        [NTasks] /* verilator public_flat_rd */;
  logic [31:0]              exit_code_q   [NTasks] /* verilator public_flat_rd */;
  logic [31:0]              fault_q       [NTasks] /* verilator public_flat_rd */;

  logic [4:0]  current_q         /* verilator public_flat_rd */;
  logic [4:0]  last_ran_q        /* verilator public_flat_rd */;
  logic [63:0] steps_q           /* verilator public_flat_rd */;
  logic [63:0] ticks_q           /* verilator public_flat_rd */;
  logic [16:0] stack_region_lo_q /* verilator public_flat_rd */;
  logic        protect_q         /* verilator public_flat_rd */;
  logic [31:0] arg_q [8];         // command arguments A0..A7

  logic [4:0]  current_d, last_ran_d;
  logic [63:0] steps_d, ticks_d;
  logic [16:0] stack_region_lo_d;
  logic        protect_d;

  // Write ports of the table. Port A serves commands, the committing task and the pick;
  // port B (state, slice_used only) the task that rotation makes RUNNING.
  logic                     st_we_a, st_we_b;
  logic [Iw-1:0]            st_idx_a, st_idx_b;
  hsx_isa_pkg::task_state_e st_wd_a, st_wd_b;
  logic                     su_we_a, su_we_b;
  logic [Iw-1:0]            su_idx_a, su_idx_b;
  logic [31:0]              su_wd_a, su_wd_b;

  logic          ctx_we;          // pc, psw, sp (commit, spawn, kill)
  logic [Iw-1:0] ctx_idx;
  logic [15:0]   pc_wd;
  logic [3:0]    psw_wd;
  logic [16:0]   sp_wd;
  logic          cfg_we;          // the spawn-time fields (spawn, kill)
  logic [Iw-1:0] cfg_idx;
  logic [16:0]   code_base_wd, code_size_wd, stack_limit_wd, stack_top_wd;
  logic [15:0]   reg_base_wd;
  logic          slice_we;
  logic [Iw-1:0] slice_idx;
  logic [31:0]   slice_wd;
  logic          wait_we;         // wait, dl_valid, deadline
  logic [Iw-1:0] wait_idx;
  logic [1:0]    wait_wd;          // hsx_isa_pkg::wait_e
  logic          dlv_wd;
  logic [63:0]   dl_wd;
  logic          acct_we;
  logic [Iw-1:0] acct_idx;
  logic [63:0]   acct_wd;
  logic          exit_we;
  logic [Iw-1:0] exit_idx;
  logic [31:0]   exit_wd;
  logic          fault_we;
  logic [Iw-1:0] fault_idx;
  logic [31:0]   fault_wd;
  logic          arg_we;
  logic [2:0]    arg_idx;

  // ---------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------

  // pid (1..NTasks) -> table index.
  function automatic logic [Iw-1:0] idx_of(input logic [4:0] pid);
    idx_of = Iw'(pid - 5'd1);
  endfunction

  // table index -> pid.
  function automatic logic [4:0] pid_of(input logic [Iw-1:0] idx);
    pid_of = 5'(idx) + 5'd1;
  endfunction

  logic [Iw-1:0] cidx;      // index of current (0 when current == 0)
  assign cidx = (current_q == 5'd0) ? '0 : idx_of(current_q);

  // ---------------------------------------------------------------------------------------
  // The current record
  // ---------------------------------------------------------------------------------------

  assign cur_o             = current_q;
  assign cur_running_o     = (current_q != 5'd0) && (state_q[cidx] == hsx_isa_pkg::TaskRunning);
  assign cur_pc_o          = pc_q[cidx];
  assign cur_psw_o         = psw_q[cidx];
  assign cur_sp_o          = sp_q[cidx];
  assign cur_reg_base_o    = reg_base_q[cidx];
  assign cur_stack_limit_o = stack_limit_q[cidx];
  assign cur_stack_top_o   = stack_top_q[cidx];
  assign cur_code_base_o   = code_base_q[cidx];
  assign cur_code_size_o   = code_size_q[cidx];
  assign protect_o         = protect_q;
  assign stack_region_lo_o = stack_region_lo_q;
  assign steps_o           = steps_q;

  // ---------------------------------------------------------------------------------------
  // Step-start scan: timeouts, READY, deadlines, the pick and the earliest deadline.
  // Evaluated only in the core's step-start states (keeps simulation cheap).
  // ---------------------------------------------------------------------------------------

  logic          pick_valid;
  logic [Iw-1:0] pick_idx;
  logic [63:0]   min_dl;
  logic [Iw-1:0] tmo_idx;

  always_comb begin
    logic [Iw-1:0] j;
    j              = '0;
    tmo_valid_o    = 1'b0;
    tmo_idx        = '0;
    any_ready_o    = 1'b0;
    any_deadline_o = 1'b0;
    pick_valid     = 1'b0;
    pick_idx       = '0;
    min_dl         = '1;
    if (scan_en_i) begin
      for (int unsigned i = 0; i < NTasks; i++) begin
        if (state_q[i] == hsx_isa_pkg::TaskBlocked && dl_valid_q[i]) begin
          any_deadline_o = 1'b1;
          if (deadline_q[i] < min_dl) begin
            min_dl = deadline_q[i];
          end
          if (deadline_q[i] <= ticks_q) begin
            // Ascending pid order: the lowest pid wins.
            if (!tmo_valid_o) begin
              tmo_idx = Iw'(i);
            end
            tmo_valid_o = 1'b1;
          end
        end
        if (state_q[i] == hsx_isa_pkg::TaskReady) begin
          any_ready_o = 1'b1;
        end
      end
      // The pick: the first READY task after last_ran in ascending pid order, wrapping
      // (last_ran = 0 starts at pid 1).
      // (The wrap is a modulo, so the index is in range by construction, for any NTasks:
      // state_q is never read out of range, which SystemVerilog defines as the default
      // value and Verilator as the index's low bits.)
      for (int unsigned k = 1; k <= NTasks; k++) begin
        j = Iw'((32'(last_ran_q) + k - 1) % NTasks);
        if (!pick_valid && state_q[j] == hsx_isa_pkg::TaskReady) begin
          pick_valid = 1'b1;
          pick_idx   = j;
        end
      end
    end
  end

  assign tmo_pid_o = pid_of(tmo_idx);
  assign tmo_pc_o  = pc_q[tmo_idx];

  // ---------------------------------------------------------------------------------------
  // Rotation target at commit: the first READY task after current, wrapping.
  // ---------------------------------------------------------------------------------------

  logic          rot_valid;
  logic [Iw-1:0] rot_idx;

  always_comb begin
    logic [Iw-1:0] j;
    j         = '0;
    rot_valid = 1'b0;
    rot_idx   = '0;
    if (commit_i) begin
      for (int unsigned k = 1; k < NTasks; k++) begin
        j = Iw'((32'(cidx) + k) % NTasks);  // in range by construction, as in the pick
        if (!rot_valid && state_q[j] == hsx_isa_pkg::TaskReady) begin
          rot_valid = 1'b1;
          rot_idx   = j;
        end
      end
    end
  end

  // ---------------------------------------------------------------------------------------
  // Control registers: read mux
  // ---------------------------------------------------------------------------------------

  logic [4:0]    rd_pid;
  logic [Iw-1:0] rd_idx;
  logic [4:0]    rd_f;
  logic [5:0]    rd_g;
  assign rd_pid = ctrl_addr_i[11:7];
  assign rd_idx = idx_of(rd_pid);
  assign rd_f   = ctrl_addr_i[6:2];
  assign rd_g   = ctrl_addr_i[7:2];
  logic [1:0] unused_addr_lo;
  assign unused_addr_lo = ctrl_addr_i[1:0];   // word registers

  always_comb begin
    ctrl_rdata_o = '0;
    if (ctrl_req_i && !ctrl_we_i) begin
      if (ctrl_addr_i[15:12] == 4'h0) begin
        if (rd_pid != 5'd0 && rd_pid <= NPid) begin
          unique case (rd_f)
            hsx_isa_pkg::CtrlFieldState:         ctrl_rdata_o = 32'(state_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldPc:            ctrl_rdata_o = 32'(pc_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldCodeBase:      ctrl_rdata_o = 32'(code_base_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldCodeSize:      ctrl_rdata_o = 32'(code_size_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldPsw:           ctrl_rdata_o = 32'(psw_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldSp:            ctrl_rdata_o = 32'(sp_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldRegBase:       ctrl_rdata_o = 32'(reg_base_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldStackLimit:    ctrl_rdata_o = 32'(stack_limit_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldStackTop:      ctrl_rdata_o = 32'(stack_top_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldSlice:         ctrl_rdata_o = slice_q[rd_idx];
            hsx_isa_pkg::CtrlFieldSliceUsed:     ctrl_rdata_o = slice_used_q[rd_idx];
            hsx_isa_pkg::CtrlFieldWait:          ctrl_rdata_o = 32'(wait_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldDeadlineValid: ctrl_rdata_o = 32'(dl_valid_q[rd_idx]);
            hsx_isa_pkg::CtrlFieldDeadlineLo:    ctrl_rdata_o = deadline_q[rd_idx][31:0];
            hsx_isa_pkg::CtrlFieldDeadlineHi:    ctrl_rdata_o = deadline_q[rd_idx][63:32];
            hsx_isa_pkg::CtrlFieldAcctLo:        ctrl_rdata_o = acct_q[rd_idx][31:0];
            hsx_isa_pkg::CtrlFieldAcctHi:        ctrl_rdata_o = acct_q[rd_idx][63:32];
            hsx_isa_pkg::CtrlFieldExitCode:      ctrl_rdata_o = exit_code_q[rd_idx];
            hsx_isa_pkg::CtrlFieldFault:         ctrl_rdata_o = fault_q[rd_idx];
            default: ctrl_rdata_o = '0;   // unmapped field: reads 0
          endcase
        end
      end else if (ctrl_addr_i[15:12] == 4'h1 && ctrl_addr_i[11:8] == 4'h0) begin
        unique case (rd_g)
          hsx_isa_pkg::CtrlGlobalCurrent:       ctrl_rdata_o = 32'(current_q);
          hsx_isa_pkg::CtrlGlobalLastRan:       ctrl_rdata_o = 32'(last_ran_q);
          hsx_isa_pkg::CtrlGlobalStepsLo:       ctrl_rdata_o = steps_q[31:0];
          hsx_isa_pkg::CtrlGlobalStepsHi:       ctrl_rdata_o = steps_q[63:32];
          hsx_isa_pkg::CtrlGlobalTicksLo:       ctrl_rdata_o = ticks_q[31:0];
          hsx_isa_pkg::CtrlGlobalTicksHi:       ctrl_rdata_o = ticks_q[63:32];
          hsx_isa_pkg::CtrlGlobalStackRegionLo: ctrl_rdata_o = 32'(stack_region_lo_q);
          hsx_isa_pkg::CtrlGlobalProtect:       ctrl_rdata_o = 32'(protect_q);
          hsx_isa_pkg::CtrlGlobalArg0, hsx_isa_pkg::CtrlGlobalArg1, hsx_isa_pkg::CtrlGlobalArg2,
          hsx_isa_pkg::CtrlGlobalArg3, hsx_isa_pkg::CtrlGlobalArg4, hsx_isa_pkg::CtrlGlobalArg5,
          hsx_isa_pkg::CtrlGlobalArg6, hsx_isa_pkg::CtrlGlobalArg7:
                                                ctrl_rdata_o = arg_q[rd_g[2:0]];
          hsx_isa_pkg::CtrlGlobalNTasks:        ctrl_rdata_o = 32'(NTasks);
          default: ctrl_rdata_o = '0;     // CMD (write-only) and unmapped: read 0
        endcase
      end
    end
  end

  // ---------------------------------------------------------------------------------------
  // Next state: commands, pick, idle jump, commit
  // ---------------------------------------------------------------------------------------

  logic          cmd_valid;
  logic [3:0]    cmd_op;           // hsx_isa_pkg::cmd_e
  logic [4:0]    cmd_pid;
  logic [Iw-1:0] cmd_idx;
  logic          cmd_pid_ok;
  logic          gwr;              // a write to the globals page
  assign gwr        = ctrl_req_i && ctrl_we_i && ctrl_addr_i[15:8] == 8'h10;
  assign cmd_valid  = gwr && rd_g == hsx_isa_pkg::CtrlGlobalCmd;
  assign cmd_op     = ctrl_wdata_i[3:0];
  assign cmd_pid    = ctrl_wdata_i[12:8];
  assign cmd_idx    = idx_of(cmd_pid);
  assign cmd_pid_ok = cmd_pid != 5'd0 && cmd_pid <= NPid;

  hsx_isa_pkg::task_state_e cmd_st;
  assign cmd_st = state_q[cmd_idx];

  always_comb begin
    hsx_isa_pkg::task_state_e end_st;
    logic [31:0]              su_next;
    logic                     running;

    current_d         = current_q;
    last_ran_d        = last_ran_q;
    steps_d           = steps_q;
    ticks_d           = ticks_q;
    stack_region_lo_d = stack_region_lo_q;
    protect_d         = protect_q;

    st_we_a  = 1'b0;  st_idx_a = '0;  st_wd_a = hsx_isa_pkg::TaskEmpty;
    st_we_b  = 1'b0;  st_idx_b = '0;  st_wd_b = hsx_isa_pkg::TaskEmpty;
    su_we_a  = 1'b0;  su_idx_a = '0;  su_wd_a = '0;
    su_we_b  = 1'b0;  su_idx_b = '0;  su_wd_b = '0;
    ctx_we   = 1'b0;  ctx_idx  = '0;  pc_wd = '0;  psw_wd = '0;  sp_wd = '0;
    cfg_we   = 1'b0;  cfg_idx  = '0;
    code_base_wd = '0;  code_size_wd = '0;  stack_limit_wd = '0;  stack_top_wd = '0;
    reg_base_wd  = '0;
    slice_we = 1'b0;  slice_idx = '0;  slice_wd = '0;
    wait_we  = 1'b0;  wait_idx  = '0;  wait_wd = hsx_isa_pkg::WaitNone;  dlv_wd = 1'b0;
    dl_wd    = '0;
    acct_we  = 1'b0;  acct_idx  = '0;  acct_wd = '0;
    exit_we  = 1'b0;  exit_idx  = '0;  exit_wd = '0;
    fault_we = 1'b0;  fault_idx = '0;  fault_wd = '0;
    arg_we   = 1'b0;  arg_idx   = '0;
    end_st   = hsx_isa_pkg::TaskEmpty;
    su_next  = '0;
    running  = 1'b0;

    if (gwr) begin
      // ----- host-bus writes to the globals page: registers and commands -----
      unique case (rd_g)
        hsx_isa_pkg::CtrlGlobalStackRegionLo: stack_region_lo_d = ctrl_wdata_i[16:0];
        hsx_isa_pkg::CtrlGlobalProtect:       protect_d = ctrl_wdata_i[0];
        hsx_isa_pkg::CtrlGlobalArg0, hsx_isa_pkg::CtrlGlobalArg1, hsx_isa_pkg::CtrlGlobalArg2,
        hsx_isa_pkg::CtrlGlobalArg3, hsx_isa_pkg::CtrlGlobalArg4, hsx_isa_pkg::CtrlGlobalArg5,
        hsx_isa_pkg::CtrlGlobalArg6, hsx_isa_pkg::CtrlGlobalArg7: begin
          arg_we  = 1'b1;
          arg_idx = rd_g[2:0];
        end
        default: ;  // read-only or unmapped: ignored (CMD handled below)
      endcase
      if (cmd_valid && cmd_pid_ok) begin
        unique case (cmd_op)
          hsx_isa_pkg::CmdSpawn: begin
            if (cmd_st == hsx_isa_pkg::TaskEmpty && arg_q[7] != 32'd0) begin
              st_we_a  = 1'b1;  st_idx_a  = cmd_idx;  st_wd_a = hsx_isa_pkg::TaskReady;
              ctx_we   = 1'b1;  ctx_idx   = cmd_idx;
              pc_wd    = arg_q[0][15:0];
              psw_wd   = 4'd0;
              sp_wd    = arg_q[1][16:0];
              cfg_we   = 1'b1;  cfg_idx   = cmd_idx;
              reg_base_wd    = arg_q[2][15:0];
              stack_limit_wd = arg_q[3][16:0];
              stack_top_wd   = arg_q[4][16:0];
              code_base_wd   = arg_q[5][16:0];
              code_size_wd   = arg_q[6][16:0];
              slice_we = 1'b1;  slice_idx = cmd_idx;  slice_wd = arg_q[7];
              su_we_a  = 1'b1;  su_idx_a  = cmd_idx;  su_wd_a  = '0;
              wait_we  = 1'b1;  wait_idx  = cmd_idx;
              acct_we  = 1'b1;  acct_idx  = cmd_idx;
              exit_we  = 1'b1;  exit_idx  = cmd_idx;
              fault_we = 1'b1;  fault_idx = cmd_idx;
            end
          end
          hsx_isa_pkg::CmdBlock: begin
            if (cmd_st == hsx_isa_pkg::TaskRunning || cmd_st == hsx_isa_pkg::TaskReady) begin
              st_we_a = 1'b1;  st_idx_a = cmd_idx;  st_wd_a = hsx_isa_pkg::TaskBlocked;
              wait_we = 1'b1;  wait_idx = cmd_idx;
              wait_wd = arg_q[0][1:0];
              dlv_wd  = arg_q[1][0];
              dl_wd   = arg_q[1][0] ? {arg_q[3], arg_q[2]} : 64'd0;
            end
          end
          hsx_isa_pkg::CmdWake: begin
            if (cmd_st == hsx_isa_pkg::TaskBlocked) begin
              st_we_a = 1'b1;  st_idx_a = cmd_idx;  st_wd_a = hsx_isa_pkg::TaskReady;
              wait_we = 1'b1;  wait_idx = cmd_idx;
            end
          end
          hsx_isa_pkg::CmdExit: begin
            if (cmd_st != hsx_isa_pkg::TaskEmpty) begin
              st_we_a = 1'b1;  st_idx_a = cmd_idx;  st_wd_a = hsx_isa_pkg::TaskReturned;
              exit_we = 1'b1;  exit_idx = cmd_idx;  exit_wd = arg_q[0];
              wait_we = 1'b1;  wait_idx = cmd_idx;  // wait and deadline cleared
            end
          end
          hsx_isa_pkg::CmdYield: begin
            su_we_a = 1'b1;  su_idx_a = cmd_idx;  su_wd_a = slice_q[cmd_idx];
          end
          hsx_isa_pkg::CmdPause: begin
            if (cmd_st == hsx_isa_pkg::TaskRunning || cmd_st == hsx_isa_pkg::TaskReady) begin
              st_we_a = 1'b1;  st_idx_a = cmd_idx;  st_wd_a = hsx_isa_pkg::TaskPaused;
            end
          end
          hsx_isa_pkg::CmdResume: begin
            if (cmd_st == hsx_isa_pkg::TaskPaused) begin
              st_we_a = 1'b1;  st_idx_a = cmd_idx;  st_wd_a = hsx_isa_pkg::TaskReady;
            end
          end
          hsx_isa_pkg::CmdKill: begin
            // Any state -> EMPTY; the whole record returns to its reset value.
            st_we_a  = 1'b1;  st_idx_a  = cmd_idx;  st_wd_a = hsx_isa_pkg::TaskEmpty;
            ctx_we   = 1'b1;  ctx_idx   = cmd_idx;
            cfg_we   = 1'b1;  cfg_idx   = cmd_idx;
            slice_we = 1'b1;  slice_idx = cmd_idx;
            su_we_a  = 1'b1;  su_idx_a  = cmd_idx;
            wait_we  = 1'b1;  wait_idx  = cmd_idx;
            acct_we  = 1'b1;  acct_idx  = cmd_idx;
            exit_we  = 1'b1;  exit_idx  = cmd_idx;
            fault_we = 1'b1;  fault_idx = cmd_idx;
            if (current_q == cmd_pid) begin
              current_d = 5'd0;
            end
          end
          hsx_isa_pkg::CmdSetSlice: begin
            if (arg_q[0] != 32'd0) begin
              slice_we = 1'b1;  slice_idx = cmd_idx;  slice_wd = arg_q[0];
            end
          end
          hsx_isa_pkg::CmdNone: ;
          default: ;  // undefined command codes are ignored
        endcase
      end
    end else if (jump_i) begin
      // ----- idle: time jumps to the earliest deadline -----
      ticks_d = min_dl;
    end else if (pick_i) begin
      // ----- pick: the chosen task becomes RUNNING with slice_used = 0 -----
      st_we_a   = 1'b1;  st_idx_a = pick_idx;  st_wd_a = hsx_isa_pkg::TaskRunning;
      su_we_a   = 1'b1;  su_idx_a = pick_idx;  su_wd_a = '0;
      current_d = pid_of(pick_idx);
    end else if (commit_i) begin
      // ----- end of step: execute results, account, rotate -----
      unique case (end_i)
        hsx_pkg::EndNormal: end_st = hsx_isa_pkg::TaskRunning;
        hsx_pkg::EndFault:  end_st = hsx_isa_pkg::TaskFaulted;
        hsx_pkg::EndBrk:    end_st = hsx_isa_pkg::TaskPaused;
        hsx_pkg::EndReturn: end_st = hsx_isa_pkg::TaskReturned;
        hsx_pkg::EndSvc:    end_st = state_q[cidx];  // as the executive's commands left it
        default:            end_st = state_q[cidx];
      endcase
      running = (end_st == hsx_isa_pkg::TaskRunning);

      // Account (step 3).
      steps_d    = steps_q + 64'd1;
      ticks_d    = ticks_q + 64'd1;
      last_ran_d = current_q;
      su_next    = slice_used_q[cidx] + 32'd1;
      if (!running) begin
        current_d = 5'd0;
      end

      // accounted_steps and slice_used count the step in the slot even if the executive
      // killed the task during its own SVC (as vm-ref does); pc/psw/sp are not written
      // into a killed (EMPTY) slot (vm-ref wrote them before the executive cleared them).
      acct_we = 1'b1;  acct_idx = cidx;  acct_wd = acct_q[cidx] + 64'd1;
      su_we_a = 1'b1;  su_idx_a = cidx;  su_wd_a = su_next;
      if (state_q[cidx] != hsx_isa_pkg::TaskEmpty) begin
        ctx_we  = 1'b1;  ctx_idx  = cidx;
        pc_wd   = new_pc_i;  psw_wd = new_psw_i;  sp_wd = new_sp_i;
        st_we_a = 1'b1;  st_idx_a = cidx;  st_wd_a = end_st;
        if (end_i == hsx_pkg::EndFault) begin
          fault_we = 1'b1;  fault_idx = cidx;  fault_wd = end_code_i;
        end
        if (end_i == hsx_pkg::EndReturn) begin
          exit_we = 1'b1;  exit_idx = cidx;  exit_wd = end_code_i;
        end
        // Rotate (step 4).
        if (running && su_next >= slice_q[cidx]) begin
          if (rot_valid) begin
            st_wd_a   = hsx_isa_pkg::TaskReady;
            st_we_b   = 1'b1;  st_idx_b = rot_idx;  st_wd_b = hsx_isa_pkg::TaskRunning;
            su_we_b   = 1'b1;  su_idx_b = rot_idx;
            su_wd_b   = 32'd0;
            current_d = pid_of(rot_idx);
          end else begin
            su_wd_a = '0;
          end
        end
      end
    end
  end

  // ---------------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------------

  // (clear_cur_i comes with pick_i, jump_i or alone, never with a command or a commit.)
  logic [4:0] current_nx;
  assign current_nx = (clear_cur_i && !pick_i) ? 5'd0 : current_d;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      current_q         <= 5'd0;
      last_ran_q        <= 5'd0;
      steps_q           <= 64'd0;
      ticks_q           <= 64'd0;
      stack_region_lo_q <= 17'h10000;
      protect_q         <= 1'b1;
    end else begin
      current_q         <= current_nx;
      last_ran_q        <= last_ran_d;
      steps_q           <= steps_d;
      ticks_q           <= ticks_d;
      stack_region_lo_q <= stack_region_lo_d;
      protect_q         <= protect_d;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < 8; i++) arg_q[i] <= '0;
    end else if (arg_we) begin
      arg_q[arg_idx] <= ctrl_wdata_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) state_q[i] <= hsx_isa_pkg::TaskEmpty;
    end else begin
      if (st_we_a) state_q[st_idx_a] <= st_wd_a;
      if (st_we_b) state_q[st_idx_b] <= st_wd_b;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) slice_used_q[i] <= '0;
    end else begin
      if (su_we_a) slice_used_q[su_idx_a] <= su_wd_a;
      if (su_we_b) slice_used_q[su_idx_b] <= su_wd_b;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) begin
        pc_q[i]  <= '0;
        psw_q[i] <= '0;
        sp_q[i]  <= '0;
      end
    end else begin
      if (ctx_we) begin
        pc_q[ctx_idx]  <= pc_wd;
        psw_q[ctx_idx] <= psw_wd;
        sp_q[ctx_idx]  <= sp_wd;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) begin
        code_base_q[i]   <= '0;
        code_size_q[i]   <= '0;
        reg_base_q[i]    <= '0;
        stack_limit_q[i] <= '0;
        stack_top_q[i]   <= '0;
      end
    end else if (cfg_we) begin
      code_base_q[cfg_idx]   <= code_base_wd;
      code_size_q[cfg_idx]   <= code_size_wd;
      reg_base_q[cfg_idx]    <= reg_base_wd;
      stack_limit_q[cfg_idx] <= stack_limit_wd;
      stack_top_q[cfg_idx]   <= stack_top_wd;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) slice_q[i] <= '0;
    end else if (slice_we) begin
      slice_q[slice_idx] <= slice_wd;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) begin
        wait_q[i]     <= hsx_isa_pkg::WaitNone;
        dl_valid_q[i] <= 1'b0;
        deadline_q[i] <= '0;
      end
    end else if (wait_we) begin
      wait_q[wait_idx]     <= wait_wd;
      dl_valid_q[wait_idx] <= dlv_wd;
      deadline_q[wait_idx] <= dl_wd;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) acct_q[i] <= '0;
    end else if (acct_we) begin
      acct_q[acct_idx] <= acct_wd;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) exit_code_q[i] <= '0;
    end else if (exit_we) begin
      exit_code_q[exit_idx] <= exit_wd;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < NTasks; i++) fault_q[i] <= '0;
    end else if (fault_we) begin
      fault_q[fault_idx] <= fault_wd;
    end
  end

endmodule
