//! Login throttling, decided before any password is checked and settled after.
//!
//! Three counters judge a login attempt (docs/security.md, "Login throttling"):
//!
//! - the **pair** of user name and client address ([`ThrottleKey::Pair`]): locked hard
//!   after [`ThrottlePolicy::max_failures_per_user`] failures in a window, each further
//!   lockout twice as long (capped). Only the guesser's own address is locked out;
//! - the **client address** ([`ThrottleKey::Address`]): locked the same way after
//!   [`ThrottlePolicy::max_failures_per_address`] failures, whatever the user names;
//! - the **user name** from every address ([`ThrottleKey::Username`]): never locked, only
//!   slowed down. After as many failures as a pair may have, each further attempt waits
//!   [`ThrottlePolicy::user_delay_seconds`] after the last failure, twice as long each
//!   time, at most [`ThrottlePolicy::max_user_delay_seconds`]: a victim whose name is
//!   being guessed from elsewhere waits at most that long, and guessers on any number of
//!   addresses together get about one guess per that many seconds for the user.
//!
//! Addresses are grouped as a network hands them out: an IPv4 address on its own, an
//! IPv6 address by its /64 ([`ThrottleKey::address`]), so one host cannot dodge its limit
//! by walking through its own /64.
//!
//! # Atomic attempts
//!
//! An attempt first takes a *reservation* on every counter ([`ThrottleOp::Attempt`]):
//! one atomic store operation that tests and increments, so of any number of concurrent
//! attempts at most as many as the limit allows get a password check. Once the password
//! was checked the attempt is settled: a wrong password turns the reservation into a
//! failure ([`ThrottleOp::Failure`]), a right one resets the user's counters and
//! releases the address's reservation, an unavailable source releases them all
//! ([`ThrottleOp::Release`]). A request that dies in between leaves its reservation
//! behind for at most [`RESERVATION_SECONDS`].
//!
//! Pure policy: the counters live in the store, which applies a [`ThrottleUpdate`]
//! atomically (a Durable Object runs [`ThrottleUpdate::apply`] inside its own storage
//! transaction). While a counter refuses, the engine does not even ask for the password
//! to be checked, so a locked account is not an oracle for guessing.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// How long a reservation taken by an attempt counts when it is never settled (the
/// request died between the reservation and the password check's end). Longer than any
/// password check (PBKDF2, or TACACS+ with its timeouts) takes.
pub const RESERVATION_SECONDS: i64 = 60;

/// Throttling settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ThrottlePolicy {
    /// Throttling on or off.
    pub enabled: bool,
    /// Failures are counted in windows of this length; the per-user count is forgotten
    /// after this long without a failure.
    pub window_seconds: i64,
    /// Failures of one user name from one address (group) in a window before that pair is
    /// locked out; after as many failures from all addresses together, each further
    /// attempt for the user name is delayed.
    pub max_failures_per_user: u32,
    /// Failures per client address (group) in a window before a lockout.
    pub max_failures_per_address: u32,
    /// The first lockout; each following one doubles.
    pub lockout_seconds: i64,
    /// The longest lockout.
    pub max_lockout_seconds: i64,
    /// The first delay of a user name past its failures budget; each following one
    /// doubles.
    pub user_delay_seconds: i64,
    /// The longest delay of a user name: what a victim of a guesser elsewhere waits at
    /// most, and one guess per this many seconds is what guessers get together.
    pub max_user_delay_seconds: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            window_seconds: 300,
            max_failures_per_user: 5,
            max_failures_per_address: 20,
            lockout_seconds: 60,
            max_lockout_seconds: 3600,
            user_delay_seconds: 1,
            max_user_delay_seconds: 60,
        }
    }
}

/// The Unicode default lower-case mapping (`str::to_lowercase`: full case mapping, final
/// sigma included), which makes per-user throttling case-insensitive: `Alice`, `ALICE` and
/// `alice` share one counter, as do `ÄRGER` and `ärger`. An adapter whose runtime already
/// carries this mapping may hand in its own implementation of it (the Worker uses
/// JavaScript's `String.prototype.toLowerCase`, the same Unicode mapping, so that its wasm
/// carries no case tables: [`crate::cas::engine::Engine::with_lowercase`]).
pub type Lowercase = fn(&str) -> String;

