//! The rules that judge one question part: emergencies, unsafe intent, informational cues.
//!
//! Rules are regular expressions with word boundaries plus *context checks* that a plain regex
//! cannot express without look-around: what comes right before a hit (negation: "without
//! bypassing"), what comes right after it ("bypass **valve**" is a part, "bypass **the
//! interlock**" is an act), and cues elsewhere in the sentence ("what causes", "right now").
//! [`Pat`] packages a regex with those checks; [`Text`] holds the part and its leetspeak-decoded
//! matching copy so every rule sees both.

mod emergency;
mod tamper;
mod unsafe_intent;

use crate::{messages, Action, RiskLevel};
use regex::{Match, Regex};

/// A regex with optional checks on the text before (`not_before`, should end with `$`) and
/// after (`not_after`, should start with `^`) a match.
pub(crate) struct Pat {
    re: Regex,
    not_before: Option<Regex>,
    not_after: Option<Regex>,
}

pub(crate) fn re(p: &str) -> Regex {
    crate::compile(p)
}

impl Pat {
    pub(crate) fn new(p: &str) -> Self {
        Pat {
            re: re(p),
            not_before: None,
            not_after: None,
        }
    }
    pub(crate) fn not_before(mut self, p: &str) -> Self {
        self.not_before = Some(re(p));
        self
    }
    pub(crate) fn not_after(mut self, p: &str) -> Self {
        self.not_after = Some(re(p));
        self
    }
    /// All matches in `t` that pass the context checks.
    pub(crate) fn matches<'t>(&'t self, t: &'t str) -> impl Iterator<Item = Match<'t>> + 't {
        self.re.find_iter(t).filter(move |m| {
            !self
                .not_before
                .as_ref()
                .is_some_and(|nb| nb.is_match(&t[..m.start()]))
                && !self
                    .not_after
                    .as_ref()
                    .is_some_and(|na| na.is_match(&t[m.end()..]))
        })
    }
    pub(crate) fn captures<'t>(
        &'t self,
        t: &'t str,
    ) -> impl Iterator<Item = regex::Captures<'t>> + 't {
        self.re.captures_iter(t).filter(move |c| {
            let m = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
            !self
                .not_before
                .as_ref()
                .is_some_and(|nb| nb.is_match(&t[..m.0]))
                && !self
                    .not_after
                    .as_ref()
                    .is_some_and(|na| na.is_match(&t[m.1..]))
        })
    }
    pub(crate) fn is_match(&self, t: &str) -> bool {
        self.matches(t).next().is_some()
    }
}

/// One question part as the rules see it: the normalised text and, when some tokens looked
/// like leetspeak ("byp4ss", "1nt3rl0ck"), a same-length decoded copy used only for matching.
pub(crate) struct Text {
    pub variants: Vec<String>,
    /// The earlier parts of the same message, for pronouns ("… and how do I disable *it*?").
    pub context: String,
}

impl Text {
    pub(crate) fn new(s: &str) -> Self {
        let mut variants = vec![s.to_string()];
        if let Some(l) = leet_copy(s) {
            variants.push(l);
        }
        Text {
            variants,
            context: String::new(),
        }
    }
    fn plain(s: &str) -> Self {
        Text {
            variants: vec![s.to_string()],
            context: String::new(),
        }
    }
}

fn leet_char(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '@' => 'a',
        '$' => 's',
        '!' => 'i',
        '|' => 'l',
        _ => return None,
    })
}

