//! A bound on element nesting before the HTML parser sees the page.
//!
//! html5ever checks the stack of open elements for every start tag ("is there a `<p>` in
//! button scope?"), so a page nested a million `<div>`s deep costs time quadratic in the
//! depth: 100,000 levels took 16–25 s, a million about 25 minutes. No manual page is nested
//! anywhere near [`MAX_DEPTH`] (browsers themselves stop building the tree deeper than
//! about 512), so tags beyond it are dropped before parsing: the text inside them is kept,
//! only the excess boxes around it go, and the file gets a warning instead of an hour of CPU.

use std::borrow::Cow;

/// The deepest element nesting kept.
pub(crate) const MAX_DEPTH: usize = 512;

/// Elements that never hold content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];
/// Elements whose end tag may be left out: they close by themselves and do not nest.
const SELF_CLOSING: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rtc", "rp",
];
/// Elements whose content is raw text: a `<` inside them is no tag.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "plaintext"];

/// One tag found by [`scan`]: its byte span, whether it closes, and its lower-cased name.
struct Tag {
    start: usize,
    end: usize,
    closing: bool,
    name: String,
    self_closed: bool,
}

/// Finds the next tag at or after `from`; comments and doctypes are skipped whole.
fn next_tag(s: &str, mut from: usize) -> Option<Tag> {
    let b = s.as_bytes();
    loop {
        let lt = from + s.get(from..)?.find('<')?;
        let rest = &s[lt..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            from = lt + 4 + comment.find("-->").map_or(comment.len(), |i| i + 3);
            continue;
        }
        let closing = b.get(lt + 1) == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        let name_len = b[name_start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !b[name_start].is_ascii_alphabetic() {
            from = lt + 1; // "<!doctype", "< 5", "<?xml": not an element tag
            continue;
        }
        let end = s[name_start..]
            .find('>')
            .map_or(s.len(), |i| name_start + i + 1);
        return Some(Tag {
            start: lt,
            end,
            closing,
            name: s[name_start..name_start + name_len].to_ascii_lowercase(),
            self_closed: s[..end].ends_with("/>"),
        });
    }
}

/// Where the raw text of a `<script>` (or another [`RAW_TEXT`] element) that starts at
/// `from` ends: at its end tag, matched without regard to case, or at the end of the page.
fn raw_text_end(s: &str, mut from: usize, name: &str) -> usize {
    let b = s.as_bytes();
    while let Some(i) = s.get(from..).and_then(|r| r.find("</")) {
        let at = from + i;
        let n = at + 2;
        if b.len() >= n + name.len() && b[n..n + name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return at;
        }
        from = at + 2;
    }
    s.len()
}

/// The page with every start and end tag deeper than `limit` removed, or the page itself
/// when it never gets that deep. The second value says whether anything was removed.
pub(crate) fn flatten(s: &str, limit: usize) -> (Cow<'_, str>, bool) {
    let mut depth = 0usize;
    let mut out: Option<String> = None;
    let mut copied = 0usize;
    let mut at = 0usize;
    while let Some(tag) = next_tag(s, at) {
        at = tag.end;
        let nests = !VOID.contains(&tag.name.as_str())
            && !SELF_CLOSING.contains(&tag.name.as_str())
            && !tag.self_closed;
        let mut drop = false;
        if nests && !tag.closing {
            depth += 1;
            drop = depth > limit;
        } else if nests && tag.closing {
            drop = depth > limit;
            depth = depth.saturating_sub(1);
        }
        if drop {
            let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
            o.push_str(&s[copied..tag.start]);
            copied = tag.end;
        }
        if !tag.closing && RAW_TEXT.contains(&tag.name.as_str()) {
            at = raw_text_end(s, at, &tag.name);
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&s[copied..]);
            (Cow::Owned(o), true)
        }
        None => (Cow::Borrowed(s), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_pages_are_untouched() {
        let page =
            "<html><body><div><p>One<p>Two<ul><li>a<li>b</ul><br><img src=x></div></body></html>";
        let (out, changed) = flatten(page, 4);
        assert!(!changed);
        assert_eq!(out, page);
    }

    #[test]
    fn tags_past_the_limit_go_and_text_stays() {
        let page = format!(
            "{}<h1>Deep</h1>text{}",
            "<div>".repeat(10),
            "</div>".repeat(10)
        );
        let (out, changed) = flatten(&page, 3);
        assert!(changed);
        assert_eq!(out, "<div><div><div>Deeptext</div></div></div>");
    }

    #[test]
    fn comments_scripts_and_stray_brackets_are_not_tags() {
        let page =
            "<div><!-- <div><div> --><script>if (a<b && c<d) {}</script>5 < 6<div>x</div></div>";
        let (out, changed) = flatten(page, 2);
        assert!(!changed, "{out}");
    }

    #[test]
    fn unterminated_input_ends_cleanly() {
        for page in [
            "<div",
            "<",
            "<!--",
            "<script>never closed",
            "</",
            "<a href='>",
        ] {
            let _ = flatten(page, 1);
        }
    }
}
