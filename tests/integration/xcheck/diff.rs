//! Running one program on the golden model (`vm_ref::system::System`, loaded and spawned
//! through its executive like `hsx run` does) and on the independent [`Model`], and
//! comparing the final architectural state field by field. On a difference, a lockstep
//! re-run finds the first step at which the two diverge.

use super::model::{Model, Setup, State};
use isa::TaskState;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use vm_ref::exec::{ExecConfig, SpawnOptions};
use vm_ref::system::System;
use vm_ref::MachineConfig;

/// What both models are compared on at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Final {
    pub state: State,
    pub pc: u16,
    pub psw: u8,
    pub sp: u32,
    pub regs: [u32; 16],
    /// The task's accounted steps.
    pub steps: u64,
    /// The machine's steps (one task: the same number).
    pub machine_steps: u64,
    pub console: Vec<u8>,
    pub mem: Vec<u8>,
}

/// Where a run starts: the image and how the task is spawned.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub image: &'a isa::hxe::Image,
    pub stack_size: u32,
    pub protect: bool,
    pub max_steps: u64,
}

impl Run<'_> {
    pub fn setup(&self) -> Setup {
        Setup {
            code: self.image.code.clone(),
            data: self.image.data.clone(),
            data_addr: self.image.data_addr,
            bss: self.image.bss,
            entry: self.image.entry,
            stack_size: self.stack_size,
            protect: self.protect,
        }
    }
}

fn golden_state(sys: &System) -> Result<State, String> {
    let s = sys.machine.slot(1);
    Ok(match s.state {
        TaskState::Running | TaskState::Ready => State::Running,
        TaskState::Returned => State::Returned(s.exit_code.ok_or("RETURNED without an exit code")?),
        TaskState::Faulted => State::Faulted(s.fault.ok_or("FAULTED without a fault code")?),
        TaskState::Paused => State::Paused(sys.machine.brk_code[0].ok_or("PAUSED without a BRK code")?),
        other => return Err(format!("task in state {}", other.name())),
    })
}

fn golden_final(sys: &System) -> Result<Final, String> {
    let s = sys.machine.slot(1);
    Ok(Final {
        state: golden_state(sys)?,
        pc: s.pc,
        psw: s.psw,
        sp: s.sp,
        regs: sys.machine.regs(1),
        steps: s.accounted_steps,
        machine_steps: sys.machine.steps,
        console: sys.exec.console(1).to_vec(),
        mem: sys.machine.dmem.to_vec(),
    })
}

/// Load and spawn on a fresh golden system.
pub fn golden_system(run: &Run) -> Result<System, String> {
    let mcfg = MachineConfig { protect: run.protect, ..MachineConfig::default() };
    let mut sys = System::new(&mcfg, ExecConfig::default());
    let id = sys.exec.load_image(&mut sys.machine, "x", run.image).map_err(|e| format!("load_image: {e}"))?;
    let opts = SpawnOptions { stack_size: Some(run.stack_size), slice: None };
    let pid = sys.exec.spawn(&mut sys.machine, id, run.image.entry, opts).map_err(|e| format!("spawn: {e}"))?;
    if pid != 1 {
        return Err(format!("spawned as pid {pid}, expected 1"));
    }
    Ok(sys)
}

/// Run on the golden model; a panic inside it is reported as an error.
pub fn run_golden(run: &Run) -> Result<Final, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut sys = golden_system(run)?;
        sys.run(run.max_steps);
        golden_final(&sys)
    }))
    .unwrap_or_else(|p| Err(format!("golden model panicked: {}", panic_text(&p))))
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

fn model_final(m: &Model) -> Final {
    Final {
        state: m.state,
        pc: m.pc,
        psw: m.psw,
        sp: m.sp,
        regs: m.regs(),
        steps: m.steps,
        machine_steps: m.steps,
        console: m.console.clone(),
        mem: m.mem.clone(),
    }
}

/// Run on the independent model; a panic (an SVC it does not implement) is an error.
pub fn run_model(run: &Run) -> Result<(Final, Model), String> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut m = Model::new(&run.setup());
        m.run(run.max_steps);
        (model_final(&m), m)
    }))
    .map_err(|p| format!("model panicked: {}", panic_text(&p)))
}

