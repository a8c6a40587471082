//! Unit tests of the RTL driver against the Verilated model (they need the RTL of
//! docs/rtl-interface.md; the build fails without Verilator).

use super::*;
use crate::model::retire_of;
use isa::{Command, Insn, MemWrite, NoOperands, RdImm, RdRsRs, Slot, SpawnContext, SvcOp, TaskState, WaitKind};
use std::path::Path;

const STACK_TOP: u32 = 0xFFFC;
const STACK_LIMIT: u32 = 0xEFFC;

fn rtl() -> Rtl {
    Rtl::new(RtlOptions::default()).expect("model")
}

fn words(prog: &[Insn]) -> Vec<u32> {
    prog.iter().flat_map(|i| i.encode().as_slice().to_vec()).collect()
}

/// Load `prog` at code address 0 and spawn it as pid 1 the way the executive does:
/// window zeroed, R15 = SP = stack_top, slice 1.
fn spawn(r: &mut Rtl, pid: u8, code_base: u16, prog: &[Insn]) -> Vec<u32> {
    let w = words(prog);
    r.write_code_words(code_base, &w).unwrap();
    let reg_base = isa::window_of(pid);
    r.write_data(reg_base as u16, &[0u8; 64]).unwrap();
    r.write_data(reg_base as u16 + 60, &STACK_TOP.to_le_bytes()).unwrap();
    r.command(Command::Spawn {
        pid,
        ctx: SpawnContext {
            pc: 0,
            sp: STACK_TOP,
            reg_base,
            stack_limit: STACK_LIMIT,
            stack_top: STACK_TOP,
            code_base: code_base as u32,
            code_size: 4 * w.len() as u32,
            slice: 1,
        },
    })
    .unwrap();
    w
}

