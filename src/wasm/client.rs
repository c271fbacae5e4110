//! wasm-bindgen exports of `casplus/client` (feature `wasm-client`): the sans-IO CAS client
//! core ([`crate::cas::client`]) for the package's `createCasClient` (npm/client/), which
//! performs the requests, keeps sessions and reads the clock. Internal to the package: the
//! public API is the JavaScript wrapper and its declarations (`client/index.d.ts`).
//!
//! Each export makes one core call; failures throw a JavaScript `Error` whose `code` is the
//! core's (`INVALID_TICKET`, `PROXY_CHAIN_NOT_ALLOWED`, `XML_DOCTYPE`, …). Unlike the other
//! modules, nothing is read or written with `serde_json` (the module's size budget is 60 KB
//! gzip, bench/RESULTS.md): arguments are strings and arrays, the assertion is JSON text
//! written here for `JSON.parse`, the PGT record a plain object, and proxy-chain patterns are
//! the host's `RegExp`s.

use wasm_bindgen::prelude::*;

use super::{codes, js_error};
use crate::cas::client::logout::parse_logout_form;
use crate::cas::client::pgt::{self, Callback, StoredPgt};
use crate::cas::client::urls::{self, Format, Protocol, ServiceBase, ValidateRequest};
use crate::cas::client::validate::{self, Pattern, Policy, ProxyChains};
use crate::time::Timestamp;

fn protocol(p: &str) -> Result<Protocol, JsValue> {
    match p {
        "1" => Ok(Protocol::V1),
        "2" => Ok(Protocol::V2),
        "3" => Ok(Protocol::V3),
        _ => Err(js_error(
            codes::INVALID_OPTIONS,
            "protocol must be 1, 2 or 3",
            None,
        )),
    }
}

/// `/login` URL (§2.1.1).
#[wasm_bindgen(js_name = loginUrl)]
pub fn login_url(cas: &str, service: &str, renew: bool, gateway: bool) -> String {
    urls::login_url(cas, service, renew, gateway)
}

/// `/logout` URL (§2.3.1), with an optional `service`.
#[wasm_bindgen(js_name = logoutUrl)]
pub fn logout_url(cas: &str, service: Option<String>) -> String {
    urls::logout_url(cas, service.as_deref())
}

/// Validation URL (§2.4–§2.9) for protocol `"1"`, `"2"` or `"3"`.
#[wasm_bindgen(js_name = validateUrl)]
#[allow(clippy::too_many_arguments)]
pub fn validate_url(
    cas: &str,
    ticket: &str,
    protocol_version: &str,
    proxy: bool,
    service: &str,
    renew: bool,
    pgt_url: Option<String>,
    json: bool,
) -> Result<String, JsValue> {
    let r = ValidateRequest {
        protocol: protocol(protocol_version)?,
        proxy,
        service,
        renew,
        pgt_url: pgt_url.as_deref(),
        format: if json { Format::Json } else { Format::Xml },
    };
    Ok(urls::validate_url(cas, ticket, &r))
}

/// `/proxy` URL (§2.7.1).
#[wasm_bindgen(js_name = proxyUrl)]
pub fn proxy_url(cas: &str, pgt: &str, target_service: &str) -> String {
    urls::proxy_url(cas, pgt, target_service)
}

/// The canonical service URL of a request (`ticket` dropped): base `mode` is `"fixed"`
/// (`base` is the configured service URL), `"host"` (trust the request's host) or
/// `"forwarded"` (trust `X-Forwarded-Proto`/`-Host`). Throws `BAD_SERVICE_URL`.
#[wasm_bindgen(js_name = serviceUrl)]
pub fn service_url(
    mode: &str,
    base: &str,
    request_url: &str,
    forwarded_proto: Option<String>,
    forwarded_host: Option<String>,
) -> Result<String, JsValue> {
    let base = match mode {
        "fixed" => ServiceBase::Fixed(base),
        "host" => ServiceBase::RequestHost,
        _ => ServiceBase::Forwarded {
            proto: forwarded_proto.as_deref(),
            host: forwarded_host.as_deref(),
        },
    };
    urls::service_url(base, request_url)
        .map_err(|e| js_error("BAD_SERVICE_URL", &e.to_string(), None))
}

/// A ticket validator: the client's policy (proxy tickets, allowed chains) compiled once.
#[wasm_bindgen]
pub struct Validator {
    policy: Policy,
}

/// A JavaScript `RegExp`: the host's engine for proxy-chain patterns.
struct HostRegExp(js_sys::RegExp);

