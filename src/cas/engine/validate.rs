//! The validation endpoints (§2.4–§2.9): `/validate`, `/serviceValidate`,
//! `/proxyValidate`, `/p3/*`, with the proxy callback (§2.5.4).

use crate::cas::audit::{AuditEvent, ShortId};
use crate::cas::params::{Params, append_query};
use crate::cas::registry::{PgtUrlCheck, RegisteredService};
use crate::cas::response::{Attributes, Failure, FailureCode, Format, ServiceResponse, Success};
use crate::cas::store::{Store, StoreError};
use crate::cas::ticket::{
    Authentication, Entropy, MAX_PROXY_CHAIN, ProxyGrantingTicket, Ticket, TicketId, TicketKind,
};

use crate::cas::{json, xml};
use crate::time::Timestamp;

use super::{Engine, Reject, accepts_source, fail, failure};

/// The validation endpoints (§2.4–§2.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/validate` (CAS 1.0, §2.4).
    Validate,
    /// `/serviceValidate` (CAS 2.0, §2.5).
    ServiceValidate,
    /// `/proxyValidate` (CAS 2.0, §2.6).
    ProxyValidate,
    /// `/p3/serviceValidate` (CAS 3.0, §2.8).
    P3ServiceValidate,
    /// `/p3/proxyValidate` (CAS 3.0, §2.9).
    P3ProxyValidate,
}

impl Endpoint {
    /// From the path below the CAS prefix: `validate`, `serviceValidate`,
    /// `proxyValidate`, `p3/serviceValidate`, `p3/proxyValidate`.
    pub fn from_path(path: &str) -> Option<Self> {
        Some(match path.trim_start_matches('/') {
            "validate" => Self::Validate,
            "serviceValidate" => Self::ServiceValidate,
            "proxyValidate" => Self::ProxyValidate,
            "p3/serviceValidate" => Self::P3ServiceValidate,
            "p3/proxyValidate" => Self::P3ProxyValidate,
            _ => return None,
        })
    }

    /// Accepts proxy tickets (§2.4, §2.5: `/validate` and `/serviceValidate` MUST NOT).
    pub const fn accepts_proxy_tickets(self) -> bool {
        matches!(self, Self::ProxyValidate | Self::P3ProxyValidate)
    }

    /// Releases attributes (§2.8: the `/p3/` endpoints).
    pub const fn releases_attributes(self) -> bool {
        matches!(self, Self::P3ServiceValidate | Self::P3ProxyValidate)
    }

    /// The path below the CAS prefix ([`Endpoint::from_path`] reads it back), as audit
    /// events name the endpoint.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::ServiceValidate => "serviceValidate",
            Self::ProxyValidate => "proxyValidate",
            Self::P3ServiceValidate => "p3/serviceValidate",
            Self::P3ProxyValidate => "p3/proxyValidate",
        }
    }
}

/// The CAS 1.0 `/validate` answer (§2.4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cas1Response {
    /// Valid.
    Yes {
        /// The principal.
        user: String,
    },
    /// Not valid.
    No,
}

impl Cas1Response {
    /// The body: `yes\n<user>\n` or `no\n\n`. §2.4.2 shows only the first line; CAS 1.0
    /// clients (phpCAS, mod_auth_cas) read the user name from the second, as every CAS
    /// server has always sent it. User names never contain line breaks (the login form
    /// refuses control characters).
    pub fn body(&self) -> String {
        match self {
            Self::Yes { user } => xml::render_validate_v1(Some(user)),
            Self::No => xml::render_validate_v1(None),
        }
    }
}

/// What a validation or `/proxy` endpoint answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationBody {
    /// `/validate`: plain text.
    Cas1(Cas1Response),
    /// Every other endpoint: a `serviceResponse` in `format`.
    Service {
        /// The response value (rendered by `xml`/`json`).
        response: ServiceResponse,
        /// XML or JSON (§2.5.1 `format`).
        format: Format,
    },
}

