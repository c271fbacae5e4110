//! What a CAS validation or proxy endpoint answers, as values (CAS Protocol 3.0 §2.5–§2.7,
//! Appendix A/B). The engine produces these; `xml`, `json` and `saml` render them, and
//! `client` parses rendered responses back (the npm package's CAS client helper).

use std::collections::BTreeMap;

/// Released attributes: name → one or more values (multi-valued attributes keep their order).
pub type Attributes = BTreeMap<String, Vec<String>>;

/// The error codes of CAS Protocol 3.0 §2.5.3 (validation) and §2.7.2 (proxy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FailureCode {
    /// Not all of the required request parameters were present.
    InvalidRequest,
    /// Failure to meet the requirements of validation specification (e.g. `renew`).
    InvalidTicketSpec,
    /// The service is not authorized to perform proxy authentication.
    UnauthorizedServiceProxy,
    /// The proxy callback specified is invalid.
    InvalidProxyCallback,
    /// The ticket provided was not valid, or the ticket did not come from an initial login
    /// and `renew` was set.
    InvalidTicket,
    /// The ticket provided was valid, but the service specified did not match.
    InvalidService,
    /// The service is not authorized to perform proxy requests (`/proxy`, §2.7.2).
    UnauthorizedService,
    /// An internal error occurred during ticket validation.
    InternalError,
}

impl FailureCode {
    /// The code as it appears on the wire, e.g. `INVALID_TICKET`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InvalidTicketSpec => "INVALID_TICKET_SPEC",
            Self::UnauthorizedServiceProxy => "UNAUTHORIZED_SERVICE_PROXY",
            Self::InvalidProxyCallback => "INVALID_PROXY_CALLBACK",
            Self::InvalidTicket => "INVALID_TICKET",
            Self::InvalidService => "INVALID_SERVICE",
            Self::UnauthorizedService => "UNAUTHORIZED_SERVICE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// Parses a wire code; `None` for codes this version does not know.
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "INVALID_REQUEST" => Self::InvalidRequest,
            "INVALID_TICKET_SPEC" => Self::InvalidTicketSpec,
            "UNAUTHORIZED_SERVICE_PROXY" => Self::UnauthorizedServiceProxy,
            "INVALID_PROXY_CALLBACK" => Self::InvalidProxyCallback,
            "INVALID_TICKET" => Self::InvalidTicket,
            "INVALID_SERVICE" => Self::InvalidService,
            "UNAUTHORIZED_SERVICE" => Self::UnauthorizedService,
            "INTERNAL_ERROR" => Self::InternalError,
            _ => return None,
        })
    }
}

/// A failed validation or proxy request: an outcome, not a Rust error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The spec's error code.
    pub code: FailureCode,
    /// Human-readable description (rendered escaped).
    pub description: String,
}

/// A successful ticket validation (§2.5.2, §2.6.2, §2.5.7 attributes).
///
/// `Debug` redacts the PGTIOU: ticket ids never reach logs.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Success {
    /// The authenticated principal.
    pub user: String,
    /// Released attributes (CAS 3.0 `/p3/*`; empty for the 2.0 endpoints). Includes the
    /// protocol attributes `authenticationDate`, `longTermAuthenticationRequestTokenUsed`
    /// and `isFromNewLogin` when the engine releases them.
    pub attributes: Attributes,
    /// The PGTIOU, when a proxy callback succeeded (§2.5.4).
    pub proxy_granting_ticket: Option<String>,
    /// Proxy chain, most recent proxy first (§2.6.2); empty for a service ticket.
    pub proxies: Vec<String>,
}

/// A response body of `/serviceValidate`, `/proxyValidate`, `/p3/*` and `/proxy`.
///
/// `Debug` redacts ticket ids (PGTIOU, proxy ticket).
#[derive(Clone, PartialEq, Eq)]
pub enum ServiceResponse {
    /// `<cas:authenticationSuccess>`.
    AuthenticationSuccess(Success),
    /// `<cas:authenticationFailure code="...">`.
    AuthenticationFailure(Failure),
    /// `<cas:proxySuccess>` with the issued proxy ticket (§2.7.2).
    ProxySuccess {
        /// The issued `PT-` ticket.
        proxy_ticket: String,
    },
    /// `<cas:proxyFailure code="...">` (§2.7.2).
    ProxyFailure(Failure),
}

/// Response format of the validation endpoints (`format` parameter, §2.5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// XML in namespace `http://www.yale.edu/tp/cas` (the default).
    #[default]
    Xml,
    /// JSON per CAS Protocol 3.0 Appendix (`format=JSON`).
    Json,
}

/// Shows a ticket id's kind (its prefix) but never its secret part.
pub(crate) fn redact(id: &str) -> String {
    match id.split_once('-') {
        Some((prefix, _)) => format!("{prefix}-…"),
        None => "…".to_owned(),
    }
}

impl core::fmt::Debug for Success {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Success")
            .field("user", &self.user)
            .field("attributes", &self.attributes)
            .field(
                "proxy_granting_ticket",
                &self.proxy_granting_ticket.as_deref().map(redact),
            )
            .field("proxies", &self.proxies)
            .finish()
    }
}

impl core::fmt::Debug for ServiceResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::AuthenticationSuccess(s) => {
                f.debug_tuple("AuthenticationSuccess").field(s).finish()
            }
            Self::AuthenticationFailure(x) => {
                f.debug_tuple("AuthenticationFailure").field(x).finish()
            }
            Self::ProxySuccess { proxy_ticket } => f
                .debug_struct("ProxySuccess")
                .field("proxy_ticket", &redact(proxy_ticket))
                .finish(),
            Self::ProxyFailure(x) => f.debug_tuple("ProxyFailure").field(x).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_ticket_ids() {
        let s = Success {
            user: "alice".into(),
            proxy_granting_ticket: Some("PGTIOU-secretsecret".into()),
            ..Success::default()
        };
        let shown = format!("{:?}", ServiceResponse::AuthenticationSuccess(s));
        assert!(shown.contains("alice") && shown.contains("PGTIOU-…"));
        assert!(!shown.contains("secretsecret"));
        let pt = format!(
            "{:?}",
            ServiceResponse::ProxySuccess {
                proxy_ticket: "PT-abc123".into()
            }
        );
        assert!(!pt.contains("abc123"));
    }
}