/// Run until quiescent, collecting retires (panics on anything else).
fn run_to_idle(r: &mut Rtl) -> Vec<Retire> {
    let mut v = Vec::new();
    for _ in 0..1000 {
        match r.run(100_000) {
            Event::Retire(x) => v.push(x),
            Event::Idle => return v,
            e => panic!("unexpected {e:?} after {} retires", v.len()),
        }
    }
    panic!("no Idle after 1000 events");
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hsx-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn reset_state() {
    let mut r = rtl();
    assert_eq!(r.cycles(), 0);
    assert!(!r.running());
    let n = r.n_tasks();
    assert_eq!(n as usize, isa::DEFAULT_N_TASKS);
    for pid in 1..=n {
        assert_eq!(r.probe_slot(pid).state, TaskState::Empty, "pid {pid}");
    }
    let g = r.probe_globals();
    assert_eq!(g, Globals { current: 0, last_ran: 0, steps: 0, ticks: 0, stack_region_lo: 0x1_0000, protect: true });
    // The same over the bus, which costs cycles.
    assert_eq!(r.read_globals().unwrap(), g);
    assert_eq!(r.read_n_tasks().unwrap(), n as u32);
    assert!(r.cycles() > 0);
    for pid in 1..=n {
        assert_eq!(r.slot(pid).unwrap(), Slot::default(), "pid {pid}");
    }
    // reset() brings the cycle counter back to 0 and undoes register writes.
    r.set_protect(false).unwrap();
    assert!(!r.probe_globals().protect);
    r.reset();
    assert_eq!(r.cycles(), 0);
    assert!(r.probe_globals().protect);
}

#[test]
fn host_bus_round_trips() {
    let mut r = rtl();
    // Data RAM: whole words, bytes at odd alignment, a span over two words.
    r.hb_write(Space::Data, 0x4000, 0x1122_3344, 0xF);
    assert_eq!(r.hb_read(Space::Data, 0x4000), 0x1122_3344);
    r.hb_write(Space::Data, 0x4000, 0xAA00_00BB, 0b1001);
    assert_eq!(r.hb_read(Space::Data, 0x4000), 0xAA22_33BB);
    r.write_data(0x4103, &[1, 2, 3, 4, 5]).unwrap();
    assert_eq!(r.read_data(0x4103, 5).unwrap(), vec![1, 2, 3, 4, 5]);
    assert_eq!(r.peek_data_word(0x4100), 0x0100_0000);
    assert_eq!(r.peek_data_word(0x4104), 0x0504_0302);
    assert_eq!(r.read_data_word(0x4106).unwrap(), 0x0504_0302);
    let mut mem = vec![0u8; isa::DATA_SIZE];
    r.read_data_mem(&mut mem);
    assert_eq!(&mem[0x4000..0x4004], &[0xBB, 0x33, 0x22, 0xAA]);
    assert_eq!(&mem[0x4103..0x4108], &[1, 2, 3, 4, 5]);
    assert!(matches!(r.write_data(0xFFFE, &[0; 4]), Err(SimError::OutOfRange { .. })));
    assert!(r.take_bus_error().is_none());

    // Code RAM: big-endian words; a partial word is merged.
    r.write_code_words(0x100, &[0x0110_0005, 0xDEAD_BEEF]).unwrap();
    assert_eq!(r.hb_read(Space::Code, 0x100), 0x0110_0005);
    assert_eq!(r.peek_code_word(0x104), 0xDEAD_BEEF);
    r.write_code(0x105, &[0x12, 0x34]).unwrap();
    assert_eq!(r.peek_code_word(0x104), 0xDE12_34EF);
    assert_eq!(r.read_code(0x103, 3).unwrap(), vec![0x05, 0xDE, 0x12]);
    let mut code = vec![0u8; 0x108];
    r.read_code_mem(&mut code);
    assert_eq!(&code[0x100..0x108], &[0x01, 0x10, 0x00, 0x05, 0xDE, 0x12, 0x34, 0xEF]);

    // Control registers: stack_region_lo (17 bits), protect, the command arguments.
    r.set_stack_region_lo(0xE000).unwrap();
    r.set_protect(false).unwrap();
    assert_eq!(r.read_ctrl(global_reg(6)).unwrap(), 0xE000);
    assert_eq!(r.read_ctrl(global_reg(7)).unwrap() & 1, 0);
    let g = r.probe_globals();
    assert_eq!((g.stack_region_lo, g.protect), (0xE000, false));
    for i in 0..8u16 {
        r.write_ctrl(global_reg(8 + i), 0x1000 * i as u32 + 7).unwrap();
    }
    for i in 0..8u16 {
        assert_eq!(r.read_ctrl(global_reg(8 + i)).unwrap(), 0x1000 * i as u32 + 7);
    }
}

#[test]
fn commands_are_checked_before_issuing() {
    let mut r = rtl();
    let n = r.n_tasks();
    assert!(matches!(r.command(Command::Wake { pid: 0 }), Err(SimError::Command(CommandError::NoSuchPid(0)))));
    assert!(matches!(r.command(Command::Kill { pid: n + 1 }), Err(SimError::Command(CommandError::NoSuchPid(_)))));
    assert!(matches!(
        r.command(Command::SetSlice { pid: 1, n: 0 }),
        Err(SimError::Command(CommandError::ZeroSlice(1)))
    ));
    spawn(&mut r, 1, 0, &[Insn::Ret(NoOperands {})]);
    assert_eq!(r.probe_slot(1).state, TaskState::Ready);
    let busy = r.command(Command::Spawn { pid: 1, ctx: SpawnContext { slice: 1, ..Default::default() } });
    assert!(matches!(busy, Err(SimError::Command(CommandError::SlotBusy(1)))));
}

#[test]
fn tiny_program_runs_to_returned() {
    let mut r = rtl();
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: 5 }),
        Insn::Ldi(RdImm { rd: 2, imm: 7 }),
        Insn::Add(RdRsRs { rd: 3, rs1: 1, rs2: 2 }),
        Insn::Sub(RdRsRs { rd: 4, rs1: 1, rs2: 2 }),
        Insn::Ret(NoOperands {}),
    ];
    let w = spawn(&mut r, 1, 0x40, &prog);
    let spawned = r.probe_slot(1);
    assert_eq!(spawned.state, TaskState::Ready);
    assert_eq!((spawned.code_base, spawned.code_size, spawned.sp), (0x40, 20, STACK_TOP));
    r.set_run(true);
    let mut retires = Vec::new();
    let mut timed = Vec::new();
    loop {
        match r.run(100_000) {
            Event::Retire(x) => {
                retires.push(x);
                timed.push(r.last_retire_timed_cycle());
            }
            Event::Idle => break,
            e => panic!("unexpected {e:?}"),
        }
    }

    let rec = |step: u64, pc: u16, next_pc: u16, write: Option<(u16, u32)>, psw: u8| {
        let mut x = Retire {
            step,
            pid: 1,
            pc,
            insn_len: 1,
            insn: [w[pc as usize / 4], 0],
            next_pc,
            psw,
            sp: STACK_TOP,
            ..Default::default()
        };
        if let Some((addr, data)) = write {
            x.push_write(MemWrite { addr, mask: 0xF, data });
        }
        x
    };
    let expected = vec![
        rec(1, 0, 4, Some((0x1004, 5)), 0),
        rec(2, 4, 8, Some((0x1008, 7)), 0),
        rec(3, 8, 12, Some((0x100C, 12)), 0),
        // 5 - 7: N, no carry (a < b), no overflow.
        rec(4, 12, 16, Some((0x1010, (-2i32) as u32)), isa::PSW_N),
        // RET at SP = stack_top: the task returns, PC stays.
        rec(5, 16, 16, None, isa::PSW_N),
    ];
    assert_eq!(retires, expected);
    // docs/timing.md: pick + LDI = 1 + 1 + 2, then LDI 2, ADD 4, SUB 4, RET 3 (cycles
    // before run_i went high and host-bus cycles are excluded).
    let deltas: Vec<u64> = timed.iter().scan(0, |prev, &t| Some(t - std::mem::replace(prev, t))).collect();
    assert_eq!(deltas, vec![4, 2, 4, 4, 3]);
    assert!(r.last_retire_cycle() > 0 && r.last_retire_cycle() <= r.cycles());

    let s = r.probe_slot(1);
    assert_eq!(s.state, TaskState::Returned);
    assert_eq!(s.exit_code, Some(0));
    assert_eq!(s.accounted_steps, 5);
    let g = r.probe_globals();
    assert_eq!((g.current, g.last_ran, g.steps, g.ticks), (0, 1, 5, 5));
    assert_eq!(r.peek_window(0x1000)[3], 12);
    // The probe agrees with the host bus.
    assert_eq!(r.slot(1).unwrap(), s);
    assert_eq!(r.read_globals().unwrap(), r.probe_globals());
}

