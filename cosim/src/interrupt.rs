//! SIGINT / SIGTERM for the long-running commands (`regress`, `cosim`, `replay`):
//! docs/failure.md "Signals".
//!
//! [`install`] registers the handlers once per process. A first signal only records
//! itself; the loops poll [`interrupted`] (a relaxed atomic load, cheap enough to call
//! every few thousand lockstep steps), stop starting work, write what they have and exit
//! with [`Signal::exit_code`] (130 / 143). A **second** signal while the first is being
//! handled ends the process at once with the same code, for a user who does not want to
//! wait for the clean stop. Commands that never call [`install`] keep the default
//! behaviour (the signal kills the process).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// A signal that asks the tool to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM (`kill`, a CI job's timeout).
    Term,
}

impl Signal {
    /// The shell convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
    pub fn exit_code(self) -> i32 {
        128 + self.number()
    }
    /// The POSIX signal number.
    pub fn number(self) -> i32 {
        match self {
            Signal::Int => 2,
            Signal::Term => 15,
        }
    }
    /// `SIGINT` / `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        }
    }
    fn from_number(n: usize) -> Option<Signal> {
        match n {
            2 => Some(Signal::Int),
            15 => Some(Signal::Term),
            _ => None,
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The number of the first signal received (0: none). Shared with the handlers.
fn received() -> &'static Arc<AtomicUsize> {
    static R: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    R.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// Set by the handlers on every signal: arms the "second signal exits" handler.
fn seen() -> &'static Arc<AtomicBool> {
    static S: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    S.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Installs the SIGINT and SIGTERM handlers (once per process; later calls do nothing).
/// Errors only if the operating system refuses the registration.
pub fn install() -> std::io::Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let r = DONE.get_or_init(|| {
        let go = || -> std::io::Result<()> {
            for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                // Order matters: the conditional shutdown runs first and exits only if an
                // earlier signal already set `seen`; then this signal sets it.
                signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(seen()))?;
                signal_hook::flag::register_usize(sig, Arc::clone(received()), sig as usize)?;
                signal_hook::flag::register(sig, Arc::clone(seen()))?;
            }
            Ok(())
        };
        go().map_err(|e| e.to_string())
    });
    r.clone().map_err(std::io::Error::other)
}

/// The signal received since [`install`], if any.
pub fn interrupted() -> Option<Signal> {
    Signal::from_number(received().load(Ordering::Relaxed))
}

/// Never interrupted: for callers (and tests) that run without signal handling.
pub fn never() -> Option<Signal> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(Signal::Int.exit_code(), 130);
        assert_eq!(Signal::Term.exit_code(), 143);
        assert_eq!(Signal::from_number(2), Some(Signal::Int));
        assert_eq!(Signal::from_number(15), Some(Signal::Term));
        assert_eq!(Signal::from_number(0), None);
        assert_eq!(Signal::Term.to_string(), "SIGTERM");
    }

    #[test]
    fn install_is_idempotent_and_starts_uninterrupted() {
        install().unwrap();
        install().unwrap();
        // No test in this binary raises a signal: the flag stays clear.
        assert_eq!(interrupted(), None);
    }
}
