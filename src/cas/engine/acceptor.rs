//! The credential acceptor of `/login` (§2.2): a POST with `username`, `password` and
//! `lt`, throttled before any password is looked at (a place reserved on every throttle
//! counter), then finished once the credentials were checked (the places settled) — with
//! the audit events of the outcome.

use crate::cas::audit::{AuditEvent, LoginFailureReason, ShortId};
use crate::cas::auth::{AuthFailure, AuthRequest, AuthResult};
use crate::cas::params::{Params, cookie_values};
use crate::cas::store::{Store, StoreError};
use crate::cas::throttle::{ThrottleKey, ThrottleOp, Verdict};
use crate::cas::ticket::{
    Authentication, Entropy, LoginPurpose, LoginTicket, Ticket, TicketGrantingTicket, TicketId,
    TicketKind,
};
use crate::cas::web::{
    Effect, EndReason, Fault, HttpRequest, LoginError, Response, ResponseMethod, SessionRecord,
    View, WebReply, fields,
};
use crate::password::Password;

use crate::time::Timestamp;

use super::binding::{Binding, FormBinding, foreign_request};
use super::login::{LoginStep, bad_request, service_and_method, sso_issued, unknown_service};
use super::login_ticket::{self, FormContext};
use super::{Engine, accepts_source, is_clean_name};

/// A login waiting for its credentials to be checked. Serializable, so that an adapter can
/// finish it where the session it replaces lives ([`PendingLogin::session`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingLogin {
    service: Option<String>,
    method: Option<ResponseMethod>,
    warn: bool,
    remember_me: bool,
    username: String,
    source: String,
    client_address: Option<String>,
    existing_tgt: Option<TicketId>,
    https: bool,
    /// The binding cookie the POST's login ticket verified under (`binding.rs`): a form
    /// shown again after a failure is bound to the same browser.
    binding: Binding,
    /// The session route the login ticket reserved (`login_ticket.rs`): the new session
    /// opens under it, where the ticket was spent.
    route: String,
}

impl PendingLogin {
    /// The SSO session (TGT) this login replaces: the one the request's ticket-granting
    /// cookie named, if any. [`Engine::login_authenticated`] reads it, revokes it and carries
    /// its services over to the new TGT (issue 20 item 6); an adapter that keeps a session's
    /// tickets in one place runs that call there, like an SSO or a logout of the session
    /// ([`Engine::cookie_session`]), so that no concurrent SSO of the old session works
    /// from a copy the rotation has already replaced.
    pub fn session(&self) -> Option<&TicketId> {
        self.existing_tgt.as_ref()
    }
}

/// A warn confirmation (§2.2.1 `warn`) whose login ticket was taken: the SSO it confirms
/// reads and extends the session's TGT, so an adapter that keeps a session's tickets in
/// one place runs [`Engine::confirm_warned`] there ([`PendingConfirm::session`]), like an
/// SSO: no concurrent SSO, logout or PGT note of the session can then be lost.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingConfirm {
    tgt: TicketId,
    service: String,
    method: Option<ResponseMethod>,
    client_address: Option<String>,
    https: bool,
    /// The binding the confirmation's login ticket verified under (`binding.rs`): a form
    /// shown instead is bound to the same browser.
    binding: Binding,
}

impl PendingConfirm {
    /// The SSO session (TGT) the confirmation extends.
    pub fn session(&self) -> &TicketId {
        &self.tgt
    }
}

