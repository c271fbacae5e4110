//! The URLs a CAS client sends browsers and its own requests to (CAS 3.0 §2.1–§2.9), and the
//! service URL it names itself by.
//!
//! Every parameter value is percent-encoded as `application/x-www-form-urlencoded` (the
//! service in particular: §2.1.1 "the service parameter MUST be URL-encoded"), so a service
//! with its own query (`https://app/?a=1&b=2`) arrives at the server as one value.
//!
//! The service URL ([`service_url`]) is built from a base the application configured, never
//! from what a request claims about itself, unless the application says so
//! ([`ServiceBase::RequestHost`], [`ServiceBase::Forwarded`]): a `Host` or `X-Forwarded-Host`
//! header is attacker-controlled, and a service URL built from it lets a phished user's ticket
//! be validated for another host.

use super::super::params::append_query;

/// The protocol version a client validates with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
pub enum Protocol {
    /// CAS 1.0: `/validate` (§2.4), plain text, no attributes, no proxying.
    #[serde(rename = "1")]
    V1,
    /// CAS 2.0: `/serviceValidate`, `/proxyValidate` (§2.5, §2.6).
    #[serde(rename = "2")]
    V2,
    /// CAS 3.0: `/p3/serviceValidate`, `/p3/proxyValidate` (§2.8, §2.9) with attributes.
    #[default]
    #[serde(rename = "3")]
    V3,
}

/// The response syntax a client asks for (§2.5.1 `format`, CAS 3.0 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Format {
    /// XML (the default: no `format` parameter is sent).
    #[default]
    Xml,
    /// `format=JSON`.
    Json,
}

/// `{cas}{path}` with exactly one `/` between them (`cas` may end with `/`).
fn endpoint(cas: &str, path: &str) -> String {
    let mut out = String::with_capacity(cas.len() + path.len());
    out.push_str(cas.trim_end_matches('/'));
    out.push_str(path);
    out
}

/// `/login` (§2.1.1) for `service`, with `renew=true` (§2.1.1: the user must present primary
/// credentials again) or `gateway=true` (§2.1.1: never ask for credentials; come back without
/// a ticket if there is no SSO session). §2.1.1: the two are not set together; `renew` wins.
pub fn login_url(cas: &str, service: &str, renew: bool, gateway: bool) -> String {
    let mut pairs = vec![("service", service)];
    if renew {
        pairs.push(("renew", "true"));
    } else if gateway {
        pairs.push(("gateway", "true"));
    }
    append_query(&endpoint(cas, "/login"), &pairs)
}

/// `/logout` (§2.3.1), with the optional `service` to come back to after logging out.
pub fn logout_url(cas: &str, service: Option<&str>) -> String {
    let pairs: Vec<(&str, &str)> = service.map(|s| ("service", s)).into_iter().collect();
    append_query(&endpoint(cas, "/logout"), &pairs)
}

/// What a ticket validation request says besides the ticket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidateRequest<'a> {
    /// Protocol version (decides the endpoint).
    pub protocol: Protocol,
    /// `/proxyValidate` instead of `/serviceValidate`: accept proxy tickets too (§2.6).
    pub proxy: bool,
    /// The service the ticket was issued for (§2.5.1 `service`).
    pub service: &'a str,
    /// `renew=true` (§2.5.1): only tickets from a fresh primary login validate.
    pub renew: bool,
    /// `pgtUrl` (§2.5.1, §2.5.4): where the server sends the PGT (not for CAS 1.0).
    pub pgt_url: Option<&'a str>,
    /// `format=JSON` (§2.5.1; CAS 3.0 only — ignored otherwise).
    pub format: Format,
}

/// The validation URL for `ticket` (§2.4.1 `/validate`, §2.5.1 `/serviceValidate`, §2.6.1
/// `/proxyValidate`, §2.8 and §2.9 their `/p3/` forms). A CAS 1.0 request never proxies.
pub fn validate_url(cas: &str, ticket: &str, r: &ValidateRequest<'_>) -> String {
    let path = match (r.protocol, r.proxy) {
        (Protocol::V1, _) => "/validate",
        (Protocol::V2, false) => "/serviceValidate",
        (Protocol::V2, true) => "/proxyValidate",
        (Protocol::V3, false) => "/p3/serviceValidate",
        (Protocol::V3, true) => "/p3/proxyValidate",
    };
    let mut pairs = vec![("service", r.service), ("ticket", ticket)];
    if r.renew {
        pairs.push(("renew", "true"));
    }
    if let (true, Some(pgt_url)) = (r.protocol != Protocol::V1, r.pgt_url) {
        pairs.push(("pgtUrl", pgt_url));
    }
    if r.protocol == Protocol::V3 && r.format == Format::Json {
        pairs.push(("format", "JSON"));
    }
    append_query(&endpoint(cas, path), &pairs)
}

