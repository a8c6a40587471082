// hsx_top: the HSX machine — core, context unit/scheduler, FPU, data RAM (64 KiB) and
// code RAM (64 KiB), with the host bus, trap handshake, retire port and run control of
// docs/rtl-interface.md (the contract with the simulator driver).
//
// Inputs are registered before use (trap_ack_i and the host-bus request), so almost no
// logic depends combinationally on the inputs (this keeps Verilator's per-eval input
// logic tiny). The exception is run_i, which only holds the core's state register at a
// step boundary, so that the host can stop exactly at the boundary it observes.
//
// Host bus: one request at a time. The request (hb_req_i with its we/space/addr/be/wdata)
// is captured at the first rising edge where it is high and no request is captured or
// being acknowledged. It is served in the first following cycle in which the core is
// parked — at a step boundary (StBoundary) or with a trap pending (StTrap, except the
// cycle in which the registered trap acknowledge is acted on). At that rising edge a write
// takes effect (a command, too) and a read is registered; hb_ack_o is high in the
// following cycle with hb_rdata_o. So a transaction takes at least 2 cycles (request
// edge, service edge) and the driver sees hb_ack_o after the second edge.

module hsx_top #(
  parameter int unsigned NTasks = 8
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Host bus.
  input  logic        hb_req_i,
  input  logic        hb_we_i,
  input  logic [1:0]  hb_space_i,
  input  logic [15:0] hb_addr_i,
  input  logic [3:0]  hb_be_i,
  input  logic [31:0] hb_wdata_i,
  output logic        hb_ack_o,
  output logic [31:0] hb_rdata_o,

  // Run control.
  input  logic        run_i,
  output logic        halted_o,
  output logic        idle_o,

  // Trap handshake.
  output logic        trap_o,
  output logic [1:0]  trap_cause_o,
  output logic [4:0]  trap_pid_o,
  output logic [3:0]  trap_mod_o,
  output logic [7:0]  trap_fn_o,
  output logic [15:0] trap_pc_o,
  input  logic        trap_ack_i,

  // Retire port.
  output logic        rvfi_valid_o,
  output logic [63:0] rvfi_step_o,
  output logic [4:0]  rvfi_pid_o,
  output logic [15:0] rvfi_pc_o,
  output logic [15:0] rvfi_next_pc_o,
  output logic [1:0]  rvfi_insn_len_o,
  output logic [31:0] rvfi_insn0_o,
  output logic [31:0] rvfi_insn1_o,
  output logic [1:0]  rvfi_nwr_o,
  output logic [15:0] rvfi_wr0_addr_o,
  output logic [3:0]  rvfi_wr0_be_o,
  output logic [31:0] rvfi_wr0_data_o,
  output logic [15:0] rvfi_wr1_addr_o,
  output logic [3:0]  rvfi_wr1_be_o,
  output logic [31:0] rvfi_wr1_data_o,
  output logic [3:0]  rvfi_psw_o,
  output logic [31:0] rvfi_sp_o,
  output logic        rvfi_fault_o,
  output logic [31:0] rvfi_fault_code_o,
  output logic        rvfi_trap_o,
  output logic [3:0]  rvfi_trap_mod_o,
  output logic [7:0]  rvfi_trap_fn_o
);

  // ---------------------------------------------------------------------------------------
  // Host bus
  // ---------------------------------------------------------------------------------------

  logic        trap_ack_q;
  logic        hb_vld_q, hb_vld_d;     // a captured request waits for service
  logic        hb_we_q;
  logic [1:0]  hb_space_q;
  logic [15:0] hb_addr_q;
  logic [3:0]  hb_be_q;
  logic [31:0] hb_wdata_q;
  logic        hb_ack_q;
  logic [1:0]  hb_rspace_q;            // space of the acknowledged read
  logic [31:0] ctrl_rdata, ctrl_rdata_q;
  logic        hb_capture, hb_allow, hb_go;

  assign hb_capture = hb_req_i && !hb_vld_q && !hb_ack_q;
  assign hb_go      = hb_vld_q && hb_allow;

  always_comb begin
    hb_vld_d = hb_vld_q;
    if (hb_go) begin
      hb_vld_d = 1'b0;
    end
    if (hb_capture) begin
      hb_vld_d = 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      trap_ack_q   <= 1'b0;
      hb_vld_q     <= 1'b0;
      hb_ack_q     <= 1'b0;
      hb_rspace_q  <= hsx_isa_pkg::SpaceData;
      ctrl_rdata_q <= '0;
    end else begin
      trap_ack_q <= trap_ack_i;
      hb_vld_q   <= hb_vld_d;
      hb_ack_q   <= hb_go;
      if (hb_go) begin
        hb_rspace_q  <= hb_space_q;
        ctrl_rdata_q <= ctrl_rdata;
      end
    end
  end

  // The captured request.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      hb_we_q    <= 1'b0;
      hb_space_q <= hsx_isa_pkg::SpaceData;
      hb_addr_q  <= '0;
      hb_be_q    <= '0;
      hb_wdata_q <= '0;
    end else if (hb_capture) begin
      hb_we_q    <= hb_we_i;
      hb_space_q <= hb_space_i;
      hb_addr_q  <= hb_addr_i;
      hb_be_q    <= hb_be_i;
      hb_wdata_q <= hb_wdata_i;
    end
  end

  logic [31:0] dm_rdata, cm_rdata;

  assign hb_ack_o = hb_ack_q;
  always_comb begin
    unique case (hb_rspace_q)
      hsx_isa_pkg::SpaceData: hb_rdata_o = dm_rdata;
      hsx_isa_pkg::SpaceCode: hb_rdata_o = cm_rdata;
      hsx_isa_pkg::SpaceCtrl: hb_rdata_o = ctrl_rdata_q;
      default:            hb_rdata_o = '0;   // unmapped space: reads 0, writes ignored
    endcase
  end

  // ---------------------------------------------------------------------------------------
  // Data RAM and code RAM (the core's port, or the host bus while the core is parked)
  // ---------------------------------------------------------------------------------------

  // Per-cycle data-RAM access (public for the simulator's write monitor).
  logic        dm_req       /* verilator public_flat_rd */;
  logic        dm_we        /* verilator public_flat_rd */;
  logic [13:0] dm_addr      /* verilator public_flat_rd */;
  logic [3:0]  dm_be        /* verilator public_flat_rd */;
  logic [31:0] dm_wdata     /* verilator public_flat_rd */;
  logic        dm_from_host /* verilator public_flat_rd */;
  logic        step_boundary /* verilator public_flat_rd */;
  logic        in_flight     /* verilator public_flat_rd */;
  logic        timing_skip   /* verilator public_flat_rd */;

  logic        core_dm_req, core_dm_we;
  logic [13:0] core_dm_addr;
  logic [3:0]  core_dm_be;
  logic [31:0] core_dm_wdata;
  logic        core_cm_req;
  logic [13:0] core_cm_addr;
  logic        hb_data, hb_code, hb_ctrl;

  assign hb_data = hb_go && (hb_space_q == hsx_isa_pkg::SpaceData);
  assign hb_code = hb_go && (hb_space_q == hsx_isa_pkg::SpaceCode);
  assign hb_ctrl = hb_go && (hb_space_q == hsx_isa_pkg::SpaceCtrl);

  assign dm_from_host = hb_data;
  assign dm_req   = hb_data ? 1'b1           : core_dm_req;
  assign dm_we    = hb_data ? hb_we_q         : core_dm_we;
  assign dm_addr  = hb_data ? hb_addr_q[15:2] : core_dm_addr;
  assign dm_be    = hb_data ? hb_be_q         : core_dm_be;
  assign dm_wdata = hb_data ? hb_wdata_q      : core_dm_wdata;

  hsx_ram #(.Words(hsx_pkg::RamWords), .Aw(hsx_pkg::RamAw)) u_dmem (
    .clk_i,
    .req_i   (dm_req),
    .we_i    (dm_we),
    .addr_i  (dm_addr),
    .be_i    (dm_be),
    .wdata_i (dm_wdata),
    .rdata_o (dm_rdata)
  );

  hsx_ram #(.Words(hsx_pkg::RamWords), .Aw(hsx_pkg::RamAw)) u_cmem (
    .clk_i,
    .req_i   (hb_code || core_cm_req),
    .we_i    (hb_code && hb_we_q),
    .addr_i  (hb_code ? hb_addr_q[15:2] : core_cm_addr),
    .be_i    (hb_be_q),
    .wdata_i (hb_wdata_q),
    .rdata_o (cm_rdata)
  );

  // ---------------------------------------------------------------------------------------
  // Scheduler / context unit
  // ---------------------------------------------------------------------------------------

  logic [4:0]  cur;
  logic        cur_running;
  logic [15:0] cur_pc, cur_reg_base;
  logic [3:0]  cur_psw;
  logic [16:0] cur_sp, cur_stack_limit, cur_stack_top, cur_code_base, cur_code_size;
  logic        protect;
  logic [16:0] stack_region_lo;
  logic [63:0] steps;
  logic        scan_en, tmo_valid, any_ready, any_deadline, pick, jump, clear_cur;
  logic [4:0]  tmo_pid;
  logic [15:0] tmo_pc;
  logic        commit;
  hsx_pkg::end_e end_kind;
  logic [15:0] new_pc;
  logic [3:0]  new_psw;
  logic [16:0] new_sp;
  logic [31:0] end_code;

  hsx_sched #(.NTasks(NTasks)) u_sched (
    .clk_i,
    .rst_ni,
    .ctrl_req_i        (hb_ctrl),
    .ctrl_we_i         (hb_we_q),
    .ctrl_addr_i       (hb_addr_q),
    .ctrl_wdata_i      (hb_wdata_q),
    .ctrl_rdata_o      (ctrl_rdata),
    .cur_o             (cur),
    .cur_running_o     (cur_running),
    .cur_pc_o          (cur_pc),
    .cur_psw_o         (cur_psw),
    .cur_sp_o          (cur_sp),
    .cur_reg_base_o    (cur_reg_base),
    .cur_stack_limit_o (cur_stack_limit),
    .cur_stack_top_o   (cur_stack_top),
    .cur_code_base_o   (cur_code_base),
    .cur_code_size_o   (cur_code_size),
    .protect_o         (protect),
    .stack_region_lo_o (stack_region_lo),
    .steps_o           (steps),
    .scan_en_i         (scan_en),
    .tmo_valid_o       (tmo_valid),
    .tmo_pid_o         (tmo_pid),
    .tmo_pc_o          (tmo_pc),
    .any_ready_o       (any_ready),
    .any_deadline_o    (any_deadline),
    .pick_i            (pick),
    .clear_cur_i       (clear_cur),
    .jump_i            (jump),
    .commit_i          (commit),
    .end_i             (end_kind),
    .new_pc_i          (new_pc),
    .new_psw_i         (new_psw),
    .new_sp_i          (new_sp),
    .end_code_i        (end_code)
  );

  // ---------------------------------------------------------------------------------------
  // FPU
  // ---------------------------------------------------------------------------------------

  logic        fpu_start, fpu_done;
  hsx_isa_pkg::fpu_op_e fpu_op;
  logic [31:0] fpu_a, fpu_b, fpu_result;

  hsx_fpu u_fpu (
    .clk_i,
    .rst_ni,
    .start_i  (fpu_start),
    .op_i     (fpu_op),
    .a_i      (fpu_a),
    .b_i      (fpu_b),
    .done_o   (fpu_done),
    .result_o (fpu_result)
  );

  // ---------------------------------------------------------------------------------------
  // Core
  // ---------------------------------------------------------------------------------------

  logic [31:0] insn, insn1;          // the committing instruction, for the retire record
  logic [1:0]  insn_len;
  logic        retire_trap;

  hsx_core #(.NTasks(NTasks)) u_core (
    .clk_i,
    .rst_ni,
    .run_i,
    .hb_pending_i      (hb_vld_q),
    .hb_allow_o        (hb_allow),
    .halted_o,
    .idle_o,
    .step_boundary_o   (step_boundary),
    .in_flight_o       (in_flight),
    .timing_skip_o     (timing_skip),
    .dm_req_o          (core_dm_req),
    .dm_we_o           (core_dm_we),
    .dm_addr_o         (core_dm_addr),
    .dm_be_o           (core_dm_be),
    .dm_wdata_o        (core_dm_wdata),
    .dm_rdata_i        (dm_rdata),
    .cm_req_o          (core_cm_req),
    .cm_addr_o         (core_cm_addr),
    .cm_rdata_i        (cm_rdata),
    .cur_i             (cur),
    .cur_running_i     (cur_running),
    .cur_pc_i          (cur_pc),
    .cur_psw_i         (cur_psw),
    .cur_sp_i          (cur_sp),
    .cur_reg_base_i    (cur_reg_base),
    .cur_stack_limit_i (cur_stack_limit),
    .cur_stack_top_i   (cur_stack_top),
    .cur_code_base_i   (cur_code_base),
    .cur_code_size_i   (cur_code_size),
    .protect_i         (protect),
    .stack_region_lo_i (stack_region_lo),
    .scan_en_o         (scan_en),
    .tmo_valid_i       (tmo_valid),
    .tmo_pid_i         (tmo_pid),
    .tmo_pc_i          (tmo_pc),
    .any_ready_i       (any_ready),
    .any_deadline_i    (any_deadline),
    .pick_o            (pick),
    .clear_cur_o       (clear_cur),
    .jump_o            (jump),
    .commit_o          (commit),
    .end_o             (end_kind),
    .new_pc_o          (new_pc),
    .new_psw_o         (new_psw),
    .new_sp_o          (new_sp),
    .end_code_o        (end_code),
    .fpu_start_o       (fpu_start),
    .fpu_op_o          (fpu_op),
    .fpu_a_o           (fpu_a),
    .fpu_b_o           (fpu_b),
    .fpu_done_i        (fpu_done),
    .fpu_result_i      (fpu_result),
    .trap_o,
    .trap_cause_o,
    .trap_pid_o,
    .trap_mod_o,
    .trap_fn_o,
    .trap_pc_o,
    .trap_ack_i        (trap_ack_q),
    .insn_o            (insn),
    .insn_len_o        (insn_len),
    .insn1_o           (insn1),
    .retire_trap_o     (retire_trap)
  );

  // ---------------------------------------------------------------------------------------
  // Retire record
  // ---------------------------------------------------------------------------------------

  hsx_retire u_retire (
    .clk_i,
    .rst_ni,
    .clear_i           (scan_en),
    .wr_i              (core_dm_we),
    .wr_word_i         (core_dm_addr),
    .wr_be_i           (core_dm_be),
    .wr_data_i         (core_dm_wdata),
    .commit_i          (commit),
    .steps_i           (steps),
    .pid_i             (cur),
    .pc_i              (cur_pc),
    .next_pc_i         (new_pc),
    .insn_len_i        (insn_len),
    .insn_i            (insn),
    .insn1_i           (insn1),
    .psw_i             (new_psw),
    .sp_i              (new_sp),
    .end_i             (end_kind),
    .end_code_i        (end_code),
    .trap_i            (retire_trap),
    .rvfi_valid_o,
    .rvfi_step_o,
    .rvfi_pid_o,
    .rvfi_pc_o,
    .rvfi_next_pc_o,
    .rvfi_insn_len_o,
    .rvfi_insn0_o,
    .rvfi_insn1_o,
    .rvfi_nwr_o,
    .rvfi_wr0_addr_o,
    .rvfi_wr0_be_o,
    .rvfi_wr0_data_o,
    .rvfi_wr1_addr_o,
    .rvfi_wr1_be_o,
    .rvfi_wr1_data_o,
    .rvfi_psw_o,
    .rvfi_sp_o,
    .rvfi_fault_o,
    .rvfi_fault_code_o,
    .rvfi_trap_o,
    .rvfi_trap_mod_o,
    .rvfi_trap_fn_o
  );

endmodule
