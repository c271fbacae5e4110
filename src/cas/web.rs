//! The browser-facing side of the engine (`/login`, `/logout`): request input, view models
//! and the HTTP-level intent of a reply (status, redirect, cookie, cache headers, effects).
//!
//! The adapter turns a [`WebReply`] into an HTTP response mechanically: status from
//! [`WebReply::status`], headers from [`WebReply::headers`], and for a
//! [`Response::Page`] an HTML body rendered from the [`View`] (every string escaped). It
//! makes no protocol decision of its own.

use core::fmt;

use crate::cas::audit::{AuditEvent, ShortId};
use crate::cas::params::{Params, append_query};
use crate::cas::saml;
use crate::cas::store::StoreError;
use crate::cas::ticket::{TicketGrantingTicket, TicketId};
use crate::time::Timestamp;

/// Form field names of the login and warn pages (§2.1.3, §2.2.1, §2.2.2).
pub mod fields {
    /// User name (§2.2.2).
    pub const USERNAME: &str = "username";
    /// Password (§2.2.2).
    pub const PASSWORD: &str = "password";
    /// Login ticket (§2.1.3: the form MUST include `lt`).
    pub const LT: &str = "lt";
    /// Apereo's name for the same token; accepted as an alias of [`LT`].
    pub const EXECUTION: &str = "execution";
    /// The service, passed through unchanged (§2.1.3).
    pub const SERVICE: &str = "service";
    /// Response method (§2.1.1), passed through.
    pub const METHOD: &str = "method";
    /// Warn before each SSO (§2.2.1).
    pub const WARN: &str = "warn";
    /// Remember me (§2.2.2, §4.1.1: a checkbox, unchecked by default).
    pub const REMEMBER_ME: &str = "rememberMe";
}

/// The HTTP method of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Method {
    /// `GET` (and `HEAD`).
    #[default]
    Get,
    /// `POST`.
    Post,
    /// Anything else.
    Other,
}

/// What the engine needs from an HTTP request. `Debug` omits the query and body (they may
/// carry a password or a ticket).
#[derive(Clone, Copy, Default)]
pub struct HttpRequest<'a> {
    /// The method.
    pub method: Method,
    /// The raw query string, without `?`.
    pub query: &'a [u8],
    /// The raw `application/x-www-form-urlencoded` body of a POST.
    pub body: &'a [u8],
    /// The `Cookie:` header, if any.
    pub cookie: Option<&'a str>,
    /// The client's address as the platform reports it (throttling).
    pub client_address: Option<&'a str>,
    /// The request came over https: the ticket-granting cookie it may set is then always
    /// `Secure` (§3.6: a secure cookie), whatever the configuration says — the
    /// configuration may turn `Secure` off only for plain-http loopback development.
    pub https: bool,
    /// The `Origin` header, if any (a login POST from another origin is refused:
    /// docs/security.md, login CSRF).
    pub origin: Option<&'a str>,
    /// The `Sec-Fetch-Site` header, if any (`cross-site`: the login POST is refused).
    pub fetch_site: Option<&'a str>,
    /// The origin (`scheme://host[:port]`) of the request's own URL as the platform
    /// received it: the one `Origin` a login POST may carry.
    pub own_origin: Option<&'a str>,
}

impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("query_len", &self.query.len())
            .field("body_len", &self.body.len())
            .field("cookie", &self.cookie.map(|_| "<present>"))
            .field("client_address", &self.client_address)
            .field("https", &self.https)
            .field("origin", &self.origin)
            .field("fetch_site", &self.fetch_site)
            .field("own_origin", &self.own_origin)
            .finish()
    }
}

/// How the final response to the service is sent (§2.1.1 `method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ResponseMethod {
    /// A redirect with `ticket` in the query (the default).
    #[default]
    Get,
    /// An auto-submitting form POSTing `ticket` to the service.
    Post,
    /// `service` and `ticket` as response headers.
    Header,
}

impl ResponseMethod {
    /// Parses the `method` parameter (case-insensitive); `None` for an unsupported value.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Get, Self::Post, Self::Header]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    /// The parameter value: `GET`, `POST` or `HEADER`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Header => "HEADER",
        }
    }
}