/// `/proxy` (§2.7.1): a proxy ticket for `target_service`, asked with the PGT `pgt`.
pub fn proxy_url(cas: &str, pgt: &str, target_service: &str) -> String {
    append_query(
        &endpoint(cas, "/proxy"),
        &[("pgt", pgt), ("targetService", target_service)],
    )
}

/// Where the scheme and authority of the service URL come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceBase<'a> {
    /// A fixed base the application configured (`https://app.example`, or with a path
    /// prefix the request path must start with). The safe choice.
    Fixed(&'a str),
    /// The request URL's own scheme and host (the `Host` header): only behind a proxy that
    /// sets `Host` itself.
    RequestHost,
    /// `X-Forwarded-Proto` and `X-Forwarded-Host` (first value of each), falling back to
    /// the request URL: only behind a proxy that overwrites them.
    Forwarded {
        /// `X-Forwarded-Proto`, if sent.
        proto: Option<&'a str>,
        /// `X-Forwarded-Host`, if sent.
        host: Option<&'a str>,
    },
}

/// Why a service URL could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceUrlError {
    /// The request URL or the configured base is not an absolute http(s) URL.
    #[error("not an absolute http(s) URL")]
    BadUrl,
    /// A forwarded scheme other than http/https, or a forwarded host with characters a
    /// host cannot have.
    #[error("bad forwarded scheme or host")]
    BadForwarded,
    /// The request path is outside the configured base's path.
    #[error("request path outside the service base")]
    OutsideBase,
}

