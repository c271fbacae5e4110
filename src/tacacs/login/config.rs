//! The client's configuration: servers, authentication mode, authorization request,
//! accounting (JSON form in [`LoginConfig`], as written in [`RawLoginConfig`]).

use core::fmt;

use serde::{Deserialize, Serialize};

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
            unencrypted: false,
            tls: self.tls,
        }
    }
}

/// How the password is presented (§5.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorConfig {
    /// The `service` value (§8.2), e.g. `casplus`.
    #[serde(default = "default_service")]
    pub service: String,
    /// More arguments, as on the wire (`name=value` mandatory, `name*value` optional).
    #[serde(default)]
    pub args: Vec<String>,
    /// When set, the CAS service URL is sent as the optional argument `NAME*URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

    /// Reads the JSON form (see the type docs): [`RawLoginConfig`] parsed, then
    /// [`LoginConfig::from_raw`].
    pub fn from_json(text: &str) -> Result<Self, LoginError> {
        let raw: RawLoginConfig =
            serde_json::from_str(text).map_err(|e| LoginError::Config(e.to_string()))?;
        Self::from_raw(raw)
    }

    /// Builds the configuration from its written form: each server's key from `key`
    /// (text) or `key_hex` (RFC 8907 §4.5), none only with TLS (RFC 9887); the port
    /// defaults to 49, or 300 with TLS. A server that still names a `key_secret` is
    /// refused: the name is resolved into `key` by whoever knows the secrets first.
    pub fn from_raw(raw: RawLoginConfig) -> Result<Self, LoginError> {
        let mut servers = Vec::with_capacity(raw.servers.len());
        for (i, s) in raw.servers.into_iter().enumerate() {
            if let Some(name) = s.key_secret {
                return Err(LoginError::Config(format!(
                    "servers[{i}].key_secret: the secret {name} must be resolved into key \
                     before the configuration is used"
                )));
            }
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

/// One server as written in the JSON form ([`LoginConfig`]): what [`ServerSpec`] is built
/// from. Serialising writes the fields that are set (a `None` is left out), so the text
/// reads back as the same configuration. `Debug` redacts `key` and `key_hex`.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// Host name or address.
    pub host: String,
    /// TCP port; absent: 49, or 300 with TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The shared secret as text (RFC 8907 §4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The shared secret in hexadecimal (RFC 8907 §4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hex: Option<String>,
    /// The name of a secret that holds the key, for the configuration's owner to resolve
    /// into `key` (the site configuration's rule, `crate::site::resolve_key_secrets`);
    /// [`LoginConfig::from_raw`] refuses a server that still has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_secret: Option<String>,
    /// How long to wait for a connection, and for each reply (milliseconds).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u32,
    /// RFC 9887: connect with TLS (no key needed).
    #[serde(default)]
    pub tls: bool,
}

impl fmt::Debug for RawServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |k: &Option<String>| k.as_ref().map(|_| "<redacted>");
        f.debug_struct("RawServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("key", &redacted(&self.key))
            .field("key_hex", &redacted(&self.key_hex))
            .field("key_secret", &self.key_secret)
            .field("timeout_ms", &self.timeout_ms)
            .field("tls", &self.tls)
            .finish()
    }
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MS
}

fn default_true() -> bool {
    true
}

