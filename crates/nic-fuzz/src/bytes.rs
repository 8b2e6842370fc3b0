//! Format-blind mutations of a byte string, and helpers the format-aware ones share.

use rand::rngs::StdRng;
use rand::Rng;

/// Bytes that often sit on a parser's decision points.
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x7f, 0x80, 0xff, b'\n', b'\r', b'\t', 0x0c, b' ', b'"', b'\'', b'\\', b'[', b']',
    b'{', b'}', b'<', b'>', b'(', b')', b'/', b'%', b'#', b'&', b';', b',', b':', b'=', b'-', b'.',
    b'0', b'9',
];

/// Numbers as text at the edges of integer and float types and of NIC's own limits.
pub const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "20",
    "21",
    "100",
    "101",
    "127",
    "128",
    "255",
    "256",
    "4000",
    "4001",
    "65535",
    "65536",
    "2147483647",
    "-2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "1e308",
    "1e309",
    "-1e309",
    "1e-400",
    "0.5",
    "1.0000001",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1_000",
    "00000000001",
];

/// Text that stresses Unicode handling: multi-byte characters, combining marks, zero-width
/// and direction controls, a lone surrogate escape, invalid UTF-8.
pub const UNICODE: &[&[u8]] = &[
    "é".as_bytes(),
    "ß".as_bytes(),
    "İ".as_bytes(),
    "ﬁ".as_bytes(),
    "°".as_bytes(),
    "µ".as_bytes(),
    "Ω".as_bytes(),
    "·".as_bytes(),
    "–".as_bytes(),
    "€".as_bytes(),
    "中文".as_bytes(),
    "🔥".as_bytes(),
    "👩‍🔧".as_bytes(),
    "e\u{301}\u{301}\u{301}".as_bytes(),
    "\u{200b}".as_bytes(),
    "\u{200d}".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{feff}".as_bytes(),
    "\u{2028}".as_bytes(),
    "\u{85}".as_bytes(),
    "\u{a0}".as_bytes(),
    "\u{3000}".as_bytes(),
    "ＡＢＣ１２".as_bytes(),
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xff\xfe",
];

