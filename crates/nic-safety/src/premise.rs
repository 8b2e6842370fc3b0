//! False premises: when the question asserts something the evidence contradicts.
//!
//! Three kinds are checked, in this order:
//!
//! 1. **Unit confusion** — "85 Nm is the same as 85 ft-lbs?": the two quantities are converted
//!    and compared (85 Nm ≈ 62.7 ft-lbs, so no). A finding needs evidence that states a value
//!    of that dimension, because every statement NIC makes must cite the manual.
//! 2. **Substitution** — "the manual says I can use cooking oil as hydraulic fluid, right?": the
//!    evidence sentence that specifies the fluid/part is found; if it does not name the
//!    substitute (or forbids it), that sentence is the manual's value.
//! 3. **Wrong value** — "torque the caliper bolts to 150 ft-lbs, correct?" when the evidence
//!    says 85-95 ft-lbs: the claimed value is compared (after unit conversion) with the
//!    specification whose sentence shares the most content words with the question. Readings
//!    ("my alternator shows 12.2 V") are not claims; only asserted values are checked.
//!
//! The check is conservative: when any relevant evidence agrees with the claim, or nothing in
//! the evidence is about the same thing, there is no finding.

use crate::units::{fmt_num, from_base, quantities, Dim, Quantity};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// What the manual says instead of what the question assumed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PremiseFinding {
    /// The asserted premise, as written ("85 Nm = 85 ft-lbs", "cooking oil as hydraulic fluid").
    pub claimed: String,
    /// The manual's value or specification, quoted from the evidence.
    pub manual_value: String,
    /// Index into the `evidence` slice that holds `manual_value`.
    pub evidence_index: usize,
    /// One sentence saying why the premise is wrong.
    pub explanation: String,
}

fn re(p: &str) -> Regex {
    crate::compile(p)
}

static EQUIV_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:same\s+as|same\s+thing|equal(?:s|\s+to)?|equivalent|interchangeable|identical|the\s+same)\b|=",
    )
});
static ASSERT_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:right|correct|true|confirm|is\s+that|isn't\s+it|should\s+be|supposed\s+to\s+be|spec(?:ification)?\s+is|manual\s+(?:says|states|specifies|calls\s+for)|(?:torque|tighten|set|fill|charge|inflate|adjust|pressuri[sz]e)\s+(?:[\w-]+\s+){0,5}?to)\b",
    )
});
static SUBST_CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:use|put|fill\s+(?:it\s+|the\s+\w+\s+)?with|add|run|top\s+(?:it\s+)?(?:off|up)\s+with)\s+(?P<x>[\w\s./-]{2,40}?)\s+(?:as|instead\s+of|in\s+place\s+of|for|in)\s+(?:the\s+|my\s+|a\s+)?(?P<y>[\w\s./-]{2,40}?)(?:\s*[,?.!;]|\s+(?:right|correct|is|isn't|too|then|on|of)\b|\s*$)",
    )
});
static SUBST_CLAIM_FINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?P<x>[\w\s./-]{2,40}?)\s+(?:is|are)\s+(?:fine|ok|okay|acceptable|approved|allowed|good)\s+(?:for|in|as)\s+(?:the\s+|my\s+|a\s+)?(?P<y>[\w\s./-]{2,40}?)(?:\s*[,?.!;]|\s+(?:right|correct|is|isn't|too|then)\b|\s*$)",
    )
});
static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:do\s+not|don't|never|must\s+not|not\s+(?:be\s+)?(?:used|approved|allowed|permitted)|no\s+substitutes?|prohibited)\b",
    )
});
static SUBST_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:manual|right|correct|true|can\s+i|could\s+i|is\s+it\s+(?:ok|okay|fine|safe|acceptable)|instead\s+of|in\s+place\s+of|substitute|allowed|approved|ok|okay|fine)\b",
    )
});
static CONSUMABLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:fluid|oil|coolant|antifreeze|refrigerant|grease|lubricant|fuel|gasoline|diesel|filter|fuse|bulb|belt|pads?|hydraulic|dot\s?\d|atf|gas)\b",
    )
});
static SPEC_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:use|uses|only|specified|specification\s+is|recommended|approved|fill|must|required|requires)\b",
    )
});