#[test]
fn svc_traps_until_acknowledged() {
    let mut r = rtl();
    let prog = [Insn::Svc(SvcOp { module: 6, func: 2 }), Insn::Ret(NoOperands {})];
    spawn(&mut r, 1, 0, &prog);
    r.set_run(true);
    let t = match r.run(100_000) {
        Event::Trap(t) => t,
        e => panic!("expected a trap, got {e:?}"),
    };
    assert_eq!(t, Trap { cause: TrapCause::Svc, pid: 1, module: 6, func: 2, pc: 0 });
    // Without an ack the trap stays pending, and no cycle passes.
    let c = r.cycles();
    assert_eq!(r.run(100), Event::Trap(t));
    assert_eq!(r.cycles(), c);
    assert!(r.trap_pending());
    // Service it as GETPID does: R0 <- pid, over the bus; then acknowledge.
    r.write_data(0x1000, &1u32.to_le_bytes()).unwrap();
    r.trap_ack();
    let svc = match r.run(100_000) {
        Event::Retire(x) => x,
        e => panic!("expected the SVC's retire, got {e:?}"),
    };
    assert_eq!((svc.step, svc.pc, svc.next_pc, svc.trap, svc.fault), (1, 0, 4, Some((6, 2)), None));
    let rest = run_to_idle(&mut r);
    assert_eq!(rest.len(), 1);
    assert_eq!(r.probe_slot(1).exit_code, Some(1));
}

#[test]
fn halted_when_run_is_low() {
    let mut r = rtl();
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: 1 }),
        Insn::Ldi(RdImm { rd: 2, imm: 2 }),
        Insn::Ldi(RdImm { rd: 3, imm: 3 }),
        Insn::Ret(NoOperands {}),
    ];
    spawn(&mut r, 1, 0, &prog);
    assert_eq!(r.run(1000), Event::Halted);
    assert_eq!(r.probe_globals().steps, 0);
    r.set_run(true);
    assert!(matches!(r.run(100_000), Event::Retire(_)));
    // Stop: a step already started may still retire, then the core halts at the boundary.
    r.set_run(false);
    let mut retired = 1;
    loop {
        match r.run(1000) {
            Event::Halted => break,
            Event::Retire(_) => retired += 1,
            e => panic!("unexpected {e:?}"),
        }
    }
    assert!(retired <= 2, "{retired} retires after run_i went low");
    assert!(r.halted());
    assert_eq!(r.probe_globals().steps, retired);
    assert_eq!(r.probe_in_flight(), r.probe_in_flight().map(|_| false));
    // Halted stays halted, and a zero budget is an immediate cycle limit.
    assert_eq!(r.run(1000), Event::Halted);
    assert_eq!(r.probe_globals().steps, retired);
    assert_eq!(r.run(0), Event::CycleLimit);
    // Run again to the end.
    r.set_run(true);
    assert_eq!(run_to_idle(&mut r).len() as u64, 4 - retired);
}

