//! The coverage waivers: lines the default regression cannot reach, or executes but
//! Verilator does not count, matched by their source text (docs/coverage.md).

use super::Point;

/// Why a line the regression never counts is not a hole in it (docs/coverage.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WaiverKind {
    /// No input reaches it (a complete `case`'s `default`, a check the architecture
    /// makes impossible).
    Unreachable,
    /// Only host-bus traffic that neither the executive nor a host script
    /// (`harness::host_script`) can issue reaches it.
    HostOnly,
    /// Only a hand-made mutant reaches it.
    MutantOnly,
    /// Executed (the lockstep-checked results prove it) but Verilator 5.006 does not
    /// count it.
    NotCounted,
}

impl WaiverKind {
    pub fn name(self) -> &'static str {
        match self {
            WaiverKind::Unreachable => "unreachable",
            WaiverKind::HostOnly => "host-only",
            WaiverKind::MutantOnly => "mutant-only",
            WaiverKind::NotCounted => "executed, not counted by Verilator",
        }
    }
}

/// One waived coverage point: its file, the trimmed text its own line starts with, and
/// optionally text the next line contains (to tell equal lines apart).
#[derive(Debug, Clone, Copy)]
pub struct Waiver {
    pub file: &'static str,
    pub line: &'static str,
    pub next: Option<&'static str>,
    pub kind: WaiverKind,
    pub why: &'static str,
}

const fn w(file: &'static str, line: &'static str, kind: WaiverKind, why: &'static str) -> Waiver {
    Waiver { file, line, next: None, kind, why }
}

/// The points of the current RTL that the default regression cannot (or Verilator does
/// not) count, matched by source text so that they follow edits that move lines. A test
/// checks that each still matches the RTL. docs/coverage.md explains each.
pub const WAIVERS: &[Waiver] = {
    use WaiverKind::*;
    const ALU: &str = "rtl/hsx_alu.sv";
    const CORE: &str = "rtl/hsx_core.sv";
    const FPU: &str = "rtl/hsx_fpu.sv";
    const LSU: &str = "rtl/hsx_lsu.sv";
    const SCHED: &str = "rtl/hsx_sched.sv";
    const TOP: &str = "rtl/hsx_top.sv";
    &[
        w(CORE, "default:              done(pc4);   // not a jump_e value", Unreachable, "a complete case over the jump kinds"),
        w(CORE, "end else if (pop_unf) begin", Unreachable, "RET: SP moves in steps of 4 from the aligned stack_top, so SP != stack_top implies SP + 4 <= stack_top"),
        w(CORE, "end else if (pop_mem) begin", Unreachable, "a stack word past 0xFFFF needs a corrupt slot; the executive never builds one"),
        w(CORE, "end else if (push_mem) begin", Unreachable, "a stack word past 0xFFFF needs a corrupt slot; the executive never builds one"),
        w(CORE, "default: fault(hsx_isa_pkg::FaultIllegal);", Unreachable, "the default of a case over every instruction class"),
        w(CORE, "hsx_isa_pkg::ClsJump, hsx_isa_pkg::ClsSvc, hsx_isa_pkg::ClsBrk: begin", Unreachable, "these classes finish in StDecode and never reach this state"),
        Waiver {
            file: CORE,
            line: "hsx_isa_pkg::ClsBrk: begin",
            next: Some("// unreachable"),
            kind: Unreachable,
            why: "these classes never read a second operand",
        },
        w(CORE, "default: st_d = hsx_pkg::StBoundary;", Unreachable, "the default of a case over every state"),
        Waiver {
            file: FPU,
            line: "default: begin",
            next: Some("sel_special_val = 16'd0;"),
            kind: Unreachable,
            why: "the default of a case over every FPU operation",
        },
        w(FPU, "if (div_an_v[15:8] == 8'd0) begin", NotCounted, "subnormal dividends: tests/programs/coverage/fdiv-subnormal.mvasm divides them, results checked, counter stays 0"),
        w(FPU, "if (div_an_v[15:12] == 4'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_an_v[15:14] == 2'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_an_v[15] == 1'b0) begin", NotCounted, "as above"),
        w(FPU, "if (div_bn_v[15:8] == 8'd0) begin", NotCounted, "subnormal divisors: tests/programs/coverage/fdiv-subnormal.mvasm divides by them, results checked, counter stays 0"),
        w(FPU, "if (div_bn_v[15:12] == 4'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_bn_v[15:14] == 2'd0) begin", NotCounted, "as above"),
        w(FPU, "if (div_bn_v[15] == 1'b0) begin", NotCounted, "as above"),
        w(FPU, "if (div_rem >= {1'b0, div_bn_v[15:5]}) begin", NotCounted, "a quotient bit of 1 (every FDIV with a non-zero quotient) inside the unrolled loop"),
        w(ALU, "default:              zn = 1'b0;", Unreachable, "the default of a case over every ALU operation"),
        w(LSU, "default:        len = 3'd4;", Unreachable, "the default of a case over every access size"),
        w(LSU, "default:        mask8 = 8'b0000_1111;", Unreachable, "the default of a case over every access size"),
        w(LSU, "default:        load_o = shifted;", Unreachable, "the default of a case over every access size"),
        w(SCHED, "if (!tmo_valid_o) begin", NotCounted, "every timeout wake (wake:timeout is hit) takes its task index here; inside an unrolled loop"),
        w(SCHED, "if (deadline_q[i] < min_dl) begin", NotCounted, "the idle jump to the earliest deadline (wake:sleep, wake:timeout) needs it; inside an unrolled loop"),
        w(SCHED, "if (!pick_valid && state_q[j] == hsx_isa_pkg::TaskReady) begin", NotCounted, "every pick goes through it (15 787 picks); inside an unrolled loop"),
        w(SCHED, "if (!rot_valid && state_q[j] == hsx_isa_pkg::TaskReady) begin", NotCounted, "every rotation goes through it (the `if (rot_valid)` after it is counted 14 120 times); inside an unrolled loop"),
        w(SCHED, "default:            end_st = state_q[cidx];", Unreachable, "the default of a case over every step ending"),
        w(TOP, "default:            hb_rdata_o = '0;", HostOnly, "host reads of the unmapped address space 3: the driver (sim::Space) names only spaces 0-2, so no host action reaches it"),
    ]
};

pub(super) fn waiver_of<'a>(p: &Point, src: Option<&Vec<String>>, waivers: &'a [Waiver]) -> Option<&'a Waiver> {
    let src = src?;
    // The point's first source line (an `else` branch's point carries its `if`'s line
    // number; its lines start at the `else`).
    let first = if p.has_lines { p.lines.iter().copied().min().unwrap_or(p.line) } else { p.line };
    let own = src.get((first as usize).wrapping_sub(1))?.trim();
    let next = src.get(first as usize).map(|s| s.as_str()).unwrap_or("");
    waivers
        .iter()
        .find(|w| w.file == p.file && own.starts_with(w.line) && w.next.map(|n| next.contains(n)).unwrap_or(true))
}
