//! Engine tests: one per requirement of the CAS Protocol 3.0 Specification, named with
//! its section. Fixed clock, seeded entropy, the in-memory store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;

use super::*;
use crate::cas::auth::UserStore;
use crate::cas::store::{MemoryStore, now_or_never};
use crate::cas::ticket::DeterministicEntropy;
use crate::cas::web::{AutoPost, Response};
use crate::password::{MIN_ITERATIONS, hash_password};

const T0: Timestamp = Timestamp(1_795_331_018_000);
const APP: &str = "https://app.example.org/app";
const PORTAL: &str = "https://portal.example.org/home";
const BACKEND: &str = "https://backend.example.org/api";
const DEEP: &str = "https://deep.example.org/api";
const NOSLO: &str = "https://noslo.example.org/";
const ROUTER: &str = "https://router.example.org/";
const PLAIN: &str = "http://plain.example.org/";
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
         "singleLogout": false},
        {"id": 6, "name": "Router", "service": {"regex": "https://router\\.example\\.org/.*"},
         "authenticationSource": "tacacs"},
        {"id": 7, "name": "Plain", "service": {"regex": "http://plain\\.example\\.org/.*"}}
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
        }
    }

    fn get(&mut self, query: &str, cookie: Option<&str>) -> WebReply {
        let req = HttpRequest {
            method: Method::Get,
            query: query.as_bytes(),
            cookie,
            client_address: self.address,
            https: self.https,
            ..HttpRequest::default()
        };
        match run(self
            .engine
            .login(&self.store, &mut self.entropy, self.now, &req))
        {
            LoginStep::Reply(r) => r,
            other => panic!("GET /login asked for authentication: {other:?}"),
        }
    }

    fn post(&mut self, body: &str, cookie: Option<&str>) -> LoginStep {
        let req = HttpRequest {
            method: Method::Post,
            body: body.as_bytes(),
            cookie,
            client_address: self.address,
            https: self.https,
            ..HttpRequest::default()
        };
        run(self
            .engine
            .login(&self.store, &mut self.entropy, self.now, &req))
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

fn slo_count(r: &WebReply) -> usize {
    r.effects
        .iter()
        .filter(|e| matches!(e, Effect::SingleLogout(_)))
        .count()
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

// ----- /login as credential requestor (§2.1) -----------------------------------------

#[test]
fn login_without_session_shows_form_with_lt_2_1_3() {
    let mut f = Fx::new();
    let r = f.get(&enc(&[("service", APP)]), None);
    assert_eq!(r.status(), 200);
    assert!(r.cookie.is_none());
    let form = login_form(&r);
    assert_eq!(form.service.as_deref(), Some(APP));
    assert_eq!(form.service_name.as_deref(), Some("App"));
    assert_eq!(form.login_ticket.kind(), TicketKind::Login);
    assert!(
        form.remember_me,
        "§4.1.1: the remember-me checkbox is offered"
    );
    assert!(f.store.contains(&form.login_ticket));
    assert!(r.headers().contains(&("Cache-Control", "no-store".into())));
}

#[test]
fn unregistered_service_gets_error_page_no_redirect_2_2_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    for evil in [
        "https://evil.example/",
        "https://app.example.org.evil.example/",
        "https://app.example.org@evil.example/x",
        "//evil.example/",
        "javascript:alert(1)//https://app.example.org/x",
    ] {
        for extra in [vec![], vec![("gateway", "true")], vec![("renew", "true")]] {
            let mut pairs = vec![("service", evil)];
            pairs.extend(extra);
            for c in [None, Some(cookie.as_str())] {
                let r = f.get(&enc(&pairs), c);
                assert_eq!(r.status(), 403, "{evil}");
                assert_eq!(
                    view(&r),
                    &View::UnknownService {
                        service: evil.into()
                    }
                );
                assert!(r.service_ticket.is_none());
                assert!(r.headers().iter().all(|(h, _)| *h != "Location"));
            }
        }
    }
}

#[test]
fn sso_issues_st_with_valid_tgc_2_1_5() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    f.now = f.now.plus_secs(60);
    let r = f.get(&enc(&[("service", PORTAL)]), Some(&cookie));
    assert_eq!(r.status(), 302);
    let st = st_of(&r);
    assert_eq!(location(&r), format!("{PORTAL}?ticket={}", st.as_str()));
    assert!(r.no_store);
    match f.store.peek(&st) {
        Some(Ticket::Service(s)) => {
            assert!(!s.from_new_login);
            assert_eq!(s.service, PORTAL);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn renew_bypasses_sso_2_1_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(&enc(&[("service", APP), ("renew", "true")]), Some(&cookie));
    assert!(r.service_ticket.is_none());
    login_form(&r);
}

#[test]
fn gateway_without_session_redirects_without_ticket_2_1_1() {
    let mut f = Fx::new();
    let r = f.get(&enc(&[("service", APP), ("gateway", "true")]), None);
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), APP);
    assert!(r.service_ticket.is_none());
}

#[test]
fn gateway_with_session_issues_ticket_2_1_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(
        &enc(&[("service", APP), ("gateway", "true")]),
        Some(&cookie),
    );
    assert_eq!(r.status(), 302);
    assert!(r.service_ticket.is_some());
}

#[test]
fn gateway_ignored_when_renew_set_2_1_1() {
    let mut f = Fx::new();
    let r = f.get(
        &enc(&[("service", APP), ("gateway", "true"), ("renew", "true")]),
        None,
    );
    login_form(&r);
}

#[test]
fn gateway_without_service_requests_credentials_2_1_1() {
    let mut f = Fx::new();
    let r = f.get(&enc(&[("gateway", "true")]), None);
    login_form(&r);
}

#[test]
fn no_service_with_session_says_already_logged_in_2_1_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get("", Some(&cookie));
    assert_eq!(
        view(&r),
        &View::AlreadyLoggedIn {
            principal: "casuser".into()
        }
    );
}

#[test]
fn method_post_returns_auto_submit_form_2_1_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(&enc(&[("service", APP), ("method", "POST")]), Some(&cookie));
    let st = st_of(&r);
    assert_eq!(r.status(), 200);
    assert_eq!(
        view(&r),
        &View::AutoPost(AutoPost {
            action: APP.into(),
            fields: vec![("ticket", st.as_str().into())]
        })
    );
    // Also after an interactive login: the method travels in the form.
    let mut f = Fx::new();
    let form = login_form(&f.get(&enc(&[("service", APP), ("method", "POST")]), None)).clone();
    assert_eq!(form.method, Some(ResponseMethod::Post));
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
            ("service", APP),
            ("method", "POST"),
        ]),
        None,
    );
    let r = f.answer(step);
    assert!(matches!(view(&r), View::AutoPost(_)));
}

#[test]
fn method_header_returns_service_and_ticket_headers_2_1_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(
        &enc(&[("service", APP), ("method", "HEADER")]),
        Some(&cookie),
    );
    let st = st_of(&r);
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert!(h.contains(&("service", APP.into())));
    assert!(h.contains(&("ticket", st.as_str().into())));
}

#[test]
fn unsupported_method_is_a_bad_request() {
    let mut f = Fx::new();
    let r = f.get(&enc(&[("service", APP), ("method", "PUT")]), None);
    assert_eq!(r.status(), 400);
}

#[test]
fn duplicate_service_parameter_is_a_bad_request() {
    let mut f = Fx::new();
    let r = f.get(
        &enc(&[("service", APP), ("service", "https://evil.example/")]),
        None,
    );
    assert_eq!(r.status(), 400);
}

#[test]
fn warn_parameter_prompts_before_sso_2_2_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(&enc(&[("service", APP), ("warn", "true")]), Some(&cookie));
    assert!(r.service_ticket.is_none());
    let View::Warn(w) = view(&r) else {
        panic!("no warn page")
    };
    assert_eq!(w.service, APP);
    assert_eq!(w.principal, "casuser");
    let confirm = enc(&[("lt", w.login_ticket.as_str()), ("service", APP)]);
    let step = f.post(&confirm, Some(&cookie));
    let r = f.answer(step);
    assert_eq!(r.status(), 303);
    assert!(r.service_ticket.is_some());
    // The confirmation is single use (§3.5.1).
    let step = f.post(&confirm, Some(&cookie));
    let r = f.answer(step);
    assert!(r.service_ticket.is_none());
    assert_eq!(login_form(&r).error, Some(LoginError::FormExpired));
}