#[test]
fn write_monitor_sees_host_and_core_writes() {
    let mut r = rtl();
    assert!(r.write_monitor_available(), "the RTL exposes the data-RAM port (docs/rtl-interface.md)");
    r.write_data(0x4001, &[0xAB]).unwrap();
    let w = r.take_observed_writes().unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].addr, w[0].be, w[0].data & 0xFF00, w[0].from_host), (0x4000, 0b0010, 0xAB00, true));
    assert!(w[0].cycle <= r.cycles());
    spawn(&mut r, 1, 0, &[Insn::Ldi(RdImm { rd: 2, imm: -1 }), Insn::Ret(NoOperands {})]);
    let _ = r.take_observed_writes().unwrap();
    r.set_run(true);
    let ret = run_to_idle(&mut r);
    let core: Vec<ObservedWrite> = r.take_observed_writes().unwrap().into_iter().filter(|w| !w.from_host).collect();
    let rec: Vec<MemWrite> = ret.iter().flat_map(|x| x.writes().to_vec()).collect();
    assert_eq!(rec, vec![MemWrite { addr: 0x1008, mask: 0xF, data: 0xFFFF_FFFF }]);
    assert_eq!(core.len(), 1, "{core:?}");
    assert_eq!((core[0].addr, core[0].be, core[0].data), (0x1008, 0xF, 0xFFFF_FFFF));
}

#[test]
fn vcd_open_writes_a_file() {
    let mut r = Rtl::new(RtlOptions { trace: true, ..RtlOptions::default() }).expect("model");
    assert!(r.traced());
    let p = temp_path("open.vcd");
    let _ = std::fs::remove_file(&p);
    r.vcd_open(&p).unwrap();
    assert!(r.vcd_is_open());
    r.tick(50);
    r.hb_write(Space::Data, 0x4000, 1, 0xF);
    r.vcd_close();
    assert!(!r.vcd_is_open());
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("$enddefinitions"), "no VCD header");
    let ts = text.split("$timescale").nth(1).and_then(|t| t.split("$end").next()).unwrap_or("");
    assert_eq!(ts.trim(), "1ns", "timescale");
    assert!(text.contains("clk_i") && text.contains("hb_req_i"));
    // 50 cycles and a bus access: the last timestamp is that many periods on.
    let last = text.lines().filter_map(|l| l.strip_prefix('#')).filter_map(|t| t.parse::<u64>().ok()).max();
    assert_eq!(last, Some(r.cycles() * VCD_TIME_PER_CYCLE));
    // Re-opening works (a second trace file on the same model).
    let p2 = temp_path("reopen.vcd");
    r.vcd_open(&p2).unwrap();
    r.tick(3);
    r.vcd_close();
    assert!(std::fs::metadata(&p2).unwrap().len() > 0);
    // A file that cannot be created is an error naming why (the errno of open()).
    match r.vcd_open(Path::new("/nonexistent-dir/x.vcd")) {
        Err(SimError::VcdWrite { path, source }) => {
            assert_eq!(path, "/nonexistent-dir/x.vcd");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected VcdWrite, got {other:?}"),
    }
    let _ = std::fs::remove_file(&p);
    // The untraced models refuse, naming the file and why; nothing is created.
    for opts in [RtlOptions::default(), RtlOptions { monitors: true, ..RtlOptions::default() }] {
        let mut u = Rtl::new(opts).expect("model");
        assert!(!u.traced());
        let q = temp_path("untraced.vcd");
        let _ = std::fs::remove_file(&q);
        match u.vcd_open(&q) {
            Err(e @ SimError::NotTraced { .. }) => assert!(e.to_string().contains("untraced.vcd"), "{e}"),
            other => panic!("expected NotTraced, got {other:?}"),
        }
        assert!(matches!(u.vcd_arm(&q, 0, None), Err(SimError::NotTraced { .. })));
        assert!(!u.vcd_is_open() && !q.exists());
    }
    let _ = std::fs::remove_file(&p2);
}

#[test]
fn mutant_model_builds_and_takes_a_mutant_number() {
    // -1 + -1: C and N, no overflow. Mutant 1 (docs/mutants.md, "ADD V flag") flips V
    // when both operands are negative; mutant 9 only slows MUL down.
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: -1 }),
        Insn::Ldi(RdImm { rd: 2, imm: -1 }),
        Insn::Add(RdRsRs { rd: 3, rs1: 1, rs2: 2 }),
        Insn::Ret(NoOperands {}),
    ];
    let run = |mutant: u16| -> Vec<Retire> {
        let mut r = Rtl::new(RtlOptions { mutant, ..RtlOptions::default() }).expect("model");
        assert_eq!(r.options().mutant, mutant);
        assert_eq!(r.probe_globals().stack_region_lo, 0x1_0000);
        spawn(&mut r, 1, 0, &prog);
        r.set_run(true);
        run_to_idle(&mut r)
    };
    let real = run(0);
    assert_eq!(real[2].psw, isa::PSW_C | isa::PSW_N);
    let m1 = run(1);
    assert_eq!(m1[2].psw, isa::PSW_C | isa::PSW_N | isa::PSW_V, "mutant 1 selected");
    assert_eq!(m1[..2], real[..2]);
    assert_eq!(run(9), real, "mutant 9 does not touch this program");
}

