//! Engine tests: one per requirement of the CAS Protocol 3.0 Specification, named with
//! its section. Fixed clock, seeded entropy, the in-memory store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;

use super::*;

use crate::cas::auth::UserStore;
use crate::cas::auth::{AuthFailure, AuthRequest, AuthResult, BUILTIN_SOURCE};
use crate::cas::params::Params;
use crate::cas::response::{Attributes, Failure, FailureCode, Format, ServiceResponse, Success};
use crate::cas::store::{MemoryStore, now_or_never};
use crate::cas::store::{Store, StoreError};
use crate::cas::throttle::{RESERVATION_SECONDS, ThrottleKey, ThrottlePolicy};
use crate::cas::ticket::DeterministicEntropy;
use crate::cas::ticket::{Ticket, TicketGrantingTicket, TicketId, TicketKind};
use crate::cas::web::{AutoPost, LogoutNotice};
use crate::cas::web::{
    Effect, Fault, HttpRequest, LoginError, LoginForm, Method, Response, ResponseMethod, View,
    WebReply,
};
use crate::password::{MIN_ITERATIONS, hash_password};
use crate::time::Timestamp;

const T0: Timestamp = Timestamp(1_795_331_018_000);
const APP: &str = "https://app.example.org/app";
const PORTAL: &str = "https://portal.example.org/home";
const BACKEND: &str = "https://backend.example.org/api";
const DEEP: &str = "https://deep.example.org/api";
const NOSLO: &str = "https://noslo.example.org/";
const ROUTER: &str = "https://router.example.org/";
const PLAIN: &str = "http://plain.example.org/";
const FRONT: &str = "https://front.example.org/app";
const QUIET: &str = "https://quiet.example.org/";
const PGT_URL: &str = "https://portal.example.org/pgt?tenant=a%20b&x=1";
const PGT_URL2: &str = "https://backend.example.org/pgt";

fn config() -> EngineConfig {
    let services = serde_json::json!([
        {"id": 1, "name": "App", "service": {"regex": "https://app\\.example\\.org/.*"},
         "releasedAttributes": ["email", "memberOf"]},
        {"id": 2, "name": "Portal", "service": {"regex": "https://portal\\.example\\.org/.*"},
         "proxyCallback": {"regex": "https://portal\\.example\\.org/pgt(\\?.*)?"},
         "releasedAttributes": ["email"]},
        {"id": 3, "name": "Backend", "service": {"regex": "https://backend\\.example\\.org/.*"},
         "proxyTickets": true, "proxyCallback": {"exact": PGT_URL2},
         "releasedAttributes": ["memberOf"]},
        {"id": 4, "name": "Deep", "service": {"exact": DEEP}, "proxyTickets": true},
        {"id": 5, "name": "No SLO", "service": {"regex": "https://noslo\\.example\\.org/.*"},
         "singleLogout": false, "proxyTickets": true},
        {"id": 6, "name": "Router", "service": {"regex": "https://router\\.example\\.org/.*"},
         "authenticationSource": "tacacs"},
        {"id": 7, "name": "Plain", "service": {"regex": "http://plain\\.example\\.org/.*"}},
        {"id": 80, "name": "Front", "service": {"regex": "https://front\\.example\\.org/.*"},
         "logoutType": "front_channel"},
        {"id": 81, "name": "Quiet", "service": {"regex": "https://quiet\\.example\\.org/.*"},
         "logoutType": "none"}
    ]);
    EngineConfig {
        services: serde_json::from_value(services).unwrap(),
        ..EngineConfig::default()
    }
}

fn users() -> UserStore {
    let h = hash_password("Mellon", b"0123456789abcdef", MIN_ITERATIONS);
    let h2 = hash_password("Secret", b"fedcba9876543210", MIN_ITERATIONS);
    UserStore::from_json(&format!(
        r#"{{"casuser": {{"password": "{h}", "attributes": {{"email": "casuser@example.org",
              "memberOf": ["staff", "faculty"], "ssn": "123"}}}},
            "other": {{"password": "{h2}"}}}}"#
    ))
    .unwrap()
}