/// The JSON form of [`LoginConfig`] as written (see its docs for the shape): the site
/// configuration's `tacacs` section, and what the gateway receives. Unknown fields are
/// refused; [`LoginConfig::from_raw`] checks the rest. Serialising writes every field
/// that is set (a `None` is left out), so the text reads back as the same configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoginConfig {
    /// Servers, in the order they are tried.
    pub servers: Vec<RawServer>,
    /// PAP or ASCII (default PAP).
    #[serde(default)]
    pub authen: AuthenMode,
    /// The authorization request; absent or `null`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<AuthorConfig>,
    /// Send accounting records.
    #[serde(default)]
    pub accounting: bool,
    /// Interim updates (§7.2 WATCHDOG) at most once per this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watchdog_seconds: Option<u32>,
    /// Ask for Single Connection Mode (§4.3; default true).
    #[serde(default = "default_true")]
    pub single_connect: bool,
    /// The `port` field of every request (§5.1; default `casplus`).
    #[serde(default = "default_service")]
    pub port: String,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn server(host: &str) -> RawServer {
        RawServer {
            host: host.into(),
            port: None,
            key: None,
            key_hex: None,
            key_secret: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            tls: false,
        }
    }

    /// What the gateway receives (the raw form serialised) reads back as the configuration
    /// built directly: keys as text and hex (RFC 8907 §4.5), TLS without a key (RFC 9887),
    /// authorization (§6.1), accounting with WATCHDOG (§7.2).
    #[test]
    fn the_written_form_reads_back_as_the_same_configuration() {
        let mut text_key = server("10.0.0.5");
        text_key.key = Some("s3cret".into());
        let mut hex_key = server("10.0.0.6");
        hex_key.key_hex = Some("0a0b0c".into());
        hex_key.port = Some(4949);
        hex_key.timeout_ms = 700;
        let mut tls = server("tacacs.example.org");
        tls.tls = true;
        let mut raw = RawLoginConfig {
            servers: vec![text_key, hex_key, tls],
            authen: AuthenMode::Ascii,
            authorization: Some(AuthorConfig {
                service: "cas".into(),
                args: vec!["priv-lvl=1".into()],
                cas_service_arg: Some("cas-service".into()),
            }),
            accounting: true,
            watchdog_seconds: Some(600),
            single_connect: false,
            port: "web".into(),
        };
        for _ in 0..2 {
            let direct = LoginConfig::from_raw(raw.clone()).unwrap();
            let json = serde_json::to_string(&raw).unwrap();
            assert!(!json.contains("null"), "None fields are left out: {json}");
            assert_eq!(LoginConfig::from_json(&json).unwrap(), direct, "{json}");
            assert_eq!(serde_json::from_str::<RawLoginConfig>(&json).unwrap(), raw);
            // And the minimal form: no authorization, no accounting, defaults elsewhere.
            raw = RawLoginConfig {
                servers: vec![raw.servers[0].clone()],
                authen: AuthenMode::Pap,
                authorization: None,
                accounting: false,
                watchdog_seconds: None,
                single_connect: true,
                port: DEFAULT_SERVICE.into(),
            };
        }
        let built = LoginConfig::from_raw(raw).unwrap();
        assert_eq!(built.servers[0].port, DEFAULT_PORT);
        assert_eq!(built.servers[0].key, Key::from_text("s3cret"));
    }

    #[test]
    fn the_ports_and_keys_of_the_written_form_rfc8907_4_5() {
        let config = LoginConfig::from_json(
            r#"{"servers":[{"host":"a","key_hex":"0a0b"},{"host":"b","tls":true}]}"#,
        )
        .unwrap();
        assert_eq!(config.servers[0].key, Key::from_hex("0a0b").unwrap());
        assert_eq!(config.servers[0].port, DEFAULT_PORT);
        assert_eq!(config.servers[1].key, Key::default());
        assert_eq!(config.servers[1].port, TLS_PORT);
    }

    #[test]
    fn a_server_naming_a_secret_is_not_built_until_it_is_resolved() {
        let mut s = server("h");
        s.key_secret = Some("TACACS_KEY".into());
        let mut raw: RawLoginConfig = serde_json::from_str(r#"{"servers":[]}"#).unwrap();
        raw.servers.push(s);
        let e = LoginConfig::from_raw(raw.clone()).unwrap_err().to_string();
        assert!(
            e.contains("servers[0].key_secret") && e.contains("TACACS_KEY"),
            "{e}"
        );
        raw.servers[0].key_secret = None;
        raw.servers[0].key = Some("resolved".into());
        assert!(LoginConfig::from_raw(raw).is_ok());
    }

    #[test]
    fn debug_of_the_written_form_shows_no_key() {
        let raw: RawLoginConfig = serde_json::from_str(
            r#"{"servers":[{"host":"h","key":"sw0rdfish"},{"host":"i","key_hex":"c0ffee"}]}"#,
        )
        .unwrap();
        let debug = format!("{raw:?}");
        assert!(
            !debug.contains("sw0rdfish") && !debug.contains("c0ffee"),
            "{debug}"
        );
        assert!(
            debug.contains("redacted") && debug.contains("\"h\""),
            "{debug}"
        );
    }
}