#[test]
fn retire_record_conversion() {
    // The build script itself is exercised by every build; here: the retire conversion.
    let rec = bridge::RetireRec {
        step: 3,
        pid: 2,
        pc: 8,
        next_pc: 12,
        insn_len: 1,
        insn0: 0x0110_0005,
        insn1: 0xFFFF_FFFF, // ignored: insn_len is 1
        nwr: 1,
        wr0_addr: 0x1044,
        wr0_be: 0xF,
        wr0_data: 5,
        wr1_addr: 0x2000, // ignored: nwr is 1
        wr1_be: 0xF,
        wr1_data: 9,
        psw: 0x1F,
        sp: 0xFFFC,
        fault: false,
        fault_code: 0xFFFF_FF06, // ignored: no fault
        trap: true,
        trap_mod: 6,
        trap_fn: 1,
        ..Default::default()
    };
    let r = retire_of(&rec);
    assert_eq!(r.insn, [0x0110_0005, 0]);
    assert_eq!(r.writes(), &[MemWrite { addr: 0x1044, mask: 0xF, data: 5 }]);
    assert_eq!(r.writes[1], MemWrite::default());
    assert_eq!((r.psw, r.fault, r.trap), (0xF, None, Some((6, 1))));
}

#[test]
fn write_monitor_reports_lost_writes() {
    let mut r = rtl();
    assert!(r.write_monitor_available());
    // The ring holds 65 536 writes; five 64 KiB loads are 81 920 word writes.
    let block = vec![0x5Au8; 0x1_0000];
    for _ in 0..5 {
        r.write_data(0, &block).unwrap();
    }
    assert!(matches!(r.take_observed_writes(), Err(SimError::WritesLost(16_384))));
    // The next drain starts clean.
    assert_eq!(r.take_observed_writes().unwrap(), vec![]);
    r.write_data(0x10, &[1]).unwrap();
    assert_eq!(r.take_observed_writes().unwrap().len(), 1);
    r.set_write_monitor(false);
    r.write_data(0x10, &[2]).unwrap();
    assert_eq!(r.take_observed_writes().unwrap(), vec![]);
}

#[test]
fn models_coexist_and_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Rtl>();
    let mut a = rtl();
    let b = rtl();
    a.write_data(0x4000, &[7]).unwrap();
    drop(b); // dropping one model must not disturb the other
    assert_eq!(a.read_data(0x4000, 1).unwrap(), vec![7]);
    let h = std::thread::spawn(move || {
        a.write_data(0x4001, &[8]).unwrap();
        a.peek_data_word(0x4000)
    });
    assert_eq!(h.join().unwrap() & 0xFFFF, 0x0807);
    // A new model after both are gone starts from reset.
    assert_eq!(rtl().peek_data_word(0x4000), 0);
}

#[test]
fn timed_cycles_follow_the_clock() {
    let mut r = rtl();
    assert!(r.has_timing_signal());
    assert_eq!(r.probe_in_flight(), Some(false));
    assert_eq!(r.probe_step_boundary(), Some(true));
    assert!(r.timed_cycles() <= r.cycles());
    spawn(&mut r, 1, 0, &[Insn::Ldi(RdImm { rd: 1, imm: 1 }), Insn::Ret(NoOperands {})]);
    r.set_run(true);
    let t0 = r.timed_cycles();
    let c0 = r.cycles();
    let _ = run_to_idle(&mut r);
    assert!(r.last_retire_timed_cycle() > t0);
    assert!(r.timed_cycles() - t0 <= r.cycles() - c0);
}

