//! Survivor triage: a bounded equivalence check of one mutated module against the
//! original with Yosys (`equiv_make`, `equiv_simple -seq`, `equiv_induct -seq`,
//! `equiv_status -assert`). A pass proves the mutant equivalent (it cannot be killed and
//! leaves the score's denominator); a failure proves nothing either way (the check is
//! bounded and matches state by name), so the survivor stays a verification hole.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Induction / simple-proof depth.
pub const SEQ: u32 = 5;
/// Wall-clock limit of one check.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Modules not checked: they hold the 64 KiB RAMs (flattened memories are out of reach).
const SKIP: &[&str] = &["hsx_top", "hsx_ram"];

/// Check `p` in the RTL under `rtl_dir` (with its `hsx.f`). Returns `Some(true)` when
/// proven equivalent, `None` otherwise, and a note saying which.
pub fn check(rtl_dir: &Path, p: &mutate::Point) -> (Option<bool>, String) {
    match check_inner(rtl_dir, p) {
        Ok(v) => v,
        Err(e) => (None, format!("equivalence not checked: {e}")),
    }
}

fn check_inner(rtl_dir: &Path, p: &mutate::Point) -> Result<(Option<bool>, String), String> {
    let file = rtl_dir.join(&p.file);
    let src = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    if src.get(p.at.0..p.at.1) != Some(p.from.as_str()) {
        return Err(format!("{} differs from the RTL the mutant model was built from (rebuild hsx)", file.display()));
    }
    let toks = mutate::lex::lex(&src);
    let module = toks
        .windows(2)
        .rfind(|w| w[0].text == "module" && w[0].start < p.at.0)
        .map(|w| (w[1].text.to_string(), w[1].start, w[1].end))
        .ok_or_else(|| format!("no module around {}:{}", p.file, p.line))?;
    if SKIP.contains(&module.0.as_str()) {
        return Ok((None, format!("equivalence not checked: {} holds the 64 KiB RAMs", module.0)));
    }
    let mutated = mutate::apply_point(&src, p);
    // The module name comes before the change: its offsets are the same in `mutated`.
    let gate = format!("{}{}_mut{}", &mutated[..module.1], module.0, &mutated[module.2..]);
    let list =
        std::fs::read_to_string(rtl_dir.join("hsx.f")).map_err(|e| format!("{}/hsx.f: {e}", rtl_dir.display()))?;
    let cwd = rtl_dir.parent().unwrap_or(Path::new("."));
    // The packages and the modules `module` instantiates (transitively): reading the
    // whole design would make Yosys flatten and map every module.
    let mut all = Vec::new();
    for l in
        list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with(['-', '+', '#']))
    {
        let f = cwd.join(l);
        let f = f.canonicalize().unwrap_or(f);
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let toks = mutate::lex::lex(&text);
        let name = toks.windows(2).find(|w| w[0].text == "module").map(|w| w[1].text.to_string());
        let ident = |t: &mutate::lex::Tok| t.kind == mutate::lex::Kind::Ident;
        let insts: Vec<String> = toks
            .windows(2)
            .filter(|w| ident(&w[0]) && (w[1].text == "#" || ident(&w[1])))
            .map(|w| w[0].text.to_string())
            .collect();
        all.push((f.display().to_string(), name, insts));
    }
    let mut need: Vec<String> = vec![module.0.clone()];
    let mut k = 0;
    while k < need.len() {
        let insts = all.iter().find(|(_, n, _)| n.as_deref() == Some(need[k].as_str())).map(|(_, _, i)| i.clone());
        for i in insts.unwrap_or_default() {
            if all.iter().any(|(_, n, _)| n.as_deref() == Some(i.as_str())) && !need.contains(&i) {
                need.push(i);
            }
        }
        k += 1;
    }
    let files: Vec<String> = all
        .iter()
        .filter(|(_, n, _)| n.as_ref().map(|n| need.contains(n)).unwrap_or(true))
        .map(|(f, _, _)| f.clone())
        .collect();
    let dir = std::env::temp_dir().join(format!("hsx-equiv-{}-{}-{}", std::process::id(), p.file, p.at.0));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let gate_path = dir.join("gate.sv");
    let script = format!(
        "read_verilog -sv -D SYNTHESIS {} {}\nproc\nflatten\nmemory\nopt_clean\nasync2sync\n\
         equiv_make {m} {m}_mut equiv\nhierarchy -top equiv\nequiv_simple -seq {SEQ}\nequiv_induct -seq {SEQ}\n\
         equiv_status -assert\n",
        files.join(" "),
        gate_path.display(),
        m = module.0
    );
    let res = (|| {
        std::fs::write(&gate_path, gate).map_err(|e| format!("{}: {e}", gate_path.display()))?;
        std::fs::write(dir.join("equiv.ys"), &script).map_err(|e| format!("{}: {e}", dir.display()))?;
        run_yosys(&dir)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let (ok, log) = res?;
    if ok {
        return Ok((
            Some(true),
            format!("proven equivalent (Yosys equiv_simple/equiv_induct -seq {SEQ} on {})", module.0),
        ));
    }
    if log.contains("unproven $equiv") {
        let n = log.lines().find(|l| l.contains("unproven $equiv")).unwrap_or("").trim().to_string();
        return Ok((None, format!("not proven equivalent ({}: {n}): a verification hole", module.0)));
    }
    if log.contains("TIMEOUT") {
        return Ok((None, format!("equivalence check of {} timed out after {} s", module.0, TIMEOUT.as_secs())));
    }
    let first_err = log.lines().find(|l| l.contains("ERROR")).unwrap_or("yosys failed").trim().to_string();
    Ok((None, format!("equivalence not checked ({}): {first_err}", module.0)))
}

fn run_yosys(dir: &Path) -> Result<(bool, String), String> {
    let mut child = Command::new("yosys")
        .args(["-q", "-s", "equiv.ys"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("yosys not found ({e}); install it (README set-up)"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok((false, "TIMEOUT".into()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for yosys: {e}")),
        }
    }
    let out = child.wait_with_output().map_err(|e| format!("yosys: {e}"))?;
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), log))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtl() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../rtl")
    }

    #[test]
    fn a_real_change_is_not_proven_and_the_note_says_so() {
        if Command::new("yosys").arg("-V").output().is_err() {
            eprintln!("yosys missing: skipped");
            return;
        }
        // ADD's carry-in mutated: observable, so never proven equivalent.
        let p = crate::mutants::auto()
            .iter()
            .map(|(_, p)| p)
            .find(|p| p.file == "hsx_alu.sv" && p.op == mutate::Op::Operator)
            .unwrap();
        let (eq, note) = check(&rtl(), p);
        assert_eq!(eq, None, "{note}");
        assert!(note.contains("not proven equivalent") && note.contains("hsx_alu"), "{note}");
    }

    #[test]
    fn a_module_holding_the_rams_is_not_checked() {
        let p = crate::mutants::auto().iter().map(|(_, p)| p).find(|p| p.file == "hsx_top.sv").unwrap();
        let (eq, note) = check(&rtl(), p);
        assert_eq!(eq, None);
        assert!(note.contains("hsx_top holds the 64 KiB RAMs"), "{note}");
    }
}
