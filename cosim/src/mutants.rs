//! The RTL mutant catalogue: the hand mutants of `rtl/mutants/hand.toml` and the automatic
//! mutants the mutation engine found, exactly as the linked mutant model was built with
//! them (`sim::HAND_CATALOGUE`, `sim::AUTO_MUTANTS`; docs/mutants.md, docs/mutation.md).
//! Each mutant is a deliberate bug selected at run time in the one mutant model; the
//! harness must catch every hand mutant.

use std::sync::OnceLock;

/// One mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// The mutant model's `mutant_i` value: 1..=255 hand mutants, from
    /// [`mutate::AUTO_BASE`] the automatic ones.
    pub number: u16,
    /// The name used on the command line (`hsx regress --mutant add-v`; `auto-1042`).
    pub name: String,
    pub bug: String,
    /// Whether only `--check-timing` can see it.
    pub timing_only: bool,
}

/// The hand mutants, in catalogue order.
pub fn hand() -> &'static [Mutant] {
    static HAND: OnceLock<Vec<Mutant>> = OnceLock::new();
    HAND.get_or_init(|| {
        // The build script parsed and applied this same text; it cannot fail here.
        mutate::catalogue::parse("rtl/mutants/hand.toml", sim::HAND_CATALOGUE)
            .expect("the catalogue the mutant model was built with")
            .into_iter()
            .map(|m| Mutant { number: m.number, name: m.name, bug: m.bug, timing_only: m.timing_only })
            .collect()
    })
}

/// The automatic mutants the mutant model holds, in source order.
pub fn auto() -> &'static [(u16, mutate::Point)] {
    static AUTO: OnceLock<Vec<(u16, mutate::Point)>> = OnceLock::new();
    AUTO.get_or_init(|| mutate::auto_from_tsv(sim::AUTO_MUTANTS).expect("the list the build script wrote"))
}

fn auto_as_mutants() -> &'static [Mutant] {
    static AUTO: OnceLock<Vec<Mutant>> = OnceLock::new();
    AUTO.get_or_init(|| {
        auto()
            .iter()
            .map(|(n, p)| Mutant {
                number: *n,
                name: format!("auto-{n}"),
                bug: format!("rtl/{}:{}: {}", p.file, p.line, p.change()),
                timing_only: false,
            })
            .collect()
    })
}

/// A mutant by name or number (hand or automatic).
pub fn resolve(s: &str) -> Result<u16, String> {
    if let Some(m) = hand().iter().chain(auto_as_mutants()).find(|m| m.name == s || m.number.to_string() == s) {
        return Ok(m.number);
    }
    Err(format!(
        "unknown mutant `{s}`; hand mutants: {} (automatic: auto-{}..auto-{}, `hsx mutate`)",
        hand().iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", "),
        mutate::AUTO_BASE,
        mutate::AUTO_BASE as usize + auto().len().saturating_sub(1)
    ))
}

/// A mutant by number (hand or automatic).
pub fn by_number(n: u16) -> Option<&'static Mutant> {
    if n < mutate::AUTO_BASE {
        hand().iter().find(|m| m.number == n)
    } else {
        auto_as_mutants().get((n - mutate::AUTO_BASE) as usize).filter(|m| m.number == n)
    }
}

/// The `--list-mutants` table (the hand mutants).
pub fn listing() -> String {
    let mut s = String::from(" #  NAME             BUG\n");
    for m in hand() {
        s.push_str(&format!(
            "{:>2}  {:<16} {}{}\n",
            m.number,
            m.name,
            m.bug,
            if m.timing_only { " (needs --check-timing)" } else { "" }
        ));
    }
    s.push_str(&format!(
        "and {} automatic mutants (auto-{}..), run as campaigns by `hsx mutate` (docs/mutation.md)\n",
        auto().len(),
        mutate::AUTO_BASE
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_reads_and_names_resolve() {
        assert_eq!(hand().len(), 13);
        assert_eq!(resolve("add-v"), Ok(1));
        assert_eq!(resolve("13").map(|n| by_number(n).unwrap().name.as_str()), Ok("slice-count"));
        assert!(auto().len() > 100, "the engine finds mutation points in the RTL");
        let first = &auto_as_mutants()[0];
        assert_eq!(resolve(&first.name), Ok(mutate::AUTO_BASE));
        assert_eq!(by_number(mutate::AUTO_BASE).map(|m| &m.name), Some(&first.name));
        assert!(resolve("nope").unwrap_err().contains("add-v, window-pid3"));
        assert!(by_number(200).is_none());
    }
}
