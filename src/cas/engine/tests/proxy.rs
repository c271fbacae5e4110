//! `/proxy` (§2.7) and `/proxyValidate` (§2.6).

use super::*;

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

/// [`config`] plus a proxy target that accepts only TACACS+ logins.
const TAC_TARGET: &str = "https://tac.example.org/api";

fn with_tacacs_target(default_source: &str) -> EngineConfig {
    let mut c = config();
    c.services.push(
        serde_json::from_value(serde_json::json!({
            "id": 8, "name": "TACACS+ only", "service": {"exact": TAC_TARGET},
            "proxyTickets": true, "authenticationSource": "tacacs"
        }))
        .unwrap(),
    );
    c.default_source = default_source.to_owned();
    c
}

#[test]
fn proxy_refuses_a_target_requiring_another_source_2_7_3() {
    // A built-in login at the portal: its PGT must not reach a TACACS+-only service.
    let mut f = Fx::with(with_tacacs_target(BUILTIN_SOURCE));
    let (pgt, _) = proxy_setup(&mut f);
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", TAC_TARGET)]));
    assert_eq!(code(&v), FailureCode::UnauthorizedService);
    // Targets without a required source still get their proxy ticket.
    let pt = f.proxy_ticket(&pgt, BACKEND);
    success(&f.sv(Endpoint::ProxyValidate, BACKEND, &pt));

    // A TACACS+ login (the default source here) gets one, and it validates.
    let mut f = Fx::with(with_tacacs_target("tacacs"));
    let (pgt, _) = proxy_setup(&mut f);
    let pt = f.proxy_ticket(&pgt, TAC_TARGET);
    assert_eq!(
        success(&f.sv(Endpoint::ProxyValidate, TAC_TARGET, &pt)).user,
        "casuser"
    );
}

#[test]
fn proxy_ticket_from_another_source_does_not_validate_2_6() {
    // Issued while the target required no source; the requirement is configured before
    // the ticket is validated: the ticket is refused (and burnt).
    let mut f = Fx::with(with_tacacs_target(BUILTIN_SOURCE));
    let mut relaxed = with_tacacs_target(BUILTIN_SOURCE);
    relaxed.services.last_mut().unwrap().authentication_source = None;
    f.engine = Engine::new(relaxed).unwrap();
    let (pgt, _) = proxy_setup(&mut f);
    let pt = f.proxy_ticket(&pgt, TAC_TARGET);
    let pt2 = f.proxy_ticket(&pgt, TAC_TARGET);
    f.engine = Engine::new(with_tacacs_target(BUILTIN_SOURCE)).unwrap();
    let v = f.sv(Endpoint::ProxyValidate, TAC_TARGET, &pt);
    assert_eq!(code(&v), FailureCode::InvalidTicket);
    assert!(
        !f.store.contains(&pt),
        "consumed whatever the outcome (§3.2.1)"
    );
    // At the CAS 3.0 endpoint too.
    let v = f.sv(Endpoint::P3ProxyValidate, TAC_TARGET, &pt2);
    assert_eq!(code(&v), FailureCode::InvalidTicket);
}

// ----- single logout of proxied services, PGT grant vs logout (issue 15) --------------

#[test]
fn a_service_reached_only_through_proxy_tickets_gets_single_logout_2_3_3() {
    let mut f = Fx::new();
    let (pgt, cookie) = proxy_setup(&mut f);
    let pt_backend = f.proxy_ticket(&pgt, BACKEND);
    let pt_deep = f.proxy_ticket(&pgt, DEEP);
    // Registered with single logout off: gets none, though it got a PT.
    let _pt_noslo = f.proxy_ticket(&pgt, NOSLO);
    let out = f.logout("", Some(&cookie));
    let targets = slo_targets(&out);
    let urls: Vec<&str> = targets.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(urls, vec![PORTAL, BACKEND, DEEP], "{targets:?}");
    // SessionIndex: the proxy ticket the service received (Appendix C).
    assert_eq!(targets[1].1, pt_backend);
    assert_eq!(targets[2].1, pt_deep);
}

#[test]
fn a_pgt_granted_after_its_session_ended_is_refused_3_3_1() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(PORTAL), &[]);
    let q = enc(&[
        ("service", PORTAL),
        ("ticket", st_of(&r).as_str()),
        ("pgtUrl", PGT_URL),
    ]);
    let ValidationStep::ProxyCallback { callback, pending } =
        f.validate_step(Endpoint::ServiceValidate, &q)
    else {
        panic!("a callback")
    };
    // The user logs out while the callback is under way.
    let _ = f.logout("", Some(&cookie));
    let v = run(f.engine.proxy_callback_result(&f.store, pending, Some(200)));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
    let pgt = Fx::pgt_from_callback(&callback);
    let id = TicketId::parse(&pgt).unwrap();
    assert!(!f.store.contains(&id), "no PGT outlives its session");
    let v = f.proxy(&enc(&[("pgt", &pgt), ("targetService", BACKEND)]));
    assert_eq!(code(&v), FailureCode::InvalidTicket);
}

#[test]
fn a_granted_pgt_is_noted_in_its_session_and_revoked_at_logout_3_3_1() {
    let mut f = Fx::new();
    let (pgt, cookie) = proxy_setup(&mut f);
    let id = TicketId::parse(&pgt).unwrap();
    let tgt = super::session::tgt_of(&f, &cookie);
    assert_eq!(tgt.proxy_granting_tickets, vec![id.clone()]);
    let _ = f.logout("", Some(&cookie));
    assert!(!f.store.contains(&id));
}

#[test]
fn proxy_session_names_the_pgt_only_for_a_well_formed_pgt() {
    let mut f = Fx::new();
    let (pgt, _) = proxy_setup(&mut f);
    let id = TicketId::parse(&pgt).unwrap();
    let q = enc(&[("pgt", &pgt), ("targetService", BACKEND)]);
    assert_eq!(f.engine.proxy_session(q.as_bytes()), Some(id));
    for q in [
        "pgt=ST-abc&targetService=x",
        "targetService=x",
        "pgt=PGT-%ZZ",
    ] {
        assert_eq!(f.engine.proxy_session(q.as_bytes()), None, "{q}");
    }
}
