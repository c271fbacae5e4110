//! Issue 20 item 1 through the engine's public API: service patterns match the host by name,
//! so URLs whose host is the attacker's are refused at `/login` (form, credentials and SSO),
//! at `/serviceValidate`, as `pgtUrl`, as `/logout` redirect and as `/proxy` target — while
//! the services' own URLs work as before.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;

use casplus::cas::auth::UserStore;
use casplus::cas::engine::{Endpoint, Engine, EngineConfig, LoginStep, ValidationStep};
use casplus::cas::params::Params;
use casplus::cas::response::FailureCode;
use casplus::cas::store::{MemoryStore, now_or_never};
use casplus::cas::ticket::{DeterministicEntropy, TicketId};
use casplus::cas::web::{HttpRequest, Method, Response, SetCookie, View, WebReply};
use casplus::password::{MIN_ITERATIONS, hash_password};
use casplus::time::Timestamp;

const NOW: Timestamp = Timestamp(1_795_331_018_000);
const GOOD: &str = "https://app.example.org/home";
const ATTACKS: [&str; 5] = [
    "https://evil.test?.example.org/",
    "https://evil.test#.example.org/",
    "https://app.example.org.evil.test/",
    "https://app.example.org@evil.test/",
    "https://evil.test\\@app.example.org/",
];

fn run<F: Future>(f: F) -> F::Output {
    now_or_never(f).expect("the memory store never waits")
}

fn enc(pairs: &[(&str, &str)]) -> String {
    Params::from_pairs(pairs.iter().copied()).encode()
}

/// Any subdomain of example.org, declared the new way, with proxying.
fn safe_engine() -> Engine {
    Engine::new(config(serde_json::json!([
        {"id": 1, "name": "Any subdomain",
         "service": {"host": "*.example.org", "path": "/.*"},
         "proxyTickets": true,
         "proxyCallback": {"host": "*.example.org", "path": "/pgt(\\?.*)?"}}
    ])))
    .unwrap()
}

/// The pattern operators write for "any subdomain" (issue 20): what a site ran before.
fn sloppy_engine() -> Engine {
    Engine::new(config(serde_json::json!([
        {"id": 1, "name": "Any subdomain",
         "service": {"regex": "^https://[^/]+\\.example\\.org(/.*)?$"}, "allowRegexHosts": true}
    ])))
    .unwrap()
}

fn config(services: serde_json::Value) -> EngineConfig {
    EngineConfig {
        services: serde_json::from_value(services).unwrap(),
        ..EngineConfig::default()
    }
}

struct Fx {
    engine: Engine,
    store: MemoryStore,
    entropy: DeterministicEntropy,
    users: UserStore,
}

impl Fx {
    fn new(engine: Engine) -> Self {
        let h = hash_password("Mellon", b"0123456789abcdef", MIN_ITERATIONS);
        Self {
            engine,
            store: MemoryStore::new(),
            entropy: DeterministicEntropy::new(7),
            users: UserStore::from_json(&format!(r#"{{"casuser": {{"password": "{h}"}}}}"#))
                .unwrap(),
        }
    }

    fn get(&mut self, query: &str, cookie: Option<&str>) -> WebReply {
        let req = HttpRequest {
            method: Method::Get,
            query: query.as_bytes(),
            cookie,
            https: true,
            ..HttpRequest::default()
        };
        match run(self.engine.login(&self.store, &mut self.entropy, NOW, &req)) {
            LoginStep::Reply(r) => r,
            other => panic!("GET /login asked for authentication: {other:?}"),
        }
    }

    /// GETs the form for `service` and posts casuser's credentials; the refusal when
    /// there is no form.
    fn login(&mut self, service: &str) -> WebReply {
        let reply = self.get(&enc(&[("service", service)]), None);
        // The browser's binding cookie goes back with the POST (login CSRF).
        let cookie = reply.binding.as_deref().and_then(SetCookie::pair);
        let Response::Page {
            view: View::LoginForm(form),
            ..
        } = reply.response
        else {
            return reply;
        };
        let body = enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", form.login_ticket.as_str()),
            ("service", service),
        ]);
        let req = HttpRequest {
            method: Method::Post,
            body: body.as_bytes(),
            cookie: cookie.as_deref(),
            https: true,
            ..HttpRequest::default()
        };
        match run(self.engine.login(&self.store, &mut self.entropy, NOW, &req)) {
            LoginStep::Reply(r) => r,
            LoginStep::Authenticate { request, pending } => {
                let result = self.users.answer(&request);
                run(self.engine.login_authenticated(
                    &self.store,
                    &mut self.entropy,
                    NOW,
                    pending,
                    result,
                ))
            }
            LoginStep::Confirm { .. } => panic!("no warn confirmation here"),
        }
    }

