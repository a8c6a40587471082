//! binary16 arithmetic (isa.md "Binary16 arithmetic").
//!
//! Every operation computes the exact IEEE result in binary32 and rounds **once** to
//! binary16 with `half::f16::from_f32` (round to nearest, ties to even; overflow to ±∞;
//! gradual underflow). For +, −, × and ÷ of binary16 operands this single rounding of a
//! correctly rounded binary32 result equals the correctly rounded binary16 result
//! (binary32 has 24 ≥ 2·11 + 2 significand bits, so the double rounding is innocuous).
//! Every NaN result is the canonical quiet NaN [`CANONICAL_NAN`]; no payload propagates.
//!
//! The operations are `#[inline(never)]`: the core's hot loop stays the same size in
//! every binary that links it (LTO otherwise inlines them in some and not in others, and
//! the step rate of an integer loop then depends on which binary measures it).
//!
//! The tests beside this file check the four operations against an independent exact
//! (integer/rational) implementation with its own round-to-nearest-even.

use half::f16;

/// The one NaN any operation returns.
pub const CANONICAL_NAN: u16 = 0x7E00;

#[inline]
fn to_f32(x: u16) -> f32 {
    f16::from_bits(x).to_f32()
}

/// Round a binary32 value once to binary16, canonicalising NaN.
#[inline]
fn round(r: f32) -> u16 {
    if r.is_nan() {
        CANONICAL_NAN
    } else {
        f16::from_f32(r).to_bits()
    }
}

/// FADD: `a + b`.
#[inline(never)]
pub fn fadd(a: u16, b: u16) -> u16 {
    round(to_f32(a) + to_f32(b))
}

/// FSUB: `a − b`.
#[inline(never)]
pub fn fsub(a: u16, b: u16) -> u16 {
    round(to_f32(a) - to_f32(b))
}

/// FMUL: `a × b`.
#[inline(never)]
pub fn fmul(a: u16, b: u16) -> u16 {
    round(to_f32(a) * to_f32(b))
}

/// FDIV: `a ÷ b`; a divisor of ±0 is replaced by +∞ (isa.md), so finite `x ÷ 0` is ±0
/// with x's sign, and `±∞ ÷ 0`, `NaN ÷ 0` are NaN.
#[inline(never)]
pub fn fdiv(a: u16, b: u16) -> u16 {
    let d = if b & 0x7FFF == 0 { f32::INFINITY } else { to_f32(b) };
    round(to_f32(a) / d)
}

/// I2F: signed int32 → binary16.
///
/// `x as f32` rounds only when |x| ≥ 2^24, and rounding to binary32 is monotone, so such
/// a value stays ≥ 2^24 in magnitude — far above 65520, the smallest magnitude that rounds
/// to ±∞ in binary16. Below 2^24 the conversion is exact. Either way the single rounding
/// in `from_f32` gives the correctly rounded binary16 result (no harmful double rounding).
#[inline(never)]
pub fn i2f(x: i32) -> u16 {
    round(x as f32)
}

/// F2I: binary16 → int32 truncating toward zero; NaN → 0, +∞ → 0x7FFFFFFF,
/// −∞ → 0x80000000 (every finite binary16 value fits in an int32).
#[inline(never)]
pub fn f2i(x: u16) -> u32 {
    let f = to_f32(x);
    if f.is_nan() {
        0
    } else if f == f32::INFINITY {
        0x7FFF_FFFF
    } else if f == f32::NEG_INFINITY {
        0x8000_0000
    } else {
        f.trunc() as i32 as u32
    }
}

#[cfg(test)]
mod tests {
    //! An independent exact reference: binary16 operands decoded to integers (units of
    //! 2^-24), the operation done exactly in integers / rationals, and our own
    //! round-to-nearest-even to binary16. No floating point is used in the reference.
    use super::*;

    const PINF: u16 = 0x7C00;
    const NINF: u16 = 0xFC00;

    #[derive(Clone, Copy, Debug)]
    enum V {
        Nan,
        Inf(bool),
        /// (negative, magnitude in units of 2^-24)
        Fin(bool, u128),
    }

    fn dec(x: u16) -> V {
        let neg = x >> 15 == 1;
        let e = (x >> 10) & 0x1F;
        let f = (x & 0x3FF) as u128;
        match e {
            31 if f != 0 => V::Nan,
            31 => V::Inf(neg),
            0 => V::Fin(neg, f),
            _ => V::Fin(neg, (f | 0x400) << (e - 1)),
        }
    }

    /// num >= den * 2^e ?
    fn ge_pow(num: u128, den: u128, e: i32) -> bool {
        if e >= 0 {
            num >= den << e
        } else {
            num << (-e) >= den
        }
    }

