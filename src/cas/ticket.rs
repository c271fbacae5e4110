//! CAS tickets (§3): ids, kinds, records and lineage TGT → ST → PGT → PT.
//!
//! A ticket id is its kind's prefix followed by hex digits drawn from caller-supplied
//! entropy ([`Entropy`]); the kind is read back from the prefix. Records are plain serde
//! values, so an adapter can keep them as JSON in any store.
//!
//! | kind | prefix | random bits | length | spec |
//! |---|---|---|---|---|
//! | ticket-granting | `TGT-` | 256 | 68 | §3.8, §3.6 (the TGC value) |
//! | service | `ST-` | 160 | 43 (≤ 256) | §3.1.1 |
//! | proxy | `PT-` | 160 | 43 (≤ 256) | §3.2.1 |
//! | proxy-granting | `PGT-` | 256 | 68 (≥ 64) | §3.3.1 |
//! | proxy-granting IOU | `PGTIOU-` | 256 | 71 (≥ 64) | §3.4.1 |
//! | login ticket / execution | `LT-` | 128 | 35 | §3.5.1 |
//!
//! Every id uses only `[A-Za-z0-9-]` (§3.7).

use core::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cas::response::Attributes;
use crate::cas::stored::{self, StoredFormError};
use crate::time::Timestamp;

/// A source of secure random bytes. The adapter implements it with a CSPRNG
/// (`crypto.getRandomValues`, `getrandom`); tests use [`DeterministicEntropy`].
pub trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

/// A seeded, reproducible byte stream (SplitMix64) for tests and benchmarks.
///
/// **Not cryptographic**: never use it to issue real tickets.
#[derive(Clone, Debug)]
pub struct DeterministicEntropy(u64);

impl DeterministicEntropy {
    /// A stream determined entirely by `seed`.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for DeterministicEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// `prefix` followed by `bytes` random bytes from `entropy` as lowercase hex (at most 64
/// bytes). Used for ticket ids and for SAML/logout message ids.
pub fn random_token(entropy: &mut dyn Entropy, prefix: &str, bytes: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut raw = [0u8; 64];
    let raw = raw.get_mut(..bytes.min(64)).unwrap_or_default();
    entropy.fill(raw);
    let mut s = String::with_capacity(prefix.len() + 2 * raw.len());
    s.push_str(prefix);
    for b in raw.iter() {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

/// The kinds of ticket, each with its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TicketKind {
    /// Ticket-granting ticket (§3.8), the SSO session; its id is the TGC value (§3.6).
    TicketGranting,
    /// Service ticket (§3.1).
    Service,
    /// Proxy ticket (§3.2).
    Proxy,
    /// Proxy-granting ticket (§3.3).
    ProxyGranting,
    /// Proxy-granting ticket IOU (§3.4); never stored, only sent.
    ProxyGrantingIou,
    /// Login ticket (§3.5), also used as the login form's `execution` (CSRF token).
    Login,
}

impl TicketKind {
    /// Every kind.
    pub const ALL: [Self; 6] = [
        Self::TicketGranting,
        Self::Service,
        Self::Proxy,
        Self::ProxyGranting,
        Self::ProxyGrantingIou,
        Self::Login,
    ];

    /// The id prefix, e.g. `ST-` (§3.1.1 MUST; the others SHOULD).
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::TicketGranting => "TGT-",
            Self::Service => "ST-",
            Self::Proxy => "PT-",
            Self::ProxyGranting => "PGT-",
            Self::ProxyGrantingIou => "PGTIOU-",
            Self::Login => "LT-",
        }
    }

    /// Random bytes in a fresh id of this kind (each becomes two hex digits).
    pub const fn random_bytes(self) -> usize {
        match self {
            Self::TicketGranting | Self::ProxyGranting | Self::ProxyGrantingIou => 32,
            Self::Service | Self::Proxy => 20,
            Self::Login => 16,
        }
    }

    /// The kind whose prefix starts `id`, if any.
    pub fn of(id: &str) -> Option<Self> {
        // `PGTIOU-` does not start with `PGT-`, so prefixes are unambiguous.
        Self::ALL.into_iter().find(|k| id.starts_with(k.prefix()))
    }
}

