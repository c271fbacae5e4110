//! The CAS 3.0 engine: every endpoint as an operation on a [`Store`], with `now` and
//! [`Entropy`](crate::cas::ticket::Entropy) passed in, returning a reply value (and
//! effects) for the adapter to send.
//!
//! | endpoint | operation | reply |
//! |---|---|---|
//! | `/login` GET/POST | [`Engine::login`] → maybe [`Engine::login_authenticated`] | [`WebReply`](crate::cas::web::WebReply) |
//! | `/logout` | [`Engine::logout`] | [`WebReply`](crate::cas::web::WebReply) |
//! | `/validate`, `/serviceValidate`, `/proxyValidate`, `/p3/*` | [`Engine::validate`] → maybe [`Engine::proxy_callback_result`] | [`ValidationReply`] |
//! | `/proxy` | [`Engine::proxy`] | [`ValidationReply`] |
//! | `/samlValidate` | [`Engine::saml_validate`] | [`SamlReply`] |
//!
//! Two operations need an answer from a third party before they can finish, and return a
//! step instead of a reply: checking credentials ([`LoginStep::Authenticate`]) and the
//! proxy callback ([`ValidationStep::ProxyCallback`], §2.5.4). The adapter performs the
//! call and hands the outcome back with the pending value.
//!
//! One file per endpoint: `login.rs` (the credential requestor and the login form),
//! `acceptor.rs` (the credential acceptor), `binding.rs` (login CSRF: each login ticket
//! bound to its browser), `logout.rs`, `validate.rs` (with the proxy
//! callback), `proxy.rs`, `saml.rs`; `session.rs` holds what they share about a session
//! (expiry, ending or revoking it, issuing a service ticket from it). This file holds the
//! configuration, the [`Engine`] and the rules every endpoint asks (which authentication
//! source a service accepts, what a clean user name is). Every reply carries the audit
//! events of what the engine decided ([`crate::cas::audit`]).
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
//! // GET /cas/login?service=… → the login form with a single-use login ticket, bound to
//! // this browser by the binding cookie the reply sets (login CSRF).
//! let get = HttpRequest { query: b"service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp", ..Default::default() };
//! let LoginStep::Reply(form) = run(engine.login(&store, &mut entropy, now, &get)) else { panic!() };
//! let cookie = form.binding.as_deref().and_then(|c| c.pair());
//! let Response::Page { view: View::LoginForm(form), .. } = form.response else { panic!() };
//!
//! // POST /cas/login with that cookie → check the credentials (here: the built-in user
//! // store) → 303.
//! let body = format!("username=casuser&password=Mellon&lt={}&service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp",
//!                    form.login_ticket.as_str());
//! let post = HttpRequest { method: Method::Post, body: body.as_bytes(), cookie: cookie.as_deref(),
//!                          ..Default::default() };
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

use crate::cas::auth::BUILTIN_SOURCE;
use crate::cas::http::TransportConfig;
use crate::cas::params::{cookie_values, http_url_scheme};
use crate::cas::policy::{ExpirationPolicies, PolicyError};
use crate::cas::registry::{RegisteredService, RegistryError, ServiceDefinition, ServiceRegistry};
use crate::cas::response::{Failure, FailureCode};
use crate::cas::store::{Store, StoreError};
use crate::cas::throttle::{Lowercase, ThrottleKey, ThrottlePolicy};
use crate::cas::ticket::{Ticket, TicketGrantingTicket, TicketId, TicketKind};
use crate::cas::web::{Effect, SessionRecord, SetCookie};
use crate::cas::xml;
use crate::time::Timestamp;

mod acceptor;
mod binding;
mod login;
mod login_ticket;
mod logout;
mod proxy;
mod saml;
mod session;
mod validate;

pub use acceptor::{PendingConfirm, PendingLogin};
pub use binding::BINDING_COOKIE;
pub use login::LoginStep;
pub use saml::{SamlReply, SamlValidateRequest};
pub use validate::{
    Cas1Response, Endpoint, PendingValidation, ProxyCallback, ValidationBody, ValidationReply,
    ValidationStep,
};

/// Longest user name accepted at the login form.
pub const MAX_USERNAME_LEN: usize = 256;

/// The ticket-granting cookie's settings (§3.6.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CookieConfig {
    /// Cookie name (§3.6.1: "SHOULD begin with the characters `TGC-`").
    pub name: String,
    /// Cookie path (§3.6.1: as restrictive as possible, e.g. `/cas`).
    pub path: String,
    /// The `Secure` attribute; turn off only for plain-http loopback development.
    pub secure: bool,
    /// Over https, name the cookie `__Host-` + [`CookieConfig::name`] with `Path=/`
    /// (issue 20 item 10; on by default). A `__Host-` cookie is `Secure`, host-only and
    /// for the whole host (RFC 6265bis §4.1.3.2), so no sibling or parent domain can set
    /// one that the server would read (cookie tossing), while a `Path=/cas` cookie of the
    /// plain name can be shadowed by one a sibling sets with `Domain=` the parent. The
    /// path is no protection worth keeping: every path of the host is the same origin, and
    /// the cookie is `HttpOnly`. Plain http (loopback development) keeps the plain name and
    /// [`CookieConfig::path`]. `false` keeps the plain name and path over https too.
    pub host_prefix: bool,
}

crate::cas::config::config_table!(CookieConfig, "a cookie table", {
    "name" => name,
    "path" => path,
    "secure" => secure,
    "hostPrefix" => host_prefix,
});