/// The reply of a validation or `/proxy` endpoint: always HTTP 200 with
/// `Cache-Control: no-store`, whatever the outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationReply {
    /// The body to render.
    pub body: ValidationBody,
    /// The fault behind an `INTERNAL_ERROR`, for logs.
    pub fault: Option<StoreError>,
    /// What happened, for the audit log (docs/audit-log.md): one `st_validated` or
    /// `st_rejected` event for a validation, one `pt_issued` or `proxy_rejected` for
    /// `/proxy`.
    pub audit: Vec<AuditEvent>,
}

impl ValidationReply {
    /// The rendered body: CAS 1.0 text, XML (§2.5.2, Appendix A) or JSON (§2.5.1).
    pub fn render(&self) -> String {
        match &self.body {
            ValidationBody::Cas1(c) => c.body(),
            ValidationBody::Service {
                response,
                format: Format::Xml,
            } => xml::render(response),
            ValidationBody::Service {
                response,
                format: Format::Json,
            } => json::render(response),
        }
    }

    /// The `Content-Type` for the rendered body.
    pub fn content_type(&self) -> &'static str {
        match &self.body {
            ValidationBody::Cas1(_) => "text/plain; charset=UTF-8",
            ValidationBody::Service {
                format: Format::Xml,
                ..
            } => "application/xml; charset=UTF-8",
            ValidationBody::Service {
                format: Format::Json,
                ..
            } => "application/json; charset=UTF-8",
        }
    }

    /// Every header of the reply: `Content-Type` and `Cache-Control: no-store` (a reply
    /// may carry a PGTIOU or a proxy ticket). The status is always 200 (§2.5.2: failures
    /// are `authenticationFailure` bodies).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Content-Type", self.content_type().to_owned()),
            ("Cache-Control", "no-store".to_owned()),
        ]
    }

    /// The successful validation, if it is one.
    pub fn success(&self) -> Option<&Success> {
        match &self.body {
            ValidationBody::Service {
                response: ServiceResponse::AuthenticationSuccess(s),
                ..
            } => Some(s),
            _ => None,
        }
    }

    /// The failure code, if it is a failure (`/validate`'s `no` has none).
    pub fn failure_code(&self) -> Option<FailureCode> {
        match &self.body {
            ValidationBody::Service {
                response:
                    ServiceResponse::AuthenticationFailure(f) | ServiceResponse::ProxyFailure(f),
                ..
            } => Some(f.code),
            _ => None,
        }
    }
}

/// The proxy callback to perform (§2.5.4 step 2): an HTTPS GET of [`ProxyCallback::url`]
/// (the `pgtUrl` with its own parameters kept and `pgtId`/`pgtIou` added). Verify the
/// server certificate (PKIX), bound the time, follow redirects or not, and report the
/// final HTTP status — only 200 counts as success. `Debug` shows only the `pgtUrl`.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyCallback {
    /// The URL to GET (contains the PGT: never log it).
    pub url: String,
    /// The `pgtUrl` as passed (without `pgtId`/`pgtIou`).
    pub pgt_url: String,
}

impl core::fmt::Debug for ProxyCallback {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProxyCallback")
            .field("pgt_url", &self.pgt_url)
            .finish_non_exhaustive()
    }
}

/// A validation waiting for its proxy callback's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingValidation {
    asked: Asked,
    format: Format,
    success: Success,
    pgt: ProxyGrantingTicket,
    iou: TicketId,
}

impl PendingValidation {
    /// The proxy-granting ticket to grant ([`Engine::grant_pgt`]) once the callback
    /// answered `status` (`None`: it could not be reached): only after HTTP 200 (§2.5.4
    /// step 3). An adapter that keeps a session's tickets in one place runs the grant
    /// there (the PGT's `tgt` names the session).
    pub fn to_grant(&self, status: Option<u16>) -> Option<&ProxyGrantingTicket> {
        (status == Some(200)).then_some(&self.pgt)
    }
}

/// The first step of a validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationStep {
    /// Finished: send this.
    Done(ValidationReply),
    /// Perform the callback, then call [`Engine::proxy_callback_result`].
    ProxyCallback {
        /// What to call.
        callback: ProxyCallback,
        /// Hand back with the outcome.
        pending: Box<PendingValidation>,
    },
}

/// What a validation request named, as its audit event shows it: the endpoint, the
/// `service` and the `ticket` (shortened), each `None` when missing, empty or ambiguous.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Asked {
    endpoint: Endpoint,
    service: Option<String>,
    ticket: Option<ShortId>,
}