/// Longest ticket id accepted from a request (§3.1.1 and §3.2.1 RECOMMEND clients accept
/// 256 characters; nothing this server issues is longer).
pub const MAX_TICKET_LEN: usize = 256;

/// Why a string is not a ticket id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TicketIdError {
    /// No known prefix.
    #[error("unknown ticket prefix")]
    UnknownPrefix,
    /// A character outside `[A-Za-z0-9-]` (§3.7).
    #[error("character outside [A-Za-z0-9-]")]
    BadCharacter,
    /// Nothing after the prefix, or longer than [`MAX_TICKET_LEN`].
    #[error("bad ticket length")]
    BadLength,
}

/// Hex digits in a session route (see [`TicketId::route`]): 48 random bits, not secret.
pub const ROUTE_LEN: usize = 12;

/// Whether `s` is a session route: exactly [`ROUTE_LEN`] lowercase hex digits.
pub fn is_route(s: &str) -> bool {
    s.len() == ROUTE_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A fresh session route ([`TicketId::route`]) drawn from `entropy`.
pub fn random_route(entropy: &mut dyn Entropy) -> String {
    random_token(entropy, "", ROUTE_LEN / 2)
}

/// A ticket id: prefix + random part, charset `[A-Za-z0-9-]` (§3.7).
///
/// Tickets of one SSO session end in the same *route*, `-` and [`ROUTE_LEN`] hex digits
/// drawn when the TGT is made (`TGT-<64 hex>-<route>`, `ST-<40 hex>-<route>`, the way
/// Apereo CAS ends ids in a node suffix). The route is not secret and adds nothing to the
/// random part (still ≥ 128 bits, [`TicketKind::random_bytes`]); it lets a store keep a
/// session's tickets together (one Durable Object per session in the Worker).
///
/// Its `Debug` shows only the prefix: ticket ids are credentials and must not reach logs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketId(String);

impl TicketId {
    /// Draws a fresh id of `kind` from `entropy`. A TGT gets a fresh session route; other
    /// kinds get none (use [`TicketId::generate_in`] for a session's tickets).
    pub fn generate(kind: TicketKind, entropy: &mut dyn Entropy) -> Self {
        let mut id = random_token(entropy, kind.prefix(), kind.random_bytes());
        if kind == TicketKind::TicketGranting {
            id.push('-');
            id.push_str(&random_route(entropy));
        }
        Self(id)
    }

    /// Draws a fresh id of `kind` that belongs to the session of `parent` (a TGT, or a
    /// ticket of its session): it carries the parent's route, if any.
    pub fn generate_in(kind: TicketKind, entropy: &mut dyn Entropy, parent: &TicketId) -> Self {
        let mut id = random_token(entropy, kind.prefix(), kind.random_bytes());
        if let Some(route) = parent.route() {
            id.push('-');
            id.push_str(route);
        }
        Self(id)
    }

    /// Draws a fresh TGT id for a session whose route was reserved before the session
    /// existed (by the login ticket of the form that opens it, `engine/login_ticket.rs`):
    /// `route` when it is one ([`is_route`]), else a fresh route.
    pub fn generate_session(entropy: &mut dyn Entropy, route: Option<&str>) -> Self {
        let kind = TicketKind::TicketGranting;
        match route.filter(|r| is_route(r)) {
            Some(route) => {
                let mut id = random_token(entropy, kind.prefix(), kind.random_bytes());
                id.push('-');
                id.push_str(route);
                Self(id)
            }
            None => Self::generate(kind, entropy),
        }
    }

    /// The session route this id ends in, if it has one: the part after the random part,
    /// exactly [`ROUTE_LEN`] lowercase hex digits.
    pub fn route(&self) -> Option<&str> {
        let rest = self.0.get(self.kind().prefix().len()..)?;
        let (random, route) = rest.split_once('-')?;
        (!random.is_empty() && is_route(route)).then_some(route)
    }

    /// Checks a ticket id received in a request.
    pub fn parse(s: &str) -> Result<Self, TicketIdError> {
        let kind = TicketKind::of(s).ok_or(TicketIdError::UnknownPrefix)?;
        if s.len() > MAX_TICKET_LEN || s.len() == kind.prefix().len() {
            return Err(TicketIdError::BadLength);
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(TicketIdError::BadCharacter);
        }
        Ok(Self(s.to_owned()))
    }

    /// The kind, from the prefix.
    pub fn kind(&self) -> TicketKind {
        // Every constructor checked the prefix.
        TicketKind::of(&self.0).unwrap_or(TicketKind::Login)
    }

    /// The id as sent on the wire. Keep it out of logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TicketId {
    type Error = TicketIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TicketId> for String {
    fn from(id: TicketId) -> Self {
        id.0
    }
}

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({}…)", self.kind().prefix())
    }
}

