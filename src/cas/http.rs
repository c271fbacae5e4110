//! The CAS server's HTTP surface, as data an adapter asks for: which endpoint a path names
//! ([`Route`]), which methods each endpoint serves, and the limits every adapter enforces
//! the same way (request body size, time and concurrency of the calls the engine asks
//! for). No I/O: the adapter reads the request and performs the calls.

use std::time::Duration;

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
