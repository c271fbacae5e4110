//! The audit trail: what happened, as values. The engine puts [`AuditEvent`]s in its
//! `/login` and `/logout` replies ([`WebReply::audit`](crate::cas::web::WebReply::audit));
//! for the validation endpoints and `/proxy`, [`validation`], [`proxy`] and
//! [`saml_validate`] read them off the request and the engine's reply. The adapter stamps
//! each event with its request id and time and logs it as one JSON object per line
//! (README "Audit log" documents the schema).
//!
//! Never in an event: a password, a whole ticket id (only a [`ShortId`]: the prefix and
//! the first [`SHORT_ID_CHARS`] characters of the random part, enough to correlate log
//! lines, far too few to use), a cookie, a proxy callback URL with its PGT.

use serde::Serialize;

use crate::cas::engine::{Endpoint, SamlReply, ValidationBody, ValidationReply};
use crate::cas::params::Params;
use crate::cas::response::ServiceResponse;
use crate::cas::ticket::TicketId;
use crate::cas::web::{LogoutNotice, Response, View};
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

    /// The single-logout request `notice` was sent; `status`: the answer (`None`: none).
    pub fn single_logout_sent(notice: &LogoutNotice, status: Option<u16>) -> Self {
        Self::SingleLogoutSent {
            service: notice.url.clone(),
            session_index: ShortId::of(&notice.session_index),
            status,
        }
    }
}

/// What the adapter knows of a login whose credentials were checked, for
/// [`login_events`].
#[derive(Clone, Debug)]
pub(crate) struct LoginFacts {
    pub(crate) username: String,
    pub(crate) source: String,
    pub(crate) service: Option<String>,
    pub(crate) client_address: Option<String>,
    pub(crate) remember_me: bool,
}

/// The events of a checked login: `principal` is the authenticated principal (`None`:
/// refused), `unavailable` whether the source failed, `reply` what the engine answered.
pub(crate) fn login_events(
    facts: LoginFacts,
    principal: Option<&str>,
    unavailable: bool,
    reply: &crate::cas::web::WebReply,
    now: Timestamp,
) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    if reply.fault.is_some() {
        // A 500 with nothing issued: the adapter logs the fault.
        return out;
    }
    let tgt = reply
        .cookie
        .as_ref()
        .and_then(|c| c.value.as_ref())
        .map(ShortId::of);
    match (principal, tgt) {
        (Some(principal), Some(tgt)) => {
            out.push(AuditEvent::LoginSuccess {
                principal: principal.to_owned(),
                source: facts.source,
                service: facts.service.clone(),
                tgt: tgt.clone(),
                remember_me: facts.remember_me,
                client_address: facts.client_address,
            });
            if let (Some(service), Some(st)) = (facts.service, &reply.service_ticket) {
                out.push(AuditEvent::StIssued {
                    principal: principal.to_owned(),
                    service,
                    ticket: ShortId::of(st),
                    tgt,
                    sso: false,
                });
            }
        }
        _ => {
            if unavailable {
                out.push(AuditEvent::AuthSourceError {
                    source: facts.source.clone(),
                    username: facts.username.clone(),
                });
            }
            let reason = if unavailable {
                LoginFailureReason::SourceUnavailable
            } else {
                LoginFailureReason::InvalidCredentials
            };
            if let Some(until) = lockout_until(reply, now) {
                out.push(AuditEvent::Lockout {
                    username: facts.username.clone(),
                    client_address: facts.client_address.clone(),
                    until,
                });
            }
            out.push(AuditEvent::LoginFailure {
                username: facts.username,
                source: Some(facts.source),
                reason,
                client_address: facts.client_address,
            });
        }
    }
    out
}

/// When the lockout a throttled login form announces ends.
pub(crate) fn lockout_until(
    reply: &crate::cas::web::WebReply,
    now: Timestamp,
) -> Option<Timestamp> {
    match &reply.response {
        Response::Page {
            view: View::LoginForm(form),
            ..
        } => match form.error {
            Some(crate::cas::web::LoginError::Throttled {
                retry_after_seconds,
            }) => Some(now.plus_secs(retry_after_seconds)),
            _ => None,
        },
        _ => None,
    }
}

fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Validate => "validate",
        Endpoint::ServiceValidate => "serviceValidate",
        Endpoint::ProxyValidate => "proxyValidate",
        Endpoint::P3ServiceValidate => "p3/serviceValidate",
        Endpoint::P3ProxyValidate => "p3/proxyValidate",
    }
}

