//! The RTL mutant catalogue (docs/mutants.md; numbers are the `Mut*` localparams of
//! `rtl/hsx_pkg.sv` — a test checks the two agree). Each mutant is a small deliberate
//! bug in the separately built mutant-capable model; the harness must catch every one.

/// One mutant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mutant {
    pub number: u8,
    /// The name used on the command line (`hsx regress --mutant add-v`).
    pub name: &'static str,
    /// The `hsx_pkg` localparam.
    pub rtl_name: &'static str,
    pub bug: &'static str,
    /// Whether only `--check-timing` can see it.
    pub timing_only: bool,
}

pub const MUTANTS: &[Mutant] = &[
    Mutant {
        number: 1,
        name: "add-v",
        rtl_name: "MutAddV",
        bug: "ADD's V flag inverted when both operands are negative",
        timing_only: false,
    },
    Mutant {
        number: 2,
        name: "window-pid3",
        rtl_name: "MutWindowPid3",
        bug: "pid 3's register window off by one word",
        timing_only: false,
    },
    Mutant {
        number: 3,
        name: "push-guard",
        rtl_name: "MutPushGuard",
        bug: "PUSH's stack guard off by one word",
        timing_only: false,
    },
    Mutant {
        number: 4,
        name: "rotate-skip",
        rtl_name: "MutRotateSkip",
        bug: "rotation skips a READY task",
        timing_only: false,
    },
    Mutant {
        number: 5,
        name: "switch-sp",
        rtl_name: "MutSwitchSp",
        bug: "a context switch forgets SP",
        timing_only: false,
    },
    Mutant {
        number: 6,
        name: "switch-psw",
        rtl_name: "MutSwitchPsw",
        bug: "a context switch forgets PSW",
        timing_only: false,
    },
    Mutant {
        number: 7,
        name: "svc-no-result",
        rtl_name: "MutSvcNoResult",
        bug: "GETPID retires without its result (no trap)",
        timing_only: false,
    },
    Mutant {
        number: 8,
        name: "no-window-check",
        rtl_name: "MutNoWindowChk",
        bug: "memory protection misses the register-window region",
        timing_only: false,
    },
    Mutant {
        number: 9,
        name: "mul-slow",
        rtl_name: "MutMulSlow",
        bug: "MUL takes one cycle more than docs/timing.md",
        timing_only: true,
    },
    Mutant {
        number: 10,
        name: "fp-round",
        rtl_name: "MutFpRound",
        bug: "I2F rounds ties away from zero",
        timing_only: false,
    },
    Mutant {
        number: 11,
        name: "sth-mask",
        rtl_name: "MutSthMask",
        bug: "unaligned STH writes three bytes",
        timing_only: false,
    },
    Mutant {
        number: 12,
        name: "timeout-order",
        rtl_name: "MutTimeoutHigh",
        bug: "timeout events handed out highest pid first",
        timing_only: false,
    },
    Mutant {
        number: 13,
        name: "slice-count",
        rtl_name: "MutSliceCount",
        bug: "slice counted from 1 after a rotation",
        timing_only: false,
    },
];

/// A mutant by name or number.
pub fn resolve(s: &str) -> Result<u8, String> {
    if let Some(m) = MUTANTS.iter().find(|m| m.name == s || m.rtl_name == s || m.number.to_string() == s) {
        return Ok(m.number);
    }
    Err(format!("unknown mutant `{s}`; known: {}", MUTANTS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")))
}

pub fn by_number(n: u8) -> Option<&'static Mutant> {
    MUTANTS.iter().find(|m| m.number == n)
}

/// The `--list-mutants` table.
pub fn listing() -> String {
    let mut s = String::from(" #  NAME             BUG\n");
    for m in MUTANTS {
        s.push_str(&format!(
            "{:>2}  {:<16} {}{}\n",
            m.number,
            m.name,
            m.bug,
            if m.timing_only { " (needs --check-timing)" } else { "" }
        ));
    }
    s
}
