//! The CAS 3.0 engine: every endpoint as an operation on a [`Store`], with `now` and
//! [`Entropy`] passed in, returning a reply value (and effects) for the adapter to send.
//!
//! | endpoint | operation | reply |
//! |---|---|---|
//! | `/login` GET/POST | [`Engine::login`] → maybe [`Engine::login_authenticated`] | [`WebReply`] |
//! | `/logout` | [`Engine::logout`] | [`WebReply`] |
//! | `/validate`, `/serviceValidate`, `/proxyValidate`, `/p3/*` | [`Engine::validate`] → maybe [`Engine::proxy_callback_result`] | [`ValidationReply`] |
//! | `/proxy` | [`Engine::proxy`] | [`ValidationReply`] |
//! | `/samlValidate` | [`Engine::saml_validate`] | [`SamlReply`] |
//!
//! Two operations need an answer from a third party before they can finish, and return a
//! step instead of a reply: checking credentials ([`LoginStep::Authenticate`]) and the
//! proxy callback ([`ValidationStep::ProxyCallback`], §2.5.4). The adapter performs the
//! call and hands the outcome back with the pending value.
//!
//! Validation failures are outcomes (a [`Failure`] with the spec's code, HTTP 200); store
//! faults become `INTERNAL_ERROR` (validation) or a 500 page (browser) — never a ticket.
//!
//! # Example: login, then validate (what an adapter — or a benchmark — does)
//!
//! ```
//! use casplus::cas::auth::UserStore;
//! use casplus::cas::engine::{Endpoint, Engine, LoginStep, ValidationStep};
//! use casplus::cas::store::{MemoryStore, now_or_never};
//! use casplus::cas::ticket::DeterministicEntropy;
//! use casplus::cas::web::{HttpRequest, Method, View, Response};
//! use casplus::cas::demo;
//! use casplus::time::Timestamp;
//!
//! let engine = Engine::from_json(demo::ENGINE_JSON).unwrap();
//! let users = UserStore::from_json(demo::USERS_JSON).unwrap();
//! let store = MemoryStore::new(); // the Worker brings KV + a Durable Object instead
//! let mut entropy = DeterministicEntropy::new(1); // the Worker uses a CSPRNG
//! let now = Timestamp(1_795_331_018_000);
//! // The memory store never waits, so one poll finishes each call; a Worker `.await`s.
//! fn run<F: std::future::Future>(f: F) -> F::Output { now_or_never(f).unwrap() }
//!
//! // GET /cas/login?service=… → the login form with a single-use login ticket.
//! let get = HttpRequest { query: b"service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp", ..Default::default() };
//! let LoginStep::Reply(form) = run(engine.login(&store, &mut entropy, now, &get)) else { panic!() };
//! let Response::Page { view: View::LoginForm(form), .. } = form.response else { panic!() };
//!
//! // POST /cas/login → check the credentials (here: the built-in user store) → 303.
//! let body = format!("username=casuser&password=Mellon&lt={}&service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp",
//!                    form.login_ticket.as_str());
//! let post = HttpRequest { method: Method::Post, body: body.as_bytes(), ..Default::default() };
//! let LoginStep::Authenticate { request, pending } = run(engine.login(&store, &mut entropy, now, &post))
//!     else { panic!() };
//! let result = users.answer(&request);
//! let reply = run(engine.login_authenticated(&store, &mut entropy, now, pending, result));
//! assert_eq!(reply.status(), 303);
//! let st = reply.service_ticket.clone().unwrap();
//!
//! // GET /cas/p3/serviceValidate?service=…&ticket=ST-… → authenticationSuccess.
//! let query = format!("service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp&ticket={}", st.as_str());
//! let ValidationStep::Done(v) = run(engine.validate(&store, &mut entropy, now,
//!                                                    Endpoint::P3ServiceValidate, query.as_bytes()))
//!     else { panic!() };
//! assert_eq!(v.success().unwrap().user, "casuser");
//! assert!(v.render().contains("<cas:user>casuser</cas:user>"));
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cas::audit::{self, AuditEvent, LoginFailureReason, ShortId};
use crate::cas::auth::{AuthFailure, AuthRequest, AuthResult, BUILTIN_SOURCE};
use crate::cas::params::{Params, Scheme, append_query, cookie_values, http_url_scheme};
use crate::cas::policy::{ExpirationPolicies, Expiry, PolicyError};
use crate::cas::registry::{
    PgtUrlCheck, RegisteredService, RegistryError, ServiceDefinition, ServiceRegistry,
};
use crate::cas::response::{Attributes, Failure, FailureCode, Format, ServiceResponse, Success};
use crate::cas::store::{Store, StoreError};
use crate::cas::throttle::{Lowercase, ThrottleKey, ThrottlePolicy, Verdict};
use crate::cas::ticket::{
    Authentication, Entropy, LoginPurpose, LoginTicket, MAX_PROXY_CHAIN, ProxyGrantingTicket,
    ProxyTicket, ServiceTicket, Ticket, TicketGrantingTicket, TicketId, TicketKind, random_token,
};
use crate::cas::web::{
    Effect, EndReason, Fault, HttpRequest, LoginError, LoginForm, LogoutNotice, Method, Response,
    ResponseMethod, SessionRecord, SetCookie, View, WarnPage, WebReply, fields,
};
use crate::cas::{json, saml, xml};
use crate::password::Password;
use crate::time::Timestamp;

/// Longest user name accepted at the login form.
pub const MAX_USERNAME_LEN: usize = 256;

/// The ticket-granting cookie's settings (§3.6.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct CookieConfig {
    /// Cookie name (§3.6.1: "SHOULD begin with the characters `TGC-`").
    pub name: String,
    /// Cookie path (§3.6.1: as restrictive as possible, e.g. `/cas`).
    pub path: String,
    /// The `Secure` attribute; turn off only for plain-http loopback development.
    pub secure: bool,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: "TGC-casplus".into(),
            path: "/cas".into(),
            secure: true,
        }
    }
}

