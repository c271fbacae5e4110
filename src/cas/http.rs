//! The CAS server's HTTP surface, as data an adapter asks for: which endpoint a path names
//! ([`Route`]), which methods each endpoint serves, and the limits every adapter enforces
//! the same way (request body size, time and concurrency of the calls the engine asks
//! for), and whether a request is served at all over its transport ([`TransportConfig`]:
//! plain http outside loopback is sent to https, and https answers carry HSTS). No I/O:
//! the adapter reads the request and performs the calls.

use std::time::Duration;

use serde::Serialize;

use crate::cas::config::is_loopback;
use crate::cas::engine::Endpoint;
use crate::cas::web::Method;

/// Largest request body an adapter reads, in bytes (a login form or a SAML request is far
/// smaller; the engine itself refuses parameter input over
/// [`MAX_INPUT_LEN`](crate::cas::params::MAX_INPUT_LEN)). A body is read as a stream and
/// refused (HTTP 413) as soon as it grows past this, whether or not it declared a
/// `Content-Length`.
pub const MAX_BODY: usize = 64 * 1024;

/// Time allowed for the proxy callback (§2.5.4): the service is waiting on its validation.
pub const PROXY_CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Time allowed for each single-logout POST (§2.3.3).
pub const LOGOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many single-logout POSTs of one logout are in flight at once (§2.3.3: "fire and
/// forget"). They are sent concurrently so that one service that hangs until
/// [`LOGOUT_TIMEOUT`] delays none of the others; bounded, because a Worker may hold six
/// connections open at once and a session may have many services.
pub const SINGLE_LOGOUT_CONCURRENCY: usize = 6;

/// The endpoint a path below the CAS prefix names (`/cas` in the Worker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The prefix itself (`""` or `/`): to the login page.
    Root,
    /// `/login` (§2.1, §2.2).
    Login,
    /// `/logout` (§2.3).
    Logout,
    /// `/validate`, `/serviceValidate`, `/proxyValidate`, `/p3/…` (§2.4–§2.9).
    Validate(Endpoint),
    /// `/proxy` (§2.7).
    Proxy,
    /// `/samlValidate` (§4.2).
    SamlValidate,
}

impl Route {
    /// Routes the path below the CAS prefix (`/login`, `/p3/serviceValidate`, `""` …);
    /// `None` for an unknown endpoint. Case-sensitive, with no extra slashes.
    pub fn from_path(rest: &str) -> Option<Self> {
        Some(match rest {
            "" | "/" => Self::Root,
            "/login" => Self::Login,
            "/logout" => Self::Logout,
            "/proxy" => Self::Proxy,
            "/samlValidate" => Self::SamlValidate,
            other => {
                // `Endpoint::from_path` forgives extra leading slashes; routes do not.
                let name = other.strip_prefix('/').filter(|n| !n.starts_with('/'))?;
                Self::Validate(Endpoint::from_path(name)?)
            }
        })
    }

    /// The methods the endpoint serves, as the `Allow` header of a 405 lists them.
    pub const fn methods(self) -> &'static str {
        match self {
            // A login form and a logout form are POSTed (§2.2, §2.3).
            Self::Login | Self::Logout => "GET, HEAD, POST",
            // A SOAP request (§4.2.1).
            Self::SamlValidate => "POST",
            Self::Root | Self::Validate(_) | Self::Proxy => "GET, HEAD",
        }
    }

    /// Whether a request with `method` goes to the engine (else: 405 with
    /// [`Route::methods`]). `/samlValidate` takes any method: the engine itself answers a
    /// GET with `INVALID_REQUEST` in SOAP (§4.2.2).
    pub const fn admits(self, method: Method) -> bool {
        match self {
            Self::Login | Self::Logout => matches!(method, Method::Get | Method::Post),
            Self::Root | Self::Validate(_) | Self::Proxy => matches!(method, Method::Get),
            Self::SamlValidate => true,
        }
    }
}

