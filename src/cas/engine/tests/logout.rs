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
