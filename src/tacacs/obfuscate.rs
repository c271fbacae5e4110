//! Body obfuscation (RFC 8907 §4.5) and the shared-secret [`Key`].
//!
//! ```text
//! MD5_1 = MD5{session_id, key, version, seq_no}
//! MD5_n = MD5{session_id, key, version, seq_no, MD5_n-1}
//! pseudo_pad = MD5_1 ‖ MD5_2 ‖ … truncated to len(data);   body ^= pseudo_pad
//! ```
//!
//! XOR is its own inverse, so the same function obfuscates and de-obfuscates. The MD5 state
//! after `session_id ‖ key ‖ version ‖ seq_no` is computed once per packet and cloned for
//! every pad block, so each 16-byte block costs one MD5 compression when the prefix plus 16
//! fits in a 64-byte block (keys up to 33 bytes), about the raw MD5 bound.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

use md5::{Digest, Md5};

use super::header::Header;
use crate::codec::hex::HexError;

/// A TACACS+ shared secret: any bytes, any length (including empty).
///
/// `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Key(Vec<u8>);

/// Why a key given as text could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The hex form has an odd number of digits.
    #[error("hex key has an odd number of digits")]
    OddLength,
    /// A character that is not a hex digit, at this position.
    #[error("hex key has a non-hex character at position {0}")]
    NotHex(usize),
}

impl Key {
    /// A key from raw bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// A key from its text form (the usual configuration-file form: the UTF-8 bytes).
    pub fn from_text(text: &str) -> Self {
        Self(text.as_bytes().to_vec())
    }

    /// A key from hex digits (whitespace and `:` between pairs tolerated, `0x` prefix too).
    pub fn from_hex(hex: &str) -> Result<Self, KeyError> {
        let hex = hex.trim();
        let hex = hex
            .strip_prefix("0x")
            .or_else(|| hex.strip_prefix("0X"))
            .unwrap_or(hex);
        crate::codec::hex::decode_skipping(hex, |c| c.is_ascii_whitespace() || c == b':')
            .map(Self)
            .map_err(|e| match e {
                HexError::NotHex(i) => KeyError::NotHex(i),
                HexError::OddLength => KeyError::OddLength,
            })
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(<redacted, {} bytes>)", self.0.len())
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Self::from_text(s)
    }
}

impl From<&[u8]> for Key {
    fn from(b: &[u8]) -> Self {
        Self::new(b)
    }
}

/// The MD5 state after `session_id ‖ key ‖ version ‖ seq_no`, ready to produce pad blocks.
#[derive(Clone)]
pub struct PadGenerator {
    prefix: Md5,
}

impl fmt::Debug for PadGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PadGenerator(<redacted>)")
    }
}

impl PadGenerator {
    /// Absorbs the per-packet prefix of §4.5.
    pub fn new(session_id: u32, key: &[u8], version: u8, seq_no: u8) -> Self {
        let mut prefix = Md5::new();
        prefix.update(session_id.to_be_bytes());
        prefix.update(key);
        prefix.update([version, seq_no]);
        Self { prefix }
    }

    /// The prefix state for a header (session_id, version byte and seq_no as on the wire).
    pub fn for_header(header: &Header, key: &Key) -> Self {
        Self::new(
            header.session_id,
            key.as_bytes(),
            header.version(),
            header.seq_no,
        )
    }

    /// XORs `data` with the pseudo-pad, starting at pad position 0.
    pub fn apply(&self, data: &mut [u8]) {
        let mut prev: Option<[u8; 16]> = None;
        for chunk in data.chunks_mut(16) {
            let mut h = self.prefix.clone();
            if let Some(p) = prev {
                h.update(p);
            }
            let block: [u8; 16] = h.finalize().into();
            for (d, p) in chunk.iter_mut().zip(block.iter()) {
                *d ^= *p;
            }
            prev = Some(block);
        }
    }

    /// The first `len` bytes of the pseudo-pad.
    pub fn pad(&self, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.apply(&mut v);
        v
    }
}

