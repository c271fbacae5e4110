//! Configuration, cookies, endpoint paths, whole flows and rendered replies.

use super::*;

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

    // 5. Logout: session gone, PGT gone, single logout to portal, back end (reached only
    // through its proxy ticket, issue 15) and app (§2.3.3).
    let out = f.logout(&enc(&[("service", APP)]), Some(&cookie));
    assert_eq!(location(&out), APP);
    assert_eq!(
        slo_targets(&out),
        vec![
            (PORTAL.to_owned(), st1),
            (BACKEND.to_owned(), pt),
            (APP.to_owned(), st2)
        ]
    );
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

#[test]
fn cookie_session_names_one_tgt_or_none() {
    let engine = Engine::new(config()).unwrap();
    let mut e = DeterministicEntropy::new(11);
    let tgt = TicketId::generate(TicketKind::TicketGranting, &mut e);
    let other = TicketId::generate(TicketKind::TicketGranting, &mut e);
    let name = &engine.config().cookie.name;
    let one = format!("a=b; {name}={}", tgt.as_str());
    assert_eq!(engine.cookie_session(Some(&one), false), Some(tgt.clone()));
    // Two candidates: no single session is meant.
    let two = format!("{name}={}; {name}={}", tgt.as_str(), other.as_str());
    assert_eq!(engine.cookie_session(Some(&two), false), None);
    // Not a TGT, malformed, another cookie, none.
    let st = TicketId::generate_in(TicketKind::Service, &mut e, &tgt);
    assert_eq!(
        engine.cookie_session(Some(&format!("{name}={}", st.as_str())), false),
        None
    );
    assert_eq!(
        engine.cookie_session(Some(&format!("{name}=TGT-<x>")), false),
        None
    );
    assert_eq!(
        engine.cookie_session(Some(&format!("x{name}={}", tgt.as_str())), false),
        None
    );
    assert_eq!(engine.cookie_session(None, false), None);
}

#[test]
fn tgc_over_https_is_a_host_cookie_issue_20_10() {
    let mut f = Fx::new();
    f.https = true;
    let (r, cookie) = f.login(Some(PORTAL), &[]);
    let set = r.cookie.unwrap().header_value();
    assert!(set.starts_with("__Host-TGC-casplus=TGT-"), "{set}");
    // RFC 6265bis §4.1.3.2: Secure, Path=/, no Domain.
    assert!(
        set.contains("; Path=/; HttpOnly; SameSite=Lax; Secure"),
        "{set}"
    );
    assert!(!set.contains("Domain"), "{set}");
    // SSO with it; the Worker hands it to the session it names.
    f.sso(APP, &cookie);
    let tgt = TicketId::parse(cookie.split_once('=').unwrap().1).unwrap();
    assert_eq!(f.engine.cookie_session(Some(&cookie), true), Some(tgt));
    // A plain-named cookie, as a sibling domain can set for the parent domain, is never
    // read over https: no SSO, no session.
    let tossed = cookie.strip_prefix(HOST_PREFIX).unwrap();
    assert_eq!(f.engine.cookie_session(Some(tossed), true), None);
    let r = f.get(&enc(&[("service", APP)]), Some(tossed));
    login_form(&r);
    // Logout clears the __Host- cookie.
    let out = f.logout("", Some(&cookie));
    let cleared = out.cookie.unwrap().header_value();
    assert!(
        cleared.starts_with("__Host-TGC-casplus=; Path=/;"),
        "{cleared}"
    );
}

#[test]
fn tgc_keeps_its_plain_name_and_path_over_http_and_when_turned_off() {
    // Plain http (loopback development): the configured name and path.
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(PORTAL), &[]);
    assert!(
        r.cookie
            .unwrap()
            .header_value()
            .starts_with("TGC-casplus=TGT-")
    );
    assert!(cookie.starts_with("TGC-casplus="));
    // Over https with `hostPrefix = false`: the plain name and `Path=/cas`.
    let mut c = config();
    c.cookie.host_prefix = false;
    let mut f = Fx::with(c);
    f.https = true;
    let (r, cookie) = f.login(Some(PORTAL), &[]);
    let set = r.cookie.unwrap().header_value();
    assert!(set.starts_with("TGC-casplus=TGT-"), "{set}");
    assert!(
        set.contains("; Path=/cas;") && set.contains("; Secure"),
        "{set}"
    );
    f.sso(APP, &cookie);
}