const STOP: &[&str] = &[
    "the",
    "and",
    "for",
    "what",
    "how",
    "are",
    "is",
    "to",
    "of",
    "in",
    "on",
    "with",
    "should",
    "be",
    "right",
    "correct",
    "manual",
    "says",
    "say",
    "that",
    "this",
    "it",
    "its",
    "can",
    "use",
    "set",
    "does",
    "do",
    "true",
    "confirm",
    "same",
    "as",
    "than",
    "from",
    "into",
    "at",
    "by",
    "or",
    "an",
    "a",
    "my",
    "your",
    "you",
    "we",
    "they",
    "was",
    "were",
    "will",
    "would",
    "could",
    "spec",
    "specs",
    "specification",
    "value",
    "isn't",
    "then",
    "tighten",
    "supposed",
    "per",
    "each",
    "all",
    "ft",
    "lbs",
    "lb",
    "nm",
    "psi",
    "bar",
    "kpa",
    "torque",
    "equal",
    "equals",
    "approximately",
    "about",
    "around",
    "there",
    "have",
    "has",
    "need",
    "i",
    "me",
];

fn content_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| {
            let l = w.to_lowercase();
            l.strip_suffix('s')
                .filter(|x| x.len() >= 3)
                .map(str::to_string)
                .unwrap_or(l)
        })
        .filter(|w| !STOP.contains(&w.as_str()))
        .collect()
}

/// True when position `i` (a byte index of `c`) in `text` ends a sentence or a line. A '.'
/// inside a number ("13.8", "3-1.1") is not a boundary.
fn is_boundary(text: &str, i: usize, c: char) -> bool {
    let rest = &text[i + c.len_utf8()..];
    match c {
        '.' => !rest.starts_with(|d: char| d.is_ascii_alphanumeric()),
        ';' | '!' | '?' | '\n' => true,
        _ => false,
    }
}

/// The sentence (or table row) of `text` around byte range `[start, end)`. Manuals wrap
/// lines mid-sentence ("tighten the lug nuts to\n140 ft-lbs"), so a line that starts with a
/// lower-case letter or a digit is joined to the line before it unless that one ended a
/// sentence or a table row.
fn sentence_around(text: &str, start: usize, end: usize) -> &str {
    let prev_boundary = |upto: usize| {
        text[..upto]
            .char_indices()
            .rev()
            .find(|&(i, c)| is_boundary(text, i, c))
            .map(|(i, c)| (i, i + c.len_utf8()))
    };
    let mut s = prev_boundary(start).map_or(0, |b| b.1);
    for _ in 0..2 {
        let line = text[s..].trim_start_matches([' ', '\t']);
        let continues = line.starts_with(|c: char| c.is_lowercase() || c.is_ascii_digit());
        if !continues || s == 0 || !text[..s].ends_with('\n') {
            break;
        }
        let before = text[..s - 1].trim_end_matches([' ', '\t']);
        if before.ends_with(['.', ':', ';', '|', '!', '?']) || before.is_empty() {
            break;
        }
        s = prev_boundary(s - 1).map_or(0, |b| b.1);
    }
    let e = text[end..]
        .char_indices()
        .find(|&(i, c)| is_boundary(text, end + i, c))
        .map_or(text.len(), |(i, _)| end + i);
    text[s..e].trim()
}

/// Splits `text` into sentences with the same boundary rules.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if is_boundary(text, i, c) {
            out.push(text[start..i].trim());
            start = i + c.len_utf8();
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

fn overlap(a: &[String], b: &[String]) -> usize {
    a.iter().filter(|w| b.contains(w)).count()
}

/// Checks the question's asserted values, unit equivalences and substitutions against the
/// evidence; returns what the manual says when they contradict it.
pub fn check_premise(question: &str, evidence: &[&str]) -> Option<PremiseFinding> {
    if evidence.is_empty() {
        return None;
    }
    let q = crate::normalize_for_safety(question);
    let ev: Vec<String> = evidence
        .iter()
        .map(|e| nic_core::text::normalize(e))
        .collect();
    let qq = quantities(&q);
    unit_confusion(&q, &qq, &ev)
        .or_else(|| substitution(&q, &ev))
        .or_else(|| wrong_value(&q, &qq, &ev))
}

