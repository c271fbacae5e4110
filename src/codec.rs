//! A bounded byte reader for wire formats.
//!
//! Every decoder in casplus parses through [`Reader`]: it can only `take` bytes from the
//! front or split off a bounded sub-reader, never index past its end, and it always knows
//! the absolute byte offset of what it hands out, so every decoded field can carry its
//! [`Span`] and every error can say *where* (the rustls `codec.rs` idea, with spans).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;
use core::ops::Range;

/// A half-open byte range `[start, end)` into the buffer a decoder was given.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` covering `len` bytes (saturating at `usize::MAX`).
    pub const fn new(start: usize, len: usize) -> Self {
        Self {
            start,
            end: start.saturating_add(len),
        }
    }

    /// Number of bytes covered.
    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True when the span covers no bytes.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The span moved `by` bytes to the right (used to map body spans into a whole PDU).
    pub const fn shifted(self, by: usize) -> Self {
        Self {
            start: self.start.saturating_add(by),
            end: self.end.saturating_add(by),
        }
    }

    /// The span as a `Range<usize>`.
    pub const fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Why a read failed. Small and `Copy`: the context is static, the place is an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before a field was complete.
    #[error("{what}: need {needed} more byte(s) at offset {offset}")]
    Truncated {
        /// Which field was being read.
        what: &'static str,
        /// Absolute offset where the field starts.
        offset: usize,
        /// How many bytes are missing.
        needed: usize,
    },
    /// A field's value is outside what the format allows.
    #[error("{what}: invalid value at offset {offset}")]
    Invalid {
        /// Which field was being read.
        what: &'static str,
        /// Absolute offset of the field.
        offset: usize,
    },
}

impl DecodeError {
    /// Absolute byte offset the error refers to.
    pub const fn offset(&self) -> usize {
        match *self {
            Self::Truncated { offset, .. } | Self::Invalid { offset, .. } => offset,
        }
    }
}

/// A cursor over a byte slice that can only move forward and never over-reads.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    /// Absolute offset of `buf[0]` in the original input.
    base: usize,
    /// Bytes consumed so far.
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, whose first byte is at absolute offset 0.
    pub const fn new(buf: &'a [u8]) -> Self {
        Self::at(buf, 0)
    }

    /// A reader over `buf`, whose first byte is at absolute offset `base`.
    pub const fn at(buf: &'a [u8], base: usize) -> Self {
        Self { buf, base, pos: 0 }
    }

    /// Absolute offset of the next unread byte.
    pub const fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    /// Number of unread bytes.
    pub const fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when every byte has been read.
    pub const fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Takes `len` bytes and their absolute span.
    pub fn take(
        &mut self,
        len: usize,
        what: &'static str,
    ) -> Result<(&'a [u8], Span), DecodeError> {
        let end = self.pos.checked_add(len);
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(bytes) => {
                let span = Span::new(self.offset(), len);
                self.pos = self.pos.saturating_add(len);
                Ok((bytes, span))
            }
            None => Err(DecodeError::Truncated {
                what,
                offset: self.offset(),
                needed: len.saturating_sub(self.remaining()),
            }),
        }
    }

    /// Takes at most `len` bytes: whatever is there, with the span of what was taken.
    pub fn take_up_to(&mut self, len: usize) -> (&'a [u8], Span) {
        let n = len.min(self.remaining());
        let start = self.offset();
        let bytes = self
            .buf
            .get(self.pos..self.pos.saturating_add(n))
            .unwrap_or_default();
        self.pos = self.pos.saturating_add(n);
        (bytes, Span::new(start, n))
    }

    /// Takes exactly `N` bytes as an array.
    pub fn take_array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<([u8; N], Span), DecodeError> {
        let (bytes, span) = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok((out, span))
    }

    /// Takes one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<(u8, Span), DecodeError> {
        let ([b], span) = self.take_array::<1>(what)?;
        Ok((b, span))
    }

    /// Takes a big-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<(u16, Span), DecodeError> {
        let (b, span) = self.take_array::<2>(what)?;
        Ok((u16::from_be_bytes(b), span))
    }

    /// Takes a big-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<(u32, Span), DecodeError> {
        let (b, span) = self.take_array::<4>(what)?;
        Ok((u32::from_be_bytes(b), span))
    }

    /// Splits off a sub-reader over the next `len` bytes; a length-prefixed field is parsed
    /// from its own bounded reader, so it can never read into its neighbour.
    pub fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, DecodeError> {
        let start = self.offset();
        let (bytes, _) = self.take(len, what)?;
        Ok(Reader::at(bytes, start))
    }
}

