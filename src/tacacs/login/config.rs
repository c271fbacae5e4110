//! The client's configuration: servers, authentication mode, authorization request,
//! accounting (JSON form in [`LoginConfig`]).

use serde::Deserialize;

use super::{DEFAULT_PORT, DEFAULT_SERVICE, DEFAULT_TIMEOUT_MS, MIN_ENTROPY, TLS_PORT};
use crate::tacacs::DEFAULT_MAX_LENGTH;
use crate::tacacs::enums::AuthenType;
use crate::tacacs::obfuscate::Key;
use crate::tacacs::session::SessionConfig;

/// One TACACS+ server. `Debug` redacts the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host name or address.
    pub host: String,
    /// TCP port (49, or 300 for TLS).
    pub port: u16,
    /// The shared secret (§4.5); unused with TLS.
    pub key: Key,
    /// How long to wait for a connection, and for each reply.
    pub timeout_ms: u32,
    /// RFC 9887: connect with TLS, send unobfuscated bodies with the UNENCRYPTED flag.
    pub tls: bool,
}

impl ServerSpec {
    /// A plain-TCP server with the default timeout.
    pub fn new(host: impl Into<String>, port: u16, key: Key) -> Self {
        Self {
            host: host.into(),
            port,
            key,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            tls: false,
        }
    }

    pub(super) fn label(&self) -> String {
        let tls = if self.tls { " (TLS)" } else { "" };
        if self.host.contains(':') {
            format!("[{}]:{}{tls}", self.host, self.port)
        } else {
            format!("{}:{}{tls}", self.host, self.port)
        }
    }

    pub(super) fn session_config(&self, single_connect: bool, max_length: u32) -> SessionConfig {
        SessionConfig {
            key: if self.tls {
                Key::default()
            } else {
                self.key.clone()
            },
            single_connect,
            max_length,
            unencrypted: self.tls,
        }
    }
}

/// How the password is presented (§5.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthenMode {
    /// PAP: one START carrying user and password (§5.4.2.2).
    #[default]
    Pap,
    /// ASCII login: START with the user, then GETPASS / CONTINUE (§5.4.2.1).
    Ascii,
}

impl AuthenMode {
    pub(super) fn authen_type(self) -> AuthenType {
        match self {
            Self::Pap => AuthenType::PAP,
            Self::Ascii => AuthenType::ASCII,
        }
    }
}

/// The authorization request sent after a PASS (§6.1).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorConfig {
    /// The `service` value (§8.2), e.g. `casplus`.
    #[serde(default = "default_service")]
    pub service: String,
    /// More arguments, as on the wire (`name=value` mandatory, `name*value` optional).
    #[serde(default)]
    pub args: Vec<String>,
    /// When set, the CAS service URL is sent as the optional argument `NAME*URL`.
    #[serde(default)]
    pub cas_service_arg: Option<String>,
}

fn default_service() -> String {
    DEFAULT_SERVICE.into()
}

impl Default for AuthorConfig {
    fn default() -> Self {
        Self {
            service: default_service(),
            args: Vec::new(),
            cas_service_arg: None,
        }
    }
}

/// Everything the login backend needs to know about the TACACS+ side.
///
/// JSON form ([`LoginConfig::from_json`]):
///
/// ```text
/// {"servers": [{"host": "10.0.0.5", "port": 49, "key": "secret" | "key_hex": "…",
///               "timeout_ms": 5000, "tls": false}, …],
///  "authen": "pap" | "ascii",
///  "authorization": {"service": "casplus", "args": ["…"], "cas_service_arg": "cas-service"},
///  "accounting": true, "watchdog_seconds": 600, "single_connect": true, "port": "casplus"}
/// ```
///
/// `authorization` absent or `null`: no authorization request (no attributes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginConfig {
    /// Servers, in the order they are tried.
    pub servers: Vec<ServerSpec>,
    /// PAP or ASCII.
    pub authen_mode: AuthenMode,
    /// The authorization request, or `None` to skip authorization.
    pub authorization: Option<AuthorConfig>,
    /// Send accounting records (START at login; STOP / WATCHDOG through [`super::AcctJob`]).
    pub accounting: bool,
    /// Interim updates (§7.2 WATCHDOG): at most one per this many seconds of a session,
    /// sent when the session is used after an interval boundary ([`super::watchdog_due`]);
    /// `None`: no WATCHDOG records.
    pub watchdog_seconds: Option<u32>,
    /// Ask for Single Connection Mode (§4.3).
    pub single_connect: bool,
    /// The `port` field of every request (the "NAS port"; §5.1), e.g. `casplus`.
    pub port: String,
    /// Largest reply body accepted (§4.1; default 2^16).
    pub max_length: u32,
}

