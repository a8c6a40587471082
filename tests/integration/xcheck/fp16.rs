//! Binary16 arithmetic from the spec (isa.md "Binary16 arithmetic"), with integers only:
//! every finite half is `±m·2^q` (m < 2048, q ≥ −24); the exact result of + − × is an
//! integer times a power of two, ÷ a quotient with a sticky remainder bit; one rounding
//! to nearest, ties to even, with gradual underflow and overflow to ±∞. Every NaN result
//! is the canonical 0x7E00. FDIV's ±0 divisor is replaced by +∞ first.

pub const QNAN: u16 = 0x7E00;
const INF: u16 = 0x7C00;
const SIGN: u16 = 0x8000;

/// A decoded half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Nan,
    Inf {
        neg: bool,
    },
    /// `(−1)^neg · m · 2^q`.
    Fin {
        neg: bool,
        m: u64,
        q: i32,
    },
}

fn unpack(h: u16) -> Val {
    let neg = h & SIGN != 0;
    let e = i32::from((h >> 10) & 0x1F);
    let f = u64::from(h & 0x3FF);
    match e {
        31 if f == 0 => Val::Inf { neg },
        31 => Val::Nan,
        0 => Val::Fin { neg, m: f, q: -24 },
        _ => Val::Fin { neg, m: 1024 + f, q: e - 25 },
    }
}

fn zero(neg: bool) -> u16 {
    if neg {
        SIGN
    } else {
        0
    }
}

fn inf(neg: bool) -> u16 {
    INF | zero(neg)
}

/// Round `(−1)^neg · (n + δ) · 2^exp` to binary16, where `0 ≤ δ < 1` and `δ > 0` exactly
/// when `sticky`. The caller gives `n` enough bits that the rounding position lies inside
/// it whenever `sticky` is set.
fn round_pack(neg: bool, n: u128, exp: i32, sticky: bool) -> u16 {
    if n == 0 {
        assert!(!sticky, "round_pack: sticky bit without significant bits");
        return zero(neg);
    }
    let p = 127 - n.leading_zeros() as i32; // index of the top bit
    let top = p + exp; // value in [2^top, 2^(top+1))
    let mut qe = (top - 10).max(-24); // exponent of the last kept bit
    let shift = qe - exp;
    let mut sig: u128;
    if shift <= 0 {
        assert!(!sticky, "round_pack: not enough bits below the rounding point");
        sig = n << (-shift);
    } else if shift > p + 1 {
        // Below half the smallest subnormal: rounds to zero.
        sig = 0;
    } else {
        sig = n >> shift;
        let rem = n & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        if rem > half || (rem == half && (sticky || sig & 1 == 1)) {
            sig += 1;
        }
    }
    if sig == 2048 {
        sig = 1024;
        qe += 1;
    }
    if sig >= 1024 {
        let e = qe + 25;
        if e >= 31 {
            return inf(neg);
        }
        zero(neg) | ((e as u16) << 10) | (sig as u16 - 1024)
    } else {
        debug_assert_eq!(qe, -24);
        zero(neg) | sig as u16
    }
}

/// `a + b`, `b` already negated for a subtraction.
fn add_vals(a: Val, b: Val) -> u16 {
    match (a, b) {
        (Val::Nan, _) | (_, Val::Nan) => QNAN,
        (Val::Inf { neg: x }, Val::Inf { neg: y }) => {
            if x == y {
                inf(x)
            } else {
                QNAN
            }
        }
        (Val::Inf { neg }, Val::Fin { .. }) | (Val::Fin { .. }, Val::Inf { neg }) => inf(neg),
        (Val::Fin { neg: sa, m: ma, q: qa }, Val::Fin { neg: sb, m: mb, q: qb }) => {
            let q = qa.min(qb);
            let x = i128::from(ma) << (qa - q);
            let y = i128::from(mb) << (qb - q);
            let s = (if sa { -x } else { x }) + (if sb { -y } else { y });
            if s == 0 {
                // An exact zero sum is +0 in round-to-nearest, except (−0) + (−0).
                return zero(sa && sb && ma == 0 && mb == 0);
            }
            round_pack(s < 0, s.unsigned_abs(), q, false)
        }
    }
}

fn negate(v: Val) -> Val {
    match v {
        Val::Nan => Val::Nan,
        Val::Inf { neg } => Val::Inf { neg: !neg },
        Val::Fin { neg, m, q } => Val::Fin { neg: !neg, m, q },
    }
}

pub fn fadd(a: u16, b: u16) -> u16 {
    add_vals(unpack(a), unpack(b))
}

pub fn fsub(a: u16, b: u16) -> u16 {
    add_vals(unpack(a), negate(unpack(b)))
}