/// Something with a canonical wire encoding.
pub trait Wire: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Decodes one value from the front of `r`.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The encoding of `self` as a new vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Hex text: the one encoder and decoder of the crate (JSON `*_hex` fields, keys given in
/// hex, hex pastes).
pub mod hex {
    /// Why hex text could not be read.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
    pub enum HexError {
        /// The byte at this offset is neither a hex digit nor a tolerated separator.
        #[error("not a hex digit at offset {0}")]
        NotHex(usize),
        /// An odd number of hex digits.
        #[error("odd number of hex digits")]
        OddLength,
    }

    /// Lowercase hex of `bytes`.
    pub fn encode(bytes: &[u8]) -> String {
        const fn nibble(n: u8) -> char {
            (if n < 10 { b'0' + n } else { b'a' + n - 10 }) as char
        }
        let mut s = String::with_capacity(bytes.len().saturating_mul(2));
        for &b in bytes {
            s.push(nibble(b >> 4));
            s.push(nibble(b & 0x0f));
        }
        s
    }

    /// The value of one ASCII hex digit (either letter case).
    pub const fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }

    /// Hex digits to bytes: no separators, either letter case.
    pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
        decode_skipping(text, |_| false)
    }

    /// Hex digits to bytes, skipping every byte for which `skip` holds (separators); the digit
    /// count over the whole text must be even. Errors give the byte offset in `text`.
    pub fn decode_skipping(text: &str, skip: impl Fn(u8) -> bool) -> Result<Vec<u8>, HexError> {
        let mut out = Vec::with_capacity(text.len() / 2);
        let mut hi: Option<u8> = None;
        for (i, c) in text.bytes().enumerate() {
            if skip(c) {
                continue;
            }
            let v = digit(c).ok_or(HexError::NotHex(i))?;
            match hi.take() {
                None => hi = Some(v),
                Some(h) => out.push((h << 4) | v),
            }
        }
        if hi.is_some() {
            return Err(HexError::OddLength);
        }
        Ok(out)
    }

    /// `serialize_with` helper: bytes as a lowercase hex string.
    pub(crate) fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn take_reports_missing_bytes_and_offset() {
        let mut r = Reader::at(&[1, 2, 3], 10);
        assert_eq!(r.u16("a"), Ok((0x0102, Span::new(10, 2))));
        assert_eq!(
            r.u16("b"),
            Err(DecodeError::Truncated {
                what: "b",
                offset: 12,
                needed: 1
            })
        );
        // A failed take consumes nothing.
        assert_eq!(r.remaining(), 1);
    }

    #[test]
    fn huge_length_is_cheap_and_typed() {
        let mut r = Reader::new(&[0; 4]);
        let err = r.take(usize::MAX, "body").unwrap_err();
        assert_eq!(err.offset(), 0);
        assert!(matches!(err, DecodeError::Truncated { needed, .. } if needed == usize::MAX - 4));
    }

    #[test]
    fn sub_reader_is_bounded_and_keeps_absolute_offsets() {
        let data = [0xaa, 0xbb, 0xcc, 0xdd];
        let mut r = Reader::new(&data);
        r.u8("x").unwrap();
        let mut s = r.sub(2, "field").unwrap();
        assert_eq!(s.offset(), 1);
        assert_eq!(s.u16("y").unwrap(), (0xbbcc, Span::new(1, 2)));
        assert!(s.u8("z").is_err());
        assert_eq!(r.u8("w").unwrap(), (0xdd, Span::new(3, 1)));
    }

    #[test]
    fn take_up_to_takes_what_is_there() {
        let mut r = Reader::at(&[1, 2], 5);
        assert_eq!(r.take_up_to(10), (&[1u8, 2][..], Span::new(5, 2)));
        assert!(r.is_empty());
    }

    #[test]
    fn hex_round_trips_and_says_where_it_fails() {
        assert_eq!(hex::encode(&[0xc0, 0x01, 0xff, 0x0a]), "c001ff0a");
        assert_eq!(hex::digit(b'F'), Some(15));
        assert_eq!(hex::digit(b'g'), None);
        assert_eq!(hex::decode("C001ff0a"), Ok(vec![0xc0, 0x01, 0xff, 0x0a]));
        assert_eq!(hex::decode("c0z1"), Err(hex::HexError::NotHex(2)));
        assert_eq!(hex::decode("c01"), Err(hex::HexError::OddLength));
        assert_eq!(
            hex::decode_skipping("c0:01 ff", |c| c == b':' || c == b' '),
            Ok(vec![0xc0, 0x01, 0xff])
        );
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(hex::decode(&hex::encode(&all)), Ok(all));
    }
}
