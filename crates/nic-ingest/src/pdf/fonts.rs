//! Headings from what is printed: font sizes and weights from `pdftohtml -xml`.
//!
//! `pdftohtml -xml -i -q -stdout FILE` (poppler-utils) lists every text box of every page
//! with its position and font (`<fontspec id size family>`, `<text top left width height
//! font>` holding `<b>`, `<i>`, `<a>` runs). The body font is the size (and weight) that
//! sets the most characters; a heading is a line that stands alone on its row, is set
//! larger than body or wholly bold, is short, and does not read like prose, a list item, a
//! step, a safety lead-in, a caption, a table cell or a contents entry. Levels rank by size
//! (then weight) among the headings found.
//!
//! This file depends on `std` only (the caller passes the text rules it shares with the
//! other formats), so its parser and rules can be tested on a synthetic XML string.

use super::column;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// One `<text>` box of the XML.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    /// 1-based page number.
    pub page: u32,
    pub top: i32,
    pub left: i32,
    pub width: i32,
    pub height: i32,
    /// Font size from the box's `fontspec` (0 when unknown).
    pub size: f32,
    /// The fontspec's family names a bold face (Bold, Black, Heavy, Semibold, Demi).
    pub bold_face: bool,
    /// Every letter and digit of the box is inside `<b>`.
    pub bold: bool,
    /// Every letter and digit of the box is inside a link to page `link_page`.
    pub link_page: Option<u32>,
    /// Every letter and digit of the box is inside links, some of them leaving the document.
    pub link_out: bool,
    /// The text, entities decoded, whitespace collapsed.
    pub text: String,
}

impl TextBox {
    pub(crate) fn heavy(&self) -> bool {
        self.bold || self.bold_face
    }
}

/// A heading candidate: one line (or a heading wrapped onto consecutive lines).
#[derive(Debug, Clone, PartialEq)]
pub struct FontHeading {
    pub page: u32,
    pub top: i32,
    pub text: String,
    pub size: f32,
    pub bold: bool,
    /// 1 = the largest heading style in the document.
    pub rank: u8,
}

/// `None` when `pdftohtml` is not installed; else the XML or why it failed. The child is
/// killed when it runs past `timeout`.
pub fn run_pdftohtml(path: &Path, timeout: Duration) -> Option<Result<String, String>> {
    // A relative path starting with '-' would be read as an option.
    let arg: PathBuf = if path.is_relative() {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    };
    let mut child = match Command::new("pdftohtml")
        .args(["-xml", "-i", "-q", "-stdout", "-nodrm"])
        .arg(&arg)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("cannot run pdftohtml: {e}"))),
    };
    let mut stdout = child.stdout.take()?;
    let reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "pdftohtml exceeded {} s and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(format!("pdftohtml: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    Some(match status {
        Ok(s) if s.success() => Ok(String::from_utf8_lossy(&out).into_owned()),
        Ok(s) => Err(format!("pdftohtml failed ({s})")),
        Err(e) => Err(e),
    })
}

/// The value of attribute `name` in the inside of a tag (`top="12" left="3"`).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    loop {
        let at = rest.find(name)?;
        let before_ok = at == 0 || rest[..at].ends_with(char::is_whitespace);
        let after = &rest[at + name.len()..];
        if before_ok {
            if let Some(v) = after.strip_prefix("=\"") {
                return v.find('"').map(|end| &v[..end]);
            }
        }
        rest = after;
    }
}

/// Coordinates beyond this (in pdftohtml's pixels; real pages stay under 20,000) are
/// clamped: pdftohtml prints `-2147483648` for a degenerate text matrix, and the heading
/// rules add and double coordinates in `i32`.
const MAX_COORD: f32 = 1_000_000.0;

/// Font sizes beyond this are clamped (pdftohtml prints what the PDF's matrices give, and
/// the style ranking negates `size × 10` as an `i32`).
const MAX_FONT_SIZE: f32 = 10_000.0;

fn num(tag: &str, name: &str) -> i32 {
    attr(tag, name)
        .and_then(|v| v.trim().parse::<f32>().ok())
        .filter(|v| v.is_finite())
        .map_or(0, |v| v.round().clamp(-MAX_COORD, MAX_COORD) as i32)
}

