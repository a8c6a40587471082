//! Linking: several modules (or one) into one image, with the HSX prototype linker's
//! rules (docs/asm.md "Modules and linking"):
//!
//! * Layout: the modules' code is concatenated in the given order from offset 0, their
//!   data likewise from the data address; `.align` aligns within a module's own section.
//! * A module exports the labels it names in `.export` or `.extern`, and its `.entry`
//!   label. Two modules exporting one name is an error; so is an `.import` nobody exports.
//! * A label use is resolved through the exported symbols first, then the module's own
//!   labels; a name that is neither defined in the module nor declared `.extern`/`.import`
//!   there is undefined. `off16(x)` is `x`'s offset within its module's data.
//! * Entry: an exported `_start`, else the first module whose `.entry` label is exported,
//!   else the first module's `.entry`.
//! * Metadata of all modules is merged: values and commands sorted by (group, id),
//!   mailboxes by target; a duplicate key is an error; command handlers that name a
//!   symbol are resolved to its code offset.

use super::meta::{self, Handler, MetaEntry};
use super::{
    sorted, source, AddrOp, Asm, AsmError, AsmErrorKind, AsmOptions, Diagnostic, EntrySpec, Expr, ExprKind, GSym,
    Label, Pos, Program, Section, SourceLoader,
};
use crate::arch::RODATA_BASE;
use crate::hxe::{Image, MetaEntry as HxeMeta};
use crate::meta::{CmdDecl, ValueDecl};
use std::collections::BTreeMap;

/// One source module: its name (for messages and relative includes) and text.
#[derive(Debug, Clone, Copy)]
pub struct Module<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Asm {
    /// The label of `.entry label` (what the prototype exports as the entry symbol).
    fn entry_symbol(&self) -> Option<&str> {
        match &self.entry {
            Some((_, _, EntrySpec::At(Expr { neg: false, kind: ExprKind::Label(n, AddrOp::None), .. }))) => {
                Some(n.as_str())
            }
            _ => None,
        }
    }

    fn exports_name(&self, name: &str) -> bool {
        self.exports.contains_key(name) || self.externs.contains_key(name) || self.entry_symbol() == Some(name)
    }
}