#[test]
fn timeout_trap_after_an_idle_jump() {
    let mut r = rtl();
    spawn(&mut r, 1, 0, &[Insn::Ldi(RdImm { rd: 1, imm: 1 }), Insn::Ret(NoOperands {})]);
    r.command(Command::Block { pid: 1, wait: WaitKind::Sleep, deadline: Some(10) }).unwrap();
    let s = r.probe_slot(1);
    assert_eq!((s.state, s.wait, s.deadline), (TaskState::Blocked, WaitKind::Sleep, Some(10)));
    assert_eq!(r.slot(1).unwrap(), s);
    r.set_run(true);
    // Nothing runnable, a deadline pending: ticks jumps to 10 and the sleep times out.
    let t = match r.run(100_000) {
        Event::Trap(t) => t,
        e => panic!("expected the timeout, got {e:?}"),
    };
    assert_eq!((t.cause, t.pid), (TrapCause::Timeout, 1));
    assert_eq!(r.probe_globals().ticks, 10);
    // The executive ends the sleep: WAKE, then acknowledge.
    r.command(Command::Wake { pid: 1 }).unwrap();
    r.trap_ack();
    assert_eq!(run_to_idle(&mut r).len(), 2);
    let g = r.probe_globals();
    assert_eq!((g.steps, g.ticks), (2, 12));
    assert_eq!(r.probe_slot(1).state, TaskState::Returned);
}

#[test]
fn table_monitor_is_quiet_on_a_correct_run_and_fires_on_a_change() {
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: 5 }),
        Insn::Ldi(RdImm { rd: 2, imm: 7 }),
        Insn::Add(RdRsRs { rd: 3, rs1: 1, rs2: 2 }),
        Insn::Mul(RdRsRs { rd: 4, rs1: 3, rs2: 2 }),
        Insn::Ret(NoOperands {}),
    ];
    // Both implementations of the rule: snapshots compared after every edge (the real
    // model) and the SystemVerilog checker bound into the monitor model — and into the
    // traced model, which the waveform recorder's re-run of a divergence uses. They must
    // agree cycle for cycle.
    let mut seen = vec![];
    for (monitors, trace) in [(false, false), (true, false), (false, true)] {
        let model = || {
            let mut r = Rtl::new(RtlOptions { monitors, trace, ..RtlOptions::default() }).expect("model");
            assert_eq!(r.table_monitor_in_model(), monitors || trace);
            assert_eq!(r.traced(), trace);
            r.set_table_monitor(true).expect("the RTL exposes in_flight");
            spawn(&mut r, 1, 0, &prog);
            r
        };
        // A correct RTL never changes the table inside an instruction.
        let mut r = model();
        r.set_run(true);
        let retires = run_to_idle(&mut r);
        assert_eq!(retires.len(), 5);
        assert_eq!(r.take_table_violation(), None, "monitors {monitors}");
        // The reporting path: a change on the next edge inside an instruction that does
        // not end it (the MUL's second cycle).
        let mut r = model();
        r.table_monitor_self_test();
        r.set_run(true);
        run_to_idle(&mut r);
        let c = r.take_table_violation().expect("a violation is reported");
        assert!(c > 0);
        assert_eq!(r.take_table_violation(), None, "taking it clears it");
        // The comparison: with the retire exemption withdrawn once, the changes of the
        // first retire (pc, steps, ticks, accounting) are a violation at its cycle.
        let mut r = model();
        r.table_monitor_no_exempt();
        r.set_run(true);
        let first = match r.run(1000) {
            Event::Retire(x) => x,
            e => panic!("unexpected {e:?}"),
        };
        assert_eq!(first.step, 1);
        let at = r.last_retire_cycle();
        run_to_idle(&mut r);
        assert_eq!(r.take_table_violation(), Some(at), "monitors {monitors}: the first retire's changes");
        seen.push((c, at));
    }
    assert_eq!(seen[0], seen[1], "both monitors report the same cycles");
    assert_eq!(seen[1], seen[2], "the traced model's checker reports the same cycles");
}

/// Table monitor on, `prog` spawned as pids 1 and 2, the loader's writes dropped.
fn two_tasks(r: &mut Rtl, prog: &[Insn]) {
    r.set_table_monitor(true).unwrap();
    spawn(r, 1, 0, prog);
    spawn(r, 2, 0, prog);
    let _ = r.take_observed_writes();
}

