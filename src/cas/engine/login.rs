//! `/login` (§2.1, §2.2): the entry point, the credential requestor (SSO, `renew`,
//! `gateway`, `warn`) and the login form; the credential acceptor is in `acceptor.rs`.

use crate::cas::audit::{AuditEvent, ShortId};
use crate::cas::auth::AuthRequest;
use crate::cas::params::Params;
use crate::cas::registry::RegisteredService;
use crate::cas::store::Store;
use crate::cas::ticket::{Entropy, LoginPurpose, TicketGrantingTicket, TicketId};
use crate::cas::web::{
    Fault, HttpRequest, LoginError, LoginForm, Method, ResponseMethod, View, WarnPage, WebReply,
    fields,
};

use crate::time::Timestamp;

use super::acceptor::{PendingConfirm, PendingLogin};
use super::binding::FormBinding;
use super::{Engine, accepts_source};

/// The first step of a `/login` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginStep {
    /// Finished: send this.
    Reply(WebReply),
    /// Check these credentials with `request.source`, then call
    /// [`Engine::login_authenticated`].
    Authenticate {
        /// What to check.
        request: AuthRequest,
        /// Hand back with the result.
        pending: PendingLogin,
    },
    /// A warn confirmation (§2.2.1 `warn`): call [`Engine::confirm_warned`], where the
    /// session's tickets are ([`PendingConfirm::session`]).
    Confirm {
        /// Hand back.
        pending: PendingConfirm,
    },
}