/// Everything the engine is configured with (users are the adapter's: see
/// [`crate::cas::auth::UserStore`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Registered services, in evaluation order.
    pub services: Vec<ServiceDefinition>,
    /// Ticket lifetimes.
    pub tickets: ExpirationPolicies,
    /// Login throttling.
    pub throttle: ThrottlePolicy,
    /// The ticket-granting cookie.
    pub cookie: CookieConfig,
    /// Offer remember-me / long-term TGTs (§4.1).
    pub remember_me: bool,
    /// Send single-logout requests (§2.3.3) to services that allow them.
    pub single_logout: bool,
    /// Authentication source for services that do not name one.
    pub default_source: String,
    /// Validity window of a SAML 1.1 assertion (`NotOnOrAfter − NotBefore`), seconds.
    pub saml_assertion_seconds: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            services: Vec::new(),
            tickets: ExpirationPolicies::default(),
            throttle: ThrottlePolicy::default(),
            cookie: CookieConfig::default(),
            remember_me: true,
            single_logout: true,
            default_source: BUILTIN_SOURCE.into(),
            saml_assertion_seconds: 30,
        }
    }
}

/// A configuration error.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// In the service registry.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// In the ticket lifetimes.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The JSON does not describe an engine configuration.
    #[error("engine configuration JSON: {0}")]
    Json(String),
}

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
    format: Format,
    success: Success,
    pgt: ProxyGrantingTicket,
    iou: TicketId,
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

/// A login waiting for its credentials to be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

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
}

/// A `/samlValidate` request (§4.2).
#[derive(Clone, Copy, Default)]
pub struct SamlValidateRequest<'a> {
    /// The HTTP method (§4.2.2: MUST be POST).
    pub method: Method,
    /// The raw query string, holding `TARGET` (§4.2.1).
    pub query: &'a [u8],
    /// The raw `text/xml` body: a SOAP-wrapped SAML 1.1 `samlp:Request` (§4.2.2–§4.2.4).
    pub body: &'a [u8],
}

impl core::fmt::Debug for SamlValidateRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SamlValidateRequest")
            .field("method", &self.method)
            .field("query_len", &self.query.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The reply of `/samlValidate` (§4.2.5): HTTP 200, `text/xml`, a SAML 1.1 response
/// rendered by [`SamlReply::render`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamlReply {
    /// `ResponseID`.
    pub response_id: String,
    /// `AssertionID`.
    pub assertion_id: String,
    /// `IssueInstant` of the response and assertion, and `Conditions/@NotBefore`.
    pub issue_instant: Timestamp,
    /// `Recipient` and `Audience`: the `TARGET` (empty when missing).
    pub recipient: String,
    /// `InResponseTo`: the request's `RequestID` (empty when unknown).
    pub in_response_to: String,
    /// `NotOnOrAfter − NotBefore`, seconds.
    pub validity_seconds: i64,
    /// `AuthenticationInstant`: when the user presented credentials.
    pub authentication_instant: Timestamp,
    /// The principal and attributes (none when `TARGET` is not https, §4.2.1; with
    /// `longTermAuthenticationRequestTokenUsed`, §4.2.5.1), or why not.
    pub outcome: Result<Success, Failure>,
    /// The fault behind an `INTERNAL_ERROR`, for logs.
    pub fault: Option<StoreError>,
}

impl SamlReply {
    /// The `Content-Type` of the rendered response (HTTP status 200).
    pub fn content_type(&self) -> &'static str {
        "text/xml; charset=UTF-8"
    }

    /// The SOAP-wrapped SAML 1.1 response; `issuer` is the CAS server's name (e.g. its
    /// host), the `Assertion/@Issuer`.
    pub fn render(&self, issuer: &str) -> String {
        let params = saml::SamlResponseParams {
            response_id: &self.response_id,
            assertion_id: &self.assertion_id,
            now: self.issue_instant,
            issuer,
            recipient: &self.recipient,
            in_response_to: &self.in_response_to,
            validity_secs: self.validity_seconds,
            authentication_method: saml::AM_PASSWORD,
            authentication_instant: self.authentication_instant,
        };
        saml::render_response(self.outcome.as_ref(), &params)
    }
}

/// The CAS engine: configuration and service registry; all state is in the [`Store`].
#[derive(Clone, Debug)]
pub struct Engine {
    config: EngineConfig,
    registry: ServiceRegistry,
    lowercase: Lowercase,
}

/// Why a ticket could not be consumed.
enum Reject {
    Fail(Failure),
    Fault(StoreError),
}

impl From<StoreError> for Reject {
    fn from(e: StoreError) -> Self {
        Self::Fault(e)
    }
}

fn failure(code: FailureCode, description: impl Into<String>) -> Failure {
    Failure {
        code,
        description: description.into(),
    }
}

fn fail<T>(code: FailureCode, description: &str) -> Result<T, Reject> {
    Err(Reject::Fail(failure(code, description)))
}

/// A consumed (taken, judged) service or proxy ticket.
struct Consumed<'r> {
    authentication: Authentication,
    from_new_login: bool,
    proxies: Vec<String>,
    tgt: TicketId,
    service: &'r RegisteredService,
}

fn bool_attr(b: bool) -> Vec<String> {
    vec![if b { "true" } else { "false" }.to_owned()]
}

/// A user name or principal that every response format can carry unambiguously
/// ([`xml::is_representable_user`]: no control characters or line separators, no
/// surrounding whitespace) and of bounded length.
fn is_clean_name(s: &str) -> bool {
    s.len() <= MAX_USERNAME_LEN && xml::is_representable_user(s)
}

