//! Expiration policies, judged on a ticket snapshot and `now` (never a clock).
//!
//! - ST and PT: exactly one validation attempt, successful or not (§3.1.1, §3.2.1 MUST),
//!   and a short lifetime (default 10 s; §3.1.1 RECOMMENDS at most five minutes).
//! - LT: one use (§3.5.1) and a lifetime for filling in the form.
//! - TGT: hard and idle timeouts (defaults 8 h / 2 h); a remember-me TGT (§4.1) has its own,
//!   longer policy, at most three months (§4.1.5).
//! - PGT: hard and idle timeouts of its own, and it dies with its TGT (§3.3.1; the engine
//!   checks the TGT).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cas::ticket::{
    LoginTicket, ProxyGrantingTicket, ProxyTicket, ServiceTicket, Ticket, TicketGrantingTicket,
};
use crate::time::Timestamp;

/// The verdict on a ticket snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Still usable.
    Valid,
    /// A single-use ticket that was already used (§3.1.1, §3.2.1, §3.5.1).
    Used,
    /// Past its lifetime.
    TimedOut,
    /// Unused for longer than the idle timeout.
    Idle,
}

impl Expiry {
    /// `true` for [`Expiry::Valid`].
    pub const fn is_valid(self) -> bool {
        matches!(self, Self::Valid)
    }
}

/// Hard and idle timeouts of a session-like ticket (TGT, PGT), in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionPolicy {
    /// Lifetime from creation, whatever the use.
    pub hard_seconds: i64,
    /// Lifetime from the last use.
    pub idle_seconds: i64,
}

impl SessionPolicy {
    /// Judges a ticket created at `created`, last used at `last_used`.
    pub fn judge(&self, created: Timestamp, last_used: Timestamp, now: Timestamp) -> Expiry {
        if now >= created.plus_secs(self.hard_seconds) {
            Expiry::TimedOut
        } else if now >= last_used.plus_secs(self.idle_seconds) {
            Expiry::Idle
        } else {
            Expiry::Valid
        }
    }

    /// The instant after which the ticket is certainly expired, if not used again.
    pub fn expires_at(&self, created: Timestamp, last_used: Timestamp) -> Timestamp {
        created
            .plus_secs(self.hard_seconds)
            .min(last_used.plus_secs(self.idle_seconds))
    }
}

/// Judges a single-use ticket: used once → [`Expiry::Used`]; `ttl_seconds` after
/// `created` → [`Expiry::TimedOut`].
pub fn judge_single_use(
    created: Timestamp,
    attempts: u32,
    ttl_seconds: i64,
    now: Timestamp,
) -> Expiry {
    if attempts >= 1 {
        Expiry::Used
    } else if now >= created.plus_secs(ttl_seconds) {
        Expiry::TimedOut
    } else {
        Expiry::Valid
    }
}

/// All ticket lifetimes; every field is configurable, every default is the spec's or the
/// issue's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpirationPolicies {
    /// Service ticket lifetime (default 10 s).
    pub service_ticket_seconds: i64,
    /// Proxy ticket lifetime (default 10 s).
    pub proxy_ticket_seconds: i64,
    /// Login ticket / execution lifetime (default 30 min).
    pub login_ticket_seconds: i64,
    /// TGT (default 8 h hard, 2 h idle).
    pub ticket_granting: SessionPolicy,
    /// Remember-me TGT (default 14 days hard and idle; at most 90 days, §4.1.5).
    pub long_term: SessionPolicy,
    /// PGT (default 8 h hard, 2 h idle), bounded by its TGT.
    pub proxy_granting: SessionPolicy,
}

crate::cas::config::config_table!(ExpirationPolicies, "a tickets table", {
    "serviceTicketSeconds" => service_ticket_seconds,
    "proxyTicketSeconds" => proxy_ticket_seconds,
    "loginTicketSeconds" => login_ticket_seconds,
    "ticketGranting" => ticket_granting,
    "longTerm" => long_term,
    "proxyGranting" => proxy_granting,
});

