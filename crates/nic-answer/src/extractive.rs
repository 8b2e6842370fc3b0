//! Extractive answers: the best evidence sentences, each followed by its `[n]`.
//!
//! This is the embedded default (no LLM configured, unreachable, failed, breaker open, or
//! `mode: extractive`), so it has to be usable on its own: for a procedure the steps come
//! in their manual order, warnings and cautions that belong to the evidence come first, and
//! for a value question the sentence that carries the value wins. Every sentence shown is
//! verbatim text of the chunk it cites.

use crate::text::{content_words, sentence_spans};
use std::collections::HashSet;

/// A piece of evidence for the extractive answerer.
pub struct EvidenceText<'a> {
    pub text: &'a str,
    /// Fused retrieval score in [0,1].
    pub score: f32,
}

#[derive(Debug, Clone)]
pub struct ExtractiveAnswer {
    pub answer: String,
    /// Indices into the evidence slice, in `[1]..[m]` order.
    pub cited: Vec<usize>,
}

const MAX_CHARS: usize = 1400;
const MAX_STEPS: usize = 12;

fn is_procedural(q: &str) -> bool {
    let q = q.to_lowercase();
    [
        "how do",
        "how to",
        "how should",
        "procedure",
        "steps",
        "replace",
        "install",
        "remove",
        "bleed",
        "test ",
        "check ",
        "adjust",
        "reset",
        "change ",
        "inspect",
        "clean",
        "drain",
        "fill",
        "charge ",
        "lubricate",
        "calibrate",
        "mount",
    ]
    .iter()
    .any(|k| q.contains(k))
}

fn is_warning(s: &str) -> bool {
    let t = s.trim_start().to_uppercase();
    ["WARNING", "CAUTION", "DANGER"]
        .iter()
        .any(|w| t.starts_with(w))
}

fn step_number(s: &str) -> Option<u32> {
    let t = s.trim_start();
    let t = t
        .strip_prefix("Step ")
        .or_else(|| t.strip_prefix("STEP "))
        .unwrap_or(t);
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &t[digits.len()..];
    if !digits.is_empty()
        && digits.len() <= 2
        && (rest.starts_with('.') || rest.starts_with(')') || rest.starts_with(':'))
    {
        digits.parse().ok()
    } else {
        None
    }
}

fn is_heading_like(s: &str) -> bool {
    let t = s.trim();
    if t.starts_with('#') {
        return true; // a markdown heading
    }
    if t.starts_with('|') {
        return false; // a table row carries values: a candidate answer
    }
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    t.len() < 60
        && !t.ends_with('.')
        && (letters.len() > 3 && upper * 10 >= letters.len() * 8
            || t.split_whitespace().count() <= 3)
}

fn sentence_score(sentence: &str, q: &HashSet<String>) -> f32 {
    if q.is_empty() {
        return 0.0;
    }
    let w = content_words(sentence);
    let hit = q.iter().filter(|t| w.contains(*t)).count() as f32;
    hit / q.len() as f32
}