/// Who authenticated, how and when: the snapshot every ticket of a session carries, so a
/// ticket validates without reading its TGT (important when the TGT lives in an
/// eventually consistent store).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    /// The principal (canonical user name).
    pub principal: String,
    /// All of the principal's attributes; each service gets only what it may see.
    #[serde(default)]
    pub attributes: Attributes,
    /// When the primary credentials were presented (`authenticationDate`, Appendix A).
    pub authenticated_at: Timestamp,
    /// Remember-me: a long-term TGT (§4.1, `longTermAuthenticationRequestTokenUsed`).
    #[serde(default)]
    pub long_term: bool,
    /// The authentication source that verified the credentials (e.g. `builtin`).
    pub source: String,
}

/// A service that received a service ticket in this session (for single logout, §2.3.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceGrant {
    /// The `service` URL as given to `/login`.
    pub service: String,
    /// The service ticket issued (the SLO `SessionIndex`, Appendix C).
    pub ticket: TicketId,
}

/// Most [`ServiceGrant`]s a TGT remembers (oldest dropped first), bounding its size.
pub const MAX_SERVICE_GRANTS: usize = 128;
/// Most proxy-granting tickets a TGT remembers for cascade deletion.
pub const MAX_PGTS_PER_TGT: usize = 128;
/// Longest proxy chain accepted (§2.6.2); a longer one is `UNAUTHORIZED_SERVICE_PROXY`.
pub const MAX_PROXY_CHAIN: usize = 16;

/// A ticket-granting ticket: the SSO session (§3.8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketGrantingTicket {
    /// `TGT-…`
    pub id: TicketId,
    /// Who logged in.
    pub authentication: Authentication,
    /// Creation time (hard timeout).
    pub created_at: Timestamp,
    /// Last use (idle timeout).
    pub last_used_at: Timestamp,
    /// The user asked to be warned before each SSO (§2.2.1 `warn`).
    #[serde(default)]
    pub warn: bool,
    /// Services that got a service ticket in this session (§2.3.3).
    #[serde(default)]
    pub services: Vec<ServiceGrant>,
    /// Proxy-granting tickets issued under this session (destroyed with it, §3.3.1).
    #[serde(default)]
    pub proxy_granting_tickets: Vec<TicketId>,
}

impl TicketGrantingTicket {
    /// Records a service ticket for single logout, dropping the oldest past the bound.
    pub fn record_service(&mut self, service: &str, ticket: &TicketId) {
        if self.services.len() >= MAX_SERVICE_GRANTS {
            self.services.remove(0);
        }
        self.services.push(ServiceGrant {
            service: service.to_owned(),
            ticket: ticket.clone(),
        });
    }

    /// Records a proxy-granting ticket for cascade deletion.
    pub fn record_pgt(&mut self, pgt: &TicketId) {
        if self.proxy_granting_tickets.len() >= MAX_PGTS_PER_TGT {
            self.proxy_granting_tickets.remove(0);
        }
        self.proxy_granting_tickets.push(pgt.clone());
    }
}

