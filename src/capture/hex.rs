//! Lowercase hex for byte fields in JSON.

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

/// `serialize_with` helper: bytes as a lowercase hex string.
pub(crate) fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// The value of one ASCII hex digit.
pub(crate) const fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_lowercase() {
        assert_eq!(super::encode(&[0xc0, 0x01, 0xff, 0x0a]), "c001ff0a");
        assert_eq!(super::digit(b'F'), Some(15));
        assert_eq!(super::digit(b'g'), None);
    }
}
