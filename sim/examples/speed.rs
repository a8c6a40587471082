//! Quick speed check of the RTL model (CPU time, so a busy machine does not skew it):
//! `cargo run --release -p hsx-sim --example speed [cycles]`

use isa::{Command, Insn, NoOperands, RdImm, RdRsRs, SpawnContext, Target};
use sim::{Event, Rtl, RtlOptions};
use std::time::Instant;

/// CPU time of this thread in ns (Linux), falling back to wall time.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn running_model() -> Rtl {
    let mut r = Rtl::new(RtlOptions::default()).expect("model");
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: 0 }),
        Insn::Ldi(RdImm { rd: 2, imm: 1 }),
        Insn::Add(RdRsRs {
            rd: 1,
            rs1: 1,
            rs2: 2,
        }),
        Insn::Sub(RdRsRs {
            rd: 3,
            rs1: 1,
            rs2: 2,
        }),
        Insn::Jmp(Target { target: 8 }),
        Insn::Ret(NoOperands {}),
    ];
    let words: Vec<u32> = prog
        .iter()
        .flat_map(|i| i.encode().as_slice().to_vec())
        .collect();
    r.write_code_words(0, &words).expect("load");
    r.write_data(0x1000, &[0u8; 64]).expect("window");
    r.write_data(0x103C, &0xFFFCu32.to_le_bytes()).expect("R15");
    r.command(Command::Spawn {
        pid: 1,
        ctx: SpawnContext {
            pc: 0,
            sp: 0xFFFC,
            reg_base: 0x1000,
            stack_limit: 0xEFFC,
            stack_top: 0xFFFC,
            code_base: 0,
            code_size: 4 * words.len() as u32,
            slice: 1,
        },
    })
    .expect("spawn");
    r.set_run(true);
    r
}

fn measure(what: &str, units: u64, f: impl FnOnce()) {
    let (w0, c0) = (Instant::now(), cpu_ns());
    f();
    let wall = w0.elapsed().as_secs_f64();
    let cpu = match (c0, cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 * 1e-9,
        _ => wall,
    };
    println!(
        "{what:<34} {:>8.2} M/s (CPU time)  {:>8.2} M/s (wall)",
        units as f64 / cpu / 1e6,
        units as f64 / wall / 1e6
    );
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);

    let mut idle = Rtl::new(RtlOptions::default()).expect("model");
    measure("cycles/s, idle core", n, || idle.tick(n));

    let mut r = running_model();
    r.set_write_monitor(false);
    measure("cycles/s, running, monitor off", n, || {
        for _ in 0..n / 1000 {
            r.tick(1000);
            while r.retires_queued() > 0 {
                r.run(0);
            }
        }
    });

    let mut r = running_model();
    measure("cycles/s, running, monitor on", n, || {
        for _ in 0..n / 1000 {
            r.tick(1000);
            let _ = r.take_observed_writes();
            while r.retires_queued() > 0 {
                r.run(0);
            }
        }
    });

    let mut r = running_model();
    let c0 = r.cycles();
    let retires = n / 5;
    measure("retires/s via run()", retires, || {
        for i in 0..retires {
            match r.run(10_000) {
                Event::Retire(_) => {}
                e => panic!("{e:?}"),
            }
            if i % 1000 == 0 {
                let _ = r.take_observed_writes();
            }
        }
    });
    println!(
        "  ({:.2} cycles per retire)",
        (r.cycles() - c0) as f64 / retires as f64
    );

    let mut r = running_model();
    r.vcd_open(std::path::Path::new("/dev/null")).expect("vcd");
    let m = n / 10;
    measure("cycles/s, VCD open (to /dev/null)", m, || {
        for _ in 0..m / 1000 {
            r.tick(1000);
            let _ = r.take_observed_writes();
            while r.retires_queued() > 0 {
                r.run(0);
            }
        }
    });
}