    /// Correctly rounded (RNE) binary16 of (-1)^neg * num/den * 2^scale.
    fn round_exact(neg: bool, num: u128, den: u128, scale: i32) -> u16 {
        let sign = if neg { 0x8000 } else { 0 };
        if num == 0 {
            return sign;
        }
        let mut e = (128 - num.leading_zeros()) as i32 - (128 - den.leading_zeros()) as i32;
        if !ge_pow(num, den, e) {
            e -= 1;
        }
        debug_assert!(ge_pow(num, den, e) && !ge_pow(num, den, e + 1));
        let mut ee = (e + scale).max(-14);
        if ee > 15 {
            return sign | PINF;
        }
        let sh = scale - (ee - 10);
        let (n, d) = if sh >= 0 { (num << sh, den) } else { (num, den << (-sh)) };
        let mut q = n / d;
        let r = n % d;
        if 2 * r > d || (2 * r == d && q & 1 == 1) {
            q += 1;
        }
        if q == 2048 {
            q = 1024;
            ee += 1;
        }
        if ee > 15 {
            return sign | PINF;
        }
        let bits = if q < 1024 { q as u16 } else { (((ee + 15) as u16) << 10) | (q as u16 - 1024) };
        sign | bits
    }

    fn ref_add(a: u16, b: u16) -> u16 {
        match (dec(a), dec(b)) {
            (V::Nan, _) | (_, V::Nan) => CANONICAL_NAN,
            (V::Inf(x), V::Inf(y)) if x != y => CANONICAL_NAN,
            (V::Inf(x), _) | (_, V::Inf(x)) => {
                if x {
                    NINF
                } else {
                    PINF
                }
            }
            (V::Fin(na, ma), V::Fin(nb, mb)) => {
                let sa = if na { -(ma as i128) } else { ma as i128 };
                let sb = if nb { -(mb as i128) } else { mb as i128 };
                let s = sa + sb;
                let neg = if s == 0 { na && nb } else { s < 0 };
                round_exact(neg, s.unsigned_abs(), 1, -24)
            }
        }
    }
    fn ref_sub(a: u16, b: u16) -> u16 {
        ref_add(a, b ^ 0x8000)
    }
    fn ref_mul(a: u16, b: u16) -> u16 {
        match (dec(a), dec(b)) {
            (V::Nan, _) | (_, V::Nan) => CANONICAL_NAN,
            (V::Inf(_), V::Fin(_, 0)) | (V::Fin(_, 0), V::Inf(_)) => CANONICAL_NAN,
            (V::Inf(x), V::Inf(y)) | (V::Inf(x), V::Fin(y, _)) | (V::Fin(x, _), V::Inf(y)) => {
                if x != y {
                    NINF
                } else {
                    PINF
                }
            }
            (V::Fin(na, ma), V::Fin(nb, mb)) => round_exact(na != nb, ma * mb, 1, -48),
        }
    }
    fn ref_div(a: u16, b: u16) -> u16 {
        let b = if b & 0x7FFF == 0 { PINF } else { b };
        match (dec(a), dec(b)) {
            (V::Nan, _) | (_, V::Nan) => CANONICAL_NAN,
            (V::Inf(_), V::Inf(_)) => CANONICAL_NAN,
            (V::Inf(x), V::Fin(y, _)) => {
                if x != y {
                    NINF
                } else {
                    PINF
                }
            }
            (V::Fin(x, _), V::Inf(y)) => {
                if x != y {
                    0x8000
                } else {
                    0
                }
            }
            (V::Fin(_, _), V::Fin(_, 0)) => unreachable!("zero divisor replaced"),
            (V::Fin(na, ma), V::Fin(nb, mb)) => round_exact(na != nb, ma, mb, 0),
        }
    }
    fn ref_i2f(x: i32) -> u16 {
        round_exact(x < 0, x.unsigned_abs() as u128, 1, 0)
    }