#[test]
fn warn_at_login_prompts_before_every_sso_2_2_1() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[("warn", "true")]);
    // The service the user logged in for is not "another service".
    assert!(r.service_ticket.is_some());
    let r = f.get(&enc(&[("service", PORTAL)]), Some(&cookie));
    assert!(matches!(view(&r), View::Warn(_)), "{r:?}");
    // Even with gateway: the advisory page is allowed, transparency is not.
    let r = f.get(
        &enc(&[("service", PORTAL), ("gateway", "true")]),
        Some(&cookie),
    );
    assert!(matches!(view(&r), View::Warn(_)));
}

#[test]
fn warn_confirmation_needs_the_same_session_and_service() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(&enc(&[("service", APP), ("warn", "true")]), Some(&cookie));
    let View::Warn(w) = view(&r).clone() else {
        panic!()
    };
    // Another service in the confirmation → refused.
    let step = f.post(
        &enc(&[("lt", w.login_ticket.as_str()), ("service", PORTAL)]),
        Some(&cookie),
    );
    let r = f.answer(step);
    assert!(r.service_ticket.is_none());
    // Without the session cookie → refused.
    let r = f.get(&enc(&[("service", APP), ("warn", "true")]), Some(&cookie));
    let View::Warn(w) = view(&r).clone() else {
        panic!()
    };
    let step = f.post(
        &enc(&[("lt", w.login_ticket.as_str()), ("service", APP)]),
        None,
    );
    assert!(f.answer(step).service_ticket.is_none());
}

#[test]
fn expired_session_is_not_used_and_cookie_cleared_2_3_3() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    f.now = f.now.plus_secs(2 * 3600); // idle timeout
    let r = f.get(&enc(&[("service", PORTAL)]), Some(&cookie));
    login_form(&r);
    assert!(r.service_ticket.is_none());
    let c = r.cookie.as_ref().expect("cookie cleared");
    assert!(c.value.is_none());
    // §2.3.3: "SLO requests MAY also be initiated by the CAS Server upon TGT idle timeout."
    assert_eq!(slo_count(&r), 1);
}

#[test]
fn hard_timeout_ends_session_despite_activity() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    for _ in 0..8 {
        f.now = f.now.plus_secs(3600 - 1);
        let _ = f.sso(APP, &cookie);
    }
    f.now = f.now.plus_secs(8);
    let r = f.get(&enc(&[("service", APP)]), Some(&cookie));
    login_form(&r);
}

#[test]
fn service_requiring_another_source_does_not_accept_sso() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(&enc(&[("service", ROUTER)]), Some(&cookie));
    let form = login_form(&r).clone();
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "x"),
            ("lt", form.login_ticket.as_str()),
            ("service", ROUTER),
        ]),
        Some(&cookie),
    );
    let LoginStep::Authenticate { request, .. } = step else {
        panic!("{step:?}")
    };
    assert_eq!(request.source, "tacacs");
    // With gateway: back to the service without a ticket.
    let r = f.get(
        &enc(&[("service", ROUTER), ("gateway", "true")]),
        Some(&cookie),
    );
    assert_eq!(location(&r), ROUTER);
}

// ----- /login as credential acceptor (§2.2) ------------------------------------------

#[test]
fn successful_login_redirects_303_with_ticket_2_2_4() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    assert_eq!(r.status(), 303, "Appendix B: 303 after POST");
    let st = st_of(&r);
    assert_eq!(location(&r), format!("{APP}?ticket={}", st.as_str()));
    let h = r.headers();
    let set_cookie = &h.iter().find(|(n, _)| *n == "Set-Cookie").unwrap().1;
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/cas", "Secure"] {
        assert!(set_cookie.contains(attr), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Max-Age"), "§3.6.1 session cookie");
    assert!(set_cookie.starts_with("TGC-casplus=TGT-"), "§3.6.1 name");
    assert!(h.contains(&("Cache-Control", "no-store".into())));
    match f.store.peek(&st) {
        Some(Ticket::Service(s)) => assert!(s.from_new_login),
        other => panic!("{other:?}"),
    }
}

#[test]
fn service_with_query_gets_ticket_appended_appendix_b() {
    let mut f = Fx::new();
    let svc = "https://app.example.org/app?page=2&q=a%20b#top";
    let (r, _) = f.login(Some(svc), &[]);
    let st = st_of(&r);
    assert_eq!(
        location(&r),
        format!(
            "https://app.example.org/app?page=2&q=a%20b&ticket={}#top",
            st.as_str()
        )
    );
}

#[test]
fn successful_login_without_service_starts_sso_2_2_4() {
    let mut f = Fx::new();
    let (r, _) = f.login(None, &[]);
    assert_eq!(
        view(&r),
        &View::SsoStarted {
            principal: "casuser".into()
        }
    );
    assert!(r.cookie.is_some());
}

#[test]
fn failed_login_shows_form_again_without_ticket_2_2_4() {
    let mut f = Fx::new();
    let first = login_form(&f.get(&enc(&[("service", APP)]), None)).clone();
    let r = f.login_as("casuser", "wrong-password", Some(APP), &[], None);
    assert_eq!(r.status(), 401);
    assert!(r.cookie.is_none());
    assert!(r.service_ticket.is_none());
    let form = login_form(&r);
    assert_eq!(form.error, Some(LoginError::InvalidCredentials));
    assert_eq!(form.username.as_deref(), Some("casuser"));
    assert_eq!(form.service.as_deref(), Some(APP));
    assert_ne!(form.login_ticket, first.login_ticket);
    // Unknown users get the very same answer.
    let r2 = f.login_as("nobody", "wrong-password", Some(APP), &[], None);
    assert_eq!(login_form(&r2).error, Some(LoginError::InvalidCredentials));
    // Credentials never appear in a reply.
    assert!(!format!("{r:?}{r2:?}").contains("wrong-password"));
}

#[test]
fn login_ticket_single_use_3_5_1() {
    let mut f = Fx::new();
    let form = login_form(&f.get(&enc(&[("service", APP)]), None)).clone();
    let body = enc(&[
        ("username", "casuser"),
        ("password", "wrong"),
        ("lt", form.login_ticket.as_str()),
        ("service", APP),
    ]);
    let step = f.post(&body, None);
    assert!(matches!(step, LoginStep::Authenticate { .. }));
    let _ = f.answer(step);
    // Replayed (even with the right password): refused before any authentication.
    let body = body.replace("wrong", "Mellon");
    let step = f.post(&body, None);
    let LoginStep::Reply(r) = step else {
        panic!("replayed LT reached authentication")
    };
    assert_eq!(r.status(), 403);
    assert_eq!(login_form(&r).error, Some(LoginError::FormExpired));
}

#[test]
fn post_without_or_with_forged_lt_is_rejected_3_5_1() {
    let mut f = Fx::new();
    for lt in [
        None,
        Some("LT-00112233445566778899aabbccddeeff"),
        Some("TGT-1"),
        Some("junk"),
    ] {
        let mut pairs = vec![
            ("username", "casuser"),
            ("password", "Mellon"),
            ("service", APP),
        ];
        if let Some(lt) = lt {
            pairs.push(("lt", lt));
        }
        let LoginStep::Reply(r) = f.post(&enc(&pairs), None) else {
            panic!("{lt:?} reached authentication")
        };
        assert_eq!(login_form(&r).error, Some(LoginError::FormExpired));
        assert!(r.cookie.is_none());
    }
}

#[test]
fn execution_is_accepted_as_the_login_ticket_3_5() {
    let mut f = Fx::new();
    let form = login_form(&f.get("", None)).clone();
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("execution", form.login_ticket.as_str()),
        ]),
        None,
    );
    assert!(matches!(step, LoginStep::Authenticate { .. }));
}

#[test]
fn expired_lt_is_rejected_3_5_1() {
    let mut f = Fx::new();
    let form = login_form(&f.get("", None)).clone();
    f.now = f.now.plus_secs(30 * 60);
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
        ]),
        None,
    );
    assert!(matches!(step, LoginStep::Reply(_)));
}