/// A service ticket (§3.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTicket {
    /// `ST-…`
    pub id: TicketId,
    /// The service it was issued for (§3.1.1: valid only for it).
    pub service: String,
    /// The granting TGT (lineage).
    pub tgt: TicketId,
    /// Snapshot of the authentication.
    pub authentication: Authentication,
    /// Issued right after primary credentials were presented (`renew`, §2.5.1;
    /// `isFromNewLogin`, Appendix A).
    pub from_new_login: bool,
    /// Issue time.
    pub created_at: Timestamp,
    /// Validation attempts so far (§3.1.1: one is the most there may be).
    #[serde(default)]
    pub validation_attempts: u32,
}

/// A proxy ticket (§3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyTicket {
    /// `PT-…`
    pub id: TicketId,
    /// The back-end service (`targetService`) it was issued for.
    pub service: String,
    /// The PGT it came from.
    pub pgt: TicketId,
    /// The root TGT.
    pub tgt: TicketId,
    /// Snapshot of the authentication.
    pub authentication: Authentication,
    /// Proxy chain, most recent first (§2.6.2).
    pub proxies: Vec<String>,
    /// Issue time.
    pub created_at: Timestamp,
    /// Validation attempts so far (§3.2.1: one is the most there may be).
    #[serde(default)]
    pub validation_attempts: u32,
}

/// A proxy-granting ticket (§3.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyGrantingTicket {
    /// `PGT-…`
    pub id: TicketId,
    /// The root TGT: the PGT lives only as long as it does (§3.3.1).
    pub tgt: TicketId,
    /// The service that validated with `pgtUrl` and may now proxy.
    pub service: String,
    /// Snapshot of the authentication.
    pub authentication: Authentication,
    /// Proxy chain, most recent first; the first is this PGT's own `pgtUrl`, exactly as
    /// it was passed (§2.5.4 step 3).
    pub proxies: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last use (idle timeout).
    pub last_used_at: Timestamp,
}

/// What a login ticket authorizes when it comes back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LoginPurpose {
    /// One submission of the credentials form (§3.5).
    Credentials,
    /// One confirmation of the warn interstitial (§2.2.1 `warn`) for this session.
    WarnConfirm {
        /// The session the confirmation belongs to.
        tgt: TicketId,
    },
}

/// A login ticket / execution token (§3.5): single use, CSRF protection for `/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginTicket {
    /// `LT-…`
    pub id: TicketId,
    /// What it authorizes.
    pub purpose: LoginPurpose,
    /// The `service` the form was shown for, if any.
    pub service: Option<String>,
    /// Issue time.
    pub created_at: Timestamp,
}

/// Any stored ticket. Stored as externally tagged JSON (`{"Service": {…}}`): an internally
/// tagged or flattened form makes serde buffer the whole record first, which costs tens of
/// KB of wasm (see bench/RESULTS.md, Worker).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ticket {
    /// `TGT-…`
    TicketGranting(TicketGrantingTicket),
    /// `ST-…`
    Service(ServiceTicket),
    /// `PT-…`
    Proxy(ProxyTicket),
    /// `PGT-…`
    ProxyGranting(ProxyGrantingTicket),
    /// `LT-…`
    Login(LoginTicket),
}

impl Ticket {
    /// The ticket's id.
    pub fn id(&self) -> &TicketId {
        match self {
            Self::TicketGranting(t) => &t.id,
            Self::Service(t) => &t.id,
            Self::Proxy(t) => &t.id,
            Self::ProxyGranting(t) => &t.id,
            Self::Login(t) => &t.id,
        }
    }

    /// The ticket's kind.
    pub fn kind(&self) -> TicketKind {
        match self {
            Self::TicketGranting(_) => TicketKind::TicketGranting,
            Self::Service(_) => TicketKind::Service,
            Self::Proxy(_) => TicketKind::Proxy,
            Self::ProxyGranting(_) => TicketKind::ProxyGranting,
            Self::Login(_) => TicketKind::Login,
        }
    }

    /// The stored form ([`super::stored`]: version byte + postcard).
    pub fn to_bytes(&self) -> Result<Vec<u8>, StoredFormError> {
        stored::encode(self)
    }

