//! Line charts as PNG, with no plotting library: a small RGB canvas, straight lines, dashed
//! rules, a 5×7 bitmap font for labels, and the `png` crate to encode.
//!
//! A PNG attaches to a ticket and shows inline in chat tools and issue trackers where an SVG
//! often does not. [`Chart`] is generic (any number of x/y series, vertical and horizontal
//! rules, title and axis labels); [`render_png_plot`] is the `nic monitor --plot FILE.png`
//! memory curve built on it.

use super::canvas::{text_width, Canvas, TEXT_H};
use super::Sample;
use crate::error::OpsError;

pub type Rgb = [u8; 3];

pub const BLUE: Rgb = [31, 119, 180];
pub const RED: Rgb = [214, 39, 40];
pub const GREEN: Rgb = [44, 160, 44];
pub const ORANGE: Rgb = [255, 127, 14];
pub const GREY: Rgb = [120, 120, 120];
const BLACK: Rgb = [30, 30, 30];
const GRID: Rgb = [225, 225, 225];

/// One line of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub color: Rgb,
    /// (x, y) in data units, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A dashed line across the plot at a data value (end of warm-up, a memory limit).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub at: f64,
    pub label: String,
    pub color: Rgb,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Vertical rules at x values.
    pub x_rules: Vec<Rule>,
    /// Horizontal rules at y values. Labels alternate right and left so that close rules
    /// stay readable.
    pub y_rules: Vec<Rule>,
    /// Bottom of the y axis (default: 0, or the lowest value when negative).
    pub y_min: Option<f64>,
    pub width: u32,
    pub height: u32,
}

impl Chart {
    /// An empty 1000×560 chart.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            x_rules: Vec::new(),
            y_rules: Vec::new(),
            y_min: None,
            width: 1000,
            height: 560,
        }
    }
}

const LEFT: i64 = 100;
const RIGHT: i64 = 30;
const TOP: i64 = 64;
const BOTTOM: i64 = 70;

/// A step of 1, 2, 2.5 or 5 ×10^k giving about `n` intervals over `range`.
pub fn nice_step(range: f64, n: f64) -> f64 {
    let raw = (range / n).max(f64::MIN_POSITIVE);
    let exp = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * exp >= raw {
            return m * exp;
        }
    }
    10.0 * exp
}

fn fmt_tick(v: f64, step: f64) -> String {
    // As many decimals as the step needs (2.5 → 1, 0.25 → 2).
    let d = (0..6)
        .find(|d| {
            let s = step * 10f64.powi(*d);
            (s - s.round()).abs() < 1e-6 * s.max(1.0)
        })
        .unwrap_or(6) as usize;
    format!("{v:.d$}")
}

