// hsx_retire: the retire record (the retire port of docs/rtl-interface.md).
//
// Logs the core's data-RAM writes of the instruction in flight (at most two; the log is
// cleared while the core is in its step-start phase, scan_en) and registers the retire
// record at the commit edge from the core's commit outputs and that log — the write of
// the commit cycle included. The record is valid in the cycle after the commit (valid_o
// high for exactly that cycle), together with the post-rotate task table; its fields
// hold until the next commit.
//
// Pure bookkeeping: nothing in the machine reads it back, so the core's behaviour does
// not depend on it.

module hsx_retire (
  input  logic        clk_i,
  input  logic        rst_ni,

  // The core's data-RAM write port and step-start phase.
  input  logic        clear_i,          // step start: forget the previous step's writes
  input  logic        wr_i,
  input  logic [13:0] wr_word_i,
  input  logic [3:0]  wr_be_i,
  input  logic [31:0] wr_data_i,

  // The step that ends this cycle.
  input  logic                commit_i,
  input  logic [63:0]         steps_i,  // the scheduler's step count before this step
  input  logic [4:0]          pid_i,
  input  logic [15:0]         pc_i,
  input  logic [15:0]         next_pc_i,
  input  logic [1:0]          insn_len_i,  // 0: no instruction fetched (BAD_PC)
  input  logic [31:0]         insn_i,
  input  logic [31:0]         insn1_i,
  input  logic [3:0]          psw_i,
  input  logic [16:0]         sp_i,
  input  hsx_pkg::end_e       end_i,
  input  logic [31:0]         end_code_i,
  input  logic                trap_i,      // the step ends with its SVC trap taken

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

  // Writes of the instruction in flight.
  logic [1:0]  nwr_q, nwr_d;
  logic [15:0] wr0_addr_q, wr0_addr_d, wr1_addr_q, wr1_addr_d;
  logic [3:0]  wr0_be_q, wr0_be_d, wr1_be_q, wr1_be_d;
  logic [31:0] wr0_data_q, wr0_data_d, wr1_data_q, wr1_data_d;
  // Retire record registers.
  logic        rv_valid_q;
  logic [63:0] rv_step_q;
  logic [4:0]  rv_pid_q;
  logic [15:0] rv_pc_q, rv_npc_q;
  logic [1:0]  rv_len_q;
  logic [31:0] rv_insn0_q, rv_insn1_q;
  logic [1:0]  rv_nwr_q;
  logic [15:0] rv_wr0_addr_q, rv_wr1_addr_q;
  logic [3:0]  rv_wr0_be_q, rv_wr1_be_q;
  logic [31:0] rv_wr0_data_q, rv_wr1_data_q;
  logic [3:0]  rv_psw_q;
  logic [31:0] rv_sp_q;
  logic        rv_fault_q;
  logic [31:0] rv_fault_code_q;
  logic        rv_trap_q;
  logic [3:0]  rv_trap_mod_q;
  logic [7:0]  rv_trap_fn_q;

  // The write log of the instruction in flight (cleared at the step start).
  always_comb begin
    logic [1:0] n;
    n          = clear_i ? 2'd0 : nwr_q;
    nwr_d      = n;
    wr0_addr_d = clear_i ? 16'd0 : wr0_addr_q;
    wr0_be_d   = clear_i ? 4'd0  : wr0_be_q;
    wr0_data_d = clear_i ? 32'd0 : wr0_data_q;
    wr1_addr_d = clear_i ? 16'd0 : wr1_addr_q;
    wr1_be_d   = clear_i ? 4'd0  : wr1_be_q;
    wr1_data_d = clear_i ? 32'd0 : wr1_data_q;
    if (wr_i) begin
      if (n == 2'd0) begin
        wr0_addr_d = {wr_word_i, 2'b00};
        wr0_be_d   = wr_be_i;
        wr0_data_d = wr_data_i;
      end else begin
        wr1_addr_d = {wr_word_i, 2'b00};
        wr1_be_d   = wr_be_i;
        wr1_data_d = wr_data_i;
      end
      nwr_d = n + 2'd1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nwr_q      <= '0;
      wr0_addr_q <= '0;
      wr0_be_q   <= '0;
      wr0_data_q <= '0;
      wr1_addr_q <= '0;
      wr1_be_q   <= '0;
      wr1_data_q <= '0;
    end else begin
      nwr_q      <= nwr_d;
      wr0_addr_q <= wr0_addr_d;
      wr0_be_q   <= wr0_be_d;
      wr0_data_q <= wr0_data_d;
      wr1_addr_q <= wr1_addr_d;
      wr1_be_q   <= wr1_be_d;
      wr1_data_q <= wr1_data_d;
    end
  end

  // Retire record: registered at the commit edge, valid for exactly one cycle.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rv_valid_q <= 1'b0;
    end else begin
      rv_valid_q <= commit_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rv_step_q       <= '0;
      rv_pid_q        <= '0;
      rv_pc_q         <= '0;
      rv_npc_q        <= '0;
      rv_len_q        <= '0;
      rv_insn0_q      <= '0;
      rv_insn1_q      <= '0;
      rv_nwr_q        <= '0;
      rv_wr0_addr_q   <= '0;
      rv_wr0_be_q     <= '0;
      rv_wr0_data_q   <= '0;
      rv_wr1_addr_q   <= '0;
      rv_wr1_be_q     <= '0;
      rv_wr1_data_q   <= '0;
      rv_psw_q        <= '0;
      rv_sp_q         <= '0;
      rv_fault_q      <= 1'b0;
      rv_fault_code_q <= '0;
      rv_trap_q       <= 1'b0;
      rv_trap_mod_q   <= '0;
      rv_trap_fn_q    <= '0;
    end else if (commit_i) begin
      rv_step_q       <= steps_i + 64'd1;
      rv_pid_q        <= pid_i;
      rv_pc_q         <= pc_i;
      rv_npc_q        <= next_pc_i;
      rv_len_q        <= insn_len_i;
      rv_insn0_q      <= (insn_len_i == 2'd0) ? 32'd0 : insn_i;
      rv_insn1_q      <= insn1_i;
      rv_nwr_q        <= nwr_d;
      rv_wr0_addr_q   <= wr0_addr_d;
      rv_wr0_be_q     <= wr0_be_d;
      rv_wr0_data_q   <= wr0_data_d;
      rv_wr1_addr_q   <= wr1_addr_d;
      rv_wr1_be_q     <= wr1_be_d;
      rv_wr1_data_q   <= wr1_data_d;
      rv_psw_q        <= psw_i;
      rv_sp_q         <= {15'd0, sp_i};
      rv_fault_q      <= (end_i == hsx_pkg::EndFault);
      rv_fault_code_q <= (end_i == hsx_pkg::EndFault) ? end_code_i : 32'd0;
      rv_trap_q       <= trap_i;
      rv_trap_mod_q   <= trap_i ? insn_i[11:8] : 4'd0;
      rv_trap_fn_q    <= trap_i ? insn_i[7:0] : 8'd0;
    end
  end

  assign rvfi_valid_o      = rv_valid_q;
  assign rvfi_step_o       = rv_step_q;
  assign rvfi_pid_o        = rv_pid_q;
  assign rvfi_pc_o         = rv_pc_q;
  assign rvfi_next_pc_o    = rv_npc_q;
  assign rvfi_insn_len_o   = rv_len_q;
  assign rvfi_insn0_o      = rv_insn0_q;
  assign rvfi_insn1_o      = rv_insn1_q;
  assign rvfi_nwr_o        = rv_nwr_q;
  assign rvfi_wr0_addr_o   = rv_wr0_addr_q;
  assign rvfi_wr0_be_o     = rv_wr0_be_q;
  assign rvfi_wr0_data_o   = rv_wr0_data_q;
  assign rvfi_wr1_addr_o   = rv_wr1_addr_q;
  assign rvfi_wr1_be_o     = rv_wr1_be_q;
  assign rvfi_wr1_data_o   = rv_wr1_data_q;
  assign rvfi_psw_o        = rv_psw_q;
  assign rvfi_sp_o         = rv_sp_q;
  assign rvfi_fault_o      = rv_fault_q;
  assign rvfi_fault_code_o = rv_fault_code_q;
  assign rvfi_trap_o       = rv_trap_q;
  assign rvfi_trap_mod_o   = rv_trap_mod_q;
  assign rvfi_trap_fn_o    = rv_trap_fn_q;

endmodule