impl Engine {
    /// Builds an engine, compiling the registry and checking the lifetimes.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        Self::with_lowercase(config, str::to_lowercase)
    }

    /// [`Engine::new`] with the runtime's own implementation of the Unicode lower-case
    /// mapping ([`Lowercase`]) for case-insensitive throttling.
    pub fn with_lowercase(config: EngineConfig, lowercase: Lowercase) -> Result<Self, ConfigError> {
        config.tickets.validate()?;
        let registry = ServiceRegistry::new(config.services.clone())?;
        Ok(Self {
            config,
            registry,
            lowercase,
        })
    }

    /// Parses an [`EngineConfig`] from JSON and builds the engine.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let config: EngineConfig =
            serde_json::from_str(json).map_err(|e| ConfigError::Json(e.to_string()))?;
        Self::new(config)
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The compiled service registry.
    pub fn registry(&self) -> &ServiceRegistry {
        &self.registry
    }

    // ----- shared pieces -------------------------------------------------------------

    /// The throttle counters a login attempt for `username` from `address` counts on.
    fn throttle_keys(&self, username: &str, address: Option<&str>) -> Vec<ThrottleKey> {
        let mut keys = vec![ThrottleKey::user(username, self.lowercase)];
        if let Some(a) = address.filter(|a| !a.is_empty()) {
            keys.push(ThrottleKey::Address(a.to_owned()));
        }
        keys
    }

    /// A registered service usable as a browser destination: registered (§2.2.1) and an
    /// absolute http(s) URL without user info.
    fn browser_service(&self, service: &str) -> Option<&RegisteredService> {
        http_url_scheme(service)?;
        self.registry.find(service)
    }

    /// The ticket-granting cookie (§3.6); `https` says whether the request came over
    /// TLS, where it is always `Secure`.
    fn cookie(&self, value: Option<TicketId>, long_term: bool, https: bool) -> SetCookie {
        SetCookie {
            name: self.config.cookie.name.clone(),
            value,
            path: self.config.cookie.path.clone(),
            secure: self.config.cookie.secure || https,
            max_age: long_term.then_some(self.config.tickets.long_term.hard_seconds),
        }
    }

    async fn put<S: Store>(&self, store: &S, ticket: &Ticket) -> Result<(), StoreError> {
        store
            .put(ticket, self.config.tickets.expires_at(ticket))
            .await
    }

    /// The ticket-granting ticket the request's cookie names, if it names exactly one (a
    /// well-formed `TGT-` id; a few cookies may be sent for wider paths or parent domains,
    /// and then no single session is meant). Pure: nothing is read. An adapter may use it
    /// to run the request where that session's tickets are.
    pub fn cookie_session(&self, cookie: Option<&str>) -> Option<TicketId> {
        let mut ids = cookie_values(cookie?, &self.config.cookie.name)
            .into_iter()
            .filter_map(|v| TicketId::parse(v).ok())
            .filter(|id| id.kind() == TicketKind::TicketGranting);
        let id = ids.next()?;
        ids.next().is_none().then_some(id)
    }

    /// The TGT named by the request's ticket-granting cookie, live or not.
    async fn tgt_from_cookie<S: Store>(
        &self,
        store: &S,
        cookie: Option<&str>,
    ) -> Result<Option<TicketGrantingTicket>, StoreError> {
        let Some(header) = cookie else {
            return Ok(None);
        };
        // A few candidates at most (cookies for wider paths or parent domains).
        for value in cookie_values(header, &self.config.cookie.name)
            .into_iter()
            .take(3)
        {
            let Ok(id) = TicketId::parse(value) else {
                continue;
            };
            if id.kind() != TicketKind::TicketGranting {
                continue;
            }
            if let Some(Ticket::TicketGranting(tgt)) = store.get(&id).await? {
                return Ok(Some(tgt));
            }
        }
        Ok(None)
    }

    // ----- session lifecycle ---------------------------------------------------------

    /// Whether the session `tgt` is over at `now` by its policy (hard or idle timeout;
    /// remember-me sessions by the long-term policy, §4.1), with the reason and the instant
    /// it ended — the policy's expiry instant, not the moment it was noticed.
    pub fn session_expiry(
        &self,
        tgt: &TicketGrantingTicket,
        now: Timestamp,
    ) -> Option<(EndReason, Timestamp)> {
        let policy = self.config.tickets.tgt_policy(tgt);
        let reason = match policy.judge(tgt.created_at, tgt.last_used_at, now) {
            Expiry::Valid => return None,
            Expiry::Idle => EndReason::Idle,
            Expiry::TimedOut | Expiry::Used => EndReason::Expired,
        };
        let ended_at = policy.expires_at(tgt.created_at, tgt.last_used_at).min(now);
        Some((reason, ended_at))
    }

    /// When the session `tgt` expires if it is not used again: the time for an alarm that
    /// calls [`Engine::expire_session`] (or [`Engine::expired_session`]).
    pub fn session_deadline(&self, tgt: &TicketGrantingTicket) -> Timestamp {
        self.config
            .tickets
            .tgt_policy(tgt)
            .expires_at(tgt.created_at, tgt.last_used_at)
    }

    /// Pure: the [`Effect::SessionEnded`] of a TGT snapshot that is expired at `now`, or
    /// `None` while it is valid. For an adapter's timer when a session expired without
    /// being seen again (no request, so no client address).
    pub fn expired_session(&self, tgt: &TicketGrantingTicket, now: Timestamp) -> Option<Effect> {
        let (reason, ended_at) = self.session_expiry(tgt, now)?;
        Some(Effect::SessionEnded {
            session: SessionRecord::of(tgt, None),
            reason,
            ended_at,
        })
    }

    /// An adapter's timer for the TGT `id` (set for [`Engine::session_deadline`]): when the
    /// TGT is still stored and expired at `now`, destroys the session like a logout and
    /// returns its [`Effect::SessionEnded`] and single-logout requests (§2.3.3: "SLO
    /// requests MAY also be initiated by the CAS Server upon TGT idle timeout"); nothing
    /// when it is gone or still valid (used since: set the timer again).
    pub async fn expire_session<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        id: &TicketId,
    ) -> Result<Vec<Effect>, StoreError> {
        match store.get(id).await? {
            Some(Ticket::TicketGranting(tgt)) => match self.session_expiry(&tgt, now) {
                Some((reason, _)) => {
                    self.destroy_session(store, entropy, now, &tgt, reason, None)
                        .await
                }
                None => Ok(Vec::new()),
            },
            _ => Ok(Vec::new()),
        }
    }

    /// Ends a session: deletes the TGT, its PGTs (§3.3.1) and its outstanding service
    /// tickets, and returns its [`Effect::SessionEnded`] (for `reason`) and the
    /// single-logout requests to send (§2.3.3).
    async fn destroy_session<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        tgt: &TicketGrantingTicket,
        reason: EndReason,
        client_address: Option<&str>,
    ) -> Result<Vec<Effect>, StoreError> {
        store.delete(&tgt.id).await?;
        for pgt in &tgt.proxy_granting_tickets {
            store.delete(pgt).await?;
        }
        let ended_at = match reason {
            EndReason::Expired | EndReason::Idle => {
                self.session_expiry(tgt, now).map_or(now, |(_, at)| at)
            }
            _ => now,
        };
        let mut effects = vec![Effect::SessionEnded {
            session: SessionRecord::of(tgt, client_address),
            reason,
            ended_at,
        }];
        for grant in &tgt.services {
            store.delete(&grant.ticket).await?;
            let slo = self.config.single_logout
                && self
                    .browser_service(&grant.service)
                    .is_some_and(|s| s.definition().single_logout);
            if slo {
                effects.push(Effect::SingleLogout(LogoutNotice {
                    url: grant.service.clone(),
                    request_id: random_token(entropy, "LR-", 16),
                    issue_instant: now,
                    session_index: grant.ticket.clone(),
                }));
            }
        }
        Ok(effects)
    }

    /// Issues a service ticket from `tgt` for `service` and records it in the TGT
    /// (idle timeout, single logout). Nothing is revealed unless both writes succeed.
    async fn issue_service_ticket<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        tgt: &mut TicketGrantingTicket,
        service: &str,
        from_new_login: bool,
    ) -> Result<TicketId, StoreError> {
        let st = ServiceTicket {
            id: TicketId::generate_in(TicketKind::Service, entropy, &tgt.id),
            service: service.to_owned(),
            tgt: tgt.id.clone(),
            authentication: tgt.authentication.clone(),
            from_new_login,
            created_at: now,
            validation_attempts: 0,
        };
        let id = st.id.clone();
        tgt.record_service(service, &id);
        tgt.last_used_at = now;
        // Both or neither: an ST its session does not list would escape single logout.
        let st = Ticket::Service(st);
        let session = Ticket::TicketGranting(tgt.clone());
        let expiry = &self.config.tickets;
        store
            .put_all(&[
                (&st, expiry.expires_at(&st)),
                (&session, expiry.expires_at(&session)),
            ])
            .await?;
        Ok(id)
    }

    /// A fresh login form (with a new login ticket).
    #[allow(clippy::too_many_arguments)]
    async fn login_form<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        status: u16,
        service: Option<&str>,
        method: Option<ResponseMethod>,
        error: Option<LoginError>,
        username: Option<String>,
    ) -> WebReply {
        let lt = LoginTicket {
            id: TicketId::generate(TicketKind::Login, entropy),
            purpose: LoginPurpose::Credentials,
            service: service.map(str::to_owned),
            created_at: now,
        };
        let login_ticket = lt.id.clone();
        if let Err(e) = self.put(store, &Ticket::Login(lt)).await {
            return WebReply::fault(Fault::Store(e));
        }
        WebReply::page(
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
        )
    }

    // ----- /login --------------------------------------------------------------------

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
    async fn requestor<S: Store>(
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
        let tgt = match self.tgt_from_cookie(store, cookie).await {
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
                    Ok(e) => effects = e,
                    Err(e) => return WebReply::fault(Fault::Store(e)),
                }
                clear_cookie = true;
                None
            }
            None => None,
        };
        // A service requiring another authentication source does not accept this session.
        let tgt = tgt.filter(|t| {
            registered
                .and_then(|r| r.definition().authentication_source.as_deref())
                .is_none_or(|src| src == t.authentication.source)
        });

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
                    self.warn_page(store, entropy, now, &tgt, service, registered, method)
                        .await
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
                            r.effects
                                .push(session_used(&tgt, previous_use, now, request));
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
                self.login_form(store, entropy, now, 200, service, method, None, None)
                    .await
            }
        };
        if clear_cookie && reply.cookie.is_none() && reply.fault.is_none() {
            reply.cookie = Some(self.cookie(None, false, request.https));
        }
        effects.append(&mut reply.effects);
        reply.effects = effects;
        reply
    }

    #[allow(clippy::too_many_arguments)]
    async fn warn_page<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        tgt: &TicketGrantingTicket,
        service: &str,
        registered: &RegisteredService,
        method: Option<ResponseMethod>,
    ) -> WebReply {
        let lt = LoginTicket {
            id: TicketId::generate(TicketKind::Login, entropy),
            purpose: LoginPurpose::WarnConfirm {
                tgt: tgt.id.clone(),
            },
            service: Some(service.to_owned()),
            created_at: now,
        };
        let login_ticket = lt.id.clone();
        if let Err(e) = self.put(store, &Ticket::Login(lt)).await {
            return WebReply::fault(Fault::Store(e));
        }
        WebReply::page(
            200,
            View::Warn(WarnPage {
                service: service.to_owned(),
                service_name: registered.definition().name.clone(),
                principal: tgt.authentication.principal.clone(),
                login_ticket,
                method,
            }),
        )
    }

    /// The credential acceptor (§2.2), up to the point where credentials must be checked.
    async fn acceptor<S: Store>(
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
        // §3.5.1: the login ticket is valid for one authentication attempt, whatever its
        // outcome — take it first.
        let lt_value = match (p.unique(fields::LT), p.unique(fields::EXECUTION)) {
            (Ok(Some(v)), _) | (Ok(None), Ok(Some(v))) => Some(v),
            _ => None,
        };
        let lt = match lt_value.map(TicketId::parse) {
            Some(Ok(id)) if id.kind() == TicketKind::Login => match store.take(&id).await {
                Ok(Some(Ticket::Login(lt))) => Some(lt),
                Ok(_) => None,
                Err(e) => return LoginStep::Reply(WebReply::fault(Fault::Store(e))),
            },
            _ => None,
        };
        let lt = lt.filter(|lt| {
            self.config.tickets.login_ticket(lt, now).is_valid() && lt.service.as_deref() == service
        });
        let Some(lt) = lt else {
            return LoginStep::Reply(
                self.login_form(
                    store,
                    entropy,
                    now,
                    403,
                    service,
                    method,
                    Some(LoginError::FormExpired),
                    None,
                )
                .await,
            );
        };

        if let LoginPurpose::WarnConfirm { tgt: tgt_id } = &lt.purpose {
            let (Some(service), Some(registered)) = (service, registered) else {
                return LoginStep::Reply(
                    self.login_form(
                        store,
                        entropy,
                        now,
                        403,
                        service,
                        method,
                        Some(LoginError::FormExpired),
                        None,
                    )
                    .await,
                );
            };
            let tgt = match self.tgt_from_cookie(store, request.cookie).await {
                Ok(t) => t,
                Err(e) => return LoginStep::Reply(WebReply::fault(Fault::Store(e))),
            };
            let tgt = tgt.filter(|t| {
                &t.id == tgt_id && self.config.tickets.ticket_granting(t, now).is_valid()
            });
            let tgt = tgt.filter(|t| {
                registered
                    .definition()
                    .authentication_source
                    .as_deref()
                    .is_none_or(|src| src == t.authentication.source)
            });
            let Some(mut tgt) = tgt else {
                return LoginStep::Reply(
                    self.login_form(
                        store,
                        entropy,
                        now,
                        200,
                        Some(service),
                        method,
                        Some(LoginError::FormExpired),
                        None,
                    )
                    .await,
                );
            };
            let previous_use = tgt.last_used_at;
            return LoginStep::Reply(
                match self
                    .issue_service_ticket(store, entropy, now, &mut tgt, service, false)
                    .await
                {
                    Ok(st) => {
                        let event = sso_issued(&tgt, service, &st);
                        let mut r =
                            WebReply::with_ticket(method.unwrap_or_default(), service, st, 303);
                        r.effects
                            .push(session_used(&tgt, previous_use, now, request));
                        r.audit.push(event);
                        r
                    }
                    Err(e) => WebReply::fault(Fault::Store(e)),
                },
            );
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
            return LoginStep::Reply(
                self.login_form(
                    store,
                    entropy,
                    now,
                    400,
                    service,
                    method,
                    Some(LoginError::MissingCredentials),
                    keep,
                )
                .await,
            );
        }

        // Throttling (checked before any password is looked at).
        let keys = self.throttle_keys(username, request.client_address);
        let mut locked_until: Option<Timestamp> = None;
        if self.config.throttle.enabled {
            for key in &keys {
                match store.throttle(&key.storage_key()).await {
                    Ok(state) => {
                        if let Verdict::Locked { until } =
                            self.config.throttle.check(state.as_ref(), now)
                        {
                            locked_until = locked_until.max(Some(until));
                        }
                    }
                    Err(e) => return LoginStep::Reply(WebReply::fault(Fault::Store(e))),
                }
            }
        }
        if let Some(until) = locked_until {
            let keep = is_clean_name(username).then(|| username.to_owned());
            let mut reply = self
                .login_form(
                    store,
                    entropy,
                    now,
                    429,
                    service,
                    method,
                    Some(throttled(until, now)),
                    keep,
                )
                .await;
            reply.audit.push(AuditEvent::LoginFailure {
                username: username.to_owned(),
                source: None,
                reason: LoginFailureReason::Locked,
                client_address: request.client_address.map(str::to_owned),
            });
            return LoginStep::Reply(reply);
        }

        if !is_clean_name(username) {
            if let Err(e) = self.record_failure(store, &keys, now).await {
                return LoginStep::Reply(WebReply::fault(Fault::Store(e)));
            }
            return LoginStep::Reply(
                self.login_form(
                    store,
                    entropy,
                    now,
                    401,
                    service,
                    method,
                    Some(LoginError::InvalidCredentials),
                    None,
                )
                .await,
            );
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
            },
        }
    }

    async fn record_failure<S: Store>(
        &self,
        store: &S,
        keys: &[ThrottleKey],
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        if !self.config.throttle.enabled {
            return Ok(None);
        }
        let mut locked = None;
        for key in keys {
            let update = self.config.throttle.failure(key, now);
            let state = store.update_throttle(&key.storage_key(), &update).await?;
            if let Verdict::Locked { until } = self.config.throttle.check(state.as_ref(), now) {
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
        let facts = audit::LoginFacts {
            username: pending.username.clone(),
            source: pending.source.clone(),
            service: pending.service.clone(),
            client_address: pending.client_address.clone(),
            remember_me: pending.remember_me && self.config.remember_me,
        };
        let (principal, unavailable) = match &result {
            AuthResult::Authenticated { principal, .. } => (Some(principal.clone()), false),
            AuthResult::Rejected(f) | AuthResult::Refused { failure: f, .. } => {
                (None, *f == AuthFailure::Unavailable)
            }
        };
        let mut reply = self
            .check_authenticated(store, entropy, now, pending, result)
            .await;
        let events = audit::login_events(facts, principal.as_deref(), unavailable, &reply, now);
        reply.audit.extend(events);
        reply
    }

    async fn check_authenticated<S: Store>(
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
            AuthResult::Rejected(AuthFailure::Unavailable) | AuthResult::Refused { .. } => {
                return self
                    .login_form(
                        store,
                        entropy,
                        now,
                        503,
                        service,
                        pending.method,
                        Some(LoginError::SourceUnavailable),
                        Some(pending.username),
                    )
                    .await;
            }
            AuthResult::Rejected(_) => {
                let (status, error) = match self.record_failure(store, &keys, now).await {
                    Ok(Some(until)) => (429, throttled(until, now)),
                    Ok(None) => (401, LoginError::InvalidCredentials),
                    Err(e) => return WebReply::fault(Fault::Store(e)),
                };
                let mut reply = self
                    .login_form(
                        store,
                        entropy,
                        now,
                        status,
                        service,
                        pending.method,
                        Some(error),
                        Some(pending.username),
                    )
                    .await;
                if let Response::Page {
                    view: View::LoginForm(form),
                    ..
                } = &mut reply.response
                {
                    form.source_message = source_message;
                }
                return reply;
            }
        };
        if !is_clean_name(&principal) {
            return WebReply::fault(Fault::InvalidPrincipal);
        }
        if self.config.throttle.enabled
            && let Some(user_key) = keys.first()
            && let Err(e) = store
                .update_throttle(
                    &user_key.storage_key(),
                    &crate::cas::throttle::ThrottleUpdate::Reset,
                )
                .await
        {
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
        // A renewed login by the same principal refreshes the session (keeping its
        // services for single logout); another principal's session is ended first.
        let client_address = pending.client_address.as_deref();
        let mut tgt = match existing {
            Some(mut t)
                if t.authentication.principal == authentication.principal
                    && self.config.tickets.ticket_granting(&t, now).is_valid() =>
            {
                // The session goes on under a new accounting task (new `created_at`).
                effects.push(Effect::SessionEnded {
                    session: SessionRecord::of(&t, client_address),
                    reason: EndReason::Renewed,
                    ended_at: now,
                });
                t.authentication = authentication;
                t.created_at = now;
                t.last_used_at = now;
                t.warn = pending.warn;
                t
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
                        Ok(e) => effects = e,
                        Err(e) => return WebReply::fault(Fault::Store(e)),
                    }
                }
                TicketGrantingTicket {
                    id: TicketId::generate(TicketKind::TicketGranting, entropy),
                    authentication,
                    created_at: now,
                    last_used_at: now,
                    warn: pending.warn,
                    services: Vec::new(),
                    proxy_granting_tickets: Vec::new(),
                }
            }
        };

        let mut reply = match service {
            Some(service) => {
                match self
                    .issue_service_ticket(store, entropy, now, &mut tgt, service, true)
                    .await
                {
                    Ok(st) => {
                        WebReply::with_ticket(pending.method.unwrap_or_default(), service, st, 303)
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
        reply.cookie = Some(self.cookie(Some(tgt.id.clone()), long_term, pending.https));
        effects.push(Effect::SessionStarted(SessionRecord::of(
            &tgt,
            client_address,
        )));
        reply.effects = effects;
        reply
    }

    // ----- /logout -------------------------------------------------------------------

    /// `/logout` (§2.3): destroys the session (TGT, its PGTs and outstanding STs), clears
    /// the TGC, returns single-logout effects (§2.3.3), and redirects only to a registered
    /// `service` (§2.3.2); `url` is ignored (§2.3.1).
    pub async fn logout<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        request: &HttpRequest<'_>,
    ) -> WebReply {
        let service = Params::parse(request.query)
            .ok()
            .and_then(|p| p.unique(fields::SERVICE).ok().flatten().map(str::to_owned));
        let mut ended = None;
        let effects = match self.tgt_from_cookie(store, request.cookie).await {
            Ok(Some(tgt)) => match self
                .destroy_session(
                    store,
                    entropy,
                    now,
                    &tgt,
                    EndReason::Logout,
                    request.client_address,
                )
                .await
            {
                Ok(e) => {
                    ended = Some(tgt);
                    e
                }
                Err(e) => return WebReply::fault(Fault::Store(e)),
            },
            Ok(None) => Vec::new(),
            Err(e) => return WebReply::fault(Fault::Store(e)),
        };
        let mut reply = match service.filter(|s| self.browser_service(s).is_some()) {
            Some(s) => WebReply::redirect(302, s),
            None => WebReply::page(200, View::LoggedOut),
        };
        reply.cookie = Some(self.cookie(None, false, request.https));
        reply.audit.push(AuditEvent::Logout {
            principal: ended.as_ref().map(|t| t.authentication.principal.clone()),
            tgt: ended.as_ref().map(|t| ShortId::of(&t.id)),
            single_logouts: effects
                .iter()
                .filter(|e| matches!(e, Effect::SingleLogout(_)))
                .count(),
        });
        reply.effects = effects;
        reply
    }

    // ----- validation ----------------------------------------------------------------

    /// Takes a service or proxy ticket and checks it against the request (§2.5.3 codes).
    /// The ticket is consumed whatever the outcome (§3.1.1, §3.2.1).
    async fn consume<S: Store>(
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
        Ok(Consumed {
            authentication,
            from_new_login,
            proxies,
            tgt,
            service: registered,
        })
    }

    /// The attributes an endpoint releases (§2.5.5, §2.8, Appendix A, §4.1.3).
    fn attributes_for(&self, endpoint: Endpoint, c: &Consumed<'_>) -> Attributes {
        if endpoint.releases_attributes() {
            let mut a = c.service.release(&c.authentication.attributes);
            a.extend(protocol_attributes(&c.authentication, c.from_new_login));
            a
        } else if c.authentication.long_term {
            // §4.1.3: remember-me "MUST be provided by all ticket validation methods"
            // (§2.5, §2.6, §2.8) — the CAS 2.0 endpoints get just this one attribute.
            [(
                "longTermAuthenticationRequestTokenUsed".to_owned(),
                bool_attr(true),
            )]
            .into_iter()
            .collect()
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
        let done = |format: Format, r: Result<Success, Reject>| {
            ValidationStep::Done(validation_reply(endpoint, format, r))
        };
        let Ok(p) = Params::parse(query) else {
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
                format,
                success,
                pgt,
                iou,
            }),
        }
    }

    /// Finishes a validation with `pgtUrl` once the callback was tried (§2.5.4 step 3):
    /// `status` is the final HTTP status, `None` if the call failed (TLS, timeout, …).
    /// Only 200 stores the PGT and puts the PGTIOU in the response; anything else fails
    /// with `INVALID_PROXY_CALLBACK` and no PGT exists.
    pub async fn proxy_callback_result<S: Store>(
        &self,
        store: &S,
        pending: Box<PendingValidation>,
        status: Option<u16>,
    ) -> ValidationReply {
        let endpoint = Endpoint::ServiceValidate;
        let PendingValidation {
            format,
            mut success,
            pgt,
            iou,
        } = *pending;
        if status != Some(200) {
            let why = match status {
                Some(s) => format!("the proxy callback returned HTTP {s}, not 200"),
                None => "the proxy callback could not be reached".to_owned(),
            };
            return validation_reply(
                endpoint,
                format,
                Err(Reject::Fail(failure(
                    FailureCode::InvalidProxyCallback,
                    why,
                ))),
            );
        }
        if let Err(e) = self.put(store, &Ticket::ProxyGranting(pgt.clone())).await {
            return validation_reply(endpoint, format, Err(Reject::Fault(e)));
        }
        // Best effort: remember the PGT in its TGT so logout deletes it. Correctness does
        // not depend on it — a PGT is honoured only while its TGT lives (§3.3.1).
        if let Ok(Some(Ticket::TicketGranting(mut tgt))) = store.get(&pgt.tgt).await {
            tgt.record_pgt(&pgt.id);
            let _ = self.put(store, &Ticket::TicketGranting(tgt)).await;
        }
        success.proxy_granting_ticket = Some(iou.as_str().to_owned());
        validation_reply(endpoint, format, Ok(success))
    }

    // ----- /proxy --------------------------------------------------------------------

    /// `/proxy` (§2.7): a proxy ticket for `targetService` from a live PGT.
    pub async fn proxy<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        query: &[u8],
    ) -> ValidationReply {
        let reply = |format: Format, r: Result<TicketId, Reject>| {
            let (response, fault) = match r {
                Ok(pt) => (
                    ServiceResponse::ProxySuccess {
                        proxy_ticket: pt.as_str().to_owned(),
                    },
                    None,
                ),
                Err(Reject::Fail(f)) => (ServiceResponse::ProxyFailure(f), None),
                Err(Reject::Fault(e)) => (
                    ServiceResponse::ProxyFailure(failure(
                        FailureCode::InternalError,
                        "internal error",
                    )),
                    Some(e),
                ),
            };
            ValidationReply {
                body: ValidationBody::Service { response, format },
                fault,
            }
        };
        let Ok(p) = Params::parse(query) else {
            return reply(
                Format::Xml,
                fail(FailureCode::InvalidRequest, "request too large"),
            );
        };
        let format = match parse_format(&p) {
            Ok(f) => f,
            Err(f) => return reply(Format::Xml, Err(Reject::Fail(f))),
        };
        let (pgt, target) = match (p.unique("pgt"), p.unique("targetService")) {
            (Ok(Some(pgt)), Ok(Some(t))) if !pgt.is_empty() && !t.is_empty() => (pgt, t),
            (Err(e), _) | (_, Err(e)) => {
                return reply(format, fail(FailureCode::InvalidRequest, &e.to_string()));
            }
            _ => {
                return reply(
                    format,
                    fail(
                        FailureCode::InvalidRequest,
                        "'pgt' and 'targetService' parameters are both required",
                    ),
                );
            }
        };
        reply(
            format,
            self.issue_proxy_ticket(store, entropy, now, pgt, target)
                .await,
        )
    }

    async fn issue_proxy_ticket<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        pgt: &str,
        target: &str,
    ) -> Result<TicketId, Reject> {
        let id = match TicketId::parse(pgt) {
            Ok(id) if id.kind() == TicketKind::ProxyGranting => id,
            _ => return fail(FailureCode::InvalidTicket, "not a proxy-granting ticket"),
        };
        let Some(Ticket::ProxyGranting(mut pgt)) = store.get(&id).await? else {
            return fail(
                FailureCode::InvalidTicket,
                "proxy-granting ticket not recognized",
            );
        };
        if !self.config.tickets.proxy_granting(&pgt, now).is_valid() {
            store.delete(&id).await?;
            return fail(FailureCode::InvalidTicket, "proxy-granting ticket expired");
        }
        // §3.3.1: "Proxy-granting tickets MUST expire when the client whose authentication
        // is being proxied logs out of CAS."
        let tgt_live = match store.get(&pgt.tgt).await? {
            Some(Ticket::TicketGranting(t)) => {
                self.config.tickets.ticket_granting(&t, now).is_valid()
            }
            _ => false,
        };
        if !tgt_live {
            store.delete(&id).await?;
            return fail(
                FailureCode::InvalidTicket,
                "the single sign-on session of this proxy-granting ticket has ended",
            );
        }
        // §2.7.3 UNAUTHORIZED_SERVICE: the proxying service must still be allowed to
        // proxy, and the target must be registered to receive proxy tickets.
        let proxier_ok = self
            .registry
            .find(&pgt.service)
            .is_some_and(|s| s.definition().proxy_callback.is_some());
        let target_ok = self
            .registry
            .find(target)
            .is_some_and(|s| s.definition().proxy_tickets);
        if !proxier_ok || !target_ok {
            return fail(
                FailureCode::UnauthorizedService,
                "the service is not authorized to perform this proxy request",
            );
        }
        let pt = ProxyTicket {
            id: TicketId::generate_in(TicketKind::Proxy, entropy, &pgt.tgt),
            service: target.to_owned(),
            pgt: pgt.id.clone(),
            tgt: pgt.tgt.clone(),
            authentication: pgt.authentication.clone(),
            proxies: pgt.proxies.clone(),
            created_at: now,
            validation_attempts: 0,
        };
        let pt_id = pt.id.clone();
        self.put(store, &Ticket::Proxy(pt)).await?;
        pgt.last_used_at = now;
        self.put(store, &Ticket::ProxyGranting(pgt)).await?;
        Ok(pt_id)
    }

    // ----- /samlValidate -------------------------------------------------------------

    /// `/samlValidate` (§4.2): validates the service ticket in the SAML request's
    /// `AssertionArtifact` for `TARGET`.
    pub async fn saml_validate<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        request: &SamlValidateRequest<'_>,
    ) -> SamlReply {
        let target = Params::parse(request.query)
            .ok()
            .and_then(|p| p.unique("TARGET").ok().flatten().map(str::to_owned))
            .unwrap_or_default();
        let parsed = core::str::from_utf8(request.body)
            .ok()
            .and_then(|b| saml::parse_request(b).ok());
        let mut reply = SamlReply {
            response_id: random_token(entropy, "_", 16),
            assertion_id: random_token(entropy, "_", 16),
            issue_instant: now,
            recipient: target.clone(),
            in_response_to: parsed
                .as_ref()
                .map(|r| r.request_id.clone())
                .unwrap_or_default(),
            validity_seconds: self.config.saml_assertion_seconds,
            authentication_instant: now,
            outcome: Err(failure(FailureCode::InternalError, "")),
            fault: None,
        };
        let outcome = if request.method != Method::Post {
            fail(FailureCode::InvalidRequest, "samlValidate requires POST")
        } else if target.is_empty() {
            fail(
                FailureCode::InvalidRequest,
                "the TARGET parameter is required",
            )
        } else if let Some(parsed) = parsed {
            self.saml_outcome(store, now, &parsed.assertion_artifact, &target)
                .await
        } else {
            fail(
                FailureCode::InvalidRequest,
                "the body is not a SAML 1.1 request with an assertion artifact",
            )
        };
        reply.outcome = match outcome {
            Ok((success, authenticated_at)) => {
                reply.authentication_instant = authenticated_at;
                Ok(success)
            }
            Err(Reject::Fail(f)) => Err(f),
            Err(Reject::Fault(e)) => {
                reply.fault = Some(e);
                Err(failure(FailureCode::InternalError, "internal error"))
            }
        };
        reply
    }

    async fn saml_outcome<S: Store>(
        &self,
        store: &S,
        now: Timestamp,
        artifact: &str,
        target: &str,
    ) -> Result<(Success, Timestamp), Reject> {
        // §4.2: "checks the validity of a Service Ticket" — proxy tickets are refused.
        let c = self
            .consume(store, now, artifact, target, false, false)
            .await?;
        // §4.2.1: "SAML attributes MUST NOT be released to a non-SSL site."
        let attributes = if http_url_scheme(target) == Some(Scheme::Https) {
            let mut a = c.service.release(&c.authentication.attributes);
            a.extend(protocol_attributes(&c.authentication, c.from_new_login));
            a
        } else {
            Attributes::new()
        };
        Ok((
            Success {
                user: c.authentication.principal,
                attributes,
                proxy_granting_ticket: None,
                proxies: Vec::new(),
            },
            c.authentication.authenticated_at,
        ))
    }
}

