//! Speed of the Verilated RTL driven from Rust: clock cycles per second and retired
//! instructions per second, with tracing closed and with a VCD file open.
//!
//! `cargo bench -p hsx-sim --bench rtl`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use isa::{Command, Insn, NoOperands, RdImm, RdRsRs, SpawnContext, Target};
use sim::{Event, Rtl, RtlOptions};

/// A model running an endless loop of ALU instructions in pid 1 (the traced model when
/// `trace`: the one a VCD can be opened on).
fn running_model(trace: bool) -> Rtl {
    let mut r = Rtl::new(RtlOptions { trace, ..RtlOptions::default() }).expect("model");
    let prog = [
        Insn::Ldi(RdImm { rd: 1, imm: 0 }),
        Insn::Ldi(RdImm { rd: 2, imm: 1 }),
        Insn::Add(RdRsRs { rd: 1, rs1: 1, rs2: 2 }),
        Insn::Sub(RdRsRs { rd: 3, rs1: 1, rs2: 2 }),
        Insn::Jmp(Target { target: 8 }),
        Insn::Ret(NoOperands {}),
    ];
    let words: Vec<u32> = prog.iter().flat_map(|i| i.encode().as_slice().to_vec()).collect();
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

/// Run `n` retires through `run()`, one FFI crossing each (the harness's hot path).
fn retire_n(r: &mut Rtl, n: u64) {
    for _ in 0..n {
        match r.run(10_000) {
            Event::Retire(x) => {
                criterion::black_box(x);
            }
            e => panic!("unexpected {e:?}"),
        }
    }
    // Keep the write-monitor ring from overflowing between samples.
    criterion::black_box(r.take_observed_writes().ok());
}

fn bench(c: &mut Criterion) {
    // The VCD goes to /dev/null: the cost of producing it without filling the disk
    // (a real file adds the write bandwidth).
    let vcd = std::path::PathBuf::from("/dev/null");

    let mut g = c.benchmark_group("cycles");
    const CYCLES: u64 = 100_000;
    g.sample_size(20);
    for traced in [false, true] {
        let name = if traced { "vcd_open" } else { "trace_closed" };
        g.throughput(Throughput::Elements(if traced { CYCLES / 10 } else { CYCLES }));
        g.bench_function(BenchmarkId::new("tick", name), |b| {
            let mut r = running_model(traced);
            if traced {
                r.vcd_open(&vcd).expect("vcd");
            }
            b.iter(|| {
                r.tick(if traced { CYCLES / 10 } else { CYCLES });
                criterion::black_box(r.take_observed_writes().ok());
                // tick() queues retires; drop them.
                while r.retires_queued() > 0 {
                    criterion::black_box(r.run(0));
                }
            });
            r.vcd_close();
        });
    }
    g.finish();

    let mut g = c.benchmark_group("retires");
    const RETIRES: u64 = 10_000;
    g.sample_size(20);
    for traced in [false, true] {
        let name = if traced { "vcd_open" } else { "trace_closed" };
        g.throughput(Throughput::Elements(if traced { RETIRES / 10 } else { RETIRES }));
        g.bench_function(BenchmarkId::new("run", name), |b| {
            let mut r = running_model(traced);
            if traced {
                r.vcd_open(&vcd).expect("vcd");
            }
            b.iter(|| retire_n(&mut r, if traced { RETIRES / 10 } else { RETIRES }));
            r.vcd_close();
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
