//! The audit trail: what happened, as values. The engine emits [`AuditEvent`]s where it
//! decides, and every reply carries them (`WebReply::audit` for `/login` and `/logout`,
//! `ValidationReply::audit` for the validation endpoints and `/proxy`, `SamlReply::audit`
//! for `/samlValidate`); a single-logout request's outcome becomes an event through
//! `LogoutNotice::sent`. The adapter stamps each event with its request id and time and
//! logs it as one JSON object per line (docs/audit-log.md documents the schema). This
//! module holds only the event values and their JSON: it knows no engine and no reply.
//!
//! Never in an event: a password, a whole ticket id (only a [`ShortId`]: the prefix and
//! the first [`SHORT_ID_CHARS`] characters of the random part, enough to correlate log
//! lines, far too few to use), a cookie, a proxy callback URL with its PGT.

use serde::Serialize;

use crate::cas::ticket::TicketId;
use crate::time::Timestamp;

/// Characters of a ticket id's random part kept in a [`ShortId`].
pub const SHORT_ID_CHARS: usize = 8;

/// A ticket id cut to its prefix and the first [`SHORT_ID_CHARS`] characters of its
/// random part (`ST-1a2b3c4d`): it correlates log lines without being usable as a ticket
/// (8 hex digits of a 40-digit secret). An input that is not a ticket id becomes
/// `invalid`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ShortId(String);

impl ShortId {
    /// The short form of `id`.
    pub fn of(id: &TicketId) -> Self {
        let kind = id.kind();
        let rest = id.as_str().get(kind.prefix().len()..).unwrap_or("");
        let kept: String = rest.chars().take(SHORT_ID_CHARS).collect();
        Self(format!("{}{kept}", kind.prefix()))
    }

    /// The short form of an untrusted string naming a ticket (`invalid` if it is not one).
    pub fn parse(s: &str) -> Self {
        TicketId::parse(s).map_or_else(|_| Self("invalid".to_owned()), |id| Self::of(&id))
    }

    /// The shortened id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for ShortId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a login did not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoginFailureReason {
    /// Wrong user name or password (the source said no).
    InvalidCredentials,
    /// The authentication source could not be reached or gave no trustworthy answer.
    SourceUnavailable,
    /// Refused before the password was looked at: the user or address is locked out.
    Locked,
}

/// Why a login POST was refused as a login CSRF before anything was checked
/// (docs/security.md): the first rule it broke, in the order they are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CsrfReason {
    /// `Sec-Fetch-Site: cross-site`: the browser says another site sent it.
    CrossSite,
    /// An `Origin` that is not the CAS server's own.
    ForeignOrigin,
    /// No well-formed binding cookie: the form was not fetched by this browser (or the
    /// browser dropped the cookie).
    MissingBinding,
    /// The login ticket is bound to another browser's cookie (or is not one this server
    /// bound at all).
    BindingMismatch,
}

/// One audit event. Serialized as one JSON object whose `event` field names the variant
/// (`login_success`, …) and whose other fields are named as below (stable: operators
/// alert on them). Optional fields are `null` when unknown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditEvent {
    /// Credentials accepted; a TGT (and, with a service, an ST) was issued (§2.2.4).
    LoginSuccess {
        /// The principal the source returned.
        principal: String,
        /// The authentication source (`users`, `tacacs`, …).
        source: String,
        /// The service logged into, if any.
        service: Option<String>,
        /// The session's ticket-granting ticket.
        tgt: ShortId,
        /// Remember-me (long-term) session (§4.1).
        remember_me: bool,
        /// The client address the platform reported.
        client_address: Option<String>,
    },
    /// Credentials refused, or not checked (lockout, unavailable source). No password.
    LoginFailure {
        /// The user name as typed (trimmed).
        username: String,
        /// The authentication source asked (`null` if none was asked).
        source: Option<String>,
        /// Why.
        reason: LoginFailureReason,
        /// The client address the platform reported.
        client_address: Option<String>,
    },
    /// A login POST refused as a login CSRF (docs/security.md): no password was
    /// checked, no throttle counter moved; the browser got a fresh form.
    LoginCsrfRefused {
        /// Which rule refused it.
        reason: CsrfReason,
        /// The user name posted (trimmed; `null` if empty or unprintable): in a forged
        /// POST, the attacker's account.
        username: Option<String>,
        /// The service of the form, if any.
        service: Option<String>,
        /// The client address the platform reported.
        client_address: Option<String>,
    },
    /// A failed login started a lockout (throttling).
    Lockout {
        /// The user name as typed.
        username: String,
        /// The client address the platform reported.
        client_address: Option<String>,
        /// When the lockout ends (ms since the epoch).
        until: Timestamp,
    },
    /// The authentication source failed (e.g. no TACACS+ server answered correctly).
    AuthSourceError {
        /// The source (`tacacs`, …).
        source: String,
        /// The user whose login it was.
        username: String,
    },
    /// A service ticket was issued (§3.1).
    StIssued {
        /// Its principal.
        principal: String,
        /// The service it is for.
        service: String,
        /// The ticket.
        ticket: ShortId,
        /// The session that issued it.
        tgt: ShortId,
        /// Issued by single sign-on (an existing session), not by a credential login.
        sso: bool,
    },
    /// A service or proxy ticket was validated successfully (§2.5, §2.6, §4.2).
    StValidated {
        /// The endpoint path (`serviceValidate`, …).
        endpoint: &'static str,
        /// The `service` the validator passed.
        service: String,
        /// The ticket.
        ticket: ShortId,
        /// The principal released.
        principal: String,
        /// A proxy-granting ticket was issued with it (§2.5.4).
        pgt_issued: bool,
    },
    /// A validation failed (§2.5.3 code; `null` for `/validate`'s `no`).
    StRejected {
        /// The endpoint path.
        endpoint: &'static str,
        /// The `service` the validator passed, if any.
        service: Option<String>,
        /// The ticket, if one was passed.
        ticket: Option<ShortId>,
        /// The failure code (`INVALID_TICKET`, …).
        code: Option<&'static str>,
    },
    /// A proxy ticket was issued (§2.7).
    PtIssued {
        /// The target service.
        target_service: String,
        /// The proxy ticket.
        ticket: ShortId,
        /// The proxy-granting ticket it came from.
        pgt: ShortId,
    },
    /// A `/proxy` request was refused (§2.7.2 code).
    ProxyRejected {
        /// The target service, if passed.
        target_service: Option<String>,
        /// The proxy-granting ticket, if passed.
        pgt: Option<ShortId>,
        /// The failure code.
        code: &'static str,
    },
    /// A session ended by `/logout` (§2.3).
    Logout {
        /// The principal of the ended session (`null`: no live session).
        principal: Option<String>,
        /// The ended session.
        tgt: Option<ShortId>,
        /// Single-logout requests to send (§2.3.3).
        single_logouts: usize,
    },
    /// A single-logout request was sent (§2.3.3).
    SingleLogoutSent {
        /// The service URL.
        service: String,
        /// Its `SessionIndex` (the service ticket the service had received).
        session_index: ShortId,
        /// The HTTP status it answered (`null`: no answer).
        status: Option<u16>,
    },
}