#[test]
fn lt_is_bound_to_its_service() {
    let mut f = Fx::new();
    let form = login_form(&f.get(&enc(&[("service", APP)]), None)).clone();
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
            ("service", PORTAL),
        ]),
        None,
    );
    assert!(matches!(step, LoginStep::Reply(_)));
}

#[test]
fn credentials_in_a_query_string_are_never_accepted() {
    let mut f = Fx::new();
    let form = login_form(&f.get("", None)).clone();
    let r = f.get(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
        ]),
        None,
    );
    login_form(&r);
    assert!(r.cookie.is_none());
}

#[test]
fn missing_password_asks_again_2_2_2() {
    let mut f = Fx::new();
    let r = f.login_as("casuser", "", Some(APP), &[], None);
    assert_eq!(r.status(), 400);
    assert_eq!(login_form(&r).error, Some(LoginError::MissingCredentials));
}

#[test]
fn usernames_with_control_characters_are_refused() {
    let mut f = Fx::new();
    let r = f.login_as("casuser\nyes", "Mellon", Some(APP), &[], None);
    assert_eq!(login_form(&r).error, Some(LoginError::InvalidCredentials));
    assert!(r.service_ticket.is_none());
}

#[test]
fn remember_me_sets_persistent_cookie_4_1_5() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[("rememberMe", "true")]);
    let c = r.cookie.as_ref().unwrap();
    assert_eq!(c.max_age, Some(14 * 86_400));
    // Long-term TGT outlives the normal idle timeout.
    f.now = f.now.plus_secs(3 * 3600);
    let st = f.sso(APP, &cookie);
    let s = f.sv(Endpoint::P3ServiceValidate, APP, &st);
    let a = &success(&s).attributes;
    assert_eq!(a["longTermAuthenticationRequestTokenUsed"], vec!["true"]);
    assert_eq!(a["isFromNewLogin"], vec!["false"]);
}

#[test]
fn remember_me_flag_released_by_cas2_endpoints_4_1_3() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[("rememberMe", "true")]);
    let s = f.sv(Endpoint::ServiceValidate, APP, &st_of(&r));
    assert_eq!(
        success(&s).attributes["longTermAuthenticationRequestTokenUsed"],
        vec!["true"]
    );
    assert_eq!(success(&s).attributes.len(), 1);
}

#[test]
fn remember_me_can_be_disabled_4_1() {
    let mut f = Fx::with(EngineConfig {
        remember_me: false,
        ..config()
    });
    let form = login_form(&f.get("", None)).clone();
    assert!(!form.remember_me);
    let (r, _) = f.login(None, &[("rememberMe", "true")]);
    assert_eq!(r.cookie.as_ref().unwrap().max_age, None);
}

#[test]
fn throttling_locks_a_user_after_repeated_failures() {
    let mut f = Fx::new();
    for i in 0..5 {
        f.address = Some(
            [
                "192.0.2.1",
                "192.0.2.2",
                "192.0.2.3",
                "192.0.2.4",
                "192.0.2.5",
            ][i],
        );
        let r = f.login_as("casuser", "bad", Some(APP), &[], None);
        if i < 4 {
            assert_eq!(r.status(), 401);
        } else {
            assert_eq!(r.status(), 429);
            assert!(r.headers().contains(&("Retry-After", "60".into())));
        }
    }
    // Locked: the right password is not even checked.
    f.address = Some("198.51.100.9");
    let form = login_form(&f.get("", None)).clone();
    let step = f.post(
        &enc(&[
            ("username", "CasUser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
        ]),
        None,
    );
    let LoginStep::Reply(r) = step else {
        panic!("locked account reached authentication")
    };
    assert!(matches!(
        login_form(&r).error,
        Some(LoginError::Throttled { .. })
    ));
    // After the lockout it works, and success clears the counter.
    f.now = f.now.plus_secs(61);
    let (r, _) = f.login(None, &[]);
    assert!(r.cookie.is_some());
    let key = ThrottleKey::Username("casuser".into()).storage_key();
    assert_eq!(run(f.store.throttle(&key)).unwrap(), None);
}

#[test]
fn throttling_per_client_address() {
    let mut f = Fx::new();
    for i in 0..20 {
        let user = format!("user{i}");
        let r = f.login_as(&user, "bad", None, &[], None);
        assert_eq!(r.status(), if i < 19 { 401 } else { 429 }, "{i}");
    }
    let form = login_form(&f.get("", None)).clone();
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
        ]),
        None,
    );
    assert!(matches!(step, LoginStep::Reply(_)));
    // Another address is unaffected.
    f.address = Some("203.0.113.1");
    let (r, _) = f.login(None, &[]);
    assert!(r.cookie.is_some());
}

#[test]
fn unavailable_source_is_not_counted_as_a_failure() {
    let mut f = Fx::new();
    let form = login_form(&f.get("", None)).clone();
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
        ]),
        None,
    );
    let LoginStep::Authenticate { pending, .. } = step else {
        panic!()
    };
    let r = run(f.engine.login_authenticated(
        &f.store,
        &mut f.entropy,
        f.now,
        pending,
        AuthResult::Rejected(AuthFailure::Unavailable),
    ));
    assert_eq!(r.status(), 503);
    assert_eq!(login_form(&r).error, Some(LoginError::SourceUnavailable));
    let key = ThrottleKey::Username("casuser".into()).storage_key();
    assert_eq!(run(f.store.throttle(&key)).unwrap(), None);
}

#[test]
fn relogin_by_same_principal_keeps_the_session() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    let r = f.login_as(
        "casuser",
        "Mellon",
        Some(PORTAL),
        &[("renew", "true")],
        Some(&cookie),
    );
    assert_eq!(tgc(&r), cookie);
    assert_eq!(slo_count(&r), 0);
    let out = f.logout("", Some(&cookie));
    assert_eq!(slo_count(&out), 2, "both services get single logout");
}

#[test]
fn login_as_another_principal_ends_the_old_session_2_3_3() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    let r = f.login_as("other", "Secret", Some(PORTAL), &[], Some(&cookie));
    assert_ne!(tgc(&r), cookie);
    assert_eq!(slo_count(&r), 1);
    let r = f.get("", Some(&cookie));
    login_form(&r);
}

// ----- /logout (§2.3) ----------------------------------------------------------------

#[test]
fn logout_destroys_session_and_clears_cookie_2_3() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.logout("", Some(&cookie));
    assert_eq!(view(&r), &View::LoggedOut);
    let c = r.cookie.as_ref().unwrap();
    assert!(c.value.is_none());
    assert!(c.header_value().contains("Max-Age=0"));
    // "subsequent requests to /login will not obtain service tickets"
    let r = f.get(&enc(&[("service", APP)]), Some(&cookie));
    assert!(r.service_ticket.is_none());
    login_form(&r);
}

#[test]
fn logout_redirects_only_to_registered_service_2_3_2() {
    let mut f = Fx::new();
    let r = f.logout(&enc(&[("service", APP)]), None);
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), APP);
    for evil in [
        "https://evil.example/",
        "https://app.example.org@evil.example/",
    ] {
        let r = f.logout(&enc(&[("service", evil)]), None);
        assert_eq!(view(&r), &View::LoggedOut);
    }
}

#[test]
fn logout_ignores_url_parameter_2_3_1() {
    let mut f = Fx::new();
    let r = f.logout(&enc(&[("url", APP)]), None);
    assert_eq!(view(&r), &View::LoggedOut);
    assert!(r.headers().iter().all(|(h, _)| *h != "Location"));
}

#[test]
fn single_logout_notifies_every_service_that_got_a_ticket_2_3_3() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[]);
    let st_app = st_of(&r);
    let st_portal = f.sso(PORTAL, &cookie);
    let _st_noslo = f.sso(NOSLO, &cookie);
    f.now = f.now.plus_secs(5);
    let out = f.logout("", Some(&cookie));
    let notices: Vec<_> = out
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::SingleLogout(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 2, "not to a service with single logout off");
    assert_eq!(notices[0].url, APP);
    assert_eq!(notices[0].session_index, st_app);
    assert_eq!(notices[1].url, PORTAL);
    assert_eq!(notices[1].session_index, st_portal);
    assert_ne!(notices[0].request_id, notices[1].request_id);
    assert!(notices[0].request_id.starts_with("LR-"));
    assert_eq!(notices[0].issue_instant, f.now);
}