#[test]
fn run_checked_returns_what_the_probes_return() {
    // Two tasks at slice 1 that push and pop, so that slots (a rotation every step),
    // registers, windows and RAM writes change from retire to retire.
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: 5 }),
        Insn::Push(isa::Rs { rs1: 1 }),
        Insn::Add(RdRsRs { rd: 3, rs1: 1, rs2: 1 }),
        Insn::Pop(isa::Rd { rd: 4 }),
        Insn::Ret(NoOperands {}),
    ];
    for monitors in [false, true] {
        let mut a = Rtl::new(RtlOptions { monitors, ..RtlOptions::default() }).expect("model");
        let mut b = Rtl::new(RtlOptions::default()).expect("model");
        for r in [&mut a, &mut b] {
            two_tasks(r, &prog);
            r.set_run(true);
        }
        let mut wa = vec![];
        let mut n = 0;
        loop {
            wa.clear();
            let ea = a.run_checked(100_000, &mut wa);
            let eb = b.run(100_000);
            assert_eq!(ea, eb);
            let Event::Retire(rec) = ea else { break };
            n += 1;
            assert!(a.take_checked_writes_error().is_none());
            assert_eq!(wa, b.take_observed_writes().unwrap(), "retire {n}");
            assert_eq!(a.checked_slots(), b.probe_slots(), "retire {n}");
            assert_eq!(a.checked_globals(), b.probe_globals(), "retire {n}");
            assert_eq!(a.checked_table_violation(), b.take_table_violation(), "retire {n}");
            let own = b.probe_slot(rec.pid).reg_base;
            assert_eq!(a.checked_window(), b.peek_window(own), "retire {n}");
            if n == 1 {
                assert_eq!(a.checked_changed_slots() & 3, 3, "the first retire reports the whole table");
            }
        }
        assert_eq!(n, 10, "monitors {monitors}");
        // Across a reset the whole table is reported again.
        a.reset();
        b.reset();
        assert_eq!(a.probe_slots(), b.probe_slots());
    }
}

#[test]
fn run_ahead_hands_out_what_run_checked_returns_one_by_one() {
    // As above, with an SVC (a trap ends a run-ahead crossing) and a write-heavy loop.
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: 5 }),
        Insn::Push(isa::Rs { rs1: 1 }),
        Insn::Add(RdRsRs { rd: 3, rs1: 1, rs2: 1 }),
        Insn::Svc(SvcOp { module: 6, func: 2 }),
        Insn::Pop(isa::Rd { rd: 4 }),
        Insn::Push(isa::Rs { rs1: 3 }),
        Insn::Pop(isa::Rd { rd: 5 }),
        Insn::Ret(NoOperands {}),
    ];
    for (monitors, ahead) in [(true, 3), (true, 64), (false, 5)] {
        let mut a = Rtl::new(RtlOptions { monitors, ..RtlOptions::default() }).expect("model");
        let mut b = Rtl::new(RtlOptions { monitors, ..RtlOptions::default() }).expect("model");
        for r in [&mut a, &mut b] {
            two_tasks(r, &prog);
        }
        a.set_run_ahead(ahead);
        let (mut wa, mut wb) = (vec![], vec![]);
        let (mut n, mut traps, mut most_ahead) = (0, 0, 0);
        loop {
            wa.clear();
            wb.clear();
            let ea = a.run_checked(100_000, &mut wa);
            let eb = b.run_checked(100_000, &mut wb);
            assert_eq!(ea, eb, "event {n}");
            most_ahead = most_ahead.max(a.ahead());
            if a.ahead() == 0 {
                assert_eq!(a.cycles(), b.cycles(), "event {n}: the same cycles once nothing is kept");
            }
            match ea {
                Event::Retire(_) => {}
                Event::Trap(_) => {
                    assert_eq!(a.ahead(), 0, "a trap ends a crossing");
                    traps += 1;
                    for r in [&mut a, &mut b] {
                        r.trap_ack();
                    }
                    continue;
                }
                _ => break,
            }
            n += 1;
            assert_eq!(a.take_checked_writes_error().is_none(), b.take_checked_writes_error().is_none());
            assert_eq!(wa, wb, "retire {n}");
            assert_eq!(a.checked_slots(), b.checked_slots(), "retire {n}");
            assert_eq!(a.checked_changed_slots(), b.checked_changed_slots(), "retire {n}");
            assert_eq!(a.checked_globals(), b.checked_globals(), "retire {n}");
            assert_eq!(a.checked_table_violation(), b.checked_table_violation(), "retire {n}");
            assert_eq!(a.checked_window(), b.checked_window(), "retire {n}");
            assert_eq!(a.last_retire_cycle(), b.last_retire_cycle(), "retire {n}");
        }
        assert_eq!((n, traps), (16, 2), "monitors {monitors}");
        assert!(most_ahead > 1, "monitors {monitors}: the model ran ahead ({most_ahead})");
        assert_eq!(a.ahead(), 0);
        assert_eq!(a.cycles(), b.cycles());
    }
}

