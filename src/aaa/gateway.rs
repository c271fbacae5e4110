//! The TACACS+ gateway protocol: what the CAS Worker asks the Worker that talks TACACS+
//! (RFC 8907) for it, and what it gets back.
//!
//! The CAS Worker (`worker/`) never opens a socket: a login whose authentication source is
//! `tacacs`, and the session lifecycle effects that call for accounting records, go as one
//! JSON request each to the gateway Worker (`worker/aaa/`) over a Cloudflare service
//! binding. The gateway drives the TACACS+ client ([`crate::tacacs::login`], set up by
//! [`super::login`]) against the servers and answers. Keeping
//! TACACS+ in its own Worker keeps its code out of the CAS Worker's cold start
//! (docs/tacacs.md, "TACACS+ gateway"); deployments without TACACS+ never load it.
//!
//! ```text
//! POST /aaa  {"op":"authenticate","tacacs":"{…}","request_id":"…","username":"alice",
//!             "password":"…","service":"https://app/","rem_addr":"192.0.2.7"}
//!   → 200    {"authenticated":{"principal":"alice","attributes":{"priv-lvl":["15"]}}}
//!          | {"rejected":"invalid_credentials"} | {"refused":{"failure":…,"message":…}}
//! POST /aaa  {"op":"account","tacacs":"{…}","request_id":"…",
//!             "effects":[{"session_started":{…}}, {"session_ended":{…}}]}
//!   → 204
//! ```
//!
//! `tacacs` is the configuration's `tacacs` section as JSON ([`LoginConfig::from_json`]),
//! secrets already resolved by the CAS Worker, which checked it when it loaded the
//! configuration. The request carries a password and shared secrets: it only ever travels
//! over the service binding (never a network hop), and neither side logs it
//! ([`GatewayRequest`]'s `Debug` redacts both).
//!
//! What a login's outcome means for CAS is decided by the bridge ([`super::auth_result`]),
//! not in either adapter.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::cas::auth::AuthRequest;
use crate::cas::config::TACACS_SOURCE;
use crate::cas::web::Effect;
use crate::password::Password;
use crate::tacacs::login::LoginConfig;

/// The path the gateway answers on (POST only).
pub const PATH: &str = "/aaa";

/// Largest request the gateway reads: a login or a handful of effects, with the
/// configuration section, is far smaller.
pub const MAX_REQUEST: usize = 64 * 1024;

/// Time allowed on top of the servers' own timeouts in [`budget_ms`].
const MARGIN_MS: u64 = 2_000;

/// A request to the gateway.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum GatewayRequest {
    /// Check credentials: authentication (§5), then authorization (§6) when configured.
    /// The reply is a [`crate::cas::auth::AuthResult`] ([`super::auth_result`]).
    Authenticate {
        /// The `tacacs` configuration section (JSON), secrets resolved.
        tacacs: String,
        /// The CAS Worker's request id, for the gateway's log lines.
        request_id: String,
        /// The user name as typed.
        username: String,
        /// The password.
        password: String,
        /// The CAS service of the login (an authorization argument when configured).
        service: Option<String>,
        /// The browser's address (`rem_addr`, §5.1).
        rem_addr: Option<String>,
    },
    /// Send the accounting records (§7) these session effects call for
    /// ([`super::accounting_request`] decides). The reply is empty (204).
    Account {
        /// The `tacacs` configuration section (JSON), secrets resolved.
        tacacs: String,
        /// The CAS Worker's request id (or the alarm's), for the gateway's log lines.
        request_id: String,
        /// Session lifecycle effects ([`Effect::SessionStarted`], [`Effect::SessionUsed`],
        /// [`Effect::SessionEnded`]); others are ignored.
        effects: Vec<Effect>,
    },
}

impl GatewayRequest {
    /// The request that checks a CAS login through the gateway: `tacacs` is the
    /// configuration section (JSON, secrets resolved), `rem_addr` the browser's address.
    pub fn authenticate(
        tacacs: &str,
        request_id: &str,
        login: &AuthRequest,
        rem_addr: Option<&str>,
    ) -> Self {
        Self::Authenticate {
            tacacs: tacacs.to_owned(),
            request_id: request_id.to_owned(),
            username: login.username.clone(),
            password: login.password.expose().to_owned(),
            service: login.service.clone(),
            rem_addr: rem_addr.map(str::to_owned),
        }
    }

    /// For [`GatewayRequest::Authenticate`]: the CAS login it carries (its source is
    /// [`TACACS_SOURCE`]) and the browser's address; `None` for other requests.
    pub fn login(&self) -> Option<(AuthRequest, Option<&str>)> {
        match self {
            Self::Authenticate {
                username,
                password,
                service,
                rem_addr,
                ..
            } => Some((
                AuthRequest {
                    username: username.clone(),
                    password: Password::new(password.as_str()),
                    source: TACACS_SOURCE.into(),
                    service: service.clone(),
                },
                rem_addr.as_deref(),
            )),
            Self::Account { .. } => None,
        }
    }

    /// The request as sent; `None` only if an effect cannot be sent (a single logout).
    pub fn to_json(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }

    /// Parses a request body; the error says what is wrong (never echoing secrets: serde
    /// reports positions and field names, not values).
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        if body.len() > MAX_REQUEST {
            return Err(format!("request over {MAX_REQUEST} bytes"));
        }
        serde_json::from_slice(body).map_err(|e| e.to_string())
    }

    /// The configuration section the request carries.
    pub fn tacacs(&self) -> &str {
        match self {
            Self::Authenticate { tacacs, .. } | Self::Account { tacacs, .. } => tacacs,
        }
    }

    /// The request id the request carries.
    pub fn request_id(&self) -> &str {
        match self {
            Self::Authenticate { request_id, .. } | Self::Account { request_id, .. } => request_id,
        }
    }
}