pub fn fmul(a: u16, b: u16) -> u16 {
    match (unpack(a), unpack(b)) {
        (Val::Nan, _) | (_, Val::Nan) => QNAN,
        (Val::Inf { neg: x }, Val::Inf { neg: y }) => inf(x != y),
        (Val::Inf { neg: x }, Val::Fin { neg: y, m, .. }) | (Val::Fin { neg: y, m, .. }, Val::Inf { neg: x }) => {
            if m == 0 {
                QNAN
            } else {
                inf(x != y)
            }
        }
        (Val::Fin { neg: x, m: ma, q: qa }, Val::Fin { neg: y, m: mb, q: qb }) => {
            round_pack(x != y, u128::from(ma * mb), qa + qb, false)
        }
    }
}

pub fn fdiv(a: u16, b: u16) -> u16 {
    let b = match unpack(b) {
        Val::Fin { m: 0, .. } => Val::Inf { neg: false },
        other => other,
    };
    match (unpack(a), b) {
        (Val::Nan, _) | (_, Val::Nan) => QNAN,
        (Val::Inf { .. }, Val::Inf { .. }) => QNAN,
        (Val::Inf { neg: x }, Val::Fin { neg: y, .. }) => inf(x != y),
        (Val::Fin { neg: x, .. }, Val::Inf { neg: y }) => zero(x != y),
        (Val::Fin { neg: x, m: ma, q: qa }, Val::Fin { neg: y, m: mb, q: qb }) => {
            // mb ≠ 0 here (a zero divisor became +∞).
            const K: i32 = 64;
            let num = u128::from(ma) << K;
            let d = u128::from(mb);
            let (quot, rem) = (num / d, num % d);
            round_pack(x != y, quot, qa - qb - K, rem > 0)
        }
    }
}

/// Signed int32 → binary16.
pub fn i2f(v: u32) -> u16 {
    let i = i64::from(v as i32);
    round_pack(i < 0, u128::from(i.unsigned_abs()), 0, false)
}

/// Binary16 → int32, truncating toward zero; NaN → 0, +∞ → 0x7FFFFFFF, −∞ → 0x80000000.
pub fn f2i(h: u16) -> u32 {
    match unpack(h) {
        Val::Nan => 0,
        Val::Inf { neg: false } => 0x7FFF_FFFF,
        Val::Inf { neg: true } => 0x8000_0000,
        Val::Fin { neg, m, q } => {
            let mag = if q >= 0 { m << q } else { m >> (-q) } as i64;
            (if neg { -mag } else { mag }) as i32 as u32
        }
    }
}

#[cfg(test)]
mod tests {
    //! The oracle is checked against a second, differently built one: the exact result in
    //! f64 (exact for + − × of halves and for I2F; one correctly rounded f64 quotient for
    //! ÷, which cannot double-round wrongly at 53 ≥ 2·11 + 2 bits), then the nearest half
    //! found by binary search over the ordered halves with exact midpoint comparisons.
    use super::*;
    use crate::xcheck::rng::Rng;