/// Why the login form is shown again (§2.2.4: "display an error message ... describing
/// why login failed"). Never says whether the user name exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginError {
    /// Wrong user name or password (or a disabled account).
    InvalidCredentials,
    /// User name or password missing.
    MissingCredentials,
    /// The login ticket was missing, used, expired or for another service (§3.5.1).
    FormExpired,
    /// Too many failures; try again later.
    Throttled {
        /// Seconds until the lockout ends.
        retry_after_seconds: i64,
    },
    /// The authentication source could not be reached.
    SourceUnavailable,
    /// The POST did not come from a form this browser was given on this site (login
    /// CSRF: another browser's login ticket, no binding cookie, or a cross-site POST).
    /// Nothing was checked; the fresh form is bound to this browser.
    NotThisBrowser,
}

/// The credentials form (§2.1.3). Render a POST form to `/login` with the fields in
/// [`fields`]: `username`, `password`, hidden `lt` = [`LoginForm::login_ticket`], hidden
/// `service` and `method` when set, an unchecked `warn` checkbox, and an unchecked
/// `rememberMe` checkbox when [`LoginForm::remember_me`] is offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginForm {
    /// The `service` exactly as passed to `/login` (hidden field).
    pub service: Option<String>,
    /// The registered service's display name.
    pub service_name: Option<String>,
    /// The `method` parameter, passed through (hidden field).
    pub method: Option<ResponseMethod>,
    /// The single-use login ticket (hidden field `lt`).
    pub login_ticket: TicketId,
    /// Why the form is shown again.
    pub error: Option<LoginError>,
    /// The user name to prefill after a failure (never the password).
    pub username: Option<String>,
    /// Offer the remember-me checkbox (§4.1.1).
    pub remember_me: bool,
    /// What the authentication source said to the user about a refusal (e.g. a TACACS+
    /// `server_msg`, RFC 8907 §5.2), shown with the error; render it escaped.
    pub source_message: Option<String>,
}

/// The warn interstitial (§2.2.1 `warn`): "The client MUST be prompted before being
/// authenticated to another service." Render a POST form to `/login` with hidden `lt`,
/// `service` and `method`; submitting it continues to the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarnPage {
    /// The service the user is about to be logged into.
    pub service: String,
    /// Its display name.
    pub service_name: String,
    /// The logged-in principal.
    pub principal: String,
    /// Single-use token confirming this one continuation (hidden field `lt`).
    pub login_ticket: TicketId,
    /// The `method` parameter, passed through.
    pub method: Option<ResponseMethod>,
}

/// An auto-submitting form (`method=POST`, §2.1.1): POST `fields` to `action`. `Debug`
/// hides the values (a ticket).
#[derive(Clone, PartialEq, Eq)]
pub struct AutoPost {
    /// The service URL.
    pub action: String,
    /// Hidden fields, e.g. `ticket`.
    pub fields: Vec<(&'static str, String)>,
}

impl fmt::Debug for AutoPost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.fields.iter().map(|(n, _)| *n).collect();
        f.debug_struct("AutoPost")
            .field("action", &self.action)
            .field("fields", &names)
            .finish()
    }
}

/// A page for the adapter to render.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum View {
    /// The login form.
    LoginForm(LoginForm),
    /// The warn interstitial.
    Warn(WarnPage),
    /// The `method=POST` auto-submit form.
    AutoPost(AutoPost),
    /// Logged in without a service (§2.2.4: "CAS MUST display a message notifying the
    /// client that it has successfully initiated a single sign-on session").
    SsoStarted {
        /// Who.
        principal: String,
    },
    /// `/login` without a service while logged in (§2.1.1: "CAS SHOULD display a message
    /// notifying the client that it is already logged in").
    AlreadyLoggedIn {
        /// Who.
        principal: String,
    },
    /// `/logout` without a (registered) service (§2.3.2).
    LoggedOut,
    /// `/logout` of a session with front-channel services (§2.3.3): the page has the
    /// browser load each one's logout URL, then goes on to `service` if there is one.
    FrontChannelLogout {
        /// The URLs to load ([`LogoutNotice::front_channel_url`]).
        urls: Vec<String>,
        /// Where to go next: a registered `service` (§2.3.2), else the page says the
        /// user is signed out.
        service: Option<String>,
    },
    /// A `service` that is not registered (§2.2.1: "deny operation and print out a
    /// meaningful message"). No ticket, no redirect.
    UnknownService {
        /// The rejected service, to show (escaped).
        service: String,
    },
    /// A malformed request.
    BadRequest {
        /// What is wrong.
        reason: &'static str,
    },
    /// A fault; nothing was issued.
    InternalError,
}