impl fmt::Debug for GatewayRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Authenticate {
                request_id,
                username,
                service,
                rem_addr,
                ..
            } => f
                .debug_struct("Authenticate")
                .field("request_id", request_id)
                .field("username", username)
                .field("service", service)
                .field("rem_addr", rem_addr)
                .finish_non_exhaustive(),
            Self::Account {
                request_id,
                effects,
                ..
            } => f
                .debug_struct("Account")
                .field("request_id", request_id)
                .field("effects", &effects.len())
                .finish_non_exhaustive(),
        }
    }
}

/// The longest a login through the gateway can take with `config`: every server tried in
/// turn, each with a connection and up to four replies (an ASCII login's GETUSER, GETPASS
/// and PASS, then authorization), each bounded by the server's `timeout_ms`, plus a
/// margin. The CAS Worker gives up (unavailable) after this.
pub fn budget_ms(config: &LoginConfig) -> u64 {
    let servers: u64 = config
        .servers
        .iter()
        .map(|s| u64::from(s.timeout_ms).saturating_mul(5))
        .fold(0, u64::saturating_add);
    servers.saturating_add(MARGIN_MS)
}

/// The longest an accounting request through the gateway can take with `config` for
/// `effects` session effects: one [`budget_ms`] per record, sent one after the other.
pub fn account_budget_ms(config: &LoginConfig, effects: usize) -> u64 {
    let records = u64::try_from(effects).unwrap_or(u64::MAX);
    budget_ms(config).saturating_mul(records)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;
    use crate::cas::web::{EndReason, SessionRecord};
    use crate::time::Timestamp;

    fn session() -> SessionRecord {
        SessionRecord {
            task_id: "00ff".into(),
            principal: "alice".into(),
            source: "tacacs".into(),
            started_at: Timestamp(1_700_000_000_000),
            services: vec!["https://app.example/".into()],
            client_address: Some("192.0.2.7".into()),
        }
    }

    #[test]
    fn requests_round_trip_and_debug_hides_secrets() {
        let login = GatewayRequest::Authenticate {
            tacacs: r#"{"servers":[{"host":"h","key":"shh-key"}]}"#.into(),
            request_id: "r1".into(),
            username: "alice".into(),
            password: "pa55word".into(),
            service: Some("https://app.example/".into()),
            rem_addr: None,
        };
        let (cas_login, rem_addr) = login.login().unwrap();
        assert_eq!(
            (
                cas_login.source.as_str(),
                cas_login.password.expose(),
                rem_addr
            ),
            ("tacacs", "pa55word", None)
        );
        assert_eq!(
            GatewayRequest::authenticate(login.tacacs(), "r1", &cas_login, None),
            login
        );
        let json = login.to_json().unwrap();
        assert!(json.starts_with(r#"{"op":"authenticate""#), "{json}");
        assert_eq!(GatewayRequest::from_json(json.as_bytes()).unwrap(), login);
        let debug = format!("{login:?}");
        assert!(debug.contains("alice") && debug.contains("r1"), "{debug}");
        assert!(
            !debug.contains("pa55word") && !debug.contains("shh-key"),
            "{debug}"
        );

        let acct = GatewayRequest::Account {
            tacacs: "{}".into(),
            request_id: "r2".into(),
            effects: vec![
                Effect::SessionStarted(session()),
                Effect::SessionEnded {
                    session: session(),
                    reason: EndReason::Idle,
                    ended_at: Timestamp(1_700_000_600_000),
                },
            ],
        };
        let json = acct.to_json().unwrap();
        assert!(json.contains(r#""reason":"idle""#), "{json}");
        assert_eq!(GatewayRequest::from_json(json.as_bytes()).unwrap(), acct);
        assert_eq!(acct.tacacs(), "{}");
        assert!(acct.login().is_none());
        assert_eq!(acct.request_id(), "r2");
    }

    #[test]
    fn malformed_requests_are_refused_with_a_reason() {
        for (body, what) in [
            (&b"{\"op\":\"reboot\",\"tacacs\":\"{}\"}"[..], "unknown variant"),
            (b"{\"op\":\"account\",\"tacacs\":\"{}\",\"request_id\":\"r\",\"effects\":[],\"x\":1}", "unknown field"),
            (b"{\"op\":\"authenticate\"}", "missing field"),
            (b"\xff", "expected value"),
        ] {
            let e = GatewayRequest::from_json(body).unwrap_err();
            assert!(e.contains(what), "{e}");
        }
        let big = vec![b' '; MAX_REQUEST + 1];
        assert!(
            GatewayRequest::from_json(&big)
                .unwrap_err()
                .contains("bytes")
        );
    }

    #[test]
    fn budget_covers_every_server_and_reply() {
        let cfg = LoginConfig::from_json(
            r#"{"servers":[{"host":"a","key":"k","timeout_ms":1000},
                           {"host":"b","key":"k","timeout_ms":3000}]}"#,
        )
        .unwrap();
        assert_eq!(budget_ms(&cfg), 5 * 1000 + 5 * 3000 + MARGIN_MS);
        assert_eq!(account_budget_ms(&cfg, 3), 3 * budget_ms(&cfg));
        assert_eq!(account_budget_ms(&cfg, 0), 0);
    }
}