/// What is being counted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A user name, trimmed and lower-cased ([`ThrottleKey::user`]), from every address:
    /// slowed down, never locked.
    Username(String),
    /// A client address group ([`address_group`]): locked.
    Address(String),
    /// A user name from one address group: locked.
    Pair {
        /// The user name, as in [`ThrottleKey::Username`].
        user: String,
        /// The address group, as in [`ThrottleKey::Address`] (empty when unknown).
        address: String,
    },
}

/// The group an address is counted in: an IPv4 address on its own (an IPv4-mapped IPv6
/// address too), an IPv6 address by its /64 (`2001:db8:1:2::/64`: one site's subnet, what
/// one host may change addresses in at will). Anything else as given, trimmed.
pub fn address_group(raw: &str) -> String {
    let raw = raw.trim();
    // Parsed and written out by hand rather than with std's `IpAddr` parser and `Display`
    // (smaller wasm); the parser accepts exactly what `IpAddr::from_str` accepts.
    let v4 = |[a, b, c, d]: [u8; 4]| format!("{a}.{b}.{c}.{d}");
    if let Some(octets) = ipv4_octets(raw) {
        return v4(octets);
    }
    match ipv6_segments(raw) {
        Some([0, 0, 0, 0, 0, 0xffff, ab, cd]) => {
            let [a, b] = ab.to_be_bytes();
            let [c, d] = cd.to_be_bytes();
            v4([a, b, c, d])
        }
        Some([h0, h1, h2, h3, ..]) => format!("{h0:x}:{h1:x}:{h2:x}:{h3:x}::/64"),
        None => raw.to_owned(),
    }
}

/// A dotted-quad IPv4 address as `Ipv4Addr::from_str` reads it: four decimal numbers
/// 0–255 of one to three digits, without leading zeros.
fn ipv4_octets(s: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        let p = parts.next()?;
        if p.is_empty()
            || p.len() > 3
            || (p.len() > 1 && p.starts_with('0'))
            || !p.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let n = p.bytes().fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
        *octet = u8::try_from(n).ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// The eight 16-bit groups of an IPv6 address as `Ipv6Addr::from_str` reads it: groups of
/// one to four hex digits, at most one `::` standing for at least one zero group, and an
/// optional trailing dotted quad for the last two groups (not before the `::`).
fn ipv6_segments(s: &str) -> Option<[u16; 8]> {
    let mut segments = [0u16; 8];
    match s.split_once("::") {
        None => (ipv6_groups(s, &mut segments, true)? == 8).then_some(segments),
        Some((head, tail)) => {
            let n = ipv6_groups(head, &mut segments, false)?;
            let mut back = [0u16; 7];
            let back = back.get_mut(..7usize.checked_sub(n)?)?;
            let m = ipv6_groups(tail, back, true)?;
            segments.get_mut(8 - m..)?.copy_from_slice(back.get(..m)?);
            Some(segments)
        }
    }
}

/// Reads the colon-separated groups of `s` (none when empty) into `slots`, a dotted quad
/// as the last two when `quad` allows it; the number of slots filled.
fn ipv6_groups(s: &str, slots: &mut [u16], quad: bool) -> Option<usize> {
    if s.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    let mut groups = s.split(':').peekable();
    while let Some(g) = groups.next() {
        if quad
            && groups.peek().is_none()
            && n + 2 <= slots.len()
            && let Some([a, b, c, d]) = ipv4_octets(g)
        {
            slots
                .get_mut(n..n + 2)?
                .copy_from_slice(&[u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])]);
            return Some(n + 2);
        }
        if g.is_empty() || g.len() > 4 {
            return None;
        }
        let mut value = 0u16;
        for b in g.bytes() {
            value = value << 4 | u16::try_from(char::from(b).to_digit(16)?).ok()?;
        }
        *slots.get_mut(n)? = value;
        n += 1;
    }
    Some(n)
}

impl ThrottleKey {
    /// The key of the user name `typed`: trimmed, then lower-cased with `lowercase`.
    pub fn user(typed: &str, lowercase: Lowercase) -> Self {
        Self::Username(lowercase(typed.trim()))
    }

    /// The key of the client address `raw`: its group ([`address_group`]).
    pub fn address(raw: &str) -> Self {
        Self::Address(address_group(raw))
    }

