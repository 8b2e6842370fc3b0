//! Quantities with units, as technicians and manuals write them ("85-95 ft-lbs", "13.8–14.4V",
//! "3,000 psi", "120 °F"), converted to one base unit per dimension so that a claim and a
//! specification can be compared whatever units each uses.

use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dim {
    Torque,
    Pressure,
    Temperature,
    Length,
    Volume,
    Mass,
    Voltage,
    Current,
    Speed,
}

/// A value or range with its unit, located in the text it came from.
#[derive(Debug, Clone)]
pub(crate) struct Quantity {
    pub lo: f64,
    pub hi: f64,
    /// Canonical unit label for display ("Nm", "ft-lbs", "psi", …).
    pub unit: &'static str,
    pub dim: Dim,
    /// `lo`/`hi` in the dimension's base unit (Nm, kPa, °C, mm, L, kg, V, A, km/h).
    pub base_lo: f64,
    pub base_hi: f64,
    pub start: usize,
    pub end: usize,
}

static QTY: LazyLock<Regex> = LazyLock::new(|| {
    let num = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?";
    let unit = r"ft[-\s·.]?lbs?\.?|ft[-\s·.]?lbf|lbs?[-\s·.]?ft|foot[-\s]pounds?|pound[-\s]feet|in[-\s·.]?lbs?\.?|lbs?[-\s·.]?in|inch[-\s]pounds?|n[·\s.-]?m|newton[-\s]?met(?:er|re)s?|kgf?[·\s.-]?m|psi[ga]?|bar|kpa|mpa|°\s?f|°\s?c|deg(?:rees)?\s?f|deg(?:rees)?\s?c|fahrenheit|celsius|mm|cm|inch(?:es)?|in\.|ft|feet|liters?|litres?|qts?|quarts?|gal(?:lons?)?|ml|kg|lbs?|pounds?|volts?|vdc|vac|amps?|mph|km/h|kph|(?-i:V|A|L)";
    crate::compile(&format!(
        r"(?i)(?P<a>{num})\s*(?:(?:-|–|—|to)\s*(?P<b>{num})\s*)?(?P<u>{unit})(?:\b|$|[^\w])"
    ))
});

fn parse_num(s: &str) -> Option<f64> {
    s.replace(',', "").parse().ok()
}

/// (canonical label, dimension, factor to base, offset) for a unit as written.
fn unit_info(raw: &str) -> Option<(&'static str, Dim, f64, f64)> {
    let u: String = raw
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '°' || *c == '/')
        .collect();
    Some(match u.as_str() {
        "ftlb" | "ftlbs" | "ftlbf" | "lbft" | "lbsft" | "footpound" | "footpounds"
        | "poundfeet" => ("ft-lbs", Dim::Torque, 1.355_818, 0.0),
        "inlb" | "inlbs" | "lbin" | "lbsin" | "inchpound" | "inchpounds" => {
            ("in-lbs", Dim::Torque, 0.112_985, 0.0)
        }
        "nm" | "newtonmeter" | "newtonmeters" | "newtonmetre" | "newtonmetres" => {
            ("Nm", Dim::Torque, 1.0, 0.0)
        }
        "kgm" | "kgfm" => ("kgf·m", Dim::Torque, 9.806_65, 0.0),
        "psi" | "psig" | "psia" => ("psi", Dim::Pressure, 6.894_757, 0.0),
        "bar" => ("bar", Dim::Pressure, 100.0, 0.0),
        "kpa" => ("kPa", Dim::Pressure, 1.0, 0.0),
        "mpa" => ("MPa", Dim::Pressure, 1000.0, 0.0),
        "°f" | "degf" | "degreesf" | "fahrenheit" => ("°F", Dim::Temperature, 5.0 / 9.0, -32.0),
        "°c" | "degc" | "degreesc" | "celsius" => ("°C", Dim::Temperature, 1.0, 0.0),
        "mm" => ("mm", Dim::Length, 1.0, 0.0),
        "cm" => ("cm", Dim::Length, 10.0, 0.0),
        "inch" | "inches" | "in" => ("in", Dim::Length, 25.4, 0.0),
        "ft" | "feet" => ("ft", Dim::Length, 304.8, 0.0),
        "l" | "liter" | "liters" | "litre" | "litres" => ("L", Dim::Volume, 1.0, 0.0),
        "ml" => ("mL", Dim::Volume, 0.001, 0.0),
        "qt" | "qts" | "quart" | "quarts" => ("qt", Dim::Volume, 0.946_353, 0.0),
        "gal" | "gallon" | "gallons" => ("gal", Dim::Volume, 3.785_41, 0.0),
        "kg" => ("kg", Dim::Mass, 1.0, 0.0),
        "lb" | "lbs" | "pound" | "pounds" => ("lb", Dim::Mass, 0.453_592, 0.0),
        "v" | "volt" | "volts" | "vdc" | "vac" => ("V", Dim::Voltage, 1.0, 0.0),
        "a" | "amp" | "amps" => ("A", Dim::Current, 1.0, 0.0),
        "mph" => ("mph", Dim::Speed, 1.609_344, 0.0),
        "km/h" | "kmh" | "kph" => ("km/h", Dim::Speed, 1.0, 0.0),
        _ => return None,
    })
}

/// Converts a value in `unit` (a canonical label) to the base unit of its dimension.
#[cfg(test)]
pub(crate) fn to_base(v: f64, unit: &str) -> Option<f64> {
    unit_info(unit).map(|(_, _, f, off)| (v + off) * f)
}

/// Converts a base-unit value to `unit` (a canonical label).
pub(crate) fn from_base(b: f64, unit: &str) -> Option<f64> {
    unit_info(unit).map(|(_, _, f, off)| b / f - off)
}

/// Every quantity in `s`, in order.
pub(crate) fn quantities(s: &str) -> Vec<Quantity> {
    QTY.captures_iter(s)
        .filter_map(|c| {
            let a = parse_num(c.name("a")?.as_str())?;
            let b = c.name("b").and_then(|m| parse_num(m.as_str())).unwrap_or(a);
            let u = c.name("u")?;
            let (unit, dim, f, off) = unit_info(u.as_str())?;
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let whole = c.get(0)?;
            // "R-410A", "P0420", "M8": a code, not a quantity.
            if s[..whole.start()]
                .ends_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.')
            {
                return None;
            }
            Some(Quantity {
                lo,
                hi,
                unit,
                dim,
                base_lo: (lo + off) * f,
                base_hi: (hi + off) * f,
                start: whole.start(),
                end: u.end(),
            })
        })
        .collect()
}

/// Formats a number without pointless decimals.
pub(crate) fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_units() {
        let q =
            quantities("Caliper bolts: 85-95 ft-lbs (115–129 Nm); charging 13.8-14.4V; 3,000 psi");
        assert_eq!(q.len(), 4, "{q:?}");
        assert_eq!((q[0].lo, q[0].hi, q[0].unit), (85.0, 95.0, "ft-lbs"));
        assert_eq!(q[1].unit, "Nm");
        assert_eq!((q[2].lo, q[2].hi, q[2].unit), (13.8, 14.4, "V"));
        assert_eq!(q[3].lo, 3000.0);
    }

    #[test]
    fn converts() {
        let nm = to_base(85.0, "ft-lbs").unwrap_or_default();
        assert!((nm - 115.24).abs() < 0.1);
        let ftlb = from_base(85.0, "ft-lbs").unwrap_or_default();
        assert!((ftlb - 62.69).abs() < 0.05);
        assert!((to_base(212.0, "°F").unwrap_or_default() - 100.0).abs() < 1e-9);
    }
}
