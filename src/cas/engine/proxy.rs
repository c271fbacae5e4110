//! `/proxy` (§2.7): proxy tickets from a proxy-granting ticket.

use crate::cas::audit::{AuditEvent, ShortId};
use crate::cas::params::Params;
use crate::cas::response::{FailureCode, Format, ServiceResponse};
use crate::cas::store::Store;
use crate::cas::ticket::{Entropy, ProxyTicket, Ticket, TicketId, TicketKind};
use crate::time::Timestamp;

use super::validate::{ValidationBody, ValidationReply, named, parse_format};
use super::{Engine, Reject, accepts_source, fail, failure};

impl Engine {
    /// `/proxy` (§2.7): a proxy ticket for `targetService` from a live PGT.
    pub async fn proxy<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        query: &[u8],
    ) -> ValidationReply {
        let parsed = Params::parse(query);
        // What the request named, as its audit event shows it.
        let target_service = named(parsed.as_ref().ok(), "targetService");
        let pgt = named(parsed.as_ref().ok(), "pgt").map(|t| ShortId::parse(&t));
        let reply = |format: Format, r: Result<TicketId, Reject>| {
            let event = match (&r, target_service, pgt) {
                (Ok(pt), Some(target_service), Some(pgt)) => AuditEvent::PtIssued {
                    target_service,
                    ticket: ShortId::of(pt),
                    pgt,
                },
                (r, target_service, pgt) => AuditEvent::ProxyRejected {
                    target_service,
                    pgt,
                    code: match r {
                        Err(Reject::Fail(f)) => f.code.as_str(),
                        Ok(_) | Err(Reject::Fault(_)) => FailureCode::InternalError.as_str(),
                    },
                },
            };
            let (response, fault) = match r {
                Ok(pt) => (
                    ServiceResponse::ProxySuccess {
                        proxy_ticket: pt.as_str().to_owned(),
                    },
                    None,
                ),
                Err(Reject::Fail(f)) => (ServiceResponse::ProxyFailure(f), None),
                Err(Reject::Fault(e)) => (
                    ServiceResponse::ProxyFailure(failure(
                        FailureCode::InternalError,
                        "internal error",
                    )),
                    Some(e),
                ),
            };
            ValidationReply {
                body: ValidationBody::Service { response, format },
                fault,
                audit: vec![event],
            }
        };
        let Ok(p) = parsed else {
            return reply(
                Format::Xml,
                fail(FailureCode::InvalidRequest, "request too large"),
            );
        };
        let format = match parse_format(&p) {
            Ok(f) => f,
            Err(f) => return reply(Format::Xml, Err(Reject::Fail(f))),
        };
        let (pgt, target) = match (p.unique("pgt"), p.unique("targetService")) {
            (Ok(Some(pgt)), Ok(Some(t))) if !pgt.is_empty() && !t.is_empty() => (pgt, t),
            (Err(e), _) | (_, Err(e)) => {
                return reply(format, fail(FailureCode::InvalidRequest, &e.to_string()));
            }
            _ => {
                return reply(
                    format,
                    fail(
                        FailureCode::InvalidRequest,
                        "'pgt' and 'targetService' parameters are both required",
                    ),
                );
            }
        };
        reply(
            format,
            self.issue_proxy_ticket(store, entropy, now, pgt, target)
                .await,
        )
    }

    /// The proxy-granting ticket a `/proxy` request names, if its `pgt` is a well-formed
    /// `PGT-` id. Pure: nothing is read. A PGT belongs to one SSO session (its route): an
    /// adapter runs the request where that session's tickets are, since issuing a proxy
    /// ticket records its target in the session's TGT (§2.3.3).
    pub fn proxy_session(&self, query: &[u8]) -> Option<TicketId> {
        let p = Params::parse(query).ok()?;
        let id = TicketId::parse(p.unique("pgt").ok()??).ok()?;
        (id.kind() == TicketKind::ProxyGranting).then_some(id)
    }

    pub(super) async fn issue_proxy_ticket<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        pgt: &str,
        target: &str,
    ) -> Result<TicketId, Reject> {
        let id = match TicketId::parse(pgt) {
            Ok(id) if id.kind() == TicketKind::ProxyGranting => id,
            _ => return fail(FailureCode::InvalidTicket, "not a proxy-granting ticket"),
        };
        let Some(Ticket::ProxyGranting(mut pgt)) = store.get(&id).await? else {
            return fail(
                FailureCode::InvalidTicket,
                "proxy-granting ticket not recognized",
            );
        };
        if !self.config.tickets.proxy_granting(&pgt, now).is_valid() {
            store.delete(&id).await?;
            return fail(FailureCode::InvalidTicket, "proxy-granting ticket expired");
        }
        // §3.3.1: "Proxy-granting tickets MUST expire when the client whose authentication
        // is being proxied logs out of CAS."
        let tgt = match store.get(&pgt.tgt).await? {
            Some(Ticket::TicketGranting(t))
                if self.config.tickets.ticket_granting(&t, now).is_valid() =>
            {
                Some(t)
            }
            _ => None,
        };
        let Some(mut tgt) = tgt else {
            store.delete(&id).await?;
            return fail(
                FailureCode::InvalidTicket,
                "the single sign-on session of this proxy-granting ticket has ended",
            );
        };
        // §2.7.3 UNAUTHORIZED_SERVICE: the proxying service must still be allowed to
        // proxy, and the target must be registered to receive proxy tickets.
        let proxier_ok = self
            .registry
            .find(&pgt.service)
            .is_some_and(|s| s.definition().proxy_callback.is_some());
        // A target that requires an authentication source gets no proxy ticket from a
        // login checked by another (the PGT carries its login's source).
        let target_ok = self.registry.find(target).is_some_and(|s| {
            s.definition().proxy_tickets && accepts_source(s, &pgt.authentication.source)
        });
        if !proxier_ok || !target_ok {
            return fail(
                FailureCode::UnauthorizedService,
                "the service is not authorized to perform this proxy request",
            );
        }
        let pt = ProxyTicket {
            id: TicketId::generate_in(TicketKind::Proxy, entropy, &pgt.tgt),
            service: target.to_owned(),
            pgt: pgt.id.clone(),
            tgt: pgt.tgt.clone(),
            authentication: pgt.authentication.clone(),
            proxies: pgt.proxies.clone(),
            created_at: now,
            validation_attempts: 0,
        };
        let pt_id = pt.id.clone();
        // §2.3.3: the target is a service of the session like any other and gets its
        // single logout (SessionIndex = the PT). PT and TGT together: the adapter runs
        // `/proxy` where the session's tickets are, so this write of the TGT extends the
        // copy just read (no concurrent SSO, logout or grant of the session is lost).
        tgt.record_service(target, &pt_id);
        let pt = Ticket::Proxy(pt);
        let session = Ticket::TicketGranting(tgt);
        let expiry = &self.config.tickets;
        store
            .put_all(&[
                (&pt, expiry.expires_at(&pt)),
                (&session, expiry.expires_at(&session)),
            ])
            .await?;
        pgt.last_used_at = now;
        self.put(store, &Ticket::ProxyGranting(pgt)).await?;
        Ok(pt_id)
    }
}