/// Renders `chart` to PNG bytes.
pub fn render_png(chart: &Chart) -> Result<Vec<u8>, OpsError> {
    let (w, h) = (chart.width.max(320), chart.height.max(200));
    let mut cv = Canvas::new(w, h);
    let (pw, ph) = (w as i64 - LEFT - RIGHT, h as i64 - TOP - BOTTOM);
    let xs = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1));
    let finite = |v: &f64| v.is_finite();
    let x_vals: Vec<f64> = xs
        .chain(chart.x_rules.iter().map(|r| r.at))
        .filter(finite)
        .collect();
    let y_vals: Vec<f64> = ys
        .chain(chart.y_rules.iter().map(|r| r.at))
        .filter(finite)
        .collect();
    let x_min = x_vals
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let x_max = x_vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let x_max = if x_max > x_min { x_max } else { x_min + 1.0 };
    let y_lo = match chart.y_min {
        Some(m) if m.is_finite() => m,
        _ => y_vals.iter().copied().fold(0.0, f64::min),
    };
    let y_hi = y_vals
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(y_lo + 1e-9);
    let y_step = nice_step((y_hi - y_lo) * 1.05, 6.0);
    let y_min = (y_lo / y_step).floor() * y_step;
    let y_max = ((y_hi * 1.05 - y_min) / y_step).ceil() * y_step + y_min;
    let x_step = nice_step(x_max - x_min, 8.0);
    let px = |x: f64| LEFT + ((x - x_min) / (x_max - x_min) * pw as f64).round() as i64;
    let py = |y: f64| {
        let v = TOP + ph - ((y - y_min) / (y_max - y_min) * ph as f64).round() as i64;
        v.clamp(TOP, TOP + ph)
    };

    // Grid, ticks and tick labels.
    let mut y = y_min;
    while y <= y_max + y_step * 1e-6 {
        let yy = py(y);
        cv.line((LEFT, yy), (LEFT + pw, yy), GRID, 1, 0);
        let label = fmt_tick(y, y_step);
        cv.text(
            LEFT - 8 - text_width(&label),
            yy - TEXT_H / 2,
            &label,
            BLACK,
            false,
        );
        y += y_step;
    }
    let mut x = (x_min / x_step).ceil() * x_step;
    while x <= x_max + x_step * 1e-6 {
        let xx = px(x);
        cv.line((xx, TOP), (xx, TOP + ph), GRID, 1, 0);
        cv.line((xx, TOP + ph), (xx, TOP + ph + 5), BLACK, 1, 0);
        let label = fmt_tick(x, x_step);
        cv.text(
            xx - text_width(&label) / 2,
            TOP + ph + 10,
            &label,
            BLACK,
            false,
        );
        x += x_step;
    }
    // Frame, title, axis labels.
    cv.line((LEFT, TOP), (LEFT + pw, TOP), BLACK, 1, 0);
    cv.line((LEFT, TOP + ph), (LEFT + pw, TOP + ph), BLACK, 1, 0);
    cv.line((LEFT, TOP), (LEFT, TOP + ph), BLACK, 1, 0);
    cv.line((LEFT + pw, TOP), (LEFT + pw, TOP + ph), BLACK, 1, 0);
    cv.text(LEFT, 10, &chart.title, BLACK, false);
    let xl = &chart.x_label;
    cv.text(
        LEFT + pw / 2 - text_width(xl) / 2,
        h as i64 - TEXT_H - 12,
        xl,
        BLACK,
        false,
    );
    let yl = &chart.y_label;
    cv.text(12, TOP + ph / 2 + text_width(yl) / 2, yl, BLACK, true);
    // Rules, then series on top.
    for r in &chart.x_rules {
        let xx = px(r.at);
        cv.line((xx, TOP), (xx, TOP + ph), r.color, 2, 6);
        cv.text(xx + 6, TOP + 6, &r.label, r.color, false);
    }
    for (i, r) in chart.y_rules.iter().enumerate() {
        let yy = py(r.at);
        cv.line((LEFT, yy), (LEFT + pw, yy), r.color, 2, 6);
        let lx = if i % 2 == 0 {
            LEFT + pw - text_width(&r.label) - 6
        } else {
            LEFT + 6
        };
        cv.text(lx, yy - TEXT_H - 4, &r.label, r.color, false);
    }
    for s in &chart.series {
        let pts: Vec<(i64, i64)> = s
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| (px(x), py(y)))
            .collect();
        if let [only] = pts.as_slice() {
            cv.fill(only.0 - 2, only.1 - 2, 5, 5, s.color);
        }
        for pair in pts.windows(2) {
            cv.line(pair[0], pair[1], s.color, 2, 0);
        }
    }
    // Legend under the title.
    let mut lx = LEFT;
    for s in &chart.series {
        cv.fill(lx, 38, 18, 4, s.color);
        cv.text(lx + 24, 33, &s.name, BLACK, false);
        lx += 24 + text_width(&s.name) + 28;
    }
    encode(&cv)
}