/// XORs `body` in place with the §4.5 pseudo-pad for (session_id, key, version, seq_no).
/// Applying it twice is the identity.
pub fn apply_pad(body: &mut [u8], session_id: u32, key: &[u8], version: u8, seq_no: u8) {
    if body.is_empty() {
        return;
    }
    PadGenerator::new(session_id, key, version, seq_no).apply(body);
}

/// Obfuscates or de-obfuscates `body` for `header` with `key`, unless the header has
/// `TAC_PLUS_UNENCRYPTED_FLAG` set, in which case the body is left as is (§4.5).
pub fn obfuscate_body(header: &Header, key: &Key, body: &mut [u8]) {
    if header.is_unencrypted() {
        return;
    }
    apply_pad(
        body,
        header.session_id,
        key.as_bytes(),
        header.version(),
        header.seq_no,
    );
}

/// The first `len` bytes of the §4.5 pseudo-pad (for tests, tools and benchmarks).
pub fn pseudo_pad(session_id: u32, key: &[u8], version: u8, seq_no: u8, len: usize) -> Vec<u8> {
    PadGenerator::new(session_id, key, version, seq_no).pad(len)
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

    /// A straightforward §4.5 reference: rebuild the whole input for every block.
    fn reference_pad(session_id: u32, key: &[u8], version: u8, seq_no: u8, len: usize) -> Vec<u8> {
        let mut pad = Vec::new();
        let mut prev: Vec<u8> = Vec::new();
        while pad.len() < len {
            let mut input = session_id.to_be_bytes().to_vec();
            input.extend_from_slice(key);
            input.push(version);
            input.push(seq_no);
            input.extend_from_slice(&prev);
            let d: [u8; 16] = Md5::digest(&input).into();
            pad.extend_from_slice(&d);
            prev = d.to_vec();
        }
        pad.truncate(len);
        pad
    }

    /// Known answer checked by hand with Python's hashlib:
    /// `h1 = md5(bytes.fromhex('01020304') + b'tac_plus_key' + bytes([0xc1, 1]))`,
    /// `h2 = md5(same prefix + h1.digest())`.
    #[test]
    fn pseudo_pad_known_answer_4_5() {
        let pad = pseudo_pad(0x0102_0304, b"tac_plus_key", 0xc1, 1, 32);
        assert_eq!(crate::codec::hex::encode(&pad), KNOWN_PAD);
    }
    const KNOWN_PAD: &str = "8f91cda5a62a2dffe47bfd4fee538ba71e10457cea527ab367bfe8ed5e50fcb7";

    #[test]
    fn fast_pad_matches_reference_for_many_key_lengths_4_5() {
        for key_len in [0usize, 1, 7, 16, 33, 34, 41, 42, 55, 56, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100] {
                assert_eq!(
                    pseudo_pad(0xdead_beef, &key, 0xc0, 2, len),
                    reference_pad(0xdead_beef, &key, 0xc0, 2, len),
                    "key_len {key_len} len {len}"
                );
            }
        }
    }

    #[test]
    fn unencrypted_flag_means_no_xor_4_5() {
        let mut h = Header::new(super::super::enums::PacketType::AUTHEN, 1, 1, 7);
        h.flags = super::super::enums::HeaderFlags::UNENCRYPTED;
        let mut body = b"clear".to_vec();
        obfuscate_body(&h, &Key::from_text("k"), &mut body);
        assert_eq!(body, b"clear");
        h.flags = super::super::enums::HeaderFlags::EMPTY;
        obfuscate_body(&h, &Key::from_text("k"), &mut body);
        assert_ne!(body, b"clear");
        obfuscate_body(&h, &Key::from_text("k"), &mut body);
        assert_eq!(body, b"clear");
    }

    #[test]
    fn key_forms_and_redacting_debug() {
        assert_eq!(Key::from_hex("0x73:65 63").unwrap().as_bytes(), b"sec");
        assert_eq!(Key::from_hex("abc"), Err(KeyError::OddLength));
        assert_eq!(Key::from_hex("zz"), Err(KeyError::NotHex(0)));
        let k = Key::from_text("hunter2");
        assert_eq!(format!("{k:?}"), "Key(<redacted, 7 bytes>)");
        assert!(!format!("{k:?}").contains("hunter2"));
        assert!(Key::new(Vec::new()).is_empty());
    }
}
