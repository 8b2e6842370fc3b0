//! A cheap pass over a PDF's bytes that refuses what would take the PDF libraries down,
//! before they see it.
//!
//! * **Nesting.** `lopdf` parses arrays and dictionaries recursively (nom), at the object
//!   level and in content streams, and drops nested objects recursively; about 5,000 nested
//!   `[` or `<<` overflow a default 2 MB stack, a million overflow any stack, and a stack
//!   overflow aborts the process (no `catch_unwind` for it). Nesting deeper than
//!   [`MAX_DEPTH`] is refused, counted by a small lexer that knows strings, names, hex
//!   strings and comments, over the file and over every decoded stream that is parsed
//!   (content, forms, object streams, ...).
//! * **Decompression.** `lopdf` inflates streams with `read_to_end`, unbounded: a 1 GB
//!   flate bomb fits in a 1 MB file. Every stream the libraries would decode (`FlateDecode`,
//!   `LZWDecode`, `ASCII85Decode`, in chains) is decoded here in 64 KB pieces that are
//!   counted and dropped, against a per-file budget ([`decode_cap`]). Images are not
//!   decoded by the text path, so they are skipped — unless a page uses one as its
//!   `/Contents`, which is what a disguised bomb would do.
//!
//! The lexer resets its depth on a byte that cannot appear in PDF syntax outside a string
//! or a name (a control character, a byte >= 0x80): the parser fails there, so binary data
//! (fonts, inline images) never adds up to a false alarm.

use flate2::read::ZlibDecoder;
use std::collections::HashSet;
use std::io::Read;

/// Deepest nesting of arrays and dictionaries accepted (real files stay below 20).
pub(crate) const MAX_DEPTH: u32 = 256;

const MIB: u64 = 1024 * 1024;

/// Bytes all decoded streams of one file may add up to: 128 × the file size, at least
/// 64 MB, at most 512 MB. Text content compresses 3–10×, so real manuals stay far below;
/// a bomb (1000× and more) does not.
pub(crate) fn decode_cap(file_len: usize) -> u64 {
    (file_len as u64)
        .saturating_mul(128)
        .clamp(64 * MIB, 512 * MIB)
}

/// Why a file was refused (the text becomes the per-file error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused(pub String);

