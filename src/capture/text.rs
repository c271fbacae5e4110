//! Text forms people paste: plain hex, base64, `tcpdump -x/-xx/-X/-XX` and Wireshark/tshark hex
//! dumps. Each is decoded into one byte buffer, cut into frames (one per dumped packet, or one per
//! blank-line separated block), with the text offset of every decoded byte kept.
//!
//! The parsers are total: a line they do not understand is skipped with a diagnostic that has its
//! offset; ASCII columns are recognised by their position (after a run of spaces), never parsed
//! as hex.

use core::ops::Range;

use base64::Engine as _;

use crate::codec::Span;
use crate::codec::hex::digit;

use super::diag::{Diags, codes};
use super::model::{CaptureDiagnostic, FrameTime, InputFormat, Severity};

/// Text decoded into bytes.
#[derive(Debug, Default)]
pub(crate) struct TextCapture {
    /// The decoded bytes of every frame, back to back.
    pub data: Vec<u8>,
    /// For each decoded byte, the input offset of its first digit/character.
    pub origin: Vec<u32>,
    /// Input bytes one decoded byte is written with (for spans).
    pub width: usize,
    /// Frames, in input order.
    pub frames: Vec<TextFrame>,
    /// What was found, for [`super::model::FormatInfo::detail`].
    pub detail: String,
}

/// One dumped packet (or block of bytes) in a text input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TextFrame {
    /// Its bytes in [`TextCapture::data`].
    pub data: Range<usize>,
    /// Its text (summary line and dump lines).
    pub text: Span,
    /// Timestamp from a `tcpdump` summary line.
    pub time: Option<FrameTime>,
    /// True when the frame came from one line of a block whose lines are each a whole frame.
    pub per_line: bool,
}

/// The lines of `input` with their start offsets, `\r\n` or `\n` terminated.
fn lines(input: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0usize;
    input.split(|&b| b == b'\n').map(move |l| {
        let start = pos;
        pos = pos.saturating_add(l.len()).saturating_add(1);
        (start, l.strip_suffix(b"\r").unwrap_or(l))
    })
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn trim_start(line: &[u8]) -> (usize, &[u8]) {
    let n = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
    (n, line.get(n..).unwrap_or_default())
}

fn pos32(p: usize) -> u32 {
    u32::try_from(p).unwrap_or(u32::MAX)
}

/// Accumulates decoded bytes into frames.
#[derive(Debug, Default)]
struct Builder {
    out: TextCapture,
    cur: Option<Current>,
}

#[derive(Debug)]
struct Current {
    data_start: usize,
    text_start: usize,
    text_end: usize,
    time: Option<FrameTime>,
    /// (decoded range, text span) of each line, for blocks that turn out to be one frame per line.
    lines: Vec<(Range<usize>, Span)>,
}

impl Builder {
    fn begin(&mut self, text_start: usize, time: Option<FrameTime>) {
        self.end();
        self.cur = Some(Current {
            data_start: self.out.data.len(),
            text_start,
            text_end: text_start,
            time,
            lines: Vec::new(),
        });
    }

    fn has_data(&self) -> bool {
        self.cur
            .as_ref()
            .is_some_and(|c| self.out.data.len() > c.data_start)
    }

    fn data_len(&self) -> usize {
        self.cur
            .as_ref()
            .map_or(0, |c| self.out.data.len().saturating_sub(c.data_start))
    }

    fn push(&mut self, byte: u8, at: usize) {
        if self.cur.is_none() {
            self.begin(at, None);
        }
        self.out.data.push(byte);
        self.out.origin.push(pos32(at));
    }

    fn touch(&mut self, text_end: usize) {
        if let Some(c) = &mut self.cur {
            c.text_end = c.text_end.max(text_end);
        }
    }

    fn mark_line(&mut self, line_data_start: usize, text: Span) {
        let end = self.out.data.len();
        if let Some(c) = &mut self.cur
            && end > line_data_start
        {
            c.lines.push((line_data_start..end, text));
        }
    }

    /// Ends the current frame; `split` decides whether a multi-line block is one frame per line.
    fn end_with(&mut self, split: &dyn Fn(&[u8]) -> bool) {
        let Some(c) = self.cur.take() else { return };
        let end = self.out.data.len();
        if end <= c.data_start {
            return;
        }
        let first_line_is_frame = c.lines.len() > 1
            && c.lines
                .first()
                .is_some_and(|(r, _)| self.out.data.get(r.clone()).is_some_and(split));
        if first_line_is_frame {
            for (r, text) in c.lines {
                self.out.frames.push(TextFrame {
                    data: r,
                    text,
                    time: None,
                    per_line: true,
                });
            }
        } else {
            self.out.frames.push(TextFrame {
                data: c.data_start..end,
                text: Span {
                    start: c.text_start,
                    end: c.text_end.max(c.text_start),
                },
                time: c.time,
                per_line: false,
            });
        }
    }

    fn end(&mut self) {
        self.end_with(&|_| false);
    }

    fn finish(mut self, width: usize, detail: String) -> TextCapture {
        self.end();
        self.out.width = width;
        self.out.detail = detail;
        self.out
    }
}

// ------------------------------------------------------------------------------------------------
// Detection
// ------------------------------------------------------------------------------------------------

/// `0x0010:` (tcpdump) — returns (offset value, index after the colon).
fn tcpdump_offset(line: &[u8]) -> Option<(usize, usize)> {
    let (lead, rest) = trim_start(line);
    let rest = rest
        .strip_prefix(b"0x")
        .or_else(|| rest.strip_prefix(b"0X"))?;
    let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if !(1..=8).contains(&digits) || rest.get(digits) != Some(&b':') {
        return None;
    }
    let value = rest.get(..digits)?.iter().try_fold(0usize, |acc, &c| {
        acc.checked_mul(16)?.checked_add(usize::from(digit(c)?))
    })?;
    Some((value, lead + 2 + digits + 1))
}

/// `0010  c0 01 ...` (Wireshark) — returns (offset value, index after the offset).
fn hexdump_offset(line: &[u8]) -> Option<(usize, usize)> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if !(4..=8).contains(&digits) {
        return None;
    }
    let after = line.get(digits..)?;
    let spaces = after
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    if spaces == 0 {
        return None;
    }
    // The first token after the offset must be exactly two hex digits.
    let tok = after.get(spaces..)?;
    let t = tok.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if t != 2 || !tok.get(2).is_none_or(|b| *b == b' ' || *b == b'\t') {
        return None;
    }
    let value = line.get(..digits)?.iter().try_fold(0usize, |acc, &c| {
        acc.checked_mul(16)?.checked_add(usize::from(digit(c)?))
    })?;
    Some((value, digits))
}