impl Asked {
    fn new(endpoint: Endpoint, p: Option<&Params>) -> Self {
        Self {
            endpoint,
            service: named(p, "service"),
            ticket: named(p, "ticket").map(|t| ShortId::parse(&t)),
        }
    }

    /// The event of the validation's outcome: validated with a principal, or rejected
    /// with the failure code the response carries (none for `/validate`'s `no`).
    fn event(self, result: &Result<Success, Reject>) -> AuditEvent {
        let endpoint = self.endpoint.path();
        match (result, self.service, self.ticket) {
            (Ok(s), Some(service), Some(ticket)) => AuditEvent::StValidated {
                endpoint,
                service,
                ticket,
                principal: s.user.clone(),
                pgt_issued: s.proxy_granting_ticket.is_some(),
            },
            (result, service, ticket) => AuditEvent::StRejected {
                endpoint,
                service,
                ticket,
                // `/validate` answers a bare `no` (§2.4.2): no code.
                code: match result {
                    _ if self.endpoint == Endpoint::Validate => None,
                    Err(Reject::Fail(f)) => Some(f.code.as_str()),
                    Err(Reject::Fault(_)) => Some(FailureCode::InternalError.as_str()),
                    Ok(_) => None,
                },
            },
        }
    }
}

/// The parameter `name` of a request for its audit event: `None` when the query could not
/// be read, or the parameter is missing, empty or ambiguous.
pub(super) fn named(p: Option<&Params>, name: &'static str) -> Option<String> {
    p.and_then(|p| p.unique(name).ok().flatten())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A consumed (taken, judged) service or proxy ticket.
pub(super) struct Consumed<'r> {
    pub(super) authentication: Authentication,
    pub(super) from_new_login: bool,
    pub(super) proxies: Vec<String>,
    pub(super) tgt: TicketId,
    pub(super) service: &'r RegisteredService,
}

pub(super) fn bool_attr(b: bool) -> Vec<String> {
    vec![if b { "true" } else { "false" }.to_owned()]
}