fn enc(pairs: &[(&str, &str)]) -> String {
    Params::from_pairs(pairs.iter().copied()).encode()
}

fn run<F: Future>(f: F) -> F::Output {
    now_or_never(f).expect("the memory store never waits")
}

struct Fx {
    engine: Engine,
    store: MemoryStore,
    entropy: DeterministicEntropy,
    users: UserStore,
    now: Timestamp,
    address: Option<&'static str>,
    /// Requests arrive over https.
    https: bool,
    /// The browser's binding cookie (`name=value`) as the last form set it: sent with
    /// every `/login` request, as a browser would (`binding.rs`).
    binding: Option<String>,
}

impl Fx {
    fn new() -> Self {
        Self::with(config())
    }

    fn with(config: EngineConfig) -> Self {
        Self {
            engine: Engine::new(config).unwrap(),
            store: MemoryStore::new(),
            entropy: DeterministicEntropy::new(42),
            users: users(),
            now: T0,
            address: Some("192.0.2.7"),
            https: false,
            binding: None,
        }
    }

    /// The `Cookie:` header of a browser holding `cookie` and its binding cookie.
    fn jar(&self, cookie: Option<&str>) -> Option<String> {
        match (cookie, &self.binding) {
            (Some(c), Some(b)) => Some(format!("{c}; {b}")),
            (c, b) => c.map(str::to_owned).or_else(|| b.clone()),
        }
    }

    /// Keeps the binding cookie `r` sets, as a browser does.
    fn keep_binding(&mut self, r: &WebReply) {
        if let Some(c) = &r.binding {
            self.binding = Some(format!("{}={}", c.name, c.value.as_deref().unwrap_or("")));
        }
    }

    fn get(&mut self, query: &str, cookie: Option<&str>) -> WebReply {
        let jar = self.jar(cookie);
        let req = HttpRequest {
            method: Method::Get,
            query: query.as_bytes(),
            cookie: jar.as_deref(),
            client_address: self.address,
            https: self.https,
            ..HttpRequest::default()
        };
        match run(self
            .engine
            .login(&self.store, &mut self.entropy, self.now, &req))
        {
            LoginStep::Reply(r) => {
                self.keep_binding(&r);
                r
            }
            other => panic!("GET /login asked for authentication: {other:?}"),
        }
    }

    /// A login POST from this browser (its binding cookie added to `cookie`).
    fn post(&mut self, body: &str, cookie: Option<&str>) -> LoginStep {
        let jar = self.jar(cookie);
        self.post_raw(body, jar.as_deref(), |r| r)
    }