impl Default for ExpirationPolicies {
    fn default() -> Self {
        Self {
            service_ticket_seconds: 10,
            proxy_ticket_seconds: 10,
            login_ticket_seconds: 30 * 60,
            ticket_granting: SessionPolicy {
                hard_seconds: 8 * 3600,
                idle_seconds: 2 * 3600,
            },
            long_term: SessionPolicy {
                hard_seconds: 14 * 86_400,
                idle_seconds: 14 * 86_400,
            },
            proxy_granting: SessionPolicy {
                hard_seconds: 8 * 3600,
                idle_seconds: 2 * 3600,
            },
        }
    }
}

/// Longest remember-me lifetime accepted (§4.1.5: "MAY not exceed 3 months").
pub const MAX_LONG_TERM_SECONDS: i64 = 90 * 86_400;

/// How much longer than the longest session a revocation mark is kept
/// ([`ExpirationPolicies::revocation_seconds`]).
pub const REVOCATION_MARGIN_SECONDS: i64 = 300;

/// A lifetime setting that makes no sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("ticket lifetime `{0}` must be positive (and long-term at most 90 days)")]
pub struct PolicyError(pub &'static str);

impl ExpirationPolicies {
    /// Checks that every lifetime is positive and the long-term one is at most 90 days.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let checks = [
            (self.service_ticket_seconds, "serviceTicketSeconds"),
            (self.proxy_ticket_seconds, "proxyTicketSeconds"),
            (self.login_ticket_seconds, "loginTicketSeconds"),
            (
                self.ticket_granting.hard_seconds,
                "ticketGranting.hardSeconds",
            ),
            (
                self.ticket_granting.idle_seconds,
                "ticketGranting.idleSeconds",
            ),
            (self.long_term.hard_seconds, "longTerm.hardSeconds"),
            (self.long_term.idle_seconds, "longTerm.idleSeconds"),
            (
                self.proxy_granting.hard_seconds,
                "proxyGranting.hardSeconds",
            ),
            (
                self.proxy_granting.idle_seconds,
                "proxyGranting.idleSeconds",
            ),
        ];
        for (v, name) in checks {
            if v <= 0 {
                return Err(PolicyError(name));
            }
        }
        if self.long_term.hard_seconds > MAX_LONG_TERM_SECONDS {
            return Err(PolicyError("longTerm.hardSeconds"));
        }
        Ok(())
    }

    /// How long a revocation mark (a logged-out TGT, a revoked PGT) must be kept, seconds:
    /// longer than any copy of the revoked ticket can live in an eventually consistent
    /// store. A copy written by a request racing the revocation expires at most one hard
    /// timeout after it was written, so the longest hard timeout plus
    /// [`REVOCATION_MARGIN_SECONDS`].
    pub fn revocation_seconds(&self) -> i64 {
        self.ticket_granting
            .hard_seconds
            .max(self.long_term.hard_seconds)
            .max(self.proxy_granting.hard_seconds)
            .saturating_add(REVOCATION_MARGIN_SECONDS)
    }

    /// The session policy of a TGT (long-term when remember-me was used, §4.1).
    pub fn tgt_policy(&self, tgt: &TicketGrantingTicket) -> SessionPolicy {
        if tgt.authentication.long_term {
            self.long_term
        } else {
            self.ticket_granting
        }
    }

    /// ST: one validation attempt, then a lifetime (§3.1.1).
    pub fn service_ticket(&self, st: &ServiceTicket, now: Timestamp) -> Expiry {
        judge_single_use(
            st.created_at,
            st.validation_attempts,
            self.service_ticket_seconds,
            now,
        )
    }

    /// PT: one validation attempt, then a lifetime (§3.2.1).
    pub fn proxy_ticket(&self, pt: &ProxyTicket, now: Timestamp) -> Expiry {
        judge_single_use(
            pt.created_at,
            pt.validation_attempts,
            self.proxy_ticket_seconds,
            now,
        )
    }

    /// LT: lifetime only; single use comes from the store's atomic take (§3.5.1).
    pub fn login_ticket(&self, lt: &LoginTicket, now: Timestamp) -> Expiry {
        judge_single_use(lt.created_at, 0, self.login_ticket_seconds, now)
    }

    /// TGT: hard and idle timeouts (remember-me: the long-term ones).
    pub fn ticket_granting(&self, tgt: &TicketGrantingTicket, now: Timestamp) -> Expiry {
        self.tgt_policy(tgt)
            .judge(tgt.created_at, tgt.last_used_at, now)
    }

    /// PGT: its own hard and idle timeouts (the TGT check is the engine's).
    pub fn proxy_granting(&self, pgt: &ProxyGrantingTicket, now: Timestamp) -> Expiry {
        self.proxy_granting
            .judge(pgt.created_at, pgt.last_used_at, now)
    }

    /// Any ticket.
    pub fn judge(&self, ticket: &Ticket, now: Timestamp) -> Expiry {
        match ticket {
            Ticket::TicketGranting(t) => self.ticket_granting(t, now),
            Ticket::Service(t) => self.service_ticket(t, now),
            Ticket::Proxy(t) => self.proxy_ticket(t, now),
            Ticket::ProxyGranting(t) => self.proxy_granting(t, now),
            Ticket::Login(t) => self.login_ticket(t, now),
        }
    }

    /// When the stored record may be dropped (a store TTL hint; the engine still judges
    /// every snapshot itself).
    pub fn expires_at(&self, ticket: &Ticket) -> Timestamp {
        match ticket {
            Ticket::TicketGranting(t) => {
                self.tgt_policy(t).expires_at(t.created_at, t.last_used_at)
            }
            Ticket::Service(t) => t.created_at.plus_secs(self.service_ticket_seconds),
            Ticket::Proxy(t) => t.created_at.plus_secs(self.proxy_ticket_seconds),
            Ticket::ProxyGranting(t) => {
                self.proxy_granting.expires_at(t.created_at, t.last_used_at)
            }
            Ticket::Login(t) => t.created_at.plus_secs(self.login_ticket_seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp(1_700_000_000_000);

    #[test]
    fn revocation_outlives_every_session_policy() {
        let mut p = ExpirationPolicies::default();
        let r = p.revocation_seconds();
        assert!(r > p.long_term.hard_seconds);
        assert!(r > p.ticket_granting.hard_seconds);
        assert!(r > p.proxy_granting.hard_seconds);
        // The configured lifetimes, not the defaults: a longer PGT lifetime counts.
        p.proxy_granting.hard_seconds = MAX_LONG_TERM_SECONDS + 1;
        assert_eq!(
            p.revocation_seconds(),
            MAX_LONG_TERM_SECONDS + 1 + REVOCATION_MARGIN_SECONDS
        );
    }

    #[test]
    fn defaults_3_1_1() {
        let p = ExpirationPolicies::default();
        assert_eq!(p.service_ticket_seconds, 10);
        assert!(
            p.service_ticket_seconds <= 300,
            "§3.1.1: at most five minutes"
        );
        assert!(
            p.proxy_ticket_seconds <= 300,
            "§3.2.1: at most five minutes"
        );
        assert_eq!(p.ticket_granting.hard_seconds, 8 * 3600);
        assert_eq!(p.ticket_granting.idle_seconds, 2 * 3600);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn st_expires_after_ttl_3_1_1() {
        assert_eq!(
            judge_single_use(T0, 0, 10, T0.plus_millis(9_999)),
            Expiry::Valid
        );
        assert_eq!(
            judge_single_use(T0, 0, 10, T0.plus_secs(10)),
            Expiry::TimedOut
        );
    }

    #[test]
    fn st_invalid_after_one_attempt_3_1_1() {
        assert_eq!(judge_single_use(T0, 1, 10, T0), Expiry::Used);
    }

    #[test]
    fn tgt_idle_and_hard_timeouts() {
        let p = SessionPolicy {
            hard_seconds: 8 * 3600,
            idle_seconds: 2 * 3600,
        };
        assert_eq!(p.judge(T0, T0, T0.plus_secs(2 * 3600 - 1)), Expiry::Valid);
        assert_eq!(p.judge(T0, T0, T0.plus_secs(2 * 3600)), Expiry::Idle);
        let used = T0.plus_secs(7 * 3600);
        assert_eq!(p.judge(T0, used, T0.plus_secs(8 * 3600 - 1)), Expiry::Valid);
        assert_eq!(p.judge(T0, used, T0.plus_secs(8 * 3600)), Expiry::TimedOut);
        assert_eq!(p.expires_at(T0, used), T0.plus_secs(8 * 3600));
        assert_eq!(p.expires_at(T0, T0), T0.plus_secs(2 * 3600));
    }

    #[test]
    fn long_term_at_most_three_months_4_1_5() {
        let mut p = ExpirationPolicies::default();
        p.long_term.hard_seconds = 91 * 86_400;
        assert!(p.validate().is_err());
        p.long_term.hard_seconds = 90 * 86_400;
        assert!(p.validate().is_ok());
        p.service_ticket_seconds = 0;
        assert_eq!(p.validate(), Err(PolicyError("serviceTicketSeconds")));
    }

    #[test]
    fn config_parses_partially() {
        let p: ExpirationPolicies = serde_json::from_str(r#"{"serviceTicketSeconds": 2}"#).unwrap();
        assert_eq!(p.service_ticket_seconds, 2);
        assert_eq!(p.proxy_ticket_seconds, 10);
        assert!(serde_json::from_str::<ExpirationPolicies>(r#"{"bogus": 1}"#).is_err());
    }

    proptest! {
        /// §3.1.1/§3.2.1: whatever the times, a used single-use ticket is never valid.
        #[test]
        fn used_single_use_ticket_never_valid(created in any::<i64>(), now in any::<i64>(),
                                             attempts in 1u32.., ttl in 1i64..1_000_000) {
            prop_assert_eq!(judge_single_use(Timestamp(created), attempts, ttl, Timestamp(now)), Expiry::Used);
        }

        /// Once timed out, a single-use ticket stays invalid later on.
        #[test]
        fn single_use_expiry_is_monotonic(created in -1_000_000_000i64..1_000_000_000, ttl in 1i64..100_000,
                                          a in -1_000_000_000i64..1_000_000_000, d in 0i64..1_000_000_000) {
            let (c, t1, t2) = (Timestamp(created), Timestamp(a), Timestamp(a + d));
            if !judge_single_use(c, 0, ttl, t1).is_valid() {
                prop_assert!(!judge_single_use(c, 0, ttl, t2).is_valid());
            }
            // Valid exactly before created + ttl.
            prop_assert_eq!(judge_single_use(c, 0, ttl, t1).is_valid(), t1 < c.plus_secs(ttl));
        }

        /// A session ticket is valid iff both timeouts are in the future, and never valid
        /// past its hard timeout however recently it was used.
        #[test]
        fn session_policy_matches_definition(created in -1_000_000_000_000i64..1_000_000_000_000,
                                             since_use in 0i64..100_000_000, age in 0i64..100_000_000,
                                             hard in 1i64..100_000, idle in 1i64..100_000) {
            let p = SessionPolicy { hard_seconds: hard, idle_seconds: idle };
            let c = Timestamp(created);
            let last = Timestamp(created + age.min(since_use));
            let now = Timestamp(created + age);
            let valid = now < c.plus_secs(hard) && now < last.plus_secs(idle);
            prop_assert_eq!(p.judge(c, last, now).is_valid(), valid);
            prop_assert_eq!(valid, now < p.expires_at(c, last));
            if now >= c.plus_secs(hard) {
                prop_assert_eq!(p.judge(c, now, now), Expiry::TimedOut);
            }
        }

        /// Extreme inputs never panic (saturating arithmetic).
        #[test]
        fn no_overflow(c in any::<i64>(), l in any::<i64>(), n in any::<i64>(),
                       h in any::<i64>(), i in any::<i64>()) {
            let p = SessionPolicy { hard_seconds: h, idle_seconds: i };
            let _ = p.judge(Timestamp(c), Timestamp(l), Timestamp(n));
            let _ = p.expires_at(Timestamp(c), Timestamp(l));
            let _ = judge_single_use(Timestamp(c), 0, h, Timestamp(n));
        }
    }
}
