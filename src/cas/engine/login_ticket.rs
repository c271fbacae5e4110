//! The login ticket (§3.5) as a self-contained token: showing a form stores nothing; the
//! ticket is spent, once, when a POST uses it (§3.5.1, [`Store::put_new`]).
//!
//! A login ticket only has to prove three things when it comes back: that this server
//! showed it to *this* browser (login CSRF, `binding.rs`), recently, for *this* service
//! (and, for a warn confirmation, *this* session). All three can be carried by the ticket
//! itself under a MAC keyed with the browser's binding cookie — a random value only that
//! browser holds (`HttpOnly`, host-only over https) — so the server keeps no record
//! between the form and its POST and needs no key of its own. What must be stored is the
//! fact that a ticket was used, and only once one is: [`Store::put_new`] of the ticket
//! when its POST arrives.
//!
//! The id, all in `[a-z0-9-]` (§3.7):
//!
//! ```text
//! LT- p tttttttttt rrrr…(32) bbbb…(32) cccc…(16) - route(12)
//! ```
//!
//! - `p`: the purpose, `c` (credentials, §2.2) or `w` (warn confirmation, §2.2.1);
//! - `t`: the issue time, seconds since the epoch, 10 hex digits;
//! - `r`: 128 random bits ([`LT_BYTES`]), so every ticket is distinct;
//! - `b`: the *binding MAC*, over the purpose, time, random part and route: it verifies
//!   under the browser's binding cookie or the POST is refused as a login CSRF;
//! - `c`: the *context MAC*, over the same and the form's `service` (and for `w` the
//!   session's TGT id): a ticket posted with another service, or confirming another
//!   session, is an expired form;
//! - the *route* ([`TicketId::route`]): the session route the ticket reserves. A
//!   credential login opens its session under it ([`TicketId::generate_session`]), so the
//!   store that keeps a session's tickets together spends the ticket where the session
//!   will live (one Durable Object per login in the Worker instead of two). A warn
//!   confirmation's ticket carries its session's route.
//!
//! Both MACs are HMAC-SHA256 (RFC 2104) with the binding cookie's value as key, over a
//! label and length-prefixed fields, cut to 16 and 8 bytes: forging either needs the
//! cookie, and anyone holding the cookie is the browser the ticket was for. Made-up
//! tickets that do not verify are refused like another browser's ticket.
//!
//! [`Store::put_new`]: crate::cas::store::Store::put_new

use subtle::ConstantTimeEq as _;

use crate::cas::ticket::{Entropy, LoginPurpose, TicketId, TicketKind, random_route, random_token};
use crate::codec::hex;
use crate::time::Timestamp;

/// Random bytes in a login ticket, and bytes of its binding MAC.
const LT_BYTES: usize = 16;

/// Bytes of a login ticket's context MAC.
const CONTEXT_BYTES: usize = 8;

/// Hex digits of the issue time.
const TIME_DIGITS: usize = 10;

/// Length of the part signed by both MACs, before the route: purpose, time, random.
const SIGNED_LEN: usize = 1 + TIME_DIGITS + 2 * LT_BYTES;

/// The purpose letter of a credentials form's ticket.
const CREDENTIALS: u8 = b'c';
/// The purpose letter of a warn confirmation's ticket.
const WARN: u8 = b'w';

/// A login ticket as it came back in a POST: its parts, not yet verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LoginTicketParts<'a> {
    /// Purpose, time and random part (what both MACs sign, with the route).
    signed: &'a str,
    binding_mac: &'a str,
    context_mac: &'a str,
    route: &'a str,
}

/// What a login ticket was issued for, as its context MAC covers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FormContext<'a> {
    /// The form's `service`, if any.
    pub(super) service: Option<&'a str>,
    /// For a warn confirmation: the id of the session's TGT.
    pub(super) tgt: Option<&'a str>,
}

/// HMAC-SHA256 keyed with `binding` over `label` and the length-prefixed `fields`, cut to
/// `bytes` bytes, as lowercase hex. PBKDF2 with one iteration is exactly one HMAC-SHA256
/// of the salt followed by `INT(1)` (RFC 8018 §5.2, `U_1`): the password hashing code, so
/// the Worker carries no second HMAC.
fn mac(binding: &str, label: &[u8], fields: &[&[u8]], bytes: usize) -> String {
    let mut message = Vec::with_capacity(label.len() + 160);
    message.extend_from_slice(label);
    for field in fields {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        message.extend_from_slice(&len.to_be_bytes());
        message.extend_from_slice(field);
    }
    let full = pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(binding.as_bytes(), &message, 1);
    hex::encode(full.get(..bytes).unwrap_or_default())
}