#[test]
fn single_logout_can_be_turned_off_2_3_3() {
    let mut f = Fx::with(EngineConfig {
        single_logout: false,
        ..config()
    });
    let (_, cookie) = f.login(Some(APP), &[]);
    assert_eq!(slo_count(&f.logout("", Some(&cookie))), 0);
}

#[test]
fn logout_also_burns_outstanding_service_tickets() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[]);
    let _ = f.logout("", Some(&cookie));
    let v = f.sv(Endpoint::ServiceValidate, APP, &st_of(&r));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
}

// ----- /validate (§2.4) --------------------------------------------------------------

#[test]
fn validate_answers_yes_then_no_2_4_2() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    let v = f.sv(Endpoint::Validate, APP, &st);
    assert_eq!(
        v.body,
        ValidationBody::Cas1(Cas1Response::Yes {
            user: "casuser".into()
        })
    );
    let ValidationBody::Cas1(c) = &v.body else {
        panic!()
    };
    assert!(c.body().starts_with("yes\n"));
    assert_eq!(v.content_type(), "text/plain; charset=UTF-8");
    let v = f.sv(Endpoint::Validate, APP, &st);
    assert_eq!(v.body, ValidationBody::Cas1(Cas1Response::No));
    let ValidationBody::Cas1(c) = &v.body else {
        panic!()
    };
    assert!(c.body().starts_with("no\n"));
}

#[test]
fn validate_rejects_proxy_tickets_2_4() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let pt = f.proxy_ticket(&pgt, BACKEND);
    let v = f.sv(Endpoint::Validate, BACKEND, &pt);
    assert_eq!(v.body, ValidationBody::Cas1(Cas1Response::No));
}

#[test]
fn validate_ignores_pgt_url_2_4_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(PORTAL), &[]);
    let (v, callback) =
        f.validate_with_pgt(Endpoint::Validate, PORTAL, &st_of(&r), PGT_URL, Some(200));
    assert!(callback.is_none());
    assert!(matches!(
        v.body,
        ValidationBody::Cas1(Cas1Response::Yes { .. })
    ));
}

#[test]
fn validate_renew_fails_for_sso_ticket_2_4_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let st = f.sso(APP, &cookie);
    let v = f.validate(
        Endpoint::Validate,
        &enc(&[("service", APP), ("ticket", st.as_str()), ("renew", "true")]),
    );
    assert_eq!(v.body, ValidationBody::Cas1(Cas1Response::No));
}

// ----- /serviceValidate (§2.5) -------------------------------------------------------

#[test]
fn service_validate_success_2_5_2() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let v = f.sv(Endpoint::ServiceValidate, APP, &st_of(&r));
    assert_eq!(
        v.body,
        ValidationBody::Service {
            response: ServiceResponse::AuthenticationSuccess(Success {
                user: "casuser".into(),
                attributes: Attributes::new(),
                proxy_granting_ticket: None,
                proxies: vec![],
            }),
            format: Format::Xml,
        }
    );
    assert_eq!(v.content_type(), "application/xml; charset=UTF-8");
}

#[test]
fn st_valid_for_one_validation_attempt_only_3_1_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    success(&f.sv(Endpoint::ServiceValidate, APP, &st));
    assert_eq!(
        code(&f.sv(Endpoint::ServiceValidate, APP, &st)),
        FailureCode::InvalidTicket
    );
    assert_eq!(
        code(&f.sv(Endpoint::P3ProxyValidate, APP, &st)),
        FailureCode::InvalidTicket
    );
}

#[test]
fn st_is_burnt_after_failed_validation_3_1_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let st = f.sso(APP, &cookie);
    let v = f.validate(
        Endpoint::ServiceValidate,
        &enc(&[("service", APP), ("ticket", st.as_str()), ("renew", "true")]),
    );
    assert_eq!(code(&v), FailureCode::InvalidTicket);
    assert_eq!(
        code(&f.sv(Endpoint::ServiceValidate, APP, &st)),
        FailureCode::InvalidTicket
    );
}

#[test]
fn st_expires_after_its_lifetime_3_1_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    f.now = f.now.plus_secs(10);
    assert_eq!(
        code(&f.sv(Endpoint::ServiceValidate, APP, &st_of(&r))),
        FailureCode::InvalidTicket
    );
    // Just inside the lifetime it validates.
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    f.now = f.now.plus_millis(9_999);
    success(&f.sv(Endpoint::ServiceValidate, APP, &st_of(&r)));
}

#[test]
fn st_lifetime_is_configurable() {
    let mut c = config();
    c.tickets.service_ticket_seconds = 1;
    let mut f = Fx::with(c);
    let (r, _) = f.login(Some(APP), &[]);
    f.now = f.now.plus_secs(1);
    assert_eq!(
        code(&f.sv(Endpoint::ServiceValidate, APP, &st_of(&r))),
        FailureCode::InvalidTicket
    );
}

#[test]
fn invalid_service_also_invalidates_the_ticket_2_5_3() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    assert_eq!(
        code(&f.sv(
            Endpoint::ServiceValidate,
            "https://app.example.org/other",
            &st
        )),
        FailureCode::InvalidService
    );
    assert_eq!(
        code(&f.sv(Endpoint::ServiceValidate, APP, &st)),
        FailureCode::InvalidTicket
    );
}

#[test]
fn renew_fails_for_sso_issued_st_2_5_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let st = f.sso(APP, &cookie);
    let v = f.validate(
        Endpoint::ServiceValidate,
        &enc(&[("service", APP), ("ticket", st.as_str()), ("renew", "true")]),
    );
    assert_eq!(code(&v), FailureCode::InvalidTicket);
}

#[test]
fn renew_succeeds_for_st_from_primary_credentials_2_5_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let v = f.validate(
        Endpoint::ServiceValidate,
        &enc(&[
            ("service", APP),
            ("ticket", st_of(&r).as_str()),
            ("renew", "true"),
        ]),
    );
    success(&v);
}

#[test]
fn renew_login_issues_st_that_passes_renew_validation_2_1_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.login_as(
        "casuser",
        "Mellon",
        Some(APP),
        &[("renew", "true")],
        Some(&cookie),
    );
    let v = f.validate(
        Endpoint::ServiceValidate,
        &enc(&[
            ("service", APP),
            ("ticket", st_of(&r).as_str()),
            ("renew", "true"),
        ]),
    );
    success(&v);
}

#[test]
fn service_validate_rejects_proxy_tickets_2_5() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    for endpoint in [Endpoint::ServiceValidate, Endpoint::P3ServiceValidate] {
        let pt = f.proxy_ticket(&pgt, BACKEND);
        let v = f.sv(endpoint, BACKEND, &pt);
        assert_eq!(code(&v), FailureCode::InvalidTicketSpec);
        let ValidationBody::Service {
            response: ServiceResponse::AuthenticationFailure(fl),
            ..
        } = &v.body
        else {
            panic!()
        };
        assert!(fl.description.contains("proxy ticket"), "§2.5: explain why");
        // The attempt used the ticket up (§3.2.1).
        assert_eq!(
            code(&f.sv(Endpoint::ProxyValidate, BACKEND, &pt)),
            FailureCode::InvalidTicket
        );
    }
}

#[test]
fn missing_parameters_are_invalid_request_2_5_3() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    for q in [
        enc(&[("ticket", st.as_str())]),
        enc(&[("service", APP)]),
        enc(&[("service", ""), ("ticket", st.as_str())]),
        String::new(),
    ] {
        assert_eq!(
            code(&f.validate(Endpoint::ServiceValidate, &q)),
            FailureCode::InvalidRequest
        );
    }
    // The ticket was not touched by those requests.
    success(&f.sv(Endpoint::ServiceValidate, APP, &st));
}

#[test]
fn ambiguous_or_oversized_parameters_are_invalid_request_2_5_3() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    let dup = enc(&[
        ("service", APP),
        ("ticket", st.as_str()),
        ("ticket", st.as_str()),
    ]);
    assert_eq!(
        code(&f.validate(Endpoint::ServiceValidate, &dup)),
        FailureCode::InvalidRequest
    );
    let long = format!("{APP}{}", "a".repeat(5000));
    let q = enc(&[("service", &long), ("ticket", st.as_str())]);
    assert_eq!(
        code(&f.validate(Endpoint::ServiceValidate, &q)),
        FailureCode::InvalidRequest
    );
    let huge = "a".repeat(20_000);
    assert_eq!(
        code(&f.validate(Endpoint::ServiceValidate, &huge)),
        FailureCode::InvalidRequest
    );
}