/// Decodes tokens that mix letters with leet digits/symbols *inside* a word, keeping byte
/// offsets (every replacement is ASCII for ASCII). Part numbers (P0420, R-410A, 10W-30) stay
/// as they are: their digits are not surrounded by letters.
fn leet_copy(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    for tok in s.split_inclusive(|c: char| c.is_whitespace() || c == '-' || c == '/') {
        let core_start = tok.find(|c: char| c.is_ascii_alphanumeric() || leet_char(c).is_some());
        let chars: Vec<char> = tok.chars().collect();
        let letters = chars.iter().filter(|c| c.is_ascii_alphabetic()).count();
        let leet = chars.iter().filter(|&&c| leet_char(c).is_some()).count();
        let sandwich = chars.windows(3).any(|w| {
            w[0].is_ascii_alphabetic() && leet_char(w[1]).is_some() && w[2].is_ascii_alphabetic()
        });
        let word_chars = chars
            .iter()
            .filter(|c| !c.is_whitespace() && !"-/.,?;:'\"()".contains(**c))
            .count();
        let mostly_letters = letters * 10 >= word_chars * 6 && letters + leet == word_chars;
        if core_start.is_some() && letters > 0 && leet > 0 && (sandwich || mostly_letters) {
            let trimmed_end = tok
                .trim_end_matches(|c: char| c.is_whitespace() || "-/.,?;:!'\"()".contains(c))
                .len();
            for (i, c) in tok.char_indices() {
                match leet_char(c) {
                    Some(l) if i < trimmed_end => {
                        changed = true;
                        out.push(l);
                    }
                    _ => out.push(c),
                }
            }
        } else {
            out.push_str(tok);
        }
    }
    changed.then_some(out)
}

/// The verdict on one part.
pub(crate) struct Judgment {
    pub action: Action,
    pub risk: RiskLevel,
    pub triggers: Vec<String>,
    pub reason: Option<String>,
}

/// Judges one question part; `context` is the text of the parts before it.
pub(crate) fn judge(seg: &str, context: &str) -> Judgment {
    let mut text = Text::new(seg);
    text.context = context.to_string();
    let emergencies = emergency::detect(&text);
    let hits = unsafe_intent::detect(&text);
    let info = unsafe_intent::informational(&text);
    let mut triggers: Vec<String> = Vec::new();
    if text.variants.len() > 1 {
        let mut plain = Text::plain(seg);
        plain.context = context.to_string();
        if emergency::detect(&plain).len() < emergencies.len()
            || unsafe_intent::detect(&plain).len() < hits.len()
        {
            triggers.push("leetspeak".into());
        }
    }
    for e in &emergencies {
        crate::push_unique(&mut triggers, e);
    }
    for h in &hits {
        crate::push_unique(&mut triggers, h.trigger);
    }
    for (t, _) in &info {
        crate::push_unique(&mut triggers, t);
    }
    let info_risk = info.iter().map(|i| i.1).max().unwrap_or(RiskLevel::None);

    if let Some(first) = emergencies.first() {
        let mut reason = messages::emergency(first, seg);
        if let Some(h) = hits.first() {
            reason.push_str("\n\n");
            reason.push_str(&h.reason);
        }
        return Judgment {
            action: Action::Emergency,
            risk: RiskLevel::Critical,
            triggers,
            reason: Some(reason),
        };
    }
    if !hits.is_empty() {
        let reason = hits
            .iter()
            .map(|h| h.reason.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        return Judgment {
            action: Action::Refuse,
            risk: RiskLevel::High,
            triggers,
            reason: Some(reason),
        };
    }
    Judgment {
        action: Action::Proceed,
        risk: info_risk,
        triggers,
        reason: None,
    }
}

/// The sentence around byte range `[start, end)`: (text before it in the sentence, text after
/// it in the sentence).
pub(crate) fn sentence_context(t: &str, start: usize, end: usize) -> (&str, &str) {
    let is_boundary = |c: char| matches!(c, '.' | '!' | '?' | ';' | '\n');
    let s = t[..start].rfind(is_boundary).map_or(0, |i| i + 1);
    let e = t[end..].find(is_boundary).map_or(t.len(), |i| end + i);
    (&t[s..start], &t[end..e])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leet_copy_decodes_words_not_codes() {
        assert_eq!(
            leet_copy("how do I byp4ss the 1nt3rl0ck?").as_deref(),
            Some("how do I bypass the interlock?")
        );
        assert_eq!(
            leet_copy("d!sable the s@fety switch").as_deref(),
            Some("disable the safety switch")
        );
        assert!(leet_copy("P0420 on a 10W-30 R-410A unit, 13.8 V, M8 bolts").is_none());
    }

    #[test]
    fn all_rule_patterns_compile() {
        let _ = judge("warm-up: compile every lazy pattern", "");
    }
}
