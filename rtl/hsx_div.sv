// hsx_div: iterative signed divider of the HSX core (DIV, isa.md).
//
// Signed 32-bit division truncating toward zero: divides the magnitudes with a radix-2
// restoring divider, one quotient bit per cycle, and negates the quotient when the
// operand signs differ. 0x80000000 / -1 = 0x80000000 (wraps). The divisor is never zero
// here (the core raises DIV_ZERO instead of starting the unit).
//
// Timing: start_i in cycle t (operands valid only then); the unit iterates in cycles
// t+1 .. t+32, and in cycle t+32 done_o is high with result_o valid (combinational from
// the last iteration). Fixed, data-independent: 32 busy cycles.

module hsx_div (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,
  input  logic [31:0] a_i,       // dividend
  input  logic [31:0] b_i,       // divisor, != 0
  output logic        done_o,
  output logic [31:0] result_o
);

  logic        busy_q, busy_d;
  logic [4:0]  cnt_q, cnt_d;
  logic [31:0] rem_q, rem_d;     // partial remainder (< divisor)
  logic [31:0] quo_q, quo_d;     // dividend bits shifting out, quotient bits shifting in
  logic [31:0] dvs_q, dvs_d;     // |divisor|
  logic        neg_q, neg_d;     // negate the quotient

  logic [32:0] trial;
  logic        qbit;
  logic [31:0] rem_next, quo_next;

  // One restoring step: shift the next dividend bit into the remainder and subtract.
  assign trial    = {rem_q, quo_q[31]} - {1'b0, dvs_q};
  assign qbit     = ~trial[32];
  assign rem_next = qbit ? trial[31:0] : {rem_q[30:0], quo_q[31]};
  assign quo_next = {quo_q[30:0], qbit};

  assign done_o   = busy_q && (cnt_q == 5'd31);
  assign result_o = neg_q ? (32'd0 - quo_next) : quo_next;

  always_comb begin
    busy_d = busy_q;
    cnt_d  = cnt_q;
    rem_d  = rem_q;
    quo_d  = quo_q;
    dvs_d  = dvs_q;
    neg_d  = neg_q;
    if (start_i) begin
      busy_d = 1'b1;
      cnt_d  = 5'd0;
      rem_d  = 32'd0;
      quo_d  = a_i[31] ? (32'd0 - a_i) : a_i;
      dvs_d  = b_i[31] ? (32'd0 - b_i) : b_i;
      neg_d  = a_i[31] ^ b_i[31];
    end else if (busy_q) begin
      rem_d = rem_next;
      quo_d = quo_next;
      cnt_d = cnt_q + 5'd1;
      if (cnt_q == 5'd31) begin
        busy_d = 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      cnt_q  <= 5'd0;
      rem_q  <= 32'd0;
      quo_q  <= 32'd0;
      dvs_q  <= 32'd0;
      neg_q  <= 1'b0;
    end else begin
      busy_q <= busy_d;
      cnt_q  <= cnt_d;
      rem_q  <= rem_d;
      quo_q  <= quo_d;
      dvs_q  <= dvs_d;
      neg_q  <= neg_d;
    end
  end

endmodule