impl Pattern for HostRegExp {
    fn is_match(&self, text: &str) -> bool {
        self.0.test(text)
    }
}

#[wasm_bindgen]
extern "C" {
    /// `new RegExp(source)`, catching the `SyntaxError` of a bad pattern.
    #[wasm_bindgen(catch, js_namespace = globalThis, js_name = RegExp)]
    fn new_regexp(source: &str) -> Result<js_sys::RegExp, JsValue>;
}

/// Compiles an anchored proxy-chain pattern with the host's `RegExp` (no flags).
fn host_regexp(source: &str) -> Option<Box<dyn Pattern>> {
    let re = new_regexp(source).ok()?;
    Some(Box::new(HostRegExp(re)))
}

#[wasm_bindgen]
impl Validator {
    /// `chains`: an array of chains (arrays of strings; an entry starting with `^` is a
    /// regular expression, compiled with JavaScript's `RegExp`). Throws `INVALID_OPTIONS`.
    #[wasm_bindgen(constructor)]
    pub fn new(accept_proxy_tickets: bool, chains: &JsValue) -> Result<Validator, JsValue> {
        let bad = |m: &str| js_error(codes::INVALID_OPTIONS, m, None);
        let shape = "allowedProxyChains must be an array of arrays of strings";
        let mut list: Vec<Vec<String>> = Vec::new();
        if !js_sys::Array::is_array(chains) {
            return Err(bad(shape));
        }
        for chain in js_sys::Array::from(chains).iter() {
            if !js_sys::Array::is_array(&chain) {
                return Err(bad(shape));
            }
            let mut links = Vec::new();
            for link in js_sys::Array::from(&chain).iter() {
                links.push(link.as_string().ok_or_else(|| bad(shape))?);
            }
            list.push(links);
        }
        let chains = ProxyChains::new(&list, &mut host_regexp)
            .map_err(|e| bad(&["allowedProxyChains: ", &e.to_string()].concat()))?;
        Ok(Validator {
            policy: Policy {
                accept_proxy_tickets,
                chains,
            },
        })
    }

    /// Validates a validation response body, as the bytes of the HTTP response (UTF-8;
    /// ill-formed sequences become U+FFFD as `Response.text()` would make them): `{ user,
    /// attributes, proxies, pgtIou }`, or throws with the CAS code (`INVALID_TICKET`, …) or the
    /// client's (`PROXY_NOT_ACCEPTED`, `PROXY_CHAIN_NOT_ALLOWED`, parse codes). Bytes rather
    /// than a string: a `Uint8Array` is copied into wasm memory in one `set`, where a string
    /// goes through the glue's per-character loop (bench/RESULTS.md, issue 17).
    pub fn validate(&self, body: &[u8]) -> Result<JsValue, JsValue> {
        let body = match std::str::from_utf8(body) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(body),
        };
        match validate::validate_response(&body, &self.policy) {
            Ok(a) => assertion_to_js(&a, body.len()),
            Err(e) => Err(js_error(e.code(), &e.to_string(), None)),
        }
    }
}

/// Appends `s` as a JSON string (RFC 8259 §7: `"`, `\\` and control characters escaped), the
/// runs between escapes copied whole.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    while let Some(i) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)
    {
        // `i` is an ASCII byte, so a character boundary.
        out.push_str(rest.get(..i).unwrap_or_default());
        match rest.as_bytes().get(i).copied().unwrap_or_default() {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b => {
                out.push_str("\\u00");
                out.extend(char::from_digit(u32::from(b >> 4), 16));
                out.extend(char::from_digit(u32::from(b & 15), 16));
            }
        }
        rest = rest.get(i + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out.push('"');
}

fn push_json_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, v);
    }
    out.push(']');
}

/// A plain object `{ user, attributes, proxies, pgtIou }` (the camelCase of
/// [`validate::Assertion`]; `pgtIou` null when absent). Written as one JSON text and given to
/// the engine's `JSON.parse`: one string crosses instead of one per name and value, which
/// measured 1.5× faster for a hundred attributes (bench/RESULTS.md), without `serde_json`'s
/// serializer in the module.
fn assertion_to_js(a: &validate::Assertion, body_len: usize) -> Result<JsValue, JsValue> {
    // The JSON text is shorter than the XML it came from, bar escapes: one allocation.
    let mut out = String::with_capacity(body_len);
    out.push_str("{\"user\":");
    push_json_str(&mut out, &a.user);
    out.push_str(",\"attributes\":{");
    for (i, (name, values)) in a.attributes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(&mut out, name);
        out.push(':');
        push_json_list(&mut out, values);
    }
    out.push_str("},\"proxies\":");
    push_json_list(&mut out, &a.proxies);
    out.push_str(",\"pgtIou\":");
    match &a.pgt_iou {
        Some(iou) => push_json_str(&mut out, iou),
        None => out.push_str("null"),
    }
    out.push('}');
    js_sys::JSON::parse(&out).map_err(|_| js_error(codes::INTERNAL, "JSON.parse failed", None))
}

