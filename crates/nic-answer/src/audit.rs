//! Citation audit of generated answers (DESIGN §2).
//!
//! A claim (sentence) survives only when it cites evidence `[n]` that exists, shares enough
//! content words with what it cites, and every number, unit and code in it appears in the
//! cited text. Unsupported claims are removed from the answer and reported; surviving
//! references are renumbered to the citations actually returned, so a `[9]` that points at
//! nothing can never reach the client.

use crate::text::{canonical_unit, codes, content_words, quantities, sentence_spans};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Share of a claim's content words that must appear in the cited evidence.
const MIN_OVERLAP: f32 = 0.5;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Claim {
    pub text: String,
    /// References as written by the generator (1-based, into the evidence shown).
    pub refs: Vec<usize>,
    pub supported: bool,
    /// Why a claim was dropped (not serialised into the public shape when supported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct AuditReport {
    pub supported: usize,
    pub unsupported: usize,
    pub claims: Vec<Claim>,
}

/// The audited answer: text with renumbered references, and which evidence (0-based
/// indices into the evidence shown) the new `[1]..[m]` point at.
#[derive(Debug, Clone)]
pub struct AuditedAnswer {
    pub answer: String,
    pub cited: Vec<usize>,
    pub report: AuditReport,
}

impl AuditedAnswer {
    /// Too few claims survived: the caller falls back to the extractive answer.
    pub fn needs_fallback(&self) -> bool {
        let total = self.report.supported + self.report.unsupported;
        total == 0 || self.report.supported * 2 < total
    }
}

fn parse_refs(s: &str) -> (String, Vec<usize>) {
    // Removes "[1]", "[1, 2]", "[1][3]" markers and returns the refs in order. Markers are
    // matched innermost first, as if removed until none is left, so that removing one can
    // never join the text around it into another ("[[2]3]" cites 2 and 3; it must not leave
    // a "[3]" in the text, which the renumbering would not see). One pass, linear: each open
    // bracket of the output remembers whether what follows it is only digits, commas and
    // spaces, and whether its parent was before it opened.
    struct Open {
        at: usize,
        pure: bool,
        parent_pure: bool,
    }
    let marker_char = |c: char| c.is_ascii_digit() || c == ',' || c == ' ';
    let mut refs = Vec::new();
    let mut clean = String::with_capacity(s.len());
    let mut opens: Vec<Open> = Vec::new();
    for c in s.chars() {
        match c {
            '[' => {
                let parent_pure = opens.last().is_some_and(|o| o.pure);
                if let Some(o) = opens.last_mut() {
                    o.pure = false;
                }
                opens.push(Open {
                    at: clean.len(),
                    pure: true,
                    parent_pure,
                });
                clean.push('[');
            }
            ']' => match opens.pop() {
                Some(o) if o.pure && clean.len() > o.at + 1 => {
                    for n in clean[o.at + 1..].split(',') {
                        if let Ok(v) = n.trim().parse::<usize>() {
                            if !refs.contains(&v) {
                                refs.push(v);
                            }
                        }
                    }
                    clean.truncate(o.at);
                    if let Some(p) = opens.last_mut() {
                        p.pure = o.parent_pure;
                    }
                }
                _ => clean.push(']'),
            },
            _ => {
                if let Some(o) = opens.last_mut() {
                    o.pure &= marker_char(c);
                }
                clean.push(c);
            }
        }
    }
    (clean.trim().to_string(), refs)
}

/// Is `claim` supported by `evidence`? Returns the reason when not.
pub fn check_claim(claim: &str, evidence: &str) -> Result<(), String> {
    let words = content_words(claim);
    if !words.is_empty() {
        let ev = content_words(evidence);
        let shared = words.iter().filter(|w| ev.contains(*w)).count();
        let share = shared as f32 / words.len() as f32;
        if share < MIN_OVERLAP {
            return Err(format!(
                "only {shared} of {} content words appear in the cited text",
                words.len()
            ));
        }
    }
    let ev_q = quantities(evidence);
    for q in quantities(claim) {
        let found = ev_q.iter().any(|e| {
            e.number == q.number
                && match (&q.unit, &e.unit) {
                    (Some(a), Some(b)) => a == b,
                    (Some(_), None) => false,
                    (None, _) => true,
                }
        });
        if !found {
            let shown = match &q.unit {
                Some(u) => format!("{} {u}", q.number),
                None => q.number.clone(),
            };
            return Err(format!("the value {shown} is not in the cited text"));
        }
    }
    let ev_codes: HashSet<String> = codes(evidence).into_iter().collect();
    for c in codes(claim) {
        if !ev_codes.contains(&c) {
            return Err(format!("the code {c} is not in the cited text"));
        }
    }
    Ok(())
}