/// Decodes the five XML entities and numeric character references.
fn decode(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let name = &after[1..semi];
        let ch = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
}

/// The page an internal link (`file.html#12`) points at.
fn link_target(tag: &str) -> Option<u32> {
    let href = attr(tag, "href")?;
    let (file, frag) = href.rsplit_once('#')?;
    if file.contains("://") {
        return None;
    }
    frag.parse().ok()
}

fn bold_family(family: &str) -> bool {
    let f = family.to_lowercase();
    ["bold", "black", "heavy", "semibold", "demi"]
        .iter()
        .any(|w| f.contains(w))
}

/// Parses `pdftohtml -xml` output into text boxes, in document order. Tolerant: anything
/// it does not understand is skipped.
pub fn parse_xml(xml: &str) -> Vec<TextBox> {
    let mut fonts: HashMap<String, (f32, bool)> = HashMap::new();
    let mut boxes = Vec::new();
    let mut page = 0u32;
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[..gt];
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        match name {
            "page" => {
                page = attr(tag, "number")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(page.saturating_add(1));
                rest = &rest[gt + 1..];
            }
            "fontspec" => {
                if let Some(id) = attr(tag, "id") {
                    let size = attr(tag, "size")
                        .and_then(|s| s.parse::<f32>().ok())
                        .filter(|s| s.is_finite())
                        .map_or(0.0, |s| s.clamp(-MAX_FONT_SIZE, MAX_FONT_SIZE));
                    let bold = attr(tag, "family").is_some_and(bold_family);
                    fonts.insert(id.to_string(), (size, bold));
                }
                rest = &rest[gt + 1..];
            }
            "text" => {
                let body = &rest[gt + 1..];
                let end = body.find("</text>").unwrap_or(body.len());
                let (size, bold_face) = attr(tag, "font")
                    .and_then(|f| fonts.get(f).copied())
                    .unwrap_or((0.0, false));
                let inner = parse_runs(&body[..end]);
                boxes.push(TextBox {
                    page,
                    top: num(tag, "top"),
                    left: num(tag, "left"),
                    width: num(tag, "width"),
                    height: num(tag, "height"),
                    size,
                    bold_face,
                    bold: inner.bold,
                    link_page: inner.link_page,
                    link_out: inner.link_out,
                    text: inner.text,
                });
                rest = body.get(end..).unwrap_or("");
            }
            _ => rest = &rest[gt + 1..],
        }
    }
    boxes
}

struct Runs {
    text: String,
    bold: bool,
    link_page: Option<u32>,
    link_out: bool,
}

/// The inside of one `<text>` element: text runs and `<b>`/`<i>`/`<a>` tags.
fn parse_runs(s: &str) -> Runs {
    let mut raw = String::new();
    let (mut bold_depth, mut link): (u32, Option<Option<u32>>) = (0, None);
    let (mut chars, mut bold_chars, mut link_chars) = (0usize, 0usize, 0usize);
    let mut targets: Vec<u32> = Vec::new();
    let mut outside = false;
    let mut rest = s;
    loop {
        let (chunk, tag) = match rest.find('<') {
            Some(lt) => (&rest[..lt], Some(lt)),
            None => (rest, None),
        };
        let mut piece = String::new();
        decode(chunk, &mut piece);
        let n = piece.chars().filter(|c| c.is_alphanumeric()).count();
        chars += n;
        if bold_depth > 0 {
            bold_chars += n;
        }
        if let Some(target) = link {
            link_chars += n;
            match target {
                Some(t) if n > 0 => targets.push(t),
                None if n > 0 => outside = true,
                _ => {}
            }
        }
        raw.push_str(&piece);
        let Some(lt) = tag else { break };
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else { break };
        let t = &after[..gt];
        match t.split_whitespace().next().unwrap_or("") {
            "b" => bold_depth += 1,
            "/b" => bold_depth = bold_depth.saturating_sub(1),
            "a" => link = Some(link_target(t)),
            "/a" => link = None,
            _ => {}
        }
        rest = &after[gt + 1..];
    }
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let all_linked = chars > 0 && link_chars == chars;
    Runs {
        text,
        bold: chars > 0 && bold_chars == chars,
        link_page: if all_linked {
            targets.first().copied()
        } else {
            None
        },
        link_out: all_linked && outside,
    }
}

