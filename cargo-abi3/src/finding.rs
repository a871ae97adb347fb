//! Findings are shared with the build hook, so `cargo abi3` and `build.rs` say the same thing.

use cargo_abi3_build_hook::render::and_more_of;
use cargo_abi3_build_hook::{Code, Severity};

pub use cargo_abi3_build_hook::finding::{Finding, SourceSpan};

/// The findings of one binary (or wheel), bounded by construction: the first
/// [`Findings::MAX_PER_CODE`] of each code are kept whole; the rest of that code are only
/// counted (with the first few symbol names) and become one summary finding, "and N more",
/// whose `omitted` field keeps the count. A binary with 400,000 bad imports costs the same
/// memory as one with 50.
#[derive(Debug, Default)]
pub struct Findings {
    list: Vec<Finding>,
    /// Per code: how many were kept, and what was left out.
    counts: Vec<(Code, usize, Option<Overflow>)>,
}

#[derive(Debug)]
struct Overflow {
    count: u64,
    severity: Severity,
    names: Vec<String>,
}

impl Findings {
    /// Findings of one code listed one by one.
    pub const MAX_PER_CODE: usize = 50;
    /// Symbol names the summary of the others lists.
    pub const MAX_NAMES: usize = 20;

    pub fn push(&mut self, finding: Finding) {
        let i = match self.counts.iter().position(|(c, _, _)| *c == finding.code) {
            Some(i) => i,
            None => {
                self.counts.push((finding.code, 0, None));
                self.counts.len() - 1
            }
        };
        let Some((_, kept, overflow)) = self.counts.get_mut(i) else {
            return;
        };
        if *kept < Self::MAX_PER_CODE {
            *kept += 1;
            self.list.push(finding);
            return;
        }
        let overflow = overflow.get_or_insert_with(|| Overflow {
            count: 0,
            severity: finding.severity,
            names: Vec::new(),
        });
        overflow.count += 1;
        overflow.severity = overflow.severity.max(finding.severity);
        if let Some(symbol) = finding.symbol
            && overflow.names.len() < Self::MAX_NAMES
        {
            overflow.names.push(symbol);
        }
    }

    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        for finding in findings {
            self.push(finding);
        }
    }

    /// The findings kept, then one summary per code that overflowed.
    pub fn finish(self) -> Vec<Finding> {
        let mut list = self.list;
        for (code, kept, overflow) in self.counts {
            let Some(Overflow {
                count,
                severity,
                names,
            }) = overflow
            else {
                continue;
            };
            let mut summary = Finding::new(
                code,
                format!("and {count} more `{code}` findings, not listed one by one"),
            )
            .with_severity(severity)
            .help(format!(
                "the first {kept} are listed; `--format json` gives the count in `omitted`"
            ));
            if !names.is_empty() {
                let listed = names.iter().map(|n| format!("`{n}`"));
                let total = usize::try_from(count).unwrap_or(usize::MAX);
                summary = summary.note(format!("among them: {}", and_more_of(listed, total)));
            }
            summary.omitted = Some(count);
            list.push(summary);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_becomes_one_counted_summary() {
        let mut findings = Findings::default();
        for i in 0..400_000u32 {
            findings.push(
                Finding::new(Code::NotInStableAbi, format!("`Py_{i}` is not stable"))
                    .symbol(format!("Py_{i}")),
            );
        }
        findings.push(Finding::new(Code::LinksLibpython, "links libpython"));
        let list = findings.finish();
        assert_eq!(list.len(), Findings::MAX_PER_CODE + 2);
        let summary = list.last().unwrap();
        assert_eq!(summary.code, Code::NotInStableAbi);
        assert_eq!(
            summary.omitted,
            Some(400_000 - Findings::MAX_PER_CODE as u64)
        );
        assert!(summary.message.contains("and 399950 more"), "{summary:?}");
        assert!(summary.notes[0].contains("`Py_50`"), "{:?}", summary.notes);
        assert!(
            summary.notes[0].ends_with("and 399930 more"),
            "{:?}",
            summary.notes
        );
        assert_eq!(list[Findings::MAX_PER_CODE].code, Code::LinksLibpython);
    }

    #[test]
    fn below_the_cap_nothing_changes() {
        let mut findings = Findings::default();
        let one = Finding::new(Code::NotInStableAbi, "x").symbol("x");
        findings.push(one.clone());
        assert_eq!(findings.finish(), vec![one]);
    }
}
