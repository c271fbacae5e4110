//! Showing TACACS+ text fields (RFC 8907 §3.7) safely.
//!
//! Text fields are byte arrays on the wire: "printable US-ASCII" for most, usernames in the
//! UsernameCasePreserved profile (UTF-8). [`Text::from_bytes`] renders any bytes as UTF-8
//! where valid and escapes everything else, so a reader never sees a raw control character
//! and nothing is ever truncated (a NUL in the middle shows as `\0` and the rest follows).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt::{self, Write as _};

/// A text field rendered for display.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Text {
    /// The field as UTF-8, with `\\`, control characters, NUL and invalid bytes escaped
    /// (`\\`, `\0`, `\t`, `\n`, `\r`, `\xNN`, `\u{NNNN}`). Reversible: every byte is shown.
    pub escaped: String,
    /// True when the bytes contain a control character (C0, DEL, C1), NUL or invalid UTF-8,
    /// which RFC 8907 §3.7 excludes from text fields.
    pub non_printable: bool,
}

impl Text {
    /// Renders `bytes` (total: any input, never truncated).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut escaped = String::with_capacity(bytes.len());
        let non_printable = escape_into(bytes, &mut escaped);
        Self {
            escaped,
            non_printable,
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.escaped)
    }
}

/// Escaped UTF-8 rendering of `bytes` (see [`Text`]).
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    escape_into(bytes, &mut s);
    s
}

/// True when `bytes` contain a control character, NUL or invalid UTF-8 (RFC 8907 §3.7).
pub fn is_non_printable(bytes: &[u8]) -> bool {
    bytes
        .utf8_chunks()
        .any(|c| !c.invalid().is_empty() || c.valid().chars().any(char::is_control))
}

/// `bytes` as text when escaping leaves them as they are: printable US-ASCII without `\\`
/// (RFC 8907 §3.7's usual text), the common case, copied at once instead of a char at a time.
pub(crate) fn plain(bytes: &[u8]) -> Option<&str> {
    if bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\')
    {
        core::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// Appends the escaped rendering of `bytes` to `out`; returns the non-printable flag.
pub(crate) fn escape_into(bytes: &[u8], out: &mut String) -> bool {
    if let Some(text) = plain(bytes) {
        out.push_str(text);
        return false;
    }
    let mut non_printable = false;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\0' => {
                    out.push_str("\\0");
                    non_printable = true;
                }
                '\t' => {
                    out.push_str("\\t");
                    non_printable = true;
                }
                '\n' => {
                    out.push_str("\\n");
                    non_printable = true;
                }
                '\r' => {
                    out.push_str("\\r");
                    non_printable = true;
                }
                c if c.is_control() => {
                    non_printable = true;
                    let v = u32::from(c);
                    if v < 0x80 {
                        let _ = write!(out, "\\x{v:02x}");
                    } else {
                        let _ = write!(out, "\\u{{{v:04x}}}");
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            non_printable = true;
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    non_printable
}

/// An escape [`escape`] never writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid escape at character offset {offset}")]
pub struct UnescapeError {
    /// Byte offset of the `\\` that starts the bad escape.
    pub offset: usize,
}

/// The bytes behind the escaped text form of [`escape`] (its inverse):
/// `\\`, `\0`, `\t`, `\n`, `\r`, `\xNN` (one byte) and `\u{N..}` (a character, as UTF-8).
pub fn unescape(s: &str) -> Result<Vec<u8>, UnescapeError> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    let bad = |offset: usize| UnescapeError { offset };
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next().map(|(_, e)| e) {
            Some('\\') => out.push(b'\\'),
            Some('0') => out.push(0),
            Some('t') => out.push(b'\t'),
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('x') => {
                let hi = chars.next().and_then(|(_, d)| d.to_digit(16));
                let lo = chars.next().and_then(|(_, d)| d.to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(((h << 4) | l) as u8),
                    _ => return Err(bad(at)),
                }
            }
            Some('u') => {
                if chars.next().map(|(_, d)| d) != Some('{') {
                    return Err(bad(at));
                }
                let mut v: u32 = 0;
                let mut digits = 0;
                loop {
                    match chars.next().map(|(_, d)| d) {
                        Some('}') if digits > 0 => break,
                        Some(d) if digits < 6 => {
                            let n = d.to_digit(16).ok_or_else(|| bad(at))?;
                            v = (v << 4) | n;
                            digits += 1;
                        }
                        _ => return Err(bad(at)),
                    }
                }
                let ch = char::from_u32(v).ok_or_else(|| bad(at))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            _ => return Err(bad(at)),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_fast_path_is_taken_only_where_escaping_changes_nothing_3_7() {
        // every byte alone, and in the middle of printable text
        for b in 0..=255u8 {
            for bytes in [vec![b], vec![b'a', b, b'z']] {
                let printable = (0x20..0x7f).contains(&b) && b != b'\\';
                assert_eq!(plain(&bytes).is_some(), printable, "byte {b:#04x}");
                if let Some(text) = plain(&bytes) {
                    assert_eq!(text, escape(&bytes));
                }
            }
        }
        assert_eq!(plain(b""), Some(""));
        assert_eq!(
            plain(b"service=shell cmd=show"),
            Some("service=shell cmd=show")
        );
        assert_eq!(plain("jürgen".as_bytes()), None);
        assert_eq!(escape(b"a\\b"), "a\\\\b");
    }

    #[test]
    fn printable_ascii_and_utf8_pass_through_3_7() {
        assert_eq!(
            Text::from_bytes(b"tty10"),
            Text {
                escaped: "tty10".into(),
                non_printable: false
            }
        );
        let t = Text::from_bytes("jürgen".as_bytes());
        assert_eq!(t.escaped, "jürgen");
        assert!(!t.non_printable);
    }

    #[test]
    fn controls_nul_and_invalid_bytes_are_escaped_never_truncated_3_7() {
        let t = Text::from_bytes(b"a\0b\x01\x7f\\\xff\n\r\tz");
        assert_eq!(t.escaped, "a\\0b\\x01\\x7f\\\\\\xff\\n\\r\\tz");
        assert!(t.non_printable);
        let c1 = Text::from_bytes("x\u{85}y".as_bytes());
        assert_eq!(c1.escaped, "x\\u{0085}y");
        assert!(c1.non_printable);
        assert!(is_non_printable(b"\x00"));
        assert!(!is_non_printable(b"ok"));
        assert_eq!(escape(b""), "");
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn unescape_inverts_the_codec_text_rendering_3_7(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(unescape(&escape(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn unescape_refuses_what_escape_never_writes() {
        for bad in [
            "\\",
            "\\q",
            "\\x4",
            "\\xzz",
            "\\u{}",
            "\\u{110000}",
            "\\u{d800}",
            "\\u41",
        ] {
            assert!(unescape(bad).is_err(), "{bad:?}");
        }
        assert_eq!(unescape("a\\u{85}\\x00\\\\").unwrap(), b"a\xc2\x85\x00\\");
    }
}