/// Assemble `modules` and link them, in order, into one program.
pub fn assemble_modules(
    modules: &[Module],
    opts: &AsmOptions,
    loader: &mut dyn SourceLoader,
) -> Result<Program, AsmError> {
    if modules.is_empty() {
        let kind = AsmErrorKind::Syntax("no source module given".into());
        return Err(AsmError { diagnostics: vec![Diagnostic { file: String::new(), line: 1, col: 1, kind }] });
    }
    let mut asms: Vec<Asm> = modules
        .iter()
        .map(|m| {
            let (src, diags) = source::expand(m.name, m.text, loader, &opts.include_dirs);
            let mut a = Asm::new(src, 0);
            a.diags = diags;
            a.pass1();
            a
        })
        .collect();
    // Diagnostics that belong to the link as a whole, attributed to module i's line.
    let mut link_errs: Vec<(usize, usize, (usize, AsmErrorKind))> = Vec::new();

    // Layout.
    let (mut code_off, mut data_off) = (0u32, 0u32);
    let mut explicit: Option<(u32, usize, usize)> = None;
    for (i, a) in asms.iter_mut().enumerate() {
        a.origin = code_off;
        code_off += a.text_len;
        if let Some((addr, line)) = a.data_addr {
            match explicit {
                None => explicit = Some((addr, i, line)),
                Some((first, _, _)) if first != addr => {
                    let kind = AsmErrorKind::Syntax(format!(
                        "modules disagree on the data address: 0x{addr:04X} here, 0x{first:04X} in an earlier module"
                    ));
                    link_errs.push((i, line, (1, kind)));
                }
                Some(_) => {}
            }
        }
        a.data_base = Some(data_off);
        data_off += a.data_len;
    }
    let base = explicit.map(|e| e.0).or(opts.data_addr).unwrap_or(RODATA_BASE);
    for a in asms.iter_mut() {
        a.data_base = a.data_base.map(|off| base + off);
    }

    // Exported symbols.
    let mut globals: BTreeMap<String, GSym> = BTreeMap::new();
    let mut defined_at: BTreeMap<String, String> = BTreeMap::new();
    for (i, a) in asms.iter().enumerate() {
        for (name, d) in &a.labels {
            if !a.exports_name(name) {
                continue;
            }
            if let Some(first) = defined_at.get(name) {
                let kind = AsmErrorKind::DuplicateSymbol { name: name.clone(), first: first.clone() };
                link_errs.push((i, d.line, (d.col, kind)));
                continue;
            }
            globals.insert(name.clone(), GSym { value: a.label_value(d), offset: d.offset, section: d.section });
            defined_at.insert(name.clone(), a.where_(d.line));
        }
    }
    for (i, a) in asms.iter().enumerate() {
        for (name, (line, col)) in &a.imports {
            if !globals.contains_key(name) {
                link_errs.push((i, *line, (*col, AsmErrorKind::UnresolvedImport(name.clone()))));
            }
        }
    }

    // Pass 2.
    let mut code = Vec::new();
    let mut data = Vec::new();
    let mut labels: BTreeMap<String, Label> = BTreeMap::new();
    for a in asms.iter_mut() {
        a.globals = globals.clone();
        let out = a.pass2();
        code.extend(out.code);
        data.extend(out.data);
        for (n, l) in out.labels {
            labels.entry(n).or_insert(l);
        }
    }
    if code.len() > 0x1_0000 {
        link_errs.push((asms.len() - 1, 0, (1, AsmErrorKind::CodeTooLong)));
    }
    let clean = |asms: &[Asm], link_errs: &[(usize, usize, (usize, AsmErrorKind))]| {
        link_errs.is_empty() && asms.iter().all(|a| a.diags.is_empty())
    };

    let mut image = Image { code, data, data_addr: base, ..Image::default() };
    if clean(&asms, &link_errs) {
        match entry(&asms, &globals, image.code.len()) {
            Ok(e) => image.entry = e,
            Err((i, line, e)) => link_errs.push((i, line, e)),
        }
    }
    if clean(&asms, &link_errs) {
        match metadata(&asms, &globals) {
            Ok(m) => image.metadata = m,
            Err((i, line, e)) => link_errs.push((i, line, e)),
        }
    }

    let mut diags: Vec<Diagnostic> = Vec::new();
    for (i, line, e) in link_errs {
        diags.push(asms[i].diag(line, e));
    }
    for a in asms.iter_mut() {
        diags.append(&mut a.diags);
    }
    if !diags.is_empty() {
        return Err(sorted(diags));
    }
    Ok(Program { image, labels, explicit_data_addr: explicit.is_some() })
}

type LinkErr = (usize, usize, (usize, AsmErrorKind));

