//! The memory curve as a standalone SVG (`nic monitor --plot FILE.svg`).
//!
//! An escalation asks for "the memory graph"; an SVG opens in any browser, attaches to a
//! ticket and needs no plotting library. RSS and anon are drawn over elapsed time: a leak is
//! an anon line that keeps climbing after warm-up, while RSS rising with a flat anon is just
//! index pages being mapped in.

use super::{rfc3339_utc, Sample};
use std::fmt::Write as _;

const W: f64 = 900.0;
const H: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 50.0;
const MIB: f64 = 1024.0 * 1024.0;

/// Renders `samples` (in time order) as an SVG document.
pub fn render_svg_plot(samples: &[Sample]) -> String {
    let mut s = String::with_capacity(4096 + samples.len() * 40);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n"
    );
    let Some(first) = samples.first() else {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no samples</text>\n</svg>\n",
            W / 2.0,
            H / 2.0
        );
        return s;
    };
    let t0 = first.unix_ms;
    let elapsed = |x: &Sample| x.unix_ms.saturating_sub(t0) as f64 / 1000.0;
    let t_max = samples.iter().map(elapsed).fold(0.0, f64::max).max(1.0);
    let y_max_mib = samples
        .iter()
        .map(|x| x.rss_bytes.max(x.anon_bytes) as f64 / MIB)
        .fold(0.0, f64::max);
    let y_max = nice_ceiling(y_max_mib.max(1.0) * 1.05);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let px = |t: f64| LEFT + t / t_max * pw;
    let py = |mib: f64| TOP + ph - mib / y_max * ph;

    let _ = writeln!(
        s,
        "<text x=\"{LEFT}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">NIC memory: RSS and anon \
({} samples from {})</text>",
        samples.len(),
        rfc3339_utc(t0)
    );
    // Grid and axis labels.
    for i in 0..=5 {
        let v = y_max * i as f64 / 5.0;
        let y = py(v);
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} MiB</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            fmt_tick(v)
        );
    }
    let (unit, div) = if t_max >= 7200.0 {
        ("h", 3600.0)
    } else if t_max >= 180.0 {
        ("min", 60.0)
    } else {
        ("s", 1.0)
    };
    for i in 0..=6 {
        let t = t_max * i as f64 / 6.0;
        let x = px(t);
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>\
<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            TOP + ph,
            TOP + ph + 18.0,
            fmt_tick(t / div)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">elapsed ({unit})</text>\n\
<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#333\"/>",
        LEFT + pw / 2.0,
        H - 10.0
    );
    for (name, color, get) in [
        (
            "RSS",
            "#1f77b4",
            (|x: &Sample| x.rss_bytes) as fn(&Sample) -> u64,
        ),
        ("anon", "#d62728", |x: &Sample| x.anon_bytes),
    ] {
        let points: Vec<String> = samples
            .iter()
            .map(|x| format!("{:.1},{:.1}", px(elapsed(x)), py(get(x) as f64 / MIB)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline class=\"{name}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{0}\" y=\"34\" width=\"12\" height=\"4\" fill=\"#1f77b4\"/>\
<text x=\"{1}\" y=\"40\">RSS</text>\
<rect x=\"{2}\" y=\"34\" width=\"12\" height=\"4\" fill=\"#d62728\"/>\
<text x=\"{3}\" y=\"40\">anon (heap: a leak shows here)</text>\n</svg>\n",
        W - 330.0,
        W - 314.0,
        W - 270.0,
        W - 254.0
    );
    s
}

/// The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 ×10^k at or above `v` (a tight, readable axis).
fn nice_ceiling(v: f64) -> f64 {
    let exp = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * exp >= v {
            return m * exp;
        }
    }
    10.0 * exp
}

fn fmt_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(n: u64) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                unix_ms: 1_700_000_000_000 + i * 10_000,
                rss_bytes: (200 + i) * 1024 * 1024,
                vms_bytes: 0,
                shared_bytes: 0,
                anon_bytes: (50 + 2 * i) * 1024 * 1024,
                file_bytes: 0,
                mem_percent: 1.0,
            })
            .collect()
    }

    fn points(svg: &str, class: &str) -> Vec<(f64, f64)> {
        let start = svg.find(&format!("class=\"{class}\"")).unwrap();
        let p = &svg[start..];
        let p = &p[p.find("points=\"").unwrap() + 8..];
        p[..p.find('"').unwrap()]
            .split(' ')
            .map(|xy| {
                let (x, y) = xy.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn one_point_per_sample_inside_the_plot() {
        let svg = render_svg_plot(&samples(30));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        for class in ["RSS", "anon"] {
            let pts = points(&svg, class);
            assert_eq!(pts.len(), 30);
            assert!(pts.windows(2).all(|w| w[0].0 < w[1].0), "time goes right");
            assert!(pts
                .iter()
                .all(|(x, y)| (LEFT..=W - RIGHT).contains(x) && (TOP..=H - BOTTOM).contains(y)));
        }
        // A growing anon line goes up the page (smaller y).
        let anon = points(&svg, "anon");
        assert!(anon.last().unwrap().1 < anon[0].1);
        // Tags balance.
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn empty_and_single_sample() {
        assert!(render_svg_plot(&[]).contains("no samples"));
        let one = render_svg_plot(&samples(1));
        assert_eq!(points(&one, "RSS").len(), 1);
        assert!(!one.contains("NaN") && !one.contains("inf"));
    }

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_ceiling(0.9), 1.0);
        assert_eq!(nice_ceiling(230.0), 300.0);
        assert_eq!(nice_ceiling(525.0), 600.0);
        assert_eq!(nice_ceiling(1000.0), 1000.0);
    }
}