/// Builds the extractive answer from the evidence (best first).
pub fn answer(question: &str, evidence: &[EvidenceText<'_>]) -> ExtractiveAnswer {
    let q = content_words(question);
    let best = evidence.iter().map(|e| e.score).fold(0.0, f32::max);
    let considered: Vec<usize> = (0..evidence.len().min(3))
        .filter(|&i| evidence[i].score >= best * 0.7)
        .collect();
    let mut picks: Vec<(usize, usize, usize)> = Vec::new(); // (evidence, start, end)

    // 1. Procedure: the best chunk's numbered steps in manual order.
    // The procedure may sit in a chunk just below the best one (the best being a related
    // test without steps): take the best-ranked close chunk that has numbered steps.
    if is_procedural(question) {
        let with_steps = (0..evidence.len().min(4))
            .filter(|&i| evidence[i].score >= best * 0.85)
            .map(|i| {
                let text = evidence[i].text;
                let spans = sentence_spans(text);
                let steps: Vec<usize> = spans
                    .iter()
                    .enumerate()
                    .filter(|(_, (s, e))| step_number(&text[*s..*e]).is_some())
                    .map(|(k, _)| k)
                    .collect();
                (i, spans, steps)
            })
            .find(|(_, _, steps)| steps.len() >= 2);
        if let Some((i, spans, steps)) = with_steps {
            let text = evidence[i].text;
            let first = steps[0];
            let last = steps[steps.len().min(MAX_STEPS) - 1];
            // Include the lead-in sentence before the first step when it has content.
            let from =
                if first > 0 && !is_heading_like(&text[spans[first - 1].0..spans[first - 1].1]) {
                    first - 1
                } else {
                    first
                };
            for &(s, e) in &spans[from..=last] {
                picks.push((i, s, e));
            }
        }
    }

    // 2. Otherwise (or in addition, when no steps were found): the best sentences.
    if picks.is_empty() {
        let mut scored: Vec<(f32, usize, usize, usize)> = Vec::new();
        for &i in &considered {
            let text = evidence[i].text;
            for (s, e) in sentence_spans(text) {
                let sent = &text[s..e];
                if is_heading_like(sent) || is_warning(sent) {
                    continue;
                }
                let sc = sentence_score(sent, &q)
                    + 0.2 * evidence[i].score / best.max(1e-6)
                    + if sent.chars().any(|c| c.is_ascii_digit()) {
                        0.05
                    } else {
                        0.0
                    };
                scored.push((sc, i, s, e));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top = scored.first().map(|s| s.0).unwrap_or(0.0);
        for (sc, i, s, e) in scored.into_iter().take(3) {
            if sc >= top * 0.6 {
                picks.push((i, s, e));
            }
        }
        // The sentence that answers best comes first; the rest keep manual order.
        if picks.len() > 2 {
            picks[1..].sort();
        }
    }

    // 3. Warnings and cautions from the chunks used go first: safety before steps.
    let used: Vec<usize> = {
        let mut u: Vec<usize> = picks.iter().map(|p| p.0).collect();
        u.dedup();
        u
    };
    let mut warnings: Vec<(usize, usize, usize)> = Vec::new();
    for &i in &used {
        let text = evidence[i].text;
        for (s, e) in sentence_spans(text) {
            if is_warning(&text[s..e]) && !picks.contains(&(i, s, e)) {
                warnings.push((i, s, e));
            }
        }
    }
    // Before a procedure its warnings come first (read them before step 1); after a value
    // they follow the value they qualify.
    let procedural = is_procedural(question) && picks.len() > 2;
    let ordered: Vec<(usize, usize, usize)> = if procedural {
        warnings.into_iter().chain(picks).collect()
    } else {
        picks.into_iter().chain(warnings).collect()
    };

    let mut cited: Vec<usize> = Vec::new();
    let mut out = String::new();
    for (i, s, e) in ordered {
        let n = match cited.iter().position(|c| *c == i) {
            Some(p) => p + 1,
            None => {
                cited.push(i);
                cited.len()
            }
        };
        let sentence = evidence[i].text[s..e].trim();
        if out.len() + sentence.len() > MAX_CHARS && !out.is_empty() {
            break;
        }
        let line = format!("{sentence} [{n}]");
        if !out.is_empty() {
            out.push(if step_number(sentence).is_some() || is_warning(sentence) {
                '\n'
            } else {
                ' '
            });
        }
        out.push_str(&line);
    }
    // Citations only for evidence that actually made it into the text.
    let max_ref = (1..=cited.len())
        .filter(|n| out.contains(&format!("[{n}]")))
        .max()
        .unwrap_or(0);
    cited.truncate(max_ref);
    ExtractiveAnswer { answer: out, cited }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procedure_keeps_steps_in_order_with_warning_first() {
        let text = "BRAKE BLEEDING\nWARNING: Brake fluid damages paint.\nBleed in this order.\n1. Raise the vehicle.\n2. Open the bleeder screw.\n3. Pump the pedal slowly.\n4. Close the screw.";
        let ev = [EvidenceText { text, score: 0.8 }];
        let a = answer("How do I bleed the brakes?", &ev);
        let w = a.answer.find("WARNING").unwrap();
        let s1 = a.answer.find("1. Raise").unwrap();
        let s4 = a.answer.find("4. Close").unwrap();
        assert!(w < s1 && s1 < s4, "{}", a.answer);
        assert_eq!(a.cited, vec![0]);
        assert!(a.answer.lines().all(|l| l.ends_with("[1]")));
    }

    #[test]
    fn value_question_picks_the_value_sentence() {
        let a_text = "Caliper service. Torque the caliper mounting bolts to 85-95 ft-lbs. Clean the slide pins.";
        let b_text = "Wheel lug nuts are tightened in a star pattern.";
        let ev = [
            EvidenceText {
                text: a_text,
                score: 0.7,
            },
            EvidenceText {
                text: b_text,
                score: 0.3,
            },
        ];
        let a = answer("What torque for the caliper bolts?", &ev);
        assert!(a.answer.contains("85-95 ft-lbs. [1]"), "{}", a.answer);
        assert_eq!(a.cited, vec![0]);
    }

    #[test]
    fn every_sentence_is_verbatim_evidence() {
        let t = "The alternator must charge at 13.8-14.4 V. Test with the engine at 2000 rpm. Unrelated text here.";
        let ev = [EvidenceText {
            text: t,
            score: 0.6,
        }];
        let a = answer("alternator charging voltage test", &ev);
        for part in a.answer.split(" [1]") {
            let p = part.trim();
            if !p.is_empty() {
                assert!(t.contains(p), "{p}");
            }
        }
    }
}
