//! Text normalisation shared by ingest and query time.
//!
//! Both sides must normalise identically or matching breaks: PDF extraction yields ligatures
//! ("ﬁ"), non-breaking spaces, soft hyphens and full-width digits that NFKC folds to the
//! forms a technician types.

use unicode_normalization::UnicodeNormalization;

/// NFKC-normalises `s`, drops zero-width and soft-hyphen characters, maps all whitespace
/// other than `\n` and `\x0c` (form feed, a page break in text manuals) to a plain space.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkc() {
        match c {
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            '\n' | '\x0c' => out.push(c),
            '\r' => {}
            c if c.is_whitespace() => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Collapses runs of spaces and trims each line; keeps blank lines (paragraph breaks) but
/// never more than one in a row.
pub fn tidy_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let mut collapsed = String::with_capacity(line.len());
        let mut prev_space = false;
        for c in line.trim().chars() {
            if c == ' ' {
                if !prev_space {
                    collapsed.push(' ');
                }
                prev_space = true;
            } else {
                collapsed.push(c);
                prev_space = false;
            }
        }
        if collapsed.is_empty() {
            blank_run += 1;
            if blank_run == 1 && !out.is_empty() {
                out.push('\n');
            }
        } else {
            blank_run = 0;
            out.push_str(&collapsed);
            out.push('\n');
        }
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Hex sha256 of bytes: the content hash that drives incremental ingest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ligatures_and_odd_spaces_fold() {
        assert_eq!(normalize("ﬁlter\u{00A0}ﬂow"), "filter flow");
        assert_eq!(normalize("a\u{200B}b\u{00AD}c"), "abc");
        assert_eq!(normalize("８５–９５"), "85–95");
    }

    #[test]
    fn tidy_keeps_single_blank_lines() {
        assert_eq!(tidy_whitespace("  a   b \n\n\n\n c\n"), "a b\n\nc");
    }
}