fn binding_mac(binding: &str, signed: &str, route: &str) -> String {
    mac(
        binding,
        b"casplus login ticket binding\0",
        &[signed.as_bytes(), route.as_bytes()],
        LT_BYTES,
    )
}

fn context_mac(binding: &str, signed: &str, route: &str, context: FormContext<'_>) -> String {
    // `None` and `Some("")` differ: a presence byte before each optional field.
    let optional = |v: Option<&str>| -> Vec<u8> {
        v.map_or_else(Vec::new, |s| {
            let mut out = Vec::with_capacity(1 + s.len());
            out.push(1);
            out.extend_from_slice(s.as_bytes());
            out
        })
    };
    mac(
        binding,
        b"casplus login ticket context\0",
        &[
            signed.as_bytes(),
            route.as_bytes(),
            &optional(context.service),
            &optional(context.tgt),
        ],
        CONTEXT_BYTES,
    )
}

/// Compares two MACs (lowercase hex) in constant time.
fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A fresh login ticket for a form shown at `now` to the browser holding `binding`, for
/// `purpose` and `service`, reserving `route` (a fresh one when `None`: a credentials
/// form; a warn page passes its session's route).
pub(super) fn issue(
    entropy: &mut dyn Entropy,
    binding: &str,
    now: Timestamp,
    purpose: &LoginPurpose,
    service: Option<&str>,
    route: Option<&str>,
) -> TicketId {
    let (letter, tgt) = match purpose {
        LoginPurpose::Credentials => (CREDENTIALS, None),
        LoginPurpose::WarnConfirm { tgt } => (WARN, Some(tgt.as_str())),
    };
    let route = match route {
        Some(r) if crate::cas::ticket::is_route(r) => r.to_owned(),
        _ => random_route(entropy),
    };
    let secs = u64::try_from(now.as_secs()).unwrap_or(0);
    let signed = format!(
        "{}{secs:0width$x}{}",
        char::from(letter),
        random_token(entropy, "", LT_BYTES),
        width = TIME_DIGITS
    );
    let id = format!(
        "{}{signed}{}{}-{route}",
        TicketKind::Login.prefix(),
        binding_mac(binding, &signed, &route),
        context_mac(binding, &signed, &route, FormContext { service, tgt }),
    );
    // Always well formed (prefix, `[a-z0-9-]`, < 256 characters); the fallback never
    // verifies, so is never accepted.
    TicketId::try_from(id).unwrap_or_else(|_| TicketId::generate(TicketKind::Login, entropy))
}

/// The parts of the login ticket `lt`, or `None` when it is not one this server could have
/// issued (made up or damaged: an expired form, §3.5.1).
pub(super) fn parts(lt: &str) -> Option<LoginTicketParts<'_>> {
    let rest = lt.strip_prefix(TicketKind::Login.prefix())?;
    let (body, route) = rest.split_once('-')?;
    let lower_hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if body.len() != SIGNED_LEN + 2 * (LT_BYTES + CONTEXT_BYTES)
        || !crate::cas::ticket::is_route(route)
        || !matches!(body.as_bytes().first(), Some(&(CREDENTIALS | WARN)))
        || !lower_hex(body.get(1..)?)
    {
        return None;
    }
    let (signed, macs) = body.split_at(SIGNED_LEN);
    let (binding_mac, context_mac) = macs.split_at(2 * LT_BYTES);
    Some(LoginTicketParts {
        signed,
        binding_mac,
        context_mac,
        route,
    })
}

