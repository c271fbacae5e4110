//! Declarations of a TLS connection's facts in the decode result ([`super::Connection::tls`],
//! mirroring `capture::tls::TlsInfo`), apart from `schema.rs` to keep it short.
#![allow(missing_docs)] // the mirror fields are documented where the core defines them

#[cfg(test)]
use serde::Deserialize;
use tsify::Tsify;

/// What a capture shows of a TLS connection (RFC 8446), and how far it was decrypted.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct TlsInfo {
    /// Negotiated version: 772 (0x0304) is TLS 1.3.
    pub version: Option<u16>,
    /// server_name from the ClientHello (RFC 6066 §3).
    pub sni: Option<String>,
    /// ALPN protocols the client offered (RFC 7301).
    pub alpn: Vec<String>,
    /// The suite the server chose (e.g. 4865 = 0x1301, TLS_AES_128_GCM_SHA256).
    pub cipher_suite: Option<u16>,
    /// The ClientHello's random (hex), which names the connection in a key log.
    pub client_random: Option<String>,
    pub alerts: Vec<TlsAlert>,
    /// Bytes of application data decrypted: client → server, server → client.
    pub decrypted: [u64; 2],
    /// Key updates followed (RFC 8446 §4.6.3).
    pub key_updates: u32,
    /// Why the contents are not shown, when they are not.
    pub opaque_reason: Option<String>,
}

/// A TLS alert seen on a connection (RFC 8446 §6).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct TlsAlert {
    pub from_client: bool,
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// AlertDescription (0 close_notify, 40 handshake_failure, ...).
    pub description: u8,
    /// Read from a decrypted record.
    pub decrypted: bool,
    /// Frame holding the record.
    pub frame: u32,
}