/// Checks nesting depth and decoded sizes; `Err` names the first limit exceeded.
pub(crate) fn check(bytes: &[u8], cap: u64) -> Result<(), Refused> {
    let mut budget = Budget { used: 0, cap };
    let mut lx = Lexer::new();
    let mut images: Vec<ImageStream> = Vec::new();
    let mut contents: HashSet<u32> = HashSet::new();
    let mut obj_start = 0usize;
    let mut obj_num: Option<u32> = None;
    let mut i = 0usize;
    while i < bytes.len() {
        lx.feed(bytes[i]);
        lx.too_deep("the file")?;
        match lx.event.take() {
            Some(Event::Obj(n)) => {
                obj_start = i + 1;
                obj_num = Some(n);
            }
            Some(Event::Stream) => {
                let dict = &bytes[obj_start.min(i)..i];
                let mut start = i;
                if bytes.get(start) == Some(&b'\r') {
                    start += 1;
                }
                if bytes.get(start) == Some(&b'\n') {
                    start += 1;
                }
                let end = find(&bytes[start..], b"endstream").map_or(bytes.len(), |e| start + e);
                let data = &bytes[start..end];
                let filters = filters(dict);
                if is_image(dict) {
                    images.push((obj_num, start, end, filters));
                } else {
                    let what = describe(obj_num);
                    let mut sub = Lexer::new();
                    decode(data, &filters, &mut budget, &mut sub, &what)?;
                    contents.extend(sub.contents_refs);
                }
                lx.reset();
                i = end;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    contents.extend(std::mem::take(&mut lx.contents_refs));
    for (num, start, end, filters) in images {
        if num.is_some_and(|n| contents.contains(&n)) {
            let what = describe(num);
            decode(
                &bytes[start..end],
                &filters,
                &mut budget,
                &mut Lexer::new(),
                &what,
            )?;
        }
    }
    Ok(())
}

/// An image stream, decoded only if a page uses it as content: (object number, data
/// start, data end, filters).
type ImageStream = (Option<u32>, usize, usize, Vec<Vec<u8>>);

fn describe(num: Option<u32>) -> String {
    num.map_or_else(|| "a stream".to_string(), |n| format!("stream object {n}"))
}

struct Budget {
    used: u64,
    cap: u64,
}

/// Decodes `data` through `filters` in pieces, counting bytes and nesting. With a filter
/// lopdf cannot decode, the raw bytes are what it would parse, so those are scanned.
fn decode(
    data: &[u8],
    filters: &[Vec<u8>],
    budget: &mut Budget,
    lx: &mut Lexer,
    what: &str,
) -> Result<(), Refused> {
    let known = |f: &Vec<u8>| {
        matches!(
            f.as_slice(),
            b"FlateDecode" | b"LZWDecode" | b"ASCII85Decode"
        )
    };
    let mut reader: Box<dyn Read + '_> = Box::new(data);
    // With a filter lopdf cannot decode, it parses the raw bytes instead (content streams).
    if filters.iter().all(known) {
        for f in filters {
            reader = match f.as_slice() {
                b"FlateDecode" => Box::new(ZlibDecoder::new(reader)),
                b"LZWDecode" => Box::new(Lzw::new(reader)),
                _ => Box::new(Ascii85::new(reader)),
            };
        }
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => return Ok(()), // the libraries keep what decoded, too
            Ok(n) => n,
        };
        budget.used = budget.used.saturating_add(n as u64);
        if budget.used > budget.cap {
            return Err(Refused(format!(
                "the file decompresses to more than {} MB (the limit for a file of this size; \
                 a decompression bomb?)",
                budget.cap / MIB
            )));
        }
        for &b in &buf[..n] {
            lx.feed(b);
        }
        lx.too_deep(what)?;
        lx.event = None;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// The value of `/key` in a dictionary's text: the bytes up to the next key or the end.
fn value_of<'a>(dict: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(p) = find(&dict[from..], key) {
        let at = from + p + key.len();
        // `/Filter` but not `/FilterX`.
        if dict.get(at).is_none_or(|&b| is_ws(b) || is_delim(b)) {
            return Some(&dict[at..]);
        }
        from = at;
    }
    None
}

/// One name (`/FlateDecode`), or with `many` an array of them (`[/A85 /FlateDecode]`).
fn names(v: &[u8], many: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut v = v.trim_ascii_start();
    let array = many && v.first() == Some(&b'[');
    if array {
        v = &v[1..];
    }
    loop {
        v = v.trim_ascii_start();
        let Some(rest) = v.strip_prefix(b"/") else {
            break;
        };
        let len = rest
            .iter()
            .position(|&c| is_ws(c) || is_delim(c))
            .unwrap_or(rest.len());
        out.push(rest[..len].to_vec());
        v = &rest[len..];
        if !array {
            break;
        }
    }
    out
}

fn filters(dict: &[u8]) -> Vec<Vec<u8>> {
    value_of(dict, b"/Filter").map_or_else(Vec::new, |v| names(v, true))
}

fn is_image(dict: &[u8]) -> bool {
    value_of(dict, b"/Subtype")
        .is_some_and(|v| names(v, false).first().is_some_and(|n| n == b"Image"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// `N G obj` ended: the object number.
    Obj(u32),
    /// The `stream` keyword ended (at the byte just fed).
    Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    Comment,
    Str {
        nest: u32,
        escape: bool,
    },
    Hex,
    /// Saw `<`: a dictionary (`<<`) or a hex string.
    Lt,
    /// Saw `>`.
    Gt,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refs {
    Off,
    /// Right after `/Contents`.
    Start,
    /// Inside `/Contents [ ... ]`.
    Array,
}

/// A streaming PDF lexer that only keeps what the checks need.
struct Lexer {
    depth: u32,
    deepest: u32,
    state: State,
    /// The current regular token (number or keyword), truncated.
    tok: Vec<u8>,
    /// The last two integer tokens (for `N G obj` and `N G R`).
    ints: [Option<u32>; 2],
    refs: Refs,
    contents_refs: Vec<u32>,
    event: Option<Event>,
}

impl Lexer {
    fn new() -> Self {
        Self {
            depth: 0,
            deepest: 0,
            state: State::Normal,
            tok: Vec::with_capacity(16),
            ints: [None, None],
            refs: Refs::Off,
            contents_refs: Vec::new(),
            event: None,
        }
    }

    fn too_deep(&self, what: &str) -> Result<(), Refused> {
        if self.deepest > MAX_DEPTH {
            Err(Refused(format!(
                "{what} has arrays or dictionaries nested deeper than {MAX_DEPTH} levels \
                 (a parser-crashing file?)"
            )))
        } else {
            Ok(())
        }
    }

    /// After a stream's data: back to the object level.
    fn reset(&mut self) {
        self.state = State::Normal;
        self.tok.clear();
        self.ints = [None, None];
        self.refs = Refs::Off;
    }

    fn open(&mut self, array: bool) {
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
        self.refs = if array && self.refs == Refs::Start {
            Refs::Array
        } else {
            Refs::Off
        };
        self.ints = [None, None];
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.refs = Refs::Off;
        self.ints = [None, None];
    }

    /// A byte the parser cannot accept here: whatever was open fails to parse.
    fn invalid(&mut self) {
        self.end_token();
        self.depth = 0;
        self.refs = Refs::Off;
    }

    fn end_token(&mut self) {
        if self.tok.is_empty() {
            return;
        }
        let tok = std::mem::take(&mut self.tok);
        if let Some(n) = std::str::from_utf8(&tok)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
        {
            self.ints = [self.ints[1], Some(n)];
        } else {
            match tok.as_slice() {
                b"obj" => {
                    if let [Some(n), Some(_)] = self.ints {
                        self.event = Some(Event::Obj(n));
                    }
                    self.refs = Refs::Off;
                }
                b"stream" => self.event = Some(Event::Stream),
                b"R" => {
                    if let [Some(n), Some(_)] = self.ints {
                        match self.refs {
                            Refs::Start => {
                                self.contents_refs.push(n);
                                self.refs = Refs::Off;
                            }
                            Refs::Array => self.contents_refs.push(n),
                            Refs::Off => {}
                        }
                    }
                }
                _ => self.refs = Refs::Off,
            }
            self.ints = [None, None];
        }
        self.tok = tok;
        self.tok.clear();
    }

    fn end_name(&mut self) {
        self.refs = if self.tok == b"Contents" {
            Refs::Start
        } else {
            Refs::Off
        };
        self.tok.clear();
        self.ints = [None, None];
    }

    fn feed(&mut self, b: u8) {
        match self.state {
            State::Comment => {
                if b == b'\n' || b == b'\r' {
                    self.state = State::Normal;
                }
            }
            State::Str { nest, escape } => {
                self.state = if escape {
                    State::Str {
                        nest,
                        escape: false,
                    }
                } else {
                    match b {
                        b'\\' => State::Str { nest, escape: true },
                        b'(' => State::Str {
                            nest: nest + 1,
                            escape: false,
                        },
                        b')' if nest == 0 => State::Normal,
                        b')' => State::Str {
                            nest: nest - 1,
                            escape: false,
                        },
                        _ => State::Str { nest, escape },
                    }
                };
            }
            State::Lt => {
                if b == b'<' {
                    self.state = State::Normal;
                    self.open(false);
                } else {
                    self.state = State::Hex;
                    self.feed(b);
                }
            }
            State::Hex => {
                if b == b'>' {
                    self.state = State::Normal;
                } else if !(b.is_ascii_hexdigit() || is_ws(b)) {
                    self.state = State::Normal;
                    self.invalid();
                }
            }
            State::Gt => {
                self.state = State::Normal;
                if b == b'>' {
                    self.close();
                } else {
                    self.feed(b);
                }
            }
            State::Name => {
                if is_ws(b) || is_delim(b) {
                    self.end_name();
                    self.state = State::Normal;
                    self.feed(b);
                } else if self.tok.len() < 16 {
                    self.tok.push(b);
                }
            }
            State::Normal => {
                if is_ws(b) {
                    self.end_token();
                    return;
                }
                if is_delim(b) {
                    self.end_token();
                }
                match b {
                    b'%' => self.state = State::Comment,
                    b'(' => {
                        self.refs = Refs::Off;
                        self.state = State::Str {
                            nest: 0,
                            escape: false,
                        };
                    }
                    b'<' => self.state = State::Lt,
                    b'>' => self.state = State::Gt,
                    b'[' => self.open(true),
                    b']' => self.close(),
                    b'/' => {
                        self.tok.clear();
                        self.state = State::Name;
                    }
                    b'{' | b'}' | b')' => {}
                    0x80..=0xff | 0..=0x1f | 0x7f => self.invalid(),
                    _ => {
                        if self.tok.len() < 16 {
                            self.tok.push(b);
                        }
                    }
                }
            }
        }
    }
}

/// `LZWDecode` (early change, MSB first), streaming.
struct Lzw<R> {
    inner: R,
    dec: weezl::decode::Decoder,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> Lzw<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            dec: weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8),
            buf: vec![0; 16 * 1024],
            start: 0,
            end: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for Lzw<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.buf)?;
                self.eof = self.end == 0;
            }
            if self.start == self.end && self.eof {
                self.done = true;
                return Ok(0);
            }
            let r = self.dec.decode_bytes(&self.buf[self.start..self.end], out);
            self.start += r.consumed_in;
            match r.status {
                Err(_) | Ok(weezl::LzwStatus::Done) => self.done = true,
                Ok(weezl::LzwStatus::NoProgress) if r.consumed_in == 0 && r.consumed_out == 0 => {
                    self.done = true
                }
                Ok(_) => {}
            }
            if r.consumed_out > 0 {
                return Ok(r.consumed_out);
            }
        }
    }
}