/// Rules the caller shares with the text formats: whether a line is never a heading (list
/// item, step, safety lead-in, caption, running header or footer).
pub struct Rules<'a> {
    pub reject: &'a dyn Fn(&str) -> bool,
    /// A safety notice's lead-in (`WARNING`): the line under it is the notice's title.
    pub lead_in: &'a dyn Fn(&str) -> bool,
    /// A list item or step: a body-size bold line right above one labels the list.
    pub item: &'a dyn Fn(&str) -> bool,
}

/// Most words a heading line may have.
const MAX_WORDS: usize = 12;

/// The body style: the (size, heavy) that sets the most characters.
pub fn body_style(boxes: &[TextBox]) -> (f32, bool) {
    let mut count: HashMap<(i32, bool), usize> = HashMap::new();
    for b in boxes {
        let n = b.text.chars().filter(|c| c.is_alphanumeric()).count();
        *count
            .entry(((b.size * 10.0) as i32, b.heavy()))
            .or_default() += n;
    }
    count
        .into_iter()
        .max_by_key(|&((s, h), n)| (n, !h, -s))
        .map_or((0.0, false), |((s, h), _)| (s as f32 / 10.0, h))
}

/// A row: the boxes whose vertical extents overlap this one's middle band.
fn shares_row(a: &TextBox, b: &TextBox) -> bool {
    let band = (a.height.min(b.height) / 3).max(1);
    a.page == b.page
        && (a.top - b.top).abs() <= band
        && (a.top + a.height - b.top - b.height).abs() <= band.max(2)
}

fn is_heading_style(b: &TextBox, body: (f32, bool)) -> bool {
    if b.size <= 0.0 {
        return false;
    }
    let larger = b.size >= body.0 + 1.0;
    let bolder = b.heavy() && !body.1;
    larger || (bolder && b.size >= body.0 - 1.5)
}

/// Whether the text of a candidate line reads like a heading.
fn heading_text(t: &str, larger: bool, rules: &Rules<'_>) -> bool {
    let words = t.split_whitespace().count();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    // A table's title may run long: its number addresses it, the words only describe it.
    let max_words = if table_title(t) {
        2 * MAX_WORDS
    } else {
        MAX_WORDS
    };
    if words == 0 || words > max_words || letters < 2 {
        return false;
    }
    // Prose: ends like a sentence or a clause (a question is a FAQ heading).
    if t.ends_with(['.', ',', ';']) && !t.ends_with("...") {
        return false;
    }
    // A label introducing what follows ("Responsibilities:") is a heading only when set
    // larger than body.
    if t.ends_with(':') && !larger {
        return false;
    }
    // Contents entries end with dot leaders and a page number.
    if t.contains("....") || t.contains(". . .") {
        return false;
    }
    // Web addresses, e-mail addresses, form fields to fill in.
    if t.contains("://") || t.contains('@') || t.contains("___") || t.starts_with("www.") {
        return false;
    }
    if !t.contains(' ') && t.contains('/') && t.contains('.') {
        return false;
    }
    // A contents list's own title, a heading continued from the previous page.
    let lower = t.to_lowercase();
    let lower = lower.trim_end_matches([':', ' ']);
    if [
        "contents",
        "table of contents",
        "list of figures",
        "list of tables",
        "list of illustrations",
    ]
    .contains(&lower)
    {
        return false;
    }
    if ["(continued)", "(cont.)", "(cont)", "(cont'd)", "continued"]
        .iter()
        .any(|w| lower.ends_with(w))
    {
        return false;
    }
    // A page number, a lone value, a unit reading.
    if !t.starts_with(|c: char| c.is_alphanumeric() || c == '(' || c == '"' || c == '“') {
        return false;
    }
    !(rules.reject)(t)
}

