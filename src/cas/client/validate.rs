//! What a CAS client accepts once a validation response is parsed: the [`Assertion`] it
//! keeps, the proxy chains it allows (like the Java client's `allowedProxyChains`) and the
//! typed [`ClientError`] of every way a validation can fail (§2.5.3, §2.7.3 codes included).

use std::fmt;

use super::super::response::{Attributes, FailureCode};
use super::{ParseError, ResponseKind, ValidationResult, parse_validation_response};

/// Most chains and links an allow-list may hold (bounds the work of one check).
pub const MAX_CHAIN_LINKS: usize = 1024;

/// Why a validation (or a `/proxy` request) did not give the client what it needs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a failure (§2.5.3, §2.7.3; a CAS 1.0 `no`, §2.4.2, has code
    /// `INVALID_TICKET`). `code` is the wire code, kept even when this version does not know
    /// it; [`ClientError::failure_code`] gives the typed one.
    #[error("CAS failure {code}: {description}")]
    Cas {
        /// The wire code, e.g. `INVALID_SERVICE`.
        code: String,
        /// The server's description (may be empty).
        description: String,
    },
    /// The response could not be read as a CAS response.
    #[error("unreadable CAS response: {0}")]
    Parse(ParseError),
    /// A response of the wrong kind (e.g. a `proxySuccess` to a ticket validation).
    #[error("unexpected kind of CAS response")]
    UnexpectedResponse,
    /// The ticket was a proxy ticket (the response lists proxies, §2.6.2) and this client
    /// does not accept proxy tickets.
    #[error("proxy tickets are not accepted")]
    ProxyNotAccepted,
    /// The ticket was a proxy ticket whose chain is not in the allow-list.
    #[error("proxy chain not allowed")]
    ProxyChainNotAllowed,
}

impl ClientError {
    /// A stable machine-readable code: the CAS code for [`ClientError::Cas`]
    /// (`INVALID_TICKET`, …), the parse code for [`ClientError::Parse`], otherwise
    /// `UNEXPECTED_RESPONSE`, `PROXY_NOT_ACCEPTED`, `PROXY_CHAIN_NOT_ALLOWED`.
    pub fn code(&self) -> &str {
        match self {
            Self::Cas { code, .. } => code,
            Self::Parse(e) => e.code(),
            Self::UnexpectedResponse => "UNEXPECTED_RESPONSE",
            Self::ProxyNotAccepted => "PROXY_NOT_ACCEPTED",
            Self::ProxyChainNotAllowed => "PROXY_CHAIN_NOT_ALLOWED",
        }
    }

    /// The typed CAS failure code, when this is a failure with a code the spec defines.
    pub fn failure_code(&self) -> Option<FailureCode> {
        match self {
            Self::Cas { code, .. } => FailureCode::from_wire(code),
            _ => None,
        }
    }
}

/// What a successful validation leaves with the application (§2.5.2, §2.6.2).
///
/// `Debug` redacts the PGTIOU.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assertion {
    /// The authenticated user.
    pub user: String,
    /// Released attributes, every value of each (CAS 3.0, §2.5.7 / Appendix A).
    pub attributes: Attributes,
    /// The proxies the ticket went through, most recent first (§2.6.2); empty for a
    /// service ticket.
    pub proxies: Vec<String>,
    /// The PGTIOU (§2.5.4) to look the PGT up by, when a `pgtUrl` was sent.
    pub pgt_iou: Option<String>,
}

impl fmt::Debug for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assertion")
            .field("user", &self.user)
            .field("attributes", &self.attributes)
            .field("proxies", &self.proxies)
            .field("pgt_iou", &self.pgt_iou.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why an allow-list entry was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// An empty chain (a proxy ticket always has at least one proxy).
    #[error("empty proxy chain")]
    Empty,
    /// A pattern that does not compile (or is too big).
    #[error("invalid proxy chain pattern")]
    BadPattern,
    /// More than [`MAX_CHAIN_LINKS`] links in all.
    #[error("too many proxy chain links")]
    TooMany,
}

