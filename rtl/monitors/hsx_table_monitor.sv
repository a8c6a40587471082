// hsx_table_monitor: the task-table stability rule (hardware.md: task-table fields change
// only at step boundaries or by a command, never while an instruction is in flight) as a
// checker bound into the simulation-only monitor model (`Vhsx_mon`, sim/build/); the
// production RTL (rtl/*.sv) does not contain it and synthesis never reads it.
//
// It watches the scheduler's write ports: at a rising edge inside an instruction
// (`in_flight_i`, no trap pending, no host-bus request) any table element or machine
// register whose new value differs from its old one is a change. Whether that edge ended
// the step is known only after it (the retire record is registered), so a change is a
// candidate for one cycle and a violation unless `retire_i` is then high. The first
// violation's cycle (rising edges since reset, as the simulator counts them) is latched
// in `viol_cycle_q` (0: none), which the simulator reads once per retire and clears.
//
// It also keeps `dirty_q`, a bit per slot written through any write port since the
// simulator last cleared it (the lockstep reads and compares only those slots after a
// retire: the delta of DiffTest's batch; a reset sets every bit), and `dirty_field_q`, a
// bit per task-table field written through any port since then, in the order the
// simulator lists the fields (sim/src/probe.rs `slot::ALL`: state, pc, code_base,
// code_size, psw, sp, reg_base, stack_limit, stack_top, slice, slice_used, wait, dl_valid,
// deadline, accounted, exit_code, fault): of a dirty slot the lockstep reads only those.
//
// Simulator controls (public): `enable_q` (off after reset) and `selftest_q`, the negative
// tests: bit 0 reports the next watched edge that does not end a step as a violation, as
// if the table had changed (the reporting path); bit 1 withdraws the retire exemption from
// the next watched edge that ends a step, so the changes every retire makes (pc, steps,
// ticks…) must be reported (the comparison itself).

// Not traced: the waveforms of a divergence show the design, as with the real model.
// verilator tracing_off

