//! The TLS side of `casplus tacacs-server` (TACACS+ over TLS 1.3, RFC 9887): a rustls
//! server configuration from PEM files, and the handshake of one connection.
//!
//! - TLS 1.3 only (RFC 9887 §3.2: earlier versions MUST NOT be used): rustls is built
//!   without its `tls12` feature and the configuration names TLS 1.3 alone, so a TLS 1.2
//!   ClientHello gets a `protocol_version` alert.
//! - No early data (RFC 9887 §5.1.2): rustls's server default (`max_early_data_size` 0).
//! - Mutual TLS when a client CA is given (RFC 9887 §3.3, §3.4): the client certificate must
//!   chain to it (RFC 5280 path validation by webpki); the policy then maps the connection
//!   to a client entry by its source address (RFC 9887 §3.4.2, network-address-based).
//! - `SSLKEYLOGFILE` (NSS key log format) is honoured for debugging: `casplus decode
//!   --keylog` or Wireshark can then read a capture.

use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use crate::CliError;

/// Where the TLS listener's certificate, key and client CA are.
pub struct TlsFiles<'a> {
    /// Server certificate chain (PEM, leaf first).
    pub cert: &'a Path,
    /// Server private key (PEM).
    pub key: &'a Path,
    /// CA certificates (PEM) for client certificates; `None`: none asked for.
    pub client_ca: Option<&'a Path>,
}

fn failed(path: &Path, what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("{}: {what}: {e}", path.display()))
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, CliError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| failed(path, "cannot read certificates", e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| failed(path, "bad PEM", e))?;
    if certs.is_empty() {
        return Err(failed(path, "no certificate", "no CERTIFICATE block"));
    }
    Ok(certs)
}

/// The rustls configuration of the TLS listener.
pub fn server_config(files: &TlsFiles<'_>) -> Result<Arc<ServerConfig>, CliError> {
    // ring builds here without extra tools; its provider is deprecated only for lacking
    // post-quantum key exchange, which RFC 9887 does not ask for.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = certs(files.cert)?;
    let key = PrivateKeyDer::from_pem_file(files.key)
        .map_err(|e| failed(files.key, "cannot read the private key", e))?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| CliError::Failed(format!("TLS 1.3: {e}")))?;
    let builder = match files.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for c in certs(ca)? {
                roots
                    .add(c)
                    .map_err(|e| failed(ca, "not a usable CA certificate", e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| failed(ca, "client CA", e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| failed(files.cert, "certificate and key do not fit", e))?;
    // A no-op unless SSLKEYLOGFILE names a file (debugging only: it holds the secrets).
    config.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(Arc::new(config))
}

/// Runs the handshake of one accepted connection; the stream's timeouts apply.
pub fn accept(
    config: &Arc<ServerConfig>,
    mut tcp: TcpStream,
) -> Result<StreamOwned<ServerConnection, TcpStream>, String> {
    let mut conn = ServerConnection::new(Arc::clone(config)).map_err(|e| e.to_string())?;
    while conn.is_handshaking() {
        match conn.complete_io(&mut tcp) {
            Ok((0, 0)) if conn.is_handshaking() => {
                return Err("closed during the handshake".into());
            }
            Ok(_) => {}
            Err(e) => {
                // Send the alert rustls queued (e.g. protocol_version to a TLS 1.2 client).
                let _ = conn.write_tls(&mut tcp);
                let _ = tcp.flush();
                return Err(e.to_string());
            }
        }
    }
    Ok(StreamOwned::new(conn, tcp))
}

/// What the handshake agreed, for the operator log.
pub fn describe(s: &StreamOwned<ServerConnection, TcpStream>) -> String {
    let suite = s
        .conn
        .negotiated_cipher_suite()
        .map_or_else(|| "?".into(), |c| format!("{:?}", c.suite()));
    let client = match s.conn.peer_certificates() {
        Some(c) if !c.is_empty() => "client certificate verified",
        _ => "no client certificate",
    };
    format!("TLS 1.3 {suite}, {client}")
}