impl Engine {
    /// A fresh login form (with a new login ticket bound to `binding`'s browser, and the
    /// binding cookie when that browser has none yet: `binding.rs`). Nothing is stored: the
    /// login ticket is spent when it is used (`login_ticket.rs`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn login_form(
        &self,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        binding: FormBinding<'_>,
        status: u16,
        service: Option<&str>,
        method: Option<ResponseMethod>,
        error: Option<LoginError>,
        username: Option<String>,
    ) -> WebReply {
        let (login_ticket, binding_cookie) = self.bind_form(
            entropy,
            binding,
            now,
            &LoginPurpose::Credentials,
            service,
            None,
        );
        let mut reply = WebReply::page(
            status,
            View::LoginForm(LoginForm {
                service: service.map(str::to_owned),
                service_name: service
                    .and_then(|s| self.registry.find(s))
                    .map(|s| s.definition().name.clone()),
                method,
                login_ticket,
                error,
                username,
                remember_me: self.config.remember_me,
                source_message: None,
            }),
        );
        reply.binding = binding_cookie;
        reply
    }

    /// `/login` (§2.1, §2.2). A GET (or a POST without credentials) is the credential
    /// requestor; a POST with `username`/`password`/`lt` is the credential acceptor, which
    /// asks for the credentials to be checked ([`LoginStep::Authenticate`]).
    ///
    /// Credentials in a query string are never accepted.
    pub async fn login<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        request: &HttpRequest<'_>,
    ) -> LoginStep {
        let Ok(query) = Params::parse(request.query) else {
            return LoginStep::Reply(bad_request("request too large"));
        };
        if request.method != Method::Post {
            return LoginStep::Reply(self.requestor(store, entropy, now, &query, request).await);
        }
        let Ok(form) = Params::parse(request.body) else {
            return LoginStep::Reply(bad_request("request too large"));
        };
        // Form fields win; the query (the form's action URL) fills in the rest.
        let mut pairs: Vec<(String, String)> = form.pairs().to_vec();
        for (n, v) in query.pairs() {
            if !form.contains(n) {
                pairs.push((n.clone(), v.clone()));
            }
        }
        let merged = Params::from_pairs(pairs);
        let is_acceptor = [
            fields::USERNAME,
            fields::PASSWORD,
            fields::LT,
            fields::EXECUTION,
        ]
        .iter()
        .any(|f| form.contains(f));
        if is_acceptor {
            self.acceptor(store, entropy, now, &merged, request).await
        } else {
            LoginStep::Reply(self.requestor(store, entropy, now, &merged, request).await)
        }
    }

    /// The credential requestor (§2.1).
    pub(super) async fn requestor<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        p: &Params,
        request: &HttpRequest<'_>,
    ) -> WebReply {
        let cookie = request.cookie;
        let (service, method) = match service_and_method(p) {
            Ok(x) => x,
            Err(reason) => return bad_request(reason),
        };
        let renew = p.flag("renew");
        // §2.1.1: "It is RECOMMENDED that CAS implementations ignore the gateway parameter
        // if renew is set."
        let gateway = p.flag("gateway") && !renew;
        let warn = p.flag(fields::WARN);
        let registered = match service {
            Some(s) => match self.browser_service(s) {
                Some(r) => Some(r),
                None => return unknown_service(s),
            },
            None => None,
        };

        let mut effects = Vec::new();
        let mut clear_cookie = false;
        let tgt = match self.tgt_from_cookie(store, cookie, request.https).await {
            Ok(t) => t,
            Err(e) => return WebReply::fault(Fault::Store(e)),
        };
        let tgt = match tgt.map(|t| (self.session_expiry(&t, now), t)) {
            Some((None, t)) => Some(t),
            Some((Some((reason, _)), expired)) => {
                // §2.3.3: "SLO requests MAY also be initiated by the CAS Server upon TGT
                // idle timeout."
                match self
                    .destroy_session(
                        store,
                        entropy,
                        now,
                        &expired,
                        reason,
                        request.client_address,
                    )
                    .await
                {
                    // A login page is no logout page: front-channel services are not
                    // loaded here (§2.3.3 leaves how to the server).
                    Ok(end) => effects = end.effects,
                    Err(e) => return WebReply::fault(Fault::Store(e)),
                }
                clear_cookie = true;
                None
            }
            None => None,
        };
        // A service requiring another authentication source does not accept this session.
        let tgt =
            tgt.filter(|t| registered.is_none_or(|r| accepts_source(r, &t.authentication.source)));

        let mut reply = match (tgt, service, registered) {
            // §2.1.5: SSO, unless renew (§2.1.1: "single sign-on will be bypassed").
            (Some(tgt), None, _) if !renew => WebReply::page(
                200,
                View::AlreadyLoggedIn {
                    principal: tgt.authentication.principal,
                },
            ),
            (Some(mut tgt), Some(service), Some(registered)) if !renew => {
                if tgt.warn || warn {
                    let binding = self.form_binding(request);
                    self.warn_page(entropy, now, binding, &tgt, service, registered, method)
                } else {
                    let previous_use = tgt.last_used_at;
                    match self
                        .issue_service_ticket(store, entropy, now, &mut tgt, service, false)
                        .await
                    {
                        Ok(st) => {
                            let event = sso_issued(&tgt, service, &st);
                            let mut r =
                                WebReply::with_ticket(method.unwrap_or_default(), service, st, 302);
                            r.effects.extend(self.session_used(
                                &tgt,
                                previous_use,
                                now,
                                request.client_address,
                            ));
                            r.audit.push(event);
                            r
                        }
                        Err(e) => WebReply::fault(Fault::Store(e)),
                    }
                }
            }
            // §2.1.1 gateway: "CAS MUST redirect the client to the URL specified by the
            // service parameter with no "ticket" parameter appended to the URL."
            (_, Some(service), Some(_)) if gateway => WebReply::redirect(302, service.to_owned()),
            // §2.1.3: request credentials.
            _ => {
                let binding = self.form_binding(request);
                self.login_form(entropy, now, binding, 200, service, method, None, None)
            }
        };
        if clear_cookie && reply.cookie.is_none() && reply.fault.is_none() {
            reply.cookie = Some(self.cookie(None, false, request.https));
        }
        effects.append(&mut reply.effects);
        reply.effects = effects;
        reply
    }

    /// The warn interstitial (§2.2.1 `warn`) of the session `tgt` for `service`, with a
    /// login ticket for its confirmation (bound to `binding`'s browser and to the session;
    /// nothing stored).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn warn_page(
        &self,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        binding: FormBinding<'_>,
        tgt: &TicketGrantingTicket,
        service: &str,
        registered: &RegisteredService,
        method: Option<ResponseMethod>,
    ) -> WebReply {
        let (login_ticket, binding_cookie) = self.bind_form(
            entropy,
            binding,
            now,
            &LoginPurpose::WarnConfirm {
                tgt: tgt.id.clone(),
            },
            Some(service),
            tgt.id.route(),
        );
        let mut reply = WebReply::page(
            200,
            View::Warn(WarnPage {
                service: service.to_owned(),
                service_name: registered.definition().name.clone(),
                principal: tgt.authentication.principal.clone(),
                login_ticket,
                method,
            }),
        );
        reply.binding = binding_cookie;
        reply
    }
}

pub(super) type ServiceAndMethod<'p> = (Option<&'p str>, Option<ResponseMethod>);

/// `service` and `method` of a `/login` request, or why the request is bad.
pub(super) fn service_and_method(p: &Params) -> Result<ServiceAndMethod<'_>, &'static str> {
    let service = p
        .unique(fields::SERVICE)
        .map_err(|_| "ambiguous or oversized service parameter")?
        .filter(|s| !s.is_empty());
    let method = match p.unique(fields::METHOD) {
        Ok(None) => None,
        Ok(Some(m)) => Some(ResponseMethod::parse(m).ok_or("unsupported method")?),
        Err(_) => return Err("ambiguous method parameter"),
    };
    Ok((service, method))
}

/// The audit event of a service ticket issued from an existing session.
pub(super) fn sso_issued(tgt: &TicketGrantingTicket, service: &str, st: &TicketId) -> AuditEvent {
    AuditEvent::StIssued {
        principal: tgt.authentication.principal.clone(),
        service: service.to_owned(),
        ticket: ShortId::of(st),
        tgt: ShortId::of(&tgt.id),
        sso: true,
    }
}

pub(super) fn bad_request(reason: &'static str) -> WebReply {
    WebReply::page(400, View::BadRequest { reason })
}

pub(super) fn unknown_service(service: &str) -> WebReply {
    WebReply::page(
        403,
        View::UnknownService {
            service: service.to_owned(),
        },
    )
}
