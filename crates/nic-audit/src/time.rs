//! UTC time helpers for reviewers: RFC 3339 printing and the `--since` parser.
//!
//! Why not a date crate: the log only needs "milliseconds since the epoch ⇄ UTC calendar",
//! which is a dozen lines of well-known arithmetic (Howard Hinnant's civil-date algorithms);
//! no time zones are involved because the log is UTC throughout.

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2024-05-01T10:20:30.123Z`.
pub fn format_rfc3339_ms(unix_ms: u64) -> String {
    let ms = i64::try_from(unix_ms).unwrap_or(i64::MAX);
    let (days, rem) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, frac) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
}

/// Parses a `--since` value into Unix milliseconds:
/// a relative age (`30m`, `12h`, `7d`, `2w`), Unix seconds (`1714550400`), a date
/// (`2024-05-01`, midnight UTC) or an RFC 3339 time (`2024-05-01T10:00:00Z`,
/// `2024-05-01T12:00:00+02:00`, fractional seconds allowed).
pub fn parse_since(s: &str, now_ms: u64) -> Result<u64, String> {
    let s = s.trim();
    let hint = "expected e.g. 7d, 12h, 30m, 2w, Unix seconds, 2024-05-01 or 2024-05-01T10:00:00Z";
    if s.is_empty() {
        return Err(format!("empty time; {hint}"));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = s
            .parse()
            .map_err(|_| format!("`{s}` is too large; {hint}"))?;
        return secs
            .checked_mul(1000)
            .ok_or_else(|| format!("`{s}` is too large; {hint}"));
    }
    if let Some(unit) = s.chars().last().filter(|c| "smhdw".contains(*c)) {
        let num = &s[..s.len() - 1];
        if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) {
            let n: u64 = num
                .parse()
                .map_err(|_| format!("`{s}` is too large; {hint}"))?;
            let per = match unit {
                's' => 1_000,
                'm' => 60_000,
                'h' => 3_600_000,
                'd' => 86_400_000,
                _ => 7 * 86_400_000,
            };
            return Ok(now_ms.saturating_sub(n.saturating_mul(per)));
        }
    }
    parse_rfc3339(s).ok_or_else(|| format!("cannot read `{s}` as a time; {hint}"))
}

/// A run of ASCII digits within `range`.
fn num(s: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|v| range.contains(v))
}

fn parse_rfc3339(s: &str) -> Option<u64> {
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let mo = num(parts.next()?, 1..=12)?;
    let d = num(parts.next()?, 1..=31)?;
    if parts.next().is_some() {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * MS_PER_DAY;
    if let Some(t) = time {
        let (clock, offset_ms) = split_offset(t)?;
        let mut hms = clock.split(':');
        let h = i64::from(num(hms.next()?, 0..=23)?);
        let mi = i64::from(num(hms.next()?, 0..=59)?);
        let sec_part = hms.next().unwrap_or("0");
        if hms.next().is_some() {
            return None;
        }
        let (whole, frac) = sec_part.split_once('.').unwrap_or((sec_part, ""));
        let sec = i64::from(num(whole, 0..=60)?);
        let frac_ms: i64 = if frac.is_empty() {
            0
        } else {
            let digits: String = frac.chars().chain("000".chars()).take(3).collect();
            i64::from(num(&digits, 0..=999)?)
        };
        ms += h * 3_600_000 + mi * 60_000 + sec * 1000 + frac_ms - offset_ms;
    }
    u64::try_from(ms).ok()
}

/// Splits `10:00:00+02:00` into the clock and the offset in ms (`Z` = 0; none = UTC).
fn split_offset(t: &str) -> Option<(&str, i64)> {
    if let Some(clock) = t.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    match t.rfind(['+', '-']) {
        Some(i) => {
            let (clock, off) = (&t[..i], &t[i + 1..]);
            let (oh, om) = off.split_once(':').unwrap_or((off, "0"));
            let oh = i64::from(num(oh, 0..=23)?);
            let om = i64::from(num(om, 0..=59)?);
            let sign = if t.as_bytes()[i] == b'-' { -1 } else { 1 };
            Some((clock, sign * (oh * 3_600_000 + om * 60_000)))
        }
        None => Some((t, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339_ms(1_714_559_430_123),
            "2024-05-01T10:30:30.123Z"
        );
        assert_eq!(
            format_rfc3339_ms(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn parses_every_since_form() {
        let now = 1_714_559_430_123;
        assert_eq!(parse_since("7d", now), Ok(now - 7 * 86_400_000));
        assert_eq!(parse_since("12h", now), Ok(now - 12 * 3_600_000));
        assert_eq!(parse_since("1714550400", now), Ok(1_714_550_400_000));
        assert_eq!(parse_since("2024-05-01", now), Ok(1_714_521_600_000));
        assert_eq!(
            parse_since("2024-05-01T10:30:30.123Z", now),
            Ok(1_714_559_430_123)
        );
        assert_eq!(
            parse_since("2024-05-01T12:30:30+02:00", now),
            Ok(1_714_559_430_000)
        );
        for bad in ["", "yesterday", "2024-13-01", "7x", "2024-05-01T25:00:00Z"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn format_and_parse_round_trip() {
        for ms in [0, 86_399_999, 1_700_000_000_001, 4_102_444_800_000] {
            assert_eq!(parse_since(&format_rfc3339_ms(ms), 0), Ok(ms));
        }
    }
}