/// How the CAS server treats the transport of a request (issue 20 item 8): plain http
/// outside loopback is redirected to https, and answers over https carry
/// `Strict-Transport-Security` (RFC 6797). The `transport` key of the engine
/// configuration; [`TransportConfig::decide`] is the rule an adapter asks before routing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransportConfig {
    /// Redirect plain-http requests for a host that is not loopback to https (on by
    /// default). Turn off only where TLS ends in front of the adapter and the adapter sees
    /// `http` for every request.
    pub https_redirect: bool,
    /// The `Strict-Transport-Security` header of https answers.
    pub hsts: HstsConfig,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            https_redirect: true,
            hsts: HstsConfig::default(),
        }
    }
}

/// The `Strict-Transport-Security` header (RFC 6797 §6.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HstsConfig {
    /// Send it (on by default); `false` is the off switch.
    pub enabled: bool,
    /// `max-age` in seconds (RFC 6797 §6.1.1); one year by default. `0` tells browsers to
    /// forget an earlier policy.
    pub max_age: u64,
    /// `includeSubDomains` (RFC 6797 §6.1.2): off by default, because it binds every host
    /// below the CAS host name, which the CAS operator may not run.
    pub include_sub_domains: bool,
}

impl Default for HstsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_age: 365 * 24 * 60 * 60,
            include_sub_domains: false,
        }
    }
}

impl HstsConfig {
    /// The header value, `None` when turned off.
    pub fn header_value(&self) -> Option<String> {
        self.enabled.then(|| {
            let mut v = format!("max-age={}", self.max_age);
            if self.include_sub_domains {
                v.push_str("; includeSubDomains");
            }
            v
        })
    }
}

crate::cas::config::config_table!(TransportConfig, "a transport table", {
    "httpsRedirect" => https_redirect,
    "hsts" => hsts,
});

crate::cas::config::config_table!(HstsConfig, "an hsts table", {
    "enabled" => enabled,
    "maxAge" => max_age,
    "includeSubDomains" => include_sub_domains,
});

/// The request line and host as the adapter received them, for [`TransportConfig::decide`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestTarget<'a> {
    /// The method.
    pub method: Method,
    /// Whether the request came over https.
    pub https: bool,
    /// The host the request was addressed to (IPv6 in brackets), without the port.
    pub host: &'a str,
    /// The path, as received (already percent-encoded).
    pub path: &'a str,
    /// The query without `?`, as received.
    pub query: Option<&'a str>,
}

/// What to do with a request before routing it ([`TransportConfig::decide`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Serve it; add `Strict-Transport-Security: hsts` to the answer when given.
    Serve {
        /// The HSTS header value, for an https request to a host that is not loopback.
        hsts: Option<String>,
    },
    /// Answer only a redirect to the same URL over https; nothing is read or issued.
    Redirect {
        /// 301 for GET/HEAD, 308 for anything else (the method and body are kept).
        status: u16,
        /// `https://host` + path + query.
        location: String,
    },
}

impl TransportConfig {
    /// The transport rule for a request to any CAS endpoint (issue 20 item 8).
    ///
    /// - Loopback hosts ([`is_loopback`]) are served over either scheme and get no HSTS:
    ///   local development runs over plain http, and a policy on `localhost` would pin
    ///   every local server on every port (RFC 6797 §8.1: a host's policy ignores ports).
    /// - Plain http to another host is redirected to https — browser endpoints and
    ///   validation endpoints alike. The CAS protocol expects https for everything it
    ///   carries: the TGC (§3.6.1: secure), the login form's password (§2.2), service and
    ///   proxy tickets and the user's attributes in validation responses (§2.5–§2.7), the
    ///   proxy callback (§2.5.4: HTTPS). Nothing is processed over http: no ticket is
    ///   consumed, no cookie is set or read, so a service validating over http fails loudly
    ///   (or follows the redirect) instead of sending tickets and attributes in the clear.
    ///   A GET/HEAD gets 301; another method 308, which keeps it (a `samlValidate` SOAP
    ///   POST, a login form re-sent over https).
    /// - An https answer to another host carries `Strict-Transport-Security`
    ///   ([`HstsConfig`]), so a browser never tries plain http again.
    pub fn decide(&self, target: &RequestTarget<'_>) -> Transport {
        if is_loopback(target.host) {
            return Transport::Serve { hsts: None };
        }
        if target.https {
            return Transport::Serve {
                hsts: self.hsts.header_value(),
            };
        }
        if !self.https_redirect || target.host.is_empty() {
            return Transport::Serve { hsts: None };
        }
        let mut location = format!("https://{}{}", target.host, target.path);
        if let Some(query) = target.query {
            location.push('?');
            location.push_str(query);
        }
        Transport::Redirect {
            status: if target.method == Method::Get {
                301
            } else {
                308
            },
            location,
        }
    }
}

