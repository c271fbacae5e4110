//! The validation endpoints (§2.4–§2.9) and the proxy callback (§2.5.4).

use super::*;

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
    let tgt = TicketId::parse(&r.cookie.unwrap().value.unwrap()).unwrap();
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