/// The prefix of a cookie bound to its host (RFC 6265bis §4.1.3.2).
pub const HOST_PREFIX: &str = "__Host-";

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: "TGC-casplus".into(),
            path: "/cas".into(),
            secure: true,
            host_prefix: true,
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
    /// https redirect and HSTS ([`TransportConfig::decide`]).
    pub transport: TransportConfig,
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
            transport: TransportConfig::default(),
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

/// The CAS engine: configuration and service registry; all state is in the [`Store`].
#[derive(Clone, Debug)]
pub struct Engine {
    config: EngineConfig,
    registry: ServiceRegistry,
    lowercase: Lowercase,
    /// Whether replies carry the session lifecycle effects ([`Engine::with_session_effects`]).
    session_effects: bool,
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

/// A user name or principal that every response format can carry unambiguously
/// ([`xml::is_representable_user`]: no control characters or line separators, no
/// surrounding whitespace) and of bounded length.
fn is_clean_name(s: &str) -> bool {
    s.len() <= MAX_USERNAME_LEN && xml::is_representable_user(s)
}

/// Whether `service` accepts an authentication by `source`: a service that names an
/// `authenticationSource` accepts only logins checked by that source — for single sign-on,
/// for a proxy ticket issued to it and for every ticket validated for it; any other
/// service accepts every source.
fn accepts_source(service: &RegisteredService, source: &str) -> bool {
    service
        .definition()
        .authentication_source
        .as_deref()
        .is_none_or(|required| required == source)
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
            session_effects: true,
        })
    }

    /// This engine with the SSO session's lifecycle reported (`on`, the default) or not:
    /// [`Effect::SessionStarted`], [`Effect::SessionUsed`] and [`Effect::SessionEnded`]
    /// are for an adapter that accounts sessions (TACACS+ accounting, RFC 8907 §7; the
    /// bridge's `aaa::accounting_request`). Off, the engine builds none of them: a
    /// deployment that accounts nothing pays nothing for them (a session record per SSO:
    /// its services, its `task_id` hash).
    #[must_use]
    pub fn with_session_effects(mut self, on: bool) -> Self {
        self.session_effects = on;
        self
    }

    /// Whether replies carry the session lifecycle effects
    /// ([`Engine::with_session_effects`]).
    pub fn session_effects(&self) -> bool {
        self.session_effects
    }

    /// The lifecycle effect `effect()` makes, when this engine reports them
    /// ([`Engine::with_session_effects`]).
    fn lifecycle(&self, effect: impl FnOnce() -> Effect) -> Option<Effect> {
        self.session_effects.then(effect)
    }

    /// The [`Effect::SessionUsed`] of `tgt` just used at `now` (last used at
    /// `previous_use`), from a request of `client_address`, when this engine reports the
    /// lifecycle.
    fn session_used(
        &self,
        tgt: &TicketGrantingTicket,
        previous_use: Timestamp,
        now: Timestamp,
        client_address: Option<&str>,
    ) -> Option<Effect> {
        self.lifecycle(|| Effect::SessionUsed {
            session: SessionRecord::of(tgt, client_address),
            previous_use,
            now,
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

    /// The throttle counters a login attempt for `username` from `address` counts on:
    /// the pair, the address (group), the user name from everywhere — the ones that lock
    /// before the one that only slows down.
    fn throttle_keys(&self, username: &str, address: Option<&str>) -> Vec<ThrottleKey> {
        let address = address.filter(|a| !a.trim().is_empty());
        let mut keys = vec![ThrottleKey::pair(username, address, self.lowercase)];
        keys.extend(address.map(ThrottleKey::address));
        keys.push(ThrottleKey::user(username, self.lowercase));
        keys
    }

    /// A registered service usable as a browser destination: registered (§2.2.1) and an
    /// absolute http(s) URL without user info.
    fn browser_service(&self, service: &str) -> Option<&RegisteredService> {
        http_url_scheme(service)?;
        self.registry.find(service)
    }

    /// The ticket-granting cookie (§3.6); `https` says whether the request came over
    /// TLS, where it is always `Secure` and, unless turned off, a `__Host-` cookie for the
    /// whole host ([`CookieConfig::host_prefix`]).
    fn cookie(&self, value: Option<String>, long_term: bool, https: bool) -> SetCookie {
        let c = &self.config.cookie;
        let host_bound = https && c.host_prefix;
        SetCookie {
            name: self.cookie_name(https),
            value,
            path: if host_bound {
                "/".into()
            } else {
                c.path.clone()
            },
            secure: c.secure || https,
            max_age: long_term.then_some(self.config.tickets.long_term.hard_seconds),
        }
    }

    /// The name of the ticket-granting cookie the server sets, and the only one it reads,
    /// over https (`https`) or plain http: over https `__Host-` + the configured name
    /// ([`CookieConfig::host_prefix`]), so a plain-named cookie tossed by a sibling domain
    /// is never read there.
    pub fn cookie_name(&self, https: bool) -> String {
        let c = &self.config.cookie;
        if https && c.host_prefix {
            format!("{HOST_PREFIX}{}", c.name)
        } else {
            c.name.clone()
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
    /// `https`: the request came over TLS ([`Engine::cookie_name`]).
    pub fn cookie_session(&self, cookie: Option<&str>, https: bool) -> Option<TicketId> {
        let mut ids = cookie_values(cookie?, &self.cookie_name(https))
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
        https: bool,
    ) -> Result<Option<TicketGrantingTicket>, StoreError> {
        let Some(header) = cookie else {
            return Ok(None);
        };
        // A few candidates at most (cookies for wider paths or parent domains).
        for value in cookie_values(header, &self.cookie_name(https))
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
}

#[cfg(test)]
mod tests;
