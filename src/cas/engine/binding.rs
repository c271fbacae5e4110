//! Login CSRF: every login ticket is bound to the browser that asked for the form, and a
//! login POST is accepted only from that browser and from the CAS server's own pages
//! (docs/security.md).
//!
//! CAS 3.0 §2.2 has the login form carry a login ticket (`lt`, §3.5) so that a POST
//! answers a form this server showed; but a ticket fetched by one browser would work from
//! any other. An attacker could fetch a form, then have a victim's browser post it with
//! the attacker's credentials (an auto-submitting form on another site): the victim is
//! then signed in as the attacker (login CSRF). Two rules close this, both checked before
//! any throttle counter moves and before any password is looked at:
//!
//! - **Binding.** The form's browser holds a random binding cookie ([`Engine::binding_name`]:
//!   `__Host-` prefixed over https, like the TGC), and the `lt` carries a MAC keyed with
//!   the cookie's value (`login_ticket.rs`). A POST whose `lt` does not verify under one of
//!   the request's binding cookies is refused: another browser's ticket, a made-up one, or
//!   no cookie at all. (A malformed, stale or used `lt` is the expired form it always was,
//!   §3.5.1.) The server stores nothing for this, and needs no key of its own: the cookie
//!   is the key, and only the browser (`HttpOnly`, host-only over https) holds it.
//! - **Origin.** A POST that its browser marks `Sec-Fetch-Site: cross-site`, or whose
//!   `Origin` is present and not the server's own, is refused ([`foreign_request`])
//!   before its login ticket is read.
//!   Clients that send neither header (scripts, CAS client test harnesses) rely on the
//!   binding alone.
//!
//! A refused POST gets a fresh form bound to the same browser (a new cookie when it had
//! none) and an audit event ([`crate::cas::audit::AuditEvent::LoginCsrfRefused`]).

use crate::cas::audit::CsrfReason;
use crate::cas::params::cookie_values;
use crate::cas::ticket::{Entropy, LoginPurpose, TicketId, random_token};
use crate::cas::web::{HttpRequest, SetCookie};
use crate::time::Timestamp;

use super::login_ticket::{self, LoginTicketParts};
use super::{Engine, HOST_PREFIX};

/// The binding cookie's name over plain http; over https `__Host-` is put before it
/// ([`Engine::binding_name`]).
pub const BINDING_COOKIE: &str = "LOGIN-casplus";

/// Random bytes in a binding cookie's value (lowercase hex on the wire).
const BINDING_BYTES: usize = 16;

/// At most this many binding cookies of a request are tried (a few may be sent for wider
/// paths).
const MAX_CANDIDATES: usize = 3;

/// A binding cookie's value as a login carries it to its end ([`super::PendingLogin`]):
/// a MAC key, so `Debug` hides it.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(super) struct Binding(pub(super) String);

impl core::fmt::Debug for Binding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Binding(…)")
    }
}

/// What a fresh form is bound to: the browser's binding cookie value, when it sent a
/// well-formed one, and the transport (the cookie's name and attributes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FormBinding<'a> {
    /// The browser's binding, reused so that its other open forms stay valid.
    pub(super) existing: Option<&'a str>,
    /// The request came over https.
    pub(super) https: bool,
}

/// Whether `value` is a binding this server could have issued: [`BINDING_BYTES`] bytes
/// of lowercase hex. Anything else is ignored (never stored, never used as a key).
fn is_binding(value: &str) -> bool {
    value.len() == 2 * BINDING_BYTES
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why `request` is a cross-site POST by its own headers, if it is one: `Sec-Fetch-Site:
/// cross-site` (Fetch Metadata), or an `Origin` present and not the request's own (RFC
/// 6454 §7; `null` included). A request without these headers is not judged here.
pub(super) fn foreign_request(request: &HttpRequest<'_>) -> Option<CsrfReason> {
    if request
        .fetch_site
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("cross-site"))
    {
        return Some(CsrfReason::CrossSite);
    }
    let origin = request.origin?.trim();
    let own = request
        .own_origin
        .is_some_and(|own| own.eq_ignore_ascii_case(origin));
    (!own).then_some(CsrfReason::ForeignOrigin)
}

impl Engine {
    /// The binding cookie's name over https (`https`) or plain http: the TGC's rule
    /// ([`Engine::cookie_name`]), so over https `__Host-` + [`BINDING_COOKIE`] unless
    /// [`super::CookieConfig::host_prefix`] is off.
    pub fn binding_name(&self, https: bool) -> String {
        if https && self.config.cookie.host_prefix {
            format!("{HOST_PREFIX}{BINDING_COOKIE}")
        } else {
            BINDING_COOKIE.to_owned()
        }
    }