/// The canonical service URL of a request (§2.2.4, Appendix B): the base chosen by
/// `base`, the request's path and its query without any `ticket` parameter, no fragment.
/// The other query pairs keep their order but are decoded and re-encoded
/// (`application/x-www-form-urlencoded`): servers that rebuild the query when they append
/// the ticket (django-cas-server puts it first and writes `%20` as `+`) then send back a URL
/// whose canonical form is the one the login named, as validation requires (§2.5.1).
pub fn service_url(base: ServiceBase<'_>, request_url: &str) -> Result<String, ServiceUrlError> {
    let req = crate::url::parse_http(request_url).map_err(|_| ServiceUrlError::BadUrl)?;
    let path = if req.path().is_empty() {
        "/"
    } else {
        req.path()
    };
    let mut out = match base {
        ServiceBase::Fixed(b) => {
            let b = crate::url::parse_http(b).map_err(|_| ServiceUrlError::BadUrl)?;
            let origin = b.origin().ok_or(ServiceUrlError::BadUrl)?;
            let prefix = b.path().trim_end_matches('/');
            if !(path == prefix || path.starts_with(&format!("{prefix}/"))) {
                return Err(ServiceUrlError::OutsideBase);
            }
            origin
        }
        ServiceBase::RequestHost => req.origin().ok_or(ServiceUrlError::BadUrl)?,
        ServiceBase::Forwarded { proto, host } => {
            let proto = proto
                .and_then(|p| p.split(',').next())
                .map(str::trim)
                .unwrap_or(req.scheme());
            if !matches!(proto, "http" | "https") {
                return Err(ServiceUrlError::BadForwarded);
            }
            let authority = match host.and_then(|h| h.split(',').next()).map(str::trim) {
                Some(h) => h.to_owned(),
                None => req
                    .origin()
                    .and_then(|o| o.split_once("://").map(|(_, a)| a.to_owned()))
                    .ok_or(ServiceUrlError::BadUrl)?,
            };
            let candidate = format!("{proto}://{authority}/");
            let u =
                crate::url::parse_http(&candidate).map_err(|_| ServiceUrlError::BadForwarded)?;
            if u.path() != "/" || u.userinfo().is_some() {
                return Err(ServiceUrlError::BadForwarded);
            }
            u.origin().ok_or(ServiceUrlError::BadForwarded)?
        }
    };
    out.push_str(path);
    let mut kept = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (name, value) in form_urlencoded::parse(req.query().unwrap_or_default().as_bytes()) {
        if name != "ticket" {
            kept.append_pair(&name, &value);
            any = true;
        }
    }
    if any {
        out.push('?');
        out.push_str(&kept.finish());
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const CAS: &str = "https://cas.example/cas/";

    #[test]
    fn login_url_encodes_the_service_2_1_1() {
        assert_eq!(
            login_url(CAS, "https://app.example/a?x=1&y=2", false, false),
            "https://cas.example/cas/login?service=https%3A%2F%2Fapp.example%2Fa%3Fx%3D1%26y%3D2"
        );
        assert!(login_url(CAS, "s", true, true).ends_with("&renew=true"));
        assert!(login_url(CAS, "s", false, true).ends_with("&gateway=true"));
    }

    #[test]
    fn logout_url_with_and_without_service_2_3_1() {
        assert_eq!(logout_url(CAS, None), "https://cas.example/cas/logout");
        assert_eq!(
            logout_url("https://cas.example", Some("https://a/")),
            "https://cas.example/logout?service=https%3A%2F%2Fa%2F"
        );
    }

    #[test]
    fn validate_url_per_protocol_2_4_to_2_9() {
        let mut r = ValidateRequest {
            service: "https://a/?q=1",
            pgt_url: Some("https://a/pgt"),
            format: Format::Json,
            renew: true,
            ..Default::default()
        };
        assert_eq!(
            validate_url(CAS, "ST-1", &r),
            "https://cas.example/cas/p3/serviceValidate?service=https%3A%2F%2Fa%2F%3Fq%3D1\
             &ticket=ST-1&renew=true&pgtUrl=https%3A%2F%2Fa%2Fpgt&format=JSON"
        );
        r.proxy = true;
        assert!(validate_url(CAS, "PT-1", &r).contains("/p3/proxyValidate?"));
        r.protocol = Protocol::V2;
        let v2 = validate_url(CAS, "PT-1", &r);
        assert!(v2.starts_with("https://cas.example/cas/proxyValidate?"));
        assert!(!v2.contains("format"), "format is CAS 3.0 only: {v2}");
        r.protocol = Protocol::V1;
        let v1 = validate_url(CAS, "ST-1", &r);
        assert!(v1.starts_with("https://cas.example/cas/validate?"));
        assert!(!v1.contains("pgtUrl"), "CAS 1.0 has no proxying: {v1}");
    }

    #[test]
    fn proxy_url_2_7_1() {
        assert_eq!(
            proxy_url(CAS, "PGT-1", "https://b/x"),
            "https://cas.example/cas/proxy?pgt=PGT-1&targetService=https%3A%2F%2Fb%2Fx"
        );
    }

    #[test]
    fn service_url_drops_ticket_and_fragment_keeps_the_rest_2_2_4() {
        let fixed = ServiceBase::Fixed("https://app.example");
        assert_eq!(
            service_url(fixed, "http://evil.example/p?a=1&ticket=ST-1&b=%20#f").unwrap(),
            "https://app.example/p?a=1&b=+"
        );
        // The URL a server sends back (ticket first, query re-encoded) has the same
        // canonical form as the one the login named.
        assert_eq!(
            service_url(fixed, "https://app.example/p?ticket=ST-1&a=1&b=+").unwrap(),
            service_url(fixed, "https://app.example/p?a=1&b=%20").unwrap()
        );
        assert_eq!(
            service_url(fixed, "https://app.example/?%74icket=ST-1").unwrap(),
            "https://app.example/"
        );
        assert_eq!(
            service_url(fixed, "https://app.example").unwrap(),
            "https://app.example/"
        );
    }

    #[test]
    fn service_url_never_trusts_host_unless_told() {
        // The fixed base wins over whatever Host the request came with.
        let fixed = ServiceBase::Fixed("https://app.example:8443/app/");
        assert_eq!(
            service_url(fixed, "https://attacker.example/app/x?ticket=T").unwrap(),
            "https://app.example:8443/app/x"
        );
        assert_eq!(
            service_url(fixed, "https://app.example/other").unwrap_err(),
            ServiceUrlError::OutsideBase
        );
        assert_eq!(
            service_url(ServiceBase::RequestHost, "http://h.example:8788/a?ticket=1").unwrap(),
            "http://h.example:8788/a"
        );
        let fwd = ServiceBase::Forwarded {
            proto: Some("https, http"),
            host: Some("front.example, inner"),
        };
        assert_eq!(
            service_url(fwd, "http://inner:8080/a").unwrap(),
            "https://front.example/a"
        );
        for (proto, host) in [
            (Some("javascript"), None),
            (None, Some("evil.example/x")),
            (None, Some("u@evil.example")),
        ] {
            let fwd = ServiceBase::Forwarded { proto, host };
            assert_eq!(
                service_url(fwd, "http://inner/a").unwrap_err(),
                ServiceUrlError::BadForwarded
            );
        }
    }
}
