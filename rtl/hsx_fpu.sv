// hsx_fpu: IEEE 754 binary16 floating-point unit of the HSX core.
//
// Implements FADD, FSUB, FMUL, FDIV, I2F and F2I exactly as isa.md "Binary16 arithmetic"
// specifies: round to nearest, ties to even, of the exact result; overflow to +-inf;
// gradual underflow (subnormals in and out); every NaN result is the canonical 0x7E00;
// FDIV replaces a divisor of +-0 by +inf; I2F rounds a signed int32; F2I truncates toward
// zero with NaN -> 0, +inf -> 0x7FFFFFFF, -inf -> 0x80000000.
//
// Interface
//   start_i  one-cycle pulse; op_i, a_i and b_i are valid only in that cycle
//   op_i     hsx_isa_pkg::fpu_op_e: 0 FADD, 1 FSUB, 2 FMUL, 3 FDIV, 4 I2F, 5 F2I (6, 7: result 0)
//   a_i/b_i  binary16 in [15:0] (a_i is an int32 for I2F; b_i unused by I2F/F2I)
//   done_o   one-cycle pulse when result_o is valid
//   result_o binary16 in [15:0] with [31:16] = 0 (an int32 for F2I); holds its value
//            until the cycle after the next start_i
//
// Latency (cycles from the start_i cycle to the done_o cycle), fixed and data-independent:
//
//   | op   | latency |
//   |------|---------|
//   | FADD | 1       |
//   | FSUB | 1       |
//   | FMUL | 1       |
//   | FDIV | 1       |
//   | I2F  | 1       |
//   | F2I  | 1       |
//
// A new start_i may come in the very cycle done_o is high (back-to-back issue).
//
// Architecture (docs/fpu.md): the operands are decoded combinationally in the start cycle,
// each operation forms an exact (or exact-plus-sticky) unsigned significand R with a
// binary exponent X (value = R * 2^X), one shared normaliser and one shared
// round-to-nearest-even/pack stage produce the binary16 result, and the result register
// captures it at the end of the start cycle. FDIV uses a combinational 15-step restoring
// divider on the normalised 11-bit significands. Every unit is operand-isolated: it
// computes only in the start cycle of its own operation (outputs 0 otherwise), which also
// lets Verilator skip the whole datapath on the (many) cycles without a start.
//
// Reset: asynchronous, active low; resets done_o to 0 and result_o to 0.
// Verification: rtl/tb/fpu/run.sh (Verilator testbench against GCC _Float16).

