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

/// A place in a [`Findings`]: where the findings pushed next would go.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    list: usize,
    counts: usize,
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

    /// Where the findings pushed next would go.
    pub fn mark(&self) -> Mark {
        Mark {
            list: self.list.len(),
            counts: self.counts.len(),
        }
    }

    /// Puts `later`'s findings at `mark`, as if they had been pushed when it was taken: the
    /// list, and the per-code summaries [`Findings::finish`] writes, come out as they would
    /// have. `later`'s codes are ones these findings do not have (a code has one rule); a
    /// code both have is merged, its findings kept up to the limit, the rest counted.
    pub fn insert_at(&mut self, mark: Mark, later: Findings) {
        let shared = later
            .counts
            .iter()
            .any(|(code, _, _)| self.counts.iter().any(|(c, _, _)| c == code));
        if shared || mark.list > self.list.len() || mark.counts > self.counts.len() {
            // Not what a rule does; keep every finding, at the end.
            let Findings { list, counts } = later;
            self.extend(list);
            // Each overflowed code has kept findings, so `extend` has just listed it.
            for (code, _, overflow) in counts {
                let Some(overflow) = overflow else { continue };
                if let Some((_, _, mine)) = self.counts.iter_mut().find(|(c, _, _)| *c == code) {
                    let mine = mine.get_or_insert_with(|| Overflow {
                        count: 0,
                        severity: overflow.severity,
                        names: Vec::new(),
                    });
                    mine.count += overflow.count;
                    mine.severity = mine.severity.max(overflow.severity);
                    let room = Self::MAX_NAMES.saturating_sub(mine.names.len());
                    mine.names.extend(overflow.names.into_iter().take(room));
                }
            }
            return;
        }
        self.list.splice(mark.list..mark.list, later.list);
        self.counts.splice(mark.counts..mark.counts, later.counts);
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

    fn many(code: Code, n: usize) -> Vec<Finding> {
        (0..n)
            .map(|i| Finding::new(code, format!("{code} {i}")).symbol(format!("s{i}")))
            .collect()
    }

    fn listed(findings: Vec<Finding>) -> Vec<(Code, String, Option<u64>)> {
        findings
            .into_iter()
            .map(|f| (f.code, f.message, f.omitted))
            .collect()
    }

    /// Findings put at a mark come out exactly as if pushed when the mark was taken, the
    /// per-code summaries included (in the order codes were first seen).
    #[test]
    fn insert_at_a_mark_is_as_if_pushed_then() {
        let (a, b, c) = (
            Code::NotInStableAbi,
            Code::NeededNotAllowed,
            Code::ExtraExports,
        );
        let mut in_order = Findings::default();
        in_order.extend(many(a, 60));
        in_order.extend(many(b, 55));
        in_order.extend(many(c, 70));
        let mut marked = Findings::default();
        marked.extend(many(a, 60));
        let mark = marked.mark();
        marked.extend(many(c, 70));
        let mut later = Findings::default();
        later.extend(many(b, 55));
        marked.insert_at(mark, later);
        let expected = listed(in_order.finish());
        assert_eq!(expected.len(), 3 * Findings::MAX_PER_CODE + 3);
        assert_eq!(listed(marked.finish()), expected);
    }

    /// A code both have (not what a rule does) loses nothing: every finding is kept or
    /// counted.
    #[test]
    fn insert_at_merges_a_shared_code_without_losing_findings() {
        let code = Code::NotInStableAbi;
        let mut findings = Findings::default();
        findings.extend(many(code, 40));
        let mark = findings.mark();
        let mut later = Findings::default();
        later.extend(many(code, 70));
        findings.insert_at(mark, later);
        let list = findings.finish();
        let omitted: u64 = list.iter().filter_map(|f| f.omitted).sum();
        let kept = list.iter().filter(|f| f.omitted.is_none()).count() as u64;
        assert_eq!(kept, Findings::MAX_PER_CODE as u64);
        assert_eq!(kept + omitted, 110);
    }

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