/// The CAS 3.0 protocol attributes (Appendix A): `authenticationDate`,
/// `longTermAuthenticationRequestTokenUsed`, `isFromNewLogin`.
fn protocol_attributes(auth: &Authentication, from_new_login: bool) -> Attributes {
    [
        (
            "authenticationDate".to_owned(),
            vec![auth.authenticated_at.to_rfc3339()],
        ),
        (
            "longTermAuthenticationRequestTokenUsed".to_owned(),
            bool_attr(auth.long_term),
        ),
        ("isFromNewLogin".to_owned(), bool_attr(from_new_login)),
    ]
    .into_iter()
    .collect()
}

fn validation_reply(
    endpoint: Endpoint,
    format: Format,
    result: Result<Success, Reject>,
) -> ValidationReply {
    if endpoint == Endpoint::Validate {
        let (body, fault) = match result {
            Ok(s) => (Cas1Response::Yes { user: s.user }, None),
            Err(Reject::Fail(_)) => (Cas1Response::No, None),
            Err(Reject::Fault(e)) => (Cas1Response::No, Some(e)),
        };
        return ValidationReply {
            body: ValidationBody::Cas1(body),
            fault,
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
    }
}

/// §2.5.1 `format`: `XML` (default) or `JSON`, case-insensitive; anything else is an
/// `INVALID_REQUEST` ("an error code MUST be returned").
fn parse_format(p: &Params) -> Result<Format, Failure> {
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

type ServiceAndMethod<'p> = (Option<&'p str>, Option<ResponseMethod>);

/// `service` and `method` of a `/login` request, or why the request is bad.
fn service_and_method(p: &Params) -> Result<ServiceAndMethod<'_>, &'static str> {
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

/// The [`Effect::SessionUsed`] of `tgt` just used at `now` (last used at `previous_use`).
fn session_used(
    tgt: &TicketGrantingTicket,
    previous_use: Timestamp,
    now: Timestamp,
    request: &HttpRequest<'_>,
) -> Effect {
    Effect::SessionUsed {
        session: SessionRecord::of(tgt, request.client_address),
        previous_use,
        now,
    }
}

fn throttled(until: Timestamp, now: Timestamp) -> LoginError {
    LoginError::Throttled {
        retry_after_seconds: (until.millis_since(now) + 999).div_euclid(1000).max(1),
    }
}

/// The audit event of a service ticket issued from an existing session.
fn sso_issued(tgt: &TicketGrantingTicket, service: &str, st: &TicketId) -> AuditEvent {
    AuditEvent::StIssued {
        principal: tgt.authentication.principal.clone(),
        service: service.to_owned(),
        ticket: ShortId::of(st),
        tgt: ShortId::of(&tgt.id),
        sso: true,
    }
}

fn bad_request(reason: &'static str) -> WebReply {
    WebReply::page(400, View::BadRequest { reason })
}

fn unknown_service(service: &str) -> WebReply {
    WebReply::page(
        403,
        View::UnknownService {
            service: service.to_owned(),
        },
    )
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
