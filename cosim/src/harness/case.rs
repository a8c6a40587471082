//! A co-simulation case: everything needed to reproduce a run bit for bit (the programs'
//! bytes, the SPECs, the machine settings, the seed and the mutant). Reports embed it, so
//! `hsx replay report.json` needs nothing else.

use crate::program::{Plan, ProgramError};
use serde::{Deserialize, Serialize};
use vm_ref::exec::ExecConfig;

/// Machine settings of a case (the `hsx run` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub slice: u32,
    pub stack_size: u32,
    pub protect: bool,
    pub ticks_per_ms: u64,
    pub max_steps: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            slice: 1,
            stack_size: isa::DEFAULT_STACK_SIZE,
            protect: true,
            ticks_per_ms: isa::DEFAULT_TICKS_PER_MS,
            max_steps: 1_000_000,
        }
    }
}

/// A machine setting that breaks a rule. The CLI names the option, `hsx replay` the
/// report's JSON field: both check with [`Settings::check`], so they accept the same values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The `hsx` option (`--slice`).
    pub option: &'static str,
    /// The field of [`Settings`] (`slice`).
    pub field: &'static str,
    /// What is wrong, with the value (`0 must be at least 1`).
    pub rule: String,
}

impl Settings {
    /// The rules of the machine options (`--slice`, `--stack-size`, `--ticks-per-ms`).
    pub fn check(&self) -> Result<(), SettingError> {
        if self.slice == 0 {
            return Err(SettingError { option: "--slice", field: "slice", rule: "0 must be at least 1".into() });
        }
        if !self.stack_size.is_multiple_of(4) || self.stack_size < 16 {
            return Err(SettingError {
                option: "--stack-size",
                field: "stack_size",
                rule: format!("{} must be a multiple of 4 and at least 16", self.stack_size),
            });
        }
        if self.ticks_per_ms == 0 {
            return Err(SettingError {
                option: "--ticks-per-ms",
                field: "ticks_per_ms",
                rule: "0 must be at least 1".into(),
            });
        }
        Ok(())
    }

    pub fn exec_config(&self) -> ExecConfig {
        ExecConfig {
            ticks_per_ms: self.ticks_per_ms,
            stack_size: self.stack_size,
            slice: self.slice,
            ..ExecConfig::default()
        }
    }
    /// The `hsx` options that reproduce these settings.
    pub fn cli_args(&self) -> String {
        let mut s = format!(
            "--slice {} --stack-size 0x{:X} --ticks-per-ms {} --max-steps {}",
            self.slice, self.stack_size, self.ticks_per_ms, self.max_steps
        );
        if !self.protect {
            s.push_str(" --no-protect");
        }
        s
    }
}

/// One program file of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// The FILE part of the SPECs that name it.
    pub name: String,
    /// MVASM text (for `.mvasm` names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Raw bytes as hex (for `.hxe` images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
}

/// Decode hex digit pairs; `Err(i)` is the index of the first character that is not part
/// of one (a non-hex character, or the odd last one).
pub fn decode_hex(h: &str) -> Result<Vec<u8>, usize> {
    let b = h.as_bytes();
    let nibble = |i: usize| -> Result<u8, usize> {
        let c = *b.get(i).ok_or(i)?;
        (c as char).to_digit(16).map(|d| d as u8).ok_or(i)
    };
    (0..b.len().div_ceil(2)).map(|k| Ok(nibble(2 * k)? << 4 | nibble(2 * k + 1)?)).collect()
}

impl SourceFile {
    /// The file's bytes: its text, or its hex decoded (an error names the first bad
    /// character).
    pub fn bytes(&self) -> Result<Vec<u8>, ProgramError> {
        match (&self.text, &self.hex) {
            (Some(t), _) => Ok(t.as_bytes().to_vec()),
            (None, Some(h)) => decode_hex(h).map_err(|at| ProgramError::BadHex { name: self.name.clone(), at }),
            (None, None) => Ok(vec![]),
        }
    }
    pub fn from_bytes(name: &str, bytes: &[u8]) -> SourceFile {
        let is_text = name.ends_with(".mvasm") || name.ends_with(".s");
        match (is_text, std::str::from_utf8(bytes)) {
            (true, Ok(t)) => SourceFile { name: name.to_string(), text: Some(t.to_string()), hex: None },
            _ => SourceFile {
                name: name.to_string(),
                text: None,
                hex: Some(bytes.iter().map(|b| format!("{b:02x}")).collect()),
            },
        }
    }
}

/// Everything a co-simulation run depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Short name (used for the trace directory).
    pub name: String,
    /// The generator seed, for random cases.
    pub seed: Option<u64>,
    pub files: Vec<SourceFile>,
    pub specs: Vec<String>,
    pub settings: Settings,
    /// Input queued on tasks' `svc:stdio.in` after loading (`--stdin`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stdin: Vec<crate::program::StdinMsg>,
}

impl Case {
    /// A case from SPECs naming files on disk (their bytes are captured now).
    pub fn from_specs(name: &str, specs: &[String], settings: Settings) -> Result<Case, ProgramError> {
        let mut files: Vec<SourceFile> = vec![];
        for text in specs {
            let spec = crate::program::Spec::parse(text);
            let fname = spec.file.display().to_string();
            if files.iter().any(|f| f.name == fname) {
                continue;
            }
            let bytes = std::fs::read(&spec.file).map_err(|source| ProgramError::Io { path: fname.clone(), source })?;
            files.push(SourceFile::from_bytes(&fname, &bytes));
            // The files it includes travel with the case (so a replay needs nothing else).
            if crate::program::is_asm_path(&spec.file) {
                let mut rec = isa::asm::Recording { inner: isa::asm::FsLoader, read: Vec::new() };
                let src = String::from_utf8_lossy(&bytes);
                let _ = isa::asm::assemble_with(&src, &fname, &isa::asm::AsmOptions::default(), &mut rec);
                for (n, text) in rec.read {
                    if !files.iter().any(|f| f.name == n) {
                        files.push(SourceFile { name: n, text: Some(text), hex: None });
                    }
                }
            }
        }
        Ok(Case { name: name.to_string(), seed: None, files, specs: specs.to_vec(), settings, stdin: Vec::new() })
    }

    /// The host script in the header of the first SPEC's program (`; cosim-host:` lines,
    /// [`super::host_script`]); empty when it has none.
    pub fn host_script(&self) -> Result<super::host_script::HostScript, super::host_script::HostScriptError> {
        let Some(first) = self.specs.first() else { return Ok(Default::default()) };
        let file = crate::program::Spec::parse(first).file.display().to_string();
        match self.files.iter().find(|f| f.name == file).and_then(|f| f.text.as_deref()) {
            Some(text) => super::host_script::HostScript::parse(text, &file),
            None => Ok(Default::default()),
        }
    }

    /// Assemble / parse the programs and resolve the SPECs.
    pub fn plan(&self, max_tasks: usize) -> Result<Plan, ProgramError> {
        let files =
            self.files.iter().map(|f| Ok((f.name.clone(), f.bytes()?))).collect::<Result<Vec<_>, ProgramError>>()?;
        let mut plan = Plan::prepare_in_memory(&self.specs, max_tasks, &files)?;
        plan.stdin = self.stdin.clone();
        Ok(plan)
    }

    /// A name safe for a directory.
    pub fn dir_name(&self) -> String {
        self.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' })
            .collect()
    }
}