#[test]
fn unknown_or_malformed_ticket_is_invalid_ticket_2_5_3() {
    let mut f = Fx::new();
    for t in ["ST-doesnotexist", "ST-<script>", "junk", "PGTIOU-abc"] {
        let q = enc(&[("service", APP), ("ticket", t)]);
        assert_eq!(
            code(&f.validate(Endpoint::ServiceValidate, &q)),
            FailureCode::InvalidTicket,
            "{t}"
        );
    }
}

#[test]
fn other_ticket_kinds_are_refused_and_left_alone_3_8() {
    let mut f = Fx::new();
    let (r, _) = f.login(None, &[]);
    let tgt = r.cookie.unwrap().value.unwrap();
    let q = enc(&[("service", APP), ("ticket", tgt.as_str())]);
    assert_eq!(
        code(&f.validate(Endpoint::ProxyValidate, &q)),
        FailureCode::InvalidTicket
    );
    assert!(f.store.contains(&tgt), "validation must not consume a TGT");
}

#[test]
fn format_json_2_5_1() {
    let mut f = Fx::new();
    for format in ["JSON", "json"] {
        let (r, _) = f.login(Some(APP), &[]);
        let q = enc(&[
            ("service", APP),
            ("ticket", st_of(&r).as_str()),
            ("format", format),
        ]);
        let v = f.validate(Endpoint::ServiceValidate, &q);
        assert!(matches!(
            v.body,
            ValidationBody::Service {
                format: Format::Json,
                response: ServiceResponse::AuthenticationSuccess(_)
            }
        ));
        assert_eq!(v.content_type(), "application/json; charset=UTF-8");
    }
    let (r, _) = f.login(Some(APP), &[]);
    let q = enc(&[
        ("service", APP),
        ("ticket", st_of(&r).as_str()),
        ("format", "XML"),
    ]);
    assert!(matches!(
        f.validate(Endpoint::ServiceValidate, &q).body,
        ValidationBody::Service {
            format: Format::Xml,
            ..
        }
    ));
}

#[test]
fn unknown_format_is_an_error_2_5_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let q = enc(&[
        ("service", APP),
        ("ticket", st_of(&r).as_str()),
        ("format", "YAML"),
    ]);
    let v = f.validate(Endpoint::ServiceValidate, &q);
    assert_eq!(code(&v), FailureCode::InvalidRequest);
    assert!(matches!(
        v.body,
        ValidationBody::Service {
            format: Format::Xml,
            ..
        }
    ));
}

// ----- /p3 (§2.8, §2.9, Appendix A) --------------------------------------------------

#[test]
fn p3_releases_attributes_and_protocol_attributes_2_8() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let login_time = f.now;
    f.now = f.now.plus_secs(3);
    let v = f.sv(Endpoint::P3ServiceValidate, APP, &st_of(&r));
    let a = &success(&v).attributes;
    assert_eq!(a["email"], vec!["casuser@example.org"]);
    assert_eq!(
        a["memberOf"],
        vec!["staff", "faculty"],
        "multi-valued, in order"
    );
    assert!(!a.contains_key("ssn"), "not released to this service");
    assert_eq!(a["authenticationDate"], vec![login_time.to_rfc3339()]);
    assert_eq!(a["longTermAuthenticationRequestTokenUsed"], vec!["false"]);
    assert_eq!(a["isFromNewLogin"], vec!["true"]);
}

#[test]
fn p3_is_from_new_login_false_for_sso_appendix_a() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let st = f.sso(PORTAL, &cookie);
    let v = f.sv(Endpoint::P3ProxyValidate, PORTAL, &st);
    let a = &success(&v).attributes;
    assert_eq!(a["isFromNewLogin"], vec!["false"]);
    assert_eq!(a["email"], vec!["casuser@example.org"]);
    assert!(!a.contains_key("memberOf"));
}

#[test]
fn cas2_endpoints_release_no_attributes_2_5_2() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let v = f.sv(Endpoint::ProxyValidate, APP, &st_of(&r));
    assert!(success(&v).attributes.is_empty());
}

// ----- proxy callback (§2.5.4) -------------------------------------------------------

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

#[test]
fn pgt_url_callback_then_pgtiou_in_response_2_5_4() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(PORTAL), &[]);
    let q = enc(&[
        ("service", PORTAL),
        ("ticket", st_of(&r).as_str()),
        ("pgtUrl", PGT_URL),
    ]);
    let ValidationStep::ProxyCallback { callback, pending } =
        f.validate_step(Endpoint::ServiceValidate, &q)
    else {
        panic!("no callback")
    };
    // Step 2: the callback's own parameters preserved, pgtId and pgtIou added.
    let (base, query) = callback.url.split_once('?').unwrap();
    assert_eq!(base, "https://portal.example.org/pgt");
    let p = Params::parse(query.as_bytes()).unwrap();
    assert_eq!(p.first("tenant"), Some("a b"));
    assert_eq!(p.first("x"), Some("1"));
    let pgt = TicketId::parse(p.first("pgtId").unwrap()).unwrap();
    let iou = p.first("pgtIou").unwrap().to_owned();
    assert_eq!(pgt.kind(), TicketKind::ProxyGranting);
    assert!(iou.starts_with("PGTIOU-") && iou.len() >= 64);
    assert!(
        !format!("{callback:?}").contains(&iou),
        "Debug hides the URL"
    );
    // Nothing issued before the callback succeeded.
    assert!(!f.store.contains(&pgt));
    let v = run(f.engine.proxy_callback_result(&f.store, pending, Some(200)));
    assert_eq!(
        success(&v).proxy_granting_ticket.as_deref(),
        Some(iou.as_str())
    );
    assert!(f.store.contains(&pgt));
}

#[test]
fn pgt_url_callback_not_200_means_no_pgt_2_5_4() {
    for status in [Some(404), Some(500), Some(302), Some(201), None] {
        let mut f = Fx::new();
        let (r, _) = f.login(Some(PORTAL), &[]);
        let (v, cb) = f.validate_with_pgt(
            Endpoint::ServiceValidate,
            PORTAL,
            &st_of(&r),
            PGT_URL,
            status,
        );
        assert_eq!(code(&v), FailureCode::InvalidProxyCallback, "{status:?}");
        let pgt = TicketId::parse(&Fx::pgt_from_callback(&cb.unwrap())).unwrap();
        assert!(!f.store.contains(&pgt));
    }
}

#[test]
fn pgt_url_must_be_https_2_5_4() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(PORTAL), &[]);
    let st = st_of(&r);
    let (v, cb) = f.validate_with_pgt(
        Endpoint::ServiceValidate,
        PORTAL,
        &st,
        "http://portal.example.org/pgt",
        Some(200),
    );
    assert!(cb.is_none(), "no callback to a plain-http URL");
    assert_eq!(code(&v), FailureCode::InvalidProxyCallback);
    assert!(success_opt(&f.sv(Endpoint::ServiceValidate, PORTAL, &st)).is_none());
}

fn success_opt(r: &ValidationReply) -> Option<&Success> {
    r.success()
}

#[test]
fn pgt_url_must_be_registered_2_5_4() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(PORTAL), &[]);
    let (v, cb) = f.validate_with_pgt(
        Endpoint::ServiceValidate,
        PORTAL,
        &st_of(&r),
        "https://evil.example/pgt",
        Some(200),
    );
    assert!(cb.is_none());
    assert_eq!(code(&v), FailureCode::InvalidProxyCallback);
}

#[test]
fn service_not_allowed_to_proxy_2_5_3() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let (v, cb) = f.validate_with_pgt(
        Endpoint::ServiceValidate,
        APP,
        &st_of(&r),
        "https://app.example.org/pgt",
        Some(200),
    );
    assert!(cb.is_none());
    assert_eq!(code(&v), FailureCode::UnauthorizedServiceProxy);
}

#[test]
fn proxy_identity_is_the_pgt_url_exactly_as_passed_2_5_4() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let pt = f.proxy_ticket(&pgt, BACKEND);
    let v = f.sv(Endpoint::ProxyValidate, BACKEND, &pt);
    assert_eq!(success(&v).proxies, vec![PGT_URL.to_owned()]);
}

