//! Sentence splitting, content words and quantities: the small text toolkit shared by the
//! extractive answerer and the citation audit.

use std::collections::HashSet;

const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "do", "does", "for", "from",
    "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "may", "must", "of", "on",
    "or", "should", "so", "than", "that", "the", "their", "then", "there", "these", "this",
    "those", "to", "was", "were", "what", "when", "where", "which", "while", "who", "why", "will",
    "with", "would", "you", "your", "we", "our", "not", "no", "also", "all", "any", "each", "per",
    "use", "used", "using", "see", "one", "only", "me", "my", "about", "tell", "please", "need",
    "get", "they", "them", "he", "she", "his", "her", "up", "out",
];

pub fn is_stop(w: &str) -> bool {
    STOP.contains(&w)
}

/// Lower-cased alphanumeric words (hyphenated codes kept whole: `12-345-a`, `ft-lbs`).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
        .map(|w| w.trim_matches(|c: char| c == '-' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// Content words: not stop words, not bare numbers, with a crude plural fold so "bolts"
/// matches "bolt".
pub fn content_words(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for w in words(text) {
        if is_stop(&w) || !w.chars().any(|c| c.is_alphabetic()) {
            continue;
        }
        // "Low-Pressure Switch" names low pressure too: the parts of a hyphenated word are
        // words of the text when they are all letters (a code such as `12-345-a` is not).
        if w.contains('-') && w.split('-').all(|p| p.chars().all(char::is_alphabetic)) {
            for part in w.split('-').filter(|p| p.len() >= 2 && !is_stop(p)) {
                out.insert(stem(part));
            }
        }
        out.insert(stem(&w));
    }
    out
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

pub fn stem(w: &str) -> String {
    if w.len() > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..w.len() - 3]);
    }
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        return w[..w.len() - 1].to_string();
    }
    w.to_string()
}

/// Splits prose into sentences, keeping list items and lines that look like steps or
/// headings as their own units. Returns (byte start, byte end) spans into `text`.
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        let body = line.trim_end_matches('\n');
        let mut s = line_start;
        let bytes = body.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if (c == b'.' || c == b'?' || c == b'!' || c == b';')
                && i + 1 < bytes.len()
                && bytes[i + 1] == b' '
                && is_sentence_end(body, i)
            {
                let end = line_start + i + 1;
                push_span(text, &mut spans, s, end);
                s = end;
            }
            i += 1;
        }
        push_span(text, &mut spans, s, line_start + body.len());
        line_start = line_end;
    }
    spans
}

/// A period ends a sentence unless it is part of a number (`13.8`), an abbreviation
/// (`approx.`, `e.g.`, `Fig.`) or a list label (`1.`, `a.`).
fn is_sentence_end(line: &str, dot: usize) -> bool {
    let before = &line[..dot];
    let last_word = before
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    if line.as_bytes()[dot] != b'.' {
        return true;
    }
    let lw = last_word.to_lowercase();
    const ABBR: &[&str] = &[
        "approx", "e.g", "i.e", "fig", "no", "vs", "min", "max", "ref", "para", "etc", "dr", "mr",
        "st", "sec", "vol", "p", "pp",
    ];
    if ABBR.contains(&lw.as_str()) {
        return false;
    }
    // A list label at the very start of the line: "1." or "a."
    if before.trim() == last_word && last_word.len() <= 3 {
        return false;
    }
    true
}

fn push_span(text: &str, spans: &mut Vec<(usize, usize)>, s: usize, e: usize) {
    let piece = &text[s..e];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if piece.trim().is_empty() {
        return;
    }
    spans.push((s + lead, e - trail));
}

/// A number in a claim, with the unit written right after it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub number: String,
    pub unit: Option<String>,
}

/// Canonical spelling of a unit, so `ft-lbs`, `ft. lbs.` and `lb-ft` compare equal.
pub fn canonical_unit(u: &str) -> Option<String> {
    let u = u.to_lowercase().replace(['.', ' '], "");
    let c = match u.as_str() {
        "ft-lbs" | "ft-lb" | "ftlbs" | "ftlb" | "lb-ft" | "lbft" | "lbs-ft" | "foot-pounds" => {
            "ft-lb"
        }
        "in-lbs" | "in-lb" | "inlbs" | "inlb" | "lb-in" => "in-lb",
        "nm" | "n-m" | "n·m" | "newton-meters" => "nm",
        "v" | "volt" | "volts" | "vdc" | "vac" => "v",
        "a" | "amp" | "amps" | "ampere" | "amperes" => "a",
        "psi" | "psig" => "psi",
        "kpa" => "kpa",
        "bar" => "bar",
        "mm" => "mm",
        "in" | "inch" | "inches" => "in",
        "°f" | "f" | "degf" => "f",
        "°c" | "c" | "degc" => "c",
        "ohm" | "ohms" | "ω" | "kohm" | "kω" => "ohm",
        "rpm" => "rpm",
        "qt" | "quart" | "quarts" => "qt",
        "l" | "liter" | "liters" | "litre" | "litres" => "l",
        "ml" => "ml",
        "oz" | "ounces" => "oz",
        "lb" | "lbs" | "pound" | "pounds" => "lb",
        "kg" => "kg",
        "hz" => "hz",
        "w" | "watt" | "watts" => "w",
        "hours" | "hour" | "hrs" | "hr" | "h" => "h",
        "miles" | "mile" | "mi" => "mi",
        "km" => "km",
        "%" | "percent" => "%",
        "tons" | "ton" => "ton",
        _ => return None,
    };
    Some(c.to_string())
}

