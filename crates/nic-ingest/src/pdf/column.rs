//! Neighbours within a column: the line printed right above or below a box.
//!
//! Pages set in two columns interleave when their boxes are sorted by position: the line
//! "before" a notice title in that order may be a line of the other column, not the
//! `WARNING` above it. What a heading stands under or over is the nearest line that
//! overlaps it horizontally.

use super::fonts::TextBox;

/// Whether two boxes share some horizontal extent.
fn overlaps(a: &TextBox, b: &TextBox) -> bool {
    a.left < b.left + b.width.max(1) && b.left < a.left + a.width.max(1)
}

fn has_text(b: &TextBox) -> bool {
    b.text.chars().any(char::is_alphanumeric)
}

/// Boxes with text in box `i`'s column, wholly above it (`up`) or wholly below it.
fn in_column<'a>(
    page: &'a [&'a TextBox],
    i: usize,
    up: bool,
) -> impl Iterator<Item = (usize, &'a &'a TextBox)> + 'a {
    let b = page.get(i);
    page.iter().enumerate().filter(move |&(j, o)| {
        let Some(b) = b else { return false };
        let clear = if up {
            o.top + o.height <= b.top + 2 && o.top < b.top
        } else {
            o.top + 2 >= b.top + b.height && o.top > b.top
        };
        j != i && has_text(o) && clear && overlaps(o, b)
    })
}

/// Index of the nearest box with text wholly above box `i` in its column.
pub fn above(page: &[&TextBox], i: usize) -> Option<usize> {
    in_column(page, i, true)
        .max_by_key(|(_, o)| (o.top + o.height, o.top))
        .map(|(j, _)| j)
}

/// Whether a box matching `is` sits just above box `i` (within three of its line heights),
/// over it or over the space to its right: a notice's lead-in is centred over the notice,
/// a short title under it starts at the notice's left edge.
pub fn just_under(page: &[&TextBox], i: usize, is: &dyn Fn(&str) -> bool) -> bool {
    let Some(b) = page.get(i) else { return false };
    let span = TextBox {
        width: b.width * 2,
        ..(*b).clone()
    };
    page.iter().enumerate().any(|(j, o)| {
        let bottom = o.top + o.height;
        j != i
            && bottom <= b.top + 2
            && b.top - bottom <= b.height * 3
            && overlaps(o, &span)
            && is(&o.text)
    })
}

/// Index of the nearest box with text wholly below box `i` in its column.
pub fn below(page: &[&TextBox], i: usize) -> Option<usize> {
    in_column(page, i, false)
        .min_by_key(|(_, o)| (o.top, o.left))
        .map(|(j, _)| j)
}

/// A box placed in a figure: neither starting where the page's body lines start nor
/// centred on the page or on a body line (callout labels around a drawing).
pub fn floating(page: &[&TextBox], i: usize, body_size: f32, span2: i32) -> bool {
    let Some(b) = page.get(i) else { return false };
    let body: Vec<&&TextBox> = page
        .iter()
        .filter(|o| {
            (o.size - body_size).abs() < 0.5 && !o.heavy() && o.text.split_whitespace().count() >= 4
        })
        .collect();
    if body.is_empty() {
        return false;
    }
    let centre = b.left * 2 + b.width;
    let tol = b.height.max(4);
    let aligned = body.iter().any(|o| (o.left - b.left).abs() <= tol);
    let centred = (centre - span2).abs() <= tol * 2
        || body
            .iter()
            .any(|o| (o.left * 2 + o.width - centre).abs() <= tol * 2 && overlaps(o, b));
    !aligned && !centred
}

/// Whether a left-aligned line `b` under `first` continues a wrapped heading: the line
/// above was filled up to the width of the body lines starting where it starts, so the
/// next word had no room. A short line followed by another is two headings.
pub fn wraps(page: &[&TextBox], first: &TextBox, b: &TextBox) -> bool {
    let tol = first.height.max(4);
    let measure = page
        .iter()
        .filter(|o| (o.left - first.left).abs() <= tol && !o.heavy())
        .map(|o| o.width)
        .max();
    let Some(measure) = measure else { return true };
    let chars = b.text.chars().count().max(1) as i64;
    let word = b
        .text
        .split_whitespace()
        .next()
        .map_or(0, |w| w.chars().count()) as i64;
    let next_word = i64::from(b.width) * (word + 1) / chars;
    i64::from(first.width) + next_word >= i64::from(measure) * 9 / 10
}