/// The first field in which `golden` differs from `model`, as text.
pub fn first_difference(golden: &Final, model: &Final) -> Option<String> {
    let h = |v: u32| format!("0x{v:08X}");
    if golden.state != model.state {
        return Some(format!("state: golden {:?}, model {:?}", golden.state, model.state));
    }
    if golden.pc != model.pc {
        return Some(format!("pc: golden 0x{:04X}, model 0x{:04X}", golden.pc, model.pc));
    }
    if golden.psw != model.psw {
        return Some(format!("psw: golden 0x{:X}, model 0x{:X}", golden.psw, model.psw));
    }
    if golden.sp != model.sp {
        return Some(format!("sp: golden {}, model {}", h(golden.sp), h(model.sp)));
    }
    for i in 0..16 {
        if golden.regs[i] != model.regs[i] {
            return Some(format!("R{i}: golden {}, model {}", h(golden.regs[i]), h(model.regs[i])));
        }
    }
    if golden.steps != model.steps {
        return Some(format!("accounted_steps: golden {}, model {}", golden.steps, model.steps));
    }
    if golden.machine_steps != model.machine_steps {
        return Some(format!("machine steps: golden {}, model {}", golden.machine_steps, model.machine_steps));
    }
    if golden.console != model.console {
        return Some(format!(
            "console: golden {:?}, model {:?}",
            String::from_utf8_lossy(&golden.console),
            String::from_utf8_lossy(&model.console)
        ));
    }
    if let Some(a) = (0..golden.mem.len()).find(|&a| golden.mem[a] != model.mem[a]) {
        return Some(format!("data memory at 0x{a:04X}: golden 0x{:02X}, model 0x{:02X}", golden.mem[a], model.mem[a]));
    }
    None
}

/// Step both models together and describe the first step after which they disagree.
pub fn localize(run: &Run) -> String {
    let mut out = String::new();
    let r = catch_unwind(AssertUnwindSafe(|| -> Result<String, String> {
        let mut sys = golden_system(run)?;
        let mut m = Model::new(&run.setup());
        let mut text = String::new();
        for _ in 0..run.max_steps {
            if m.state != State::Running {
                break;
            }
            let pc = m.pc;
            let code = &m.code;
            let at = pc as usize;
            let insn = if at & 3 == 0 && at + 4 <= code.len() {
                let w = u32::from_be_bytes([code[at], code[at + 1], code[at + 2], code[at + 3]]);
                let next = (at + 8 <= code.len())
                    .then(|| u32::from_be_bytes([code[at + 4], code[at + 5], code[at + 6], code[at + 7]]));
                isa::disasm::disasm_word(w, next, pc as u32).0
            } else {
                "<no instruction: BAD_PC>".to_string()
            };
            let regs_before = m.regs();
            let psw_before = m.psw;
            m.step();
            if sys.step().is_none() {
                let _ = write!(text, "golden stopped before step {}", m.steps);
                return Ok(text);
            }
            let g = golden_final(&sys)?;
            let md = model_final(&m);
            if let Some(d) = first_difference(&g, &md) {
                let _ = writeln!(text, "first divergence at step {} (pc 0x{pc:04X}: {insn}): {d}", m.steps);
                let _ = writeln!(text, "  before: psw 0x{psw_before:X} regs {}", fmt_regs(&regs_before));
                let _ = writeln!(text, "  golden: psw 0x{:X} regs {}", g.psw, fmt_regs(&g.regs));
                let _ = write!(text, "  model:  psw 0x{:X} regs {}", md.psw, fmt_regs(&md.regs));
                return Ok(text);
            }
        }
        text.push_str("no divergence in lockstep (the difference is in the end-of-run handling)");
        Ok(text)
    }));
    match r {
        Ok(Ok(t)) => out.push_str(&t),
        Ok(Err(e)) => out.push_str(&e),
        Err(p) => {
            let _ = write!(out, "panic while localizing: {}", panic_text(&p));
        }
    }
    out
}

fn fmt_regs(r: &[u32; 16]) -> String {
    r.iter().map(|v| format!("{v:08X}")).collect::<Vec<_>>().join(" ")
}
