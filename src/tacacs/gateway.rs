//! The TACACS+ gateway protocol: what the CAS Worker asks the Worker that talks TACACS+
//! (RFC 8907) for it, and what it gets back.
//!
//! The CAS Worker (`worker/`) never opens a socket: a login whose authentication source is
//! `tacacs`, and the session lifecycle effects that call for accounting records, go as one
//! JSON request each to the gateway Worker (`worker/aaa/`) over a Cloudflare service
//! binding. The gateway drives [`super::login`] against the servers and answers. Keeping
//! TACACS+ in its own Worker keeps its code out of the CAS Worker's cold start (README
//! "TACACS+ gateway"); deployments without TACACS+ never load it.
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
//! What a login's outcome means for CAS is decided here ([`auth_result`]), not in either
//! adapter.

use core::fmt;

use serde::{Deserialize, Serialize};

use super::login::{LoginConfig, Outcome};
use crate::cas::auth::{AuthFailure, AuthResult};
use crate::cas::web::Effect;

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
    /// The reply is an [`AuthResult`] ([`auth_result`]).
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
    /// ([`super::login::accounting_request`] decides). The reply is empty (204).
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

/// What a login's outcome means for CAS:
/// - authenticated (and authorized) → the principal as the server named it, with the
///   authorized AV pairs as attributes;
/// - FAIL with a `server_msg` (§5.2 "a message to be displayed to the user") → refused,
///   showing it; FAIL without one → rejected as invalid credentials;
/// - no trustworthy answer (timeouts, key mismatch, errors) → unavailable: no login, and
///   not counted as a failed attempt by throttling.
pub fn auth_result(outcome: Outcome) -> AuthResult {
    match outcome {
        Outcome::Authenticated(a) => AuthResult::Authenticated {
            principal: a.username,
            attributes: a.attributes,
        },
        Outcome::Rejected {
            server_msg: Some(message),
            ..
        } => AuthResult::Refused {
            failure: AuthFailure::InvalidCredentials,
            message,
        },
        Outcome::Rejected {
            server_msg: None, ..
        } => AuthResult::Rejected(AuthFailure::InvalidCredentials),
        Outcome::Unavailable { .. } => AuthResult::Rejected(AuthFailure::Unavailable),
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
    use crate::tacacs::login::{AcctOutcome, Authenticated};
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
    fn outcomes_map_to_cas_results() {
        let ok = Outcome::Authenticated(Authenticated {
            username: "Alice".into(),
            server: 1,
            authorization: None,
            attributes: [("priv-lvl".to_owned(), vec!["15".to_owned()])].into(),
            accounting: AcctOutcome::NotSent,
        });
        let AuthResult::Authenticated {
            principal,
            attributes,
        } = auth_result(ok)
        else {
            panic!("authenticated");
        };
        assert_eq!(principal, "Alice");
        assert_eq!(attributes["priv-lvl"], ["15"]);
        let refused = auth_result(Outcome::Rejected {
            message: "Invalid".into(),
            server_msg: Some("password expired".into()),
        });
        assert_eq!(
            refused,
            AuthResult::Refused {
                failure: AuthFailure::InvalidCredentials,
                message: "password expired".into()
            }
        );
        assert_eq!(
            auth_result(Outcome::Rejected {
                message: "Invalid".into(),
                server_msg: None
            }),
            AuthResult::Rejected(AuthFailure::InvalidCredentials)
        );
        assert_eq!(
            auth_result(Outcome::Unavailable {
                reason: "key mismatch".into()
            }),
            AuthResult::Rejected(AuthFailure::Unavailable)
        );
        // The reply's wire form.
        let json = serde_json::to_string(&refused).unwrap();
        assert_eq!(
            json,
            r#"{"refused":{"failure":"invalid_credentials","message":"password expired"}}"#
        );
        assert_eq!(serde_json::from_str::<AuthResult>(&json).unwrap(), refused);
    }

    #[test]
    fn budget_covers_every_server_and_reply() {
        let cfg = LoginConfig::from_json(
            r#"{"servers":[{"host":"a","key":"k","timeout_ms":1000},
                           {"host":"b","key":"k","timeout_ms":3000}]}"#,
        )
        .unwrap();
        assert_eq!(budget_ms(&cfg), 5 * 1000 + 5 * 3000 + MARGIN_MS);
    }
}