/// A cookie to send: the ticket-granting cookie (§3.6) or the login form's binding
/// cookie. `Debug` hides the value (a bearer secret).
#[derive(Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// Cookie name.
    pub name: String,
    /// The value (a TGT id, a binding), or `None` to clear the cookie.
    pub value: Option<String>,
    /// Path (§3.6.1: "as restrictive as possible", e.g. `/cas`).
    pub path: String,
    /// `Secure` attribute.
    pub secure: bool,
    /// `Max-Age` in seconds: only for a remember-me TGT (§4.1.5); otherwise a session
    /// cookie (§3.6.1).
    pub max_age: Option<i64>,
}

impl fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetCookie")
            .field("name", &self.name)
            .field("value", &self.value.as_ref().map(|_| "<set>"))
            .field("path", &self.path)
            .field("secure", &self.secure)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl SetCookie {
    /// The `name=value` pair a browser sends back in `Cookie:` (`None` when this clears
    /// the cookie).
    pub fn pair(&self) -> Option<String> {
        Some(format!("{}={}", self.name, self.value.as_deref()?))
    }

    /// The `Set-Cookie` header value: always `HttpOnly; SameSite=Lax`.
    pub fn header_value(&self) -> String {
        let mut s = format!(
            "{}={}; Path={}; HttpOnly; SameSite=Lax",
            self.name,
            self.value.as_deref().unwrap_or(""),
            self.path
        );
        if self.secure {
            s.push_str("; Secure");
        }
        match (&self.value, self.max_age) {
            (None, _) => s.push_str("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            (Some(_), Some(age)) => s.push_str(&format!("; Max-Age={age}")),
            (Some(_), None) => {}
        }
        s
    }
}

/// The response itself.
#[derive(Clone, PartialEq, Eq)]
pub enum Response {
    /// A redirect (302 after GET, 303 after POST, Appendix B).
    Redirect {
        /// 302 or 303.
        status: u16,
        /// Where to.
        location: String,
    },
    /// A rendered page.
    Page {
        /// HTTP status.
        status: u16,
        /// What to render.
        view: View,
    },
    /// `method=HEADER` (§2.1.1): 200 with headers `service` and `ticket`, empty body.
    TicketHeaders {
        /// The service.
        service: String,
        /// The service ticket.
        ticket: TicketId,
    },
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redirect { status, location } => {
                // The query may hold a ticket: show only what precedes it.
                let shown = location.split('?').next().unwrap_or("");
                f.debug_struct("Redirect")
                    .field("status", status)
                    .field("location", &format_args!("{shown}?…"))
                    .finish()
            }
            Self::Page { status, view } => f
                .debug_struct("Page")
                .field("status", status)
                .field("view", view)
                .finish(),
            Self::TicketHeaders { service, ticket } => f
                .debug_struct("TicketHeaders")
                .field("service", service)
                .field("ticket", ticket)
                .finish(),
        }
    }
}

/// A single-logout request to send (§2.3.3, Appendix C): POST a SAML 2
/// `<samlp:LogoutRequest ID=request_id IssueInstant=issue_instant>` with
/// `<samlp:SessionIndex>` = `session_index` to `url`, in the background, ignoring every
/// error (§2.3.3.1 "fire and forget").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogoutNotice {
    /// The service URL that received the ticket.
    pub url: String,
    /// The request's `ID` (an `xs:ID`: starts with a letter).
    pub request_id: String,
    /// The request's `IssueInstant`.
    pub issue_instant: Timestamp,
    /// The service ticket issued to that service in the session.
    pub session_index: TicketId,
}

impl LogoutNotice {
    /// The SAML 2 `LogoutRequest` document (Appendix C).
    pub fn logout_request(&self) -> String {
        saml::render_logout_request(
            &self.request_id,
            self.issue_instant,
            self.session_index.as_str(),
        )
    }