impl Engine {
    /// Takes a service or proxy ticket and checks it against the request (§2.5.3 codes).
    /// The ticket is consumed whatever the outcome (§3.1.1, §3.2.1).
    pub(super) async fn consume<S: Store>(
        &self,
        store: &S,
        now: Timestamp,
        ticket: &str,
        service: &str,
        accept_proxy: bool,
        renew: bool,
    ) -> Result<Consumed<'_>, Reject> {
        let Ok(id) = TicketId::parse(ticket) else {
            return fail(FailureCode::InvalidTicket, "ticket not recognized");
        };
        if !matches!(id.kind(), TicketKind::Service | TicketKind::Proxy) {
            return fail(FailureCode::InvalidTicket, "not a service or proxy ticket");
        }
        let (authentication, from_new_login, proxies, tgt, issued_for) =
            match store.take(&id).await? {
                Some(Ticket::Service(st)) => {
                    if !self.config.tickets.service_ticket(&st, now).is_valid() {
                        return fail(FailureCode::InvalidTicket, "ticket expired");
                    }
                    (
                        st.authentication,
                        st.from_new_login,
                        Vec::new(),
                        st.tgt,
                        st.service,
                    )
                }
                Some(Ticket::Proxy(pt)) => {
                    if !self.config.tickets.proxy_ticket(&pt, now).is_valid() {
                        return fail(FailureCode::InvalidTicket, "ticket expired");
                    }
                    (pt.authentication, false, pt.proxies, pt.tgt, pt.service)
                }
                _ => return fail(FailureCode::InvalidTicket, "ticket not recognized"),
            };
        // §2.5.3 INVALID_SERVICE: "CAS MUST invalidate the ticket" — it was taken above.
        if issued_for != service {
            return fail(
                FailureCode::InvalidService,
                "ticket was not issued for this service",
            );
        }
        // §2.4, §2.5: a proxy ticket MUST NOT validate here.
        if !accept_proxy && id.kind() == TicketKind::Proxy {
            return fail(
                FailureCode::InvalidTicketSpec,
                "a proxy ticket was passed to an endpoint that accepts only service tickets",
            );
        }
        // §2.5.1 renew; §2.5.3 INVALID_TICKET: "the ticket did not come from an initial
        // login and renew was set on validation".
        if renew && !from_new_login {
            return fail(
                FailureCode::InvalidTicket,
                "renew was requested but the ticket did not come from an initial login",
            );
        }
        let Some(registered) = self.registry.find(service) else {
            return fail(FailureCode::InvalidService, "service is not registered");
        };
        // A service that requires an authentication source accepts no ticket from another
        // (a proxy ticket minted from a PGT of another source, a service ticket issued
        // before the requirement was configured).
        if !accepts_source(registered, &authentication.source) {
            return fail(
                FailureCode::InvalidTicket,
                "the ticket does not come from the authentication source this service requires",
            );
        }
        Ok(Consumed {
            authentication,
            from_new_login,
            proxies,
            tgt,
            service: registered,
        })
    }

    /// The attributes an endpoint releases (§2.5.5, §2.8, Appendix A, §4.1.3).
    pub(super) fn attributes_for(&self, endpoint: Endpoint, c: &Consumed<'_>) -> Attributes {
        if endpoint.releases_attributes() {
            let mut a = c.service.release(&c.authentication.attributes);
            a.extend(protocol_attributes(&c.authentication, c.from_new_login));
            a
        } else if c.authentication.long_term {
            // §4.1.3: remember-me "MUST be provided by all ticket validation methods"
            // (§2.5, §2.6, §2.8) — the CAS 2.0 endpoints get just this one attribute.
            let mut a = Attributes::new();
            a.insert(
                "longTermAuthenticationRequestTokenUsed".to_owned(),
                bool_attr(true),
            );
            a
        } else {
            Attributes::new()
        }
    }

    /// `/validate`, `/serviceValidate`, `/proxyValidate`, `/p3/serviceValidate`,
    /// `/p3/proxyValidate` (§2.4–§2.9), from the raw query string.
    ///
    /// With a `pgtUrl` (not `/validate`), a successful validation returns
    /// [`ValidationStep::ProxyCallback`]; the PGTIOU appears only once the callback
    /// returned 200 (§2.5.4).
    pub async fn validate<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        endpoint: Endpoint,
        query: &[u8],
    ) -> ValidationStep {
        let parsed = Params::parse(query);
        let asked = Asked::new(endpoint, parsed.as_ref().ok());
        let done = |format: Format, r: Result<Success, Reject>| {
            ValidationStep::Done(validation_reply(asked.clone(), format, r))
        };
        let Ok(p) = parsed else {
            return done(
                Format::Xml,
                fail(FailureCode::InvalidRequest, "request too large"),
            );
        };
        let format = if endpoint == Endpoint::Validate {
            Format::Xml
        } else {
            match parse_format(&p) {
                Ok(f) => f,
                Err(f) => return done(Format::Xml, Err(Reject::Fail(f))),
            }
        };
        let (service, ticket, pgt_url) =
            match (p.unique("service"), p.unique("ticket"), p.unique("pgtUrl")) {
                (Ok(Some(s)), Ok(Some(t)), Ok(pgt)) if !s.is_empty() && !t.is_empty() => {
                    (s, t, pgt)
                }
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                    return done(format, fail(FailureCode::InvalidRequest, &e.to_string()));
                }
                _ => {
                    return done(
                        format,
                        fail(
                            FailureCode::InvalidRequest,
                            "'service' and 'ticket' parameters are both required",
                        ),
                    );
                }
            };
        let renew = p.flag("renew");
        let consumed = match self
            .consume(
                store,
                now,
                ticket,
                service,
                endpoint.accepts_proxy_tickets(),
                renew,
            )
            .await
        {
            Ok(c) => c,
            Err(r) => return done(format, Err(r)),
        };
        let success = Success {
            user: consumed.authentication.principal.clone(),
            attributes: self.attributes_for(endpoint, &consumed),
            proxy_granting_ticket: None,
            proxies: consumed.proxies.clone(),
        };
        // CAS 1.0 has no proxying: `pgtUrl` is not a parameter of /validate (§2.4.1).
        let pgt_url = match pgt_url {
            Some(u) if endpoint != Endpoint::Validate && !u.is_empty() => u,
            _ => return done(format, Ok(success)),
        };
        // §2.5.4 step 1 and §2.5.3: the service must be allowed to proxy, and the callback
        // must be https and registered; otherwise validation fails without a PGT.
        match consumed.service.check_pgt_url(pgt_url) {
            PgtUrlCheck::Allowed => {}
            PgtUrlCheck::ServiceNotAuthorized => {
                return done(
                    format,
                    fail(
                        FailureCode::UnauthorizedServiceProxy,
                        "the service is not authorized to obtain proxy-granting tickets",
                    ),
                );
            }
            PgtUrlCheck::InvalidCallback => {
                return done(
                    format,
                    fail(
                        FailureCode::InvalidProxyCallback,
                        "the proxy callback must be a registered https URL",
                    ),
                );
            }
        }
        if consumed.proxies.len() >= MAX_PROXY_CHAIN {
            return done(
                format,
                fail(
                    FailureCode::UnauthorizedServiceProxy,
                    "proxy chain too long",
                ),
            );
        }
        // The proxy identity is the pgtUrl exactly as passed (§2.5.4 step 3).
        let mut proxies = Vec::with_capacity(consumed.proxies.len() + 1);
        proxies.push(pgt_url.to_owned());
        proxies.extend(consumed.proxies.iter().cloned());
        let pgt = ProxyGrantingTicket {
            id: TicketId::generate_in(TicketKind::ProxyGranting, entropy, &consumed.tgt),
            tgt: consumed.tgt.clone(),
            service: service.to_owned(),
            authentication: consumed.authentication.clone(),
            proxies,
            created_at: now,
            last_used_at: now,
        };
        let iou = TicketId::generate(TicketKind::ProxyGrantingIou, entropy);
        // §2.5.4 step 2: pgtId and pgtIou added, the callback's own parameters kept.
        let url = append_query(
            pgt_url,
            &[("pgtId", pgt.id.as_str()), ("pgtIou", iou.as_str())],
        );
        ValidationStep::ProxyCallback {
            callback: ProxyCallback {
                url,
                pgt_url: pgt_url.to_owned(),
            },
            pending: Box::new(PendingValidation {
                asked,
                format,
                success,
                pgt,
                iou,
            }),
        }
    }

    /// Finishes a validation with `pgtUrl` once the callback was tried (§2.5.4 step 3):
    /// `status` is the final HTTP status, `None` if the call failed (TLS, timeout, …).
    /// Only 200 grants the PGT ([`Engine::grant_pgt`]) and puts the PGTIOU in the response;
    /// anything else fails with `INVALID_PROXY_CALLBACK` and no PGT exists.
    pub async fn proxy_callback_result<S: Store>(
        &self,
        store: &S,
        pending: Box<PendingValidation>,
        status: Option<u16>,
    ) -> ValidationReply {
        let granted = match pending.to_grant(status) {
            Some(pgt) => self.grant_pgt(store, pgt).await,
            None => Ok(false),
        };
        self.proxy_callback_granted(pending, status, granted)
    }

    /// Grants the proxy-granting ticket `pgt` of a validation whose callback answered 200
    /// ([`PendingValidation::to_grant`]): notes it in its session's TGT, so that logout
    /// revokes it (§3.3.1), then stores it. `Ok(false)`: the session has ended (or was not
    /// live when the PGT was made), and no PGT exists. The TGT is read and written back
    /// here: an adapter runs this where the session's tickets are, so that no concurrent
    /// SSO, logout or other grant of the session is lost. Noted before it is stored, a PGT
    /// can never outlive a logout unrevoked.
    pub async fn grant_pgt<S: Store>(
        &self,
        store: &S,
        pgt: &ProxyGrantingTicket,
    ) -> Result<bool, StoreError> {
        let Some(Ticket::TicketGranting(mut tgt)) = store.get(&pgt.tgt).await? else {
            return Ok(false);
        };
        if !self
            .config
            .tickets
            .ticket_granting(&tgt, pgt.created_at)
            .is_valid()
        {
            return Ok(false);
        }
        tgt.record_pgt(&pgt.id);
        self.put(store, &Ticket::TicketGranting(tgt)).await?;
        self.put(store, &Ticket::ProxyGranting(pgt.clone())).await?;
        Ok(true)
    }

    /// The reply of a validation with `pgtUrl` whose callback answered `status` and whose
    /// PGT was granted or not (`granted`, [`Engine::grant_pgt`]; ignored unless `status`
    /// is 200).
    pub fn proxy_callback_granted(
        &self,
        pending: Box<PendingValidation>,
        status: Option<u16>,
        granted: Result<bool, StoreError>,
    ) -> ValidationReply {
        let PendingValidation {
            asked,
            format,
            mut success,
            iou,
            ..
        } = *pending;
        let result = match (status, granted) {
            (Some(200), Ok(true)) => {
                success.proxy_granting_ticket = Some(iou.as_str().to_owned());
                Ok(success)
            }
            // §3.3.1: no PGT outlives its session.
            (Some(200), Ok(false)) => Err(Reject::Fail(failure(
                FailureCode::InvalidTicket,
                "the single sign-on session of this ticket has ended",
            ))),
            (Some(200), Err(e)) => Err(Reject::Fault(e)),
            (Some(s), _) => Err(Reject::Fail(failure(
                FailureCode::InvalidProxyCallback,
                format!("the proxy callback returned HTTP {s}, not 200"),
            ))),
            (None, _) => Err(Reject::Fail(failure(
                FailureCode::InvalidProxyCallback,
                "the proxy callback could not be reached",
            ))),
        };
        validation_reply(asked, format, result)
    }
}