    /// The key of the user name `typed` from the client address `raw` (`None`: unknown).
    pub fn pair(typed: &str, raw: Option<&str>, lowercase: Lowercase) -> Self {
        Self::Pair {
            user: lowercase(typed.trim()),
            address: raw.map(address_group).unwrap_or_default(),
        }
    }

    /// The key under which the counter is stored, e.g. `throttle:user:casuser`.
    pub fn storage_key(&self) -> String {
        match self {
            Self::Username(u) => format!("throttle:user:{u}"),
            Self::Address(a) => format!("throttle:addr:{}", a.trim()),
            // The address's length first: no user name can make two pairs collide.
            Self::Pair { user, address } => {
                format!("throttle:pair:{}:{address}:{user}", address.len())
            }
        }
    }
}

/// How a counter limits attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rule {
    /// Locked for a while once `limit` failures were counted in a window.
    Lock {
        /// Failures per window.
        limit: u32,
    },
    /// Past `free` failures, each attempt waits after the last failure (never locked).
    SlowDown {
        /// Failures before the first delay.
        free: u32,
    },
}

/// A stored counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleState {
    /// Start of the current counting window.
    pub window_start: Timestamp,
    /// Failures in the current window.
    pub failures: u32,
    /// Lockouts so far (drives the backoff).
    pub lockouts: u32,
    /// Locked until this instant, if locked.
    pub locked_until: Option<Timestamp>,
    /// The last failure.
    pub last_failure: Timestamp,
    /// Attempts admitted and not settled yet (reservations).
    pub pending: u32,
    /// The latest reservation: all of them lapse [`RESERVATION_SECONDS`] after it.
    pub pending_since: Timestamp,
}

/// The verdict for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Authentication may be attempted (or: this failure started no lockout).
    Allowed,
    /// Refused until the given instant (a lockout, a delay, or attempts in flight).
    Locked {
        /// End of the lockout.
        until: Timestamp,
    },
}

/// What an update does to a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged: serde reads it without buffering.
#[serde(rename_all = "camelCase")]
pub enum ThrottleOp {
    /// Test whether an attempt may check a password and, if so, reserve a place for it.
    Attempt,
    /// The attempt's password was wrong: its reservation becomes a failure.
    Failure,
    /// The attempt ended without a verdict on the password (or, on an address, with a
    /// right one): its reservation is released.
    Release,
    /// Forget the counter (a user's counters after a successful login).
    Reset,
}

/// A change to one counter, applied atomically by the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleUpdate {
    /// The change.
    pub op: ThrottleOp,
    /// When it happens.
    pub now: Timestamp,
    /// The counter's rule.
    pub rule: Rule,
    /// The policy in force.
    pub policy: ThrottlePolicy,
}

impl ThrottleUpdate {
    /// The new state from the previous one (`None`: no counter / delete it) and the
    /// verdict: for an [`ThrottleOp::Attempt`] whether it was admitted (and reserved), for
    /// a [`ThrottleOp::Failure`] whether it started a lockout.
    pub fn apply(&self, previous: Option<ThrottleState>) -> (Option<ThrottleState>, Verdict) {
        let (now, rule, policy) = (self.now, self.rule, &self.policy);
        if self.op == ThrottleOp::Reset {
            return (None, Verdict::Allowed);
        }
        let mut s = previous.unwrap_or(ThrottleState {
            window_start: now,
            pending_since: now,
            ..ThrottleState::default()
        });
        s.age(now, rule, policy);
        let verdict = match self.op {
            ThrottleOp::Attempt => {
                let v = s.admits(now, rule, policy);
                if v == Verdict::Allowed {
                    s.pending = s.pending.saturating_add(1);
                    s.pending_since = now;
                }
                v
            }
            ThrottleOp::Failure => {
                s.pending = s.pending.saturating_sub(1);
                s.fail(now, rule, policy)
            }
            ThrottleOp::Release | ThrottleOp::Reset => {
                s.pending = s.pending.saturating_sub(1);
                Verdict::Allowed
            }
        };
        let idle = s.failures == 0 && s.pending == 0 && s.lockouts == 0 && s.locked_until.is_none();
        ((!idle).then_some(s), verdict)
    }