fn encode(cv: &Canvas) -> Result<Vec<u8>, OpsError> {
    let err = |e: png::EncodingError| OpsError::Plot {
        reason: e.to_string(),
    };
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, cv.w as u32, cv.h as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(err)?;
    writer.write_image_data(&cv.px).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

/// The `nic monitor` memory curve (RSS and anon over elapsed time) as PNG.
pub fn render_png_plot(samples: &[Sample]) -> Result<Vec<u8>, OpsError> {
    const MIB: f64 = 1024.0 * 1024.0;
    let t0 = samples.first().map(|s| s.unix_ms).unwrap_or(0);
    let span_s = samples
        .last()
        .map(|s| s.unix_ms.saturating_sub(t0))
        .unwrap_or(0) as f64
        / 1000.0;
    let (unit, div) = if span_s >= 7200.0 {
        ("hours", 3600.0)
    } else if span_s >= 180.0 {
        ("minutes", 60.0)
    } else {
        ("seconds", 1.0)
    };
    let t = |s: &Sample| s.unix_ms.saturating_sub(t0) as f64 / 1000.0 / div;
    let title = format!(
        "NIC memory: RSS and anon ({} samples from {})",
        samples.len(),
        super::rfc3339_utc(t0)
    );
    let mut chart = Chart::new(&title, &format!("elapsed ({unit})"), "memory (MB)");
    chart.series = vec![
        Series {
            name: "RSS".into(),
            color: BLUE,
            points: samples
                .iter()
                .map(|s| (t(s), s.rss_bytes as f64 / MIB))
                .collect(),
        },
        Series {
            name: "anon (heap: a leak shows here)".into(),
            color: RED,
            points: samples
                .iter()
                .map(|s| (t(s), s.anon_bytes as f64 / MIB))
                .collect(),
        },
    ];
    render_png(&chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn count(px: &[u8], c: Rgb) -> usize {
        px.chunks_exact(3).filter(|p| *p == c).count()
    }

    #[test]
    fn decodes_with_lines_rules_and_text() {
        let mut chart = Chart::new("Test chart 123", "elapsed (minutes)", "memory (MB)");
        chart.series.push(Series {
            name: "anon".into(),
            color: RED,
            points: (0..=30).map(|i| (i as f64, 100.0 + i as f64)).collect(),
        });
        chart.x_rules.push(Rule {
            at: 6.0,
            label: "warm-up".into(),
            color: GREEN,
        });
        chart.y_rules.push(Rule {
            at: 150.0,
            label: "limit".into(),
            color: ORANGE,
        });
        let (w, h, px) = decode(&render_png(&chart).unwrap());
        assert_eq!((w, h), (1000, 560));
        assert_eq!(px.len(), 1000 * 560 * 3);
        assert!(count(&px, RED) > 800, "the series is drawn");
        assert!(count(&px, GREEN) > 300, "the vertical rule is drawn");
        assert!(count(&px, ORANGE) > 500, "the horizontal rule is drawn");
        // Title text: dark pixels in the top band.
        let dark_in_title = px[..(w * 30 * 3) as usize]
            .chunks_exact(3)
            .filter(|p| *p == BLACK)
            .count();
        assert!(dark_in_title > 100);
        // The line rises: its rightmost red pixel is higher than its leftmost.
        let red_at =
            |x: u32| (TOP as u32..h).find(|y| px[((y * w + x) * 3) as usize..][..3] == RED);
        let (left, right) = (red_at(LEFT as u32 + 2), red_at(w - RIGHT as u32 - 3));
        assert!(left.unwrap() > right.unwrap());
    }

    #[test]
    fn empty_and_degenerate_charts_render() {
        let (w, h, _) = decode(&render_png(&Chart::new("empty", "x", "y")).unwrap());
        assert_eq!((w, h), (1000, 560));
        let mut one = Chart::new("one", "x", "y");
        one.series.push(Series {
            name: "p".into(),
            color: BLUE,
            points: vec![(0.0, 5.0), (f64::NAN, 1.0)],
        });
        let (_, _, px) = decode(&render_png(&one).unwrap());
        assert!(count(&px, BLUE) >= 25);
        assert!(decode(&render_png_plot(&[]).unwrap()).0 == 1000);
    }

    #[test]
    fn ticks() {
        assert_eq!(nice_step(100.0, 5.0), 20.0);
        assert_eq!(nice_step(30.0, 8.0), 5.0);
        assert_eq!(nice_step(1.0, 4.0), 0.25);
        assert_eq!(fmt_tick(2.0, 0.5), "2.0");
        assert_eq!(fmt_tick(0.75, 0.25), "0.75");
        assert_eq!(fmt_tick(300.0, 50.0), "300");
    }
}
