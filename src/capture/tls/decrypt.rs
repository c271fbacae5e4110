//! TLS 1.3 record reading with known traffic secrets: the per-direction state of RFC 8446
//! §5.3 (per-record nonce from the IV and the sequence number), the traffic key and IV of
//! §7.3 and the key update of §7.2, over a [`RecordProtection`] that does the cryptography.
//! The capture analysis holds no crypto of its own: the CLI passes RustCrypto's
//! ([`super::RUST_CRYPTO`], feature `tls-decrypt`), the inspector page a second wasm module that
//! it loads only for a capture that needs it.

use core::fmt;

use super::CipherSuite;

/// HKDF-Expand-Label (suite, secret, label, length), see [`RecordProtection::expand_label`].
pub type ExpandLabelFn = fn(CipherSuite, &[u8], &[u8], usize) -> Option<Vec<u8>>;
/// AEAD-Decrypt (suite, key, nonce, additional data, ciphertext), see [`RecordProtection::open`].
pub type OpenFn = fn(CipherSuite, &[u8], &[u8; 12], &[u8], &[u8]) -> Option<Vec<u8>>;

/// The two cryptographic operations that reading TLS 1.3 records needs, as plain functions
/// (so that an implementation may live in another wasm module, reached through JavaScript).
#[derive(Clone, Copy)]
pub struct RecordProtection {
    /// Names the implementation (`Debug`, equality).
    pub name: &'static str,
    /// HKDF-Expand-Label(secret, label, "", len) with the suite's hash (RFC 8446 §7.1; `label`
    /// without its "tls13 " prefix); `None` when the secret is shorter than the hash (a key-log
    /// line of another suite).
    pub expand_label: ExpandLabelFn,
    /// AEAD-Decrypt(key, nonce, additional_data, ciphertext and tag) with the suite's AEAD
    /// (RFC 8446 §5.2); `None` when the record does not authenticate or the key does not fit.
    pub open: OpenFn,
}

impl fmt::Debug for RecordProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RecordProtection").field(&self.name).finish()
    }
}

impl PartialEq for RecordProtection {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for RecordProtection {}

/// The next application traffic secret after a KeyUpdate (RFC 8446 §7.2):
/// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
pub(crate) fn next_secret(
    crypto: RecordProtection,
    suite: CipherSuite,
    secret: &[u8],
) -> Option<Vec<u8>> {
    let len = if suite.sha384() { 48 } else { 32 };
    (crypto.expand_label)(suite, secret, b"traffic upd", len)
}

/// The read state of one direction under one traffic secret: key, IV and the record sequence
/// number (RFC 8446 §5.3), which starts at 0 for every new key.
pub(crate) struct Opener {
    crypto: RecordProtection,
    suite: CipherSuite,
    key: Vec<u8>,
    iv: [u8; 12],
    /// Sequence number of the next record.
    pub seq: u64,
}

impl Opener {
    /// Keys from a traffic secret (RFC 8446 §7.3): `None` when the secret does not fit the suite.
    pub(crate) fn new(crypto: RecordProtection, suite: CipherSuite, secret: &[u8]) -> Option<Self> {
        if !suite.decryptable() {
            return None;
        }
        let key = (crypto.expand_label)(suite, secret, b"key", suite.key_len())?;
        let iv: [u8; 12] = (crypto.expand_label)(suite, secret, b"iv", 12)?
            .try_into()
            .ok()?;
        (key.len() == suite.key_len()).then_some(Self {
            crypto,
            suite,
            key,
            iv,
            seq: 0,
        })
    }

    /// Opens one protected record (`header` = its 5 bytes, the AAD; `body` = ciphertext and tag,
    /// RFC 8446 §5.2) with the next sequence number; on success the sequence number advances and
    /// the TLSInnerPlaintext (content, content type, zero padding) is returned.
    pub(crate) fn open(&mut self, header: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        // §5.3: the 64-bit sequence number, left-padded to the IV's length, XORed with the IV
        let mut nonce = self.iv;
        for (n, s) in nonce
            .iter_mut()
            .rev()
            .zip(self.seq.to_be_bytes().iter().rev())
        {
            *n ^= s;
        }
        let plain = (self.crypto.open)(self.suite, &self.key, &nonce, header, body)?;
        self.seq = self.seq.wrapping_add(1);
        Some(plain)
    }
}
