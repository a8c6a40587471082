// Verilator testbench of rtl/hsx_fpu.sv: the independent check of the binary16 datapath.
//
// Reference (isa.md "Binary16 arithmetic"): GCC's _Float16. For FADD/FSUB/FMUL/FDIV the
// operands are widened to binary32, the operation is done once in binary32 and the result
// is converted once to binary16 (binary32 has 24 >= 2*11 + 2 significand bits, so this
// double rounding equals the correctly rounded binary16 result). I2F converts the int32
// exactly to binary64 and rounds once to binary16; that conversion is also cross-checked
// against an independent integer round-to-nearest-even below. Every NaN becomes 0x7E00;
// FDIV replaces a divisor of +-0 by +inf; F2I truncates toward zero, NaN -> 0,
// +inf -> 0x7FFFFFFF, -inf -> 0x80000000.
//
// Usage: Vtb [random_pairs_per_binary_op] [seed]
// Exits non-zero on any mismatch.

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "Vhsx_fpu.h"
#include "fpu_ops.h"  // Op, kOpName: generated from the ISA table (cargo xtask codegen)
#include "verilated.h"

namespace {

constexpr uint16_t kQNaN = 0x7E00;

// ---------------------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------------------

float h2f_slow(uint16_t bits) {
  _Float16 h;
  std::memcpy(&h, &bits, sizeof h);
  return static_cast<float>(h);  // exact widening
}

// binary16 -> binary32 for all 2^16 encodings (exact), built once for speed.
struct H2fTable {
  float v[0x10000];
  H2fTable() {
    for (uint32_t i = 0; i < 0x10000; i++) v[i] = h2f_slow(static_cast<uint16_t>(i));
  }
};
const H2fTable g_h2f;

float h2f(uint16_t bits) { return g_h2f.v[bits]; }

uint16_t bits_of(_Float16 h) {
  uint16_t bits;
  std::memcpy(&bits, &h, sizeof bits);
  return bits;
}

bool is_nan16(uint16_t x) { return (x & 0x7C00) == 0x7C00 && (x & 0x03FF) != 0; }

uint16_t canon(_Float16 h) {
  uint16_t bits = bits_of(h);
  return is_nan16(bits) ? kQNaN : bits;
}

uint16_t ref_binary(Op op, uint16_t a, uint16_t b) {
  float fa = h2f(a);
  float fb = h2f(b);
  float r = 0.0f;
  switch (op) {
    case kFadd: r = fa + fb; break;
    case kFsub: r = fa - fb; break;
    case kFmul: r = fa * fb; break;
    case kFdiv:
      if ((b & 0x7FFF) == 0) fb = INFINITY;  // divisor +-0 becomes +inf
      r = fa / fb;
      break;
    case kI2f:
    case kF2i:
      std::abort();
  }
  volatile float rv = r;  // one binary32 result, then one rounding to binary16
  return canon(static_cast<_Float16>(rv));
}

uint16_t ref_i2f(int32_t x) {
  volatile double d = static_cast<double>(x);  // exact
  return canon(static_cast<_Float16>(d));
}

uint32_t ref_f2i(uint16_t x) {
  if (is_nan16(x)) return 0;
  if (x == 0x7C00) return 0x7FFFFFFFu;
  if (x == 0xFC00) return 0x80000000u;
  return static_cast<uint32_t>(static_cast<int32_t>(h2f(x)));  // truncates; |x| <= 65504
}

// Independent integer model of I2F (round to nearest even of |x| to 11 significant bits),
// used only to confirm the _Float16 conversion above on every tested input.
uint16_t indep_i2f(int32_t x) {
  if (x == 0) return 0;
  uint16_t sign = x < 0 ? 0x8000 : 0;
  uint64_t mag = x < 0 ? static_cast<uint64_t>(-static_cast<int64_t>(x)) : static_cast<uint64_t>(x);
  int msb = 63 - __builtin_clzll(mag);
  uint64_t m = mag;
  int e = msb;  // value = m * 2^0, leading bit at msb
  if (msb > 10) {
    int sh = msb - 10;
    uint64_t kept = mag >> sh;
    uint64_t rem = mag & ((uint64_t{1} << sh) - 1);
    uint64_t half = uint64_t{1} << (sh - 1);
    if (rem > half || (rem == half && (kept & 1))) kept++;
    if (kept == 2048) {
      kept = 1024;
      e = msb + 1;
    }
    m = kept;
  } else {
    m = mag << (10 - msb);
  }
  if (e > 15) return sign | 0x7C00;
  return static_cast<uint16_t>(sign | ((e + 15) << 10) | (m & 0x3FF));
}

// ---------------------------------------------------------------------------------------
// DUT driver
// ---------------------------------------------------------------------------------------

struct Dut {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vhsx_fpu> top;
  uint64_t cycles = 0;