// ----- /proxy (§2.7) and /proxyValidate (§2.6) ---------------------------------------

#[test]
fn proxy_issues_a_proxy_ticket_2_7_2() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let v = f.proxy(&enc(&[
        ("pgt", &pgt),
        ("targetService", BACKEND),
        ("format", "JSON"),
    ]));
    let ValidationBody::Service {
        response: ServiceResponse::ProxySuccess { proxy_ticket },
        format: Format::Json,
    } = &v.body
    else {
        panic!("{v:?}")
    };
    assert!(
        proxy_ticket.starts_with("PT-") && proxy_ticket.len() <= 256,
        "§3.2.1"
    );
    // A PGT is not single use (§3.3.1).
    let _ = f.proxy_ticket(&pgt, BACKEND);
}

#[test]
fn proxy_missing_parameters_invalid_request_2_7_3() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    for q in [
        enc(&[("pgt", &pgt)]),
        enc(&[("targetService", BACKEND)]),
        String::new(),
    ] {
        let v = f.proxy(&q);
        assert!(matches!(
            &v.body,
            ValidationBody::Service {
                response: ServiceResponse::ProxyFailure(Failure {
                    code: FailureCode::InvalidRequest,
                    ..
                }),
                ..
            }
        ));
    }
}

#[test]
fn proxy_to_unauthorized_target_is_unauthorized_service_2_7_3() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    // APP is registered but does not accept proxy tickets; evil is not registered.
    for target in [APP, "https://evil.example/"] {
        let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", target)]));
        assert_eq!(code(&v), FailureCode::UnauthorizedService, "{target}");
    }
}

#[test]
fn proxy_with_bad_pgt_is_invalid_ticket() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    for pgt in ["PGT-nope", "junk", st_of(&r).as_str()] {
        let v = f.proxy(&enc(&[("pgt", pgt), ("targetService", BACKEND)]));
        assert_eq!(code(&v), FailureCode::InvalidTicket, "{pgt}");
    }
}

#[test]
fn proxy_validate_lists_proxies_most_recent_first_2_6_2() {
    let mut f = Fx::new();
    let (pgt1, _) = proxy_setup(&mut f);
    let pt1 = f.proxy_ticket(&pgt1, BACKEND);
    // The back end validates its PT and asks for its own PGT.
    let (v, cb) = f.validate_with_pgt(Endpoint::ProxyValidate, BACKEND, &pt1, PGT_URL2, Some(200));
    assert_eq!(success(&v).proxies, vec![PGT_URL.to_owned()]);
    let pgt2 = Fx::pgt_from_callback(&cb.unwrap());
    let pt2 = f.proxy_ticket(&pgt2, DEEP);
    let v = f.sv(Endpoint::P3ProxyValidate, DEEP, &pt2);
    let s = success(&v);
    assert_eq!(s.user, "casuser");
    assert_eq!(s.proxies, vec![PGT_URL2.to_owned(), PGT_URL.to_owned()]);
    assert_eq!(s.attributes["isFromNewLogin"], vec!["false"]);
}

#[test]
fn pt_valid_for_one_validation_attempt_only_3_2_1() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let pt = f.proxy_ticket(&pgt, BACKEND);
    success(&f.sv(Endpoint::ProxyValidate, BACKEND, &pt));
    assert_eq!(
        code(&f.sv(Endpoint::ProxyValidate, BACKEND, &pt)),
        FailureCode::InvalidTicket
    );
}

#[test]
fn pt_expires_after_its_lifetime_3_2_1() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let pt = f.proxy_ticket(&pgt, BACKEND);
    f.now = f.now.plus_secs(10);
    assert_eq!(
        code(&f.sv(Endpoint::ProxyValidate, BACKEND, &pt)),
        FailureCode::InvalidTicket
    );
}

#[test]
fn pt_renew_validation_fails_2_5_1() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let pt = f.proxy_ticket(&pgt, BACKEND);
    let q = enc(&[
        ("service", BACKEND),
        ("ticket", pt.as_str()),
        ("renew", "true"),
    ]);
    assert_eq!(
        code(&f.validate(Endpoint::ProxyValidate, &q)),
        FailureCode::InvalidTicket
    );
}

#[test]
fn pgt_dies_with_its_session_3_3_1() {
    let mut f = Fx::new();
    let (pgt, cookie) = proxy_setup(&mut f);
    let _ = f.logout("", Some(&cookie));
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
    assert!(!f.store.contains(&TicketId::parse(&pgt).unwrap()));
}

#[test]
fn pgt_dies_with_its_session_even_if_not_recorded_3_3_1() {
    let mut f = Fx::new();
    let (pgt, cookie) = proxy_setup(&mut f);
    // Simulate a lost TGT update (eventual consistency): the TGT forgets its PGT.
    let tgt_id = TicketId::parse(cookie.split_once('=').unwrap().1).unwrap();
    let Some(Ticket::TicketGranting(mut tgt)) = f.store.peek(&tgt_id) else {
        panic!()
    };
    tgt.proxy_granting_tickets.clear();
    run(f
        .store
        .put(&Ticket::TicketGranting(tgt), Timestamp(i64::MAX)))
    .unwrap();
    let _ = f.logout("", Some(&cookie));
    assert!(f.store.contains(&TicketId::parse(&pgt).unwrap()));
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
}

#[test]
fn pgt_idle_timeout() {
    let mut f = Fx::new();
    let (pgt, cookie) = proxy_setup(&mut f);
    // Keep the TGT alive, leave the PGT idle.
    for _ in 0..3 {
        f.now = f.now.plus_secs(3000);
        let _ = f.sso(APP, &cookie);
    }
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
}

// ----- /samlValidate (§4.2) ----------------------------------------------------------

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

#[test]
fn saml_validate_success_4_2_5() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[("rememberMe", "true")]);
    f.now = f.now.plus_secs(2);
    let reply = saml(&mut f, Method::Post, APP, Some(st_of(&r).as_str()));
    assert_eq!(reply.in_response_to, "_192.168.16.51.1024506224022");
    assert_eq!(reply.recipient, APP);
    assert_eq!(reply.authentication_instant, T0);
    assert_eq!(reply.issue_instant, f.now);
    assert_eq!(reply.validity_seconds, 30);
    assert!(reply.response_id.starts_with('_') && reply.assertion_id.starts_with('_'));
    assert_ne!(reply.response_id, reply.assertion_id);
    let s = reply.outcome.as_ref().unwrap();
    assert_eq!(s.user, "casuser");
    assert_eq!(s.attributes["memberOf"], vec!["staff", "faculty"]);
    // §4.2.5.1: remember-me MUST be indicated.
    assert_eq!(
        s.attributes["longTermAuthenticationRequestTokenUsed"],
        vec!["true"]
    );
    let xml = reply.render("cas.example.org");
    assert!(xml.contains("casuser") && xml.contains("Success"), "{xml}");
    assert!(xml.contains("longTermAuthenticationRequestTokenUsed"));
}

#[test]
fn saml_validate_ticket_single_use_3_1_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    assert!(
        saml(&mut f, Method::Post, APP, Some(st.as_str()))
            .outcome
            .is_ok()
    );
    let again = saml(&mut f, Method::Post, APP, Some(st.as_str()));
    assert_eq!(again.outcome.unwrap_err().code, FailureCode::InvalidTicket);
}

#[test]
fn saml_validate_requires_post_4_2_2() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let reply = saml(&mut f, Method::Get, APP, Some(st_of(&r).as_str()));
    assert_eq!(reply.outcome.unwrap_err().code, FailureCode::InvalidRequest);
}

#[test]
fn saml_attributes_not_released_to_non_ssl_target_4_2_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(PLAIN), &[]);
    let s = saml(&mut f, Method::Post, PLAIN, Some(st_of(&r).as_str()))
        .outcome
        .unwrap();
    assert_eq!(s.user, "casuser");
    assert!(s.attributes.is_empty());
}

