//! PDUs given as they are: raw PDU bytes or a strict hex paste (the `casplus decode` input
//! when no capture form is detected or forced).
//!
//! Raw TACACS+ always starts with a byte `0xc?` (major version 12, RFC 8907 §4.1), which is
//! not ASCII, so the choice is unambiguous: input made only of printable ASCII and whitespace
//! is hex text, anything else is raw bytes. Hex text tolerates whitespace, `:` and `,`
//! separators, `0x` prefixes and `#` comments up to the end of the line; every run of hex digits
//! must have an even length, so that a byte can never straddle a separator. Unlike the lenient
//! hex form of [`super::analyze`] (which skips what it cannot read, with a diagnostic), a
//! mistake here is an error that says where.

use core::fmt;

use super::model::InputFormat;
use crate::codec::hex::digit;

/// Why hex text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasteError {
    /// Nothing to decode.
    Empty,
    /// Text input without a single hex digit.
    NoHexDigits,
    /// A character that is neither a hex digit, a separator nor part of a comment.
    BadChar {
        /// The offending character.
        ch: char,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A run of hex digits of odd length.
    OddDigits {
        /// Number of digits in the run.
        digits: usize,
        /// 1-based line of the run's first digit.
        line: usize,
        /// 1-based column of the run's first digit.
        column: usize,
    },
}

impl fmt::Display for PasteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => write!(f, "input is empty"),
            Self::NoHexDigits => write!(f, "hex input contains no hex digits"),
            Self::BadChar { ch, line, column } => {
                write!(
                    f,
                    "invalid character {ch:?} in hex input at line {line}, column {column}"
                )
            }
            Self::OddDigits {
                digits,
                line,
                column,
            } => write!(
                f,
                "odd number of hex digits ({digits}) at line {line}, column {column}: \
                 each byte needs two digits"
            ),
        }
    }
}

impl core::error::Error for PasteError {}

/// True when `input` is to be read as hex text: UTF-8 without control characters other
/// than whitespace (comments may be in any language). A raw PDU starts with `0xc0` or
/// `0xc1` (major version 12), which never begins a UTF-8 sequence.
pub fn is_text(input: &[u8]) -> bool {
    core::str::from_utf8(input).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace())
    })
}

/// The PDU bytes in `input` and how they were found ([`InputFormat::Raw`] or
/// [`InputFormat::Hex`]); `forced` says which instead of guessing (`Hex` for hex text, any
/// other form for raw bytes).
pub fn read_pdus(
    input: &[u8],
    forced: Option<InputFormat>,
) -> Result<(Vec<u8>, InputFormat), PasteError> {
    if input.is_empty() {
        return Err(PasteError::Empty);
    }
    let text = forced.map_or_else(|| is_text(input), |f| f == InputFormat::Hex);
    if !text {
        return Ok((input.to_vec(), InputFormat::Raw));
    }
    let bytes = parse_hex(input)?;
    if bytes.is_empty() {
        return Err(PasteError::NoHexDigits);
    }
    Ok((bytes, InputFormat::Hex))
}

/// Converts hex text (see the module docs for what is tolerated) to bytes.
pub fn parse_hex(text: &[u8]) -> Result<Vec<u8>, PasteError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let (mut line, mut column) = (1usize, 0usize);
    // The run of hex digits being read: (first line, first column, digit count, pending nibble).
    let mut run: Option<(usize, usize, usize, u8)> = None;
    let mut in_comment = false;
    let mut iter = text.iter().copied().peekable();
    while let Some(b) = iter.next() {
        column += 1;
        if b == b'\n' {
            close_run(&mut run)?;
            in_comment = false;
            line += 1;
            column = 0;
            continue;
        }
        if in_comment {
            continue;
        }
        if let Some(nibble) = digit(b) {
            // `0x` at the start of a run is a prefix, not a digit.
            if run.is_none() && b == b'0' && matches!(iter.peek(), Some(b'x' | b'X')) {
                iter.next();
                column += 1;
                continue;
            }
            let (_, _, count, pending) = run.get_or_insert((line, column, 0, 0));
            if *count % 2 == 0 {
                *pending = nibble;
            } else {
                out.push((*pending << 4) | nibble);
            }
            *count += 1;
            continue;
        }
        close_run(&mut run)?;
        match b {
            b'#' => in_comment = true,
            b':' | b',' => {}
            _ if b.is_ascii_whitespace() => {}
            _ => {
                return Err(PasteError::BadChar {
                    ch: char::from(b),
                    line,
                    column,
                });
            }
        }
    }
    close_run(&mut run)?;
    Ok(out)
}

