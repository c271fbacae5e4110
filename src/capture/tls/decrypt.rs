//! TLS 1.3 record protection with known traffic secrets (feature `tls-decrypt`): the key
//! schedule's last steps (RFC 8446 §7.1 HKDF-Expand-Label, §7.2 key update, §7.3 traffic key and
//! IV) and AEAD opening of a record (§5.2, nonce §5.3). The crypto is RustCrypto's (hkdf, sha2,
//! aes-gcm, chacha20poly1305); nothing here is hand-written crypto.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::{Sha256, Sha384};

use super::CipherSuite;

/// HKDF-Expand-Label(secret, label, "", len) (RFC 8446 §7.1) with the suite's hash; `None` when
/// the secret is shorter than the hash (a key-log line of the wrong suite).
fn expand_label(suite: CipherSuite, secret: &[u8], label: &[u8], len: usize) -> Option<Vec<u8>> {
    // struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255>; }
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    info.push(u8::try_from(6 + label.len()).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = vec![0u8; len];
    if suite.sha384() {
        Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?;
    } else {
        Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?;
    }
    Some(out)
}

/// The next application traffic secret after a KeyUpdate (RFC 8446 §7.2):
/// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
pub(crate) fn next_secret(suite: CipherSuite, secret: &[u8]) -> Option<Vec<u8>> {
    let len = if suite.sha384() { 48 } else { 32 };
    expand_label(suite, secret, b"traffic upd", len)
}

enum Aead {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

/// The read state of one direction under one traffic secret: key, IV and the record sequence
/// number (RFC 8446 §5.3), which starts at 0 for every new key.
pub(crate) struct Opener {
    aead: Aead,
    iv: [u8; 12],
    /// Sequence number of the next record.
    pub seq: u64,
}

impl Opener {
    /// Keys from a traffic secret (RFC 8446 §7.3): `None` when the secret does not fit the suite.
    pub(crate) fn new(suite: CipherSuite, secret: &[u8]) -> Option<Self> {
        let key = expand_label(suite, secret, b"key", suite.key_len())?;
        let iv: [u8; 12] = expand_label(suite, secret, b"iv", 12)?.try_into().ok()?;
        let aead = match suite {
            CipherSuite::AES_128_GCM_SHA256 => {
                Aead::Aes128(Box::new(Aes128Gcm::new_from_slice(&key).ok()?))
            }
            CipherSuite::AES_256_GCM_SHA384 => {
                Aead::Aes256(Box::new(Aes256Gcm::new_from_slice(&key).ok()?))
            }
            CipherSuite::CHACHA20_POLY1305_SHA256 => {
                Aead::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(&key).ok()?))
            }
            _ => return None,
        };
        Some(Self { aead, iv, seq: 0 })
    }

    /// Opens one protected record (`header` = its 5 bytes, the AAD; `body` = ciphertext and tag,
    /// RFC 8446 §5.2) with the next sequence number; on success the sequence number advances and
    /// the TLSInnerPlaintext (content, content type, zero padding) is returned.
    pub(crate) fn open(&mut self, header: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = self.iv;
        for (n, s) in nonce
            .iter_mut()
            .rev()
            .zip(self.seq.to_be_bytes().iter().rev())
        {
            *n ^= s;
        }
        let mut buf = body.to_vec();
        let ok = match &self.aead {
            Aead::Aes128(a) => a.decrypt_in_place(&nonce.into(), header, &mut buf).is_ok(),
            Aead::Aes256(a) => a.decrypt_in_place(&nonce.into(), header, &mut buf).is_ok(),
            Aead::ChaCha(a) => a.decrypt_in_place(&nonce.into(), header, &mut buf).is_ok(),
        };
        if !ok {
            return None;
        }
        self.seq = self.seq.wrapping_add(1);
        Some(buf)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 8448 §3 (simple 1-RTT handshake): the server handshake traffic secret and the key and
    /// IV derived from it (TLS_AES_128_GCM_SHA256).
    #[test]
    fn traffic_key_and_iv_match_rfc8448_section_3() {
        let secret = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        let key = expand_label(CipherSuite::AES_128_GCM_SHA256, &secret, b"key", 16).unwrap();
        let iv = expand_label(CipherSuite::AES_128_GCM_SHA256, &secret, b"iv", 12).unwrap();
        assert_eq!(key, hex("3fce516009c21727d0f2e4e86ee403bc"));
        assert_eq!(iv, hex("5d313eb2671276ee13000b30"));
    }

    #[test]
    fn a_secret_shorter_than_the_hash_gives_no_keys() {
        assert!(Opener::new(CipherSuite::AES_256_GCM_SHA384, &[7; 32]).is_none());
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap(), 16).unwrap())
            .collect()
    }
}
