//! The bridge: CAS logins authenticated, authorized and accounted through TACACS+
//! (RFC 8907 §5–§7). This is the only module that knows both protocols: [`crate::cas`]
//! never imports [`crate::tacacs`] and the other way round; what a TACACS+ answer means
//! for a CAS login, and which TACACS+ records a CAS session calls for, is decided here.
//!
//! # The flow
//!
//! A CAS login for a service whose authentication source is [`TACACS_SOURCE`]
//! (`tacacs`), with the CAS Worker (`worker/`), the TACACS+ gateway Worker (`worker/aaa/`,
//! which owns the sockets) and one TACACS+ server. "§" without a prefix is RFC 8907; "CAS §" the CAS
//! protocol 3.0 specification.
//!
//! ```text
//!  browser          CAS Worker (engine)          gateway (aaa)             TACACS+ server
//!  1  GET /login?service=S ─▶ login form (CAS §2.1)
//!  2  POST /login user+password ─▶ AuthRequest{source: tacacs}
//!  3                    ── Authenticate ──────────▶ login(): a TACACS+ login
//!  4                                               ── AUTHEN START ──────────▶ (§5.1; PAP
//!                                                     user+password §5.4.2.2, or ASCII user)
//!  5                                               ◀─ AUTHEN REPLY ───────────  (§5.2: PASS,
//!                                                     FAIL, or GETPASS for ASCII)
//!  6                                               ── AUTHEN CONTINUE ───────▶ (§5.3, ASCII:
//!                                                     the password) ◀─ REPLY PASS/FAIL
//!  7                                               ── AUTHOR REQUEST ────────▶ (§6.1:
//!                                                     service=casplus, cas-service*S)
//!  8                                               ◀─ AUTHOR RESPONSE ────────  (§6.2:
//!                                                     PASS_ADD/PASS_REPL + AV pairs, FAIL)
//!  9                    ◀─ AuthResult ──────────── auth_result(): granted AV pairs become
//!                                                  the released attributes
//!  10                   TGT created: Effect::SessionStarted ── Account ─▶ ACCT START
//!                                                  (§7.1, §8.3) ◀─ ACCT REPLY (§7.2)
//!  11 ◀─ redirect S?ticket=ST (CAS §2.2.4); S validates ST (CAS §2.5) and gets the attributes
//!  12                   SSO used again: Effect::SessionUsed ── Account ─▶ ACCT WATCHDOG
//!                                                  when an interval boundary passed (§7.2)
//!  13                   logout or expiry: Effect::SessionEnded ── Account ─▶ ACCT STOP
//!                                                  (§7.1; elapsed_time, reason, services §8.3)
//! ```
//!
//! Steps 4–8 are the client driver [`crate::tacacs::login`] (failover across servers,
//! key mismatch, hostile replies, Single Connection Mode §4.3, obfuscation §4.5); this
//! module decides the rest:
//!
//! - [`login`] maps a CAS [`AuthRequest`] onto a TACACS+ [`Login`]; the login itself sends
//!   no accounting START: the START is due when the TGT exists (step 10), not when the
//!   password checks out;
//! - [`auth_result`] maps the login's [`Outcome`] to the CAS [`AuthResult`] (step 9), and
//!   [`released_attributes`] the granted AV pairs to CAS attributes;
//! - [`accounting_request`] says which accounting record a session lifecycle [`Effect`] of
//!   the engine calls for (steps 10, 12, 13), and [`accounting_due`] whether a batch of
//!   effects calls for any;
//! - [`gateway`] holds the messages between the two Workers.

pub mod gateway;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::cas::auth::{AuthFailure, AuthRequest, AuthResult};
use crate::cas::config::TACACS_SOURCE;
use crate::cas::response::Attributes;
use crate::cas::web::{Effect, EndReason, SessionRecord};
use crate::tacacs::acct::AcctRequest;
use crate::tacacs::login::{
    AcctRecord, Login, LoginConfig, LoginError, LoginRequest, Outcome, acct_start, acct_stop,
    acct_watchdog, watchdog_due,
};
use crate::time::Timestamp;

