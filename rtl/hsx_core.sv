// hsx_core: the multi-cycle HSX core and step sequencer.
//
// Executes one instruction of the current task per step, reading its operands from and
// writing its results to the data RAM at reg_base + 4n (there is no register file: a
// and b below are operand latches that live only while one instruction executes). The
// current task's record (pc, psw, sp, reg_base, stack bounds, code bounds) comes from the
// task table in hsx_sched; at the end of the step (commit) the core hands the scheduler
// the new pc/psw/sp and how the step ended, and the scheduler accounts and rotates in the
// same edge. hsx_retire (beside the core in hsx_top) registers the retire record at that
// edge from the commit outputs, insn_o/insn_len_o/insn1_o/retire_trap_o and the core's
// data-RAM writes, so it is valid in the cycle after the commit, with the post-rotate
// task table.
//
// Both RAMs are synchronous (a read issued in cycle t returns in cycle t+1), single-port;
// the host bus reaches them only while the core is parked (StBoundary, StTrap).
//
// Cycle counts per instruction class: docs/timing.md. State diagram: docs/rtl.md.

module hsx_core #(
  parameter int unsigned NTasks = 8
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // Run control and host-bus arbitration.
  input  logic        run_i,
  input  logic        hb_pending_i,     // a host-bus request waits to be served
  output logic        hb_allow_o,       // the host bus may use the RAMs / control regs now
  output logic        halted_o,
  output logic        idle_o,
  output logic        step_boundary_o,
  output logic        in_flight_o,
  output logic        timing_skip_o,

  // Data RAM port.
  output logic        dm_req_o,
  output logic        dm_we_o,
  output logic [13:0] dm_addr_o,
  output logic [3:0]  dm_be_o,
  output logic [31:0] dm_wdata_o,
  input  logic [31:0] dm_rdata_i,

  // Code RAM port (read only).
  output logic        cm_req_o,
  output logic [13:0] cm_addr_o,
  input  logic [31:0] cm_rdata_i,

  // Scheduler: the current record and the step-start scan.
  input  logic [4:0]  cur_i,
  input  logic        cur_running_i,
  input  logic [15:0] cur_pc_i,
  input  logic [3:0]  cur_psw_i,
  input  logic [16:0] cur_sp_i,
  input  logic [15:0] cur_reg_base_i,
  input  logic [16:0] cur_stack_limit_i,
  input  logic [16:0] cur_stack_top_i,
  input  logic [16:0] cur_code_base_i,
  input  logic [16:0] cur_code_size_i,
  input  logic        protect_i,
  input  logic [16:0] stack_region_lo_i,
  output logic        scan_en_o,
  input  logic        tmo_valid_i,
  input  logic [4:0]  tmo_pid_i,
  input  logic [15:0] tmo_pc_i,
  input  logic        any_ready_i,
  input  logic        any_deadline_i,
  output logic        pick_o,
  output logic        clear_cur_o,
  output logic        jump_o,

  // Commit to the scheduler.
  output logic             commit_o,
  output hsx_pkg::end_e    end_o,
  output logic [15:0]      new_pc_o,
  output logic [3:0]       new_psw_o,
  output logic [16:0]      new_sp_o,
  output logic [31:0]      end_code_o,

  // FPU.
  output logic        fpu_start_o,
  output hsx_isa_pkg::fpu_op_e fpu_op_o,
  output logic [31:0] fpu_a_o,
  output logic [31:0] fpu_b_o,
  input  logic        fpu_done_i,
  input  logic [31:0] fpu_result_i,

  // Trap handshake.
  output logic        trap_o,
  output logic [1:0]  trap_cause_o,
  output logic [4:0]  trap_pid_o,
  output logic [3:0]  trap_mod_o,
  output logic [7:0]  trap_fn_o,
  output logic [15:0] trap_pc_o,
  input  logic        trap_ack_i,       // registered by hsx_top: the ack of the previous cycle

  // For the retire record (hsx_retire, with the commit outputs and data-RAM writes).
  output logic [31:0] insn_o,           // the instruction word
  output logic [1:0]  insn_len_o,       // 0: none fetched (BAD_PC), 2: LDI32
  output logic [31:0] insn1_o,          // LDI32's literal
  output logic        retire_trap_o     // the step ends with its SVC trap taken
);

  // ----- State --------------------------------------------------------------------------

  hsx_pkg::core_st_e st_q, st_d;
  logic [31:0] ir_q, ir_d;          // instruction word
  logic [31:0] a_q, a_d;            // operand latch: R[rs1] (POP: the popped word)
  logic [31:0] b_q, b_d;            // operand latch: R[rs2]; loads: first word read
  logic [31:0] c_q, c_d;            // FP: old R[rd]
  logic        fpu_first_q, fpu_first_d;
  logic [15:0] ea_q, ea_d;          // effective data address of a load/store
  logic [15:0] npc_q, npc_d;        // CALL target
  logic [1:0]  trap_cause_q, trap_cause_d;
  logic [4:0]  trap_pid_q, trap_pid_d;
  logic [15:0] trap_pc_q, trap_pc_d;

  // ----- Decode (the word comes straight from code RAM in StDecode, from ir_q later) -

  // Typed controls only: no module but the decoder looks at the opcode byte.
  logic [31:0]          insn;
  hsx_isa_pkg::cls_e    cls;
  hsx_isa_pkg::alu_op_e alu_op;
  logic                 alu_we;     // the ALU result is written to rd (not CMP)
  hsx_isa_pkg::fpu_op_e fpu_op;
  logic                 fp_unary;
  hsx_isa_pkg::jump_e   jump;
  logic [3:0]           rd, rs1, rs2;
  logic [31:0]          simm;
  logic [11:0]          uimm;
  hsx_pkg::size_e       msize;

  assign insn = (st_q == hsx_pkg::StDecode) ? cm_rdata_i : ir_q;

  hsx_decoder u_decoder (
    .insn_i     (insn),
    .cls_o      (cls),
    .alu_op_o   (alu_op),
    .alu_we_o   (alu_we),
    .fpu_op_o   (fpu_op),
    .fp_unary_o (fp_unary),
    .jump_o     (jump),
    .size_o     (msize),
    .rd_o       (rd),
    .rs1_o      (rs1),
    .rs2_o      (rs2),
    .simm_o     (simm),
    .uimm_o     (uimm)
  );

  // ----- Datapath helpers ---------------------------------------------------------------

  // Word address of register n of the current task.
  // (reg_base is a window address, 4-aligned: its low two bits are not used.)
  function automatic logic [13:0] reg_word(input logic [13:0] base, input logic [3:0] n);
    reg_word = base + {10'd0, n};
  endfunction

  logic [15:0] pc4, pc8;
  logic [16:0] sp_m4, sp_p4;
  assign pc4   = cur_pc_i + 16'd4;
  assign pc8   = cur_pc_i + 16'd8;
  assign sp_m4 = cur_sp_i - 17'd4;
  assign sp_p4 = cur_sp_i + 17'd4;

  // Fetch address in code space (18 bits: a corrupt slot may point past 64 KiB).
  logic [17:0] fetch_a;
  assign fetch_a = {1'b0, cur_code_base_i} + {2'b00, cur_pc_i};

  logic bad_pc;        // fetch: pc unaligned, pc + 4 > code_size, or past code space
  logic bad_lit;       // LDI32: pc + 8 > code_size, or past code space
  assign bad_pc  = (cur_pc_i[1:0] != 2'b00) || ({1'b0, cur_pc_i} + 17'd4 > cur_code_size_i) ||
                   (fetch_a + 18'd4 > 18'h10000);
  assign bad_lit = ({1'b0, cur_pc_i} + 17'd8 > cur_code_size_i) || (fetch_a + 18'd8 > 18'h10000);

  logic [13:0] fetch_w, lit_w;     // code-RAM word addresses of the insn and LDI32's literal
  assign fetch_w = fetch_a[15:2];
  assign lit_w   = fetch_w + 14'd1;
  logic [3:0] unused_lo;
  assign unused_lo = {cur_reg_base_i[1:0], fetch_a[1:0]};  // aligned by construction
  logic [1:0] unused_fetch_hi;
  assign unused_fetch_hi = fetch_a[17:16];   // beyond 64 KiB is BAD_PC (bad_pc, bad_lit)

  // PUSH/CALL: SP - 4 < stack_limit (exact, no wrap).
  logic push_ovf;
  always_comb begin
    push_ovf = {1'b0, cur_sp_i} < ({1'b0, cur_stack_limit_i} + 18'd4);
  end
  logic pop_unf;       // POP/RET: SP + 4 > stack_top
  assign pop_unf = ({1'b0, cur_sp_i} + 18'd4) > {1'b0, cur_stack_top_i};
  // The stack word would run past 0xFFFF: MEM_FAULT after the guard (a corrupt slot only;
  // the executive never builds one).
  logic push_mem, pop_mem;
  assign push_mem = cur_sp_i > 17'h10000;
  assign pop_mem  = cur_sp_i > 17'h0FFFC;
  logic ret_top;       // RET at SP == stack_top: the task returns
  assign ret_top = (cur_sp_i == cur_stack_top_i);

  // ALU: a is the RAM output in StOpA (MOV/NOT) and a_q later; b the RAM output in StOpB.
  logic [31:0] alu_a, alu_b, alu_res;
  logic [3:0]  alu_psw;
  assign alu_a = (st_q == hsx_pkg::StOpA) ? dm_rdata_i : a_q;
  assign alu_b = (st_q == hsx_pkg::StOpB) ? dm_rdata_i : b_q;

  hsx_alu u_alu (
    .op_i     (alu_op),
    .a_i      (alu_a),
    .b_i      (alu_b),
    .psw_i    (cur_psw_i),
    .result_o (alu_res),
    .psw_o    (alu_psw)
  );

  // Divider.
  logic        div_start, div_done;
  logic [31:0] div_res;
  hsx_div u_div (
    .clk_i,
    .rst_ni,
    .start_i  (div_start),
    .a_i      (a_q),
    .b_i      (dm_rdata_i),
    .done_o   (div_done),
    .result_o (div_res)
  );

  // Load/store unit: address from R[rs1] + simm in StOpA, from ea_q afterwards.
  logic [15:0] lsu_addr;
  logic [31:0] lsu_sval;
  logic        lsu_mem_fault, lsu_acc_fault, lsu_two;
  logic [13:0] lsu_w0, lsu_w1;
  logic [3:0]  lsu_be0, lsu_be1;
  logic [31:0] lsu_wd0, lsu_wd1, lsu_load;
  logic [15:0] ea_full;            // (R[rs1] + simm) & 0xFFFF
  assign ea_full  = dm_rdata_i[15:0] + simm[15:0];
  assign lsu_addr = (st_q == hsx_pkg::StOpA) ? ea_full : ea_q;
  assign lsu_sval = (st_q == hsx_pkg::StOpB) ? dm_rdata_i : b_q;

  hsx_lsu #(.NTasks(NTasks)) u_lsu (
    .addr_i            (lsu_addr),
    .size_i            (msize),
    .protect_i         (protect_i),
    .stack_region_lo_i (stack_region_lo_i),
    .stack_limit_i     (cur_stack_limit_i),
    .stack_top_i       (cur_stack_top_i),
    .store_val_i       (lsu_sval),
    .rword0_i          ((st_q == hsx_pkg::StMem0) ? dm_rdata_i : b_q),
    .rword1_i          (dm_rdata_i),
    .mem_fault_o       (lsu_mem_fault),
    .acc_fault_o       (lsu_acc_fault),
    .two_o             (lsu_two),
    .word0_o           (lsu_w0),
    .word1_o           (lsu_w1),
    .be0_o             (lsu_be0),
    .be1_o             (lsu_be1),
    .wd0_o             (lsu_wd0),
    .wd1_o             (lsu_wd1),
    .load_o            (lsu_load)
  );

  // FP result merged into rd: FADD..I2F keep R[rd][31:16]; F2I writes the whole word.
  logic [15:0] fp_old_hi;
  logic [31:0] fp_res, fp_merged;
  assign fp_old_hi = fpu_first_q ? dm_rdata_i[31:16] : c_q[31:16];
  always_comb begin
    fp_res = fpu_result_i;
  end
  assign fp_merged = (fpu_op == hsx_isa_pkg::FpuF2i) ? fp_res : {fp_old_hi, fp_res[15:0]};

  // ----- Control ------------------------------------------------------------------------

  logic go;           // StBoundary: a step starts this cycle
  logic any_work;
  logic stale_cur;    // `current` names a task that is no longer RUNNING

  assign any_work  = tmo_valid_i || cur_running_i || any_ready_i || any_deadline_i;
  assign stale_cur = (cur_i != 5'd0) && !cur_running_i;
  assign go        = (st_q == hsx_pkg::StBoundary) && run_i && !hb_pending_i;
  assign scan_en_o = (st_q == hsx_pkg::StBoundary) || (st_q == hsx_pkg::StStart);

  // run_i is the only input used without a register (so that the host can stop exactly
  // at the boundary it sees): it only holds the state register at StBoundary.
  logic hold;
  hsx_pkg::core_st_e st_next;
  assign hold    = (st_q == hsx_pkg::StBoundary) && !run_i;
  assign st_next = hold ? hsx_pkg::StBoundary : st_d;

  assign hb_allow_o      = (st_q == hsx_pkg::StBoundary) ||
                           (st_q == hsx_pkg::StTrap && !trap_ack_i);
  assign halted_o        = (st_q == hsx_pkg::StBoundary) && !run_i;
  assign idle_o          = (st_q == hsx_pkg::StBoundary) && !any_work && !stale_cur;
  assign step_boundary_o = (st_q == hsx_pkg::StBoundary);
  // An instruction is in flight from the cycle after its fetch to its commit cycle
  // (an SVC's trap included); the step-start phase (StStart, TIMEOUT traps) is not.
  assign in_flight_o     = !((st_q == hsx_pkg::StBoundary) || (st_q == hsx_pkg::StStart) ||
                             (st_q == hsx_pkg::StTrap && trap_cause_q == hsx_isa_pkg::TrapTimeout));
  // (a StStart cycle without work only clears a stale `current`: no step starts.)
  assign timing_skip_o   = (st_q == hsx_pkg::StTrap) ||
                           ((st_q == hsx_pkg::StBoundary) && !(go && any_work)) ||
                           ((st_q == hsx_pkg::StStart) && !any_work);

  // Per-cycle outputs of the control block.
  logic        wr;                 // a core write to data RAM this cycle
  logic [13:0] wr_word;
  logic [3:0]  wr_be;
  logic [31:0] wr_data;
  logic        rd_req;             // a core read of data RAM this cycle
  logic [13:0] rd_word;
  logic        commit;
  hsx_pkg::end_e end_kind;
  logic [15:0] new_pc;
  logic [3:0]  new_psw;
  logic [16:0] new_sp;
  logic [31:0] end_code;
  logic [1:0]  insn_len;
  logic [31:0] insn1;
  logic        rv_trap;

  // Fault: R0 <- code, nothing else of the instruction happens, pc stays.
  task automatic fault(input logic [31:0] code);
    wr       = 1'b1;
    wr_word  = reg_word(cur_reg_base_i[15:2], 4'd0);
    wr_be    = 4'hF;
    wr_data  = code;
    commit   = 1'b1;
    end_kind = hsx_pkg::EndFault;
    end_code = code;
    new_pc   = cur_pc_i;
    new_psw  = cur_psw_i;
    new_sp   = cur_sp_i;
  endtask

  // Write register n.
  task automatic wreg(input logic [3:0] n, input logic [31:0] v);
    wr      = 1'b1;
    wr_word = reg_word(cur_reg_base_i[15:2], n);
    wr_be   = 4'hF;
    wr_data = v;
  endtask

  // Read register n (arrives next cycle).
  task automatic rreg(input logic [3:0] n);
    rd_req  = 1'b1;
    rd_word = reg_word(cur_reg_base_i[15:2], n);
  endtask

  task automatic done(input logic [15:0] npc);
    commit = 1'b1;
    new_pc = npc;
  endtask

  always_comb begin
    st_d         = st_q;
    ir_d         = ir_q;
    a_d          = a_q;
    b_d          = b_q;
    c_d          = c_q;
    fpu_first_d  = 1'b0;
    ea_d         = ea_q;
    npc_d        = npc_q;
    trap_cause_d = trap_cause_q;
    trap_pid_d   = trap_pid_q;
    trap_pc_d    = trap_pc_q;

    wr       = 1'b0;  wr_word = '0;  wr_be = '0;  wr_data = '0;
    rd_req   = 1'b0;  rd_word = '0;
    cm_req_o = 1'b0;  cm_addr_o = fetch_w;
    commit   = 1'b0;
    end_kind = hsx_pkg::EndNormal;
    new_pc   = pc4;
    new_psw  = cur_psw_i;
    new_sp   = cur_sp_i;
    end_code = '0;
    insn_len = 2'd1;
    insn1    = '0;
    rv_trap  = 1'b0;
    pick_o   = 1'b0;
    jump_o   = 1'b0;
    clear_cur_o = 1'b0;
    div_start   = 1'b0;
    fpu_start_o = 1'b0;
    fpu_a_o     = a_q;
    fpu_b_o     = dm_rdata_i;

    unique case (st_q)
      // ----- step boundary: the common case (the current task continues, no timeout)
      // fetches at once; anything else goes through StStart. All of this is undone by
      // `hold` (run_i low: nothing but a harmless code-RAM read happens). -----
      hsx_pkg::StBoundary: begin
        if (!hb_pending_i) begin
          if (!tmo_valid_i && cur_running_i && !bad_pc) begin
            cm_req_o = 1'b1;
            st_d     = hsx_pkg::StDecode;
          end else if (any_work || stale_cur) begin
            st_d = hsx_pkg::StStart;
          end
        end
      end

      // ----- step start: timeouts, BAD_PC, pick, idle jump, fetch -----
      hsx_pkg::StStart: begin
        begin
          if (tmo_valid_i) begin
            st_d         = hsx_pkg::StTrap;
            trap_cause_d = hsx_isa_pkg::TrapTimeout;
            trap_pid_d   = tmo_pid_i;
            trap_pc_d    = tmo_pc_i;
          end else if (cur_running_i) begin
            if (bad_pc) begin
              insn_len = 2'd0;
              fault(hsx_isa_pkg::FaultBadPc);
              st_d = hsx_pkg::StBoundary;
            end else begin
              cm_req_o = 1'b1;
              st_d     = hsx_pkg::StDecode;
            end
          end else if (any_ready_i) begin
            pick_o      = 1'b1;
            clear_cur_o = 1'b1;
            st_d        = hsx_pkg::StStart;
          end else if (any_deadline_i) begin
            jump_o      = 1'b1;
            clear_cur_o = 1'b1;
            st_d        = hsx_pkg::StStart;
          end else begin
            clear_cur_o = 1'b1;             // quiescent
            st_d        = hsx_pkg::StBoundary;
          end
        end
      end

      // ----- the instruction word arrives -----
      hsx_pkg::StDecode: begin
        ir_d = cm_rdata_i;
        unique case (cls)
          hsx_isa_pkg::ClsIllegal: fault(hsx_isa_pkg::FaultIllegal);
          hsx_isa_pkg::ClsLdi: begin
            wreg(rd, simm);
            done(pc4);
          end
          hsx_isa_pkg::ClsLdi32: begin
            if (bad_lit) begin
              fault(hsx_isa_pkg::FaultBadPc);
            end else begin
              cm_req_o  = 1'b1;
              cm_addr_o = lit_w;
              st_d      = hsx_pkg::StLit;
            end
          end
          hsx_isa_pkg::ClsJump: begin
            unique case (jump)
              hsx_isa_pkg::JumpJmp: done({4'd0, uimm});
              hsx_isa_pkg::JumpJz:  done(cur_psw_i[hsx_isa_pkg::PswZ] ? {4'd0, uimm} : pc4);
              hsx_isa_pkg::JumpJnz: done(cur_psw_i[hsx_isa_pkg::PswZ] ? pc4 : {4'd0, uimm});
              default:              done(pc4);   // not a jump_e value (unreachable)
            endcase
          end
          hsx_isa_pkg::ClsBrk: begin
            done(pc4);
            end_kind = hsx_pkg::EndBrk;
          end
          hsx_isa_pkg::ClsSvc: begin
            st_d         = hsx_pkg::StTrap;
            trap_cause_d = hsx_isa_pkg::TrapSvc;
            trap_pid_d   = cur_i;
            trap_pc_d    = cur_pc_i;
          end
          hsx_isa_pkg::ClsRet: begin
            if (ret_top) begin
              rreg(4'd0);                       // exit status R0
              st_d = hsx_pkg::StOpA;
            end else if (pop_unf) begin
              fault(hsx_isa_pkg::FaultStackUnderflow);
            end else if (pop_mem) begin
              fault(hsx_isa_pkg::FaultMemFault);
            end else begin
              rd_req  = 1'b1;
              rd_word = cur_sp_i[15:2];         // M32[SP]
              st_d    = hsx_pkg::StOpA;
            end
          end
          hsx_isa_pkg::ClsPop: begin
            if (pop_unf) begin
              fault(hsx_isa_pkg::FaultStackUnderflow);
            end else if (pop_mem) begin
              fault(hsx_isa_pkg::FaultMemFault);
            end else begin
              rd_req  = 1'b1;
              rd_word = cur_sp_i[15:2];
              st_d    = hsx_pkg::StOpA;
            end
          end
          hsx_isa_pkg::ClsPush, hsx_isa_pkg::ClsCall: begin
            if (push_ovf) begin
              fault(hsx_isa_pkg::FaultStackOverflow);
            end else if (push_mem) begin
              fault(hsx_isa_pkg::FaultMemFault);
            end else begin
              rreg(rs1);
              st_d = hsx_pkg::StOpA;
            end
          end
          hsx_isa_pkg::ClsAluR, hsx_isa_pkg::ClsAluRr, hsx_isa_pkg::ClsDiv,
          hsx_isa_pkg::ClsLoad, hsx_isa_pkg::ClsStore, hsx_isa_pkg::ClsFp: begin
            rreg(rs1);
            st_d = hsx_pkg::StOpA;
          end
          default: fault(hsx_isa_pkg::FaultIllegal);
        endcase
      end

      // ----- first data read arrives -----
      hsx_pkg::StOpA: begin
        a_d = dm_rdata_i;
        unique case (cls)
          hsx_isa_pkg::ClsAluR: begin             // MOV, NOT
            wreg(rd, alu_res);
            new_psw = alu_psw;
            done(pc4);
          end
          hsx_isa_pkg::ClsAluRr, hsx_isa_pkg::ClsDiv: begin
            rreg(rs2);
            st_d = hsx_pkg::StOpB;
          end
          hsx_isa_pkg::ClsFp: begin
            if (fp_unary) begin                 // I2F, F2I: start now, read old rd
              fpu_start_o = 1'b1;
              fpu_a_o     = dm_rdata_i;
              rreg(rd);
              fpu_first_d = 1'b1;
              st_d        = hsx_pkg::StFpu;
            end else begin
              rreg(rs2);
              st_d = hsx_pkg::StOpB;
            end
          end
          hsx_isa_pkg::ClsLoad: begin
            ea_d = ea_full;
            if (lsu_mem_fault) begin
              fault(hsx_isa_pkg::FaultMemFault);
            end else if (lsu_acc_fault) begin
              fault(hsx_isa_pkg::FaultAccessViolation);
            end else begin
              rd_req  = 1'b1;
              rd_word = lsu_w0;
              st_d    = hsx_pkg::StMem0;
            end
          end
          hsx_isa_pkg::ClsStore: begin
            ea_d = ea_full;
            if (lsu_mem_fault) begin
              fault(hsx_isa_pkg::FaultMemFault);
            end else if (lsu_acc_fault) begin
              fault(hsx_isa_pkg::FaultAccessViolation);
            end else begin
              rreg(rs2);
              st_d = hsx_pkg::StOpB;
            end
          end
          hsx_isa_pkg::ClsPush: begin                // M32[SP - 4] <- R[rs1]
            wr      = 1'b1;
            wr_word = sp_m4[15:2];
            wr_be   = 4'hF;
            wr_data = dm_rdata_i;
            st_d    = hsx_pkg::StWr2;
          end
          hsx_isa_pkg::ClsCall: begin                // push PC + 4, target from base
            logic [15:0] base;
            base    = (rs1 != 4'd0) ? dm_rdata_i[15:0] : cur_pc_i;
            npc_d   = base + {simm[13:0], 2'b00};     // (base + (simm << 2)) & 0xFFFF
            wr      = 1'b1;
            wr_word = sp_m4[15:2];
            wr_be   = 4'hF;
            wr_data = {16'd0, pc4};
            st_d    = hsx_pkg::StWr2;
          end
          hsx_isa_pkg::ClsPop: begin                 // v <- M32[SP]; R15 <- SP + 4
            wreg(4'd15, {15'd0, sp_p4});
            st_d = hsx_pkg::StWr2;
          end
          hsx_isa_pkg::ClsRet: begin
            if (ret_top) begin
              done(cur_pc_i);
              end_kind = hsx_pkg::EndReturn;
              end_code = dm_rdata_i;
            end else begin
              wreg(4'd15, {15'd0, sp_p4});
              done(dm_rdata_i[15:0]);
              new_sp = sp_p4;
            end
          end
          hsx_isa_pkg::ClsIllegal, hsx_isa_pkg::ClsLdi, hsx_isa_pkg::ClsLdi32,
          hsx_isa_pkg::ClsJump, hsx_isa_pkg::ClsSvc, hsx_isa_pkg::ClsBrk: begin
            fault(hsx_isa_pkg::FaultIllegal);   // unreachable: finished in StDecode
          end
          default: fault(hsx_isa_pkg::FaultIllegal);
        endcase
      end

      // ----- second data read arrives (R[rs2]) -----
      hsx_pkg::StOpB: begin
        b_d = dm_rdata_i;
        unique case (cls)
          hsx_isa_pkg::ClsAluRr: begin
            if (alu_we) begin
              wreg(rd, alu_res);
            end
            new_psw = alu_psw;
            done(pc4);
          end
          hsx_isa_pkg::ClsDiv: begin
            if (dm_rdata_i == 32'd0) begin
              fault(hsx_isa_pkg::FaultDivZero);
            end else begin
              div_start = 1'b1;
              st_d      = hsx_pkg::StDiv;
            end
          end
          hsx_isa_pkg::ClsStore: begin
            wr      = 1'b1;
            wr_word = lsu_w0;
            wr_be   = lsu_be0;
            wr_data = lsu_wd0;
            if (lsu_two) begin
              st_d = hsx_pkg::StMem1;
            end else begin
              done(pc4);
            end
          end
          hsx_isa_pkg::ClsFp: begin                  // FADD FSUB FMUL FDIV
            fpu_start_o = 1'b1;
            fpu_a_o     = a_q;
            fpu_b_o     = dm_rdata_i;
            rreg(rd);
            fpu_first_d = 1'b1;
            st_d        = hsx_pkg::StFpu;
          end
          hsx_isa_pkg::ClsIllegal, hsx_isa_pkg::ClsLdi, hsx_isa_pkg::ClsLdi32,
          hsx_isa_pkg::ClsAluR, hsx_isa_pkg::ClsLoad, hsx_isa_pkg::ClsJump, hsx_isa_pkg::ClsCall,
          hsx_isa_pkg::ClsRet, hsx_isa_pkg::ClsPush, hsx_isa_pkg::ClsPop, hsx_isa_pkg::ClsSvc,
          hsx_isa_pkg::ClsBrk: begin
            fault(hsx_isa_pkg::FaultIllegal);   // unreachable
          end
          default: fault(hsx_isa_pkg::FaultIllegal);
        endcase
      end

      // ----- load: first word arrives -----
      hsx_pkg::StMem0: begin
        b_d = dm_rdata_i;
        if (lsu_two) begin
          rd_req  = 1'b1;
          rd_word = lsu_w1;
          st_d    = hsx_pkg::StMem1;
        end else begin
          wreg(rd, lsu_load);
          done(pc4);
        end
      end

      // ----- load: second word arrives / store: second word -----
      hsx_pkg::StMem1: begin
        if (cls == hsx_isa_pkg::ClsStore) begin
          wr      = 1'b1;
          wr_word = lsu_w1;
          wr_be   = lsu_be1;
          wr_data = lsu_wd1;
        end else begin
          wreg(rd, lsu_load);
        end
        done(pc4);
      end

      // ----- second write: PUSH/CALL R15, POP rd -----
      hsx_pkg::StWr2: begin
        if (cls == hsx_isa_pkg::ClsPop) begin
          wreg(rd, a_q);
          new_sp = sp_p4;
          done(pc4);
        end else begin
          wreg(4'd15, {15'd0, sp_m4});
          new_sp = sp_m4;
          done((cls == hsx_isa_pkg::ClsCall) ? npc_q : pc4);
        end
      end

      // ----- DIV -----
      hsx_pkg::StDiv: begin
        if (div_done) begin
          wreg(rd, div_res);
          new_psw = {1'b0, div_res[31], 1'b0, (div_res == 32'd0)};  // V N C Z
          done(pc4);
        end
      end

      // ----- FP: wait for the FPU -----
      hsx_pkg::StFpu: begin
        if (fpu_first_q) begin
          c_d = dm_rdata_i;
        end
        if (fpu_done_i) begin
          wreg(rd, fp_merged);
          done(pc4);
        end
      end

      // ----- LDI32: the literal arrives -----
      hsx_pkg::StLit: begin
        insn_len = 2'd2;
        insn1    = cm_rdata_i;
        wreg(rd, cm_rdata_i);
        done(pc8);
      end

      // ----- trap pending -----
      hsx_pkg::StTrap: begin
        if (trap_ack_i) begin
          if (trap_cause_q == hsx_isa_pkg::TrapSvc) begin
            done(pc4);
            end_kind = hsx_pkg::EndSvc;
            rv_trap  = 1'b1;
          end else begin
            st_d = hsx_pkg::StStart;
          end
        end
      end

      default: st_d = hsx_pkg::StBoundary;
    endcase

    if (commit) begin
      st_d = hsx_pkg::StBoundary;
    end
  end

  // ----- RAM port, commit and what the retire record takes ------------------------------

  assign dm_req_o   = wr || rd_req;
  assign dm_we_o    = wr;
  assign dm_addr_o  = wr ? wr_word : rd_word;
  assign dm_be_o    = wr_be;
  assign dm_wdata_o = wr_data;

  assign fpu_op_o   = fpu_op;

  assign commit_o   = commit;
  assign end_o      = end_kind;
  assign new_pc_o   = new_pc;
  assign new_psw_o  = new_psw;
  assign new_sp_o   = new_sp;
  assign end_code_o = end_code;

  assign insn_o        = insn;
  assign insn_len_o    = insn_len;
  assign insn1_o       = insn1;
  assign retire_trap_o = rv_trap;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q         <= hsx_pkg::StBoundary;
      ir_q         <= '0;
      a_q          <= '0;
      b_q          <= '0;
      c_q          <= '0;
      fpu_first_q  <= 1'b0;
      ea_q         <= '0;
      npc_q        <= '0;
      trap_cause_q <= hsx_isa_pkg::TrapNone;
      trap_pid_q   <= '0;
      trap_pc_q    <= '0;
    end else begin
      st_q         <= st_next;
      ir_q         <= ir_d;
      a_q          <= a_d;
      b_q          <= b_d;
      c_q          <= c_d;
      fpu_first_q  <= fpu_first_d;
      ea_q         <= ea_d;
      npc_q        <= npc_d;
      trap_cause_q <= trap_cause_d;
      trap_pid_q   <= trap_pid_d;
      trap_pc_q    <= trap_pc_d;
    end
  end

  // trap_o drops in the cycle the (registered) acknowledge is acted on.
  assign trap_o       = (st_q == hsx_pkg::StTrap) && !trap_ack_i;
  assign trap_cause_o = (st_q == hsx_pkg::StTrap) ? trap_cause_q : hsx_isa_pkg::TrapNone;
  assign trap_pid_o   = trap_pid_q;
  assign trap_mod_o   = (trap_cause_q == hsx_isa_pkg::TrapSvc) ? ir_q[11:8] : 4'd0;
  assign trap_fn_o    = (trap_cause_q == hsx_isa_pkg::TrapSvc) ? ir_q[7:0] : 8'd0;
  assign trap_pc_o    = trap_pc_q;

endmodule
