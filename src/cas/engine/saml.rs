//! `/samlValidate` (§4.2): SAML 1.1 validation of a service ticket.

use crate::cas::audit::{AuditEvent, ShortId};
use crate::cas::params::{Params, Scheme, http_url_scheme};
use crate::cas::response::{Attributes, Failure, FailureCode, Success};
use crate::cas::saml;
use crate::cas::store::{Store, StoreError};
use crate::cas::ticket::{Entropy, random_token};
use crate::cas::web::Method;
use crate::time::Timestamp;

use super::validate::protocol_attributes;
use super::{Engine, Reject, fail, failure};

/// The endpoint's path, as audit events name it.
const SAML_VALIDATE: &str = "samlValidate";

/// A `/samlValidate` request (§4.2).
#[derive(Clone, Copy, Default)]
pub struct SamlValidateRequest<'a> {
    /// The HTTP method (§4.2.2: MUST be POST).
    pub method: Method,
    /// The raw query string, holding `TARGET` (§4.2.1).
    pub query: &'a [u8],
    /// The raw `text/xml` body: a SOAP-wrapped SAML 1.1 `samlp:Request` (§4.2.2–§4.2.4).
    pub body: &'a [u8],
}

impl core::fmt::Debug for SamlValidateRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SamlValidateRequest")
            .field("method", &self.method)
            .field("query_len", &self.query.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The reply of `/samlValidate` (§4.2.5): HTTP 200, `text/xml`, a SAML 1.1 response
/// rendered by [`SamlReply::render`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamlReply {
    /// `ResponseID`.
    pub response_id: String,
    /// `AssertionID`.
    pub assertion_id: String,
    /// `IssueInstant` of the response and assertion, and `Conditions/@NotBefore`.
    pub issue_instant: Timestamp,
    /// `Recipient` and `Audience`: the `TARGET` (empty when missing).
    pub recipient: String,
    /// `InResponseTo`: the request's `RequestID` (empty when unknown).
    pub in_response_to: String,
    /// `NotOnOrAfter − NotBefore`, seconds.
    pub validity_seconds: i64,
    /// `AuthenticationInstant`: when the user presented credentials.
    pub authentication_instant: Timestamp,
    /// The principal and attributes (none when `TARGET` is not https, §4.2.1; with
    /// `longTermAuthenticationRequestTokenUsed`, §4.2.5.1), or why not.
    pub outcome: Result<Success, Failure>,
    /// The fault behind an `INTERNAL_ERROR`, for logs.
    pub fault: Option<StoreError>,
    /// What happened, for the audit log (docs/audit-log.md): one `st_validated` or
    /// `st_rejected` event (endpoint `samlValidate`).
    pub audit: Vec<AuditEvent>,
}

impl SamlReply {
    /// The `Content-Type` of the rendered response (HTTP status 200).
    pub fn content_type(&self) -> &'static str {
        "text/xml; charset=UTF-8"
    }

    /// The SOAP-wrapped SAML 1.1 response; `issuer` is the CAS server's name (e.g. its
    /// host), the `Assertion/@Issuer`.
    pub fn render(&self, issuer: &str) -> String {
        let params = saml::SamlResponseParams {
            response_id: &self.response_id,
            assertion_id: &self.assertion_id,
            now: self.issue_instant,
            issuer,
            recipient: &self.recipient,
            in_response_to: &self.in_response_to,
            validity_secs: self.validity_seconds,
            authentication_method: saml::AM_PASSWORD,
            authentication_instant: self.authentication_instant,
        };
        saml::render_response(self.outcome.as_ref(), &params)
    }
}

impl Engine {
    /// `/samlValidate` (§4.2): validates the service ticket in the SAML request's
    /// `AssertionArtifact` for `TARGET`.
    pub async fn saml_validate<S: Store>(
        &self,
        store: &S,
        entropy: &mut dyn Entropy,
        now: Timestamp,
        request: &SamlValidateRequest<'_>,
    ) -> SamlReply {
        let target = Params::parse(request.query)
            .ok()
            .and_then(|p| p.unique("TARGET").ok().flatten().map(str::to_owned))
            .unwrap_or_default();
        let parsed = core::str::from_utf8(request.body)
            .ok()
            .and_then(|b| saml::parse_request(b).ok());
        let mut reply = SamlReply {
            response_id: random_token(entropy, "_", 16),
            assertion_id: random_token(entropy, "_", 16),
            issue_instant: now,
            recipient: target.clone(),
            in_response_to: parsed
                .as_ref()
                .map(|r| r.request_id.clone())
                .unwrap_or_default(),
            validity_seconds: self.config.saml_assertion_seconds,
            authentication_instant: now,
            outcome: Err(failure(FailureCode::InternalError, "")),
            fault: None,
            audit: Vec::new(),
        };
        // The ticket the request named, as its audit event shows it.
        let ticket = parsed
            .as_ref()
            .map(|r| ShortId::parse(&r.assertion_artifact));
        let outcome = if request.method != Method::Post {
            fail(FailureCode::InvalidRequest, "samlValidate requires POST")
        } else if target.is_empty() {
            fail(
                FailureCode::InvalidRequest,
                "the TARGET parameter is required",
            )
        } else if let Some(parsed) = parsed {
            self.saml_outcome(store, now, &parsed.assertion_artifact, &target)
                .await
        } else {
            fail(
                FailureCode::InvalidRequest,
                "the body is not a SAML 1.1 request with an assertion artifact",
            )
        };
        reply.outcome = match outcome {
            Ok((success, authenticated_at)) => {
                reply.authentication_instant = authenticated_at;
                Ok(success)
            }
            Err(Reject::Fail(f)) => Err(f),
            Err(Reject::Fault(e)) => {
                reply.fault = Some(e);
                Err(failure(FailureCode::InternalError, "internal error"))
            }
        };
        let service = Some(target).filter(|t| !t.is_empty());
        reply.audit.push(match (&reply.outcome, service, ticket) {
            (Ok(success), Some(service), Some(ticket)) => AuditEvent::StValidated {
                endpoint: SAML_VALIDATE,
                service,
                ticket,
                principal: success.user.clone(),
                pgt_issued: false,
            },
            (outcome, service, ticket) => AuditEvent::StRejected {
                endpoint: SAML_VALIDATE,
                service,
                ticket,
                code: outcome.as_ref().err().map(|f| f.code.as_str()),
            },
        });
        reply
    }

    pub(super) async fn saml_outcome<S: Store>(
        &self,
        store: &S,
        now: Timestamp,
        artifact: &str,
        target: &str,
    ) -> Result<(Success, Timestamp), Reject> {
        // §4.2: "checks the validity of a Service Ticket" — proxy tickets are refused.
        let c = self
            .consume(store, now, artifact, target, false, false)
            .await?;
        // §4.2.1: "SAML attributes MUST NOT be released to a non-SSL site."
        let attributes = if http_url_scheme(target) == Some(Scheme::Https) {
            let mut a = c.service.release(&c.authentication.attributes);
            a.extend(protocol_attributes(&c.authentication, c.from_new_login));
            a
        } else {
            Attributes::new()
        };
        Ok((
            Success {
                user: c.authentication.principal,
                attributes,
                proxy_granting_ticket: None,
                proxies: Vec::new(),
            },
            c.authentication.authenticated_at,
        ))
    }
}