/// A regular expression compiled by whoever hosts the core (the npm package hands in the
/// JavaScript engine's `RegExp`, so a `RegExp` given in `allowedProxyChains` means what it
/// means in JavaScript, and the client's wasm carries no regex engine of its own).
pub trait Pattern {
    /// Whether the compiled expression matches `text`.
    fn is_match(&self, text: &str) -> bool;
}

enum Link {
    Exact(String),
    Pattern(Box<dyn Pattern>),
}

impl Link {
    fn matches(&self, proxy: &str) -> bool {
        match self {
            Self::Exact(s) => s == proxy,
            Self::Pattern(re) => re.is_match(proxy),
        }
    }
}

/// The proxy chains a back end accepts proxy tickets from, as the Java client's
/// `allowedProxyChains`: each chain lists the proxies most recent first, as §2.6.2's
/// `cas:proxies` does, and matches a response whose list has the same length with each
/// entry equal (exact) or wholly matched (a pattern: an entry starting with `^`).
#[derive(Default)]
pub struct ProxyChains {
    chains: Vec<Vec<Link>>,
}

impl fmt::Debug for ProxyChains {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyChains")
            .field("chains", &self.chains.len())
            .finish()
    }
}

impl ProxyChains {
    /// Compiles an allow-list: chains of entries, an entry starting with `^` being a regular
    /// expression that must match the whole proxy URL, any other an exact URL. `compile`
    /// is the host's regex engine: it gets the entry anchored at both ends
    /// (`^(?:ENTRY)$`, so a match is a whole-URL match) and gives `None` for a pattern it
    /// cannot compile.
    pub fn new<C: AsRef<[S]>, S: AsRef<str>>(
        chains: &[C],
        compile: &mut dyn FnMut(&str) -> Option<Box<dyn Pattern>>,
    ) -> Result<Self, ChainError> {
        let mut out = Vec::with_capacity(chains.len());
        let mut links = 0usize;
        for chain in chains {
            let chain = chain.as_ref();
            if chain.is_empty() {
                return Err(ChainError::Empty);
            }
            links = links.saturating_add(chain.len());
            if links > MAX_CHAIN_LINKS {
                return Err(ChainError::TooMany);
            }
            let mut compiled = Vec::with_capacity(chain.len());
            for entry in chain {
                let entry = entry.as_ref();
                compiled.push(if entry.starts_with('^') {
                    let whole = ["^(?:", entry, ")$"].concat();
                    Link::Pattern(compile(&whole).ok_or(ChainError::BadPattern)?)
                } else {
                    Link::Exact(entry.to_owned())
                });
            }
            out.push(compiled);
        }
        Ok(Self { chains: out })
    }

    /// Whether `proxies` (most recent first) is one of the allowed chains.
    pub fn allows(&self, proxies: &[String]) -> bool {
        self.chains.iter().any(|chain| {
            chain.len() == proxies.len() && chain.iter().zip(proxies).all(|(l, p)| l.matches(p))
        })
    }
}

/// What a client accepts beyond a well-formed success.
#[derive(Debug, Default)]
pub struct Policy {
    /// Accept proxy tickets (validate at `/proxyValidate`, §2.6) from the chains in
    /// [`Policy::chains`]. Without it, a success listing proxies is refused.
    pub accept_proxy_tickets: bool,
    /// The allowed chains (empty: no proxy ticket is accepted).
    pub chains: ProxyChains,
}

/// Judges a parsed validation response (§2.5.2/§2.6.2 success, §2.5.3 failure, §2.4.2
/// CAS 1.0): a success becomes an [`Assertion`] if its proxy chain (if any) is accepted.
pub fn judge(r: ValidationResult, policy: &Policy) -> Result<Assertion, ClientError> {
    if let Some(f) = r.failure {
        let code = if f.code.is_empty() {
            FailureCode::InvalidTicket.as_str().to_owned()
        } else {
            f.code
        };
        return Err(ClientError::Cas {
            code,
            description: f.description,
        });
    }
    let (ResponseKind::AuthenticationSuccess, Some(user)) = (r.kind, r.user) else {
        return Err(ClientError::UnexpectedResponse);
    };
    if !r.proxies.is_empty() {
        if !policy.accept_proxy_tickets {
            return Err(ClientError::ProxyNotAccepted);
        }
        if !policy.chains.allows(&r.proxies) {
            return Err(ClientError::ProxyChainNotAllowed);
        }
    }
    Ok(Assertion {
        user,
        attributes: r.attributes,
        proxies: r.proxies,
        pgt_iou: r.proxy_granting_ticket,
    })
}