impl Engine {
    /// Finishes a warn confirmation ([`LoginStep::Confirm`]): when the cookie's session is
    /// still live and accepted by the service, a service ticket from it (303); otherwise
    /// a fresh login form.
    pub async fn confirm_warned<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        pending: PendingConfirm,
    ) -> WebReply {
        let PendingConfirm {
            tgt: tgt_id,
            service,
            method,
            client_address,
            https,
            binding,
        } = pending;
        let binding = FormBinding {
            existing: Some(&binding.0),
            https,
        };
        let Some(registered) = self.browser_service(&service) else {
            return unknown_service(&service);
        };
        let tgt = match store.get(&tgt_id).await {
            Ok(Some(Ticket::TicketGranting(t))) => Some(t),
            Ok(_) => None,
            Err(e) => return WebReply::fault(Fault::Store(e)),
        };
        let tgt = tgt.filter(|t| {
            self.config.tickets.ticket_granting(t, now).is_valid()
                && accepts_source(registered, &t.authentication.source)
        });
        let Some(mut tgt) = tgt else {
            return self.confirm_expired(entropy, now, binding, &service, method);
        };
        let previous_use = tgt.last_used_at;
        match self
            .issue_service_ticket(store, entropy, now, &mut tgt, &service, false)
            .await
        {
            Ok(st) => {
                let event = sso_issued(&tgt, &service, &st);
                let used = self.session_used(&tgt, previous_use, now, client_address.as_deref());
                let mut r = WebReply::with_ticket(method.unwrap_or_default(), &service, st, 303);
                r.effects.extend(used);
                r.audit.push(event);
                r
            }
            Err(e) => WebReply::fault(Fault::Store(e)),
        }
    }

    /// The answer to a warn confirmation that no longer holds: a fresh form.
    fn confirm_expired(
        &self,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        binding: FormBinding<'_>,
        service: &str,
        method: Option<ResponseMethod>,
    ) -> WebReply {
        self.form_expired(entropy, now, binding, 200, Some(service), method)
    }

    /// A fresh form saying the one posted has expired, with `status`: 403 for a POST whose
    /// login ticket is stale, used or not for it, 200 for a warn confirmation that no
    /// longer holds ([`Self::confirm_expired`]).
    fn form_expired(
        &self,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        binding: FormBinding<'_>,
        status: u16,
        service: Option<&str>,
        method: Option<ResponseMethod>,
    ) -> WebReply {
        self.login_form(
            entropy,
            now,
            binding,
            status,
            service,
            method,
            Some(LoginError::FormExpired),
            None,
        )
    }

    /// The credential acceptor (§2.2), up to the point where credentials must be checked.
    pub(super) async fn acceptor<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        p: &Params,
        request: &HttpRequest<'_>,
    ) -> LoginStep {
        let (service, method) = match service_and_method(p) {
            Ok(x) => x,
            Err(reason) => return LoginStep::Reply(bad_request(reason)),
        };
        let registered = match service {
            Some(s) => match self.browser_service(s) {
                Some(r) => Some(r),
                None => return LoginStep::Reply(unknown_service(s)),
            },
            None => None,
        };
        let lt_value = match (p.unique(fields::LT), p.unique(fields::EXECUTION)) {
            (Ok(Some(v)), _) | (Ok(None), Ok(Some(v))) => Some(v),
            _ => None,
        };
        // Login CSRF (`binding.rs`): a POST its browser says came from another site is
        // refused before its login ticket is even read.
        let foreign = foreign_request(request);
        let lt_id = lt_value
            .and_then(|v| TicketId::parse(v).ok())
            .filter(|id| id.kind() == TicketKind::Login);
        // The login ticket must verify under this browser's binding cookie: refused, like
        // a cross-site POST, before any throttle counter moves and before any password is
        // looked at. `Err(None)`: no login ticket this server could have issued (the
        // expired form of §3.5.1); `Err(Some(_))`: a login CSRF.
        let checked = match (foreign, &lt_id) {
            (Some(reason), _) => Err(Some(reason)),
            (None, Some(id)) => match login_ticket::parts(id.as_str()) {
                Some(parts) => self
                    .verify_binding(request, &parts)
                    .map(|verified| (id, parts, verified))
                    .map_err(Some),
                None => Err(None),
            },
            (None, None) => Err(None),
        };
        let (lt_id, parts, verified) = match checked {
            Ok(checked) => checked,
            Err(reason) => {
                let error = match reason {
                    Some(_) => LoginError::NotThisBrowser,
                    None => LoginError::FormExpired,
                };
                let event = reason.map(|reason| AuditEvent::LoginCsrfRefused {
                    reason,
                    username: p
                        .unique(fields::USERNAME)
                        .ok()
                        .flatten()
                        .map(str::trim)
                        .filter(|u| !u.is_empty() && is_clean_name(u))
                        .map(str::to_owned),
                    service: service.map(str::to_owned),
                    client_address: request.client_address.map(str::to_owned),
                });
                let reply = self.login_form(
                    entropy,
                    now,
                    self.form_binding(request),
                    403,
                    service,
                    method,
                    Some(error),
                    None,
                );
                return LoginStep::Reply(with_events(reply, event.into_iter().collect()));
            }
        };
        let binding = FormBinding {
            existing: Some(verified),
            https: request.https,
        };

        // What the ticket was issued for: this service, and for a warn confirmation the
        // session the request's cookie names (`login_ticket.rs`, the context MAC).
        let purpose = if parts.is_warn() {
            request
                .cookie
                .map(|c| cookie_values(c, &self.cookie_name(request.https)))
                .unwrap_or_default()
                .into_iter()
                .take(3)
                .find(|tgt| {
                    let context = FormContext {
                        service,
                        tgt: Some(tgt),
                    };
                    parts.issued_for(verified, context)
                })
                .and_then(|tgt| TicketId::parse(tgt).ok())
                .map(|tgt| LoginPurpose::WarnConfirm { tgt })
        } else {
            let context = FormContext { service, tgt: None };
            parts
                .issued_for(verified, context)
                .then_some(LoginPurpose::Credentials)
        };
        let lt = purpose
            .map(|purpose| LoginTicket {
                id: lt_id.clone(),
                purpose,
                service: service.map(str::to_owned),
                created_at: parts.issued_at(),
            })
            .filter(|lt| self.config.tickets.login_ticket(lt, now).is_valid());
        // §3.5.1: the login ticket is valid for one authentication attempt, whatever its
        // outcome — spent first (stored now, so no second POST can spend it).
        let lt = match lt.map(Ticket::Login) {
            Some(ticket) => match store
                .put_new(&ticket, self.config.tickets.expires_at(&ticket))
                .await
            {
                Ok(true) => Some(ticket),
                Ok(false) => None,
                Err(e) => return LoginStep::Reply(WebReply::fault(Fault::Store(e))),
            },
            None => None,
        };
        let Some(Ticket::Login(lt)) = lt else {
            // Stale, used, or for another service or session.
            let reply = match service {
                Some(service) if parts.is_warn() => {
                    self.confirm_expired(entropy, now, binding, service, method)
                }
                _ => self.form_expired(entropy, now, binding, 403, service, method),
            };
            return LoginStep::Reply(reply);
        };

        if let LoginPurpose::WarnConfirm { tgt: tgt_id } = &lt.purpose {
            let (Some(service), Some(_)) = (service, registered) else {
                return LoginStep::Reply(
                    self.form_expired(entropy, now, binding, 403, service, method),
                );
            };
            // The TGT is read and extended where the session's tickets live (the cookie
            // names it: the ticket's context says so): the adapter hands the
            // confirmation there ([`PendingConfirm::session`]).
            return LoginStep::Confirm {
                pending: PendingConfirm {
                    tgt: tgt_id.clone(),
                    service: service.to_owned(),
                    method,
                    client_address: request.client_address.map(str::to_owned),
                    https: request.https,
                    binding: Binding(verified.to_owned()),
                },
            };
        }

        // Surrounding whitespace is a typing accident, not part of a user name.
        let username = p
            .unique(fields::USERNAME)
            .ok()
            .flatten()
            .unwrap_or("")
            .trim();
        let password = p.unique(fields::PASSWORD).ok().flatten().unwrap_or("");
        if username.is_empty() || password.is_empty() {
            let keep = is_clean_name(username).then(|| username.to_owned());
            return LoginStep::Reply(self.login_form(
                entropy,
                now,
                binding,
                400,
                service,
                method,
                Some(LoginError::MissingCredentials),
                keep,
            ));
        }

        // Throttling: a place is reserved on every counter before any password is looked
        // at, in one atomic step per counter (issue 20: no check-then-act).
        let keys = self.throttle_keys(username, request.client_address);
        let locked_until = match self.reserve(store, &keys, now).await {
            Ok(refused) => refused,
            Err(e) => return LoginStep::Reply(WebReply::fault(Fault::Store(e))),
        };
        if let Some(until) = locked_until {
            let keep = is_clean_name(username).then(|| username.to_owned());
            let mut reply = self.login_form(
                entropy,
                now,
                binding,
                429,
                service,
                method,
                Some(throttled(until, now)),
                keep,
            );
            reply.audit.push(AuditEvent::LoginFailure {
                username: username.to_owned(),
                source: None,
                reason: LoginFailureReason::Locked,
                client_address: request.client_address.map(str::to_owned),
            });
            return LoginStep::Reply(reply);
        }

        if !is_clean_name(username) {
            if let Err(e) = self
                .settle(store, &keys, now, |_| ThrottleOp::Failure)
                .await
            {
                return LoginStep::Reply(WebReply::fault(Fault::Store(e)));
            }
            return LoginStep::Reply(self.login_form(
                entropy,
                now,
                binding,
                401,
                service,
                method,
                Some(LoginError::InvalidCredentials),
                None,
            ));
        }

        let source = registered
            .and_then(|r| r.definition().authentication_source.clone())
            .unwrap_or_else(|| self.config.default_source.clone());
        let existing_tgt = request
            .cookie
            .map(|h| cookie_values(h, &self.config.cookie.name))
            .unwrap_or_default()
            .into_iter()
            .find_map(|v| TicketId::parse(v).ok())
            .filter(|id| id.kind() == TicketKind::TicketGranting);
        LoginStep::Authenticate {
            request: AuthRequest {
                username: username.to_owned(),
                password: Password::new(password),
                source: source.clone(),
                service: service.map(str::to_owned),
            },
            pending: PendingLogin {
                service: service.map(str::to_owned),
                method,
                warn: p.flag(fields::WARN),
                remember_me: p.flag(fields::REMEMBER_ME),
                username: username.to_owned(),
                source,
                client_address: request.client_address.map(str::to_owned),
                existing_tgt,
                https: request.https,
                binding: Binding(verified.to_owned()),
                route: parts.route().to_owned(),
            },
        }
    }

    /// Reserves a place for one attempt on each of `keys` (`cas::throttle`, "Atomic
    /// attempts"): `None` when every counter admitted it, else the end of the refusal
    /// (the places already taken are released).
    async fn reserve<S: Store>(
        &self,
        store: &S,
        keys: &[ThrottleKey],
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let policy = &self.config.throttle;
        if !policy.enabled {
            return Ok(None);
        }
        for (i, key) in keys.iter().enumerate() {
            let attempt = policy.update(ThrottleOp::Attempt, key, now);
            if let Verdict::Locked { until } =
                store.update_throttle(&key.storage_key(), &attempt).await?
            {
                let taken = keys.get(..i).unwrap_or_default();
                self.settle(store, taken, now, |_| ThrottleOp::Release)
                    .await?;
                return Ok(Some(until));
            }
        }
        Ok(None)
    }

    /// Settles an attempt reserved on `keys` with the operation `op` picks for each; the
    /// end of the lockout this started, if any.
    pub(super) async fn settle<S: Store>(
        &self,
        store: &S,
        keys: &[ThrottleKey],
        now: Timestamp,
        op: fn(&ThrottleKey) -> ThrottleOp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let policy = &self.config.throttle;
        if !policy.enabled {
            return Ok(None);
        }
        let mut locked = None;
        for key in keys {
            let update = policy.update(op(key), key, now);
            if let Verdict::Locked { until } =
                store.update_throttle(&key.storage_key(), &update).await?
            {
                locked = locked.max(Some(until));
            }
        }
        Ok(locked)
    }

    /// Finishes a `/login` POST once the credentials were checked (§2.2.4): on success a
    /// TGT (and TGC) and, with a service, a service ticket by redirect (303 after POST,
    /// Appendix B); on failure the form again with an error and no ticket. The reply's
    /// [`WebReply::audit`] says what happened (login success or failure, lockout,
    /// unavailable source, ST issued).
    pub async fn login_authenticated<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        pending: PendingLogin,
        result: AuthResult,
    ) -> WebReply {
        let service = pending.service.as_deref();
        let keys = self.throttle_keys(&pending.username, pending.client_address.as_deref());
        let (result, source_message) = match result {
            AuthResult::Refused { failure, message } => {
                let shown =
                    (failure != AuthFailure::Unavailable && !message.is_empty()).then_some(message);
                (AuthResult::Rejected(failure), shown)
            }
            other => (other, None),
        };
        let (principal, attributes) = match result {
            AuthResult::Authenticated {
                principal,
                attributes,
            } => (principal, attributes),
            other => {
                // One form for both outcomes without a principal (one `login_form` future
                // in the wasm instead of two).
                let (status, error, events, source_message) = match other {
                    AuthResult::Rejected(AuthFailure::Unavailable) | AuthResult::Refused { .. } => {
                        // No verdict on the password: not a failure, the places are released.
                        if let Err(e) = self
                            .settle(store, &keys, now, |_| ThrottleOp::Release)
                            .await
                        {
                            return WebReply::fault(Fault::Store(e));
                        }
                        let events = vec![
                            AuditEvent::AuthSourceError {
                                source: pending.source.clone(),
                                username: pending.username.clone(),
                            },
                            pending.failure(LoginFailureReason::SourceUnavailable),
                        ];
                        (503, LoginError::SourceUnavailable, events, None)
                    }
                    _ => {
                        let mut events = Vec::new();
                        let settled = self
                            .settle(store, &keys, now, |_| ThrottleOp::Failure)
                            .await;
                        let (status, error) = match settled {
                            Ok(Some(until)) => {
                                events.push(AuditEvent::Lockout {
                                    username: pending.username.clone(),
                                    client_address: pending.client_address.clone(),
                                    until: now.plus_secs(retry_after(until, now)),
                                });
                                (429, throttled(until, now))
                            }
                            Ok(None) => (401, LoginError::InvalidCredentials),
                            Err(e) => return WebReply::fault(Fault::Store(e)),
                        };
                        events.push(pending.failure(LoginFailureReason::InvalidCredentials));
                        (status, error, events, source_message)
                    }
                };
                let mut reply = self.login_form(
                    entropy,
                    now,
                    FormBinding {
                        existing: Some(&pending.binding.0),
                        https: pending.https,
                    },
                    status,
                    service,
                    pending.method,
                    Some(error),
                    Some(pending.username),
                );
                if let Response::Page {
                    view: View::LoginForm(form),
                    ..
                } = &mut reply.response
                {
                    form.source_message = source_message;
                }
                return with_events(reply, events);
            }
        };
        if !is_clean_name(&principal) {
            return WebReply::fault(Fault::InvalidPrincipal);
        }
        // The user's counters start afresh; the address only gets its place back.
        let success = |key: &ThrottleKey| match key {
            ThrottleKey::Address(_) => ThrottleOp::Release,
            ThrottleKey::Username(_) | ThrottleKey::Pair { .. } => ThrottleOp::Reset,
        };
        if let Err(e) = self.settle(store, &keys, now, success).await {
            return WebReply::fault(Fault::Store(e));
        }

        let long_term = pending.remember_me && self.config.remember_me;
        let authentication = Authentication {
            principal,
            attributes,
            authenticated_at: now,
            long_term,
            source: pending.source.clone(),
        };
        let mut effects = Vec::new();
        let existing = match &pending.existing_tgt {
            Some(id) => match store.get(id).await {
                Ok(Some(Ticket::TicketGranting(t))) => Some(t),
                Ok(_) => None,
                Err(e) => return WebReply::fault(Fault::Store(e)),
            },
            None => None,
        };
        // Every credential login gets a new TGT id, so a stolen cookie does not survive
        // the victim's next login. A renewed login by the same principal carries the
        // session's services over (single logout still reaches them) and revokes the old
        // TGT and its PGTs; another principal's session is ended first.
        let client_address = pending.client_address.as_deref();
        let mut tgt = match existing {
            Some(old)
                if old.authentication.principal == authentication.principal
                    && self.config.tickets.ticket_granting(&old, now).is_valid() =>
            {
                if let Err(e) = self.revoke(store, &old).await {
                    return WebReply::fault(Fault::Store(e));
                }
                // The session goes on under a new accounting task (new `created_at`).
                effects.extend(self.lifecycle(|| Effect::SessionEnded {
                    session: SessionRecord::of(&old, client_address),
                    reason: EndReason::Renewed,
                    ended_at: now,
                }));
                TicketGrantingTicket {
                    id: TicketId::generate_session(entropy, Some(&pending.route)),
                    authentication,
                    created_at: now,
                    last_used_at: now,
                    warn: pending.warn,
                    services: old.services,
                    proxy_granting_tickets: Vec::new(),
                }
            }
            other => {
                if let Some(old) = other {
                    let reason = self
                        .session_expiry(&old, now)
                        .map_or(EndReason::Replaced, |(r, _)| r);
                    match self
                        .destroy_session(store, entropy, now, &old, reason, client_address)
                        .await
                    {
                        // A login is no logout page: no front-channel loads here.
                        Ok(end) => effects = end.effects,
                        Err(e) => return WebReply::fault(Fault::Store(e)),
                    }
                }
                TicketGrantingTicket {
                    id: TicketId::generate_session(entropy, Some(&pending.route)),
                    authentication,
                    created_at: now,
                    last_used_at: now,
                    warn: pending.warn,
                    services: Vec::new(),
                    proxy_granting_tickets: Vec::new(),
                }
            }
        };

        let session = ShortId::of(&tgt.id);
        let principal = tgt.authentication.principal.clone();
        let mut reply = match service {
            Some(service) => {
                match self
                    .issue_service_ticket(store, entropy, now, &mut tgt, service, true)
                    .await
                {
                    Ok(st) => {
                        let issued = AuditEvent::StIssued {
                            principal: principal.clone(),
                            service: service.to_owned(),
                            ticket: ShortId::of(&st),
                            tgt: session.clone(),
                            sso: false,
                        };
                        let mut r = WebReply::with_ticket(
                            pending.method.unwrap_or_default(),
                            service,
                            st,
                            303,
                        );
                        r.audit.push(issued);
                        r
                    }
                    Err(e) => return WebReply::fault(Fault::Store(e)),
                }
            }
            None => {
                if let Err(e) = self.put(store, &Ticket::TicketGranting(tgt.clone())).await {
                    return WebReply::fault(Fault::Store(e));
                }
                WebReply::page(
                    200,
                    View::SsoStarted {
                        principal: tgt.authentication.principal.clone(),
                    },
                )
            }
        };
        reply.cookie =
            Some(self.cookie(Some(tgt.id.as_str().to_owned()), long_term, pending.https));
        effects.extend(
            self.lifecycle(|| Effect::SessionStarted(SessionRecord::of(&tgt, client_address))),
        );
        reply.effects = effects;
        reply.audit.insert(
            0,
            AuditEvent::LoginSuccess {
                principal,
                source: pending.source,
                service: pending.service,
                tgt: session,
                remember_me: long_term,
                client_address: pending.client_address,
            },
        );
        reply
    }
}

impl PendingLogin {
    /// The `login_failure` event of this login, for `reason`.
    fn failure(&self, reason: LoginFailureReason) -> AuditEvent {
        AuditEvent::LoginFailure {
            username: self.username.clone(),
            source: Some(self.source.clone()),
            reason,
            client_address: self.client_address.clone(),
        }
    }
}

/// `reply` with `events`, unless it is a fault (a 500 with nothing issued: the adapter
/// logs the fault instead).
fn with_events(mut reply: WebReply, events: Vec<AuditEvent>) -> WebReply {
    if reply.fault.is_none() {
        reply.audit.extend(events);
    }
    reply
}

pub(super) fn throttled(until: Timestamp, now: Timestamp) -> LoginError {
    LoginError::Throttled {
        retry_after_seconds: retry_after(until, now),
    }
}

/// The seconds from `now` until a lockout ending at `until` is over, rounded up: what the
/// reply announces (`Retry-After`), and what the `lockout` event says (`now` plus these).
fn retry_after(until: Timestamp, now: Timestamp) -> i64 {
    (until.millis_since(now) + 999).div_euclid(1000).max(1)
}
