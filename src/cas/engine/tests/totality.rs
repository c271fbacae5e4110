//! No request input makes the engine panic.

use super::*;
use proptest::prelude::*;

fn hostile() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        proptest::collection::vec(
            prop_oneof![
                Just("service=".to_owned()),
                Just("ticket=ST-".to_owned()),
                Just("ticket=PT-".to_owned()),
                Just("pgtUrl=https%3A%2F%2Fportal.example.org%2Fpgt".to_owned()),
                Just("pgt=PGT-".to_owned()),
                Just("targetService=".to_owned()),
                Just("renew=true".to_owned()),
                Just("gateway=true".to_owned()),
                Just("method=POST".to_owned()),
                Just("format=JSON".to_owned()),
                Just("lt=LT-".to_owned()),
                Just("username=casuser".to_owned()),
                Just(format!(
                    "service={}",
                    Params::from_pairs([("", APP)])
                        .encode()
                        .trim_start_matches('=')
                )),
                "[a-zA-Z0-9%&=+]{0,12}",
            ],
            0..6,
        )
        .prop_map(|parts| parts.join("&").into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    /// Every endpoint answers any input with a reply (no panic), and never hands out
    /// a ticket to an unregistered service.
    #[test]
    fn endpoints_are_total(query in hostile(), body in hostile(), post in any::<bool>()) {
        let mut f = Fx::new();
        let (_, cookie) = f.login(None, &[]);
        let req = HttpRequest {
            method: if post { Method::Post } else { Method::Get },
            query: &query,
            body: &body,
            cookie: Some(&cookie),
            client_address: None,
            https: post,
            ..HttpRequest::default()
        };
        if let LoginStep::Reply(r) = run(f.engine.login(&f.store, &mut f.entropy, f.now, &req))
            && let Response::Redirect { location, .. } = &r.response
        {
            prop_assert!(f.engine.registry().find(location.split('?').next().unwrap_or("")).is_some()
                || f.engine.registry().find(location).is_some(), "{location}");
        }
        for endpoint in [Endpoint::Validate, Endpoint::ServiceValidate, Endpoint::ProxyValidate,
                         Endpoint::P3ServiceValidate, Endpoint::P3ProxyValidate] {
            let _ = run(f.engine.validate(&f.store, &mut f.entropy, f.now, endpoint, &query));
        }
        let _ = run(f.engine.proxy(&f.store, &mut f.entropy, f.now, &query));
        let saml = SamlValidateRequest { method: Method::Post, query: &query, body: &body };
        let _ = run(f.engine.saml_validate(&f.store, &mut f.entropy, f.now, &saml));
        let _ = run(f.engine.logout(&f.store, &mut f.entropy, f.now, &req));
    }
}