    /// When the counter `state` that this update left behind may be dropped (the store's
    /// lifetime for the row): the policy's [`ThrottlePolicy::expires_at`]; `None` after a
    /// reset, which leaves no counter.
    pub fn expires_at(&self, state: &ThrottleState) -> Option<Timestamp> {
        (self.op != ThrottleOp::Reset).then(|| self.policy.expires_at(state))
    }
}

impl ThrottleState {
    /// Lets time pass: forgiven lockouts, a new window, an ended lockout, lapsed
    /// reservations.
    fn age(&mut self, now: Timestamp, rule: Rule, p: &ThrottlePolicy) {
        // A long quiet period forgives earlier lockouts.
        let forgiven = p.max_lockout_seconds.saturating_add(p.window_seconds);
        if now >= self.last_failure.plus_secs(forgiven) {
            self.lockouts = 0;
        }
        // A pair or an address counts in fixed windows; a user name until it has been
        // quiet for a window, so that steady guessing stays at the longest delay.
        let window_over = match rule {
            Rule::Lock { .. } => now >= self.window_start.plus_secs(p.window_seconds),
            Rule::SlowDown { .. } => now >= self.last_failure.plus_secs(p.window_seconds),
        };
        if window_over {
            self.window_start = now;
            self.failures = 0;
        }
        if self.locked_until.is_some_and(|until| now >= until) {
            self.locked_until = None;
        }
        if now >= self.pending_since.plus_secs(RESERVATION_SECONDS) {
            self.pending = 0;
        }
    }

    /// May one more attempt check a password now?
    fn admits(&self, now: Timestamp, rule: Rule, p: &ThrottlePolicy) -> Verdict {
        if let Some(until) = self.locked_until {
            return Verdict::Locked { until };
        }
        let counted = self.failures.saturating_add(self.pending);
        // Attempts in flight that could still use up the budget: ask again shortly.
        let shortly = Verdict::Locked {
            until: now.plus_secs(p.user_delay_seconds.max(1)),
        };
        match rule {
            Rule::Lock { limit } if counted >= limit.max(1) => shortly,
            Rule::Lock { .. } => Verdict::Allowed,
            Rule::SlowDown { free } if counted < free => Verdict::Allowed,
            Rule::SlowDown { .. } if self.pending > 0 => shortly,
            Rule::SlowDown { free } => {
                let next = self.last_failure.plus_secs(
                    p.user_delay_for(self.failures.saturating_sub(free).saturating_add(1)),
                );
                if now >= next {
                    Verdict::Allowed
                } else {
                    Verdict::Locked { until: next }
                }
            }
        }
    }

    /// Counts a failure; a pair or an address reaching its limit is locked.
    fn fail(&mut self, now: Timestamp, rule: Rule, p: &ThrottlePolicy) -> Verdict {
        self.failures = self.failures.saturating_add(1);
        self.last_failure = now;
        match rule {
            Rule::Lock { limit } if self.failures >= limit.max(1) => {
                self.lockouts = self.lockouts.saturating_add(1);
                let until = now.plus_secs(p.lockout_for(self.lockouts));
                self.locked_until = Some(until);
                self.failures = 0;
                self.window_start = now;
                Verdict::Locked { until }
            }
            Rule::Lock { .. } | Rule::SlowDown { .. } => Verdict::Allowed,
        }
    }
}

impl ThrottlePolicy {
    /// The lockout after the `n`-th lockout (n ≥ 1): `lockout_seconds · 2^(n−1)`, capped.
    pub fn lockout_for(&self, n: u32) -> i64 {
        let shift = n.saturating_sub(1).min(62);
        self.lockout_seconds
            .saturating_mul(1i64 << shift)
            .min(self.max_lockout_seconds)
            .max(0)
    }

    /// The delay before the `k`-th attempt past a user name's budget (k ≥ 1):
    /// `user_delay_seconds · 2^(k−1)`, capped.
    pub fn user_delay_for(&self, k: u32) -> i64 {
        let shift = k.saturating_sub(1).min(62);
        self.user_delay_seconds
            .saturating_mul(1i64 << shift)
            .min(self.max_user_delay_seconds)
            .max(0)
    }

    /// The rule of a key.
    pub fn rule_for(&self, key: &ThrottleKey) -> Rule {
        match key {
            ThrottleKey::Username(_) => Rule::SlowDown {
                free: self.max_failures_per_user,
            },
            ThrottleKey::Pair { .. } => Rule::Lock {
                limit: self.max_failures_per_user,
            },
            ThrottleKey::Address(_) => Rule::Lock {
                limit: self.max_failures_per_address,
            },
        }
    }

