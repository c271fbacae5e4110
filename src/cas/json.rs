//! CAS 3.0 JSON responses (`format=JSON`, §2.5.1; examples in §2.5.2, §2.5.7, §2.6.2, §2.7.2).
//!
//! Shape: `{"serviceResponse": {"authenticationSuccess": {"user", "proxyGrantingTicket",
//! "proxies", "attributes"}}}`, `{"serviceResponse": {"authenticationFailure": {"code",
//! "description"}}}`, `proxySuccess: {"proxyTicket"}` and `proxyFailure: {"code",
//! "description"}`. Decisions where the spec is loose:
//!
//! - An attribute with one value is a string, with several an array (§2.5.7's example);
//!   attributes with no values are left out, as in XML.
//! - `proxyGrantingTicket`, `proxies` and `attributes` are left out when absent or empty
//!   (§2.5.2's example has neither `proxies` nor `attributes`).
//! - `proxies` keeps the model's order, most recent proxy first, the order §2.6.2 requires of
//!   the XML block. (§2.6.2's JSON example lists `proxy1` first while its XML lists `proxy2`
//!   first; the XML rule is the normative one.)
//! - A `/proxy` failure is `proxyFailure`, mirroring the XML element (§2.7.2's JSON example
//!   says `authenticationFailure`, apparently copied; [`super::client`] accepts both).
//! - JSON carries every character exactly, so attribute values and descriptions are not
//!   altered; the principal follows the same rule as in XML
//!   ([`super::xml::is_representable_user`]): a user some client could read differently turns
//!   the success into `INTERNAL_ERROR`, so a response never differs by format.

// Renderers and parsers here face hostile input: no indexing, unwraps or panics.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use serde::Serialize;

use super::response::{Failure, ServiceResponse, Success};
use super::xml::{is_representable_user, ordered_attributes, unrepresentable_failure};

#[derive(Serialize)]
struct Doc<'a> {
    #[serde(rename = "serviceResponse")]
    service_response: Body<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Body<'a> {
    AuthenticationSuccess(SuccessJson<'a>),
    AuthenticationFailure(FailureJson<'a>),
    ProxySuccess {
        #[serde(rename = "proxyTicket")]
        proxy_ticket: &'a str,
    },
    ProxyFailure(FailureJson<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuccessJson<'a> {
    user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    proxy_granting_ticket: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    proxies: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "attributes")]
    attributes: Vec<(&'a str, &'a [String])>,
}

#[derive(Serialize)]
struct FailureJson<'a> {
    code: &'static str,
    description: &'a str,
}

/// One value → a string, several → an array (§2.5.7).
#[derive(Serialize)]
#[serde(untagged)]
enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

fn attributes<S: serde::Serializer>(attrs: &[(&str, &[String])], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(attrs.iter().map(|(name, values)| {
        let v = match values {
            [one] => Values::One(one),
            many => Values::Many(many),
        };
        (*name, v)
    }))
}

fn failure(f: &Failure) -> FailureJson<'_> {
    FailureJson {
        code: f.code.as_str(),
        description: &f.description,
    }
}

fn success(s: &Success) -> SuccessJson<'_> {
    SuccessJson {
        user: &s.user,
        proxy_granting_ticket: s.proxy_granting_ticket.as_deref(),
        proxies: &s.proxies,
        attributes: ordered_attributes(&s.attributes).collect(),
    }
}

/// Renders a CAS 3.0 JSON service response (pretty-printed, two-space indent, like the
/// spec's examples). Total: every input gives valid JSON.
pub fn render(resp: &ServiceResponse) -> String {
    let internal;
    let body = match resp {
        ServiceResponse::AuthenticationSuccess(s) if is_representable_user(&s.user) => {
            Body::AuthenticationSuccess(success(s))
        }
        ServiceResponse::AuthenticationSuccess(_) => {
            internal = unrepresentable_failure();
            Body::AuthenticationFailure(failure(&internal))
        }
        ServiceResponse::AuthenticationFailure(f) => Body::AuthenticationFailure(failure(f)),
        ServiceResponse::ProxySuccess { proxy_ticket } => Body::ProxySuccess { proxy_ticket },
        ServiceResponse::ProxyFailure(f) => Body::ProxyFailure(failure(f)),
    };
    // Serialising borrowed strings into a String cannot fail; the fallback keeps this total.
    serde_json::to_string_pretty(&Doc { service_response: body }).unwrap_or_else(|_| {
        r#"{"serviceResponse":{"authenticationFailure":{"code":"INTERNAL_ERROR","description":""}}}"#.to_owned()
    })
}
