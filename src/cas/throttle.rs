//! Login throttling: failed authentications counted per user name and per client address in
//! a window; reaching the limit locks the key for a while, each further lockout twice as
//! long (capped). Pure policy: the counters live in the store, and the store applies a
//! [`ThrottleUpdate`] atomically (a Durable Object runs [`ThrottleUpdate::apply`] inside its
//! own storage transaction), so concurrent failures are never lost.
//!
//! While a key is locked the engine does not even ask for the password to be checked, so
//! a locked account is not an oracle for guessing.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Throttling settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ThrottlePolicy {
    /// Throttling on or off.
    pub enabled: bool,
    /// Failures are counted in windows of this length.
    pub window_seconds: i64,
    /// Failures per user name in a window before a lockout.
    pub max_failures_per_user: u32,
    /// Failures per client address in a window before a lockout.
    pub max_failures_per_address: u32,
    /// The first lockout; each following one doubles.
    pub lockout_seconds: i64,
    /// The longest lockout.
    pub max_lockout_seconds: i64,
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
    /// A user name, trimmed and lower-cased ([`ThrottleKey::user`]).
    Username(String),
    /// A client address as the adapter saw it (e.g. `CF-Connecting-IP`).
    Address(String),
}

impl ThrottleKey {
    /// The key of the user name `typed`: trimmed, then lower-cased with `lowercase`.
    pub fn user(typed: &str, lowercase: Lowercase) -> Self {
        Self::Username(lowercase(typed.trim()))
    }

    /// The key under which the counter is stored, e.g. `throttle:user:casuser`.
    pub fn storage_key(&self) -> String {
        match self {
            Self::Username(u) => format!("throttle:user:{u}"),
            Self::Address(a) => format!("throttle:addr:{}", a.trim()),
        }
    }
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
}

/// The verdict for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Authentication may be attempted.
    Allowed,
    /// Locked until the given instant.
    Locked {
        /// End of the lockout.
        until: Timestamp,
    },
}

/// A change to one counter, applied atomically by the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged (`{"failure":{…}}`, `"reset"`): serde reads it without buffering.
#[serde(rename_all = "camelCase")]
pub enum ThrottleUpdate {
    /// One more failure at `now`, against `limit` failures per window.
    Failure {
        /// When it failed.
        now: Timestamp,
        /// The key's limit per window.
        limit: u32,
        /// The policy in force.
        policy: ThrottlePolicy,
    },
    /// Forget the counter (after a successful login).
    Reset,
}

impl ThrottleUpdate {
    /// The new state from the previous one (`None`: no counter / delete it).
    pub fn apply(&self, previous: Option<ThrottleState>) -> Option<ThrottleState> {
        let Self::Failure { now, limit, policy } = *self else {
            return None;
        };
        let mut s = previous.unwrap_or(ThrottleState {
            window_start: now,
            ..ThrottleState::default()
        });
        // A long quiet period forgives earlier lockouts.
        if now
            >= s.last_failure.plus_secs(
                policy
                    .max_lockout_seconds
                    .saturating_add(policy.window_seconds),
            )
        {
            s.lockouts = 0;
        }
        if now >= s.window_start.plus_secs(policy.window_seconds) {
            s.window_start = now;
            s.failures = 0;
        }
        if let Some(until) = s.locked_until
            && now >= until
        {
            s.locked_until = None;
        }
        s.failures = s.failures.saturating_add(1);
        s.last_failure = now;
        if s.failures >= limit.max(1) {
            s.lockouts = s.lockouts.saturating_add(1);
            s.locked_until = Some(now.plus_secs(policy.lockout_for(s.lockouts)));
            s.failures = 0;
            s.window_start = now;
        }
        Some(s)
    }

    /// When the counter `state` that this update left behind may be dropped (the store's
    /// lifetime for the row): the policy's [`ThrottlePolicy::expires_at`] for a failure;
    /// `None` after a reset, which leaves no counter.
    pub fn expires_at(&self, state: &ThrottleState) -> Option<Timestamp> {
        match self {
            Self::Failure { policy, .. } => Some(policy.expires_at(state)),
            Self::Reset => None,
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

    /// The limit for a key.
    pub fn limit_for(&self, key: &ThrottleKey) -> u32 {
        match key {
            ThrottleKey::Username(_) => self.max_failures_per_user,
            ThrottleKey::Address(_) => self.max_failures_per_address,
        }
    }

    /// Is the key locked at `now`?
    pub fn check(&self, state: Option<&ThrottleState>, now: Timestamp) -> Verdict {
        match state.and_then(|s| s.locked_until) {
            Some(until) if self.enabled && now < until => Verdict::Locked { until },
            _ => Verdict::Allowed,
        }
    }

    /// The update recording one failure for `key` at `now`.
    pub fn failure(&self, key: &ThrottleKey, now: Timestamp) -> ThrottleUpdate {
        ThrottleUpdate::Failure {
            now,
            limit: self.limit_for(key),
            policy: *self,
        }
    }

    /// When a stored counter may be dropped (a store TTL hint).
    pub fn expires_at(&self, state: &ThrottleState) -> Timestamp {
        let window_end = state.window_start.plus_secs(self.window_seconds);
        let forgiven = state
            .last_failure
            .plus_secs(self.max_lockout_seconds.saturating_add(self.window_seconds));
        window_end
            .max(forgiven)
            .max(state.locked_until.unwrap_or(window_end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn fail(
        p: &ThrottlePolicy,
        s: Option<ThrottleState>,
        now: Timestamp,
        limit: u32,
    ) -> Option<ThrottleState> {
        ThrottleUpdate::Failure {
            now,
            limit,
            policy: *p,
        }
        .apply(s)
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
        assert_eq!(ThrottleUpdate::Reset.apply(s), None);
        let off = ThrottlePolicy {
            enabled: false,
            ..p
        };
        assert_eq!(off.check(s.as_ref(), T0), Verdict::Allowed);
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
        let u = p.failure(&ThrottleKey::Username("alice".into()), T0);
        let s = u.apply(None).unwrap_or_default();
        assert_eq!(u.expires_at(&s), Some(p.expires_at(&s)));
        assert_eq!(u.expires_at(&s), Some(T0.plus_secs(86_400 + 10)));
        assert_ne!(
            u.expires_at(&s),
            Some(ThrottlePolicy::default().expires_at(&s))
        );
        // A locked counter lives at least until its lockout ends.
        let locked = p.failure(&ThrottleKey::Username("alice".into()), T0);
        let s = ThrottleUpdate::Failure {
            now: T0,
            limit: 1,
            policy: p,
        }
        .apply(None)
        .unwrap_or_default();
        assert!(locked.expires_at(&s) >= s.locked_until);
        // A reset leaves nothing to keep.
        assert_eq!(ThrottleUpdate::Reset.expires_at(&s), None);
    }

    #[test]
    fn update_serializes_for_a_durable_object() {
        let p = ThrottlePolicy::default();
        let u = p.failure(&ThrottleKey::Address("192.0.2.1".into()), T0);
        let json = serde_json::to_string(&u).unwrap_or_default();
        assert_eq!(serde_json::from_str::<ThrottleUpdate>(&json).ok(), Some(u));
    }

    proptest! {
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
    }
}