    /// Reads what [`Ticket::to_bytes`] wrote; ids are checked again as they load.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoredFormError> {
        stored::decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_ids_have_prefix_charset_and_length_3_7() {
        let mut e = DeterministicEntropy::new(7);
        for kind in TicketKind::ALL {
            let id = TicketId::generate(kind, &mut e);
            let s = id.as_str();
            assert!(s.starts_with(kind.prefix()));
            assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            assert_eq!(id.kind(), kind);
            assert_eq!(TicketId::parse(s), Ok(id.clone()));
            // ≥ 128 random bits.
            assert!(kind.random_bytes() * 8 >= 128);
        }
    }

    #[test]
    fn st_and_pt_at_most_256_chars_3_1_1_3_2_1() {
        let mut e = DeterministicEntropy::new(1);
        for kind in [TicketKind::Service, TicketKind::Proxy] {
            let len = TicketId::generate(kind, &mut e).as_str().len();
            assert!((32..=256).contains(&len), "{kind:?} {len}");
        }
    }

    #[test]
    fn pgt_and_pgtiou_at_least_64_chars_3_3_1_3_4_1() {
        let mut e = DeterministicEntropy::new(2);
        for kind in [TicketKind::ProxyGranting, TicketKind::ProxyGrantingIou] {
            let len = TicketId::generate(kind, &mut e).as_str().len();
            assert!(len >= 64, "{kind:?} {len}");
        }
    }

    #[test]
    fn a_session_s_tickets_share_its_route_and_keep_their_entropy() {
        let mut e = DeterministicEntropy::new(9);
        let tgt = TicketId::generate(TicketKind::TicketGranting, &mut e);
        let route = tgt.route().expect("a TGT has a route").to_owned();
        assert_eq!(route.len(), ROUTE_LEN);
        for kind in [
            TicketKind::Service,
            TicketKind::Proxy,
            TicketKind::ProxyGranting,
        ] {
            let child = TicketId::generate_in(kind, &mut e, &tgt);
            assert_eq!(child.route(), Some(route.as_str()));
            assert_eq!(TicketId::parse(child.as_str()), Ok(child.clone()));
            // The random part alone still has the kind's full size.
            let random = child.as_str().len() - kind.prefix().len() - 1 - ROUTE_LEN;
            assert_eq!(random, kind.random_bytes() * 2);
            // A PT made from a PGT lands in the same session.
            let grandchild = TicketId::generate_in(TicketKind::Proxy, &mut e, &child);
            assert_eq!(grandchild.route(), Some(route.as_str()));
        }
        // Tickets outside a session have no route; ids from elsewhere may have none.
        assert_eq!(TicketId::generate(TicketKind::Login, &mut e).route(), None);
        assert_eq!(
            TicketId::generate(TicketKind::ProxyGrantingIou, &mut e).route(),
            None
        );
        for id in [
            "ST-1-abc",
            "ST-abc-ABCDEF012345",
            "ST-abc-0123456789a",
            "ST--0123456789ab",
            "ST-0123456789ab",
        ] {
            assert_eq!(TicketId::parse(id).unwrap().route(), None, "{id}");
        }
        assert_eq!(
            TicketId::parse("ST-abc-0123456789ab").unwrap().route(),
            Some("0123456789ab")
        );
    }

    #[test]
    fn st_must_begin_with_st_3_1_1() {
        let mut e = DeterministicEntropy::new(3);
        assert!(
            TicketId::generate(TicketKind::Service, &mut e)
                .as_str()
                .starts_with("ST-")
        );
    }

    #[test]
    fn kind_from_prefix() {
        assert_eq!(
            TicketKind::of("PGTIOU-x"),
            Some(TicketKind::ProxyGrantingIou)
        );
        assert_eq!(TicketKind::of("PGT-x"), Some(TicketKind::ProxyGranting));
        assert_eq!(TicketKind::of("PT-x"), Some(TicketKind::Proxy));
        assert_eq!(TicketKind::of("ST-x"), Some(TicketKind::Service));
        assert_eq!(TicketKind::of("TGT-x"), Some(TicketKind::TicketGranting));
        assert_eq!(TicketKind::of("LT-x"), Some(TicketKind::Login));
        assert_eq!(TicketKind::of("st-x"), None);
        assert_eq!(TicketKind::of("XYZ"), None);
    }

