//! The inspector page's TLS module (feature `inspector-tls`, `www/pkg/casplus_tls*`): RustCrypto's
//! TLS 1.3 record protection ([`crate::capture::tls::RUST_CRYPTO`]: HKDF-Expand-Label, RFC 8446
//! §7.1, and the AEADs of §5.2) in a wasm module of its own, which the page's Worker loads only
//! when a capture holds a TLS 1.3 connection its key log can decrypt (the diagnostic
//! `tls-no-decryption`). The capture analysis in the page's main module calls these through
//! `globalThis.casplusTls` (`src/wasm/inspect.rs`). Glue only.

use wasm_bindgen::prelude::*;

use crate::capture::tls::{CipherSuite, RUST_CRYPTO};

/// HKDF-Expand-Label(secret, label, "", len) with the hash of cipher suite `suite` (RFC 8446
/// §7.1); `undefined` when the secret is shorter than the hash.
#[wasm_bindgen(js_name = expandLabel)]
pub fn expand_label(suite: u16, secret: &[u8], label: &[u8], len: u32) -> Option<Vec<u8>> {
    (RUST_CRYPTO.expand_label)(
        CipherSuite(suite),
        secret,
        label,
        usize::try_from(len).ok()?,
    )
}

/// AEAD-Decrypt of one TLS 1.3 record with the AEAD of cipher suite `suite` (RFC 8446 §5.2):
/// the plaintext, or `undefined` when it does not authenticate (or the key or the 12-byte nonce
/// does not fit).
#[wasm_bindgen]
pub fn open(suite: u16, key: &[u8], nonce: &[u8], aad: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    let nonce: &[u8; 12] = nonce.try_into().ok()?;
    (RUST_CRYPTO.open)(CipherSuite(suite), key, nonce, aad, body)
}
