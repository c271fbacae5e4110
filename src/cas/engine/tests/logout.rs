//! `/logout` (§2.3) and single logout (§2.3.3).

use super::*;

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
    let notices: Vec<_> = slo_notices(&out).cloned().collect();
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

#[test]
fn front_channel_services_are_loaded_by_the_logout_page_back_channel_ones_posted_2_3_3() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[]);
    let st_app = st_of(&r);
    let st_front = f.sso(FRONT, &cookie);
    let _ = f.sso(QUIET, &cookie);
    let r = f.logout(&enc(&[("service", APP)]), Some(&cookie));
    let View::FrontChannelLogout { urls, service } = view(&r) else {
        panic!("a front-channel page: {r:?}")
    };
    // The registered service is where the page goes next (§2.3.2), after the frames.
    assert_eq!(service.as_deref(), Some(APP));
    assert_eq!(urls.len(), 1);
    let (base, query) = urls[0].split_once('?').unwrap();
    assert_eq!(base, FRONT);
    let p = Params::parse(query.as_bytes()).unwrap();
    assert!(p.first("SAMLRequest").is_some_and(|v| v.len() > 100));
    // The back-channel service gets its POST; the front-channel one only its frame; the
    // one with logoutType none nothing.
    assert_eq!(slo_targets(&r), vec![(APP.to_owned(), st_app)]);
    assert!(
        !urls[0].contains(st_front.as_str()),
        "the ticket is inside the deflated message"
    );
    assert!(r.cookie.as_ref().is_some_and(|c| c.value.is_none()));
}

#[test]
fn logout_type_defaults_to_back_channel_and_single_logout_false_means_none() {
    let def = |json: &str| -> crate::cas::registry::ServiceDefinition {
        serde_json::from_str(json).unwrap()
    };
    use crate::cas::registry::LogoutType;
    let base = r#""id": 1, "name": "x", "service": {"exact": "https://x.example/"}"#;
    assert_eq!(
        def(&format!("{{{base}}}")).logout(),
        LogoutType::BackChannel
    );
    assert_eq!(
        def(&format!(r#"{{{base}, "singleLogout": false}}"#)).logout(),
        LogoutType::None
    );
    assert_eq!(
        def(&format!(r#"{{{base}, "logoutType": "front_channel"}}"#)).logout(),
        LogoutType::FrontChannel
    );
    assert!(
        serde_json::from_str::<crate::cas::registry::ServiceDefinition>(&format!(
            r#"{{{base}, "logoutType": "frontChannel"}}"#
        ))
        .is_err()
    );
}