    fn validate(&mut self, query: &str) -> ValidationStep {
        run(self.engine.validate(
            &self.store,
            &mut self.entropy,
            NOW,
            Endpoint::ServiceValidate,
            query.as_bytes(),
        ))
    }
}

fn location(r: &WebReply) -> Option<&str> {
    match &r.response {
        Response::Redirect { location, .. } => Some(location),
        _ => None,
    }
}

fn cookie(r: &WebReply) -> String {
    let c = r.cookie.as_ref().expect("no cookie");
    format!("{}={}", c.name, c.value.as_ref().unwrap().as_str())
}

#[test]
fn host_patterns_keep_real_services_working() {
    let mut fx = Fx::new(safe_engine());
    let r = fx.login(GOOD);
    assert_eq!(r.status(), 303);
    assert!(location(&r).unwrap().starts_with(GOOD));
    let st = r.service_ticket.clone().unwrap();
    let q = enc(&[("service", GOOD), ("ticket", st.as_str())]);
    let ValidationStep::Done(v) = fx.validate(&q) else {
        panic!("no pgtUrl, no callback")
    };
    assert_eq!(v.success().unwrap().user, "casuser");
}

#[test]
fn attacker_hosts_get_no_ticket_at_login_issue_20() {
    let mut fx = Fx::new(safe_engine());
    for evil in ATTACKS {
        // The form for it…
        let r = fx.get(&enc(&[("service", evil)]), None);
        assert!(
            r.service_ticket.is_none() && location(&r).is_none(),
            "{evil}"
        );
        // …credentials posted with it…
        let r = fx.login(evil);
        assert!(r.service_ticket.is_none(), "{evil}: {r:?}");
        assert!(location(&r).is_none_or(|l| !l.contains("evil")), "{evil}");
    }
    // …and single sign-on with a live session.
    let c = cookie(&fx.login(GOOD));
    for evil in ATTACKS {
        let r = fx.get(&enc(&[("service", evil)]), Some(&c));
        assert!(
            r.service_ticket.is_none() && location(&r).is_none(),
            "{evil}"
        );
    }
    assert!(
        fx.get(&enc(&[("service", GOOD)]), Some(&c))
            .service_ticket
            .is_some()
    );
}

/// A ticket issued under the sloppy pattern (before the site moved to host patterns) is
/// not validated for the attacker's URL.
#[test]
fn attacker_hosts_are_refused_at_service_validate_issue_20() {
    let evil = "https://evil.test?.example.org/";
    let mut before = Fx::new(sloppy_engine());
    let st: TicketId = before.login(evil).service_ticket.unwrap();
    let mut after = Fx::new(safe_engine());
    after.store = before.store;
    let q = enc(&[("service", evil), ("ticket", st.as_str())]);
    let ValidationStep::Done(v) = after.validate(&q) else {
        panic!("no callback expected")
    };
    assert_eq!(v.failure_code(), Some(FailureCode::InvalidService), "{v:?}");
}

#[test]
fn attacker_pgt_urls_get_no_callback_2_5_4() {
    let mut fx = Fx::new(safe_engine());
    for pgt_url in [
        "https://evil.test?.example.org/pgt",
        "https://evil.test#.example.org/pgt",
        "https://app.example.org.evil.test/pgt",
    ] {
        let st = fx.login(GOOD).service_ticket.unwrap();
        let q = enc(&[
            ("service", GOOD),
            ("ticket", st.as_str()),
            ("pgtUrl", pgt_url),
        ]);
        match fx.validate(&q) {
            ValidationStep::Done(v) => {
                assert_eq!(v.failure_code(), Some(FailureCode::InvalidProxyCallback))
            }
            ValidationStep::ProxyCallback { callback, .. } => {
                panic!("called back {}", callback.url)
            }
        }
    }
    let st = fx.login(GOOD).service_ticket.unwrap();
    let q = enc(&[
        ("service", GOOD),
        ("ticket", st.as_str()),
        ("pgtUrl", "https://app.example.org/pgt"),
    ]);
    assert!(matches!(
        fx.validate(&q),
        ValidationStep::ProxyCallback { .. }
    ));
}

#[test]
fn attacker_hosts_are_not_logout_redirects_2_3_2() {
    let mut fx = Fx::new(safe_engine());
    for evil in ATTACKS {
        let q = enc(&[("service", evil)]);
        let req = HttpRequest {
            query: q.as_bytes(),
            https: true,
            ..HttpRequest::default()
        };
        let r = run(fx.engine.logout(&fx.store, &mut fx.entropy, NOW, &req));
        assert!(location(&r).is_none(), "{evil}");
    }
}