fn close_run(run: &mut Option<(usize, usize, usize, u8)>) -> Result<(), PasteError> {
    match run.take() {
        Some((line, column, digits, _)) if digits % 2 == 1 => Err(PasteError::OddDigits {
            digits,
            line,
            column,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_separated_hex() {
        assert_eq!(parse_hex(b"c0010100"), Ok(vec![0xc0, 1, 1, 0]));
        assert_eq!(parse_hex(b"c0 01\n01\t00\r\n"), Ok(vec![0xc0, 1, 1, 0]));
        assert_eq!(parse_hex(b"c0:01:01:00"), Ok(vec![0xc0, 1, 1, 0]));
        assert_eq!(parse_hex(b"0xc0, 0x01,0X0100"), Ok(vec![0xc0, 1, 1, 0]));
        assert_eq!(parse_hex(b"C0Ab"), Ok(vec![0xc0, 0xab]));
    }

    #[test]
    fn comments_run_to_end_of_line() {
        assert_eq!(
            parse_hex(b"# header\nc001 # type 1\n0100"),
            Ok(vec![0xc0, 1, 1, 0])
        );
    }

    #[test]
    fn zero_digits_are_not_a_prefix_inside_a_run() {
        assert_eq!(parse_hex(b"00"), Ok(vec![0]));
        assert_eq!(parse_hex(b"0x00"), Ok(vec![0]));
        // In "1000x" the "0x" is inside a run: digits 1000, then a bad 'x'.
        assert!(matches!(
            parse_hex(b"1000x"),
            Err(PasteError::BadChar {
                ch: 'x',
                line: 1,
                column: 5
            })
        ));
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            parse_hex(b"c0 01\nzz"),
            Err(PasteError::BadChar {
                ch: 'z',
                line: 2,
                column: 1
            })
        );
        assert_eq!(
            parse_hex(b"c0 0 01"),
            Err(PasteError::OddDigits {
                digits: 1,
                line: 1,
                column: 4
            })
        );
        assert_eq!(
            parse_hex(b"c0\n  abc"),
            Err(PasteError::OddDigits {
                digits: 3,
                line: 2,
                column: 3
            })
        );
    }

    #[test]
    fn raw_bytes_are_recognised_by_the_version_byte() {
        let pdu = [0xc0, 0x01, 0x01, 0x00];
        assert_eq!(read_pdus(&pdu, None), Ok((pdu.to_vec(), InputFormat::Raw)));
        assert_eq!(
            read_pdus(b"c0010100\n", None),
            Ok((pdu.to_vec(), InputFormat::Hex))
        );
        assert_eq!(read_pdus(b"", None), Err(PasteError::Empty));
        assert_eq!(
            read_pdus(b" # nothing\n", None),
            Err(PasteError::NoHexDigits)
        );
    }

    #[test]
    fn comments_may_be_any_utf8_text() {
        let text = "# login \u{2192} reply, r\u{e9}ponse\nc0 01 01 00\n";
        let pdu = vec![0xc0, 0x01, 0x01, 0x00];
        assert_eq!(
            read_pdus(text.as_bytes(), None),
            Ok((pdu, InputFormat::Hex))
        );
    }

    #[test]
    fn a_forced_format_is_not_guessed() {
        // Hex digits only, but the operator says these are raw bytes.
        assert_eq!(
            read_pdus(b"c001", Some(InputFormat::Raw)),
            Ok((b"c001".to_vec(), InputFormat::Raw))
        );
        // A control character is a hex error when hex is forced, not raw input.
        assert!(matches!(
            read_pdus(b"c0\x01", Some(InputFormat::Hex)),
            Err(PasteError::BadChar {
                line: 1,
                column: 3,
                ..
            })
        ));
    }
}
