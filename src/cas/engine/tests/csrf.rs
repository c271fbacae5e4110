//! Login CSRF (`binding.rs`, docs/security.md): each login ticket (§2.2, §3.5) is
//! bound to the browser that asked for the form, and a login POST from another browser or
//! another site is refused before any throttle counter moves or any password is checked.

use super::*;
use crate::cas::audit::{AuditEvent, CsrfReason};
use crate::cas::engine::BINDING_COOKIE;

/// A second browser on the same engine and store: its own binding cookie.
fn other_browser(f: &Fx) -> Option<String> {
    let mut g = Fx {
        engine: f.engine.clone(),
        store: MemoryStore::new(),
        entropy: DeterministicEntropy::new(7),
        users: users(),
        now: f.now,
        address: f.address,
        https: f.https,
        binding: None,
    };
    g.get("", None);
    g.binding
}

/// The credentials POST body for `lt` at `APP`.
fn credentials(lt: &TicketId) -> String {
    enc(&[
        ("username", "casuser"),
        ("password", "Mellon"),
        ("lt", lt.as_str()),
        ("service", APP),
    ])
}

/// The reply of a refused POST: 403, a fresh login form with the message, no password
/// anywhere, no ticket, and one `login_csrf_refused` event with `reason`.
fn assert_refused(step: LoginStep, reason: CsrfReason) -> WebReply {
    let LoginStep::Reply(r) = step else {
        panic!("a refused POST reached the password check")
    };
    assert_eq!(r.status(), 403);
    let form = login_form(&r);
    assert_eq!(form.error, Some(LoginError::NotThisBrowser));
    assert_eq!(form.username, None, "nothing of the forged POST is echoed");
    assert_eq!(form.service.as_deref(), Some(APP));
    assert!(r.cookie.is_none() && r.service_ticket.is_none());
    let [
        AuditEvent::LoginCsrfRefused {
            reason: got,
            username,
            service,
            client_address,
        },
    ] = r.audit.as_slice()
    else {
        panic!("one login_csrf_refused event: {:?}", r.audit)
    };
    assert_eq!(*got, reason);
    assert_eq!(username.as_deref(), Some("casuser"));
    assert_eq!(service.as_deref(), Some(APP));
    assert_eq!(client_address.as_deref(), Some("192.0.2.7"));
    let json = serde_json::to_string(&r.audit[0].to_json()).unwrap();
    assert!(json.contains(r#""event":"login_csrf_refused""#), "{json}");
    assert!(!json.contains("Mellon") && !format!("{r:?}").contains("Mellon"));
    r
}

/// The throttle counters of casuser from the fixture's address.
fn counters(f: &Fx) -> Vec<Option<crate::cas::throttle::ThrottleState>> {
    f.engine
        .throttle_keys("casuser", f.address)
        .iter()
        .map(|key| run(f.store.throttle(&key.storage_key())).unwrap())
        .collect()
}

/// No throttle counter of casuser from the fixture's address was ever touched.
fn assert_no_throttle(f: &Fx) {
    assert!(counters(f).iter().all(Option::is_none), "{:?}", counters(f));
}

#[test]
fn the_form_sets_a_binding_cookie_and_its_browser_logs_in_2_2() {
    let mut f = Fx::new();
    let r = f.get(&enc(&[("service", APP)]), None);
    let c = r.binding.as_ref().expect("a binding cookie");
    assert_eq!(c.name, BINDING_COOKIE);
    assert_eq!(c.path, "/cas", "the TGC's path over http");
    let v = c.header_value();
    assert!(
        v.contains("; HttpOnly; SameSite=Lax") && !v.contains("Max-Age"),
        "{v}"
    );
    assert!(!format!("{c:?}").contains(c.value.as_deref().unwrap()));
    let lt = login_form(&r).login_ticket.clone();
    // A second form in the same browser (another tab) reuses the cookie: both forms work.
    let r2 = f.get(&enc(&[("service", APP)]), None);
    assert!(r2.binding.is_none(), "the browser's binding is kept");
    let lt2 = login_form(&r2).login_ticket.clone();
    for lt in [lt, lt2] {
        let step = f.post(&credentials(&lt), None);
        assert!(matches!(step, LoginStep::Authenticate { .. }), "{step:?}");
        assert_eq!(f.answer(step).status(), 303);
    }
}

#[test]
fn over_https_the_binding_cookie_follows_the_tgc_s_host_prefix_rule_3_6_1() {
    let mut f = Fx::new();
    f.https = true;
    let r = f.get(&enc(&[("service", APP)]), None);
    let v = r.binding.as_ref().unwrap().header_value();
    assert!(
        v.starts_with(&format!("__Host-{BINDING_COOKIE}=")) && v.contains("; Path=/;"),
        "{v}"
    );
    assert!(v.ends_with("; Secure"), "{v}");
    assert_eq!(
        f.engine.binding_name(true),
        format!("__Host-{BINDING_COOKIE}")
    );
    // The plain name (as a sibling domain could toss it) binds nothing over https.
    let lt = login_form(&r).login_ticket.clone();
    let tossed = f.binding.clone().unwrap().replace("__Host-", "");
    let step = f.post_raw(&credentials(&lt), Some(&tossed), |r| r);
    assert_refused(step, CsrfReason::MissingBinding);
    let mut c = config();
    c.cookie.host_prefix = false;
    let e = Engine::new(c).unwrap();
    assert_eq!(e.binding_name(true), BINDING_COOKIE);
}

#[test]
fn a_login_ticket_from_another_browser_is_refused_before_any_check() {
    let mut f = Fx::new();
    let victim = other_browser(&f);
    // The attacker's form and login ticket…
    let lt = login_form(&f.get(&enc(&[("service", APP)]), None))
        .login_ticket
        .clone();
    // …posted by the victim's browser (its own binding cookie).
    let step = f.post_raw(&credentials(&lt), victim.as_deref(), |r| r);
    let r = assert_refused(step, CsrfReason::BindingMismatch);
    assert!(r.binding.is_none(), "the victim's binding is kept");
    assert_no_throttle(&f);
    // The fresh form is bound to the victim's browser: its own POST goes through.
    let fresh = login_form(&r).login_ticket.clone();
    let step = f.post_raw(&credentials(&fresh), victim.as_deref(), |r| r);
    assert!(matches!(step, LoginStep::Authenticate { .. }), "{step:?}");
    // A refused POST does not spend the ticket (only a verified one is spent, §3.5.1):
    // nobody can burn another browser's form. Its own browser uses it once, then never
    // again.
    let step = f.post(&credentials(&lt), None);
    assert!(matches!(step, LoginStep::Authenticate { .. }), "{step:?}");
    let LoginStep::Reply(again) = f.post(&credentials(&lt), None) else {
        panic!("a used login ticket reached authentication")
    };
    assert_eq!(login_form(&again).error, Some(LoginError::FormExpired));
}

#[test]
fn a_login_ticket_without_its_binding_cookie_is_refused() {
    let mut f = Fx::new();
    let lt = login_form(&f.get(&enc(&[("service", APP)]), None))
        .login_ticket
        .clone();
    let before = f.binding.clone();
    let step = f.post_raw(&credentials(&lt), None, |r| r);
    let r = assert_refused(step, CsrfReason::MissingBinding);
    // A new binding comes with the fresh form, and that form works with it.
    let c = r.binding.clone().expect("a fresh binding cookie");
    let jar = format!("{}={}", c.name, c.value.unwrap());
    assert_ne!(Some(&jar), before.as_ref());
    let fresh = login_form(&r).login_ticket.clone();
    let step = f.post_raw(&credentials(&fresh), Some(&jar), |r| r);
    assert!(matches!(step, LoginStep::Authenticate { .. }), "{step:?}");
    assert_eq!(f.answer(step).status(), 303);
    // A TGC alone binds nothing, nor does a malformed binding cookie.
    let (_, tgc) = f.login(None, &[]);
    let settled = counters(&f);
    let lt = login_form(&f.get(&enc(&[("service", APP), ("renew", "true")]), Some(&tgc)))
        .login_ticket
        .clone();
    let step = f.post_raw(&credentials(&lt), Some(&tgc), |r| r);
    assert_refused(step, CsrfReason::MissingBinding);
    let bad = format!("{tgc}; {BINDING_COOKIE}=not-hex");
    let lt = login_form(&f.get(&enc(&[("service", APP)]), None))
        .login_ticket
        .clone();
    let step = f.post_raw(&credentials(&lt), Some(&bad), |r| r);
    assert_refused(step, CsrfReason::MissingBinding);
    assert_eq!(counters(&f), settled, "no counter moved");
}

const OWN: &str = "https://cas.example.org";

/// A request to the CAS server at [`OWN`] without `Origin` or fetch metadata.
fn own(r: HttpRequest<'_>) -> HttpRequest<'_> {
    HttpRequest {
        own_origin: Some(OWN),
        ..r
    }
}

/// `Sec-Fetch-Site: cross-site` (with an `Origin` that would pass).
fn cross(r: HttpRequest<'_>) -> HttpRequest<'_> {
    HttpRequest {
        own_origin: Some(OWN),
        origin: Some(OWN),
        fetch_site: Some("cross-site"),
        ..r
    }
}

/// A foreign `Origin`.
fn foreign(r: HttpRequest<'_>) -> HttpRequest<'_> {
    HttpRequest {
        own_origin: Some(OWN),
        origin: Some("https://evil.example"),
        ..r
    }
}

/// From the CAS server's own page.
fn same(r: HttpRequest<'_>) -> HttpRequest<'_> {
    HttpRequest {
        own_origin: Some(OWN),
        origin: Some(OWN),
        fetch_site: Some("same-origin"),
        ..r
    }
}

#[test]
fn cross_site_posts_are_refused_by_fetch_metadata_and_origin() {
    let mut f = Fx::new();
    let lt = login_form(&f.get(&enc(&[("service", APP)]), None))
        .login_ticket
        .clone();
    let jar = f.binding.clone();
    let step = f.post_raw(&credentials(&lt), jar.as_deref(), cross);
    assert_refused(step, CsrfReason::CrossSite);
    let step = f.post_raw(&credentials(&lt), jar.as_deref(), foreign);
    assert_refused(step, CsrfReason::ForeignOrigin);
    assert_no_throttle(&f);
    // The refused POSTs did not even take the login ticket: from the CAS server's own
    // page (same-origin `Origin` and fetch metadata) it still works.
    let step = f.post_raw(&credentials(&lt), jar.as_deref(), same);
    assert!(matches!(step, LoginStep::Authenticate { .. }), "{step:?}");
    // No headers at all (a script with a cookie jar): the binding alone decides.
    let lt = login_form(&f.get("", None)).login_ticket.clone();
    let body = enc(&[
        ("username", "casuser"),
        ("password", "Mellon"),
        ("lt", lt.as_str()),
    ]);
    let step = f.post_raw(&body, jar.as_deref(), own);
    assert!(matches!(step, LoginStep::Authenticate { .. }), "{step:?}");
}

#[test]
fn a_form_shown_again_after_a_failure_stays_bound_2_2_4() {
    let mut f = Fx::new();
    let r = f.login_as("casuser", "wrong", Some(APP), &[], None);
    assert_eq!(r.status(), 401);
    assert!(r.binding.is_none(), "same browser, same binding");
    let lt = login_form(&r).login_ticket.clone();
    let step = f.post(&credentials(&lt), None);
    assert_eq!(f.answer(step).status(), 303);
    // The form after a missing password too.
    let lt = login_form(&f.get("", None)).login_ticket.clone();
    let step = f.post(&enc(&[("username", "casuser"), ("lt", lt.as_str())]), None);
    let r = f.answer(step);
    assert_eq!(login_form(&r).error, Some(LoginError::MissingCredentials));
    let lt = login_form(&r).login_ticket.clone();
    let body = enc(&[
        ("username", "casuser"),
        ("password", "Mellon"),
        ("lt", lt.as_str()),
    ]);
    assert!(matches!(
        f.post(&body, None),
        LoginStep::Authenticate { .. }
    ));
}

#[test]
fn a_warn_confirmation_is_bound_to_its_browser_too_2_2_1() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    let r = f.get(&enc(&[("service", APP), ("warn", "true")]), Some(&cookie));
    let View::Warn(w) = view(&r).clone() else {
        panic!("no warn page")
    };
    let confirm = enc(&[("lt", w.login_ticket.as_str()), ("service", APP)]);
    // The session cookie without the binding: refused, no ticket.
    let step = f.post_raw(&confirm, Some(&cookie), |r| r);
    let LoginStep::Reply(r) = step else { panic!() };
    assert!(r.service_ticket.is_none());
    assert_eq!(login_form(&r).error, Some(LoginError::NotThisBrowser));
    // With it (a fresh warn page): the ticket.
    let r = f.get(&enc(&[("service", APP), ("warn", "true")]), Some(&cookie));
    let View::Warn(w) = view(&r).clone() else {
        panic!("no warn page")
    };
    let step = f.post(
        &enc(&[("lt", w.login_ticket.as_str()), ("service", APP)]),
        Some(&cookie),
    );
    assert!(f.answer(step).service_ticket.is_some());
}