/// Step 3: the TACACS+ login that checks a CAS login. `rem_addr` is the browser's address
/// (§5.1), `entropy` at least [`crate::tacacs::login::MIN_ENTROPY`] fresh bytes.
///
/// Accounting is left out of the login even when configured: the START belongs to the
/// SSO session, sent when the engine creates the TGT ([`Effect::SessionStarted`], through
/// [`accounting_request`]), so a login that the engine then refuses is never accounted.
pub fn login(
    config: &LoginConfig,
    request: &AuthRequest,
    rem_addr: Option<&str>,
    entropy: &[u8],
    now: Timestamp,
) -> Result<Login, LoginError> {
    let config = LoginConfig {
        accounting: false,
        ..config.clone()
    };
    let request = LoginRequest {
        username: request.username.clone(),
        password: request.password.clone(),
        rem_addr: rem_addr.unwrap_or_default().to_owned(),
        cas_service: request.service.clone(),
        task_id: String::new(),
    };
    Login::new(&config, request, entropy, now)
}

/// The CAS attributes released for a TACACS+ login: the AV pairs authorization granted
/// (§6.2), name → values in order.
pub fn released_attributes(granted: BTreeMap<String, Vec<String>>) -> Attributes {
    granted
}

/// Step 9, what a login's outcome means for CAS:
/// - authenticated (and authorized) → the principal as the server named it, with the
///   granted AV pairs as attributes ([`released_attributes`]);
/// - FAIL with a `server_msg` (§5.2 "a message to be displayed to the user") → refused,
///   showing it; FAIL without one → rejected as invalid credentials;
/// - no trustworthy answer (timeouts, key mismatch, errors) → unavailable: no login, and
///   not counted as a failed attempt by throttling.
pub fn auth_result(outcome: Outcome) -> AuthResult {
    match outcome {
        Outcome::Authenticated(a) => AuthResult::Authenticated {
            principal: a.username,
            attributes: released_attributes(a.granted),
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

/// Whether the CAS Worker must hand `effects` to the gateway for accounting at all:
/// accounting is on and there is an effect ([`accounting_request`] decides which record
/// each one calls for).
pub fn accounting_due(config: &LoginConfig, effects: &[Effect]) -> bool {
    config.accounting && !effects.is_empty()
}

/// Steps 10, 12 and 13: the accounting record (§7.1) a session lifecycle effect of the CAS
/// engine calls for, if any — the core's decision, so the adapter only sends it
/// ([`crate::tacacs::login::AcctJob`]):
///
/// - only with `accounting` on, and only for sessions authenticated by TACACS+
///   ([`TACACS_SOURCE`]);
/// - [`Effect::SessionStarted`] → START (`task_id`, `start_time`, `timezone`, `service`);
/// - [`Effect::SessionUsed`] → WATCHDOG when [`LoginConfig::watchdog_seconds`] is set and
///   [`watchdog_due`];
/// - [`Effect::SessionEnded`] → STOP with `stop_time` = the session's end (for an expired
///   session the policy's expiry instant), `elapsed_time`, `reason` and the CAS services
///   (§8.3);
/// - anything else (single logout) → `None`.
///
/// `rem_addr` is the client address of the request behind the effect (empty for an alarm).
pub fn accounting_request(cfg: &LoginConfig, effect: &Effect) -> Option<AcctRequest> {
    if !cfg.accounting {
        return None;
    }
    let record = |s: &SessionRecord, reason: Option<EndReason>| AcctRecord {
        username: s.principal.clone(),
        rem_addr: s.client_address.clone().unwrap_or_default(),
        task_id: s.task_id.clone(),
        started: s.started_at,
        services: s.services.clone(),
        reason: reason.map(|r| r.as_str().to_owned()),
    };
    let ours = |s: &SessionRecord| s.source == TACACS_SOURCE;
    match effect {
        Effect::SessionStarted(s) if ours(s) => Some(acct_start(cfg, &record(s, None))),
        Effect::SessionUsed {
            session,
            previous_use,
            now,
        } if ours(session) => {
            let interval = cfg.watchdog_seconds?;
            watchdog_due(session.started_at, *previous_use, *now, interval)
                .then(|| acct_watchdog(cfg, &record(session, None), *now))
        }
        Effect::SessionEnded {
            session,
            reason,
            ended_at,
        } if ours(session) => Some(acct_stop(cfg, &record(session, Some(*reason)), *ended_at)),
        _ => None,
    }
}
