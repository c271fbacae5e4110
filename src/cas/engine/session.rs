//! The session lifecycle: expiry, ending a session (with its single-logout requests) and
//! issuing a service ticket from it — shared by `/login`, `/logout` and the adapters' timers.

use crate::cas::policy::Expiry;
use crate::cas::registry::LogoutType;
use crate::cas::store::{Store, StoreError};
use crate::cas::ticket::{
    Entropy, ServiceTicket, Ticket, TicketGrantingTicket, TicketId, TicketKind, random_token,
};
use crate::cas::web::{Effect, EndReason, LogoutNotice, SessionRecord};

use crate::time::Timestamp;

use super::Engine;

/// What ending a session calls for ([`Engine::destroy_session`]).
pub(super) struct SessionEnd {
    /// [`Effect::SessionEnded`] and the back-channel single logouts, for the adapter.
    pub effects: Vec<Effect>,
    /// The front-channel single logouts, for the browser at `/logout` (§2.3.3).
    pub front_channel: Vec<LogoutNotice>,
}

impl Engine {
    /// Whether the session `tgt` is over at `now` by its policy (hard or idle timeout;
    /// remember-me sessions by the long-term policy, §4.1), with the reason and the instant
    /// it ended — the policy's expiry instant, not the moment it was noticed.
    pub fn session_expiry(
        &self,
        tgt: &TicketGrantingTicket,
        now: Timestamp,
    ) -> Option<(EndReason, Timestamp)> {
        let policy = self.config.tickets.tgt_policy(tgt);
        let reason = match policy.judge(tgt.created_at, tgt.last_used_at, now) {
            Expiry::Valid => return None,
            Expiry::Idle => EndReason::Idle,
            Expiry::TimedOut | Expiry::Used => EndReason::Expired,
        };
        let ended_at = policy.expires_at(tgt.created_at, tgt.last_used_at).min(now);
        Some((reason, ended_at))
    }

    /// When the session `tgt` expires if it is not used again: the time for an alarm that
    /// calls [`Engine::expire_session`].
    pub fn session_deadline(&self, tgt: &TicketGrantingTicket) -> Timestamp {
        self.config
            .tickets
            .tgt_policy(tgt)
            .expires_at(tgt.created_at, tgt.last_used_at)
    }

    /// An adapter's timer for the TGT `id` (set for [`Engine::session_deadline`]): when the
    /// TGT is still stored and expired at `now`, destroys the session like a logout and
    /// returns its [`Effect::SessionEnded`] and single-logout requests (§2.3.3: "SLO
    /// requests MAY also be initiated by the CAS Server upon TGT idle timeout"); nothing
    /// when it is gone or still valid (used since: set the timer again). The same path
    /// ([`Engine::destroy_session`]) as a session found expired by a request: a session
    /// that ends unseen ends the same way.
    pub async fn expire_session<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        id: &TicketId,
    ) -> Result<Vec<Effect>, StoreError> {
        match store.get(id).await? {
            Some(Ticket::TicketGranting(tgt)) => match self.session_expiry(&tgt, now) {
                // No browser here: front-channel services cannot be reached.
                Some((reason, _)) => Ok(self
                    .destroy_session(store, entropy, now, &tgt, reason, None)
                    .await?
                    .effects),
                None => Ok(Vec::new()),
            },
            _ => Ok(Vec::new()),
        }
    }

    /// Ends a session: deletes the TGT, its PGTs (§3.3.1) and its outstanding service
    /// tickets, and returns its [`Effect::SessionEnded`] (for `reason`) and the
    /// single-logout requests (§2.3.3): back-channel ones as effects, front-channel ones
    /// for the logout page ([`SessionEnd::front_channel`]) — each service as its
    /// [`LogoutType`] says. The one path by which every session ends: logout, a request
    /// that finds it expired, the alarm that finds it expired unseen.
    pub(super) async fn destroy_session<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        tgt: &TicketGrantingTicket,
        reason: EndReason,
        client_address: Option<&str>,
    ) -> Result<SessionEnd, StoreError> {
        self.revoke(store, tgt).await?;
        let ended_at = match reason {
            EndReason::Expired | EndReason::Idle => {
                self.session_expiry(tgt, now).map_or(now, |(_, at)| at)
            }
            _ => now,
        };
        let mut end = SessionEnd {
            effects: self
                .lifecycle(|| Effect::SessionEnded {
                    session: SessionRecord::of(tgt, client_address),
                    reason,
                    ended_at,
                })
                .into_iter()
                .collect(),
            front_channel: Vec::new(),
        };
        for grant in &tgt.services {
            store.delete(&grant.ticket).await?;
            let logout = match self.browser_service(&grant.service) {
                Some(s) if self.config.single_logout => s.definition().logout(),
                _ => LogoutType::None,
            };
            if logout == LogoutType::None {
                continue;
            }
            let notice = LogoutNotice {
                url: grant.service.clone(),
                request_id: random_token(entropy, "LR-", 16),
                issue_instant: now,
                session_index: grant.ticket.clone(),
            };
            if logout == LogoutType::FrontChannel {
                end.front_channel.push(notice);
            } else {
                end.effects.push(Effect::SingleLogout(notice));
            }
        }
        Ok(end)
    }

    /// Revokes the TGT `tgt` and its PGTs (§3.3.1): its cookie and its proxy grants stop
    /// working; its service tickets are left alone.
    pub(super) async fn revoke<S: Store>(
        &self,
        store: &S,
        tgt: &TicketGrantingTicket,
    ) -> Result<(), StoreError> {
        store.delete(&tgt.id).await?;
        for pgt in &tgt.proxy_granting_tickets {
            store.delete(pgt).await?;
        }
        Ok(())
    }

    /// Issues a service ticket from `tgt` for `service` and records it in the TGT
    /// (idle timeout, single logout). Nothing is revealed unless both writes succeed.
    pub(super) async fn issue_service_ticket<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        tgt: &mut TicketGrantingTicket,
        service: &str,
        from_new_login: bool,
    ) -> Result<TicketId, StoreError> {
        let st = ServiceTicket {
            id: TicketId::generate_in(TicketKind::Service, entropy, &tgt.id),
            service: service.to_owned(),
            tgt: tgt.id.clone(),
            authentication: tgt.authentication.clone(),
            from_new_login,
            created_at: now,
            validation_attempts: 0,
        };
        let id = st.id.clone();
        tgt.record_service(service, &id);
        tgt.last_used_at = now;
        // Both or neither: an ST its session does not list would escape single logout.
        let st = Ticket::Service(st);
        let session = Ticket::TicketGranting(tgt.clone());
        let expiry = &self.config.tickets;
        store
            .put_all(&[
                (&st, expiry.expires_at(&st)),
                (&session, expiry.expires_at(&session)),
            ])
            .await?;
        Ok(id)
    }
}