/// The evidence quantity of dimension `dim` most related to `words` (and, failing that, one
/// that states one of the `claimed` quantities), with its index.
fn best_spec<'e>(
    ev: &'e [String],
    dim: Dim,
    words: &[String],
    claimed: &[&Quantity],
) -> Option<(usize, Quantity, &'e str, usize)> {
    let mut best: Option<(usize, Quantity, &str, usize)> = None;
    for (i, e) in ev.iter().enumerate() {
        for qty in quantities(e).into_iter().filter(|x| x.dim == dim) {
            let sent = sentence_around(e, qty.start, qty.end);
            let states_claim = claimed
                .iter()
                .any(|c| c.unit == qty.unit && c.lo >= qty.lo - 1e-9 && c.lo <= qty.hi + 1e-9);
            let score = overlap(words, &content_words(sent)) * 10 + usize::from(states_claim) * 5;
            if best.as_ref().is_none_or(|b| score > b.3) {
                best = Some((i, qty, sent, score));
            }
        }
    }
    best
}

/// The quantity's text plus a directly following parenthetical equivalent ("85 Nm (63 ft-lbs)").
fn quoted_value(e: &str, qty: &Quantity) -> String {
    let rest = &e[qty.end..];
    let trimmed = rest.trim_start();
    if trimmed.starts_with('(') {
        if let Some(close) = trimmed.find(')') {
            let inner = &trimmed[..=close];
            if inner.len() <= 30 && inner.chars().any(|c| c.is_ascii_digit()) {
                return format!("{} {}", value_text(e, qty), inner);
            }
        }
    }
    value_text(e, qty)
}

fn value_text(e: &str, qty: &Quantity) -> String {
    e[qty.start..qty.end]
        .trim()
        .trim_end_matches('.')
        .to_string()
}

fn unit_confusion(q: &str, qq: &[Quantity], ev: &[String]) -> Option<PremiseFinding> {
    if !EQUIV_CUE.is_match(q) {
        return None;
    }
    let (a, b) = qq
        .iter()
        .enumerate()
        .flat_map(|(i, a)| qq[i + 1..].iter().map(move |b| (a, b)))
        .find(|(a, b)| a.dim == b.dim && a.unit != b.unit)?;
    let (a_mid, b_mid) = ((a.base_lo + a.base_hi) / 2.0, (b.base_lo + b.base_hi) / 2.0);
    if (a_mid - b_mid).abs() <= 0.03 * a_mid.abs().max(b_mid.abs()) {
        return None; // the equivalence is right
    }
    let claimed = format!(
        "{} {} = {} {}",
        fmt_num(a.lo),
        a.unit,
        fmt_num(b.lo),
        b.unit
    );
    let a_in_b = from_base(a.base_lo, b.unit)?;
    let mut explanation = format!(
        "{} {} is not {} {}: {} {} ≈ {} {}.",
        fmt_num(a.lo),
        a.unit,
        fmt_num(b.lo),
        b.unit,
        fmt_num(a.lo),
        a.unit,
        fmt_num(a_in_b),
        b.unit
    );
    let words = content_words(q);
    let (idx, spec, _, score) = best_spec(ev, a.dim, &words, &[a, b])?;
    if score == 0 {
        return None; // nothing in the evidence is about this value: no citation to give
    }
    let manual_value = quoted_value(&ev[idx], &spec);
    explanation.push_str(&format!(" The manual specifies {manual_value}."));
    if spec.unit != a.unit && spec.unit != b.unit {
        let lo = from_base(spec.base_lo, a.unit)?;
        let hi = from_base(spec.base_hi, a.unit)?;
        explanation.push_str(&format!(
            " That is about {}-{} {}.",
            fmt_num(lo),
            fmt_num(hi),
            a.unit
        ));
    }
    Some(PremiseFinding {
        claimed,
        manual_value,
        evidence_index: idx,
        explanation,
    })
}

