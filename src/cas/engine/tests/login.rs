//! `/login`: the credential requestor (§2.1) and acceptor (§2.2).

use super::*;
use crate::cas::audit::{AuditEvent, LoginFailureReason};

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
    // Showing a form stores nothing (issue 16): the login ticket carries what its POST
    // needs, and is stored only when it is spent (§3.5.1).
    assert!(f.store.is_empty(), "{} records after a form", f.store.len());
    assert!(
        form.login_ticket.route().is_some(),
        "it reserves a session route"
    );
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
    let r = f.post_credentials(
        &form,
        "casuser",
        "Mellon",
        Some(APP),
        &[("method", "POST")],
        None,
    );
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
fn the_session_opens_under_the_route_its_login_ticket_reserved() {
    // The login ticket is spent where the session it opens will live
    // (`engine/login_ticket.rs`): one place per login for a store that keeps a session's
    // tickets together.
    let mut f = Fx::new();
    let form = login_form(&f.get(&enc(&[("service", APP)]), None)).clone();
    let route = form
        .login_ticket
        .route()
        .expect("a reserved route")
        .to_owned();
    let r = f.post_credentials(&form, "casuser", "Mellon", Some(APP), &[], None);
    assert_eq!(r.status(), 303);
    let tgt = r.cookie.as_ref().and_then(|c| c.value.clone()).unwrap();
    let tgt = TicketId::parse(&tgt).unwrap();
    assert_eq!(tgt.route(), Some(route.as_str()));
    assert_eq!(st_of(&r).route(), Some(route.as_str()));
    // Stored: the spent login ticket, the TGT and the ST — nothing else.
    assert_eq!(f.store.len(), 3);
    assert!(matches!(
        f.store.peek(&form.login_ticket),
        Some(Ticket::Login(_))
    ));
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

/// A client address that lives as long as the test (the fixture keeps `&'static str`).
fn addr(a: String) -> Option<&'static str> {
    Some(Box::leak(a.into_boxed_str()))
}

/// POSTs a login for `user` with a fresh login ticket, without answering it.
fn attempt(f: &mut Fx, user: &str, password: &str) -> LoginStep {
    let form = login_form(&f.get("", None)).clone();
    f.post(
        &enc(&[
            ("username", user),
            ("password", password),
            ("lt", form.login_ticket.as_str()),
        ]),
        None,
    )
}

#[test]
fn throttling_locks_a_user_and_address_pair_after_repeated_failures() {
    let mut f = Fx::new();
    f.address = Some("192.0.2.1");
    for i in 0..5 {
        let r = f.login_as("casuser", "bad", Some(APP), &[], None);
        if i < 4 {
            assert_eq!(r.status(), 401);
        } else {
            assert_eq!(r.status(), 429);
            assert!(r.headers().contains(&("Retry-After", "60".into())));
        }
    }
    // Locked from this address: the right password is not even checked.
    let LoginStep::Reply(r) = attempt(&mut f, "CasUser", "Mellon") else {
        panic!("locked pair reached authentication")
    };
    assert!(matches!(
        login_form(&r).error,
        Some(LoginError::Throttled { .. })
    ));
    // After the lockout it works, and success clears the user's counters; the address
    // keeps its failures (a guesser cannot wipe them with an account of its own).
    f.now = f.now.plus_secs(61);
    let (r, _) = f.login(None, &[]);
    assert!(r.cookie.is_some());
    for key in [
        ThrottleKey::Username("casuser".into()),
        ThrottleKey::pair("casuser", f.address, str::to_lowercase),
    ] {
        assert_eq!(run(f.store.throttle(&key.storage_key())).unwrap(), None);
    }
    let address = run(f
        .store
        .throttle(&ThrottleKey::address("192.0.2.1").storage_key()));
    assert_eq!(
        address.unwrap().map(|s| (s.failures, s.pending)),
        Some((5, 0))
    );
}