    /// The well-formed binding cookie values `request` carries (at most a few).
    fn bindings<'r>(&self, request: &HttpRequest<'r>) -> Vec<&'r str> {
        let Some(header) = request.cookie else {
            return Vec::new();
        };
        let mut values = cookie_values(header, &self.binding_name(request.https));
        values.retain(|v| is_binding(v));
        values.truncate(MAX_CANDIDATES);
        values
    }

    /// What a fresh form shown in answer to `request` is bound to.
    pub(super) fn form_binding<'r>(&self, request: &HttpRequest<'r>) -> FormBinding<'r> {
        FormBinding {
            existing: self.bindings(request).first().copied(),
            https: request.https,
        }
    }

    /// A login ticket ([`login_ticket::issue`]) for a form shown at `now` for `purpose` and
    /// `service`, bound to `binding`'s browser, reserving `route` (fresh when `None`); and
    /// the cookie to set when that browser has none yet (a new random binding).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind_form(
        &self,
        entropy: &mut dyn Entropy,
        binding: FormBinding<'_>,
        now: Timestamp,
        purpose: &LoginPurpose,
        service: Option<&str>,
        route: Option<&str>,
    ) -> (TicketId, Option<Box<SetCookie>>) {
        match binding.existing {
            Some(value) => (
                login_ticket::issue(entropy, value, now, purpose, service, route),
                None,
            ),
            None => {
                let value = random_token(entropy, "", BINDING_BYTES);
                let lt = login_ticket::issue(entropy, &value, now, purpose, service, route);
                (
                    lt,
                    Some(Box::new(self.binding_cookie(value, binding.https))),
                )
            }
        }
    }

    /// The binding cookie carrying `value`: a session cookie with the TGC's path, `Secure`
    /// and `__Host-` rules ([`Engine::cookie`]).
    fn binding_cookie(&self, value: String, https: bool) -> SetCookie {
        SetCookie {
            name: self.binding_name(https),
            max_age: None,
            ..self.cookie(Some(value), false, https)
        }
    }

    /// The binding cookie of `request` that the login ticket `lt` was bound to, or why
    /// there is none: no binding cookie at all, or `lt` bound to another browser's.
    pub(super) fn verify_binding<'r>(
        &self,
        request: &HttpRequest<'r>,
        lt: &LoginTicketParts<'_>,
    ) -> Result<&'r str, CsrfReason> {
        let bindings = self.bindings(request);
        if bindings.is_empty() {
            return Err(CsrfReason::MissingBinding);
        }
        bindings
            .into_iter()
            .find(|b| lt.bound_to(b))
            .ok_or(CsrfReason::BindingMismatch)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_well_formed_bindings_count() {
        assert!(is_binding("0123456789abcdef0123456789abcdef"));
        for bad in [
            "",
            "0123456789abcdef",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcdeg",
            "0123456789abcdef0123456789abcdef0",
        ] {
            assert!(!is_binding(bad), "{bad}");
        }
    }

    #[test]
    fn foreign_requests_by_fetch_metadata_and_origin() {
        let own = HttpRequest {
            own_origin: Some("https://cas.example.org"),
            ..HttpRequest::default()
        };
        assert_eq!(foreign_request(&own), None, "no header: not judged here");
        for site in ["same-origin", "same-site", "none"] {
            let r = HttpRequest {
                fetch_site: Some(site),
                ..own
            };
            assert_eq!(foreign_request(&r), None, "{site}");
        }
        let cross = HttpRequest {
            fetch_site: Some("cross-site"),
            origin: Some("https://cas.example.org"),
            ..own
        };
        assert_eq!(foreign_request(&cross), Some(CsrfReason::CrossSite));
        let same = HttpRequest {
            origin: Some("https://CAS.example.org"),
            ..own
        };
        assert_eq!(foreign_request(&same), None, "same origin accepted");
        for other in [
            "https://evil.example",
            "http://cas.example.org",
            "https://cas.example.org:8443",
            "null",
            "",
        ] {
            let r = HttpRequest {
                origin: Some(other),
                ..own
            };
            assert_eq!(
                foreign_request(&r),
                Some(CsrfReason::ForeignOrigin),
                "{other}"
            );
        }
        let unknown_own = HttpRequest {
            origin: Some("https://cas.example.org"),
            ..HttpRequest::default()
        };
        assert_eq!(
            foreign_request(&unknown_own),
            Some(CsrfReason::ForeignOrigin),
            "an Origin that cannot be compared is not trusted"
        );
    }
}
