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

impl Settings {
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

impl SourceFile {
    pub fn bytes(&self) -> Vec<u8> {
        match (&self.text, &self.hex) {
            (Some(t), _) => t.as_bytes().to_vec(),
            (None, Some(h)) => {
                (0..h.len() / 2).filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok()).collect()
            }
            (None, None) => vec![],
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
        }
        Ok(Case { name: name.to_string(), seed: None, files, specs: specs.to_vec(), settings })
    }

    /// A generated random case.
    pub fn from_generated(tc: &crate::gen::TestCase) -> Case {
        let file = format!("seed{}.mvasm", tc.seed);
        let st = tc.settings();
        Case {
            name: format!("seed-{}", tc.seed),
            seed: Some(tc.seed),
            files: vec![SourceFile { name: file.clone(), text: Some(tc.to_mvasm()), hex: None }],
            specs: tc.specs(&file),
            settings: Settings {
                slice: st.slice,
                stack_size: st.stack_size,
                protect: st.protect,
                ticks_per_ms: st.ticks_per_ms,
                max_steps: st.max_steps,
            },
        }
    }

    /// Assemble / parse the programs and resolve the SPECs.
    pub fn plan(&self, max_tasks: usize) -> Result<Plan, ProgramError> {
        let files: Vec<(String, Vec<u8>)> = self.files.iter().map(|f| (f.name.clone(), f.bytes())).collect();
        Plan::prepare_in_memory(&self.specs, max_tasks, &files)
    }

    /// A name safe for a directory.
    pub fn dir_name(&self) -> String {
        self.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' })
            .collect()
    }
}