/// Parses and judges a validation response body ([`parse_validation_response`], [`judge`]).
pub fn validate_response(body: &str, policy: &Policy) -> Result<Assertion, ClientError> {
    judge(
        parse_validation_response(body).map_err(ClientError::Parse)?,
        policy,
    )
}

/// Reads a `/proxy` response (§2.7.2): the proxy ticket, or the failure (§2.7.3).
pub fn proxy_ticket(body: &str) -> Result<String, ClientError> {
    let r = parse_validation_response(body).map_err(ClientError::Parse)?;
    if let Some(f) = r.failure {
        return Err(ClientError::Cas {
            code: f.code,
            description: f.description,
        });
    }
    match (r.kind, r.proxy_ticket) {
        (ResponseKind::ProxySuccess, Some(pt)) if !pt.is_empty() => Ok(pt),
        _ => Err(ClientError::UnexpectedResponse),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn success(proxies: &[&str]) -> String {
        let p: String = proxies
            .iter()
            .map(|p| format!("<cas:proxy>{p}</cas:proxy>"))
            .collect();
        format!(
            "<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'><cas:authenticationSuccess>\
             <cas:user>alice</cas:user><cas:attributes><cas:mail>a@x</cas:mail><cas:g>1</cas:g>\
             <cas:g>2</cas:g></cas:attributes>\
             <cas:proxyGrantingTicket>PGTIOU-1</cas:proxyGrantingTicket>\
             <cas:proxies>{p}</cas:proxies></cas:authenticationSuccess></cas:serviceResponse>"
        )
    }

    /// The tests' regex engine (the npm package uses JavaScript's `RegExp`).
    struct Re(regex_lite::Regex);

    impl Pattern for Re {
        fn is_match(&self, text: &str) -> bool {
            self.0.is_match(text)
        }
    }

    fn re(source: &str) -> Option<Box<dyn Pattern>> {
        let r = regex_lite::Regex::new(source).ok()?;
        Some(Box::new(Re(r)))
    }

    fn policy(chains: &[&[&str]]) -> Policy {
        Policy {
            accept_proxy_tickets: true,
            chains: ProxyChains::new(chains, &mut re).unwrap(),
        }
    }

    #[test]
    fn success_keeps_user_multivalued_attributes_and_pgtiou_2_5_2() {
        let a = validate_response(&success(&[]), &Policy::default()).unwrap();
        assert_eq!(a.user, "alice");
        assert_eq!(a.attributes["g"], ["1", "2"]);
        assert_eq!(a.pgt_iou.as_deref(), Some("PGTIOU-1"));
        assert!(!format!("{a:?}").contains("PGTIOU-1"));
    }

    #[test]
    fn every_failure_code_is_typed_2_5_3_and_2_7_3() {
        for code in [
            FailureCode::InvalidRequest,
            FailureCode::InvalidTicketSpec,
            FailureCode::UnauthorizedServiceProxy,
            FailureCode::InvalidProxyCallback,
            FailureCode::InvalidTicket,
            FailureCode::InvalidService,
            FailureCode::UnauthorizedService,
            FailureCode::InternalError,
        ] {
            let body = format!(
                "<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>\
                 <cas:authenticationFailure code='{}'>no</cas:authenticationFailure>\
                 </cas:serviceResponse>",
                code.as_str()
            );
            let e = validate_response(&body, &Policy::default()).unwrap_err();
            assert_eq!(e.failure_code(), Some(code));
            assert_eq!(e.code(), code.as_str());
        }
        // CAS 1.0 "no" (§2.4.2) is an invalid ticket.
        let e = validate_response("no\n\n", &Policy::default()).unwrap_err();
        assert_eq!(e.failure_code(), Some(FailureCode::InvalidTicket));
        // Unknown codes survive (§2.5.3 lets servers add codes).
        let e = validate_response(
            r#"{"serviceResponse":{"authenticationFailure":{"code":"X_NEW","description":"d"}}}"#,
            &Policy::default(),
        )
        .unwrap_err();
        assert_eq!((e.code(), e.failure_code()), ("X_NEW", None));
    }

    #[test]
    fn proxy_ticket_refused_unless_accepted_2_6_2() {
        let body = success(&["https://proxy.example/pgt"]);
        assert_eq!(
            validate_response(&body, &Policy::default()).unwrap_err(),
            ClientError::ProxyNotAccepted
        );
        let ok = validate_response(&body, &policy(&[&["https://proxy.example/pgt"]])).unwrap();
        assert_eq!(ok.proxies, ["https://proxy.example/pgt"]);
    }

    #[test]
    fn proxy_chains_match_whole_chains_exact_or_regex_2_6_2() {
        let p = policy(&[
            &["https://a.example/pgt"],
            &["^https://b\\.example/[a-z]+", "https://c.example/pgt"],
        ]);
        let ok = |chain: &[&str]| validate_response(&success(chain), &p).map(|a| a.proxies.len());
        assert_eq!(ok(&["https://a.example/pgt"]), Ok(1));
        assert_eq!(
            ok(&["https://b.example/pgt", "https://c.example/pgt"]),
            Ok(2)
        );
        let refused = Err(ClientError::ProxyChainNotAllowed);
        // Same length required; regex matches the whole URL; exact means exact.
        assert_eq!(
            ok(&["https://a.example/pgt", "https://c.example/pgt"]),
            refused
        );
        assert_eq!(
            ok(&["https://b.example/pgt/x", "https://c.example/pgt"]),
            refused
        );
        assert_eq!(
            ok(&["https://b.example/pgt", "https://c.example/pgt/"]),
            refused
        );
        assert_eq!(
            ok(&["https://evil.example/?https://a.example/pgt"]),
            refused
        );
        // The chain must be in order (most recent first).
        assert_eq!(
            ok(&["https://c.example/pgt", "https://b.example/pgt"]),
            refused
        );
        let empty: &[&str] = &[];
        assert_eq!(
            ProxyChains::new(&[empty], &mut re).unwrap_err(),
            ChainError::Empty
        );
        assert_eq!(
            ProxyChains::new(&[&["^("]], &mut re).unwrap_err(),
            ChainError::BadPattern
        );
        // The host's engine sees the entry anchored at both ends.
        let mut seen = Vec::new();
        let mut spy = |s: &str| {
            seen.push(s.to_owned());
            re(s)
        };
        ProxyChains::new(&[&["^https://a|https://b"]], &mut spy).unwrap();
        assert_eq!(seen, ["^(?:^https://a|https://b)$"]);
    }

    #[test]
    fn proxy_response_gives_the_ticket_or_the_failure_2_7_2() {
        let ok = "<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'><cas:proxySuccess>\
                  <cas:proxyTicket>PT-1</cas:proxyTicket></cas:proxySuccess></cas:serviceResponse>";
        assert_eq!(proxy_ticket(ok).unwrap(), "PT-1");
        let no = "<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>\
                  <cas:proxyFailure code='INVALID_TICKET'>bad pgt</cas:proxyFailure>\
                  </cas:serviceResponse>";
        assert_eq!(
            proxy_ticket(no).unwrap_err().failure_code(),
            Some(FailureCode::InvalidTicket)
        );
        assert_eq!(
            proxy_ticket(&success(&[])).unwrap_err(),
            ClientError::UnexpectedResponse
        );
        assert_eq!(
            validate_response(ok, &Policy::default()).unwrap_err(),
            ClientError::UnexpectedResponse
        );
    }
}