module hsx_table_monitor (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_flight_i,
  input  logic                     trap_i,
  input  logic                     hb_req_i,
  input  logic                     retire_i,

  // Write ports of the table: enable, new value, old value at the written index.
  input  logic                     st_we_a_i,
  input  logic [7:0]               st_wd_a_i,
  input  logic [7:0]               st_old_a_i,
  input  logic                     st_we_b_i,
  input  logic [7:0]               st_wd_b_i,
  input  logic [7:0]               st_old_b_i,
  input  logic                     su_we_a_i,
  input  logic [31:0]              su_wd_a_i,
  input  logic [31:0]              su_old_a_i,
  input  logic                     su_we_b_i,
  input  logic [31:0]              su_wd_b_i,
  input  logic [31:0]              su_old_b_i,
  input  logic                     ctx_we_i,
  input  logic [36:0]              ctx_wd_i,    // {pc, psw, sp}
  input  logic [36:0]              ctx_old_i,
  input  logic                     mctx_we_i,
  input  logic [20:0]              mctx_wd_i,   // {psw, sp}
  input  logic [20:0]              mctx_old_i,
  input  logic                     cfg_we_i,
  input  logic [83:0]              cfg_wd_i,    // {code_base, code_size, reg_base, stack_limit, stack_top}
  input  logic [83:0]              cfg_old_i,
  input  logic                     slice_we_i,
  input  logic [31:0]              slice_wd_i,
  input  logic [31:0]              slice_old_i,
  input  logic                     wait_we_i,
  input  logic [66:0]              wait_wd_i,   // {wait, dl_valid, deadline}
  input  logic [66:0]              wait_old_i,
  input  logic                     acct_we_i,
  input  logic [63:0]              acct_wd_i,
  input  logic [63:0]              acct_old_i,
  input  logic                     exit_we_i,
  input  logic [31:0]              exit_wd_i,
  input  logic [31:0]              exit_old_i,
  input  logic                     fault_we_i,
  input  logic [31:0]              fault_wd_i,
  input  logic [31:0]              fault_old_i,
  // The slot index of each write port (zero-extended), for `dirty_q`.
  input  logic [4:0]               st_idx_a_i,
  input  logic [4:0]               st_idx_b_i,
  input  logic [4:0]               su_idx_a_i,
  input  logic [4:0]               su_idx_b_i,
  input  logic [4:0]               ctx_idx_i,
  input  logic [4:0]               mctx_idx_i,
  input  logic [4:0]               cfg_idx_i,
  input  logic [4:0]               slice_idx_i,
  input  logic [4:0]               wait_idx_i,
  input  logic [4:0]               acct_idx_i,
  input  logic [4:0]               exit_idx_i,
  input  logic [4:0]               fault_idx_i,
  // Machine registers: next and current value of each.
  input  logic [4:0]               cur_d_i,
  input  logic [4:0]               cur_q_i,
  input  logic [4:0]               last_ran_d_i,
  input  logic [4:0]               last_ran_q_i,
  input  logic [63:0]              steps_d_i,
  input  logic [63:0]              steps_q_i,
  input  logic [63:0]              ticks_d_i,
  input  logic [63:0]              ticks_q_i,
  input  logic [16:0]              srl_d_i,
  input  logic [16:0]              srl_q_i,
  input  logic                     protect_d_i,
  input  logic                     protect_q_i
);

  logic        enable_q   /* verilator public_flat_rw */;
  logic [1:0]  selftest_q /* verilator public_flat_rw */;
  logic [63:0] viol_cycle_q /* verilator public_flat_rw */;
  logic [31:0] dirty_q /* verilator public_flat_rw */;
  logic [31:0] dirty_field_q /* verilator public_flat_rw */;
  logic [31:0] written;
  logic [16:0] fields;
  logic [63:0] cyc_q;
  logic        cand_q, cand_test_q, cand_noexempt_q;

  logic any_we, watch, change, confirmed;

  assign watch = enable_q && in_flight_i && !trap_i && !hb_req_i;

  // Cost (docs/benchmarks.md, issue 13): the model evaluates this every cycle, and most
  // cycles write no table element, so the port compares and the dirty mask sit behind one
  // test of the write enables (Verilator keeps the `if`, a branch, where it turns `&&` into
  // a branch-free `&` that would read every old value on every cycle), and the machine
  // registers are compared field by field (a packed 156-bit compare costs the shifts that
  // pack it).
  assign any_we = st_we_a_i | st_we_b_i | su_we_a_i | su_we_b_i | ctx_we_i | mctx_we_i |
                  cfg_we_i | slice_we_i | wait_we_i | acct_we_i | exit_we_i | fault_we_i;

  always_comb begin
    change = (cur_d_i != cur_q_i) | (last_ran_d_i != last_ran_q_i) | (steps_d_i != steps_q_i) |
             (ticks_d_i != ticks_q_i) | (srl_d_i != srl_q_i) | (protect_d_i != protect_q_i);
    written = '0;
    fields = '0;
    if (any_we) begin
      if (st_we_a_i    && st_wd_a_i  != st_old_a_i)  change = 1'b1;
      if (st_we_b_i    && st_wd_b_i  != st_old_b_i)  change = 1'b1;
      if (su_we_a_i    && su_wd_a_i  != su_old_a_i)  change = 1'b1;
      if (su_we_b_i    && su_wd_b_i  != su_old_b_i)  change = 1'b1;
      if (ctx_we_i     && ctx_wd_i   != ctx_old_i)   change = 1'b1;
      if (mctx_we_i    && mctx_wd_i  != mctx_old_i)  change = 1'b1;
      if (cfg_we_i     && cfg_wd_i   != cfg_old_i)   change = 1'b1;
      if (slice_we_i   && slice_wd_i != slice_old_i) change = 1'b1;
      if (wait_we_i    && wait_wd_i  != wait_old_i)  change = 1'b1;
      if (acct_we_i    && acct_wd_i  != acct_old_i)  change = 1'b1;
      if (exit_we_i    && exit_wd_i  != exit_old_i)  change = 1'b1;
      if (fault_we_i   && fault_wd_i != fault_old_i) change = 1'b1;
      if (st_we_a_i)  written[st_idx_a_i]  = 1'b1;
      if (st_we_b_i)  written[st_idx_b_i]  = 1'b1;
      if (su_we_a_i)  written[su_idx_a_i]  = 1'b1;
      if (su_we_b_i)  written[su_idx_b_i]  = 1'b1;
      if (ctx_we_i)   written[ctx_idx_i]   = 1'b1;
      if (mctx_we_i)  written[mctx_idx_i]  = 1'b1;
      if (cfg_we_i)   written[cfg_idx_i]   = 1'b1;
      if (slice_we_i) written[slice_idx_i] = 1'b1;
      if (wait_we_i)  written[wait_idx_i]  = 1'b1;
      if (acct_we_i)  written[acct_idx_i]  = 1'b1;
      if (exit_we_i)  written[exit_idx_i]  = 1'b1;
      if (fault_we_i) written[fault_idx_i] = 1'b1;
      // Which fields each port writes (the bind's port groups).
      fields[0]  = st_we_a_i | st_we_b_i;                  // state
      fields[1]  = ctx_we_i;                               // pc
      fields[2]  = cfg_we_i;                               // code_base
      fields[3]  = cfg_we_i;                               // code_size
      fields[4]  = ctx_we_i | mctx_we_i;                   // psw
      fields[5]  = ctx_we_i | mctx_we_i;                   // sp
      fields[6]  = cfg_we_i;                               // reg_base
      fields[7]  = cfg_we_i;                               // stack_limit
      fields[8]  = cfg_we_i;                               // stack_top
      fields[9]  = slice_we_i;                             // slice
      fields[10] = su_we_a_i | su_we_b_i;                  // slice_used
      fields[11] = wait_we_i;                              // wait
      fields[12] = wait_we_i;                              // dl_valid
      fields[13] = wait_we_i;                              // deadline
      fields[14] = acct_we_i;                              // accounted
      fields[15] = exit_we_i;                              // exit_code
      fields[16] = fault_we_i;                             // fault
    end
  end

  // The candidate of the previous edge stands unless that edge retired a step.
  assign confirmed = cand_q && (!retire_i || cand_noexempt_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cyc_q        <= '0;
      cand_q       <= 1'b0;
      cand_test_q  <= 1'b0;
      cand_noexempt_q <= 1'b0;
      viol_cycle_q <= '0;
      dirty_q      <= '1;
      dirty_field_q <= '1;
      enable_q     <= 1'b0;
      selftest_q   <= '0;
    end else begin
      // `cyc_q` counts rising edges since reset, as the simulator does: read at an edge,
      // it is the number of the previous edge, the one that set `cand_q`.
      cyc_q       <= cyc_q + 64'd1;
      if (any_we) begin
        dirty_q       <= dirty_q | written;
        dirty_field_q <= dirty_field_q | 32'(fields);
      end
      cand_q          <= watch && (change || selftest_q[0]);
      cand_test_q     <= watch && selftest_q[0];
      cand_noexempt_q <= watch && selftest_q[1];
      if (confirmed && viol_cycle_q == '0) viol_cycle_q <= cyc_q;
      if (confirmed && !retire_i && cand_test_q) selftest_q[0] <= 1'b0;
      if (retire_i && cand_noexempt_q) selftest_q[1] <= 1'b0;
    end
  end

endmodule