module hsx_fpu (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,
  input  hsx_isa_pkg::fpu_op_e op_i,   // one member per FP row of the ISA table
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic        done_o,
  output logic [31:0] result_o
);

  localparam logic [14:0] MagInf = 15'h7C00;  // exponent all ones, fraction 0
  localparam logic [15:0] QNaN   = 16'h7E00;  // the canonical NaN

  // ---------------------------------------------------------------------------------------
  // Operand decode
  // ---------------------------------------------------------------------------------------

  logic [15:0] fa, fb;  // binary16 operands as the operation sees them

  // Operand isolation: each unit sees its operands only in the start cycle of its own
  // operation and computes nothing otherwise (the enables also let Verilator skip the
  // datapath on idle cycles).
  logic en_any, en_add, en_mul, en_div, en_i2f, en_f2i;

  always_comb begin
    en_any = start_i;
    en_add = start_i && (op_i == hsx_isa_pkg::FpuFadd || op_i == hsx_isa_pkg::FpuFsub);
    en_mul = start_i && (op_i == hsx_isa_pkg::FpuFmul);
    en_div = start_i && (op_i == hsx_isa_pkg::FpuFdiv);
    en_i2f = start_i && (op_i == hsx_isa_pkg::FpuI2f);
    en_f2i = start_i && (op_i == hsx_isa_pkg::FpuF2i);
  end

  always_comb begin
    fa = 16'd0;
    fb = 16'd0;
    if (en_any) begin
      fa = a_i[15:0];
      fb = b_i[15:0];
      if (op_i == hsx_isa_pkg::FpuFsub) begin
        fb[15] = ~b_i[15];                           // a - b = a + (-b)
      end
      if (op_i == hsx_isa_pkg::FpuFdiv && b_i[14:0] == 15'd0) begin
        fb = {1'b0, MagInf};                         // divisor +-0 becomes +inf
      end
    end
  end

  // Classification and unpacking: value = m * 2^(ee - 25) with ee = max(exponent, 1).
  logic        a_nan, a_inf, a_zero, b_nan, b_inf, b_zero;
  logic [10:0] a_m, b_m;
  logic [4:0]  a_ee, b_ee;

  always_comb begin
    a_nan  = (fa[14:10] == 5'h1F) && (fa[9:0] != 10'd0);
    a_inf  = (fa[14:10] == 5'h1F) && (fa[9:0] == 10'd0);
    a_zero = (fa[14:0] == 15'd0);
    b_nan  = (fb[14:10] == 5'h1F) && (fb[9:0] != 10'd0);
    b_inf  = (fb[14:10] == 5'h1F) && (fb[9:0] == 10'd0);
    b_zero = (fb[14:0] == 15'd0);
    a_m    = {(fa[14:10] != 5'd0), fa[9:0]};
    b_m    = {(fb[14:10] != 5'd0), fb[9:0]};
    a_ee   = (fa[14:10] == 5'd0) ? 5'd1 : fa[14:10];
    b_ee   = (fb[14:10] == 5'd0) ? 5'd1 : fb[14:10];
  end

  // ---------------------------------------------------------------------------------------
  // FADD / FSUB: align the smaller magnitude to the larger one.
  //   big = {m, 14 zero bits}; small = {m, 13 zero bits} >> d, then one dedicated sticky bit.
  //   Exact for d <= 13; beyond, the sticky bit keeps the rounding of the exact sum.
  //   value = sum * 2^(ee_big - 25 - 14)
  // ---------------------------------------------------------------------------------------

  logic        add_swap, add_eff_sub, add_sign, add_big_s, add_sml_s;
  logic [10:0] add_big_m, add_sml_m;
  logic [4:0]  add_big_ee, add_sml_ee, add_d;
  logic [55:0] add_align;
  logic [24:0] add_big_ext, add_sml_ext;
  logic [25:0] add_sum;
  logic [9:0]  add_x;

  always_comb begin
    add_swap    = 1'b0;
    add_big_s   = 1'b0;
    add_sml_s   = 1'b0;
    add_big_m   = 11'd0;
    add_sml_m   = 11'd0;
    add_big_ee  = 5'd0;
    add_sml_ee  = 5'd0;
    add_d       = 5'd0;
    add_eff_sub = 1'b0;
    add_align   = 56'd0;
    add_big_ext = 25'd0;
    add_sml_ext = 25'd0;
    add_sum     = 26'd0;
    add_x       = 10'd0;
    add_sign    = 1'b0;
    if (en_add) begin
      add_swap    = (fb[14:0] > fa[14:0]);
      add_big_s   = add_swap ? fb[15] : fa[15];
      add_sml_s   = add_swap ? fa[15] : fb[15];
      add_big_m   = add_swap ? b_m : a_m;
      add_sml_m   = add_swap ? a_m : b_m;
      add_big_ee  = add_swap ? b_ee : a_ee;
      add_sml_ee  = add_swap ? a_ee : b_ee;
      add_d       = add_big_ee - add_sml_ee;
      add_eff_sub = add_big_s ^ add_sml_s;
      add_align   = {add_sml_m, 13'd0, 32'd0} >> add_d;
      add_big_ext = {add_big_m, 14'd0};
      add_sml_ext = {add_align[55:32], (add_align[31:0] != 32'd0)};
      add_sum     = add_eff_sub ? ({1'b0, add_big_ext} - {1'b0, add_sml_ext})
                                : ({1'b0, add_big_ext} + {1'b0, add_sml_ext});
      add_x       = {5'd0, add_big_ee} - 10'd39;
      // Exact zero: x + (-x) is +0; (-0) + (-0) is -0.
      add_sign    = (add_sum == 26'd0) ? (add_big_s & ~add_eff_sub) : add_big_s;
    end
  end

  // ---------------------------------------------------------------------------------------
  // FMUL: exact 22-bit product; value = prod * 2^(ee_a + ee_b - 50)
  // ---------------------------------------------------------------------------------------

  logic [21:0] mul_prod;
  logic [9:0]  mul_x;

  always_comb begin
    mul_prod = 22'd0;
    mul_x    = 10'd0;
    if (en_mul) begin
      mul_prod = {11'd0, a_m} * {11'd0, b_m};
      mul_x    = {5'd0, a_ee} + {5'd0, b_ee} - 10'd50;
    end
  end

  // ---------------------------------------------------------------------------------------
  // FDIV: normalise both significands to [1024, 2047], then a 15-step restoring division
  //   q = floor(a_n * 2^14 / b_n) in [2^13, 2^15), sticky = remainder != 0;
  //   value = (q + frac) * 2^((ee_a - lz_a) - (ee_b - lz_b) - 14)
  // ---------------------------------------------------------------------------------------

  logic [15:0] div_an_v, div_bn_v;
  logic [3:0]  div_lz_a, div_lz_b;
  logic [11:0] div_rem;
  logic [14:0] div_q;
  logic [9:0]  div_x;

  always_comb begin
    div_an_v = 16'd0;
    div_bn_v = 16'd0;
    div_lz_a = 4'd0;
    div_lz_b = 4'd0;
    div_rem  = 12'd0;
    div_q    = 15'd0;
    div_x    = 10'd0;
    if (en_div) begin
      // Leading-zero normalisation of the 11-bit significands (left-aligned in 16 bits).
      div_an_v = {a_m, 5'd0};
      div_lz_a = 4'd0;
      if (div_an_v[15:8] == 8'd0) begin
        div_an_v = div_an_v << 8;
        div_lz_a = div_lz_a + 4'd8;
      end
      if (div_an_v[15:12] == 4'd0) begin
        div_an_v = div_an_v << 4;
        div_lz_a = div_lz_a + 4'd4;
      end
      if (div_an_v[15:14] == 2'd0) begin
        div_an_v = div_an_v << 2;
        div_lz_a = div_lz_a + 4'd2;
      end
      if (div_an_v[15] == 1'b0) begin
        div_an_v = div_an_v << 1;
        div_lz_a = div_lz_a + 4'd1;
      end
      div_bn_v = {b_m, 5'd0};
      div_lz_b = 4'd0;
      if (div_bn_v[15:8] == 8'd0) begin
        div_bn_v = div_bn_v << 8;
        div_lz_b = div_lz_b + 4'd8;
      end
      if (div_bn_v[15:12] == 4'd0) begin
        div_bn_v = div_bn_v << 4;
        div_lz_b = div_lz_b + 4'd4;
      end
      if (div_bn_v[15:14] == 2'd0) begin
        div_bn_v = div_bn_v << 2;
        div_lz_b = div_lz_b + 4'd2;
      end
      if (div_bn_v[15] == 1'b0) begin
        div_bn_v = div_bn_v << 1;
        div_lz_b = div_lz_b + 4'd1;
      end

      // Restoring division, one quotient bit per step (MSB first).
      div_rem = {1'b0, div_an_v[15:5]};
      div_q   = 15'd0;
      for (int i = 14; i >= 0; i--) begin
        if (div_rem >= {1'b0, div_bn_v[15:5]}) begin
          div_q[i] = 1'b1;
          div_rem  = div_rem - {1'b0, div_bn_v[15:5]};
        end
        if (i > 0) begin
          div_rem = {div_rem[10:0], 1'b0};
        end
      end

      div_x = ({5'd0, a_ee} - {6'd0, div_lz_a}) - ({5'd0, b_ee} - {6'd0, div_lz_b}) - 10'd14;
    end
  end

  // ---------------------------------------------------------------------------------------
  // I2F: magnitude of the int32; value = mag * 2^0
  // ---------------------------------------------------------------------------------------

  logic [31:0] i2f_mag;

  always_comb begin
    i2f_mag = 32'd0;
    if (en_i2f) begin
      i2f_mag = a_i[31] ? (32'd0 - a_i) : a_i;  // INT_MIN gives 2^31 (unsigned)
    end
  end

  // ---------------------------------------------------------------------------------------
  // Per-operation selection: either a special result or (sign, R, X, sticky) to round.
  // ---------------------------------------------------------------------------------------

  logic        sel_special;   // 1: sel_special_val is the binary16 result
  logic [15:0] sel_special_val;
  logic        sel_sign;
  logic [31:0] sel_r;         // nonzero when sel_special is 0
  logic [9:0]  sel_x;         // value = (R + sticky fraction) * 2^X, two's complement
  logic        sel_sticky;

  always_comb begin
    sel_special     = 1'b1;
    sel_special_val = 16'd0;
    sel_sign        = 1'b0;
    sel_r           = 32'd0;
    sel_x           = 10'd0;
    sel_sticky      = 1'b0;
    if (en_any) begin
      unique case (op_i)
        hsx_isa_pkg::FpuFadd, hsx_isa_pkg::FpuFsub: begin
          sel_sign = add_sign;
          sel_r    = {6'd0, add_sum};
          sel_x    = add_x;
          if (a_nan || b_nan || (a_inf && b_inf && add_eff_sub)) begin
            sel_special_val = QNaN;
          end else if (a_inf || b_inf) begin
            sel_special_val = {add_big_s, MagInf};   // the infinity has the larger magnitude
          end else if (add_sum == 26'd0) begin
            sel_special_val = {add_sign, 15'd0};
          end else begin
            sel_special = 1'b0;
          end
        end
        hsx_isa_pkg::FpuFmul: begin
          sel_sign = fa[15] ^ fb[15];
          sel_r    = {10'd0, mul_prod};
          sel_x    = mul_x;
          if (a_nan || b_nan || (a_inf && b_zero) || (a_zero && b_inf)) begin
            sel_special_val = QNaN;
          end else if (a_inf || b_inf) begin
            sel_special_val = {sel_sign, MagInf};
          end else if (a_zero || b_zero) begin
            sel_special_val = {sel_sign, 15'd0};
          end else begin
            sel_special = 1'b0;
          end
        end
        hsx_isa_pkg::FpuFdiv: begin
          sel_sign   = fa[15] ^ fb[15];
          sel_r      = {17'd0, div_q};
          sel_x      = div_x;
          sel_sticky = (div_rem != 12'd0);
          // b is never zero here (replaced by +inf above).
          if (a_nan || b_nan || (a_inf && b_inf)) begin
            sel_special_val = QNaN;
          end else if (a_inf) begin
            sel_special_val = {sel_sign, MagInf};
          end else if (b_inf || a_zero) begin
            sel_special_val = {sel_sign, 15'd0};
          end else begin
            sel_special = 1'b0;
          end
        end
        hsx_isa_pkg::FpuI2f: begin
          sel_sign = a_i[31];
          sel_r    = i2f_mag;
          sel_x    = 10'd0;
          if (a_i == 32'd0) begin
            sel_special_val = 16'd0;
          end else begin
            sel_special = 1'b0;
          end
        end
        hsx_isa_pkg::FpuF2i: begin
          sel_special_val = 16'd0;   // F2I has its own path below
        end
        default: begin
          sel_special_val = 16'd0;
        end
      endcase
    end
  end

  // ---------------------------------------------------------------------------------------
  // Shared normaliser: shift R left until bit 31 is set.
  //   N = top 16 bits, e_r = X + 31 - lz is the exponent of N's leading bit
  //   (value = N/2^15 * 2^e_r, plus sticky).
  // ---------------------------------------------------------------------------------------

  logic [31:0] nrm_v;
  logic [4:0]  nrm_lz;
  logic [15:0] nrm_n;
  logic        nrm_sticky;
  logic [9:0]  nrm_e;

  always_comb begin
    nrm_v      = 32'd0;
    nrm_lz     = 5'd0;
    nrm_n      = 16'd0;
    nrm_sticky = 1'b0;
    nrm_e      = 10'd0;
    if (en_any) begin
      nrm_v  = sel_r;
      nrm_lz = 5'd0;
      if (nrm_v[31:16] == 16'd0) begin
        nrm_v = nrm_v << 16;
        nrm_lz = nrm_lz + 5'd16;
      end
      if (nrm_v[31:24] == 8'd0) begin
        nrm_v = nrm_v << 8;
        nrm_lz = nrm_lz + 5'd8;
      end
      if (nrm_v[31:28] == 4'd0) begin
        nrm_v = nrm_v << 4;
        nrm_lz = nrm_lz + 5'd4;
      end
      if (nrm_v[31:30] == 2'd0) begin
        nrm_v = nrm_v << 2;
        nrm_lz = nrm_lz + 5'd2;
      end
      if (nrm_v[31] == 1'b0) begin
        nrm_v = nrm_v << 1;
        nrm_lz = nrm_lz + 5'd1;
      end
      nrm_n      = nrm_v[31:16];
      nrm_sticky = sel_sticky || (nrm_v[15:0] != 16'd0);
      nrm_e      = sel_x + 10'd31 - {5'd0, nrm_lz};
    end
  end

  // ---------------------------------------------------------------------------------------
  // Round to nearest, ties to even, and pack.
  //   normal (e_r >= -14): T = N; subnormal: T = N >> (-14 - e_r) (shifted-out bits sticky).
  //   fraction = T[14:5], guard = T[4], sticky = T[3:0] | sticky. Adding the round bit to
  //   {exponent field, fraction} carries into the exponent (subnormal -> 0x0400, max
  //   normal -> infinity) exactly as IEEE rounding requires.
  // ---------------------------------------------------------------------------------------

  logic        rnd_normal, rnd_ovf, rnd_up, rnd_sticky;
  logic [9:0]  rnd_sh_full;
  logic [4:0]  rnd_sh, rnd_exp;
  logic [31:0] rnd_t;
  logic [14:0] rnd_mag;
  logic [15:0] rnd_res;

  always_comb begin
    rnd_normal  = 1'b0;
    rnd_ovf     = 1'b0;
    rnd_up      = 1'b0;
    rnd_sticky  = 1'b0;
    rnd_sh_full = 10'd0;
    rnd_sh      = 5'd0;
    rnd_exp     = 5'd0;
    rnd_t       = 32'd0;
    rnd_mag     = 15'd0;
    rnd_res     = 16'd0;
    if (en_any) begin
      rnd_normal  = ($signed(nrm_e) >= -10'sd14);
      rnd_ovf     = ($signed(nrm_e) >= 10'sd16);
      rnd_sh_full = 10'd0 - nrm_e - 10'd14;             // -14 - e_r, meaningful when subnormal
      if (rnd_normal) begin
        rnd_sh = 5'd0;
      end else if (rnd_sh_full > 10'd31) begin
        rnd_sh = 5'd31;                                 // all of N goes to sticky (N < 2^16)
      end else begin
        rnd_sh = rnd_sh_full[4:0];
      end
      rnd_t      = {nrm_n, 16'd0} >> rnd_sh;
      rnd_sticky = nrm_sticky || (rnd_t[19:0] != 20'd0);
      rnd_up     = rnd_t[20] && (rnd_sticky || rnd_t[21]);
      rnd_exp    = rnd_normal ? (nrm_e[4:0] + 5'd15) : 5'd0;
      rnd_mag    = {rnd_exp, rnd_t[30:21]} + {14'd0, rnd_up};
      rnd_res    = rnd_ovf ? {sel_sign, MagInf} : {sel_sign, rnd_mag};
    end
  end

  // ---------------------------------------------------------------------------------------
  // F2I: truncate toward zero; |value| <= 65504 always fits.
  // ---------------------------------------------------------------------------------------

  logic [31:0] f2i_mag, f2i_res;

  always_comb begin
    f2i_mag = 32'd0;
    f2i_res = 32'd0;
    if (en_f2i) begin
      if (a_ee >= 5'd25) begin
        f2i_mag = {21'd0, a_m} << (a_ee - 5'd25);
      end else begin
        f2i_mag = {21'd0, a_m} >> (5'd25 - a_ee);
      end
      if (a_nan) begin
        f2i_res = 32'd0;
      end else if (a_inf) begin
        f2i_res = fa[15] ? 32'h8000_0000 : 32'h7FFF_FFFF;
      end else begin
        f2i_res = fa[15] ? (32'd0 - f2i_mag) : f2i_mag;
      end
    end
  end

  // ---------------------------------------------------------------------------------------
  // Result register
  // ---------------------------------------------------------------------------------------

  logic [31:0] result_d, result_q;
  logic        done_d, done_q;

  always_comb begin
    result_d = result_q;
    done_d   = start_i;
    if (start_i) begin
      if (op_i == hsx_isa_pkg::FpuF2i) begin
        result_d = f2i_res;
      end else if (sel_special) begin
        result_d = {16'd0, sel_special_val};
      end else begin
        result_d = {16'd0, rnd_res};
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      result_q <= 32'd0;
      done_q   <= 1'b0;
    end else begin
      result_q <= result_d;
      done_q   <= done_d;
    end
  end

  assign done_o   = done_q;
  assign result_o = result_q;

  // b_i[31:16] carries no binary16 information; rnd_t[31] is the hidden bit of a normal.
  logic unused_b_hi, unused_rnd_hidden;
  assign unused_b_hi       = ^b_i[31:16];
  assign unused_rnd_hidden = rnd_t[31];

endmodule