impl AuditEvent {
    /// The event name (`event` field).
    pub fn name(&self) -> &'static str {
        match self {
            Self::LoginSuccess { .. } => "login_success",
            Self::LoginFailure { .. } => "login_failure",
            Self::LoginCsrfRefused { .. } => "login_csrf_refused",
            Self::Lockout { .. } => "lockout",
            Self::AuthSourceError { .. } => "auth_source_error",
            Self::StIssued { .. } => "st_issued",
            Self::StValidated { .. } => "st_validated",
            Self::StRejected { .. } => "st_rejected",
            Self::PtIssued { .. } => "pt_issued",
            Self::ProxyRejected { .. } => "proxy_rejected",
            Self::Logout { .. } => "logout",
            Self::SingleLogoutSent { .. } => "single_logout_sent",
        }
    }

    /// The event as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn short_id_keeps_prefix_and_eight_characters_only() {
        let id = TicketId::parse("ST-0123456789abcdef0123456789abcdef01234567").unwrap();
        assert_eq!(ShortId::of(&id).as_str(), "ST-01234567");
        let tgt = TicketId::parse("TGT-fedcba9876543210").unwrap();
        assert_eq!(ShortId::of(&tgt).as_str(), "TGT-fedcba98");
        // Shorter than eight: kept as is (issued ids are 32+ hex digits).
        assert_eq!(ShortId::parse("PT-abc").as_str(), "PT-abc");
        assert_eq!(ShortId::parse("nonsense").as_str(), "invalid");
        assert_eq!(ShortId::parse("ST-<script>").as_str(), "invalid");
    }

    /// The events are plain values: this module knows no engine and no reply type, so the
    /// engine and `web` can both use it without a cycle (issue 14).
    #[test]
    fn imports_neither_the_engine_nor_web() {
        let uses = include_str!("audit.rs")
            .lines()
            .filter(|l| l.starts_with("use "))
            .collect::<Vec<_>>();
        assert!(!uses.is_empty());
        for u in uses {
            assert!(!u.contains("cas::engine") && !u.contains("cas::web"), "{u}");
        }
    }

    /// The JSON the adapter logs: `event` first named by the variant, fields as declared,
    /// `null` for an unknown optional field (operators alert on these names).
    #[test]
    fn json_names_the_event_and_its_fields() {
        let e = AuditEvent::StRejected {
            endpoint: "serviceValidate",
            service: None,
            ticket: Some(ShortId::parse("ST-0123456789abcdef")),
            code: Some("INVALID_TICKET"),
        };
        assert_eq!(e.name(), "st_rejected");
        assert_eq!(
            e.to_json().to_string(),
            r#"{"code":"INVALID_TICKET","endpoint":"serviceValidate","event":"st_rejected","service":null,"ticket":"ST-01234567"}"#
        );
        let lock = AuditEvent::Lockout {
            username: "casuser".into(),
            client_address: Some("192.0.2.7".into()),
            until: Timestamp(1_795_331_018_000),
        };
        assert_eq!(
            lock.to_json().to_string(),
            r#"{"client_address":"192.0.2.7","event":"lockout","until":1795331018000,"username":"casuser"}"#
        );
    }
}