    /// The front-channel form (§2.3.3 through the browser, as Apereo CAS does it): the
    /// service URL with the document, deflated and base64-encoded
    /// ([`saml::deflated_base64`]), as the parameter `SAMLRequest`, for a GET by the
    /// user's browser from the logout page.
    pub fn front_channel_url(&self) -> String {
        append_query(
            &self.url,
            &[(
                "SAMLRequest",
                &saml::deflated_base64(&self.logout_request()),
            )],
        )
    }

    /// The POST body, `application/x-www-form-urlencoded`: the document as the form
    /// parameter `logoutRequest`, as CAS clients expect it.
    pub fn form_body(&self) -> String {
        Params::from_pairs([("logoutRequest", self.logout_request())]).encode()
    }

    /// The audit event of this request once sent (§2.3.3); `status`: the HTTP status the
    /// service answered (`None`: no answer).
    pub fn sent(&self, status: Option<u16>) -> AuditEvent {
        AuditEvent::SingleLogoutSent {
            service: self.url.clone(),
            session_index: ShortId::of(&self.session_index),
            status,
        }
    }
}

/// An SSO session (a TGT) as accounting sees it: who, since when, through which source,
/// for which services — never the TGT id (a bearer secret). Built from a TGT snapshot by
/// [`SessionRecord::of`]; START, WATCHDOG and STOP records of one session agree on
/// [`SessionRecord::task_id`] without any stored state (RFC 8907 §8.3 `task_id`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    /// The accounting task id ([`task_id`]): the same for every record of the session.
    pub task_id: String,
    /// The principal.
    pub principal: String,
    /// The authentication source that verified the credentials (e.g. `tacacs`).
    pub source: String,
    /// When the session started (the TGT's creation).
    pub started_at: Timestamp,
    /// The CAS services that received a ticket in the session, first use first, each once.
    pub services: Vec<String>,
    /// The client address of the request that started, used or ended the session, when
    /// there was one (an alarm has none).
    pub client_address: Option<String>,
}

impl SessionRecord {
    /// The record of `tgt` as of this snapshot; `client_address`: the current request's.
    pub fn of(tgt: &TicketGrantingTicket, client_address: Option<&str>) -> Self {
        let mut services: Vec<String> = Vec::new();
        for grant in &tgt.services {
            if !services.contains(&grant.service) {
                services.push(grant.service.clone());
            }
        }
        Self {
            task_id: task_id(&tgt.id, tgt.created_at),
            principal: tgt.authentication.principal.clone(),
            source: tgt.authentication.source.clone(),
            started_at: tgt.created_at,
            services,
            client_address: client_address.map(str::to_owned),
        }
    }
}

/// The accounting `task_id` (RFC 8907 §8.3: "Start and stop records for the same event MUST
/// have matching task_id attribute values") of the session `tgt` created at `created_at`:
/// 96 bits of SHA-256 over both, in hex. Derived, so START and STOP agree without stored
/// state; one-way, so the TGT id never reaches an accounting log; a renewed session
/// (new `created_at`) is a new task.
pub fn task_id(tgt: &TicketId, created_at: Timestamp) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::new()
        .chain_update(b"casplus acct task_id\0")
        .chain_update(tgt.as_str().as_bytes())
        .chain_update(created_at.0.to_be_bytes())
        .finalize();
    crate::codec::hex::encode(digest.get(..12).unwrap_or_default())
}

/// Why an SSO session ended (the STOP record's `reason`, RFC 8907 §8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndReason {
    /// `/logout` (§2.3).
    Logout,
    /// Past its hard timeout.
    Expired,
    /// Unused for longer than its idle timeout.
    Idle,
    /// Another principal logged in with the same browser (the old session is ended).
    Replaced,
    /// The same principal logged in again (`renew`): the session goes on as a new task.
    Renewed,
}

impl EndReason {
    /// The `reason` value: `logout`, `expired`, `idle-timeout`, `replaced`, `renewed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Expired => "expired",
            Self::Idle => "idle-timeout",
            Self::Replaced => "replaced",
            Self::Renewed => "renewed",
        }
    }
}