#[test]
fn saml_validate_missing_target_or_artifact_4_2_1() {
    let mut f = Fx::new();
    let reply = saml(&mut f, Method::Post, "", Some("ST-1"));
    assert_eq!(reply.outcome.unwrap_err().code, FailureCode::InvalidRequest);
    let reply = saml(&mut f, Method::Post, APP, None);
    assert_eq!(
        reply.outcome.as_ref().unwrap_err().code,
        FailureCode::InvalidRequest
    );
    assert!(reply.render("cas").contains("INVALID_REQUEST"));
}

#[test]
fn saml_validate_wrong_target_is_invalid_service_2_5_3() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let reply = saml(&mut f, Method::Post, PORTAL, Some(st_of(&r).as_str()));
    assert_eq!(reply.outcome.unwrap_err().code, FailureCode::InvalidService);
}

// ----- faults --------------------------------------------------------------------------

/// A store whose writes or takes fail on demand.
struct Faulty {
    inner: MemoryStore,
    fail_put: std::cell::Cell<Option<TicketKind>>,
    fail_take: std::cell::Cell<bool>,
}

impl Store for Faulty {
    async fn put(&self, t: &Ticket, e: Timestamp) -> Result<(), StoreError> {
        if self.fail_put.get() == Some(t.kind()) {
            return Err(StoreError::Unavailable("injected".into()));
        }
        self.inner.put(t, e).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.inner.get(id).await
    }
    async fn take(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        if self.fail_take.get() {
            return Err(StoreError::Unavailable("injected".into()));
        }
        self.inner.take(id).await
    }
    async fn delete(&self, id: &TicketId) -> Result<(), StoreError> {
        self.inner.delete(id).await
    }
    async fn throttle(
        &self,
        key: &str,
    ) -> Result<Option<crate::cas::throttle::ThrottleState>, StoreError> {
        self.inner.throttle(key).await
    }
    async fn update_throttle(
        &self,
        key: &str,
        u: &crate::cas::throttle::ThrottleUpdate,
    ) -> Result<Option<crate::cas::throttle::ThrottleState>, StoreError> {
        self.inner.update_throttle(key, u).await
    }
}

#[test]
fn store_faults_are_internal_errors_never_tickets() {
    let engine = Engine::new(config()).unwrap();
    let store = Faulty {
        inner: MemoryStore::new(),
        fail_put: std::cell::Cell::new(None),
        fail_take: std::cell::Cell::new(false),
    };
    let mut e = DeterministicEntropy::new(5);
    let query = enc(&[("service", APP)]);
    let get = HttpRequest {
        query: query.as_bytes(),
        ..HttpRequest::default()
    };
    let LoginStep::Reply(r) = run(engine.login(&store, &mut e, T0, &get)) else {
        panic!()
    };
    let lt = login_form(&r).login_ticket.clone();
    // The TGT cannot be written: 500, no cookie, no ticket.
    store.fail_put.set(Some(TicketKind::TicketGranting));
    let body = enc(&[
        ("username", "casuser"),
        ("password", "Mellon"),
        ("lt", lt.as_str()),
        ("service", APP),
    ]);
    let post = HttpRequest {
        method: Method::Post,
        body: body.as_bytes(),
        ..HttpRequest::default()
    };
    let LoginStep::Authenticate { request, pending } = run(engine.login(&store, &mut e, T0, &post))
    else {
        panic!()
    };
    let result = users().answer(&request);
    let r = run(engine.login_authenticated(&store, &mut e, T0, pending, result));
    assert_eq!(r.status(), 500);
    assert_eq!(view(&r), &View::InternalError);
    assert!(r.cookie.is_none() && r.service_ticket.is_none());
    assert!(matches!(r.fault, Some(Fault::Store(_))));
    // Validation with a failing take: INTERNAL_ERROR (HTTP 200 body), fault reported.
    store.fail_take.set(true);
    let q = enc(&[("service", APP), ("ticket", "ST-0123456789")]);
    let ValidationStep::Done(v) =
        run(engine.validate(&store, &mut e, T0, Endpoint::ServiceValidate, q.as_bytes()))
    else {
        panic!()
    };
    assert_eq!(code(&v), FailureCode::InternalError);
    assert!(v.fault.is_some());
}

// ----- concurrency, configuration, end to end -----------------------------------------

#[test]
fn concurrent_validations_of_one_st_give_exactly_one_success_3_1_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    let engine = std::sync::Arc::new(f.engine);
    let store = std::sync::Arc::new(f.store);
    let q = enc(&[("service", APP), ("ticket", st.as_str())]);
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (engine, store, q) = (engine.clone(), store.clone(), q.clone());
            std::thread::spawn(move || {
                let mut e = DeterministicEntropy::new(i);
                let step = run(engine.validate(
                    &*store,
                    &mut e,
                    T0,
                    Endpoint::ServiceValidate,
                    q.as_bytes(),
                ));
                matches!(step, ValidationStep::Done(ref v) if v.success().is_some())
            })
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|w| *w)
        .count();
    assert_eq!(wins, 1);
}