/// `ASCII85Decode`, streaming, as lopdf decodes it (`z` is four zero bytes).
struct Ascii85<R> {
    inner: R,
    group: u32,
    count: usize,
    pending: Vec<u8>,
    done: bool,
}

impl<R: Read> Ascii85<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            group: 0,
            count: 0,
            pending: Vec::new(),
            done: false,
        }
    }

    fn finish(&mut self) {
        if self.count > 0 {
            let mut g = self.group;
            for _ in self.count..5 {
                g = g.wrapping_mul(85).wrapping_add(84);
            }
            self.pending
                .extend_from_slice(&g.to_be_bytes()[..self.count - 1]);
            self.count = 0;
        }
        self.done = true;
    }
}

impl<R: Read> Read for Ascii85<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut buf = [0u8; 4096];
        while self.pending.is_empty() && !self.done {
            let n = self.inner.read(&mut buf)?;
            if n == 0 {
                self.finish();
                break;
            }
            for &c in &buf[..n] {
                if c == b'z' && self.count == 0 {
                    self.pending.extend_from_slice(&[0; 4]);
                } else if is_ws(c) {
                } else if (b'!'..=b'u').contains(&c) {
                    self.group = self
                        .group
                        .wrapping_mul(85)
                        .wrapping_add(u32::from(c - b'!'));
                    self.count += 1;
                    if self.count == 5 {
                        self.pending.extend_from_slice(&self.group.to_be_bytes());
                        self.group = 0;
                        self.count = 0;
                    }
                } else {
                    self.finish();
                    break;
                }
            }
        }
        let n = out.len().min(self.pending.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_syntax_not_bytes() {
        let mut lx = Lexer::new();
        for &b in b"[ (a(b)c \\) [[[ ) [ <ab> << /A [1 2] >> % [[[[\n ]" {
            lx.feed(b);
        }
        assert_eq!((lx.deepest, lx.depth), (4, 1));
        let mut lx = Lexer::new();
        for &b in "[[[\u{ff}[[[".as_bytes() {
            lx.feed(b);
        }
        assert_eq!(
            (lx.deepest, lx.depth),
            (3, 3),
            "a high byte resets the count"
        );
    }

    #[test]
    fn contents_references_are_collected() {
        let mut lx = Lexer::new();
        for &b in b"<< /Contents 12 0 R /Kids [3 0 R] >> << /Contents [4 0 R 5 0 R] >>" {
            lx.feed(b);
        }
        lx.end_token();
        assert_eq!(lx.contents_refs, vec![12, 4, 5]);
    }

    #[test]
    fn filters_and_subtypes_are_read_from_the_dictionary() {
        assert_eq!(
            filters(b"<< /Length 5 /Filter [/ASCII85Decode /FlateDecode] >>"),
            vec![b"ASCII85Decode".to_vec(), b"FlateDecode".to_vec()]
        );
        assert_eq!(
            filters(b"<</Filter/FlateDecode/Length 3>>"),
            vec![b"FlateDecode".to_vec()]
        );
        assert_eq!(
            filters(b"<< /Filter /FlateDecode /Length 3 >>"),
            vec![b"FlateDecode".to_vec()]
        );
        assert!(is_image(b"<< /Subtype /Image /Width 3 >>"));
        assert!(!is_image(b"<< /Subtype /Form >>"));
    }

    #[test]
    fn caps_scale_with_the_file() {
        assert_eq!(decode_cap(10_000), 64 * MIB);
        assert_eq!(decode_cap(2 << 20), 256 * MIB);
        assert_eq!(decode_cap(100 << 20), 512 * MIB);
    }
}
