//! The audit events every reply carries (docs/audit-log.md): emitted by the engine where
//! it decides, one test per endpoint. No event holds a password or a whole ticket id.

use super::*;
use crate::cas::audit::{AuditEvent, LoginFailureReason};

fn names(events: &[AuditEvent]) -> Vec<&'static str> {
    events.iter().map(AuditEvent::name).collect()
}

/// Every event's JSON, one per line: `event` equals its name; none of `secrets` appears.
fn json_of(events: &[AuditEvent], secrets: &[&str]) -> String {
    let mut out = String::new();
    for e in events {
        let j = e.to_json();
        assert_eq!(j["event"], e.name());
        let line = j.to_string();
        for s in secrets {
            assert!(!line.contains(s), "{line} leaks {s}");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The short form of a ticket id, as events show it: prefix and 8 characters.
fn short(id: &TicketId) -> String {
    let dash = id.as_str().find('-').unwrap();
    id.as_str()[..dash + 1 + 8].to_owned()
}

#[test]
fn login_validate_sso_logout_trail_2_2_4_2_5_2_3() {
    let mut f = Fx::new();
    let (reply, cookie) = f.login(Some(APP), &[]);
    assert_eq!(reply.status(), 303);
    let st = st_of(&reply);
    let tgt = TicketId::parse(&reply.cookie.clone().unwrap().value.unwrap()).unwrap();
    assert_eq!(names(&reply.audit), ["login_success", "st_issued"]);
    let json = json_of(&reply.audit, &["Mellon", st.as_str(), tgt.as_str()]);
    assert!(json.contains(r#""principal":"casuser""#), "{json}");
    assert!(json.contains(&format!(r#""ticket":"{}""#, short(&st))));
    assert!(json.contains(&format!(r#""tgt":"{}""#, short(&tgt))));
    assert!(json.contains(r#""sso":false"#));
    assert!(json.contains(r#""source":"builtin""#));
    assert!(json.contains(r#""remember_me":false"#));
    assert!(json.contains(r#""client_address":"192.0.2.7""#));

    let q = enc(&[("service", APP), ("ticket", st.as_str())]);
    let v = f.validate(Endpoint::P3ServiceValidate, &q);
    assert_eq!(names(&v.audit), ["st_validated"]);
    let json = json_of(&v.audit, &[st.as_str()]);
    assert!(
        json.contains(r#""endpoint":"p3/serviceValidate""#),
        "{json}"
    );
    assert!(json.contains(&format!(r#""service":"{APP}""#)));
    assert!(json.contains(r#""pgt_issued":false"#));

    // §3.1.1: used once; the second validation is rejected, and audited as such.
    let v = f.validate(Endpoint::ServiceValidate, &q);
    let [AuditEvent::StRejected { code, ticket, .. }] = v.audit.as_slice() else {
        panic!("{:?}", v.audit)
    };
    assert_eq!(*code, Some("INVALID_TICKET"));
    assert_eq!(ticket.as_ref().unwrap().as_str(), short(&st));
    // CAS 1.0 `no` has no code.
    let v = f.validate(Endpoint::Validate, &q);
    assert!(
        matches!(
            v.audit.as_slice(),
            [AuditEvent::StRejected {
                endpoint: "validate",
                code: None,
                ..
            }]
        ),
        "{:?}",
        v.audit
    );

    // SSO (§2.1.5): an ST from the session, with its principal.
    let sso = f.get(&enc(&[("service", APP)]), Some(&cookie));
    assert_eq!(sso.status(), 302);
    let st2 = st_of(&sso);
    assert_eq!(names(&sso.audit), ["st_issued"]);
    let json = json_of(&sso.audit, &[st2.as_str(), tgt.as_str()]);
    assert!(
        json.contains(r#""sso":true"#) && json.contains("casuser"),
        "{json}"
    );

    // Logout (§2.3): the ended session and its single-logout count.
    let out = f.logout("", Some(&cookie));
    let [
        AuditEvent::Logout {
            principal,
            tgt: Some(ended),
            single_logouts,
        },
    ] = out.audit.as_slice()
    else {
        panic!("{:?}", out.audit)
    };
    assert_eq!(principal.as_deref(), Some("casuser"));
    assert_eq!(ended.as_str(), short(&tgt));
    assert_eq!(*single_logouts, slo_count(&out));
    assert_eq!(*single_logouts, 2, "two STs were issued to an SLO service");
    let notice = slo_notices(&out).next().unwrap();
    let sent = notice.sent(Some(200));
    let json = json_of(
        std::slice::from_ref(&sent),
        &[notice.session_index.as_str()],
    );
    assert!(json.contains(r#""status":200"#), "{json}");

    // Logging out again: no session.
    let again = f.logout("", Some(&cookie));
    assert!(matches!(
        again.audit.as_slice(),
        [AuditEvent::Logout {
            principal: None,
            tgt: None,
            single_logouts: 0
        }]
    ));
}

#[test]
fn failures_lockout_and_unavailable_source_never_log_the_password() {
    let mut f = Fx::new();
    let reply = f.login_as("casuser", "Wrong-Pass", Some(APP), &[], None);
    assert_eq!(reply.status(), 401);
    assert_eq!(names(&reply.audit), ["login_failure"]);
    let json = json_of(&reply.audit, &["Wrong-Pass"]);
    assert!(json.contains(r#""reason":"invalid_credentials""#), "{json}");
    assert!(json.contains(r#""username":"casuser""#));
    assert!(json.contains(r#""source":"builtin""#));

    // The default policy locks a user out at the fifth failure within the window.
    let mut last = reply;
    for _ in 0..4 {
        last = f.login_as("casuser", "Wrong-Pass", Some(APP), &[], None);
    }
    assert_eq!(last.status(), 429);
    assert_eq!(names(&last.audit), ["lockout", "login_failure"]);
    let AuditEvent::Lockout { until, .. } = &last.audit[0] else {
        panic!()
    };
    // The instant the reply announces: `now` plus `Retry-After`.
    let Some(LoginError::Throttled {
        retry_after_seconds,
    }) = login_form(&last).error
    else {
        panic!()
    };
    assert_eq!(*until, f.now.plus_secs(retry_after_seconds));
    // Locked: refused before the password is looked at.
    let locked = f.login_as("casuser", "Mellon", Some(APP), &[], None);
    assert_eq!(locked.status(), 429);
    let [AuditEvent::LoginFailure { reason, source, .. }] = locked.audit.as_slice() else {
        panic!("{:?}", locked.audit)
    };
    assert_eq!(*reason, LoginFailureReason::Locked);
    assert_eq!(*source, None);
    json_of(&locked.audit, &["Mellon"]);

    // The source could not be asked.
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
    let down = run(f.engine.login_authenticated(
        &f.store,
        &mut f.entropy,
        f.now,
        pending,
        AuthResult::Rejected(AuthFailure::Unavailable),
    ));
    assert_eq!(down.status(), 503);
    assert_eq!(names(&down.audit), ["auth_source_error", "login_failure"]);
    let json = json_of(&down.audit, &["Mellon"]);
    assert!(json.contains(r#""reason":"source_unavailable""#), "{json}");
}

#[test]
fn forms_without_a_checked_login_emit_nothing() {
    let mut f = Fx::new();
    // The form itself, a missing password, a forged login ticket.
    assert!(f.get(&enc(&[("service", APP)]), None).audit.is_empty());
    let form = login_form(&f.get("", None)).clone();
    let step = f.post(
        &enc(&[("username", "casuser"), ("lt", form.login_ticket.as_str())]),
        None,
    );
    assert!(f.answer(step).audit.is_empty());
    let step = f.post(
        &enc(&[
            ("username", "casuser"),
            ("password", "Mellon"),
            ("lt", "LT-forged"),
        ]),
        None,
    );
    assert!(f.answer(step).audit.is_empty());
}

#[test]
fn remember_me_login_says_so_4_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(None, &[("rememberMe", "true")]);
    let [
        AuditEvent::LoginSuccess {
            remember_me,
            service,
            ..
        },
    ] = r.audit.as_slice()
    else {
        panic!("{:?}", r.audit)
    };
    assert!(*remember_me);
    assert_eq!(*service, None);
}

#[test]
fn validation_events_name_what_the_request_named_2_5_3() {
    let mut f = Fx::new();
    // Missing ticket: rejected, with the service and no ticket.
    let v = f.validate(Endpoint::ServiceValidate, &enc(&[("service", APP)]));
    let [
        AuditEvent::StRejected {
            endpoint,
            service,
            ticket,
            code,
        },
    ] = v.audit.as_slice()
    else {
        panic!("{:?}", v.audit)
    };
    assert_eq!(*endpoint, "serviceValidate");
    assert_eq!(service.as_deref(), Some(APP));
    assert_eq!(*ticket, None);
    assert_eq!(*code, Some("INVALID_REQUEST"));
    // Not a ticket at all: `invalid`; an unknown format is still audited.
    let v = f.validate(
        Endpoint::ProxyValidate,
        &enc(&[("service", APP), ("ticket", "nonsense"), ("format", "YAML")]),
    );
    let json = json_of(&v.audit, &[]);
    assert!(json.contains(r#""ticket":"invalid""#), "{json}");
    assert!(json.contains(r#""endpoint":"proxyValidate""#), "{json}");
    // CAS 1.0 success.
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    let v = f.sv(Endpoint::Validate, APP, &st);
    assert!(
        matches!(
            v.audit.as_slice(),
            [AuditEvent::StValidated {
                endpoint: "validate",
                pgt_issued: false,
                ..
            }]
        ),
        "{:?}",
        v.audit
    );
}

#[test]
fn proxy_callback_outcome_is_audited_at_its_endpoint_2_5_4() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(PORTAL), &[]);
    let (v, _) = f.validate_with_pgt(
        Endpoint::P3ProxyValidate,
        PORTAL,
        &st_of(&r),
        PGT_URL,
        Some(200),
    );
    assert!(
        matches!(
            v.audit.as_slice(),
            [AuditEvent::StValidated {
                endpoint: "p3/proxyValidate",
                pgt_issued: true,
                ..
            }]
        ),
        "{:?}",
        v.audit
    );
    let (r, _) = f.login(Some(PORTAL), &[]);
    let st = st_of(&r);
    let (v, _) = f.validate_with_pgt(Endpoint::ProxyValidate, PORTAL, &st, PGT_URL, Some(404));
    let [
        AuditEvent::StRejected {
            endpoint,
            ticket,
            code,
            ..
        },
    ] = v.audit.as_slice()
    else {
        panic!("{:?}", v.audit)
    };
    assert_eq!(*endpoint, "proxyValidate");
    assert_eq!(ticket.as_ref().unwrap().as_str(), short(&st));
    assert_eq!(*code, Some("INVALID_PROXY_CALLBACK"));
}

#[test]
fn proxy_events_shorten_both_tickets_2_7() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let reply = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    let pt = match &reply.body {
        ValidationBody::Service {
            response: ServiceResponse::ProxySuccess { proxy_ticket },
            ..
        } => proxy_ticket.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(names(&reply.audit), ["pt_issued"]);
    let json = json_of(&reply.audit, &[&pt, &pgt]);
    let pt_short = short(&TicketId::parse(&pt).unwrap());
    let pgt_short = short(&TicketId::parse(&pgt).unwrap());
    assert!(
        json.contains(&format!(r#""ticket":"{pt_short}""#)),
        "{json}"
    );
    assert!(json.contains(&format!(r#""pgt":"{pgt_short}""#)), "{json}");
    assert!(json.contains(&format!(r#""target_service":"{BACKEND}""#)));

    // Refused: the code, and what was named.
    let refused = f.proxy(&enc(&[("pgt", &pgt), ("targetService", APP)]));
    assert!(
        matches!(
            refused.audit.as_slice(),
            [AuditEvent::ProxyRejected {
                code: "UNAUTHORIZED_SERVICE",
                target_service: Some(_),
                pgt: Some(_),
            }]
        ),
        "{:?}",
        refused.audit
    );
    let missing = f.proxy(&enc(&[("pgt", &pgt)]));
    assert!(
        matches!(
            missing.audit.as_slice(),
            [AuditEvent::ProxyRejected {
                code: "INVALID_REQUEST",
                target_service: None,
                pgt: Some(_),
            }]
        ),
        "{:?}",
        missing.audit
    );
}

#[test]
fn saml_validate_events_4_2() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    let ok = saml(&mut f, Method::Post, APP, Some(st.as_str()));
    assert_eq!(names(&ok.audit), ["st_validated"]);
    let json = json_of(&ok.audit, &[st.as_str()]);
    assert!(json.contains(r#""endpoint":"samlValidate""#), "{json}");
    assert!(
        json.contains(&format!(r#""ticket":"{}""#, short(&st))),
        "{json}"
    );
    assert!(json.contains(&format!(r#""service":"{APP}""#)), "{json}");
    // GET: refused, the ticket still named; no body: no ticket.
    let get = saml(&mut f, Method::Get, APP, Some(st.as_str()));
    assert!(
        matches!(
            get.audit.as_slice(),
            [AuditEvent::StRejected {
                endpoint: "samlValidate",
                ticket: Some(_),
                code: Some("INVALID_REQUEST"),
                ..
            }]
        ),
        "{:?}",
        get.audit
    );
    let none = saml(&mut f, Method::Post, "", None);
    assert!(
        matches!(
            none.audit.as_slice(),
            [AuditEvent::StRejected {
                service: None,
                ticket: None,
                ..
            }]
        ),
        "{:?}",
        none.audit
    );
}