#[test]
fn engine_config_from_json() {
    let e = Engine::from_json(
        r#"{"services": [{"id": 1, "name": "Dev",
             "service": {"regex": "https?://(127\\.0\\.0\\.1|localhost)(:\\d+)?(/.*)?"},
             "proxyTickets": true,
             "proxyCallback": {"regex": "https://(127\\.0\\.0\\.1|localhost)(:\\d+)?(/.*)?"},
             "releasedAttributes": ["email", "displayName", "memberOf"]}],
            "tickets": {"serviceTicketSeconds": 2},
            "cookie": {"secure": false}}"#,
    )
    .unwrap();
    assert_eq!(e.config().tickets.service_ticket_seconds, 2);
    assert!(!e.config().cookie.secure);
    assert_eq!(e.config().cookie.path, "/cas");
    assert!(e.registry().find("http://127.0.0.1:8080/app").is_some());
    assert!(matches!(
        Engine::from_json(r#"{"tickets": {"serviceTicketSeconds": 0}}"#),
        Err(ConfigError::Policy(_))
    ));
    assert!(matches!(
        Engine::from_json(r#"{"bogus": true}"#),
        Err(ConfigError::Json(_))
    ));
}

#[test]
fn insecure_cookie_only_when_configured() {
    let mut c = config();
    c.cookie.secure = false;
    let mut f = Fx::with(c);
    let (r, _) = f.login(None, &[]);
    assert!(!r.cookie.unwrap().header_value().contains("Secure"));
}

#[test]
fn cookie_over_https_is_always_secure_3_6() {
    // `secure = false` is for plain-http loopback development; a request that came over
    // TLS still gets (and clears) a Secure cookie.
    let mut c = config();
    c.cookie.secure = false;
    let mut f = Fx::with(c);
    f.https = true;
    let (r, cookie) = f.login(Some(PORTAL), &[]);
    assert!(r.cookie.unwrap().header_value().contains("; Secure"));
    let out = f.logout("", Some(&cookie));
    let cleared = out.cookie.unwrap();
    assert_eq!(cleared.value, None);
    assert!(cleared.header_value().contains("; Secure"));
}

#[test]
fn endpoint_paths() {
    assert_eq!(
        Endpoint::from_path("/p3/proxyValidate"),
        Some(Endpoint::P3ProxyValidate)
    );
    assert_eq!(Endpoint::from_path("validate"), Some(Endpoint::Validate));
    assert_eq!(
        Endpoint::from_path("serviceValidate"),
        Some(Endpoint::ServiceValidate)
    );
    assert_eq!(
        Endpoint::from_path("proxyValidate"),
        Some(Endpoint::ProxyValidate)
    );
    assert_eq!(
        Endpoint::from_path("p3/serviceValidate"),
        Some(Endpoint::P3ServiceValidate)
    );
    assert_eq!(Endpoint::from_path("proxy"), None);
}

/// login → ST → validate → proxy → PT → proxyValidate → logout with single logout.
#[test]
fn end_to_end_login_validate_proxy_logout() {
    let mut f = Fx::new();
    // 1. The browser arrives at the portal, is sent to /login, logs in.
    let r = f.get(&enc(&[("service", PORTAL)]), None);
    let form = login_form(&r).clone();
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
            ("service", PORTAL),
        ]),
        None,
    );
    let LoginStep::Authenticate { request, pending } = step else {
        panic!()
    };
    assert_eq!(request.source, BUILTIN_SOURCE);
    let result = f.users.answer(&request);
    f.now = f.now.plus_millis(120);
    let r = run(f
        .engine
        .login_authenticated(&f.store, &mut f.entropy, f.now, pending, result));
    let cookie = tgc(&r);
    let st1 = st_of(&r);
    let loc = location(&r).to_owned();
    let given = Params::parse(loc.split_once('?').unwrap().1.as_bytes()).unwrap();
    assert_eq!(given.first("ticket"), Some(st1.as_str()));

    // 2. The portal validates with a pgtUrl; the callback succeeds.
    f.now = f.now.plus_millis(300);
    let (v, cb) = f.validate_with_pgt(
        Endpoint::P3ServiceValidate,
        PORTAL,
        &st1,
        PGT_URL,
        Some(200),
    );
    let s = success(&v);
    assert_eq!(s.user, "casuser");
    assert!(
        s.proxy_granting_ticket
            .as_deref()
            .unwrap()
            .starts_with("PGTIOU-")
    );
    assert_eq!(s.attributes["isFromNewLogin"], vec!["true"]);
    let pgt = Fx::pgt_from_callback(&cb.unwrap());

    // 3. The portal gets a PT for the back end, which validates it.
    let pt = f.proxy_ticket(&pgt, BACKEND);
    let v = f.sv(Endpoint::P3ProxyValidate, BACKEND, &pt);
    let s = success(&v);
    assert_eq!(s.user, "casuser");
    assert_eq!(s.proxies, vec![PGT_URL.to_owned()]);
    assert_eq!(s.attributes["memberOf"], vec!["staff", "faculty"]);
    assert!(!s.attributes.contains_key("email"));

    // 4. SSO into the app, CAS 1.0 validation.
    let st2 = f.sso(APP, &cookie);
    assert!(matches!(
        f.sv(Endpoint::Validate, APP, &st2).body,
        ValidationBody::Cas1(Cas1Response::Yes { .. })
    ));

    // 5. Logout: session gone, PGT gone, single logout to portal and app.
    let out = f.logout(&enc(&[("service", APP)]), Some(&cookie));
    assert_eq!(location(&out), APP);
    let targets: Vec<_> = out
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::SingleLogout(n) => Some((n.url.as_str(), n.session_index.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(targets, vec![(PORTAL, st1), (APP, st2)]);
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
    login_form(&f.get(&enc(&[("service", APP)]), Some(&cookie)));
    // Only login tickets of forms never submitted remain.
    f.store.purge(f.now);
    assert!(f.store.len() <= 2, "{}", f.store.len());
}

/// The engine's replies, rendered by `xml`/`json` and parsed back by `client`, say what
/// the engine decided (Appendix A; §2.5.1 JSON; §2.7.2).
#[test]
fn rendered_replies_parse_back_appendix_a() {
    use crate::cas::client::{ResponseFormat, parse_validation_response};
    let mut f = Fx::new();
    let (pgt, cookie) = proxy_setup(&mut f);
    for format in ["XML", "JSON"] {
        let pt = f.proxy_ticket(&pgt, BACKEND);
        let q = enc(&[
            ("service", BACKEND),
            ("ticket", pt.as_str()),
            ("format", format),
        ]);
        let v = f.validate(Endpoint::P3ProxyValidate, &q);
        let parsed = parse_validation_response(&v.render()).unwrap();
        assert!(parsed.success);
        assert_eq!(
            parsed.format,
            if format == "XML" {
                ResponseFormat::Xml
            } else {
                ResponseFormat::Json
            }
        );
        assert_eq!(parsed.user.as_deref(), Some("casuser"));
        assert_eq!(parsed.proxies, vec![PGT_URL.to_owned()]);
        assert_eq!(parsed.attributes, success(&v).attributes);
        // A failure renders its code.
        let v = f.validate(Endpoint::P3ProxyValidate, &q);
        let parsed = parse_validation_response(&v.render()).unwrap();
        assert_eq!(parsed.failure.unwrap().code, "INVALID_TICKET");
    }
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    let parsed = parse_validation_response(&v.render()).unwrap();
    assert!(parsed.proxy_ticket.unwrap().starts_with("PT-"));
    let st = f.sso(APP, &cookie);
    let v = f.sv(Endpoint::Validate, APP, &st);
    assert_eq!(v.render(), "yes\ncasuser\n");
    assert_eq!(f.sv(Endpoint::Validate, APP, &st).render(), "no\n\n");
}

mod totality {
    use super::*;
    use proptest::prelude::*;

    fn hostile() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..256),
            proptest::collection::vec(
                prop_oneof![
                    Just("service=".to_owned()),
                    Just("ticket=ST-".to_owned()),
                    Just("ticket=PT-".to_owned()),
                    Just("pgtUrl=https%3A%2F%2Fportal.example.org%2Fpgt".to_owned()),
                    Just("pgt=PGT-".to_owned()),
                    Just("targetService=".to_owned()),
                    Just("renew=true".to_owned()),
                    Just("gateway=true".to_owned()),
                    Just("method=POST".to_owned()),
                    Just("format=JSON".to_owned()),
                    Just("lt=LT-".to_owned()),
                    Just("username=casuser".to_owned()),
                    Just(format!(
                        "service={}",
                        Params::from_pairs([("", APP)])
                            .encode()
                            .trim_start_matches('=')
                    )),
                    "[a-zA-Z0-9%&=+]{0,12}",
                ],
                0..6,
            )
            .prop_map(|parts| parts.join("&").into_bytes()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Every endpoint answers any input with a reply (no panic), and never hands out
        /// a ticket to an unregistered service.
        #[test]
        fn endpoints_are_total(query in hostile(), body in hostile(), post in any::<bool>()) {
            let mut f = Fx::new();
            let (_, cookie) = f.login(None, &[]);
            let req = HttpRequest {
                method: if post { Method::Post } else { Method::Get },
                query: &query,
                body: &body,
                cookie: Some(&cookie),
                client_address: None,
                https: post,
            };
            if let LoginStep::Reply(r) = run(f.engine.login(&f.store, &mut f.entropy, f.now, &req))
                && let Response::Redirect { location, .. } = &r.response
            {
                prop_assert!(f.engine.registry().find(location.split('?').next().unwrap_or("")).is_some()
                    || f.engine.registry().find(location).is_some(), "{location}");
            }
            for endpoint in [Endpoint::Validate, Endpoint::ServiceValidate, Endpoint::ProxyValidate,
                             Endpoint::P3ServiceValidate, Endpoint::P3ProxyValidate] {
                let _ = run(f.engine.validate(&f.store, &mut f.entropy, f.now, endpoint, &query));
            }
            let _ = run(f.engine.proxy(&f.store, &mut f.entropy, f.now, &query));
            let saml = SamlValidateRequest { method: Method::Post, query: &query, body: &body };
            let _ = run(f.engine.saml_validate(&f.store, &mut f.entropy, f.now, &saml));
            let _ = run(f.engine.logout(&f.store, &mut f.entropy, f.now, &req));
        }
    }
}

#[path = "engine_session_tests.rs"]
mod session_lifecycle;

#[test]
fn cookie_session_names_one_tgt_or_none() {
    let engine = Engine::new(config()).unwrap();
    let mut e = DeterministicEntropy::new(11);
    let tgt = TicketId::generate(TicketKind::TicketGranting, &mut e);
    let other = TicketId::generate(TicketKind::TicketGranting, &mut e);
    let name = &engine.config().cookie.name;
    let one = format!("a=b; {name}={}", tgt.as_str());
    assert_eq!(engine.cookie_session(Some(&one)), Some(tgt.clone()));
    // Two candidates: no single session is meant.
    let two = format!("{name}={}; {name}={}", tgt.as_str(), other.as_str());
    assert_eq!(engine.cookie_session(Some(&two)), None);
    // Not a TGT, malformed, another cookie, none.
    let st = TicketId::generate_in(TicketKind::Service, &mut e, &tgt);
    assert_eq!(
        engine.cookie_session(Some(&format!("{name}={}", st.as_str()))),
        None
    );
    assert_eq!(
        engine.cookie_session(Some(&format!("{name}=TGT-<x>"))),
        None
    );
    assert_eq!(
        engine.cookie_session(Some(&format!("x{name}={}", tgt.as_str()))),
        None
    );
    assert_eq!(engine.cookie_session(None), None);
}
