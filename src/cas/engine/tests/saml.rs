//! `/samlValidate` (§4.2).

use super::*;

// ----- /samlValidate (§4.2) ----------------------------------------------------------

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