    /// A login POST with exactly the `Cookie:` header `cookie`, the request adjusted by
    /// `with` (headers).
    fn post_raw(
        &mut self,
        body: &str,
        cookie: Option<&str>,
        with: fn(HttpRequest<'_>) -> HttpRequest<'_>,
    ) -> LoginStep {
        let req = with(HttpRequest {
            method: Method::Post,
            body: body.as_bytes(),
            cookie,
            client_address: self.address,
            https: self.https,
            ..HttpRequest::default()
        });
        let step = run(self
            .engine
            .login(&self.store, &mut self.entropy, self.now, &req));
        if let LoginStep::Reply(r) = &step {
            self.keep_binding(r);
        }
        step
    }

    fn answer(&mut self, step: LoginStep) -> WebReply {
        match step {
            LoginStep::Reply(r) => r,
            LoginStep::Authenticate { request, pending } => {
                let result = self.users.answer(&AuthRequest {
                    source: BUILTIN_SOURCE.into(),
                    ..request
                });
                run(self.engine.login_authenticated(
                    &self.store,
                    &mut self.entropy,
                    self.now,
                    pending,
                    result,
                ))
            }
            LoginStep::Confirm { pending } => {
                run(self
                    .engine
                    .confirm_warned(&self.store, &mut self.entropy, self.now, pending))
            }
        }
    }

    /// GET the form for `service`, POST the credentials (plus `extra` fields).
    fn login_as(
        &mut self,
        user: &str,
        password: &str,
        service: Option<&str>,
        extra: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> WebReply {
        // With a session, only `renew` shows the form (§2.1.1).
        let mut q: Vec<(&str, &str)> = service.map(|s| ("service", s)).into_iter().collect();
        if cookie.is_some() {
            q.push(("renew", "true"));
        }
        let form = login_form(&self.get(&enc(&q), cookie)).clone();
        self.post_credentials(&form, user, password, service, extra, cookie)
    }

    /// POSTs the credentials (plus `extra` fields) with the login ticket of `form`, shown
    /// earlier for `service`.
    fn post_credentials(
        &mut self,
        form: &LoginForm,
        user: &str,
        password: &str,
        service: Option<&str>,
        extra: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> WebReply {
        let mut pairs = vec![
            ("username", user),
            ("password", password),
            ("lt", form.login_ticket.as_str()),
        ];
        if let Some(s) = service {
            pairs.push(("service", s));
        }
        pairs.extend_from_slice(extra);
        let step = self.post(&enc(&pairs), cookie);
        self.answer(step)
    }

    /// Logs casuser in for `service`; returns the reply and the TGC `Cookie:` header.
    fn login(&mut self, service: Option<&str>, extra: &[(&str, &str)]) -> (WebReply, String) {
        let r = self.login_as("casuser", "Mellon", service, extra, None);
        let cookie = tgc(&r);
        (r, cookie)
    }

    fn logout(&mut self, query: &str, cookie: Option<&str>) -> WebReply {
        let req = HttpRequest {
            query: query.as_bytes(),
            cookie,
            https: self.https,
            ..HttpRequest::default()
        };
        run(self
            .engine
            .logout(&self.store, &mut self.entropy, self.now, &req))
    }

    fn validate_step(&mut self, endpoint: Endpoint, query: &str) -> ValidationStep {
        run(self.engine.validate(
            &self.store,
            &mut self.entropy,
            self.now,
            endpoint,
            query.as_bytes(),
        ))
    }

    fn validate(&mut self, endpoint: Endpoint, query: &str) -> ValidationReply {
        match self.validate_step(endpoint, query) {
            ValidationStep::Done(r) => r,
            other => panic!("unexpected proxy callback: {other:?}"),
        }
    }

    fn sv(&mut self, endpoint: Endpoint, service: &str, ticket: &TicketId) -> ValidationReply {
        self.validate(
            endpoint,
            &enc(&[("service", service), ("ticket", ticket.as_str())]),
        )
    }

    /// Validates with a pgtUrl and answers the callback with `status`; returns the reply
    /// and the callback that was asked for.
    fn validate_with_pgt(
        &mut self,
        endpoint: Endpoint,
        service: &str,
        ticket: &TicketId,
        pgt_url: &str,
        status: Option<u16>,
    ) -> (ValidationReply, Option<ProxyCallback>) {
        let q = enc(&[
            ("service", service),
            ("ticket", ticket.as_str()),
            ("pgtUrl", pgt_url),
        ]);
        match self.validate_step(endpoint, &q) {
            ValidationStep::Done(r) => (r, None),
            ValidationStep::ProxyCallback { callback, pending } => (
                run(self
                    .engine
                    .proxy_callback_result(&self.store, pending, status)),
                Some(callback),
            ),
        }
    }

    fn proxy(&mut self, query: &str) -> ValidationReply {
        run(self
            .engine
            .proxy(&self.store, &mut self.entropy, self.now, query.as_bytes()))
    }

    fn proxy_ticket(&mut self, pgt: &str, target: &str) -> TicketId {
        match self
            .proxy(&enc(&[("pgt", pgt), ("targetService", target)]))
            .body
        {
            ValidationBody::Service {
                response: ServiceResponse::ProxySuccess { proxy_ticket },
                ..
            } => TicketId::parse(&proxy_ticket).unwrap(),
            other => panic!("no proxy ticket: {other:?}"),
        }
    }

    /// An SSO service ticket for `service` with the session in `cookie`.
    fn sso(&mut self, service: &str, cookie: &str) -> TicketId {
        let r = self.get(&enc(&[("service", service)]), Some(cookie));
        r.service_ticket.clone().expect("SSO issued no ticket")
    }

    /// The PGT id a callback delivered.
    fn pgt_from_callback(callback: &ProxyCallback) -> String {
        let query = callback.url.split_once('?').unwrap().1;
        Params::parse(query.as_bytes())
            .unwrap()
            .first("pgtId")
            .unwrap()
            .to_owned()
    }
}

/// The single-logout notices among a reply's effects (§2.3.3), in order.
fn slo_notices(r: &WebReply) -> impl Iterator<Item = &LogoutNotice> {
    r.effects.iter().filter_map(|e| match e {
        Effect::SingleLogout(n) => Some(n),
        _ => None,
    })
}

fn slo_count(r: &WebReply) -> usize {
    slo_notices(r).count()
}

/// The single-logout targets of a reply: (service, SessionIndex).
fn slo_targets(r: &WebReply) -> Vec<(String, TicketId)> {
    slo_notices(r)
        .map(|n| (n.url.clone(), n.session_index.clone()))
        .collect()
}

fn login_form(r: &WebReply) -> &LoginForm {
    match &r.response {
        Response::Page {
            view: View::LoginForm(f),
            ..
        } => f,
        other => panic!("not a login form: {other:?}"),
    }
}

fn view(r: &WebReply) -> &View {
    match &r.response {
        Response::Page { view, .. } => view,
        other => panic!("not a page: {other:?}"),
    }
}

fn location(r: &WebReply) -> &str {
    match &r.response {
        Response::Redirect { location, .. } => location,
        other => panic!("not a redirect: {other:?}"),
    }
}

fn tgc(r: &WebReply) -> String {
    let c = r.cookie.as_ref().expect("no cookie");
    format!(
        "{}={}",
        c.name,
        c.value.as_ref().expect("cookie cleared").as_str()
    )
}

fn success(r: &ValidationReply) -> &Success {
    r.success()
        .unwrap_or_else(|| panic!("not a success: {r:?}"))
}

fn code(r: &ValidationReply) -> FailureCode {
    r.failure_code()
        .unwrap_or_else(|| panic!("not a failure: {r:?}"))
}

fn st_of(r: &WebReply) -> TicketId {
    r.service_ticket.clone().expect("no service ticket")
}

/// Logs in at the portal and obtains a PGT through PGT_URL; returns (pgt id, cookie).
fn proxy_setup(f: &mut Fx) -> (String, String) {
    let (r, cookie) = f.login(Some(PORTAL), &[]);
    let (v, cb) = f.validate_with_pgt(
        Endpoint::ServiceValidate,
        PORTAL,
        &st_of(&r),
        PGT_URL,
        Some(200),
    );
    success(&v);
    (Fx::pgt_from_callback(&cb.unwrap()), cookie)
}

/// A SOAP-wrapped SAML 1.1 request for `artifact` (§4.2.2–§4.2.4).
fn saml_body(artifact: &str) -> String {
    format!(
        r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body><samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" MinorVersion="1" RequestID="_192.168.16.51.1024506224022" IssueInstant="2002-06-19T17:03:44.022Z"><samlp:AssertionArtifact>{artifact}</samlp:AssertionArtifact></samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
    )
}

fn saml(f: &mut Fx, method: Method, target: &str, artifact: Option<&str>) -> SamlReply {
    let query = enc(&[("TARGET", target)]);
    let body = artifact.map(saml_body).unwrap_or_default();
    let req = SamlValidateRequest {
        method,
        query: query.as_bytes(),
        body: body.as_bytes(),
    };
    run(f
        .engine
        .saml_validate(&f.store, &mut f.entropy, f.now, &req))
}

mod audit;
mod csrf;
mod faults;
mod login;
mod logout;
mod proxy;
mod saml;
mod session;
mod totality;
mod validate;
mod whole;