  Dut() : ctx(new VerilatedContext), top(new Vhsx_fpu(ctx.get())) {
    top->clk_i = 0;
    top->rst_ni = 0;
    top->start_i = 0;
    top->op_i = 0;
    top->a_i = 0;
    top->b_i = 0;
    top->eval();
    for (int i = 0; i < 3; i++) tick();
    top->rst_ni = 1;
    top->eval();
  }

  void tick() {
    top->clk_i = 1;
    top->eval();
    top->clk_i = 0;
    top->eval();
    cycles++;
  }

  // Issue one operation (start_i high for this cycle) and return the result after the
  // documented latency of 1 cycle; flags a protocol error if done_o is not high then.
  uint32_t run(Op op, uint32_t a, uint32_t b, bool* protocol_ok) {
    top->start_i = 1;
    top->op_i = op;
    top->a_i = a;
    top->b_i = b;
    tick();
    if (!top->done_o) *protocol_ok = false;
    return top->result_o;
  }

  void idle() {
    top->start_i = 0;
    top->op_i = 7;
    top->a_i = 0xDEADBEEF;
    top->b_i = 0x12345678;
    tick();
  }
};

// ---------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------

struct Stats {
  uint64_t tested[6] = {};
  uint64_t failed[6] = {};
  uint64_t protocol_errors = 0;
  uint64_t reference_errors = 0;
};

Stats g_stats;
constexpr int kMaxReports = 20;
int g_reports = 0;

void report(const char* what, Op op, uint32_t a, uint32_t b, uint32_t got, uint32_t want) {
  if (g_reports++ < kMaxReports) {
    std::printf("MISMATCH %s %s a=0x%08" PRIx32 " b=0x%08" PRIx32 " got=0x%08" PRIx32
                " want=0x%08" PRIx32 "\n",
                what, kOpName[op], a, b, got, want);
  }
}

void check(Dut& dut, Op op, uint32_t a, uint32_t b, uint32_t want) {
  bool ok = true;
  uint32_t got = dut.run(op, a, b, &ok);
  g_stats.tested[op]++;
  if (!ok) {
    g_stats.protocol_errors++;
    report("(done_o not high after 1 cycle)", op, a, b, got, want);
  }
  if (got != want) {
    g_stats.failed[op]++;
    report("", op, a, b, got, want);
  }
}

void check_binary(Dut& dut, Op op, uint16_t a, uint16_t b) {
  check(dut, op, a, b, ref_binary(op, a, b));
}

void check_i2f(Dut& dut, int32_t x) {
  uint16_t want = ref_i2f(x);
  uint16_t indep = indep_i2f(x);
  if (want != indep) {
    g_stats.reference_errors++;
    report("(reference _Float16 vs integer model)", kI2f, static_cast<uint32_t>(x), 0, want, indep);
  }
  check(dut, kI2f, static_cast<uint32_t>(x), 0, want);
}

// SplitMix64: deterministic pseudo-random numbers.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// 512 interesting binary16 values: both signs x every exponent field (0..31, so zeros,
// subnormals, every binade, infinities and NaNs) x eight fractions.
std::vector<uint16_t> interesting_set() {
  static const uint16_t kFracs[8] = {0x000, 0x001, 0x002, 0x155, 0x200, 0x201, 0x2AA, 0x3FF};
  std::vector<uint16_t> v;
  for (uint16_t s = 0; s < 2; s++)
    for (uint16_t e = 0; e < 32; e++)
      for (uint16_t f : kFracs) v.push_back(static_cast<uint16_t>((s << 15) | (e << 10) | f));
  return v;
}

// Hand-computed answers: check the reference itself and the DUT on the corner cases the
// spec names (the prototype's 0x03FF-instead-of-0x0400 bug, the FDIV zero rule, F2I of
// inf/NaN, ties at the overflow threshold, signed zeros).
struct Kat {
  Op op;
  uint32_t a, b, want;
};
const Kat kKats[] = {
    {kFadd, 0x3C00, 0x3C00, 0x4000},  // 1 + 1 = 2
    {kFadd, 0x0001, 0x03FF, 0x0400},  // subnormal + subnormal = smallest normal
    {kFadd, 0x3C00, 0xBC00, 0x0000},  // x + (-x) = +0
    {kFadd, 0x8000, 0x8000, 0x8000},  // -0 + -0 = -0
    {kFadd, 0x0000, 0x8000, 0x0000},  // +0 + -0 = +0
    {kFsub, 0x8000, 0x0000, 0x8000},  // -0 - +0 = -0
    {kFsub, 0x0000, 0x0000, 0x0000},  // +0 - +0 = +0
    {kFadd, 0x7BFF, 0x4C00, 0x7C00},  // 65504 + 16 = 65520: tie, to even = inf
    {kFadd, 0x7BFF, 0x4BFF, 0x7BFF},  // 65504 + 15.99 rounds down
    {kFadd, 0x7C00, 0xFC00, kQNaN},   // inf - inf
    {kFadd, 0x7C00, 0x7BFF, 0x7C00},  // inf + max
    {kFadd, 0x7C01, 0x3C00, kQNaN},   // NaN payload not propagated
    {kFadd, 0x3C00, 0x1000, 0x3C00},  // 1 + 2^-11: tie, to even = 1
    {kFadd, 0x3C00, 0x1001, 0x3C01},  // just above the tie
    {kFadd, 0x3C01, 0x1000, 0x3C02},  // tie, odd -> up
    {kFsub, 0x3C00, 0x0C00, 0x3C00},  // 1 - 2^-12: tie between 0x3BFF and 1, to even = 1
    {kFsub, 0x3C00, 0x0C01, 0x3BFF},  // just below the tie: predecessor of 1
    {kFmul, 0x03FF, 0x3C01, 0x0400},  // rounds up to the smallest normal
    {kFmul, 0x0001, 0x3800, 0x0000},  // 2^-25: tie, to even = +0
    {kFmul, 0x0001, 0x3801, 0x0001},  // just above half the smallest subnormal
    {kFmul, 0x8001, 0x3800, 0x8000},  // -0 from underflow
    {kFmul, 0x0003, 0x3800, 0x0002},  // 1.5 * 2^-24: tie, to even = 2 * 2^-24
    {kFmul, 0x7C00, 0x0000, kQNaN},   // inf * 0
    {kFmul, 0x7BFF, 0x4000, 0x7C00},  // overflow
    {kFmul, 0x5C00, 0x5C00, 0x7C00},  // 256^2 = 65536 > 65520
    {kFmul, 0x5BFF, 0x5BFF, 0x7BFE},  // 255.875^2 = 65472.015625 -> 65472
    {kFdiv, 0x3C00, 0x0000, 0x0000},  // 1 / +0 -> 1 / +inf = +0
    {kFdiv, 0xBC00, 0x8000, 0x8000},  // -1 / -0 -> -1 / +inf = -0
    {kFdiv, 0x3C00, 0x8000, 0x0000},  // 1 / -0 -> +0 (x's sign)
    {kFdiv, 0x7C00, 0x0000, kQNaN},   // inf / 0 -> inf / inf
    {kFdiv, 0x7E00, 0x0000, kQNaN},   // NaN / 0
    {kFdiv, 0x0000, 0x0000, 0x0000},  // 0 / 0 -> 0 / inf = +0
    {kFdiv, 0x8000, 0x0000, 0x8000},  // -0 / 0 -> -0
    {kFdiv, 0x3C00, 0x4200, 0x3555},  // 1/3
    {kFdiv, 0x0001, 0x7BFF, 0x0000},  // tiny / huge
    {kFdiv, 0x7BFF, 0x0001, 0x7C00},  // huge / tiny
    {kFdiv, 0x3C00, 0x7C00, 0x0000},  // 1 / inf
    {kFdiv, 0x7C00, 0xBC00, 0xFC00},  // inf / -1
    {kI2f, 2049, 0, 0x6800},          // tie, to even = 2048
    {kI2f, 2051, 0, 0x6802},          // tie, to even = 2052
    {kI2f, 65519, 0, 0x7BFF},
    {kI2f, 65520, 0, 0x7C00},  // tie at the top: to even = inf
    {kI2f, static_cast<uint32_t>(-65520), 0, 0xFC00},
    {kI2f, static_cast<uint32_t>(-65504), 0, 0xFBFF},
    {kI2f, 0x80000000u, 0, 0xFC00},  // INT_MIN
    {kI2f, 0x7FFFFFFFu, 0, 0x7C00},  // INT_MAX
    {kI2f, 0, 0, 0x0000},
    {kI2f, 0xFFFFFFFFu, 0, 0xBC00},  // -1
    {kF2i, 0x7BFF, 0, 65504},
    {kF2i, 0xBE00, 0, 0xFFFFFFFFu},  // -1.5 -> -1
    {kF2i, 0x3BFF, 0, 0},            // 0.9995 -> 0
    {kF2i, 0x8000, 0, 0},            // -0 -> 0
    {kF2i, 0x7C00, 0, 0x7FFFFFFFu},
    {kF2i, 0xFC00, 0, 0x80000000u},
    {kF2i, 0x7E00, 0, 0},
    {kF2i, 0xFFFF, 0, 0},
};

uint32_t ref_any(Op op, uint32_t a, uint32_t b) {
  switch (op) {
    case kFadd:
    case kFsub:
    case kFmul:
    case kFdiv:
      return ref_binary(op, static_cast<uint16_t>(a), static_cast<uint16_t>(b));
    case kI2f:
      return ref_i2f(static_cast<int32_t>(a));
    case kF2i:
      return ref_f2i(static_cast<uint16_t>(a));
  }
  std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t random_pairs = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : 6000000;  // per op
  uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 0x485358465055ull;
  Rng rng{seed};
  Dut dut;

  // 0. Known answers: the reference must agree with the hand-computed values, then the DUT.
  for (const Kat& k : kKats) {
    uint32_t r = ref_any(k.op, k.a, k.b);
    if (r != k.want) {
      g_stats.reference_errors++;
      report("(reference vs hand-computed answer)", k.op, k.a, k.b, r, k.want);
    }
    check(dut, k.op, k.a, k.b, k.want);
  }

  // 1. Protocol: done_o is a one-cycle pulse, result_o holds while idle, back-to-back works.
  {
    bool ok = true;
    uint32_t r = dut.run(kFadd, 0x3C00, 0x3C00, &ok);  // 2.0
    for (int i = 0; i < 3; i++) {
      dut.idle();
      if (dut.top->done_o || dut.top->result_o != r) ok = false;
    }
    if (!ok || r != 0x4000) {
      g_stats.protocol_errors++;
      std::printf("PROTOCOL: done_o/result_o hold behaviour wrong\n");
    }
  }

  // 2. F2I: all 2^16 inputs.
  for (uint32_t x = 0; x < 0x10000; x++) check(dut, kF2i, x, 0, ref_f2i(static_cast<uint16_t>(x)));

  // 3. I2F: all |x| < 2^17, the edges, every +-(2^k + j) for small j, and random values of
  //    random magnitude.
  for (int32_t x = -(1 << 17) + 1; x < (1 << 17); x++) check_i2f(dut, x);
  {
    const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, INT32_MAX, INT32_MAX - 1, 65504, -65504,
                             65519, -65519, 65520, -65520, 65521, -65521, 65535, 65536,
                             -65536, 1 << 24, (1 << 24) + 1, -(1 << 24) - 1};
    for (int32_t x : edges) check_i2f(dut, x);
    for (int k = 11; k < 31; k++)
      for (int64_t j = -80; j <= 80; j++) {
        int64_t v = (int64_t{1} << k) + j;
        check_i2f(dut, static_cast<int32_t>(v));
        check_i2f(dut, static_cast<int32_t>(-v));
      }
    for (uint64_t i = 0; i < 2000000; i++) {
      uint64_t r = rng.next();
      int32_t x = static_cast<int32_t>(static_cast<uint32_t>(r) >> (r >> 59));  // 0..31 shift
      if ((r >> 58) & 1) x = static_cast<int32_t>(0u - static_cast<uint32_t>(x));
      check_i2f(dut, x);
    }
  }

