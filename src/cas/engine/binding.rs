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
//!   `__Host-` prefixed over https, like the TGC), and the `lt` is `LT-` + a random part +
//!   a MAC of that part keyed with the cookie's value ([`bound_login_ticket`]). A POST
//!   whose `lt` is a live login ticket (taken, §3.5.1: one attempt) but does not verify
//!   under one of the request's binding cookies is refused: another browser's ticket, or
//!   no cookie at all. (A made-up or used `lt` is the expired form it always was.) The server stores nothing more than
//!   the login ticket it already stored, and needs no key of its own: the cookie is the
//!   key, and only the browser (`HttpOnly`, host-only over https) holds it.
//! - **Origin.** A POST that its browser marks `Sec-Fetch-Site: cross-site`, or whose
//!   `Origin` is present and not the server's own, is refused ([`foreign_request`])
//!   before its login ticket is read.
//!   Clients that send neither header (scripts, CAS client test harnesses) rely on the
//!   binding alone.
//!
//! A refused POST gets a fresh form bound to the same browser (a new cookie when it had
//! none) and an audit event ([`crate::cas::audit::AuditEvent::LoginCsrfRefused`]).

use subtle::ConstantTimeEq as _;

use crate::cas::audit::CsrfReason;
use crate::cas::params::cookie_values;
use crate::cas::ticket::{Entropy, TicketId, TicketKind, random_token};
use crate::cas::web::{HttpRequest, SetCookie};
use crate::codec::hex;

use super::{Engine, HOST_PREFIX};

/// The binding cookie's name over plain http; over https `__Host-` is put before it
/// ([`Engine::binding_name`]).
pub const BINDING_COOKIE: &str = "LOGIN-casplus";

/// Random bytes in a binding cookie's value (lowercase hex on the wire).
const BINDING_BYTES: usize = 16;

/// Random bytes, and MAC bytes, in a bound login ticket's id (lowercase hex each).
const LT_BYTES: usize = 16;

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

/// The MAC of a login ticket's random part `random` (hex) under the binding `binding`:
/// HMAC-SHA256 (RFC 2104) keyed with the binding, over a label and `random`, cut to
/// [`LT_BYTES`] bytes. PBKDF2 with one iteration is exactly one HMAC-SHA256 of the salt
/// followed by `INT(1)` (RFC 8018 §5.2, `U_1`): the password hashing code, so the Worker
/// carries no second HMAC.
fn lt_mac(binding: &str, random: &str) -> String {
    let mut message = Vec::with_capacity(32 + random.len());
    message.extend_from_slice(b"casplus login ticket binding\0");
    message.extend_from_slice(random.as_bytes());
    let mac = pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(binding.as_bytes(), &message, 1);
    hex::encode(mac.get(..LT_BYTES).unwrap_or_default())
}

/// A fresh login ticket id bound to `binding` (§3.5: `LT-` and random; here followed by
/// the MAC that ties it to the browser holding `binding`).
pub(super) fn bound_login_ticket(entropy: &mut dyn Entropy, binding: &str) -> TicketId {
    let random = random_token(entropy, "", LT_BYTES);
    let id = format!(
        "{}{random}{}",
        TicketKind::Login.prefix(),
        lt_mac(binding, &random)
    );
    // Always a well-formed id (prefix, hex); the fallback is never bound, so never accepted.
    TicketId::try_from(id).unwrap_or_else(|_| TicketId::generate(TicketKind::Login, entropy))
}

/// Whether the login ticket `lt` was bound to `binding` ([`bound_login_ticket`]), compared
/// in constant time.
fn is_bound_to(lt: &str, binding: &str) -> bool {
    let Some(rest) = lt.strip_prefix(TicketKind::Login.prefix()) else {
        return false;
    };
    if rest.len() != 4 * LT_BYTES {
        return false;
    }
    let (random, mac) = rest.split_at(2 * LT_BYTES);
    lt_mac(binding, random)
        .as_bytes()
        .ct_eq(mac.as_bytes())
        .into()
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

    /// A login ticket id bound to `binding`'s browser, and the cookie to set when that
    /// browser has none yet (a new random binding).
    pub(super) fn bind_form(
        &self,
        entropy: &mut dyn Entropy,
        binding: FormBinding<'_>,
    ) -> (TicketId, Option<Box<SetCookie>>) {
        match binding.existing {
            Some(value) => (bound_login_ticket(entropy, value), None),
            None => {
                let value = random_token(entropy, "", BINDING_BYTES);
                let lt = bound_login_ticket(entropy, &value);
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
        lt: &TicketId,
    ) -> Result<&'r str, CsrfReason> {
        let bindings = self.bindings(request);
        if bindings.is_empty() {
            return Err(CsrfReason::MissingBinding);
        }
        bindings
            .into_iter()
            .find(|b| is_bound_to(lt.as_str(), b))
            .ok_or(CsrfReason::BindingMismatch)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cas::ticket::DeterministicEntropy;

    #[test]
    fn a_bound_login_ticket_verifies_only_under_its_binding_3_5() {
        let mut e = DeterministicEntropy::new(1);
        let mine = random_token(&mut e, "", BINDING_BYTES);
        let theirs = random_token(&mut e, "", BINDING_BYTES);
        let lt = bound_login_ticket(&mut e, &mine);
        assert!(is_binding(&mine) && is_binding(&theirs));
        assert!(TicketId::parse(lt.as_str()).is_ok());
        assert_eq!(lt.kind(), TicketKind::Login);
        assert!(is_bound_to(lt.as_str(), &mine));
        assert!(!is_bound_to(lt.as_str(), &theirs));
        // One flipped digit of the random part or of the MAC breaks it.
        let s = lt.as_str();
        for i in [3, s.len() - 1] {
            let mut b = s.as_bytes().to_vec();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            assert!(!is_bound_to(&String::from_utf8(b).unwrap(), &mine), "{i}");
        }
        // An unbound (plain random) login ticket is bound to nothing.
        let plain = TicketId::generate(TicketKind::Login, &mut e);
        assert!(!is_bound_to(plain.as_str(), &mine));
        assert!(!is_bound_to("", &mine));
    }

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
