//! `/logout` (§2.3).

use crate::cas::audit::{AuditEvent, ShortId};
use crate::cas::params::Params;
use crate::cas::store::Store;
use crate::cas::ticket::Entropy;
use crate::cas::web::{
    Effect, EndReason, Fault, HttpRequest, LogoutNotice, View, WebReply, fields,
};

use crate::time::Timestamp;

use super::Engine;

impl Engine {
    /// `/logout` (§2.3): destroys the session (TGT, its PGTs and outstanding STs), clears
    /// the TGC, returns single-logout effects (§2.3.3), and redirects only to a registered
    /// `service` (§2.3.2); `url` is ignored (§2.3.1).
    pub async fn logout<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        request: &HttpRequest<'_>,
    ) -> WebReply {
        let service = Params::parse(request.query)
            .ok()
            .and_then(|p| p.unique(fields::SERVICE).ok().flatten().map(str::to_owned));
        let mut ended = None;
        let mut front_channel = Vec::new();
        let effects = match self
            .tgt_from_cookie(store, request.cookie, request.https)
            .await
        {
            Ok(Some(tgt)) => match self
                .destroy_session(
                    store,
                    entropy,
                    now,
                    &tgt,
                    EndReason::Logout,
                    request.client_address,
                )
                .await
            {
                Ok(end) => {
                    ended = Some(tgt);
                    front_channel = end.front_channel;
                    end.effects
                }
                Err(e) => return WebReply::fault(Fault::Store(e)),
            },
            Ok(None) => Vec::new(),
            Err(e) => return WebReply::fault(Fault::Store(e)),
        };
        let service = service.filter(|s| self.browser_service(s).is_some());
        let mut reply = match (service, front_channel.is_empty()) {
            (Some(s), true) => WebReply::redirect(302, s),
            (None, true) => WebReply::page(200, View::LoggedOut),
            // §2.3.3 through the browser: the page loads each front-channel service's
            // logout URL, then goes on to `service` (§2.3.2).
            (service, false) => WebReply::page(
                200,
                View::FrontChannelLogout {
                    urls: front_channel
                        .iter()
                        .map(LogoutNotice::front_channel_url)
                        .collect(),
                    service,
                },
            ),
        };
        reply.cookie = Some(self.cookie(None, false, request.https));
        reply.audit.push(AuditEvent::Logout {
            principal: ended.as_ref().map(|t| t.authentication.principal.clone()),
            tgt: ended.as_ref().map(|t| ShortId::of(&t.id)),
            single_logouts: effects
                .iter()
                .filter(|e| matches!(e, Effect::SingleLogout(_)))
                .count()
                + front_channel.len(),
        });
        reply.effects = effects;
        reply
    }
}