/// Work for the adapter to do after replying. Serializable (snake case, externally tagged):
/// the session effects travel to the TACACS+ gateway (the bridge, `aaa::gateway`), and an
/// adapter that runs the engine in another place (the Worker's session objects) hands them
/// back to the one that answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Effect {
    /// Send a single-logout request.
    SingleLogout(LogoutNotice),
    /// An SSO session started: a TGT was created (e.g. accounting START, RFC 8907 §7.1).
    SessionStarted(SessionRecord),
    /// An SSO session was used (a service ticket from it) at `now`, last used before at
    /// `previous_use` — an interim update may be due (RFC 8907 §7.2 WATCHDOG; see
    /// the bridge's `aaa::accounting_request`).
    SessionUsed {
        /// The session, services included.
        session: SessionRecord,
        /// The use before this one.
        previous_use: Timestamp,
        /// This use.
        now: Timestamp,
    },
    /// An SSO session ended (e.g. accounting STOP, RFC 8907 §7.1, §8.3).
    SessionEnded {
        /// The session as it was when it ended, services included.
        session: SessionRecord,
        /// Why.
        reason: EndReason,
        /// When: the request's time for a logout, the policy's expiry instant for an
        /// expired session (however late it was noticed).
        ended_at: Timestamp,
    },
}

/// Something that went wrong inside; the reply already says so (500, no ticket). For logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The store failed.
    Store(StoreError),
    /// The authentication source returned an unusable principal name.
    InvalidPrincipal,
}

/// The reply to a `/login` or `/logout` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebReply {
    /// The response.
    pub response: Response,
    /// The TGC to set or clear.
    pub cookie: Option<SetCookie>,
    /// The login form's binding cookie to set (docs/security.md, login CSRF);
    /// boxed, as it is rare.
    pub binding: Option<Box<SetCookie>>,
    /// Send `Cache-Control: no-store` and friends (Appendix B).
    pub no_store: bool,
    /// Work to do after replying.
    pub effects: Vec<Effect>,
    /// The service ticket this reply carries, if any (tests, metrics).
    pub service_ticket: Option<TicketId>,
    /// A fault behind a 500 reply (for logs).
    pub fault: Option<Fault>,
    /// What happened, for the audit log (docs/audit-log.md).
    pub audit: Vec<AuditEvent>,
}

impl WebReply {
    fn new(response: Response) -> Self {
        Self {
            response,
            cookie: None,
            binding: None,
            no_store: true,
            effects: Vec::new(),
            service_ticket: None,
            fault: None,
            audit: Vec::new(),
        }
    }

    pub(crate) fn page(status: u16, view: View) -> Self {
        Self::new(Response::Page { status, view })
    }

    pub(crate) fn redirect(status: u16, location: String) -> Self {
        Self::new(Response::Redirect { status, location })
    }

    pub(crate) fn fault(fault: Fault) -> Self {
        Self {
            fault: Some(fault),
            ..Self::page(500, View::InternalError)
        }
    }