    fn value(h: u16) -> f64 {
        match unpack(h) {
            Val::Nan => f64::NAN,
            Val::Inf { neg } => {
                if neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            Val::Fin { neg, m, q } => {
                let v = m as f64 * 2f64.powi(q);
                if neg {
                    -v
                } else {
                    v
                }
            }
        }
    }

    /// Nearest binary16 to `x` by search (ties to the even bit pattern).
    fn nearest(x: f64) -> u16 {
        if x.is_nan() {
            return QNAN;
        }
        let s = if x.is_sign_negative() { SIGN } else { 0 };
        let a = x.abs();
        if a.is_infinite() {
            return s | INF;
        }
        // Largest finite h (0..=0x7BFF) with value(h) <= a.
        let (mut lo, mut hi) = (0u16, 0x7BFFu16);
        if a >= value(hi) {
            lo = hi;
        } else {
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if value(mid) <= a {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        if value(lo) == a {
            return s | lo;
        }
        // The next value up (for 0x7BFF the binade's next step, 65536, which is ∞).
        let up = lo + 1;
        let vup = if lo == 0x7BFF { 65536.0 } else { value(up) };
        let mid = (value(lo) + vup) / 2.0;
        let pick = if a < mid {
            lo
        } else if a > mid {
            up
        } else if lo & 1 == 0 {
            lo
        } else {
            up
        };
        s | pick
    }

    fn reference(op: u8, a: u16, b: u16) -> u16 {
        let (x, y) = (value(a), value(b));
        let r = match op {
            0 => x + y,
            1 => x - y,
            2 => x * y,
            _ => x / if y == 0.0 { f64::INFINITY } else { y },
        };
        nearest(r)
    }

    const SPECIAL: &[u16] = &[
        0x0000, 0x8000, 0x0001, 0x8001, 0x0002, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x0401, 0x3BFF, 0x3C00, 0xBC00, 0x3C01,
        0x3800, 0x4000, 0x7BFF, 0xFBFF, 0x7BFE, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFFFF, 0x7A00, 0x1400, 0x0800, 0x6800,
        0x5BFF, 0x2E66, 0x3555, 0x4B00, 0x4C00, 0x4BFF,
    ];

    fn check(op: u8, a: u16, b: u16) {
        let got = match op {
            0 => fadd(a, b),
            1 => fsub(a, b),
            2 => fmul(a, b),
            _ => fdiv(a, b),
        };
        assert_eq!(got, reference(op, a, b), "op {op} a {a:#06x} b {b:#06x}");
    }

    #[test]
    fn specials_against_search_reference() {
        for op in 0..4 {
            for &a in SPECIAL {
                for &b in SPECIAL {
                    check(op, a, b);
                }
            }
        }
    }

    #[test]
    fn random_against_search_reference() {
        let mut r = Rng::new(16);
        for _ in 0..150_000 {
            let op = r.below(4) as u8;
            let a = r.u32() as u16;
            // Often a nearby exponent, so that sums round in interesting places.
            let b = if r.chance(50) { (a & 0xFC00) ^ (r.u32() as u16 & 0x83FF) } else { r.u32() as u16 };
            check(op, a, b);
        }
    }

    #[test]
    fn hand_checked_values() {
        assert_eq!(fadd(0x3C00, 0x3C00), 0x4000); // 1 + 1 = 2
        assert_eq!(fadd(0x03FF, 0x0001), 0x0400); // largest subnormal + min = min normal
        assert_eq!(fmul(0x0400, 0x3BFF), 0x0400); // 1023.5 quanta: tie, to even (1024)
        assert_eq!(fadd(0x7BFF, 0x4C00), 0x7C00); // 65504 + 16 = 65520: overflows
        assert_eq!(fadd(0x7BFF, 0x4BFF), 0x7BFF); // 65504 + 15.99: stays
        assert_eq!(fsub(0x3C00, 0x3C00), 0x0000); // +0
        assert_eq!(fadd(0x8000, 0x8000), 0x8000); // -0 + -0 = -0
        assert_eq!(fsub(0x8000, 0x0000), 0x8000); // -0 - +0 = -0
        assert_eq!(fdiv(0x3C00, 0x0000), 0x0000); // 1 / +0 -> 1 / +inf = +0
        assert_eq!(fdiv(0xBC00, 0x8000), 0x8000); // -1 / -0 -> -1 / +inf = -0
        assert_eq!(fdiv(0x7C00, 0x0000), QNAN);
        assert_eq!(fdiv(0x0000, 0x0000), 0x0000);
        assert_eq!(fmul(0x7C00, 0x8000), QNAN);
        assert_eq!(fadd(0x7C00, 0xFC00), QNAN);
        assert_eq!(fadd(0x7C01, 0x3C00), QNAN);
        assert_eq!(fmul(0x0001, 0x3800), 0x0000); // 0.5 quantum: tie to even 0
        assert_eq!(fmul(0x0003, 0x3800), 0x0002); // 1.5 quanta: tie to even 2
        assert_eq!(i2f(65504), 0x7BFF);
        assert_eq!(i2f(65519), 0x7BFF);
        assert_eq!(i2f(65520), 0x7C00);
        assert_eq!(i2f(2049), 0x6800); // tie between 2048 and 2050: even
        assert_eq!(i2f(2051), 0x6802); // tie between 2050 and 2052: even
        assert_eq!(i2f(0x8000_0000), 0xFC00);
        assert_eq!(i2f(0x7FFF_FFFF), 0x7C00);
        assert_eq!(i2f((-2048i32) as u32), 0xE800);
        assert_eq!(i2f(0), 0x0000);
        assert_eq!(f2i(0x7C00), 0x7FFF_FFFF);
        assert_eq!(f2i(0xFC00), 0x8000_0000);
        assert_eq!(f2i(0x7E00), 0);
        assert_eq!(f2i(0xFE01), 0);
        assert_eq!(f2i(0x7BFF), 65504);
        assert_eq!(f2i(0xFBFF), (-65504i32) as u32);
        assert_eq!(f2i(0xC100), (-2i32) as u32); // -2.5 truncates to -2
        assert_eq!(f2i(0x3BFF), 0);
    }

    #[test]
    fn conversions_exhaustive() {
        for h in 0..=0xFFFFu16 {
            let v = value(h);
            let want = if v.is_nan() {
                0
            } else if v == f64::INFINITY {
                0x7FFF_FFFF
            } else if v == f64::NEG_INFINITY {
                0x8000_0000
            } else {
                v.trunc() as i32 as u32
            };
            assert_eq!(f2i(h), want, "F2I {h:#06x}");
        }
        let mut r = Rng::new(17);
        for i in 0..200_000u32 {
            let v = match i % 4 {
                0 => r.u32(),
                1 => r.u32() >> r.below(32),
                2 => (r.u32() >> r.below(32)).wrapping_neg(),
                _ => (r.below(70000) as i32 - 35000) as u32,
            };
            assert_eq!(i2f(v), nearest(f64::from(v as i32)), "I2F {v:#x}");
        }
    }
}
