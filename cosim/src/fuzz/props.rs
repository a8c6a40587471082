//! The property of each target on one input: nothing panics, a refused input is refused
//! with an error, an accepted one round-trips where the format allows it.

use super::Target;
use crate::harness::report::Report;
use crate::shell::{Command, Shell};
use isa::hxe::{Image, Version};

/// Commands whose step counts keep a fuzz case fast (a `run` or `clock step` asking for
/// more than this is parsed and printed back, but not run).
const MAX_FUZZ_STEPS: u64 = 10_000;

/// The property of `t` on `input`: `Ok(true)` when the parser accepted the input (and the
/// property held), `Ok(false)` when it refused it cleanly, `Err` says what broke.
pub fn check(t: Target, input: &[u8]) -> Result<bool, String> {
    match t {
        Target::Hxe => check_hxe(input),
        Target::Asm => check_asm(&String::from_utf8_lossy(input)),
        Target::Disasm => check_disasm(input),
        Target::Shell => check_shell(&String::from_utf8_lossy(input)),
        Target::Replay => check_replay(input),
    }
}

fn check_hxe(bytes: &[u8]) -> Result<bool, String> {
    let Ok(img) = Image::parse(bytes) else { return Ok(false) };
    let v2 = img.try_to_bytes(Version::V2).map_err(|e| format!("a parsed image does not write as v2: {e}"))?;
    let back = Image::parse(&v2).map_err(|e| format!("the v2 image written does not parse: {e}"))?;
    if back != img {
        return Err(format!("v2 round trip changed the image:\n  read {img:?}\n  back {back:?}"));
    }
    if back.to_bytes(Version::V2) != v2 {
        return Err("writing the re-read image gives other bytes".into());
    }
    if let Ok(v1) = img.try_to_bytes(Version::V1) {
        let b1 = Image::parse(&v1).map_err(|e| format!("the v1 image written does not parse: {e}"))?;
        let same = b1.code == img.code
            && b1.entry == img.entry
            && b1.data == img.data
            && b1.data_addr == img.data_addr
            && b1.bss == img.bss;
        if !same {
            return Err(format!("v1 round trip changed the image:\n  read {img:?}\n  back {b1:?}"));
        }
    }
    Ok(true)
}

/// Assemble the source form of `img` and compare what the assembler expresses.
fn reassemble(img: &Image) -> Result<(), String> {
    let src = isa::disasm::disasm_source(img);
    let back = isa::asm::assemble(&src, "disasm.mvasm")
        .map_err(|e| format!("the disassembly does not assemble: {e}\n{src}"))?
        .image;
    let expect = Image {
        entry: img.entry,
        code: img.code.clone(),
        data: img.data.clone(),
        data_addr: img.data_addr,
        ..Image::default()
    };
    if back != expect {
        return Err(format!("disassemble → reassemble changed the image:\n  was  {expect:?}\n  back {back:?}\n{src}"));
    }
    Ok(())
}

fn check_asm(text: &str) -> Result<bool, String> {
    // No `.include` is read: a fuzz input never touches the file system.
    let opts = isa::asm::AsmOptions::default();
    let Ok(prog) = isa::asm::assemble_with(text, "fuzz.mvasm", &opts, &mut isa::asm::NoFiles) else {
        return Ok(false);
    };
    let _ = isa::disasm::disasm_image(&prog.image);
    reassemble(&prog.image).map(|_| true)
}

fn check_disasm(code: &[u8]) -> Result<bool, String> {
    // Code space ends at 0x10000: bytes past it are no code (a seed is a whole file, and
    // the file of an image that fills the code space is longer than 64 KiB).
    let code = &code[..code.len().min(0x1_0000)];
    let words: Vec<u32> = code.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    // The entry: a word chosen by the code itself (deterministic), 0 for no code.
    let entry = if words.is_empty() { 0 } else { (words[0] as usize % words.len()) as u32 * 4 };
    let img = Image { code: code.to_vec(), entry, ..Image::default() };
    let listing = isa::disasm::disasm_image(&img);
    if !listing.starts_with("; code") {
        return Err(format!("the listing has no summary line:\n{listing}"));
    }
    let mut i = 0;
    while i < words.len() {
        let offset = (i * 4) as u32;
        let (text, n) = isa::disasm::disasm_word(words[i], words.get(i + 1).copied(), offset);
        let back = isa::asm::assemble_insn(&text, offset).map_err(|e| format!("`{text}` at 0x{offset:04X}: {e}"))?;
        if back != words[i..i + n] {
            return Err(format!("`{text}` at 0x{offset:04X} assembles to {back:08X?}, not {:08X?}", &words[i..i + n]));
        }
        i += n;
    }
    // A code tail of 1..=3 bytes (a seed image whose metadata makes its length odd) has no
    // MVASM form (`.byte` is refused in `.text`): the listing shows it as trailing bytes,
    // and the round trip covers the whole words.
    if !words.is_empty() {
        reassemble(&Image { code: code[..words.len() * 4].to_vec(), ..img })?;
    }
    Ok(true)
}

fn check_shell(script: &str) -> Result<bool, String> {
    let mut accepted = true;
    let sys = vm_ref::system::System::new(&vm_ref::MachineConfig::default(), vm_ref::exec::ExecConfig::default());
    let mut sh = Shell::new(sys);
    sh.max_steps = 1000;
    for line in script.lines() {
        match Command::parse(line) {
            Ok(c) => {
                let again = Command::parse(&c.to_string());
                if again.as_ref() != Ok(&c) {
                    return Err(format!("`{line}` parses to {c:?}, which prints as `{c}`, which parses to {again:?}"));
                }
                let slow = match &c {
                    Command::ClockStep { n, .. } | Command::Run(Some(n)) => *n > MAX_FUZZ_STEPS,
                    _ => false,
                };
                if slow {
                    continue;
                }
                match sh.exec(&c) {
                    None => break,
                    Some(Err(e)) if e.to_string().is_empty() => {
                        return Err(format!("`{line}` fails without a message"))
                    }
                    Some(_) => {}
                }
            }
            Err(e) => {
                accepted = false;
                if e.to_string().is_empty() {
                    return Err(format!("`{line}` is refused without a message"));
                }
            }
        }
    }
    Ok(accepted)
}

fn check_replay(bytes: &[u8]) -> Result<bool, String> {
    let rep = match Report::parse(bytes, "fuzz/report.json") {
        Ok(r) => r,
        Err(e) => {
            return if e.to_string().starts_with("fuzz/report.json: ") {
                Ok(false)
            } else {
                Err(format!("the error does not name the file: {e}"))
            };
        }
    };
    let _ = rep.case.plan(vm_ref::MachineConfig::default().n_tasks);
    let _ = rep.text();
    let json = serde_json::to_string_pretty(&rep).map_err(|e| format!("an accepted report does not serialise: {e}"))?;
    let again =
        Report::parse(json.as_bytes(), "again.json").map_err(|e| format!("a re-serialised report is refused: {e}"))?;
    if again != rep {
        return Err("a report re-serialised reads back different".into());
    }
    Ok(true)
}