/// The CAS 3.0 protocol attributes (Appendix A): `authenticationDate`,
/// `longTermAuthenticationRequestTokenUsed`, `isFromNewLogin`.
///
/// Inserted one by one: a `collect` into a map instantiates a stable sort of its own
/// (≈ 3 KB of wasm, bench/RESULTS.md "Worker").
pub(super) fn protocol_attributes(auth: &Authentication, from_new_login: bool) -> Attributes {
    let mut a = Attributes::new();
    a.insert(
        "authenticationDate".to_owned(),
        vec![auth.authenticated_at.to_rfc3339()],
    );
    a.insert(
        "longTermAuthenticationRequestTokenUsed".to_owned(),
        bool_attr(auth.long_term),
    );
    a.insert("isFromNewLogin".to_owned(), bool_attr(from_new_login));
    a
}

/// The reply of a validation `asked` with its outcome `result`, and its audit event.
fn validation_reply(
    asked: Asked,
    format: Format,
    result: Result<Success, Reject>,
) -> ValidationReply {
    let endpoint = asked.endpoint;
    let audit = vec![asked.event(&result)];
    if endpoint == Endpoint::Validate {
        let (body, fault) = match result {
            Ok(s) => (Cas1Response::Yes { user: s.user }, None),
            Err(Reject::Fail(_)) => (Cas1Response::No, None),
            Err(Reject::Fault(e)) => (Cas1Response::No, Some(e)),
        };
        return ValidationReply {
            body: ValidationBody::Cas1(body),
            fault,
            audit,
        };
    }
    let (response, fault) = match result {
        Ok(s) => (ServiceResponse::AuthenticationSuccess(s), None),
        Err(Reject::Fail(f)) => (ServiceResponse::AuthenticationFailure(f), None),
        Err(Reject::Fault(e)) => (
            ServiceResponse::AuthenticationFailure(failure(
                FailureCode::InternalError,
                "internal error",
            )),
            Some(e),
        ),
    };
    ValidationReply {
        body: ValidationBody::Service { response, format },
        fault,
        audit,
    }
}

/// §2.5.1 `format`: `XML` (default) or `JSON`, case-insensitive; anything else is an
/// `INVALID_REQUEST` ("an error code MUST be returned").
pub(super) fn parse_format(p: &Params) -> Result<Format, Failure> {
    match p.unique("format") {
        Ok(None) => Ok(Format::Xml),
        Ok(Some(f)) if f.eq_ignore_ascii_case("XML") => Ok(Format::Xml),
        Ok(Some(f)) if f.eq_ignore_ascii_case("JSON") => Ok(Format::Json),
        _ => Err(failure(
            FailureCode::InvalidRequest,
            "unsupported format: use XML or JSON",
        )),
    }
}