    /// Interesting operands: zeros, subnormals, the normal boundary, around 1, the top
    /// of the range, infinities, NaNs (quiet, signalling, negative).
    fn specials() -> Vec<u16> {
        let base: &[u16] = &[
            0x0000, 0x0001, 0x0002, 0x0003, 0x01FF, 0x0200, 0x0201, 0x03FE, 0x03FF, 0x0400, 0x0401, 0x07FF, 0x0800,
            0x1000, 0x2000, 0x3555, 0x3800, 0x3BFF, 0x3C00, 0x3C01, 0x3E00, 0x4000, 0x4200, 0x4248, 0x5000, 0x57FF,
            0x5800, 0x7800, 0x7A00, 0x7BFE, 0x7BFF, 0x7C00, 0x7C01, 0x7D00, 0x7E00, 0x7FFF, 0x0155, 0x2E66, 0x4900,
            0x6400,
        ];
        let mut v: Vec<u16> = base.iter().flat_map(|&x| [x, x | 0x8000]).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    type Op = (&'static str, fn(u16, u16) -> u16, fn(u16, u16) -> u16);
    const OPS: [Op; 4] =
        [("fadd", fadd, ref_add), ("fsub", fsub, ref_sub), ("fmul", fmul, ref_mul), ("fdiv", fdiv, ref_div)];

    fn check(name: &str, f: fn(u16, u16) -> u16, r: fn(u16, u16) -> u16, a: u16, b: u16) {
        let got = f(a, b);
        let want = r(a, b);
        assert_eq!(got, want, "{name}({a:#06x}, {b:#06x}) = {got:#06x}, exact reference {want:#06x}");
    }

    #[test]
    fn reference_rounding_itself() {
        // Sanity of the independent reference on values checkable by hand.
        assert_eq!(round_exact(false, 1, 1, 0), 0x3C00); // 1.0
        assert_eq!(round_exact(false, 65504, 1, 0), 0x7BFF); // max
        assert_eq!(round_exact(false, 65519, 1, 0), 0x7BFF); // below the midpoint
        assert_eq!(round_exact(false, 65520, 1, 0), PINF); // tie to even → ∞
        assert_eq!(round_exact(true, 1, 1, -24), 0x8001); // -smallest subnormal
        assert_eq!(round_exact(false, 1, 1, -25), 0x0000); // tie → even (0)
        assert_eq!(round_exact(false, 3, 1, -25), 0x0002); // 1.5 ulp → 2 (even)
        assert_eq!(round_exact(false, 2047, 1, -25), 0x0400); // 1023.5 ulp → 1024: smallest normal
        assert_eq!(round_exact(false, 1, 3, 0), 0x3555); // 1/3
    }

    #[test]
    fn hand_vectors() {
        // (op, a, b, expected)
        let v: &[(&str, u16, u16, u16)] = &[
            ("fadd", 0x3C00, 0x3C00, 0x4000),        // 1 + 1 = 2
            ("fadd", 0x7BFF, 0x4C00, 0x7C00),        // 65504 + 16 = 65520 → +∞ (tie to even)
            ("fadd", 0x7BFF, 0x4BFF, 0x7BFF),        // 65504 + 15.99 → 65504
            ("fadd", 0xFBFF, 0xCC00, 0xFC00),        // → -∞
            ("fadd", 0x03FF, 0x0001, 0x0400),        // subnormal + subnormal → smallest normal
            ("fadd", 0x0001, 0x8001, 0x0000),        // x + -x = +0
            ("fadd", 0x8000, 0x8000, 0x8000),        // -0 + -0 = -0
            ("fadd", 0x8000, 0x0000, 0x0000),        // -0 + +0 = +0
            ("fadd", 0x7C00, 0xFC00, CANONICAL_NAN), // ∞ − ∞
            ("fadd", 0x7C01, 0x3C00, CANONICAL_NAN), // sNaN payload dropped
            ("fadd", 0xFFFF, 0x3C00, CANONICAL_NAN), // negative NaN canonicalised
            ("fsub", 0x3C00, 0x3C00, 0x0000),        // 1 − 1 = +0
            ("fsub", 0x8000, 0x0000, 0x8000),        // -0 − +0 = -0
            ("fsub", 0x0400, 0x0001, 0x03FF),        // into the subnormals
            ("fmul", 0x3C01, 0x03FF, 0x0400),        // 1023×(1+2^-10) ulp rounds UP to 0x0400
            ("fmul", 0x0001, 0x3800, 0x0000),        // 0.5 ulp → 0 (tie to even)
            ("fmul", 0x0003, 0x3800, 0x0002),        // 1.5 ulp → 2
            ("fmul", 0x0001, 0xB800, 0x8000),        // -0.5 ulp → -0
            ("fmul", 0x7C00, 0x0000, CANONICAL_NAN), // ∞ × 0
            ("fmul", 0x5C00, 0x5C00, 0x7C00),        // 256 × 256 = 65536 → +∞
            ("fmul", 0x5BFF, 0x5BFF, 0x7BFE),        // 255.875² = 65472 exactly
            ("fmul", 0xC000, 0x3C00, 0xC000),        // -2 × 1
            ("fdiv", 0x3C00, 0x4200, 0x3555),        // 1/3
            ("fdiv", 0x3C00, 0x0000, 0x0000),        // 1/+0 → 1/∞ = +0
            ("fdiv", 0x3C00, 0x8000, 0x0000),        // 1/-0 → 1/+∞ = +0 (x's sign)
            ("fdiv", 0xBC00, 0x0000, 0x8000),        // -1/0 = -0
            ("fdiv", 0x0000, 0x0000, 0x0000),        // 0/0 = +0
            ("fdiv", 0x7C00, 0x0000, CANONICAL_NAN), // ∞/0
            ("fdiv", 0xFC00, 0x8000, CANONICAL_NAN), // -∞/-0
            ("fdiv", 0x7E00, 0x0000, CANONICAL_NAN), // NaN/0
            ("fdiv", 0x7BFF, 0x0001, 0x7C00),        // overflow
            ("fdiv", 0x0001, 0x7BFF, 0x0000),        // underflow to 0
            ("fdiv", 0x3C00, 0x7C00, 0x0000),        // 1/∞
        ];
        for &(name, a, b, want) in v {
            let (_, f, r) = OPS.iter().find(|o| o.0 == name).unwrap();
            assert_eq!(f(a, b), want, "{name}({a:#06x}, {b:#06x})");
            assert_eq!(r(a, b), want, "reference {name}({a:#06x}, {b:#06x})");
        }
    }

    #[test]
    fn all_operands_against_specials() {
        let sp = specials();
        for (name, f, r) in OPS {
            for a in 0..=u16::MAX {
                for &b in &sp {
                    check(name, f, r, a, b);
                    check(name, f, r, b, a);
                }
            }
        }
    }

    #[test]
    fn random_pairs_against_exact_reference() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..1_000_000 {
            let x = rng.next();
            let (a, b) = (x as u16, (x >> 16) as u16);
            // Also pairs of close exponents (where cancellation and ties happen).
            let c = (a & 0xFC00) | ((x >> 32) as u16 & 0x03FF);
            for (name, f, r) in OPS {
                check(name, f, r, a, b);
                check(name, f, r, a, c);
            }
        }
    }

    /// Every pair: 2^32 × 4 operations, minutes of CPU. `cargo test -- --ignored`.
    #[test]
    #[ignore]
    fn exhaustive_against_exact_reference() {
        for (name, f, r) in OPS {
            for a in 0..=u16::MAX {
                for b in 0..=u16::MAX {
                    check(name, f, r, a, b);
                }
            }
        }
    }

    #[test]
    fn i2f_against_exact_reference() {
        for x in -70_000..=70_000 {
            assert_eq!(i2f(x), ref_i2f(x), "i2f({x})");
        }
        let edges = [
            i32::MIN,
            i32::MIN + 1,
            i32::MAX,
            i32::MAX - 1,
            65504,
            65505,
            65519,
            65520,
            65535,
            65536,
            -65520,
            -65519,
            1 << 24,
            (1 << 24) + 1,
            -(1 << 24) - 1,
        ];
        for x in edges {
            assert_eq!(i2f(x), ref_i2f(x), "i2f({x})");
        }
        let mut rng = XorShift(12345);
        for _ in 0..1_000_000 {
            let x = rng.next() as i32;
            assert_eq!(i2f(x), ref_i2f(x), "i2f({x})");
        }
        // Hand values.
        assert_eq!(i2f(0), 0x0000);
        assert_eq!(i2f(1), 0x3C00);
        assert_eq!(i2f(-2), 0xC000);
        assert_eq!(i2f(2049), 0x6800); // 2049 ties to even → 2048
        assert_eq!(i2f(2051), 0x6802); // 2051 ties to even → 2052
        assert_eq!(i2f(65519), 0x7BFF);
        assert_eq!(i2f(65520), 0x7C00);
        assert_eq!(i2f(i32::MIN), 0xFC00);
    }

    #[test]
    fn f2i_all_values() {
        for x in 0..=u16::MAX {
            let want: u32 = match dec(x) {
                V::Nan => 0,
                V::Inf(false) => 0x7FFF_FFFF,
                V::Inf(true) => 0x8000_0000,
                V::Fin(neg, m) => {
                    let t = (m >> 24) as i64; // truncate toward zero
                    (if neg { -t } else { t }) as i32 as u32
                }
            };
            assert_eq!(f2i(x), want, "f2i({x:#06x})");
        }
        assert_eq!(f2i(0x7C00), 0x7FFF_FFFF);
        assert_eq!(f2i(0xFC00), 0x8000_0000);
        assert_eq!(f2i(0x7E00), 0);
        assert_eq!(f2i(0xFE01), 0);
        assert_eq!(f2i(0xBE00), 0xFFFF_FFFF); // -1.5 → -1
        assert_eq!(f2i(0x3BFF), 0); // 0.99951 → 0
        assert_eq!(f2i(0x7BFF), 65504);
        assert_eq!(f2i(0x8001), 0);
    }
}