impl LoginConfig {
    /// PAP, no authorization, no accounting, single-connect requested, port `casplus`.
    pub fn new(servers: Vec<ServerSpec>) -> Self {
        Self {
            servers,
            authen_mode: AuthenMode::Pap,
            authorization: None,
            accounting: false,
            watchdog_seconds: None,
            single_connect: true,
            port: DEFAULT_SERVICE.into(),
            max_length: DEFAULT_MAX_LENGTH,
        }
    }

    /// Reads the JSON form (see the type docs).
    pub fn from_json(text: &str) -> Result<Self, LoginError> {
        let raw: RawLoginConfig =
            serde_json::from_str(text).map_err(|e| LoginError::Config(e.to_string()))?;
        let mut servers = Vec::with_capacity(raw.servers.len());
        for (i, s) in raw.servers.into_iter().enumerate() {
            let key = match (s.key, s.key_hex) {
                (Some(k), None) => Key::from_text(&k),
                (None, Some(h)) => Key::from_hex(&h)
                    .map_err(|e| LoginError::Config(format!("servers[{i}].key_hex: {e}")))?,
                (None, None) if s.tls => Key::default(),
                _ => {
                    return Err(LoginError::Config(format!(
                        "servers[{i}]: give exactly one of key / key_hex"
                    )));
                }
            };
            servers.push(ServerSpec {
                port: s
                    .port
                    .unwrap_or(if s.tls { TLS_PORT } else { DEFAULT_PORT }),
                host: s.host,
                key,
                timeout_ms: s.timeout_ms,
                tls: s.tls,
            });
        }
        if servers.is_empty() {
            return Err(LoginError::NoServers);
        }
        Ok(Self {
            servers,
            authen_mode: raw.authen,
            authorization: raw.authorization,
            accounting: raw.accounting,
            watchdog_seconds: raw.watchdog_seconds,
            single_connect: raw.single_connect,
            port: raw.port,
            max_length: DEFAULT_MAX_LENGTH,
        })
    }

    pub(super) fn service(&self) -> &str {
        self.authorization
            .as_ref()
            .map_or(DEFAULT_SERVICE, |a| a.service.as_str())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    host: String,
    port: Option<u16>,
    key: Option<String>,
    key_hex: Option<String>,
    #[serde(default = "default_timeout")]
    timeout_ms: u32,
    #[serde(default)]
    tls: bool,
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MS
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoginConfig {
    servers: Vec<RawServer>,
    #[serde(default)]
    authen: AuthenMode,
    #[serde(default)]
    authorization: Option<AuthorConfig>,
    #[serde(default)]
    accounting: bool,
    #[serde(default)]
    watchdog_seconds: Option<u32>,
    #[serde(default = "default_true")]
    single_connect: bool,
    #[serde(default = "default_service")]
    port: String,
}

/// A misuse of the login backend by its caller (not a login failure).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The configuration lists no server.
    #[error("no TACACS+ server configured")]
    NoServers,
    /// Fewer than [`MIN_ENTROPY`] bytes of entropy.
    #[error("need {MIN_ENTROPY} bytes of entropy, got {0}")]
    NotEnoughEntropy(usize),
    /// The JSON configuration is wrong.
    #[error("TACACS+ login configuration: {0}")]
    Config(String),
}