/// Heading candidates of a whole document, in page and top order, ranked by style.
pub fn font_headings(boxes: &[TextBox], rules: &Rules<'_>) -> Vec<FontHeading> {
    let body = body_style(boxes);
    // Boxes per page, sorted top to bottom, left to right.
    let mut pages: Vec<Vec<&TextBox>> = Vec::new();
    {
        let mut by_page: HashMap<u32, Vec<&TextBox>> = HashMap::new();
        for b in boxes.iter().filter(|b| !b.text.trim().is_empty()) {
            by_page.entry(b.page).or_default().push(b);
        }
        let mut keys: Vec<u32> = by_page.keys().copied().collect();
        keys.sort_unstable();
        for k in keys {
            if let Some(mut v) = by_page.remove(&k) {
                v.sort_by_key(|b| (b.top, b.left));
                pages.push(v);
            }
        }
    }
    let mut out: Vec<FontHeading> = Vec::new();
    for page in &pages {
        let from = out.len();
        // Twice the centre of the page's text block, to tell centred lines.
        let span2 = page.iter().map(|b| b.left).min().unwrap_or(0)
            + page.iter().map(|b| b.left + b.width).max().unwrap_or(0);
        // Lines standing alone on their row in a heading style.
        let mut alone: Vec<(usize, &TextBox)> = Vec::new();
        // Notice titles (under `WARNING`), which may wrap onto a second line.
        let mut notice: Vec<usize> = Vec::new();
        for (i, b) in page.iter().enumerate() {
            if !is_heading_style(b, body) {
                continue;
            }
            if crowded(page, i, body) {
                continue;
            }
            // A contents entry (the whole line links forward in the document) or a list of
            // web links.
            if b.link_page.is_some_and(|t| t >= b.page) || b.link_out {
                continue;
            }
            // A callout label in a figure: set apart from the text, in a plain face.
            if !b.heavy() && column::floating(page, i, body.0, span2) {
                continue;
            }
            // The title of a safety notice (under `WARNING`, wrapped or not) or a table's
            // header row (under the table's title, in another font) is not a section.
            if column::just_under(page, i, rules.lead_in) {
                notice.push(i);
                continue;
            }
            if let Some(j) = column::above(page, i) {
                let prev = page[j];
                let same_font = (prev.size - b.size).abs() < 0.5 && prev.heavy() == b.heavy();
                if notice.contains(&j) && same_font {
                    notice.push(i);
                    continue;
                }
                if table_title(&prev.text) && is_heading_style(prev, body) && !same_font {
                    continue;
                }
            }
            // A header row set beside the title's axis rather than under its start.
            if let Some(prev) = i.checked_sub(1).and_then(|p| page.get(p)) {
                let same_font = (prev.size - b.size).abs() < 0.5 && prev.heavy() == b.heavy();
                if table_title(&prev.text)
                    && is_heading_style(prev, body)
                    && !same_font
                    && b.top - prev.top <= prev.height * 3
                {
                    continue;
                }
            }
            alone.push((i, b));
        }
        // Join a heading wrapped onto consecutive lines of the same font (left-aligned or
        // centred on one axis, as table titles are).
        let mut k = 0;
        while k < alone.len() {
            let (first_i, first) = alone[k];
            let mut text = first.text.clone();
            let mut last = (first_i, first);
            let mut next = k + 1;
            while let Some(&(j, b)) = alone.get(next) {
                let adjacent = column::below(page, last.0) == Some(j);
                let same_font = (b.size - first.size).abs() < 0.5 && b.heavy() == first.heavy();
                let close = b.top - last.1.top <= (last.1.height as f32 * 1.6).ceil() as i32;
                let tol = first.height.max(4);
                let centred =
                    (b.left * 2 + b.width - first.left * 2 - first.width).abs() <= tol * 2;
                let aligned = centred
                    || ((b.left - first.left).abs() <= tol && column::wraps(page, last.1, b));
                let open = !text.ends_with(['.', ':', '?', '!']);
                if adjacent && same_font && close && aligned && open {
                    text.push(' ');
                    text.push_str(&b.text);
                    last = (j, b);
                    next += 1;
                } else {
                    break;
                }
            }
            let larger = first.size >= body.0 + 1.0;
            let labels_list = !larger
                && column::below(page, last.0)
                    .and_then(|n| page.get(n))
                    .is_some_and(|n| (rules.item)(&n.text));
            let repeat = !labels_list
                && out
                    .last()
                    .is_some_and(|h: &FontHeading| h.page + 1 == first.page && h.text == text);
            if next - k <= 3 && !repeat && !labels_list && heading_text(&text, larger, rules) {
                out.push(FontHeading {
                    page: first.page,
                    top: first.top,
                    text,
                    size: first.size,
                    bold: first.heavy(),
                    rank: 0,
                });
            }
            k = next;
        }
        drop_diagram_runs(page, body, &mut out, from);
    }
    rank(&mut out);
    out
}