/// The proxy ticket of a `/proxy` response (§2.7.2), or throws with the failure's code.
#[wasm_bindgen(js_name = proxyTicket)]
pub fn proxy_ticket(body: &str) -> Result<String, JsValue> {
    validate::proxy_ticket(body).map_err(|e| js_error(e.code(), &e.to_string(), None))
}

/// Reads a `pgtUrl` callback query (§2.5.4): `[pgtIou, pgt]`, or `undefined` for a probe;
/// throws `BAD_PGT_CALLBACK`.
#[wasm_bindgen(js_name = pgtCallback)]
pub fn pgt_callback(query: &str) -> Result<Option<Vec<String>>, JsValue> {
    match pgt::parse_callback(query) {
        Ok(Callback::Probe) => Ok(None),
        Ok(Callback::Deliver(p)) => Ok(Some(vec![p.pgt_iou, p.pgt])),
        Err(e) => Err(js_error("BAD_PGT_CALLBACK", &e.to_string(), None)),
    }
}

/// The record to store under a PGTIOU: `{ pgt, expires }` (a plain object for the store's
/// `JSON.stringify`), kept `ttl_secs` from `now_ms`.
#[wasm_bindgen(js_name = keepPgt)]
pub fn keep_pgt(pgt_iou: &str, pgt: &str, now_ms: f64, ttl_secs: f64) -> JsValue {
    let pair = pgt::PgtPair {
        pgt_iou: pgt_iou.to_owned(),
        pgt: pgt.to_owned(),
    };
    let kept = pair.keep(Timestamp(now_ms as i64), ttl_secs as i64);
    let out = js_sys::Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&out, &"pgt".into(), &kept.pgt.into());
    let _ = js_sys::Reflect::set(&out, &"expires".into(), &(kept.expires.0 as f64).into());
    out.into()
}

/// The PGT of a stored record (as [`keep_pgt`] made it, read back with `JSON.parse`) if it
/// has not lapsed at `now_ms`; `undefined` for anything else.
#[wasm_bindgen(js_name = claimPgt)]
pub fn claim_pgt(stored: &JsValue, now_ms: f64) -> Option<String> {
    let field = |name: &str| js_sys::Reflect::get(stored, &name.into()).ok();
    let kept = StoredPgt {
        pgt: field("pgt")?.as_string()?,
        expires: Timestamp(field("expires")?.as_f64()? as i64),
    };
    pgt::claim(&kept, Timestamp(now_ms as i64)).map(str::to_owned)
}

/// The session index (service ticket) of a back-channel `logoutRequest` POST body
/// (§2.3.3); `undefined` when the body has no `logoutRequest` parameter (an ordinary form
/// POST of the application); throws with the parser's code.
#[wasm_bindgen(js_name = logoutSessionIndex)]
pub fn logout_session_index(body: &[u8]) -> Result<Option<String>, JsValue> {
    parse_logout_form(body)
        .map(|r| r.map(|r| r.session_index))
        .map_err(|e| js_error(e.code(), &e.to_string(), Some(e.offset)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::push_json_str;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls_rfc_8259_7() {
        let json = |s: &str| {
            let mut out = String::new();
            push_json_str(&mut out, s);
            out
        };
        assert_eq!(json(""), r#""""#);
        assert_eq!(json("plain Jörg 😀"), "\"plain Jörg 😀\"");
        assert_eq!(json(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            json("\u{0}\n\u{1f}\u{7f}x"),
            "\"\\u0000\\u000a\\u001f\u{7f}x\""
        );
        assert_eq!(json("\"\""), r#""\"\"""#);
        // Every control character comes back from a JSON reader as it went in.
        let all: String = (0u8..0x20).map(char::from).chain("é\"\\".chars()).collect();
        let back: String = serde_json::from_str(&json(&all)).unwrap();
        assert_eq!(back, all);
    }
}