fn tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '"' | '\'' | '/')
    })
    .map(|w| w.trim_end_matches(['.', '?', '!', ':']))
    .filter(|w| !w.is_empty())
    .collect()
}

static QUANTITY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"^([0-9]+(?:\.[0-9]+)?)(?:[-–]([0-9]+(?:\.[0-9]+)?))?([A-Za-z°%·-][A-Za-z°%·.-]*)?$",
    )
    .expect("static regex")
});

/// Numbers (decimals kept, ranges split into both ends) and the unit written after them.
/// Part numbers and codes (`P0420`, `12-345-A`) are not quantities: see [`codes`].
pub fn quantities(text: &str) -> Vec<Quantity> {
    let toks = tokens(text);
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if t.matches('-').count() >= 2 {
            continue; // 12-345-A: a part number
        }
        let Some(m) = QUANTITY.captures(t) else {
            continue;
        };
        let glued = m.get(3).map(|u| u.as_str().trim_matches(['-', '.']));
        let unit = match glued {
            Some(u) if !u.is_empty() => match canonical_unit(u) {
                Some(c) => Some(c),
                None => continue, // digits glued to letters that are no unit: a code
            },
            _ => toks.get(i + 1).and_then(|n| {
                canonical_unit(n).or_else(|| {
                    toks.get(i + 2)
                        .and_then(|n2| canonical_unit(&format!("{n}{n2}")))
                })
            }),
        };
        for n in [m.get(1), m.get(2)].into_iter().flatten() {
            out.push(Quantity {
                number: trim_number(n.as_str()),
                unit: unit.clone(),
            });
        }
    }
    out
}

fn trim_number(n: &str) -> String {
    let n = if n.contains('.') {
        n.trim_end_matches('0').trim_end_matches('.')
    } else {
        n
    };
    let t = n.trim_start_matches('0');
    if t.is_empty() || t.starts_with('.') {
        format!("0{t}")
    } else {
        t.to_string()
    }
}

/// Codes that must match verbatim: letters and digits mixed (`P0420`, `M8x1.25`) or
/// digit groups joined by two or more hyphens (`12-345-A`, `1-2-3`).
pub fn codes(text: &str) -> Vec<String> {
    tokens(text)
        .into_iter()
        .filter(|w| {
            if QUANTITY.is_match(w) && w.matches('-').count() < 2 {
                return false;
            }
            let has_digit = w.chars().any(|c| c.is_ascii_digit());
            let has_alpha = w.chars().any(|c| c.is_alphabetic());
            has_digit && (has_alpha || w.matches('-').count() >= 2) && w.len() >= 3
        })
        .map(|w| w.to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_respect_numbers_and_labels() {
        let t = "Charge at 13.8-14.4 V. Check the belt.\n1. Remove the cover. Then lift it.\nNOTE: approx. 5 min.";
        let s: Vec<&str> = sentence_spans(t).iter().map(|(a, b)| &t[*a..*b]).collect();
        assert_eq!(
            s,
            vec![
                "Charge at 13.8-14.4 V.",
                "Check the belt.",
                "1. Remove the cover.",
                "Then lift it.",
                "NOTE: approx. 5 min."
            ]
        );
    }

    #[test]
    fn quantities_with_units_and_ranges() {
        let q = quantities(
            "Torque to 85-95 ft-lbs and charge at 13.8-14.4V; code P0420, part 12-345-A.",
        );
        let pairs: Vec<(String, Option<String>)> =
            q.into_iter().map(|q| (q.number, q.unit)).collect();
        assert_eq!(
            pairs,
            vec![
                ("85".into(), Some("ft-lb".into())),
                ("95".into(), Some("ft-lb".into())),
                ("13.8".into(), Some("v".into())),
                ("14.4".into(), Some("v".into())),
            ]
        );
        assert_eq!(
            codes("code P0420, part 12-345-A."),
            vec!["p0420", "12-345-a"]
        );
    }

    #[test]
    fn units_canonicalise() {
        assert_eq!(canonical_unit("ft. lbs."), Some("ft-lb".into()));
        assert_eq!(canonical_unit("N·m"), Some("nm".into()));
        assert_eq!(canonical_unit("Volts"), Some("v".into()));
    }
}