fn substitution(q: &str, ev: &[String]) -> Option<PremiseFinding> {
    if !SUBST_CUE.is_match(q) {
        return None;
    }
    let c = SUBST_CLAIM
        .captures(q)
        .or_else(|| SUBST_CLAIM_FINE.captures(q))?;
    let x = c.name("x")?.as_str().trim();
    let y = c.name("y")?.as_str().trim();
    if !CONSUMABLE.is_match(y) && !CONSUMABLE.is_match(x) {
        return None;
    }
    let xw = content_words(x);
    // What is being specified: Y's words plus X's head noun ("coolant", "oil", "fluid").
    let mut yw: Vec<String> = content_words(y)
        .into_iter()
        .filter(|w| !xw.contains(w))
        .collect();
    if let Some(head) = xw.last() {
        if CONSUMABLE.is_match(head) && !yw.contains(head) {
            yw.push(head.clone());
        }
    }
    if xw.is_empty() || yw.is_empty() {
        return None;
    }
    let claimed = format!("{x} as {y}");
    let mut spec: Option<(usize, &str, usize)> = None;
    for (i, e) in ev.iter().enumerate() {
        for sent in sentences(e) {
            let sw = content_words(sent);
            if xw.iter().all(|w| sw.contains(w)) {
                // The manual names the substitute: allowed, unless it is named in a prohibition.
                if NEGATION.is_match(sent) {
                    return Some(PremiseFinding {
                        claimed,
                        manual_value: sent.to_string(),
                        evidence_index: i,
                        explanation: format!("The manual does not allow {x}: \"{sent}\""),
                    });
                }
                return None;
            }
            // Prefer a positive specification ("use ISO VG 32 …") over a prohibition.
            let ov = overlap(&yw, &sw);
            if ov == 0 || !SPEC_CUE.is_match(sent) {
                continue;
            }
            let score = ov * 2 + 3 * usize::from(!NEGATION.is_match(sent));
            if spec.is_none_or(|s| score > s.2) {
                spec = Some((i, sent, score));
            }
        }
    }
    let (idx, sent, _) = spec?;
    Some(PremiseFinding {
        claimed,
        manual_value: sent.to_string(),
        evidence_index: idx,
        explanation: format!("The manual does not list {x} for {y}; it specifies: \"{sent}\""),
    })
}