    /// The response carrying `ticket` to `service` by `method` (§2.2.4, Appendix B);
    /// `status` is 302 after a GET, 303 after a POST.
    pub(crate) fn with_ticket(
        method: ResponseMethod,
        service: &str,
        ticket: TicketId,
        status: u16,
    ) -> Self {
        let response = match method {
            ResponseMethod::Get => Response::Redirect {
                status,
                location: append_query(service, &[("ticket", ticket.as_str())]),
            },
            ResponseMethod::Post => Response::Page {
                status: 200,
                view: View::AutoPost(AutoPost {
                    action: service.to_owned(),
                    fields: vec![("ticket", ticket.as_str().to_owned())],
                }),
            },
            ResponseMethod::Header => Response::TicketHeaders {
                service: service.to_owned(),
                ticket: ticket.clone(),
            },
        };
        Self {
            service_ticket: Some(ticket),
            ..Self::new(response)
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match &self.response {
            Response::Redirect { status, .. } | Response::Page { status, .. } => *status,
            Response::TicketHeaders { .. } => 200,
        }
    }

    /// Every header the response needs (besides `Content-Type` of a rendered page):
    /// `Location`, `Set-Cookie`, cache headers, `Retry-After`, and for `method=HEADER`
    /// `service`/`ticket`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = Vec::new();
        match &self.response {
            Response::Redirect { location, .. } => h.push(("Location", location.clone())),
            Response::TicketHeaders { service, ticket } => {
                h.push(("service", service.clone()));
                h.push(("ticket", ticket.as_str().to_owned()));
            }
            Response::Page {
                view:
                    View::LoginForm(LoginForm {
                        error:
                            Some(LoginError::Throttled {
                                retry_after_seconds,
                            }),
                        ..
                    }),
                ..
            } => h.push(("Retry-After", retry_after_seconds.to_string())),
            Response::Page { .. } => {}
        }
        for c in [self.cookie.as_ref(), self.binding.as_deref()]
            .into_iter()
            .flatten()
        {
            h.push(("Set-Cookie", c.header_value()));
        }
        if self.no_store {
            h.push(("Cache-Control", "no-store".to_owned()));
            h.push(("Pragma", "no-cache".to_owned()));
            h.push(("Expires", "0".to_owned()));
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::ticket::{DeterministicEntropy, TicketKind};

    #[test]
    fn tgc_cookie_attributes_3_6_1() {
        let mut e = DeterministicEntropy::new(1);
        let id = TicketId::generate(TicketKind::TicketGranting, &mut e);
        let c = SetCookie {
            name: "TGC-casplus".into(),
            value: Some(id.as_str().to_owned()),
            path: "/cas".into(),
            secure: true,
            max_age: None,
        };
        let v = c.header_value();
        assert_eq!(
            v,
            format!(
                "TGC-casplus={}; Path=/cas; HttpOnly; SameSite=Lax; Secure",
                id.as_str()
            )
        );
        assert!(!v.contains("Max-Age"), "session cookie unless remember-me");
        let long = SetCookie {
            max_age: Some(1_209_600),
            secure: false,
            ..c.clone()
        };
        assert!(
            long.header_value()
                .ends_with("SameSite=Lax; Max-Age=1209600")
        );
        let clear = SetCookie { value: None, ..c };
        assert!(
            clear
                .header_value()
                .starts_with("TGC-casplus=; Path=/cas; HttpOnly; SameSite=Lax; Secure; Max-Age=0")
        );
    }

    #[test]
    fn logout_notice_body_appendix_c() {
        let mut e = DeterministicEntropy::new(4);
        let st = TicketId::generate(TicketKind::Service, &mut e);
        let n = LogoutNotice {
            url: "https://a.example/".into(),
            request_id: "LR-1".into(),
            issue_instant: Timestamp(1_795_331_018_000),
            session_index: st.clone(),
        };
        let xml = n.logout_request();
        assert!(xml.contains(&format!(
            "<samlp:SessionIndex>{}</samlp:SessionIndex>",
            st.as_str()
        )));
        assert!(xml.contains(r#"ID="LR-1""#));
        let body = n.form_body();
        let p = Params::parse(body.as_bytes()).unwrap_or_default();
        assert_eq!(p.first("logoutRequest"), Some(xml.as_str()));
    }

    #[test]
    fn response_method_parse_2_1_1() {
        assert_eq!(ResponseMethod::parse("POST"), Some(ResponseMethod::Post));
        assert_eq!(
            ResponseMethod::parse("header"),
            Some(ResponseMethod::Header)
        );
        assert_eq!(ResponseMethod::parse("GET"), Some(ResponseMethod::Get));
        assert_eq!(ResponseMethod::parse("PUT"), None);
    }

    #[test]
    fn debug_hides_tickets_in_redirects_and_forms() {
        let mut e = DeterministicEntropy::new(2);
        let st = TicketId::generate(TicketKind::Service, &mut e);
        for m in [
            ResponseMethod::Get,
            ResponseMethod::Post,
            ResponseMethod::Header,
        ] {
            let r = WebReply::with_ticket(m, "https://a.example/?x=1", st.clone(), 302);
            let dbg = format!("{r:?}");
            assert!(!dbg.contains(&st.as_str()[3..]), "{dbg}");
        }
        let req = HttpRequest {
            body: b"username=u&password=Mellon",
            ..HttpRequest::default()
        };
        assert!(!format!("{req:?}").contains("Mellon"));
    }

    #[test]
    fn ticket_headers_and_cache_headers() {
        let mut e = DeterministicEntropy::new(3);
        let st = TicketId::generate(TicketKind::Service, &mut e);
        let r = WebReply::with_ticket(
            ResponseMethod::Header,
            "https://a.example/",
            st.clone(),
            302,
        );
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert!(h.contains(&("ticket", st.as_str().to_owned())));
        assert!(h.contains(&("service", "https://a.example/".to_owned())));
        assert!(h.contains(&("Cache-Control", "no-store".to_owned())));
    }
}