fn param(p: Option<&Params>, name: &'static str) -> Option<String> {
    p.and_then(|p| p.unique(name).ok().flatten())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The event of a validation (`/validate`, `/serviceValidate`, `/proxyValidate`,
/// `/p3/…`): `query` as received, `reply` the engine's final reply.
pub fn validation(endpoint: Endpoint, query: &[u8], reply: &ValidationReply) -> AuditEvent {
    let p = Params::parse(query).ok();
    let service = param(p.as_ref(), "service");
    let ticket = param(p.as_ref(), "ticket").map(|t| ShortId::parse(&t));
    let endpoint = endpoint_name(endpoint);
    let user = match &reply.body {
        ValidationBody::Cas1(crate::cas::engine::Cas1Response::Yes { user }) => Some(user),
        _ => reply.success().map(|s| &s.user),
    };
    match (user, service, ticket) {
        (Some(user), Some(service), Some(ticket)) => AuditEvent::StValidated {
            endpoint,
            service,
            ticket,
            principal: user.clone(),
            pgt_issued: reply
                .success()
                .is_some_and(|s| s.proxy_granting_ticket.is_some()),
        },
        (_, service, ticket) => AuditEvent::StRejected {
            endpoint,
            service,
            ticket,
            code: reply.failure_code().map(|c| c.as_str()),
        },
    }
}

/// The event of a `/proxy` request (§2.7).
pub fn proxy(query: &[u8], reply: &ValidationReply) -> AuditEvent {
    let p = Params::parse(query).ok();
    let target_service = param(p.as_ref(), "targetService");
    let pgt = param(p.as_ref(), "pgt").map(|t| ShortId::parse(&t));
    match (&reply.body, target_service, pgt) {
        (
            ValidationBody::Service {
                response: ServiceResponse::ProxySuccess { proxy_ticket },
                ..
            },
            Some(target_service),
            Some(pgt),
        ) => AuditEvent::PtIssued {
            target_service,
            ticket: ShortId::parse(proxy_ticket),
            pgt,
        },
        (_, target_service, pgt) => AuditEvent::ProxyRejected {
            target_service,
            pgt,
            code: reply
                .failure_code()
                .map_or("INTERNAL_ERROR", |c| c.as_str()),
        },
    }
}

/// The event of a `/samlValidate` request (§4.2): `body` is the request body (the SAML
/// request with the assertion artifact, i.e. the ticket).
pub fn saml_validate(body: &[u8], reply: &SamlReply) -> AuditEvent {
    let ticket = core::str::from_utf8(body)
        .ok()
        .and_then(|b| crate::cas::saml::parse_request(b).ok())
        .map(|r| ShortId::parse(&r.assertion_artifact));
    let service = Some(reply.recipient.clone()).filter(|s| !s.is_empty());
    match (&reply.outcome, service, ticket) {
        (Ok(success), Some(service), Some(ticket)) => AuditEvent::StValidated {
            endpoint: "samlValidate",
            service,
            ticket,
            principal: success.user.clone(),
            pgt_issued: false,
        },
        (outcome, service, ticket) => AuditEvent::StRejected {
            endpoint: "samlValidate",
            service,
            ticket,
            code: outcome.as_ref().err().map(|f| f.code.as_str()),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::cas::auth::{AuthFailure, AuthResult, UserStore};
    use crate::cas::demo;
    use crate::cas::engine::{Engine, LoginStep, ValidationStep};
    use crate::cas::store::{MemoryStore, now_or_never};
    use crate::cas::ticket::DeterministicEntropy;
    use crate::cas::web::{HttpRequest, Method, WebReply};

    const SERVICE: &str = "http://127.0.0.1:9000/app";
    const SERVICE_Q: &str = "service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp";
    const NOW: Timestamp = Timestamp(1_795_331_018_000);

    fn run<F: core::future::Future>(f: F) -> F::Output {
        now_or_never(f).unwrap()
    }

    struct Fx {
        engine: Engine,
        users: UserStore,
        store: MemoryStore,
        entropy: DeterministicEntropy,
    }

    impl Fx {
        fn new() -> Self {
            Self {
                engine: Engine::from_json(demo::ENGINE_JSON).unwrap(),
                users: UserStore::from_json(demo::USERS_JSON).unwrap(),
                store: MemoryStore::new(),
                entropy: DeterministicEntropy::new(7),
            }
        }

        fn get(&mut self, query: &str, cookie: Option<&str>) -> WebReply {
            let req = HttpRequest {
                query: query.as_bytes(),
                cookie,
                ..Default::default()
            };
            let step = run(self.engine.login(&self.store, &mut self.entropy, NOW, &req));
            let LoginStep::Reply(r) = step else {
                panic!("a GET is answered at once")
            };
            r
        }

        /// POSTs credentials; `answer` overrides the user store's verdict.
        fn post(&mut self, password: &str, answer: Option<AuthResult>) -> WebReply {
            let form = self.get(SERVICE_Q, None);
            let crate::cas::web::Response::Page {
                view: View::LoginForm(form),
                ..
            } = form.response
            else {
                panic!("a login form")
            };
            let body = format!(
                "username=casuser&password={password}&lt={}&{SERVICE_Q}",
                form.login_ticket.as_str()
            );
            let req = HttpRequest {
                method: Method::Post,
                body: body.as_bytes(),
                client_address: Some("192.0.2.7"),
                ..Default::default()
            };
            match run(self.engine.login(&self.store, &mut self.entropy, NOW, &req)) {
                LoginStep::Authenticate { request, pending } => {
                    let result = answer.unwrap_or_else(|| self.users.answer(&request));
                    run(self.engine.login_authenticated(
                        &self.store,
                        &mut self.entropy,
                        NOW,
                        pending,
                        result,
                    ))
                }
                LoginStep::Reply(r) => r,
            }
        }

        fn validate(&mut self, endpoint: Endpoint, query: &str) -> ValidationReply {
            let step = run(self.engine.validate(
                &self.store,
                &mut self.entropy,
                NOW,
                endpoint,
                query.as_bytes(),
            ));
            let ValidationStep::Done(r) = step else {
                panic!("no proxy callback asked")
            };
            r
        }
    }

    fn names(events: &[AuditEvent]) -> Vec<&'static str> {
        events.iter().map(AuditEvent::name).collect()
    }

    /// Every event's JSON: `event` equals its name, no whole ticket, no password.
    fn json_of(events: &[AuditEvent], secrets: &[&str]) -> String {
        let mut out = String::new();
        for e in events {
            let j = e.to_json();
            assert_eq!(j["event"], e.name());
            let line = j.to_string();
            for s in secrets {
                assert!(!line.contains(s), "{line} leaks {s}");
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

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

    #[test]
    fn login_validate_sso_logout_trail_2_2_4_2_5_2_3() {
        let mut f = Fx::new();
        let reply = f.post("Mellon", None);
        assert_eq!(reply.status(), 303);
        let st = reply.service_ticket.clone().unwrap();
        let tgt = reply.cookie.clone().unwrap().value.unwrap();
        assert_eq!(names(&reply.audit), ["login_success", "st_issued"]);
        let json = json_of(&reply.audit, &["Mellon", st.as_str(), tgt.as_str()]);
        assert!(json.contains(r#""principal":"casuser""#), "{json}");
        assert!(json.contains(&format!(r#""ticket":"{}""#, &st.as_str()[..11])));
        assert!(json.contains(r#""sso":false"#));
        assert!(json.contains(r#""client_address":"192.0.2.7""#));

        let q = format!("{SERVICE_Q}&ticket={}", st.as_str());
        let v = f.validate(Endpoint::P3ServiceValidate, &q);
        let e = validation(Endpoint::P3ServiceValidate, q.as_bytes(), &v);
        assert_eq!(e.name(), "st_validated");
        let json = json_of(std::slice::from_ref(&e), &[st.as_str()]);
        assert!(
            json.contains(r#""endpoint":"p3/serviceValidate""#),
            "{json}"
        );
        assert!(json.contains(&format!(r#""service":"{SERVICE}""#)));

        // §3.1.1: used once; the second validation is rejected, and audited as such.
        let v = f.validate(Endpoint::ServiceValidate, &q);
        let e = validation(Endpoint::ServiceValidate, q.as_bytes(), &v);
        let AuditEvent::StRejected { code, ticket, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*code, Some("INVALID_TICKET"));
        assert_eq!(ticket.as_ref().unwrap().as_str(), &st.as_str()[..11]);
        // CAS 1.0 `no` has no code.
        let v = f.validate(Endpoint::Validate, &q);
        let e = validation(Endpoint::Validate, q.as_bytes(), &v);
        assert!(
            matches!(e, AuditEvent::StRejected { code: None, .. }),
            "{e:?}"
        );

        // SSO (§2.1.5): an ST from the session, with its principal.
        let cookie = format!("TGC-casplus={}", tgt.as_str());
        let sso = f.get(SERVICE_Q, Some(&cookie));
        assert_eq!(sso.status(), 302);
        let st2 = sso.service_ticket.clone().unwrap();
        assert_eq!(names(&sso.audit), ["st_issued"]);
        let json = json_of(&sso.audit, &[st2.as_str(), tgt.as_str()]);
        assert!(
            json.contains(r#""sso":true"#) && json.contains("casuser"),
            "{json}"
        );

        // Logout (§2.3): the ended session and its single-logout count.
        let req = HttpRequest {
            cookie: Some(&cookie),
            ..Default::default()
        };
        let out = run(f.engine.logout(&f.store, &mut f.entropy, NOW, &req));
        let [
            AuditEvent::Logout {
                principal,
                tgt: Some(short),
                single_logouts,
            },
        ] = out.audit.as_slice()
        else {
            panic!("{:?}", out.audit)
        };
        assert_eq!(principal.as_deref(), Some("casuser"));
        assert_eq!(short.as_str(), &tgt.as_str()[..12]);
        let notices: Vec<_> = out
            .effects
            .iter()
            .filter_map(|e| match e {
                crate::cas::web::Effect::SingleLogout(n) => Some(n),
                _ => None,
            })
            .collect();
        assert_eq!(*single_logouts, notices.len());
        assert_eq!(*single_logouts, 2, "two STs were issued to an SLO service");
        let notice = notices[0];
        let sent = AuditEvent::single_logout_sent(notice, Some(200));
        json_of(&[sent], &[notice.session_index.as_str()]);

        // Logging out again: no session.
        let again = run(f.engine.logout(&f.store, &mut f.entropy, NOW, &req));
        assert!(matches!(
            again.audit.as_slice(),
            [AuditEvent::Logout {
                principal: None,
                tgt: None,
                single_logouts: 0
            }]
        ));
    }

    #[test]
    fn failures_lockout_and_unavailable_source_never_log_the_password() {
        let mut f = Fx::new();
        let reply = f.post("Wrong-Pass", None);
        assert_eq!(reply.status(), 401);
        assert_eq!(names(&reply.audit), ["login_failure"]);
        let json = json_of(&reply.audit, &["Wrong-Pass"]);
        assert!(json.contains(r#""reason":"invalid_credentials""#), "{json}");
        assert!(json.contains(r#""username":"casuser""#));

        // The default policy locks a user out at the fifth failure within the window.
        let mut last = reply;
        for _ in 0..4 {
            last = f.post("Wrong-Pass", None);
        }
        assert_eq!(last.status(), 429);
        assert_eq!(names(&last.audit), ["lockout", "login_failure"]);
        let AuditEvent::Lockout { until, .. } = &last.audit[0] else {
            panic!()
        };
        assert!(*until > NOW);
        // Locked: refused before the password is looked at.
        let locked = f.post("Mellon", None);
        assert_eq!(locked.status(), 429);
        let [AuditEvent::LoginFailure { reason, source, .. }] = locked.audit.as_slice() else {
            panic!("{:?}", locked.audit)
        };
        assert_eq!(*reason, LoginFailureReason::Locked);
        assert_eq!(*source, None);
        json_of(&locked.audit, &["Mellon"]);

        let mut f = Fx::new();
        let down = f.post(
            "Mellon",
            Some(AuthResult::Rejected(AuthFailure::Unavailable)),
        );
        assert_eq!(down.status(), 503);
        assert_eq!(names(&down.audit), ["auth_source_error", "login_failure"]);
        let json = json_of(&down.audit, &["Mellon"]);
        assert!(json.contains(r#""reason":"source_unavailable""#), "{json}");
    }

    #[test]
    fn proxy_events_shorten_both_tickets_2_7() {
        let pt = "PT-00112233445566778899aabbccddeeff00112233";
        let pgt = "PGT-99887766554433221100ffeeddccbbaa99887766";
        let ok = ValidationReply {
            body: ValidationBody::Service {
                response: ServiceResponse::ProxySuccess {
                    proxy_ticket: pt.to_owned(),
                },
                format: crate::cas::response::Format::Xml,
            },
            fault: None,
        };
        let q = format!("pgt={pgt}&targetService=http%3A%2F%2F127.0.0.1%2Fb");
        let e = proxy(q.as_bytes(), &ok);
        let json = json_of(std::slice::from_ref(&e), &[pt, pgt]);
        assert!(json.contains(r#""ticket":"PT-00112233""#), "{json}");
        assert!(json.contains(r#""pgt":"PGT-99887766""#), "{json}");
        assert!(
            json.contains(r#""target_service":"http://127.0.0.1/b""#),
            "{json}"
        );
        let mut f = Fx::new();
        let refused = run(f.engine.proxy(&f.store, &mut f.entropy, NOW, q.as_bytes()));
        let e = proxy(q.as_bytes(), &refused);
        assert!(
            matches!(
                e,
                AuditEvent::ProxyRejected {
                    code: "INVALID_TICKET",
                    ..
                }
            ),
            "{e:?}"
        );
    }
}