/// The engine's view of an HTTP method token (`GET`, `HEAD`, `POST`, …; case-sensitive,
/// RFC 9110 §9.1): `HEAD` is answered as `GET`, anything but `GET`/`HEAD`/`POST` is
/// [`Method::Other`].
pub fn method(token: &str) -> Method {
    match token {
        "GET" | "HEAD" => Method::Get,
        "POST" => Method::Post,
        _ => Method::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_tables_default_each_key_and_refuse_unknown_ones() {
        let t: TransportConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(t, TransportConfig::default());
        let t: TransportConfig =
            serde_json::from_str(r#"{"hsts":{"maxAge":60,"includeSubDomains":true}}"#).unwrap();
        assert!(t.https_redirect && t.hsts.enabled);
        assert_eq!((t.hsts.max_age, t.hsts.include_sub_domains), (60, true));
        let t: TransportConfig =
            serde_json::from_str(r#"{"httpsRedirect":false,"hsts":{"enabled":false}}"#).unwrap();
        assert!(!t.https_redirect && !t.hsts.enabled);
        for (doc, unknown) in [
            (r#"{"httpRedirect":true}"#, "httpRedirect"),
            (r#"{"hsts":{"max_age":1}}"#, "max_age"),
        ] {
            let e = serde_json::from_str::<TransportConfig>(doc)
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("unknown field `{unknown}`")), "{e}");
        }
        assert!(serde_json::from_str::<TransportConfig>(r#"{"hsts":{"maxAge":"1y"}}"#).is_err());
    }

    #[test]
    fn routes_cover_every_cas_endpoint() {
        let cases = [
            ("", Some(Route::Root)),
            ("/", Some(Route::Root)),
            ("/login", Some(Route::Login)),
            ("/logout", Some(Route::Logout)),
            ("/validate", Some(Route::Validate(Endpoint::Validate))),
            (
                "/serviceValidate",
                Some(Route::Validate(Endpoint::ServiceValidate)),
            ),
            (
                "/proxyValidate",
                Some(Route::Validate(Endpoint::ProxyValidate)),
            ),
            (
                "/p3/serviceValidate",
                Some(Route::Validate(Endpoint::P3ServiceValidate)),
            ),
            (
                "/p3/proxyValidate",
                Some(Route::Validate(Endpoint::P3ProxyValidate)),
            ),
            ("/proxy", Some(Route::Proxy)),
            ("/samlValidate", Some(Route::SamlValidate)),
            ("/Login", None),
            ("/login/", None),
            ("//validate", None),
            ("/p3/validate", None),
            ("x/login", None),
            ("login", None),
        ];
        for (path, want) in cases {
            assert_eq!(Route::from_path(path), want, "{path}");
        }
    }

    #[test]
    fn forms_are_posted_only_to_login_and_logout_2_2_2_3() {
        let all = [
            Route::Root,
            Route::Login,
            Route::Logout,
            Route::Validate(Endpoint::ServiceValidate),
            Route::Proxy,
            Route::SamlValidate,
        ];
        for route in all {
            assert!(route.admits(method("GET")), "{route:?}");
            assert!(route.admits(method("HEAD")), "{route:?}");
            if route != Route::SamlValidate {
                let post = route.methods().contains("POST");
                assert_eq!(route.admits(method("POST")), post, "{route:?}");
                assert!(route.methods().contains("HEAD"), "{route:?}");
                assert!(!route.admits(method("PUT")), "{route:?}");
            }
        }
        assert!(!Route::Validate(Endpoint::ServiceValidate).admits(Method::Post));
        assert!(!Route::Proxy.admits(method("DELETE")));
        assert_eq!(Route::Login.methods(), "GET, HEAD, POST");
        assert_eq!(Route::Proxy.methods(), "GET, HEAD");
        // Method tokens are case-sensitive (RFC 9110 §9.1).
        assert_eq!(method("get"), Method::Other);
    }

    #[test]
    fn samlvalidate_takes_any_method_and_the_engine_judges_4_2_2() {
        assert!(Route::SamlValidate.admits(method("GET")));
        assert!(Route::SamlValidate.admits(method("PUT")));
        assert_eq!(Route::SamlValidate.methods(), "POST");
    }

    fn target(https: bool, host: &str) -> RequestTarget<'_> {
        RequestTarget {
            method: Method::Get,
            https,
            host,
            path: "/cas/login",
            query: Some("service=https%3A%2F%2Fapp.example.org%2F"),
        }
    }

    #[test]
    fn plain_http_off_loopback_is_redirected_to_https_issue_20_8() {
        let t = TransportConfig::default();
        assert_eq!(
            t.decide(&target(false, "cas.example.org")),
            Transport::Redirect {
                status: 301,
                location:
                    "https://cas.example.org/cas/login?service=https%3A%2F%2Fapp.example.org%2F"
                        .into()
            }
        );
        // Validation too (no ticket consumed over http); a POST keeps its method.
        let saml = RequestTarget {
            method: Method::Post,
            path: "/cas/samlValidate",
            query: None,
            ..target(false, "cas.example.org")
        };
        assert_eq!(
            t.decide(&saml),
            Transport::Redirect {
                status: 308,
                location: "https://cas.example.org/cas/samlValidate".into()
            }
        );
        // Loopback is served over http, without HSTS.
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            assert_eq!(
                t.decide(&target(false, host)),
                Transport::Serve { hsts: None },
                "{host}"
            );
            assert_eq!(
                t.decide(&target(true, host)),
                Transport::Serve { hsts: None },
                "{host}"
            );
        }
        // A host that only looks like loopback is not.
        assert!(matches!(
            t.decide(&target(false, "127.0.0.1.evil.test")),
            Transport::Redirect { .. }
        ));
        // The off switch.
        let off = TransportConfig {
            https_redirect: false,
            ..TransportConfig::default()
        };
        assert_eq!(
            off.decide(&target(false, "cas.example.org")),
            Transport::Serve { hsts: None }
        );
    }

    #[test]
    fn https_answers_carry_hsts_rfc_6797() {
        let t = TransportConfig::default();
        assert_eq!(
            t.decide(&target(true, "cas.example.org")),
            Transport::Serve {
                hsts: Some("max-age=31536000".into())
            }
        );
        let sub = TransportConfig {
            hsts: HstsConfig {
                max_age: 600,
                include_sub_domains: true,
                ..HstsConfig::default()
            },
            ..TransportConfig::default()
        };
        assert_eq!(
            sub.decide(&target(true, "cas.example.org")),
            Transport::Serve {
                hsts: Some("max-age=600; includeSubDomains".into())
            }
        );
        let off = TransportConfig {
            hsts: HstsConfig {
                enabled: false,
                ..HstsConfig::default()
            },
            ..TransportConfig::default()
        };
        assert_eq!(
            off.decide(&target(true, "cas.example.org")),
            Transport::Serve { hsts: None }
        );
        // Plain http never carries HSTS (RFC 6797 §7.2: ignored there anyway).
        assert_eq!(
            TransportConfig {
                https_redirect: false,
                ..TransportConfig::default()
            }
            .decide(&target(false, "cas.example.org")),
            Transport::Serve { hsts: None }
        );
    }

    #[test]
    fn transport_settings_parse_with_defaults() {
        let t: TransportConfig =
            serde_json::from_str(r#"{"hsts":{"maxAge":60,"includeSubDomains":true}}"#)
                .expect("parses");
        assert!(t.https_redirect && t.hsts.enabled);
        assert_eq!(t.hsts.max_age, 60);
        assert!(serde_json::from_str::<TransportConfig>(r#"{"hsts":{"preload":true}}"#).is_err());
    }

    #[test]
    fn limits_leave_room_for_every_valid_request() {
        // The body cap is above what the engine parses, so the engine's own limit (with
        // its CAS answer) is the one a client meets first.
        const { assert!(MAX_BODY > crate::cas::params::MAX_INPUT_LEN) };
        // Concurrent, and within a Worker's six simultaneous connections.
        const { assert!(SINGLE_LOGOUT_CONCURRENCY >= 2 && SINGLE_LOGOUT_CONCURRENCY <= 6) };
        assert!(LOGOUT_TIMEOUT <= Duration::from_secs(5));
    }
}