#[test]
fn a_lockout_from_one_address_only_slows_the_user_down_elsewhere_20_3() {
    // Issue 20 item 3: five wrong passwords from anywhere no longer lock the account.
    let mut f = Fx::new();
    f.address = Some("203.0.113.66");
    for _ in 0..5 {
        f.login_as("casuser", "bad", None, &[], None);
    }
    assert_eq!(
        f.login_as("casuser", "Mellon", None, &[], None).status(),
        429
    );
    // The victim elsewhere waits the first, short delay (1 s), not the lockout (60 s).
    f.address = Some("198.51.100.9");
    let r = f.login_as("casuser", "Mellon", None, &[], None);
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains(&("Retry-After", "1".into())));
    f.now = f.now.plus_secs(1);
    let r = f.login_as("casuser", "Mellon", None, &[], None);
    assert_eq!(r.status(), 200);
    assert!(r.cookie.is_some());
}

#[test]
fn throttling_slows_down_a_user_guessed_from_many_addresses_20_3() {
    // One wrong password from each of 5 addresses: no lockout (the old code locked).
    let mut f = Fx::new();
    for i in 0..5 {
        f.address = addr(format!("192.0.2.{}", i + 1));
        let r = f.login_as("casuser", "bad", Some(APP), &[], None);
        assert_eq!(r.status(), 401, "{i}");
    }
    // A guesser on a new address every second for ten minutes: past the budget, about
    // one password check per delay (1, 2, 4, … s, at most 60 s), wherever it comes from.
    let mut checks = 0;
    for i in 0..600 {
        f.address = addr(format!("10.0.{}.{}", i / 200, i % 200));
        if let step @ LoginStep::Authenticate { .. } = attempt(&mut f, "casuser", "bad") {
            checks += 1;
            assert_eq!(f.answer(step).status(), 401);
        }
        f.now = f.now.plus_secs(1);
    }
    // 1+2+4+8+16+32 = 63 s for six, then one per 60 s.
    assert!((12..=16).contains(&checks), "{checks} password checks");
    // The user is never locked: the right password gets in once the delay is over.
    f.now = f.now.plus_secs(60);
    f.address = Some("198.51.100.1");
    let (r, _) = f.login(Some(APP), &[]);
    assert_eq!(r.status(), 303);
}

#[test]
fn ipv6_clients_share_a_counter_per_64_20_3() {
    let mut f = Fx::new();
    // Five failures from five addresses of one /64: its pair and address counters.
    for i in 0..5 {
        f.address = addr(format!("2001:db8:1:2::{:x}", i + 1));
        f.login_as("casuser", "bad", None, &[], None);
    }
    f.address = Some("2001:db8:1:2:dead:beef:0:1");
    let r = f.login_as("casuser", "Mellon", None, &[], None);
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains(&("Retry-After", "60".into())));
    // The next /64 is another site: only the short per-user delay applies.
    f.address = Some("2001:db8:1:3::1");
    f.now = f.now.plus_secs(1);
    let r = f.login_as("casuser", "Mellon", None, &[], None);
    assert_eq!(r.status(), 200);
}

#[test]
fn fifty_concurrent_wrong_passwords_get_at_most_the_limit_of_checks_20_2() {
    // Issue 20 item 2: 50 POSTs (login tickets collected beforehand) all pass the
    // throttle before any of them is answered; only the limit may reach a password check.
    for addresses in [1, 50] {
        let mut f = Fx::new();
        let mut steps = Vec::new();
        for i in 0..50 {
            f.address = addr(format!("192.0.2.{}", i % addresses + 1));
            steps.push(attempt(&mut f, "casuser", "bad"));
        }
        let checked = steps
            .iter()
            .filter(|s| matches!(s, LoginStep::Authenticate { .. }))
            .count();
        assert_eq!(checked, 5, "{addresses} address(es)");
        let mut failures = 0;
        for step in steps {
            let r = f.answer(step);
            failures += r
                .audit
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        AuditEvent::LoginFailure {
                            reason: LoginFailureReason::InvalidCredentials,
                            ..
                        }
                    )
                })
                .count();
            assert!([401, 429].contains(&r.status()));
        }
        assert_eq!(failures, 5, "one failure event per password check");
    }
}