  // 4. Binary ops: every (interesting, any) and (any, interesting) pair, then random pairs
  //    (a quarter of them near-cancelling pairs: b = -a with its low fraction bits changed).
  const std::vector<uint16_t> set = interesting_set();
  const Op binops[4] = {kFadd, kFsub, kFmul, kFdiv};
  for (Op op : binops) {
    for (uint16_t s : set)
      for (uint32_t x = 0; x < 0x10000; x++) {
        check_binary(dut, op, s, static_cast<uint16_t>(x));
        check_binary(dut, op, static_cast<uint16_t>(x), s);
      }
    for (uint64_t i = 0; i < random_pairs; i++) {
      uint64_t r = rng.next();
      uint16_t a = static_cast<uint16_t>(r);
      uint16_t b = static_cast<uint16_t>(r >> 16);
      if (((r >> 32) & 3) == 0) {
        b = static_cast<uint16_t>((a ^ (op == kFadd ? 0x8000 : 0)) ^ ((r >> 40) & ((1u << ((r >> 56) & 15)) - 1)));
      }
      check_binary(dut, op, a, b);
    }
  }

  // Summary.
  uint64_t total_fail = g_stats.protocol_errors + g_stats.reference_errors;
  for (int op = 0; op < 6; op++) {
    std::printf("%-4s tested %12" PRIu64 "  mismatches %" PRIu64 "\n", kOpName[op],
                g_stats.tested[op], g_stats.failed[op]);
    total_fail += g_stats.failed[op];
  }
  std::printf("reference self-check errors %" PRIu64 ", protocol errors %" PRIu64
              ", cycles %" PRIu64 "\n",
              g_stats.reference_errors, g_stats.protocol_errors, dut.cycles);
  dut.top->final();
  if (total_fail != 0) {
    std::printf("FAIL\n");
    return 1;
  }
  std::printf("PASS\n");
  return 0;
}