fn wrong_value(q: &str, qq: &[Quantity], ev: &[String]) -> Option<PremiseFinding> {
    if qq.is_empty() || !ASSERT_CUE.is_match(q) {
        return None;
    }
    let words = content_words(q);
    if words.is_empty() {
        return None;
    }
    for claim in qq {
        // Every specification of this dimension whose sentence shares words with the question.
        let mut relevant: Vec<(usize, Quantity, usize)> = Vec::new();
        for (i, e) in ev.iter().enumerate() {
            for spec in quantities(e).into_iter().filter(|x| x.dim == claim.dim) {
                let sent = sentence_around(e, spec.start, spec.end);
                let score = overlap(&words, &content_words(sent));
                if score > 0 {
                    relevant.push((i, spec, score));
                }
            }
        }
        let Some(top) = relevant.iter().map(|r| r.2).max() else {
            continue;
        };
        // Agreement with any of the most related specifications clears the claim.
        let agrees = relevant.iter().filter(|r| r.2 == top).any(|(_, s, _)| {
            let tol = 0.05 * s.base_hi.abs().max(1e-9);
            claim.base_lo >= s.base_lo - tol && claim.base_hi <= s.base_hi + tol
        });
        if agrees {
            continue;
        }
        let (idx, spec, _) = relevant.into_iter().find(|r| r.2 == top)?;
        let manual_value = quoted_value(&ev[idx], &spec);
        let claim_text = q[claim.start..claim.end].trim().to_string();
        let mut explanation =
            format!("The question assumes {claim_text}, but the manual specifies {manual_value}.");
        if spec.unit != claim.unit {
            if let (Some(lo), Some(hi)) = (
                from_base(spec.base_lo, claim.unit),
                from_base(spec.base_hi, claim.unit),
            ) {
                let conv = if (hi - lo).abs() < 1e-9 {
                    format!("{} {}", fmt_num(lo), claim.unit)
                } else {
                    format!("{}-{} {}", fmt_num(lo), fmt_num(hi), claim.unit)
                };
                explanation.push_str(&format!(" (≈ {conv})."));
            }
        }
        return Some(PremiseFinding {
            claimed: claim_text,
            manual_value,
            evidence_index: idx,
            explanation,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRAKES: &str = "Caliper Installation. Install the caliper and tighten the caliper mounting bolts to 85-95 ft-lbs (115-129 Nm). Bleeder screw: 7-9 ft-lbs.";
    const HYD: &str = "Hydraulic System. Fill the hydraulic tank with ISO VG 32 hydraulic oil only. Capacity 28 L. Do not mix oil types.";
    const CHARGING: &str = "Charging System Test. With the engine at 2000 rpm the charging voltage should be 13.8-14.4 V.";

    #[test]
    fn nm_is_not_ft_lbs() {
        let f =
            check_premise("85 Nm is the same as 85 ft-lbs?", &[CHARGING, BRAKES]).expect("finding");
        assert_eq!(f.evidence_index, 1);
        assert_eq!(f.claimed, "85 Nm = 85 ft-lbs");
        assert!(f.explanation.contains("62.7 ft-lbs"), "{}", f.explanation);
        assert!(
            f.manual_value.contains("85-95 ft-lbs"),
            "{}",
            f.manual_value
        );
    }

    #[test]
    fn correct_conversion_is_not_a_finding() {
        assert!(check_premise("Is 115 Nm the same as 85 ft-lbs?", &[BRAKES]).is_none());
    }

    #[test]
    fn wrong_torque() {
        let f = check_premise(
            "Torque the caliper bolts to 150 ft-lbs, correct?",
            &[HYD, BRAKES],
        )
        .expect("finding");
        assert_eq!(f.evidence_index, 1);
        assert_eq!(f.claimed, "150 ft-lbs");
        assert!(
            f.manual_value.starts_with("85-95 ft-lbs"),
            "{}",
            f.manual_value
        );
    }

    #[test]
    fn right_torque_in_other_units_agrees() {
        assert!(check_premise("Torque the caliper bolts to 120 Nm, right?", &[BRAKES]).is_none());
        assert!(check_premise("The caliper bolts get 90 ft-lbs, correct?", &[BRAKES]).is_none());
    }

    #[test]
    fn readings_are_not_claims() {
        assert!(check_premise(
            "My charging voltage reads 12.2 V, what is wrong?",
            &[CHARGING]
        )
        .is_none());
    }

    #[test]
    fn wrong_voltage_claim() {
        let f = check_premise("The charging voltage should be 16 V, right?", &[CHARGING])
            .expect("finding");
        assert!(f.manual_value.contains("13.8-14.4 V"));
    }

    #[test]
    fn cooking_oil_is_not_iso_vg_32() {
        let f = check_premise(
            "The manual says I can use cooking oil as hydraulic fluid, right?",
            &[BRAKES, HYD],
        )
        .expect("finding");
        assert_eq!(f.evidence_index, 1);
        assert!(
            f.manual_value.contains("ISO VG 32 hydraulic oil only"),
            "{}",
            f.manual_value
        );
        assert!(f.claimed.contains("cooking oil"));
    }

    #[test]
    fn approved_fluid_is_not_a_finding() {
        assert!(check_premise(
            "Can I use ISO VG 32 hydraulic oil in the hydraulic tank?",
            &[HYD]
        )
        .is_none());
    }

    #[test]
    fn unrelated_evidence_gives_nothing() {
        assert!(check_premise("Torque the lug nuts to 100 ft-lbs, right?", &[HYD]).is_none());
        assert!(check_premise("What is the caliper torque?", &[]).is_none());
    }

    #[test]
    fn table_rows_and_wrapped_lines_keep_their_subject() {
        let table = "| Component | Torque |\n| Front caliper bracket bolts | 85-95 ft-lbs (115-129 N·m) |\n| Brake hose banjo bolt | 30 ft-lbs (41 N·m) |";
        let f = check_premise("The banjo bolt gets 85 ft-lbs, right?", &[table]).expect("finding");
        assert_eq!(f.manual_value, "30 ft-lbs (41 N·m)");
        let wrapped = "Tighten the lug nuts to\n140 ft-lbs (190 N·m) in a star pattern. Tighten the flange nuts to 30 ft-lbs.";
        let f = check_premise("The lug nuts get 80 ft-lbs, correct?", &[wrapped]).expect("finding");
        assert_eq!(f.manual_value, "140 ft-lbs (190 N·m)");
    }

    #[test]
    fn prohibited_substitute_is_quoted() {
        let ev = "Use ISO VG 32 hydraulic oil. Do not mix hydraulic oil types or use automatic transmission fluid.";
        let f = check_premise(
            "The manual says to use automatic transmission fluid in the hydraulic tank, right?",
            &[ev],
        )
        .expect("finding");
        assert!(
            f.manual_value.starts_with("Do not mix"),
            "{}",
            f.manual_value
        );
    }

    #[test]
    fn unit_claim_without_related_evidence_gives_nothing() {
        assert!(check_premise(
            "85 Nm is the same as 85 ft-lbs, right?",
            &["Bleeder screw: 7-9 ft-lbs."]
        )
        .is_none());
    }
}