#[test]
fn a_bus_that_timed_out_stays_down_until_its_error_is_taken() {
    // The automatic mutant that negates the host bus's capture condition: no access is
    // ever acknowledged.
    let auto = mutate::auto_from_tsv(crate::AUTO_MUTANTS).expect("the build's list");
    let (n, _) = auto
        .iter()
        .find(|(_, p)| p.file == "hsx_top.sv" && p.op == mutate::Op::Condition && p.from == "hb_capture")
        .expect("hsx_top's `if (hb_capture)` is a mutation point");
    let mut r = Rtl::new(RtlOptions { mutant: *n, ..RtlOptions::default() }).expect("model");
    let c0 = r.cycles();
    let e = r.try_hb_read(Space::Data, 0x100).unwrap_err();
    assert!(matches!(e, SimError::BusTimeout { .. }), "{e}");
    assert!(r.cycles() >= c0 + u64::from(HB_TIMEOUT_CYCLES));
    r.note_bus_error(e);
    let c1 = r.cycles();
    for a in 0..1000u16 {
        assert!(matches!(r.try_hb_write(Space::Data, a * 4, 0, 0xF), Err(SimError::BusDown { .. })));
    }
    assert_eq!(r.cycles(), c1, "no cycle spent on a dead bus");
    assert!(matches!(r.take_bus_error(), Some(SimError::BusTimeout { .. })), "the first error is reported");
    // Taken: the bus is tried again.
    let c2 = r.cycles();
    assert!(r.try_hb_read(Space::Data, 0x100).is_err());
    assert!(r.cycles() >= c2 + u64::from(HB_TIMEOUT_CYCLES));
}

/// Two tasks (pushes: core writes; a DIV; an SVC serviced over the host bus), then a
/// sleep that times out, run to idle; every event with the cycle it came at, every
/// observed write, the timed-cycle count and the final state, as text.
fn edge_scenario(r: &mut Rtl) -> Vec<String> {
    use isa::Rs;
    let mut log = Vec::new();
    let a = [
        Insn::Ldi(RdImm { rd: 1, imm: 7 }),
        Insn::Push(Rs { rs1: 1 }),
        Insn::Add(RdRsRs { rd: 2, rs1: 1, rs2: 1 }),
        Insn::Svc(SvcOp { module: 6, func: 2 }),
        Insn::Div(RdRsRs { rd: 3, rs1: 2, rs2: 1 }),
        Insn::Push(Rs { rs1: 3 }),
        Insn::Ret(NoOperands {}),
    ];
    let b = [Insn::Ldi(RdImm { rd: 4, imm: -3 }), Insn::Push(Rs { rs1: 4 }), Insn::Ret(NoOperands {})];
    spawn(r, 1, 0, &a);
    spawn(r, 2, 0x100, &b);
    r.command(Command::Block { pid: 2, wait: WaitKind::Sleep, deadline: Some(40) }).unwrap();
    r.set_run(true);
    for _ in 0..100 {
        let ev = r.run(100_000);
        log.push(format!("{ev:?} at {} timed {}", r.cycles(), r.timed_cycles()));
        match ev {
            Event::Retire(_) => {}
            Event::Trap(t) => {
                if t.cause == TrapCause::Timeout {
                    r.command(Command::Wake { pid: t.pid }).unwrap();
                } else {
                    r.write_data(0x1000, &[t.pid, 0, 0, 0]).unwrap();
                }
                r.trap_ack();
            }
            Event::Idle => break,
            e => panic!("unexpected {e:?}"),
        }
    }
    log.extend(r.take_observed_writes().unwrap().iter().map(|w| format!("{w:?}")));
    log.push(format!("{:?} {:?}", r.probe_slots(), r.probe_globals()));
    log.push(format!("{:?}", r.peek_window(isa::window_of(1)).to_vec()));
    log
}

#[test]
fn fast_edges_match_full_edges() {
    // One eval per cycle (the default without a VCD) and two give the same run, on every
    // model the driver clocks that way.
    for opts in [
        RtlOptions::default(),
        RtlOptions { monitors: true, ..RtlOptions::default() },
        RtlOptions { trace: true, ..RtlOptions::default() },
        RtlOptions { mutant: 1, ..RtlOptions::default() },
    ] {
        let mut fast = Rtl::new(opts).expect("model");
        let mut full = Rtl::new(opts).expect("model");
        full.set_fast_edges(false);
        let (a, b) = (edge_scenario(&mut fast), edge_scenario(&mut full));
        assert!(a.iter().any(|l| l.contains("Timeout")) && a.iter().any(|l| l.contains("Svc")), "{a:#?}");
        assert!(a.iter().filter(|l| l.contains("from_host: false")).count() >= 3, "{a:#?}");
        assert_eq!(a, b, "{opts:?}");
    }
}