    /// Is the key locked at `now`?
    pub fn check(&self, state: Option<&ThrottleState>, now: Timestamp) -> Verdict {
        match state.and_then(|s| s.locked_until) {
            Some(until) if self.enabled && now < until => Verdict::Locked { until },
            _ => Verdict::Allowed,
        }
    }

    /// The update doing `op` on `key`'s counter at `now`.
    pub fn update(&self, op: ThrottleOp, key: &ThrottleKey, now: Timestamp) -> ThrottleUpdate {
        ThrottleUpdate {
            op,
            now,
            rule: self.rule_for(key),
            policy: *self,
        }
    }

    /// When a stored counter may be dropped (a store TTL hint).
    pub fn expires_at(&self, state: &ThrottleState) -> Timestamp {
        let window_end = state.window_start.plus_secs(self.window_seconds);
        let forgiven = state
            .last_failure
            .plus_secs(self.max_lockout_seconds.saturating_add(self.window_seconds));
        let reserved = state.pending_since.plus_secs(RESERVATION_SECONDS);
        window_end
            .max(forgiven)
            .max(reserved)
            .max(state.locked_until.unwrap_or(window_end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn step(
        p: &ThrottlePolicy,
        op: ThrottleOp,
        rule: Rule,
        s: Option<ThrottleState>,
        now: Timestamp,
    ) -> (Option<ThrottleState>, Verdict) {
        ThrottleUpdate {
            op,
            now,
            rule,
            policy: *p,
        }
        .apply(s)
    }

    /// One attempt that fails (when admitted) on a counter with a lockout rule.
    fn fail(
        p: &ThrottlePolicy,
        s: Option<ThrottleState>,
        now: Timestamp,
        limit: u32,
    ) -> Option<ThrottleState> {
        let rule = Rule::Lock { limit };
        let (s, v) = step(p, ThrottleOp::Attempt, rule, s, now);
        if v != Verdict::Allowed {
            return s;
        }
        step(p, ThrottleOp::Failure, rule, s, now).0
    }

    #[test]
    fn locks_after_limit_in_window() {
        let p = ThrottlePolicy::default();
        let mut s = None;
        for i in 0..4 {
            s = fail(&p, s, T0.plus_secs(i), 5);
            assert_eq!(p.check(s.as_ref(), T0.plus_secs(i)), Verdict::Allowed);
        }
        s = fail(&p, s, T0.plus_secs(4), 5);
        assert_eq!(
            p.check(s.as_ref(), T0.plus_secs(4)),
            Verdict::Locked {
                until: T0.plus_secs(64)
            }
        );
        assert_eq!(p.check(s.as_ref(), T0.plus_secs(64)), Verdict::Allowed);
    }

    #[test]
    fn window_resets_count() {
        let p = ThrottlePolicy::default();
        let mut s = None;
        for i in 0..4 {
            s = fail(&p, s, T0.plus_secs(i), 5);
        }
        s = fail(&p, s, T0.plus_secs(301), 5);
        assert_eq!(s.map(|s| s.failures), Some(1));
        assert_eq!(p.check(s.as_ref(), T0.plus_secs(301)), Verdict::Allowed);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = ThrottlePolicy::default();
        assert_eq!(p.lockout_for(1), 60);
        assert_eq!(p.lockout_for(2), 120);
        assert_eq!(p.lockout_for(3), 240);
        assert_eq!(p.lockout_for(7), 3600);
        assert_eq!(p.lockout_for(u32::MAX), 3600);
        let mut s = None;
        let mut now = T0;
        let mut lockouts = vec![];
        for _ in 0..3 {
            for _ in 0..5 {
                s = fail(&p, s, now, 5);
            }
            let Verdict::Locked { until } = p.check(s.as_ref(), now) else {
                panic!("not locked")
            };
            lockouts.push(until.millis_since(now) / 1000);
            now = until;
        }
        assert_eq!(lockouts, vec![60, 120, 240]);
    }

    #[test]
    fn reset_clears_and_disabled_never_locks() {
        let p = ThrottlePolicy::default();
        let s = fail(&p, None, T0, 1);
        assert!(matches!(p.check(s.as_ref(), T0), Verdict::Locked { .. }));
        let reset = p.update(ThrottleOp::Reset, &ThrottleKey::Address("a".into()), T0);
        assert_eq!(reset.apply(s), (None, Verdict::Allowed));
        let off = ThrottlePolicy {
            enabled: false,
            ..p
        };
        assert_eq!(off.check(s.as_ref(), T0), Verdict::Allowed);
    }

    #[test]
    fn concurrent_attempts_get_at_most_the_limit_of_password_checks() {
        // Issue 20 item 2: 50 attempts reserve before any of them is settled.
        let p = ThrottlePolicy::default();
        for (rule, bound) in [
            (Rule::Lock { limit: 5 }, 5),
            (Rule::Lock { limit: 20 }, 20),
            (Rule::SlowDown { free: 5 }, 5),
        ] {
            let mut s = None;
            let mut admitted = 0;
            for _ in 0..50 {
                let (next, v) = step(&p, ThrottleOp::Attempt, rule, s, T0);
                s = next;
                admitted += usize::from(v == Verdict::Allowed);
            }
            assert_eq!(admitted, bound, "{rule:?}");
            // All fail: a pair or an address is locked, a user name delayed.
            for _ in 0..bound {
                s = step(&p, ThrottleOp::Failure, rule, s, T0).0;
            }
            assert_eq!(s.map(|s| s.pending), Some(0));
            let (_, v) = step(&p, ThrottleOp::Attempt, rule, s, T0);
            assert!(
                matches!(v, Verdict::Locked { until } if until > T0),
                "{rule:?}"
            );
        }
    }

    #[test]
    fn a_release_frees_the_place_and_an_unsettled_reservation_lapses() {
        let p = ThrottlePolicy::default();
        let rule = Rule::Lock { limit: 1 };
        let (s, v) = step(&p, ThrottleOp::Attempt, rule, None, T0);
        assert_eq!(v, Verdict::Allowed);
        // In flight: the next attempt waits.
        let (s2, v) = step(&p, ThrottleOp::Attempt, rule, s, T0);
        assert!(matches!(v, Verdict::Locked { .. }));
        // Released (a right password, an unavailable source): nothing left to store.
        assert_eq!(
            step(&p, ThrottleOp::Release, rule, s2, T0),
            (None, Verdict::Allowed)
        );
        // Never settled (the request died): the place is free again after a while.
        let later = T0.plus_secs(RESERVATION_SECONDS);
        assert_eq!(
            step(&p, ThrottleOp::Attempt, rule, s2, later).1,
            Verdict::Allowed
        );
        let s = s2.unwrap_or_default();
        assert!(p.expires_at(&s) >= s.pending_since.plus_secs(RESERVATION_SECONDS));
    }

    #[test]
    fn a_user_name_is_slowed_down_never_locked() {
        // Issue 20 item 3: past the budget, attempts wait 1, 2, 4, … s after the last
        // failure, at most `max_user_delay_seconds`; the right password always gets in
        // once the delay is over.
        let p = ThrottlePolicy::default();
        let rule = Rule::SlowDown { free: 5 };
        let mut s = None;
        let mut now = T0;
        let mut waits = vec![];
        while waits.len() < 8 {
            let (next, v) = step(&p, ThrottleOp::Attempt, rule, s, now);
            if let Verdict::Locked { until } = v {
                waits.push(until.millis_since(now) / 1000);
                now = until;
                continue;
            }
            s = step(&p, ThrottleOp::Failure, rule, next, now).0;
            assert!(s.is_some_and(|s| s.locked_until.is_none()));
        }
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(p.user_delay_for(7), 60);
        assert_eq!(p.user_delay_for(u32::MAX), 60);
        // Steady guessing stays at the longest delay; a quiet window forgets.
        let st = s.unwrap_or_default();
        let (_, v) = step(
            &p,
            ThrottleOp::Attempt,
            rule,
            s,
            st.last_failure.plus_secs(59),
        );
        assert!(matches!(v, Verdict::Locked { .. }));
        let quiet = st.last_failure.plus_secs(p.window_seconds);
        let (after, v) = step(&p, ThrottleOp::Attempt, rule, s, quiet);
        assert_eq!(v, Verdict::Allowed);
        assert_eq!(after.map(|s| s.failures), Some(0));
    }

    #[test]
    fn keys_normalize_user_names() {
        let user = |u: &str| ThrottleKey::user(u, str::to_lowercase).storage_key();
        assert_eq!(user(" CasUser "), user("casuser"));
        assert_eq!(user("casuser"), "throttle:user:casuser");
        // Full Unicode mapping: not only ASCII, and the final sigma.
        assert_eq!(user("ÄRGER"), user("ärger"));
        assert_eq!(user("ΟΔΟΣ"), "throttle:user:οδος");
        assert_ne!(user("alice"), user("alice2"));
        assert_ne!(
            ThrottleKey::Username("a".into()).storage_key(),
            ThrottleKey::Address("a".into()).storage_key()
        );
        let pair = |u: &str, a| ThrottleKey::pair(u, a, str::to_lowercase).storage_key();
        assert_eq!(
            pair(" Bob ", Some("192.0.2.1")),
            pair("bob", Some(" 192.0.2.1"))
        );
        assert_eq!(
            pair("bob", Some("192.0.2.1")),
            "throttle:pair:9:192.0.2.1:bob"
        );
        assert_ne!(
            pair("bob", Some("192.0.2.1")),
            pair("bob", Some("192.0.2.2"))
        );
        // No user name makes one pair look like another.
        assert_ne!(pair("1:bob", Some("a")), pair("bob", Some("a:1")));
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64_ipv4_by_the_address() {
        // Issue 20 item 3.
        let g = address_group;
        assert_eq!(g("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(g("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_eq!(g(" 2001:DB8:1:2:a::b "), "2001:db8:1:2::/64");
        assert_ne!(g("2001:db8:1:3::1"), g("2001:db8:1:2::1"));
        assert_eq!(g("192.0.2.1"), "192.0.2.1");
        assert_ne!(g("192.0.2.1"), g("192.0.2.2"));
        assert_eq!(g("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(g("not an address"), "not an address");
        assert_eq!(
            ThrottleKey::address("2001:db8::1").storage_key(),
            ThrottleKey::address("2001:db8::ffff:2").storage_key()
        );
    }

    /// The address group std's `IpAddr` parser and `Display` give (the former code).
    fn std_group(raw: &str) -> String {
        use std::net::IpAddr;
        let raw = raw.trim();
        match raw.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => a.to_string(),
            Ok(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(m) => m.to_string(),
                None => {
                    let [h0, h1, h2, h3, ..] = a.segments();
                    format!("{h0:x}:{h1:x}:{h2:x}:{h3:x}::/64")
                }
            },
            Err(_) => raw.to_owned(),
        }
    }

    #[test]
    fn address_groups_read_addresses_exactly_as_std_does() {
        for raw in [
            "",
            "::",
            ":::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::",
            "1:2:3:4:5:6:7::8",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "1::2::3",
            "1:::2",
            ":1::",
            "1:",
            ":1",
            "12345::",
            "ABCD::ef01",
            "0000::00",
            "::ffff:192.0.2.1",
            "::ffff:c000:201",
            "::192.0.2.1",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:1.2.3.4",
            "1.2.3.4::",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "::1.2.3.4:5",
            "::1.2.3",
            "::01.2.3.4",
            "::1.2.3.256",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.",
            "1.2.3.4.5",
            "+1.2.3.4",
            "1.2.3.+4",
            "::+1",
            "1.2.3.0004",
            "a.b.c.d",
            "[::1]",
            "fe80::1%eth0",
            " 10.0.0.1 ",
            "١.٢.٣.٤",
            "::ｆ",
            "1234:5678:9abc:def0::",
        ] {
            assert_eq!(address_group(raw), std_group(raw), "{raw:?}");
        }
    }

    #[test]
    fn a_counter_lives_as_long_as_its_own_policy_says() {
        // A configured policy, not the default one, sets the row's lifetime.
        let p = ThrottlePolicy {
            window_seconds: 10,
            lockout_seconds: 7_200,
            max_lockout_seconds: 86_400,
            ..ThrottlePolicy::default()
        };
        let key = ThrottleKey::Username("alice".into());
        let u = p.update(ThrottleOp::Failure, &key, T0);
        let s = u.apply(None).0.unwrap_or_default();
        assert_eq!(u.expires_at(&s), Some(p.expires_at(&s)));
        assert_eq!(u.expires_at(&s), Some(T0.plus_secs(86_400 + 10)));
        assert_ne!(
            u.expires_at(&s),
            Some(ThrottlePolicy::default().expires_at(&s))
        );
        // A locked counter lives at least until its lockout ends.
        let s = fail(&p, None, T0, 1).unwrap_or_default();
        assert!(u.expires_at(&s) >= s.locked_until);
        // A reset leaves nothing to keep.
        let reset = p.update(ThrottleOp::Reset, &key, T0);
        assert_eq!(reset.expires_at(&s), None);
    }

    #[test]
    fn update_serializes_for_a_durable_object() {
        let p = ThrottlePolicy::default();
        let u = p.update(
            ThrottleOp::Attempt,
            &ThrottleKey::Address("192.0.2.1".into()),
            T0,
        );
        let json = serde_json::to_string(&u).unwrap_or_default();
        assert_eq!(serde_json::from_str::<ThrottleUpdate>(&json).ok(), Some(u));
    }

    proptest! {
        /// Any string of address characters is grouped as std's parser groups it.
        #[test]
        fn address_groups_match_std_on_any_address_text(raw in "[0-9a-fA-F:.]{0,24}") {
            prop_assert_eq!(address_group(&raw), std_group(&raw));
        }

        /// Real addresses too (the random text above is rarely a valid address).
        #[test]
        fn address_groups_match_std_on_real_addresses(a in any::<[u16; 8]>(), b in any::<[u8; 4]>()) {
            for raw in [
                std::net::Ipv6Addr::from(a).to_string(),
                std::net::Ipv4Addr::from(b).to_string(),
                std::net::Ipv4Addr::from(b).to_ipv6_mapped().to_string(),
                format!("{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{}", a[0], a[1], a[2], a[3], a[4], a[5], std::net::Ipv4Addr::from(b)),
            ] {
                prop_assert_eq!(address_group(&raw), std_group(&raw));
            }
        }
        /// Fewer failures than the limit inside one window never lock.
        #[test]
        fn below_limit_never_locks(limit in 2u32..20, offsets in proptest::collection::vec(0i64..299_000, 0..19)) {
            let p = ThrottlePolicy::default();
            let mut offsets = offsets;
            offsets.sort_unstable();
            offsets.truncate(limit as usize - 1);
            let mut s = None;
            for o in &offsets {
                s = fail(&p, s, T0.plus_millis(*o), limit);
                prop_assert_eq!(p.check(s.as_ref(), T0.plus_millis(*o)), Verdict::Allowed);
            }
        }

        /// A lockout never exceeds the maximum and always starts at the failure.
        #[test]
        fn lockout_bounded(times in proptest::collection::vec(0i64..10_000_000, 1..60), limit in 1u32..6) {
            let p = ThrottlePolicy::default();
            let mut times = times;
            times.sort_unstable();
            let mut s = None;
            for t in times {
                let now = T0.plus_millis(t);
                s = fail(&p, s, now, limit);
                if let Verdict::Locked { until } = p.check(s.as_ref(), now) {
                    prop_assert!(until > now);
                    prop_assert!(until.millis_since(now) <= p.max_lockout_seconds * 1000);
                }
                if let Some(st) = s {
                    prop_assert!(p.expires_at(&st) >= st.locked_until.unwrap_or(now));
                }
            }
        }

        /// Whatever the order of attempts and settlements, no more attempts are in flight
        /// than a counter's limit allows.
        #[test]
        fn reservations_never_exceed_the_limit(ops in proptest::collection::vec(0u8..3, 1..80), limit in 1u32..8) {
            let p = ThrottlePolicy::default();
            let rule = Rule::Lock { limit };
            let (mut s, mut in_flight) = (None, 0u32);
            for op in ops {
                let op = match op {
                    0 => ThrottleOp::Attempt,
                    1 if in_flight > 0 => ThrottleOp::Failure,
                    _ if in_flight > 0 => ThrottleOp::Release,
                    _ => continue,
                };
                let (next, v) = step(&p, op, rule, s, T0);
                s = next;
                match (op, v) {
                    (ThrottleOp::Attempt, Verdict::Allowed) => in_flight += 1,
                    (ThrottleOp::Attempt, _) => {}
                    _ => in_flight -= 1,
                }
                prop_assert!(in_flight <= limit);
            }
        }
    }
}