#[test]
fn an_unsettled_attempt_does_not_hold_its_place_forever_20_2() {
    let mut f = Fx::with(EngineConfig {
        throttle: ThrottlePolicy {
            max_failures_per_user: 1,
            ..ThrottlePolicy::default()
        },
        ..config()
    });
    // The request dies after its reservation: the next attempt waits, then not.
    assert!(matches!(
        attempt(&mut f, "casuser", "bad"),
        LoginStep::Authenticate { .. }
    ));
    assert!(matches!(
        attempt(&mut f, "casuser", "Mellon"),
        LoginStep::Reply(_)
    ));
    f.now = f.now.plus_secs(RESERVATION_SECONDS);
    let step = attempt(&mut f, "casuser", "Mellon");
    assert!(matches!(step, LoginStep::Authenticate { .. }));
    assert_eq!(f.answer(step).status(), 200);
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
fn relogin_by_same_principal_keeps_the_session_under_a_new_id() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    let r = f.login_as(
        "casuser",
        "Mellon",
        Some(PORTAL),
        &[("renew", "true")],
        Some(&cookie),
    );
    let renewed = tgc(&r);
    assert_ne!(renewed, cookie, "a new TGT id at every credential login");
    assert_eq!(slo_count(&r), 0);
    let out = f.logout("", Some(&renewed));
    assert_eq!(slo_count(&out), 2, "both services get single logout");
}

#[test]
fn a_stolen_cookie_dies_at_the_victims_next_login() {
    let mut f = Fx::new();
    let (_, stolen) = f.login(Some(APP), &[]);
    // A PGT of the session (the portal, by SSO).
    let st = f.sso(PORTAL, &stolen);
    let (v, cb) = f.validate_with_pgt(Endpoint::ServiceValidate, PORTAL, &st, PGT_URL, Some(200));
    success(&v);
    let pgt = Fx::pgt_from_callback(&cb.unwrap());
    let pt = f.proxy_ticket(&pgt, BACKEND);
    success(&f.sv(Endpoint::ProxyValidate, BACKEND, &pt));
    // The victim logs in again (renew) with the same browser.
    let r = f.login_as(
        "casuser",
        "Mellon",
        Some(APP),
        &[("renew", "true")],
        Some(&stolen),
    );
    let fresh = tgc(&r);
    // The old cookie no longer signs in; the new one does.
    let sso = f.get(&enc(&[("service", APP)]), Some(&stolen));
    assert_eq!(sso.service_ticket, None);
    login_form(&sso);
    f.sso(APP, &fresh);
    // The old TGT is gone from the store, with its proxy grants (§3.3.1).
    let old = TicketId::parse(stolen.split_once('=').unwrap().1).unwrap();
    assert!(!f.store.contains(&old));
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
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

#[test]
fn a_relogin_names_the_session_it_replaces_issue_20_6() {
    // The adapter finishes the login where that session's SSOs run (the same id as
    // `cookie_session`), so no SSO extends a copy the rotation replaced.
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    let form = login_form(&f.get(&enc(&[("renew", "true")]), Some(&cookie))).clone();
    let body = enc(&[
        ("username", "casuser"),
        ("password", "Mellon"),
        ("lt", form.login_ticket.as_str()),
    ]);
    let LoginStep::Authenticate { pending, .. } = f.post(&body, Some(&cookie)) else {
        panic!("credentials are checked")
    };
    assert_eq!(
        pending.session(),
        f.engine.cookie_session(Some(&cookie), false).as_ref()
    );
    assert!(pending.session().is_some());
    // It travels to that place and back unchanged.
    let bytes = crate::cas::stored::encode(&pending).unwrap();
    assert_eq!(
        crate::cas::stored::decode::<PendingLogin>(&bytes).unwrap(),
        pending
    );
    // A first login replaces nothing.
    let form = login_form(&f.get("", None)).clone();
    let body = enc(&[
        ("username", "casuser"),
        ("password", "Mellon"),
        ("lt", form.login_ticket.as_str()),
    ]);
    let LoginStep::Authenticate { pending, .. } = f.post(&body, None) else {
        panic!("credentials are checked")
    };
    assert_eq!(pending.session(), None);
}