fn entry(asms: &[Asm], globals: &BTreeMap<String, GSym>, code_len: usize) -> Result<u32, LinkErr> {
    // Where an entry problem is reported: the `.entry` line (or line 1) of module `i`.
    let pos_of = |i: usize| -> (usize, usize) {
        match &asms[i].entry {
            Some((line, col, _)) => (*line, *col),
            None => (0, 1),
        }
    };
    let check_global = |i: usize, name: &str, g: &GSym, (line, col): (usize, usize)| -> Result<i64, LinkErr> {
        if g.section == Section::Data {
            let kind = AsmErrorKind::DataLabel { name: name.to_string(), what: ".entry".into() };
            return Err((i, line, (col, kind)));
        }
        Ok(g.value as i64)
    };
    let (i, (line, col), target) = if let Some(g) = globals.get("_start") {
        // Reported at `_start`'s definition.
        let (i, d) = asms
            .iter()
            .enumerate()
            .find_map(|(i, a)| a.labels.get("_start").filter(|_| a.exports_name("_start")).map(|d| (i, d)))
            .expect("an exported symbol has a definition");
        (i, (d.line, d.col), check_global(i, "_start", g, (d.line, d.col))?)
    } else if let Some((i, name)) =
        asms.iter().enumerate().find_map(|(i, a)| a.entry_symbol().filter(|n| globals.contains_key(*n)).map(|n| (i, n)))
    {
        let expr_col = match &asms[i].entry {
            Some((_, _, EntrySpec::At(e))) => e.col,
            _ => pos_of(i).1,
        };
        (i, pos_of(i), check_global(i, name, &globals[name], (pos_of(i).0, expr_col))?)
    } else {
        let a = &asms[0];
        let (line, col) = pos_of(0);
        let t = match &a.entry {
            None => 0,
            Some((_, _, EntrySpec::Here(off))) => *off as i64,
            Some((_, _, EntrySpec::At(e))) => {
                let v = a.code_target(e, ".entry").map_err(|err| (0, line, err))?.v;
                if v % 4 != 0 {
                    return Err((0, line, (e.col, AsmErrorKind::Misaligned { what: ".entry".into(), value: v })));
                }
                v
            }
        };
        (0, (line, col), t)
    };
    if target % 4 != 0 {
        return Err((i, line, (col, AsmErrorKind::Misaligned { what: ".entry".into(), value: target })));
    }
    if code_len == 0 {
        return Err((i, line, (col, AsmErrorKind::NoCode)));
    }
    if target < 0 || target >= code_len as i64 {
        return Err((i, line, (col, AsmErrorKind::EntryOutsideCode { entry: target, code_len })));
    }
    Ok(target as u32)
}