/// One to a few byte-level mutations, the result at most `max_len` bytes.
pub fn mutate(
    rng: &mut StdRng,
    mut d: Vec<u8>,
    seeds: &[Vec<u8>],
    dict: &[&[u8]],
    max_len: usize,
) -> Vec<u8> {
    let op = rng.gen_range(0..16);
    match op {
        0 if !d.is_empty() => {
            let i = rng.gen_range(0..d.len());
            d[i] ^= 1 << rng.gen_range(0..8);
        }
        1 if !d.is_empty() => {
            let i = rng.gen_range(0..d.len());
            d[i] = rng.gen();
        }
        2 if !d.is_empty() => {
            let i = rng.gen_range(0..d.len());
            d[i] = INTERESTING_BYTES[rng.gen_range(0..INTERESTING_BYTES.len())];
        }
        3 => {
            let n = rng.gen_range(1..=16);
            let ins: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            insert(rng, &mut d, &ins);
        }
        4 if !d.is_empty() => {
            let (a, b) = range(rng, d.len());
            d.drain(a..b);
        }
        5 if !d.is_empty() => {
            // Duplicate a range, sometimes many times over (blow-ups, deep repetition).
            let (a, b) = range(rng, d.len());
            let piece = d[a..b].to_vec();
            let times = if rng.gen_bool(0.1) {
                rng.gen_range(2..2000)
            } else {
                1
            };
            let at = rng.gen_range(0..=d.len());
            let mut rep = Vec::with_capacity(piece.len() * times);
            for _ in 0..times {
                if rep.len() + piece.len() > max_len {
                    break;
                }
                rep.extend_from_slice(&piece);
            }
            d.splice(at..at, rep);
        }
        6 if !seeds.is_empty() => {
            // Splice: a prefix of this input and a suffix of a seed.
            let other = &seeds[rng.gen_range(0..seeds.len())];
            let cut = rng.gen_range(0..=d.len());
            let from = rng.gen_range(0..=other.len());
            d.truncate(cut);
            d.extend_from_slice(&other[from..]);
        }
        7 => {
            let n = INTERESTING_NUMBERS[rng.gen_range(0..INTERESTING_NUMBERS.len())];
            if !replace_number(rng, &mut d, n.as_bytes()) {
                insert(rng, &mut d, n.as_bytes());
            }
        }
        8 if d.len() >= 4 => {
            // An interesting integer over raw bytes, either endianness.
            let v: u32 = *[0u32, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff]
                .get(rng.gen_range(0..8))
                .unwrap_or(&0);
            let b = if rng.gen() {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            let i = rng.gen_range(0..=d.len() - 4);
            d[i..i + 4].copy_from_slice(&b);
        }
        9 | 10 if !dict.is_empty() => {
            let t = dict[rng.gen_range(0..dict.len())];
            insert(rng, &mut d, t);
        }
        11 if d.len() >= 2 => {
            // Swap two ranges.
            let (a, b) = range(rng, d.len());
            let (c, e) = range(rng, d.len());
            if b <= c || e <= a {
                let (first, second) = if b <= c {
                    ((a, b), (c, e))
                } else {
                    ((c, e), (a, b))
                };
                let mut out = d[..first.0].to_vec();
                out.extend_from_slice(&d[second.0..second.1]);
                out.extend_from_slice(&d[first.1..second.0]);
                out.extend_from_slice(&d[first.0..first.1]);
                out.extend_from_slice(&d[second.1..]);
                d = out;
            }
        }
        12 if !d.is_empty() => {
            let cut = rng.gen_range(0..d.len());
            d.truncate(cut);
        }
        13 => {
            let u = UNICODE[rng.gen_range(0..UNICODE.len())];
            insert(rng, &mut d, u);
        }
        14 if !d.is_empty() => {
            // Overwrite a range with one repeated byte.
            let (a, b) = range(rng, d.len());
            let v = INTERESTING_BYTES[rng.gen_range(0..INTERESTING_BYTES.len())];
            d[a..b].fill(v);
        }
        _ => {
            // Insert a copy of a range of a seed.
            if let Some(other) = seeds.get(rng.gen_range(0..seeds.len().max(1))) {
                if !other.is_empty() {
                    let (a, b) = range(rng, other.len());
                    insert(rng, &mut d, &other[a..b]);
                }
            }
        }
    }
    d.truncate(max_len);
    d
}

/// A short random range `a..b` inside `0..len` (len > 0), mostly small, sometimes large.
pub fn range(rng: &mut StdRng, len: usize) -> (usize, usize) {
    let a = rng.gen_range(0..len);
    let max = if rng.gen_bool(0.8) { 16 } else { len };
    let b = (a + rng.gen_range(1..=max)).min(len);
    (a, b)
}

pub fn insert(rng: &mut StdRng, d: &mut Vec<u8>, what: &[u8]) {
    let at = rng.gen_range(0..=d.len());
    d.splice(at..at, what.iter().copied());
}

/// Replaces one run of ASCII digits (picked at random) with `with`; false when none.
pub fn replace_number(rng: &mut StdRng, d: &mut Vec<u8>, with: &[u8]) -> bool {
    let runs = digit_runs(d);
    if runs.is_empty() {
        return false;
    }
    let (a, b) = runs[rng.gen_range(0..runs.len())];
    d.splice(a..b, with.iter().copied());
    true
}

/// Byte ranges of the runs of ASCII digits (at most the first 4096).
pub fn digit_runs(d: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < d.len() && out.len() < 4096 {
        if d[i].is_ascii_digit() {
            let s = i;
            while i < d.len() && d[i].is_ascii_digit() {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// `open` repeated `n` times, then `close` repeated `n` times when given.
pub fn nested(open: &str, close: Option<&str>, n: usize) -> Vec<u8> {
    let mut v = open.repeat(n).into_bytes();
    if let Some(c) = close {
        v.extend_from_slice(c.repeat(n).as_bytes());
    }
    v
}

/// Positions of every occurrence of `needle` (at most 4096).
pub fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() || hay.len() < needle.len() {
        return out;
    }
    let mut i = 0;
    while i + needle.len() <= hay.len() && out.len() < 4096 {
        if &hay[i..i + needle.len()] == needle {
            out.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Picks one element.
pub fn pick<'a, T: ?Sized>(rng: &mut StdRng, xs: &[&'a T]) -> &'a T {
    xs[rng.gen_range(0..xs.len())]
}

/// Line-level mutation of text: drop, duplicate, swap, or insert one of `lines`.
pub fn mutate_lines(rng: &mut StdRng, text: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len();
    match rng.gen_range(0..5) {
        0 if n > 1 => {
            lines.remove(rng.gen_range(0..n));
        }
        1 => {
            let i = rng.gen_range(0..n);
            let l = lines[i].clone();
            let times = if rng.gen_bool(0.1) {
                rng.gen_range(2..500)
            } else {
                1
            };
            for _ in 0..times {
                lines.insert(i, l.clone());
            }
        }
        2 if n > 1 => {
            let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
            lines.swap(a, b);
        }
        _ if !extra.is_empty() => {
            let l = extra[rng.gen_range(0..extra.len())].clone();
            lines.insert(rng.gen_range(0..=n), l);
        }
        _ => {}
    }
    lines.join(&b'\n')
}