impl LoginTicketParts<'_> {
    /// Whether the ticket was issued to the browser holding `binding` (constant time).
    pub(super) fn bound_to(&self, binding: &str) -> bool {
        same(
            &binding_mac(binding, self.signed, self.route),
            self.binding_mac,
        )
    }

    /// Whether the ticket, issued under `binding`, was for `context` (constant time).
    pub(super) fn issued_for(&self, binding: &str, context: FormContext<'_>) -> bool {
        same(
            &context_mac(binding, self.signed, self.route, context),
            self.context_mac,
        )
    }

    /// Whether it is a warn confirmation's ticket (§2.2.1) rather than a credentials
    /// form's.
    pub(super) fn is_warn(&self) -> bool {
        self.signed.as_bytes().first() == Some(&WARN)
    }

    /// When it was issued.
    pub(super) fn issued_at(&self) -> Timestamp {
        let secs = self
            .signed
            .get(1..=TIME_DIGITS)
            .and_then(|t| i64::from_str_radix(t, 16).ok())
            .unwrap_or(0);
        Timestamp::from_secs(secs)
    }

    /// The session route it reserves.
    pub(super) fn route(&self) -> &str {
        self.route
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cas::ticket::DeterministicEntropy;

    const NOW: Timestamp = Timestamp(1_700_000_000_000);

    fn flip(s: &str, i: usize) -> String {
        let mut b = s.as_bytes().to_vec();
        b[i] = if b[i] == b'0' { b'1' } else { b'0' };
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn a_login_ticket_verifies_only_under_its_binding_3_5() {
        let mut e = DeterministicEntropy::new(1);
        let mine = random_token(&mut e, "", 16);
        let theirs = random_token(&mut e, "", 16);
        let lt = issue(&mut e, &mine, NOW, &LoginPurpose::Credentials, None, None);
        assert_eq!(
            TicketId::parse(lt.as_str()).unwrap(),
            lt,
            "a valid id (§3.7)"
        );
        assert_eq!(lt.kind(), TicketKind::Login);
        let p = parts(lt.as_str()).unwrap();
        assert!(p.bound_to(&mine));
        assert!(!p.bound_to(&theirs));
        assert!(!p.is_warn());
        assert_eq!(p.issued_at(), Timestamp::from_secs(NOW.as_secs()));
        assert_eq!(lt.route(), Some(p.route()), "the route is the id's route");
        // One changed digit anywhere — purpose, time, random part, a MAC, the route —
        // and it verifies no more (or is no login ticket at all).
        let s = lt.as_str();
        for i in (3..s.len()).filter(|&i| s.as_bytes()[i] != b'-') {
            let changed = flip(s, i);
            let ok = parts(&changed).is_some_and(|p| {
                p.bound_to(&mine)
                    && p.issued_for(
                        &mine,
                        FormContext {
                            service: None,
                            tgt: None,
                        },
                    )
            });
            assert!(!ok, "digit {i} changed: {changed}");
        }
    }

    #[test]
    fn its_context_is_the_service_and_for_a_warn_the_session_2_2_1() {
        let mut e = DeterministicEntropy::new(2);
        let b = random_token(&mut e, "", 16);
        let app = Some("https://app.example.org/");
        let ctx = |service, tgt| FormContext { service, tgt };
        let lt = issue(&mut e, &b, NOW, &LoginPurpose::Credentials, app, None);
        let p = parts(lt.as_str()).unwrap();
        assert!(p.issued_for(&b, ctx(app, None)));
        assert!(!p.issued_for(&b, ctx(Some("https://other.example.org/"), None)));
        assert!(!p.issued_for(&b, ctx(None, None)));
        assert!(
            !p.issued_for(&b, ctx(Some(""), None)),
            "absent is not empty"
        );

        let tgt = TicketId::generate(TicketKind::TicketGranting, &mut e);
        let warn = LoginPurpose::WarnConfirm { tgt: tgt.clone() };
        let lt = issue(&mut e, &b, NOW, &warn, app, tgt.route());
        let p = parts(lt.as_str()).unwrap();
        assert!(p.is_warn());
        assert_eq!(
            Some(p.route()),
            tgt.route(),
            "a warn ticket lives with its session"
        );
        assert!(p.issued_for(&b, ctx(app, Some(tgt.as_str()))));
        let other = TicketId::generate(TicketKind::TicketGranting, &mut e);
        assert!(!p.issued_for(&b, ctx(app, Some(other.as_str()))));
        assert!(!p.issued_for(&b, ctx(app, None)));
    }

    #[test]
    fn fresh_tickets_differ_and_reserve_fresh_routes() {
        let mut e = DeterministicEntropy::new(3);
        let a = issue(&mut e, "k", NOW, &LoginPurpose::Credentials, None, None);
        let b = issue(&mut e, "k", NOW, &LoginPurpose::Credentials, None, None);
        assert_ne!(a, b);
        assert_ne!(a.route(), b.route());
        let tgt = TicketId::generate_session(&mut e, a.route());
        assert_eq!(
            tgt.route(),
            a.route(),
            "the session opens under the reserved route"
        );
    }

    #[test]
    fn only_well_formed_tickets_have_parts() {
        let mut e = DeterministicEntropy::new(4);
        let lt = issue(&mut e, "k", NOW, &LoginPurpose::Credentials, None, None);
        let s = lt.as_str();
        assert!(parts(s).is_some());
        let upper = s.to_ascii_uppercase().replacen("LT-C", "LT-c", 1);
        for bad in [
            "",
            "LT-",
            "LT-0",
            "LT-forged",
            "ST-abc",
            &s[..s.len() - 1],
            &s[..s.len() - 13],
            &format!("{s}0"),
            &s.replacen("LT-c", "LT-x", 1),
            &upper,
            "LT-00112233445566778899aabbccddeeff",
        ] {
            assert_eq!(parts(bad), None, "{bad}");
        }
    }
}
