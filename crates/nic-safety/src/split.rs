//! Splitting one message into the questions it asks.
//!
//! "What's the caliper torque, and how do I jumper the door interlock?" holds one ordinary
//! question and one unsafe one. Judged as a whole, either the safe question is refused with the
//! unsafe one (a false refusal) or the unsafe one slips through with the safe one. Judged part
//! by part, the safe part is answered and the unsafe part is refused *explicitly*.
//!
//! Statements are context, not questions: "The compressor is short cycling. What should I
//! check?" is one part. A statement is attached to the question that follows it (or to the
//! last question when it comes at the end), so "There's smoke coming from the unit. What do I
//! do?" keeps the emergency and the question together.

use regex::Regex;
use std::sync::LazyLock;

fn re(p: &str) -> Regex {
    crate::compile(p)
}

static CONJ_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:,\s*|\s+)(?:and\s+also|and\s+then|also|plus|and|but\s+also|as\s+well\s+as)\s*,?\s+(how|what|what's|whats|where|where's|when|why|which|who|can\s+(?:i|you|we)|could\s+(?:i|you)|should\s+(?:i|we)|is\s+(?:it|there)|are\s+there|do\s+(?:i|you|we)|does|tell\s+me|explain|show\s+me|give\s+me|list)\b",
    )
});
static QUESTION_START: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\W*(?:also,?\s+|and\s+|then\s+|plus\s+|so\s+|ok,?\s+|please,?\s+)*(?:how|what|what's|whats|where|where's|when|why|which|who|whose|can|could|should|would|will|is|are|am|do|does|did|was|were|has|have|tell|explain|show|give|list|describe|help|walk|need|i\s+need|i\s+want|i'd\s+like|find|compare|define|outline|summari[sz]e|steps|procedure|torque|spec|specs|location|(?:check|inspect|replace|install|adjust|reset|test|measure|remove|clean|set|find|lubricate|tighten)\s+(?:the|a|an|my|for|that|this|it|all|both))\b",
    )
});
static PLEASANTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\W*(?:hi|hello|hey|thanks|thank\s+you|thx|please|cheers|ok|okay|regards|good\s+(?:morning|afternoon|evening))(?:\s+\w+)?\W*$",
    )
});

const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "approx", "fig", "no", "vs", "etc", "ref", "p", "pp", "sec", "min", "max", "in",
    "ft", "lb", "lbs", "mr", "dr", "st", "vol", "ch", "rev", "ca", "nom",
];

/// Splits `text` into question parts (statements attached as context). Always returns at
/// least one part for non-blank text.
pub(crate) fn split_questions(text: &str) -> Vec<String> {
    let mut segments: Vec<String> = Vec::new();
    for line in text.lines() {
        for sentence in sentences(line) {
            let mut start = 0;
            for c in CONJ_QUESTION.captures_iter(sentence) {
                let (Some(whole), Some(q)) = (c.get(0), c.get(1)) else {
                    continue;
                };
                let left = &sentence[start..whole.start()];
                if left.split_whitespace().count() >= 3 {
                    segments.push(left.trim().to_string());
                    start = q.start();
                }
            }
            segments.push(sentence[start..].trim().to_string());
        }
    }
    segments.retain(|s| s.chars().any(char::is_alphanumeric) && !PLEASANTRY.is_match(s));

    let mut parts: Vec<String> = Vec::new();
    let mut pending = String::new();
    for seg in segments {
        if is_question(&seg) {
            let part = if pending.is_empty() {
                seg
            } else {
                format!("{} {}", std::mem::take(&mut pending), seg)
            };
            parts.push(part);
        } else {
            if !pending.is_empty() {
                pending.push(' ');
            }
            pending.push_str(&seg);
        }
    }
    if !pending.is_empty() {
        match parts.last_mut() {
            Some(last) => {
                last.push(' ');
                last.push_str(&pending);
            }
            None => parts.push(pending),
        }
    }
    parts
}

fn is_question(seg: &str) -> bool {
    seg.trim_end().ends_with('?') || QUESTION_START.is_match(seg)
}

/// Splits a line after `?`, `!`, `;` and after a `.` that ends a sentence (followed by a space
/// and a capital letter, not after an abbreviation or inside a number such as 13.8).
fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let next = chars.get(k + 1).map(|x| x.1);
        let after = chars.get(k + 2).map(|x| x.1);
        let boundary = match c {
            '?' | '!' | ';' => next.is_none_or(char::is_whitespace),
            '.' => {
                next.is_some_and(char::is_whitespace)
                    && after.is_some_and(|a| a.is_uppercase() || a.is_ascii_digit())
                    && !ends_with_abbreviation(&line[start..i])
            }
            _ => false,
        };
        if boundary {
            let end = i + c.len_utf8();
            out.push(&line[start..end]);
            start = end;
        }
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

fn ends_with_abbreviation(s: &str) -> bool {
    let last = s
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    ABBREVIATIONS.contains(&last.as_str())
        || (last.len() == 1 && last.chars().all(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_questions_with_and() {
        let p = split_questions(
            "What is the torque for the caliper bolts and how do I jumper the door interlock?",
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[1], "how do I jumper the door interlock?");
    }

    #[test]
    fn statements_are_context() {
        let p = split_questions("The compressor is short cycling. What should I check?");
        assert_eq!(
            p,
            vec!["The compressor is short cycling. What should I check?"]
        );
        let p = split_questions("How do I check the pads and rotors?");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn lines_and_question_marks() {
        let p = split_questions("Where is the fuse box?\nWhat is the belt tension? Thanks!");
        assert_eq!(
            p,
            vec!["Where is the fuse box?", "What is the belt tension?"]
        );
    }

    #[test]
    fn decimals_and_abbreviations_do_not_split() {
        let p = split_questions("Is 13.8 V approx. right for the alternator? Fig. 3 shows it.");
        assert_eq!(p.len(), 1, "{p:?}");
    }
}
