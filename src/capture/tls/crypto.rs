//! RustCrypto's TLS 1.3 record protection (feature `tls-decrypt`): HKDF-Expand-Label
//! (RFC 8446 §7.1) with hkdf and sha2, and the AEADs of the three decryptable suites (§5.2,
//! §B.4) with aes-gcm and chacha20poly1305. Nothing here is hand-written crypto. The CLI uses it
//! directly; the inspector page has it in a wasm module of its own (`src/wasm/tls.rs`).

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::{Sha256, Sha384};

use super::{CipherSuite, RecordProtection};

/// RustCrypto's [`RecordProtection`] (the default of [`crate::capture::Options::tls`] when the
/// feature `tls-decrypt` is on).
pub const RUST_CRYPTO: RecordProtection = RecordProtection {
    name: "RustCrypto",
    expand_label,
    open,
};

/// HKDF-Expand-Label(secret, label, "", len) (RFC 8446 §7.1) with the suite's hash; `None` when
/// the secret is shorter than the hash (a key-log line of the wrong suite).
pub fn expand_label(
    suite: CipherSuite,
    secret: &[u8],
    label: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
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

/// AEAD-Decrypt with the suite's AEAD (RFC 8446 §5.2): `body` is ciphertext and tag, `aad`
/// the record header; `None` when it does not authenticate or the key does not fit.
pub fn open(
    suite: CipherSuite,
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    body: &[u8],
) -> Option<Vec<u8>> {
    let mut buf = body.to_vec();
    let nonce = (*nonce).into();
    let ok = match suite {
        CipherSuite::AES_128_GCM_SHA256 => Aes128Gcm::new_from_slice(key)
            .ok()?
            .decrypt_in_place(&nonce, aad, &mut buf),
        CipherSuite::AES_256_GCM_SHA384 => Aes256Gcm::new_from_slice(key)
            .ok()?
            .decrypt_in_place(&nonce, aad, &mut buf),
        CipherSuite::CHACHA20_POLY1305_SHA256 => ChaCha20Poly1305::new_from_slice(key)
            .ok()?
            .decrypt_in_place(&nonce, aad, &mut buf),
        _ => return None,
    };
    ok.ok().map(|()| buf)
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
        let opener = super::super::decrypt::Opener::new(
            RUST_CRYPTO,
            CipherSuite::AES_256_GCM_SHA384,
            &[7; 32],
        );
        assert!(opener.is_none());
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap(), 16).unwrap())
            .collect()
    }
}