    #[test]
    fn parse_rejects_bad_ids() {
        assert_eq!(TicketId::parse("ST-"), Err(TicketIdError::BadLength));
        assert_eq!(TicketId::parse("ST-a b"), Err(TicketIdError::BadCharacter));
        assert_eq!(TicketId::parse("ST-a<"), Err(TicketIdError::BadCharacter));
        assert_eq!(TicketId::parse("ST-é"), Err(TicketIdError::BadCharacter));
        assert_eq!(TicketId::parse("XX-1"), Err(TicketIdError::UnknownPrefix));
        let long = format!("ST-{}", "a".repeat(MAX_TICKET_LEN));
        assert_eq!(TicketId::parse(&long), Err(TicketIdError::BadLength));
    }

    #[test]
    fn debug_redacts_ticket_ids() {
        let mut e = DeterministicEntropy::new(4);
        let id = TicketId::generate(TicketKind::Service, &mut e);
        let dbg = format!("{id:?}");
        assert_eq!(dbg, "TicketId(ST-…)");
        assert!(!dbg.contains(&id.as_str()[3..]));
    }

    #[test]
    fn deterministic_entropy_is_reproducible_and_varied() {
        let mut a = DeterministicEntropy::new(9);
        let mut b = DeterministicEntropy::new(9);
        let ia = TicketId::generate(TicketKind::Service, &mut a);
        let ib = TicketId::generate(TicketKind::Service, &mut b);
        assert_eq!(ia, ib);
        let ia2 = TicketId::generate(TicketKind::Service, &mut a);
        assert_ne!(ia, ia2);
    }

    #[test]
    fn tickets_round_trip_through_the_stored_form() {
        let mut e = DeterministicEntropy::new(5);
        let auth = Authentication {
            principal: "casuser".into(),
            attributes: [(
                "memberOf".to_string(),
                vec!["a".to_string(), "b".to_string()],
            )]
            .into_iter()
            .collect(),
            authenticated_at: Timestamp(1_000),
            long_term: true,
            source: "builtin".into(),
        };
        let tgt = TicketGrantingTicket {
            id: TicketId::generate(TicketKind::TicketGranting, &mut e),
            authentication: auth.clone(),
            created_at: Timestamp(1_000),
            last_used_at: Timestamp(2_000),
            warn: true,
            services: vec![],
            proxy_granting_tickets: vec![],
        };
        let t = Ticket::TicketGranting(tgt);
        let bytes = t.to_bytes().unwrap();
        assert_eq!(Ticket::from_bytes(&bytes).unwrap(), t);
        let lt = Ticket::Login(LoginTicket {
            id: TicketId::generate(TicketKind::Login, &mut e),
            purpose: LoginPurpose::WarnConfirm {
                tgt: t.id().clone(),
            },
            service: Some("https://a.example/".into()),
            created_at: Timestamp(5),
        });
        assert_eq!(Ticket::from_bytes(&lt.to_bytes().unwrap()).unwrap(), lt);
        // A stored id with a bad charset is refused on load.
        let at = bytes.windows(4).position(|w| w == b"TGT-").unwrap() + 4;
        let mut bad = bytes.clone();
        bad[at] = b'<';
        assert!(Ticket::from_bytes(&bad).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepts_only_charset(s in ".{0,300}") {
            if let Ok(id) = TicketId::parse(&s) {
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
                prop_assert!(id.as_str().len() <= MAX_TICKET_LEN);
            }
        }

        #[test]
        fn generate_then_parse(seed in any::<u64>()) {
            let mut e = DeterministicEntropy::new(seed);
            for kind in TicketKind::ALL {
                let id = TicketId::generate(kind, &mut e);
                prop_assert_eq!(TicketId::parse(id.as_str()), Ok(id.clone()));
                prop_assert_eq!(id.kind(), kind);
            }
        }
    }
}