/// Audits `answer` against the evidence blocks that were shown to the model (`evidence[0]`
/// is `[1]`).
pub fn audit(answer: &str, evidence: &[&str]) -> AuditedAnswer {
    let mut claims = Vec::new();
    let mut kept: Vec<(String, Vec<usize>)> = Vec::new();
    for (s, e) in sentence_spans(answer) {
        let raw = &answer[s..e];
        let (text, refs) = parse_refs(raw);
        if text.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
            continue; // a stray "[1]" or bullet
        }
        let verdict = if refs.is_empty() {
            Err("cites no evidence".to_string())
        } else if let Some(bad) = refs.iter().find(|r| **r == 0 || **r > evidence.len()) {
            Err(format!("cites [{bad}], which does not exist"))
        } else {
            let joined: String = refs
                .iter()
                .map(|r| evidence[r - 1])
                .collect::<Vec<_>>()
                .join("\n");
            check_claim(&text, &joined)
        };
        let supported = verdict.is_ok();
        if supported {
            kept.push((text.clone(), refs.clone()));
        }
        claims.push(Claim {
            text,
            refs,
            supported,
            reason: verdict.err(),
        });
    }
    // Renumber: first-appearance order of the references that survive.
    let mut map: BTreeMap<usize, usize> = BTreeMap::new();
    let mut cited = Vec::new();
    let mut out = String::new();
    for (text, refs) in &kept {
        let mut marks = String::new();
        for r in refs {
            let n = *map.entry(*r).or_insert_with(|| {
                cited.push(r - 1);
                cited.len()
            });
            marks.push_str(&format!("[{n}]"));
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let body = text.trim_end();
        let (body, punct) = match body.chars().last() {
            Some(c @ ('.' | '!' | '?')) => (&body[..body.len() - c.len_utf8()], c.to_string()),
            _ => (body, ".".to_string()),
        };
        let body = body.trim_end();
        out.push_str(&format!("{body} {marks}{punct}"));
    }
    let supported = claims.iter().filter(|c| c.supported).count();
    AuditedAnswer {
        answer: out,
        cited,
        report: AuditReport {
            supported,
            unsupported: claims.len() - supported,
            claims,
        },
    }
}

/// True when two unit spellings mean the same unit (exposed for the premise check).
pub fn same_unit(a: &str, b: &str) -> bool {
    matches!((canonical_unit(a), canonical_unit(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EV: [&str; 3] = [
        "Torque the caliper mounting bolts to 85-95 ft-lbs. Use new bolts 12-345-A.",
        "The charging voltage at 2000 rpm must be 13.8-14.4 V with all loads off.",
        "P0420 means catalyst system efficiency below threshold, bank 1.",
    ];

    #[test]
    fn supported_claims_survive_and_are_renumbered() {
        let a = audit(
            "The charging voltage should be 13.8-14.4 V at 2000 rpm [2]. Torque the caliper bolts to 85-95 ft-lbs [1].",
            &EV,
        );
        assert_eq!(a.report.supported, 2);
        assert_eq!(a.cited, vec![1, 0]);
        assert!(a.answer.contains("[1]") && a.answer.contains("[2]"));
        assert!(a
            .answer
            .starts_with("The charging voltage should be 13.8-14.4 V at 2000 rpm [1]."));
        assert!(!a.needs_fallback());
    }

    #[test]
    fn wrong_number_missing_ref_and_phantom_ref_are_dropped() {
        let a = audit(
            "Torque the caliper bolts to 150 ft-lbs [1]. The charging voltage must be 13.8-14.4 V [9]. Replace the timing belt every 60000 miles. P0420 means catalyst efficiency below threshold [3].",
            &EV,
        );
        let dropped: Vec<_> = a.report.claims.iter().filter(|c| !c.supported).collect();
        assert_eq!(dropped.len(), 3, "{:?}", a.report.claims);
        assert!(!a.answer.contains("[9]"));
        assert!(!a.answer.contains("150"));
        assert_eq!(a.cited, vec![2]);
        assert!(a.answer.contains("P0420") && a.answer.contains("[1]"));
        assert!(a.needs_fallback()); // 1 of 4 survived
    }

    /// Found by `nic bench fuzz --target citations`: removing the inner markers of
    /// "[[ ]3]" used to leave "[3]" in the claim's text, a reference the renumbering did not
    /// see, so the answer carried a `[3]` next to only one citation.
    #[test]
    fn removing_a_marker_never_leaves_another_in_the_text() {
        let ev = [
            "a",
            "b",
            "Drain 3 to 12 L of oil.",
            "d",
            "Drain 3 to 12 L of oil.",
        ];
        let a = audit("Drain [[ ]3]12 L of oil [5].", &ev);
        assert_eq!(a.report.claims[0].refs, vec![3, 5]);
        assert_eq!(a.cited, vec![2, 4]);
        assert_eq!(a.answer, "Drain 12 L of oil [1][2].");
        let (text, refs) = parse_refs("x [[2]3] y [a] [1[2]] [ ]z [b [4]");
        assert_eq!((text.as_str(), refs), ("x  y [a]  z [b", vec![2, 3, 1, 4]));
        let (text, refs) = parse_refs("[[1]] ]x[ [2, 3][7]");
        assert_eq!((text.as_str(), refs), ("[] ]x[", vec![1, 2, 3, 7]));
    }

    #[test]
    fn unit_confusion_is_unsupported() {
        assert!(check_claim("Torque the caliper bolts to 85 Nm", EV[0]).is_err());
        assert!(check_claim("Torque the caliper bolts to 85 ft. lbs.", EV[0]).is_ok());
    }

    #[test]
    fn unrelated_claim_is_unsupported() {
        assert!(check_claim("Bake the cake at 180 degrees for an hour", EV[0]).is_err());
        assert!(check_claim("Use part 12-345-B for the caliper bolts", EV[0]).is_err());
    }
}