fn metadata(asms: &[Asm], globals: &BTreeMap<String, GSym>) -> Result<Vec<HxeMeta>, LinkErr> {
    let mut values: Vec<(ValueDecl, usize, Pos)> = Vec::new();
    let mut cmds: Vec<(CmdDecl, usize, Pos)> = Vec::new();
    let mut boxes: Vec<(String, serde_json::Map<String, serde_json::Value>, usize, Pos)> = Vec::new();
    for (i, a) in asms.iter().enumerate() {
        for ((line, col), e) in &a.metas {
            let dup = |what: String, first: (usize, Pos)| {
                let at = asms[first.0].where_(first.1 .0);
                Err((i, *line, (*col, AsmErrorKind::Metadata(format!("duplicate {what} (first declared at {at})")))))
            };
            match e {
                MetaEntry::Value(v) => {
                    if let Some((_, fi, fp)) = values.iter().find(|(x, _, _)| (x.group, x.id) == (v.group, v.id)) {
                        return dup(format!("value metadata ({},{})", v.group, v.id), (*fi, *fp));
                    }
                    values.push((v.clone(), i, (*line, *col)));
                }
                MetaEntry::Cmd { decl: c, handler } => {
                    if let Some((_, fi, fp)) = cmds.iter().find(|(x, ..)| (x.group, x.id) == (c.group, c.id)) {
                        return dup(format!("command metadata ({},{})", c.group, c.id), (*fi, *fp));
                    }
                    let handler = match handler {
                        Handler::Offset(o) => *o,
                        Handler::Symbol(name) => match (globals.get(name), a.labels.get(name)) {
                            (Some(g), _) if g.section == Section::Text => g.value,
                            (None, Some(d)) if d.section == Section::Text => a.label_value(d),
                            (Some(_), _) | (None, Some(_)) => {
                                let m = format!("command handler `{name}` must be a .text symbol");
                                return Err((i, *line, (*col, AsmErrorKind::Metadata(m))));
                            }
                            (None, None) => {
                                let m = format!("command handler symbol `{name}` not found in the linked modules");
                                return Err((i, *line, (*col, AsmErrorKind::Metadata(m))));
                            }
                        },
                    };
                    cmds.push((CmdDecl { handler, ..c.clone() }, i, (*line, *col)));
                }
                MetaEntry::Mailbox { target, object } => {
                    if let Some((_, _, fi, fp)) = boxes.iter().find(|(t, ..)| t == target) {
                        return dup(format!("mailbox target `{target}`"), (*fi, *fp));
                    }
                    boxes.push((target.clone(), object.clone(), i, (*line, *col)));
                }
            }
        }
    }
    values.sort_by_key(|(v, ..)| (v.group, v.id));
    cmds.sort_by_key(|(c, ..)| (c.group, c.id));
    boxes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    if !values.is_empty() {
        let v: Vec<ValueDecl> = values.into_iter().map(|x| x.0).collect();
        out.push(HxeMeta { kind: 1, count: v.len() as u32, payload: meta::encode_values(&v) });
    }
    if !cmds.is_empty() {
        let c: Vec<CmdDecl> = cmds.into_iter().map(|x| x.0).collect();
        out.push(HxeMeta { kind: 2, count: c.len() as u32, payload: meta::encode_cmds(&c) });
    }
    if !boxes.is_empty() {
        let b: Vec<_> = boxes.into_iter().map(|x| x.1).collect();
        out.push(HxeMeta { kind: 3, count: b.len() as u32, payload: meta::encode_mailboxes(&b) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{NoFiles, SourceLoader};
    use super::*;
    use crate::table::Insn;

    fn link(mods: &[(&str, &str)]) -> Result<Program, AsmError> {
        let m: Vec<Module> = mods.iter().map(|(name, text)| Module { name, text }).collect();
        assemble_modules(&m, &AsmOptions::default(), &mut NoFiles)
    }
    fn ok(mods: &[(&str, &str)]) -> Program {
        link(mods).unwrap_or_else(|e| panic!("{e}"))
    }
    fn err(mods: &[(&str, &str)]) -> String {
        link(mods).expect_err("an error").to_string()
    }
    fn word(p: &Program, off: usize) -> u32 {
        p.image.code_words()[off / 4]
    }

    #[test]
    fn code_and_data_are_concatenated_in_module_order() {
        let p = ok(&[
            ("a.s", ".import f\n.import tab\nmain:\n    LDI32 R1, tab\n    CALL f\n.data\n    .byte 1, 2, 3\n"),
            ("b.s", ".export f\n.export tab\n.data\ntab:\n    .word 9\n.text\nf:\n    RET\n"),
        ]);
        // a's code is 12 bytes, so f is at 12; a's data is 3 bytes, so tab is at 0x4003.
        assert_eq!(word(&p, 4), 0x4003);
        let call = Insn::decode(word(&p, 8), None).unwrap();
        assert_eq!(crate::disasm::format_insn(&call, 8), "CALL 0x000C");
        assert_eq!(p.image.data, vec![1, 2, 3, 9, 0, 0, 0]);
        assert_eq!(p.image.entry, 0);
    }

    #[test]
    fn exported_symbols_win_over_a_modules_own_labels() {
        // The prototype's linker looks a name up among the exports first.
        let p = ok(&[("a.s", "main:\n    JMP x\nx:\n    RET\n"), ("b.s", ".export x\nRET\nRET\nx:\n    RET\n")]);
        assert_eq!(crate::disasm::format_insn(&Insn::decode(word(&p, 0), None).unwrap(), 0), "JMP 0x010");
    }

    #[test]
    fn entry_rules() {
        // An exported _start wins; then the first module whose .entry label is exported.
        let p = ok(&[("a.s", ".entry 4\nRET\nRET\n"), ("b.s", ".export _start\nRET\n_start:\n    RET\n")]);
        assert_eq!(p.image.entry, 12);
        let p = ok(&[("a.s", "RET\n"), ("b.s", ".entry go\nRET\ngo:\n    RET\n")]);
        assert_eq!(p.image.entry, 8);
        let p = ok(&[("a.s", ".entry\nRET\nRET\n"), ("b.s", ".entry\nRET\n")]);
        assert_eq!(p.image.entry, 0);
        // Two modules exporting their entry label under one name clash.
        assert!(err(&[("a.s", ".entry main\nmain:\n RET\n"), ("b.s", ".entry main\nmain:\n RET\n")])
            .contains("b.s:2:1: duplicate symbol `main`: also exported at a.s:2"));
    }

    #[test]
    fn address_operators() {
        let p = ok(&[(
            "a.s",
            "LDI R1, off16(y)\nLDI32 R2, lo16(y)\nLDI R3, hi16(y)\n.data 0x5000\nx:\n    .word 0\ny:\n    .half off16(y)\n",
        )]);
        let w = p.image.code_words();
        assert_eq!(w[0] & 0xFFF, 4);
        assert_eq!(w[2], 0x5004);
        assert_eq!(w[3] & 0xFFF, 0);
        assert_eq!(&p.image.data[4..], &[4, 0]);
        // off16 of a module's label is its offset inside that module's data.
        let p = ok(&[
            ("a.s", ".import t\nLDI R1, off16(t)\n.data\n    .word 1, 2\n"),
            ("b.s", ".export t\nRET\n.data\n    .word 3\nt:\n    .word 4\n"),
        ]);
        assert_eq!(p.image.code_words()[0] & 0xFFF, 4);
        assert!(err(&[("a.s", "f:\n    LDI R1, off16(f)\n")]).contains("a.s:2:13: off16() expects a .data label"));
        assert!(err(&[("a.s", "LDI R1, mid16(f)\n")]).contains("unknown address operator `mid16(…)`"));
        assert!(err(&[("a.s", "LDI R1, off16(f\n")]).contains("`off16` takes one label in parentheses"));
    }

    #[test]
    fn brace_bodies_and_metadata_errors_are_clear() {
        assert!(err(&[("a.s", "RET\n.section {\n")]).contains("a.s:2:10: `{…}` bodies are only supported"));
        let e = err(&[("a.s", ".value {\"group\":1,\"value\":1}\nRET\n"), ("b.s", ".value {\"group\":1,\"id\":1}\n")]);
        assert!(e.contains("b.s:1:1: duplicate value metadata (1,1) (first declared at a.s:1)"), "{e}");
        let e = err(&[("a.s", ".cmd {\"group\":1,\"cmd\":1,\"handler\":\"nowhere\"}\nRET\n")]);
        assert!(e.contains("command handler symbol `nowhere` not found"), "{e}");
        let e = err(&[("a.s", ".mailbox {\"capacity\":3}\nRET\n")]);
        assert!(e.contains("a.s:1:1: .mailbox entry requires a non-empty 'target'"), "{e}");
        let e = err(&[("a.s", ".value {\"group\":1,\n")]);
        assert!(e.starts_with("a.s:1:"), "{e}");
        // A label may precede a metadata directive.
        let p = ok(&[("a.s", "here: .mailbox {\"target\":\"app:x\"}\nRET\n")]);
        assert_eq!(p.labels["here"].value, 0);
    }

    #[test]
    fn includes_through_a_loader() {
        struct One;
        impl SourceLoader for One {
            fn load(&mut self, path: &std::path::Path) -> std::io::Result<String> {
                match path.to_str() {
                    Some("dir/lib.inc") => Ok(".export f\nf:\n    RET\nf:\n".into()),
                    _ => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no")),
                }
            }
        }
        let m = [Module { name: "dir/main.s", text: ".include \"lib.inc\"\nCALL f\n" }];
        let e = assemble_modules(&m, &AsmOptions::default(), &mut One).unwrap_err().to_string();
        // The diagnostic names the included file and its own line.
        assert_eq!(e, "dir/lib.inc:4:1: duplicate label `f` (first defined on line 2)");
    }
}