fn is_hex_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b',' | b';' | b':' | b'{' | b'}' | b'[' | b']' | b'(' | b')' | b'"' | b'\''
    )
}

/// True when the line is only hex digits, separators and `0x`/`\x` prefixes.
fn is_hex_line(line: &[u8]) -> bool {
    let mut digits = 0usize;
    let mut i = 0usize;
    while let Some(&b) = line.get(i) {
        if b.is_ascii_hexdigit() {
            // `0x` prefix
            if b == b'0' && matches!(line.get(i + 1), Some(b'x' | b'X')) {
                i += 2;
                continue;
            }
            digits += 1;
        } else if b == b'\\' && matches!(line.get(i + 1), Some(b'x' | b'X')) {
            i += 1;
        } else if !is_hex_separator(b) {
            return false;
        }
        i += 1;
    }
    digits >= 2
}

fn is_base64_line(line: &[u8]) -> bool {
    let (_, t) = trim_start(line);
    let t = t.trim_ascii_end();
    t.len() >= 4
        && t.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// Which text form the input is in, from its first lines; `None` when it is none of them.
pub(crate) fn classify(input: &[u8]) -> Option<InputFormat> {
    let (mut tcpdump, mut hexdump, mut hexdump_zero, mut hex, mut b64, mut other) =
        (0, 0, 0, 0, 0, 0);
    for (_, line) in lines(input).filter(|(_, l)| !is_blank(l)).take(400) {
        if tcpdump_offset(line).is_some() {
            tcpdump += 1;
        } else if let Some((off, _)) = hexdump_offset(line) {
            hexdump += 1;
            if off == 0 {
                hexdump_zero += 1;
            }
        } else if is_hex_line(line) {
            hex += 1;
        } else if is_base64_line(line) {
            b64 += 1;
        } else {
            other += 1;
        }
    }
    if tcpdump > 0 && tcpdump >= hexdump {
        Some(InputFormat::Tcpdump)
    } else if hexdump > 0 && hexdump_zero > 0 {
        Some(InputFormat::HexDump)
    } else if hex > 0 && b64 == 0 && other * 4 <= hex {
        Some(InputFormat::Hex)
    } else if b64 > 0 && other == 0 {
        Some(InputFormat::Base64)
    } else {
        None
    }
}

// ------------------------------------------------------------------------------------------------
// Plain hex
// ------------------------------------------------------------------------------------------------

/// Decodes the hex digits of one line into `b` (`0x`/`\x` prefixes and separators skipped).
fn hex_line(b: &mut Builder, line: &[u8], base: usize, diags: &mut Diags) {
    let mut i = 0usize;
    while i < line.len() {
        let Some(&c) = line.get(i) else { break };
        let prefixed = (c == b'0' || c == b'\\')
            && matches!(line.get(i + 1), Some(b'x' | b'X'))
            && line.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if prefixed {
            i += 2;
        }
        let run_start = i;
        let run = line
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run == 0 {
            if !is_hex_separator(c) && !c.is_ascii_whitespace() {
                diags.push(
                    CaptureDiagnostic::new(
                        codes::HEX_INVALID_CHARACTER,
                        Severity::Error,
                        format!(
                            "not a hex digit: '{}' at offset {}",
                            char::from(c).escape_default(),
                            base + i
                        ),
                    )
                    .at(base + i),
                );
            }
            i += 1;
            continue;
        }
        let digits = line.get(run_start..run_start + run).unwrap_or_default();
        let mut j = 0usize;
        if run % 2 == 1 {
            // `0x5` or a stray digit: read the first digit as a byte of its own.
            if !prefixed || run > 1 {
                diags.push(
                    CaptureDiagnostic::new(
                        codes::HEX_ODD_DIGITS,
                        Severity::Warning,
                        format!(
                            "odd number of hex digits ({run}) at offset {}: first one read as 0{}",
                            base + run_start,
                            char::from(digits.first().copied().unwrap_or(b'0'))
                        ),
                    )
                    .at(base + run_start),
                );
            }
            let v = digits.first().and_then(|&d| digit(d)).unwrap_or(0);
            b.push(v, base + run_start);
            j = 1;
        }
        while let Some(pair) = digits.get(j..j + 2) {
            let v = pair
                .iter()
                .fold(0u8, |acc, &d| (acc << 4) | digit(d).unwrap_or(0));
            b.push(v, base + run_start + j);
            j += 2;
        }
        i = run_start + run;
    }
}

/// Plain hex: blank lines separate blocks; a block is one frame, or one frame per line when each
/// line is a whole frame (`split` says whether the first line is one).
pub(crate) fn parse_hex(
    input: &[u8],
    split: &dyn Fn(&[u8]) -> bool,
    diags: &mut Diags,
) -> TextCapture {
    let mut b = Builder::default();
    for (start, line) in lines(input) {
        if is_blank(line) {
            b.end_with(split);
            continue;
        }
        if b.cur.is_none() {
            b.begin(start, None);
        }
        let line_start = b.out.data.len();
        hex_line(&mut b, line, start, diags);
        b.touch(start + line.len());
        b.mark_line(line_start, Span::new(start, line.len()));
    }
    b.end_with(split);
    let n = b.out.frames.len();
    b.finish(2, format!("hex, {n} block(s)"))
}

// ------------------------------------------------------------------------------------------------
// Base64
// ------------------------------------------------------------------------------------------------

fn base64_block(b: &mut Builder, chars: &[u8], positions: &[u32], text: Span, diags: &mut Diags) {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let url = chars.iter().any(|&c| c == b'-' || c == b'_');
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let engine = GeneralPurpose::new(
        if url {
            &base64::alphabet::URL_SAFE
        } else {
            &base64::alphabet::STANDARD
        },
        config,
    );
    // Padding may be missing or present; strip it so "Indifferent" sees canonical input.
    let body = {
        let n = chars.iter().rev().take_while(|&&c| c == b'=').count();
        chars.get(..chars.len() - n).unwrap_or_default()
    };
    match engine.decode(body) {
        Ok(bytes) => {
            b.begin(text.start, None);
            for (i, byte) in bytes.into_iter().enumerate() {
                let ci = i.saturating_mul(4) / 3;
                let at = positions.get(ci).copied().unwrap_or(pos32(text.end)) as usize;
                b.push(byte, at);
            }
            b.touch(text.end);
            b.end();
        }
        Err(e) => {
            let (msg, idx) = match e {
                base64::DecodeError::InvalidByte(i, c) => (
                    format!(
                        "not a base64 character: '{}'",
                        char::from(c).escape_default()
                    ),
                    i,
                ),
                base64::DecodeError::InvalidLength(n) => (
                    format!("base64 length {n} is not valid"),
                    n.saturating_sub(1),
                ),
                base64::DecodeError::InvalidLastSymbol { offset, symbol, .. } => (
                    format!("invalid last base64 symbol '{}'", char::from(symbol)),
                    offset,
                ),
                base64::DecodeError::InvalidPadding => (
                    "invalid base64 padding".to_owned(),
                    body.len().saturating_sub(1),
                ),
            };
            let at = positions
                .get(idx)
                .copied()
                .map_or(text.start, |p| p as usize);
            diags.push(
                CaptureDiagnostic::new(
                    codes::BASE64_INVALID,
                    Severity::Error,
                    format!("{msg} at offset {at}; block skipped"),
                )
                .at(at),
            );
        }
    }
}

/// Base64: blank lines separate blobs; line breaks and spaces inside a blob are ignored.
pub(crate) fn parse_base64(input: &[u8], diags: &mut Diags) -> TextCapture {
    let mut b = Builder::default();
    let mut chars: Vec<u8> = Vec::new();
    let mut positions: Vec<u32> = Vec::new();
    let mut text = Span::default();
    let flush = |b: &mut Builder,
                 chars: &mut Vec<u8>,
                 positions: &mut Vec<u32>,
                 text: Span,
                 diags: &mut Diags| {
        if !chars.is_empty() {
            base64_block(b, chars, positions, text, diags);
        }
        chars.clear();
        positions.clear();
    };
    for (start, line) in lines(input) {
        if is_blank(line) {
            flush(&mut b, &mut chars, &mut positions, text, diags);
            continue;
        }
        if chars.is_empty() {
            text = Span::new(start, 0);
        }
        for (i, &c) in line.iter().enumerate() {
            if !c.is_ascii_whitespace() {
                chars.push(c);
                positions.push(pos32(start + i));
            }
        }
        text.end = start + line.len();
    }
    flush(&mut b, &mut chars, &mut positions, text, diags);
    let n = b.out.frames.len();
    b.finish(2, format!("base64, {n} block(s)"))
}

// ------------------------------------------------------------------------------------------------
// tcpdump -x / -xx / -X / -XX
// ------------------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads `n` ASCII digits at `s[i..]`.
fn num(s: &[u8], i: usize, n: usize) -> Option<i64> {
    let d = s.get(i..i.checked_add(n)?)?;
    d.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// `.ffffff` (1-9 digits) → nanoseconds and the index after it.
fn fraction(s: &[u8], i: usize) -> (i64, usize) {
    if s.get(i) != Some(&b'.') {
        return (0, i);
    }
    let digits = s
        .get(i + 1..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let used = digits.min(9);
    let v = num(s, i + 1, used).unwrap_or(0);
    let scale = 10i64.pow(u32::try_from(9 - used).unwrap_or(0));
    (v.saturating_mul(scale), i + 1 + digits)
}

/// `HH:MM:SS` at `s[i..]` → seconds of day.
fn hms(s: &[u8], i: usize) -> Option<i64> {
    let (h, m, sec) = (num(s, i, 2)?, num(s, i + 3, 2)?, num(s, i + 6, 2)?);
    (s.get(i + 2) == Some(&b':') && s.get(i + 5) == Some(&b':') && h < 24 && m < 60 && sec < 61)
        .then_some(h * 3600 + m * 60 + sec)
}

/// The timestamp at the start of a tcpdump summary line: `-tttt` date and time (read as UTC),
/// `-tt` epoch seconds, or the default time of day.
pub(crate) fn tcpdump_time(line: &[u8]) -> Option<FrameTime> {
    let (_, s) = trim_start(line);
    // 2023-11-14 22:13:20.000250
    if let (Some(y), Some(mo), Some(d)) = (num(s, 0, 4), num(s, 5, 2), num(s, 8, 2))
        && s.get(4) == Some(&b'-')
        && s.get(7) == Some(&b'-')
        && s.get(10) == Some(&b' ')
        && (1..=12).contains(&mo)
        && (1..=31).contains(&d)
    {
        let secs = days_from_civil(y, mo, d) * 86_400 + hms(s, 11)?;
        let (frac, _) = fraction(s, 19);
        return Some(FrameTime::epoch_ns(
            secs.saturating_mul(1_000_000_000).saturating_add(frac),
        ));
    }
    // 22:13:20.000250
    if let Some(sod) = hms(s, 0) {
        let (frac, end) = fraction(s, 8);
        if end > 8 || s.get(8).is_none_or(|b| *b == b' ') {
            return Some(FrameTime {
                ns: sod * 1_000_000_000 + frac,
                time_of_day: true,
            });
        }
    }
    // 1700000000.000250
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if (9..=12).contains(&int) && s.get(int) == Some(&b'.') {
        let secs = num(s, 0, int)?;
        let (frac, _) = fraction(s, int);
        return Some(FrameTime::epoch_ns(
            secs.saturating_mul(1_000_000_000).saturating_add(frac),
        ));
    }
    None
}

/// The hex groups of a tcpdump dump line after `0xNNNN:`: groups of 2 or 4 digits separated by one
/// space; two spaces start the ASCII column (`-X`).
fn tcpdump_groups(b: &mut Builder, line: &[u8], from: usize, base: usize) -> usize {
    let mut i = from;
    let mut n = 0usize;
    // skip the spaces after the colon
    while matches!(line.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    loop {
        let run = line
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run == 0 || run % 2 == 1 || run > 4 {
            break;
        }
        let mut j = 0;
        while let Some(pair) = line.get(i + j..i + j + 2) {
            if j >= run {
                break;
            }
            let v = pair
                .iter()
                .fold(0u8, |acc, &d| (acc << 4) | digit(d).unwrap_or(0));
            b.push(v, base + i + j);
            n += 1;
            j += 2;
        }
        i += run;
        // exactly one space continues the hex column; anything else ends it
        if line.get(i) == Some(&b' ') && line.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        } else {
            break;
        }
    }
    n
}

/// tcpdump text: a summary line starts a frame (its timestamp kept); dump lines add bytes. Dump
/// lines without a summary line (payload-only `-X` blocks) start a frame at offset 0.
pub(crate) fn parse_tcpdump(input: &[u8], diags: &mut Diags) -> TextCapture {
    let mut b = Builder::default();
    let mut without_dump = 0usize;
    let mut summaries = 0usize;
    for (start, line) in lines(input) {
        if let Some((off, after)) = tcpdump_offset(line) {
            if b.cur.is_none() || (off == 0 && b.has_data()) {
                b.begin(start, None);
            }
            let have = b.data_len();
            if off != have {
                diags.push(
                    CaptureDiagnostic::new(
                        codes::DUMP_OFFSET_MISMATCH,
                        Severity::Warning,
                        format!("dump line at offset {start} says 0x{off:04x} but {have} bytes were read before it; lines missing?"),
                    )
                    .at(start),
                );
            }
            tcpdump_groups(&mut b, line, after, start);
            b.touch(start + line.len());
        } else if is_blank(line) {
            b.end();
        } else {
            if b.cur.is_some() && !b.has_data() {
                without_dump += 1;
            }
            summaries += 1;
            b.begin(start, tcpdump_time(line));
            b.touch(start + line.len());
        }
    }
    if b.cur.is_some() && !b.has_data() {
        without_dump += 1;
    }
    if without_dump > 0 {
        diags.push(CaptureDiagnostic::new(
            codes::TCPDUMP_WITHOUT_HEX,
            Severity::Warning,
            format!("{without_dump} tcpdump line(s) without a hex dump: run tcpdump with -X or -xx to include the bytes"),
        ));
    }
    let n = b.out.frames.len();
    let time = b.out.frames.iter().find_map(|f| f.time);
    let stamp = match time {
        Some(t) if t.time_of_day => ", time of day only",
        Some(_) => ", absolute timestamps",
        None => "",
    };
    b.finish(
        2,
        format!("tcpdump, {n} frame(s), {summaries} summary line(s){stamp}"),
    )
}

// ------------------------------------------------------------------------------------------------
// Wireshark / tshark hex dump
// ------------------------------------------------------------------------------------------------

/// The bytes of a hex dump line after the offset: 2-digit tokens separated by one or two spaces
/// (Wireshark puts two between the 8-byte halves); three or more spaces start the ASCII column.
fn hexdump_bytes(b: &mut Builder, line: &[u8], from: usize, base: usize, max: usize) -> usize {
    let mut i = from;
    while matches!(line.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let mut n = 0usize;
    while n < max {
        let Some(pair) = line.get(i..i + 2) else {
            break;
        };
        if !pair.iter().all(u8::is_ascii_hexdigit)
            || line.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            break;
        }
        let v = pair
            .iter()
            .fold(0u8, |acc, &d| (acc << 4) | digit(d).unwrap_or(0));
        b.push(v, base + i);
        n += 1;
        i += 2;
        let spaces = line
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&c| c == b' ')
            .count();
        if !(1..=2).contains(&spaces) {
            break;
        }
        i += spaces;
    }
    n
}

/// Wireshark/tshark hex dumps. `Frame (N bytes):` starts a frame; other data sources tshark prints
/// (`Reassembled TCP (N bytes):`, decompressed bodies, ...) are skipped: they repeat frame bytes.
pub(crate) fn parse_hexdump(input: &[u8], diags: &mut Diags) -> TextCapture {
    let mut b = Builder::default();
    let mut skipping = false;
    let mut skipped_sources = 0usize;
    let mut other_lines = 0usize;
    let mut all = lines(input).peekable();
    while let Some((start, line)) = all.next() {
        if let Some((off, after)) = hexdump_offset(line) {
            if skipping {
                continue;
            }
            if b.cur.is_none() || (off == 0 && b.has_data()) {
                b.begin(start, None);
            }
            let have = b.data_len();
            if off != have && have > 0 {
                diags.push(
                    CaptureDiagnostic::new(
                        codes::DUMP_OFFSET_MISMATCH,
                        Severity::Warning,
                        format!("dump line at offset {start} says {off:04x} but {have} bytes were read before it; lines missing?"),
                    )
                    .at(start),
                );
            }
            // bytes on this line: up to the next line's offset, 16 when unknown
            let max = match all.peek().and_then(|(_, l)| hexdump_offset(l)) {
                Some((next, _)) if next > off => (next - off).min(64),
                _ => 16,
            };
            hexdump_bytes(&mut b, line, after, start, max);
            b.touch(start + line.len());
        } else if is_blank(line) {
            b.end();
            skipping = false;
        } else {
            let t = line.trim_ascii();
            if t.ends_with(b"bytes):") {
                b.end();
                skipping = !t.starts_with(b"Frame (");
                if skipping {
                    skipped_sources += 1;
                } else {
                    b.begin(start, None);
                    b.touch(start + line.len());
                }
            } else {
                other_lines += 1;
                b.end();
            }
        }
    }
    if skipped_sources > 0 {
        diags.push(CaptureDiagnostic::new(
            codes::HEXDUMP_EXTRA_SOURCES_SKIPPED,
            Severity::Info,
            format!("{skipped_sources} extra data source(s) (reassembled/decompressed copies of frame bytes) skipped"),
        ));
    }
    if other_lines > 0 {
        diags.push(CaptureDiagnostic::new(
            codes::HEXDUMP_LINES_IGNORED,
            Severity::Info,
            format!("{other_lines} line(s) that are not hex dump lines ignored"),
        ));
    }
    let n = b.out.frames.len();
    b.finish(2, format!("hex dump, {n} frame(s)"))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn bytes(t: &TextCapture, i: usize) -> &[u8] {
        &t.data[t.frames[i].data.clone()]
    }

    #[test]
    fn plain_hex_with_prefixes_colons_and_line_breaks() {
        let mut d = Diags::default();
        let t = parse_hex(
            b"0xc0, 0x01,\n c0:01 \\x02\\x03\nDEAD\n",
            &|_| false,
            &mut d,
        );
        assert_eq!(t.frames.len(), 1);
        assert_eq!(
            bytes(&t, 0),
            &[0xc0, 0x01, 0xc0, 0x01, 0x02, 0x03, 0xde, 0xad]
        );
        // origin of 0xDE is the 'D' at offset 28 (12 + 15 bytes of lines before it, 2 newlines)
        assert_eq!(t.origin[6], 28);
        assert!(d.finish().0.is_empty());
    }

    #[test]
    fn plain_hex_blank_lines_split_blocks_and_bad_chars_are_located() {
        let mut d = Diags::default();
        let t = parse_hex(b"c001\n\nzz02\n", &|_| false, &mut d);
        assert_eq!(t.frames.len(), 2);
        assert_eq!(bytes(&t, 1), &[0x02]);
        let (list, _) = d.finish();
        assert_eq!(list[0].code, codes::HEX_INVALID_CHARACTER);
        assert_eq!(list[0].offset, Some(6));
    }

    #[test]
    fn tcpdump_x_lines_ascii_column_is_not_hex() {
        let text = b"22:13:20.123456 IP 10.0.0.1.1234 > 10.0.0.2.49: Flags [P.], length 4\n\
\t0x0000:  4500 0044 0001 0000 4006 66b1 0a00 0001  E..D....@.f.....\n\
\t0x0010:  dead beef                                dead\n";
        let mut d = Diags::default();
        let t = parse_tcpdump(text, &mut d);
        assert_eq!(t.frames.len(), 1);
        assert_eq!(t.frames[0].data.len(), 20);
        assert_eq!(&bytes(&t, 0)[16..], &[0xde, 0xad, 0xbe, 0xef]);
        let time = t.frames[0].time.unwrap();
        assert!(time.time_of_day);
        assert_eq!(
            time.ns,
            (22 * 3600 + 13 * 60 + 20) * 1_000_000_000 + 123_456_000
        );
    }

    #[test]
    fn tcpdump_timestamps() {
        assert_eq!(
            tcpdump_time(b"2023-11-14 22:13:20.000250 IP").unwrap(),
            FrameTime::epoch_ns(1_700_000_000_000_250_000)
        );
        assert_eq!(
            tcpdump_time(b"1700000000.000250 IP").unwrap(),
            FrameTime::epoch_ns(1_700_000_000_000_250_000)
        );
        assert_eq!(
            tcpdump_time(b"1700000000.000000250 IP").unwrap().ns,
            1_700_000_000_000_000_250
        );
        assert_eq!(tcpdump_time(b"IP 10.0.0.1 > ..."), None);
        assert_eq!(tcpdump_time(b"99:99:99.0 x"), None);
    }

    #[test]
    fn hexdump_with_halves_and_extra_sources() {
        let text = b"Frame (18 bytes):\n\
0000  c0 01 01 00 00 00 00 01  00 00 00 02 41 42 43 44   ............ABCD\n\
0010  45 46                                              EF\n\
Reassembled TCP (4 bytes):\n\
0000  01 02 03 04                                        ....\n\
\n\
0000   aa bb   ..\n";
        let mut d = Diags::default();
        let t = parse_hexdump(text, &mut d);
        assert_eq!(t.frames.len(), 2, "{:?}", t.frames);
        assert_eq!(bytes(&t, 0).len(), 18);
        assert_eq!(&bytes(&t, 0)[12..], b"ABCDEF");
        assert_eq!(bytes(&t, 1), &[0xaa, 0xbb]);
        assert_eq!(d.count(codes::HEXDUMP_EXTRA_SOURCES_SKIPPED), 1);
    }

    #[test]
    fn classification() {
        assert_eq!(
            classify(b"\t0x0000:  4500 0044\n"),
            Some(InputFormat::Tcpdump)
        );
        assert_eq!(
            classify(b"0000  45 00 00 44   E..D\n"),
            Some(InputFormat::HexDump)
        );
        assert_eq!(classify(b"c0 01 01 00\n"), Some(InputFormat::Hex));
        assert_eq!(
            classify(b"wAEBACJlsfUAAAAU7k9EKl59veMrGPD826i4i72ZBs7A\n"),
            Some(InputFormat::Base64)
        );
        assert_eq!(classify(b"hello, world\nthis is prose\n"), None);
    }

    #[test]
    fn base64_positions_and_errors() {
        let mut d = Diags::default();
        let t = parse_base64(b"wAEB\nAA==\n\n!!!!\n", &mut d);
        assert_eq!(t.frames.len(), 1);
        assert_eq!(bytes(&t, 0), &[0xc0, 0x01, 0x01, 0x00]);
        assert_eq!(t.origin[3], 5);
        let (list, _) = d.finish();
        assert_eq!(list[0].code, codes::BASE64_INVALID);
        assert_eq!(list[0].offset, Some(11));
    }
}