/// Three or more lines in one heading style with no body text between them are the boxes
/// of a flow chart or a diagram's labels, not sections that each hold nothing.
fn drop_diagram_runs(
    page: &[&TextBox],
    body: (f32, bool),
    out: &mut Vec<FontHeading>,
    from: usize,
) {
    let tail = out.get(from..).unwrap_or(&[]);
    let style = |h: &FontHeading| ((h.size * 2.0).round() as i32, h.bold);
    let text_between = |a: i32, b: i32| {
        page.iter().any(|o| {
            o.top > a
                && o.top < b
                && (o.size - body.0).abs() < 0.5
                && !o.heavy()
                && o.text.chars().any(char::is_alphanumeric)
        })
    };
    let mut drop = vec![false; tail.len()];
    let mut i = 0;
    while i < tail.len() {
        let mut j = i + 1;
        while j < tail.len()
            && style(&tail[j]) == style(&tail[i])
            && !text_between(tail[j - 1].top, tail[j].top)
        {
            j += 1;
        }
        if j - i >= 3 {
            drop[i..j].iter_mut().for_each(|d| *d = true);
        }
        i = j;
    }
    let mut n = 0;
    out.retain(|_| {
        let keep = n < from || !drop.get(n - from).copied().unwrap_or(false);
        n += 1;
        keep
    });
}

/// `Table 3 ...`, `TABLE 1`, `TAB LE 4` (a word the extraction split).
pub fn table_title(t: &str) -> bool {
    let mut head = String::new();
    for c in t.chars().filter(|c| !c.is_whitespace()).take(6) {
        head.extend(c.to_lowercase());
    }
    head.strip_prefix("table")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether box `i` shares its printed row: with another heading-styled box (a table header
/// row, labels in a figure), with text right beside it (the same line goes on), or with two
/// or more separate boxes (a table row). Body text in another column does not count.
fn crowded(page: &[&TextBox], i: usize, body: (f32, bool)) -> bool {
    let Some(b) = page.get(i) else { return false };
    let mut others: Vec<&TextBox> = page
        .iter()
        .enumerate()
        .filter(|&(j, o)| j != i && shares_row(b, o) && o.text.chars().any(char::is_alphanumeric))
        .map(|(_, o)| *o)
        .collect();
    if others.is_empty() {
        return false;
    }
    let near = b.height.max(4) * 2;
    if others.iter().filter(|o| is_heading_style(o, body)).count() >= 2 {
        return true;
    }
    if others.iter().any(|o| {
        (o.left >= b.left + b.width - 2 && o.left - (b.left + b.width) < near)
            || (o.left + o.width <= b.left + 2 && b.left - (o.left + o.width) < near)
    }) {
        return true;
    }
    others.sort_by_key(|o| o.left);
    let mut segments = 1;
    for w in others.windows(2) {
        if w[1].left - (w[0].left + w[0].width) >= near {
            segments += 1;
        }
    }
    segments >= 2
}

/// Ranks heading styles: larger first, bold before regular at one size.
fn rank(heads: &mut [FontHeading]) {
    let mut styles: Vec<(i32, bool)> = heads
        .iter()
        .map(|h| ((h.size * 2.0).round() as i32, h.bold))
        .collect();
    styles.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    styles.dedup();
    for h in heads.iter_mut() {
        let key = ((h.size * 2.0).round() as i32, h.bold);
        let r = styles.iter().position(|s| *s == key).unwrap_or(0);
        h.rank = (r + 1).min(200) as u8;
    }
}
