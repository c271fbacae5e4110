//! Benchmark only: the runtime reference of `make bench-cpu` as a Rust Worker.
//!
//! The JavaScript reference (`bench/runtime-ref/index.js`) measures what the runtime itself
//! costs; casplus is a Rust Worker, and part of what it costs beyond that reference is Rust
//! on Workers itself: worker-build's entry shim, wasm-bindgen's glue and futures, the
//! strings and bytes passed between JavaScript and wasm. This Worker answers the same routes
//! with the same runtime work and no application code, built by the same toolchain (the
//! same workers-rs, wasm-bindgen, allocator and `make build-worker` flags), through the same
//! runtime interfaces the CAS Worker uses (the runtime's own `Request` and `Response`, the
//! object stub's `fetch`, the body read with one `arrayBuffer()`). So, measured in one run:
//!
//! - this Worker − the JavaScript reference = what Rust on Workers costs per request;
//! - casplus − this Worker = what casplus's own code costs (routing, the engine, its
//!   storage beyond the one row, serialisation, rendering).
//!
//! Routes (under `/cas/`, like casplus's; see `bench/runtime-ref/index.js` for each one's
//! meaning): `x` and anything unknown (404), `page`, `log`, `do`, `do2`, `do1log`, `put`,
//! `take`, `kvdo1log`. Query parameters `s` (the object's name) and `k` (the row).

#![forbid(unsafe_code)]
#![allow(missing_docs)] // `#[durable_object]` generates undocumented glue.

use futures_util::future::join;
use worker::js_sys::{Date, Uint8Array};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{self, Headers, ResponseInit};
use worker::{
    Context, DurableObject, Env, Request, Response, Result, State, durable_object, event,
};

#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A page the size of casplus's 404 (1 866 bytes of HTML, its stylesheet inline).
fn page_body() -> String {
    format!(
        "<!doctype html><title>Not found</title><style>{}</style><p>Not found.",
        "x".repeat(1799)
    )
}

/// The headers every casplus page carries.
const PAGE_HEADERS: [(&str, &str); 6] = [
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'sha256-r5N8fQOTO3EAvOF9RKBvWsTbm7cpfSEOWqxIoI0bXjw='; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
];

/// The path and query of `url` (`scheme://host/path?query`).
fn path_and_query(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.find('/').map_or("/", |i| &rest[i..]);
    rest.split_once('?').unwrap_or((rest, ""))
}

/// The value of `name` in `query` (no percent-decoding: the bench sends plain values).
fn param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find_map(|(n, v)| (n == name).then_some(v))
}

/// The runtime's `Response` with `status`, `headers` and `body`.
fn respond(status: u16, headers: &[(&str, &str)], body: &str) -> Result<web_sys::Response> {
    let init = ResponseInit::new();
    init.set_status(status);
    if !headers.is_empty() {
        let h = Headers::new()?;
        for (name, value) in headers {
            h.set(name, value)?;
        }
        init.set_headers_headers(&h);
    }
    Ok(web_sys::Response::new_with_opt_str_and_init(
        Some(body),
        &init,
    )?)
}

/// One audit-sized line, as casplus writes one per audited request.
fn audit() {
    let time = String::from(Date::new_0().to_iso_string());
    worker::console_log!(
        "{{\"event\":\"st_issued\",\"principal\":\"casuser\",\"service\":\"http://127.0.0.1:9/app\",\"ticket\":\"ST-1-…\",\"tgt\":\"TGT-1-…\",\"request_id\":\"0123456789abcdef\",\"time\":\"{time}\"}}"
    );
}

/// One round trip to the object named after `s`, doing `op` on the row `k` there: its
/// answer's text.
async fn round_trip(env: &Env, s: &str, op: &str, k: &str) -> Result<String> {
    let stub: worker::worker_sys::DurableObject = env
        .durable_object("REF")?
        .get_by_name(&format!("session-{s}"))?
        .into_rpc();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&Uint8Array::from(&[0u8; 96][..]).into());
    let req = web_sys::Request::new_with_str_and_init(&format!("https://ref/{op}?k={k}"), &init)?;
    let resp: web_sys::Response = JsFuture::from(stub.fetch_with_request(&req)?)
        .await?
        .unchecked_into();
    let bytes = JsFuture::from(resp.array_buffer()?).await?;
    Ok(String::from_utf8_lossy(&Uint8Array::new(&bytes).to_vec()).into_owned())
}

/// The Worker's `fetch`: the routes of the JavaScript reference.
#[event(fetch)]
pub async fn main(req: web_sys::Request, env: Env, _ctx: Context) -> Result<web_sys::Response> {
    let url = req.url();
    let (path, query) = path_and_query(&url);
    let s = param(query, "s").unwrap_or("");
    let k = param(query, "k").unwrap_or("x");
    match path {
        "/cas/page" => respond(404, &PAGE_HEADERS, &page_body()),
        "/cas/log" => {
            audit();
            respond(404, &[], "not found")
        }
        "/cas/do" => respond(200, &[], &round_trip(&env, s, "read", "x").await?),
        "/cas/do2" => {
            let first = round_trip(&env, s, "read", "x").await?;
            let second = round_trip(&env, s, "read", "x").await?;
            respond(200, &[], &(first + &second))
        }
        "/cas/do1log" => {
            let text = round_trip(&env, s, "read", "x").await?;
            audit();
            respond(200, &[], &text)
        }
        "/cas/put" | "/cas/take" => {
            let text = round_trip(&env, s, &path[5..], k).await?;
            audit();
            respond(200, &[], &text)
        }
        "/cas/kvdo1log" => {
            let kv = env.kv("KV")?;
            let key = format!("PGT-{s}");
            let (record, text) = join(kv.get(&key).bytes(), round_trip(&env, s, "read", "x")).await;
            let record = record.map_err(|e| worker::Error::RustError(e.to_string()))?;
            audit();
            respond(200, &[], &format!("{} {}", record.is_none(), text?))
        }
        _ => respond(404, &[], "not found"),
    }
}

/// The object: one table, one row operation per call (the path of the stub's request).
#[durable_object]
pub struct Ref {
    state: State,
}

impl DurableObject for Ref {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    /// `read` a row (the least any request that consults storage does), `put` a
    /// ticket-sized row (what issuing a service ticket must store: the row and its commit),
    /// `take` it (read and delete: what validating a service ticket must do for single use).
    async fn fetch(&self, req: Request) -> Result<Response> {
        let raw = req.inner();
        let body = JsFuture::from(raw.array_buffer()?).await?;
        let len = Uint8Array::new(&body).length();
        let url = raw.url();
        let (path, query) = path_and_query(&url);
        let k = param(query, "k").unwrap_or("x");
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS entries (k TEXT PRIMARY KEY, v BLOB NOT NULL)",
            None,
        )?;
        let cursor = match path {
            "/put" => sql.exec(
                "INSERT OR REPLACE INTO entries (k, v) VALUES (?, ?) RETURNING 1",
                vec![k.into(), vec![0u8; 300].into()],
            )?,
            "/take" => sql.exec(
                "DELETE FROM entries WHERE k = ? RETURNING v",
                vec![k.into()],
            )?,
            _ => sql.exec("SELECT v FROM entries WHERE k = ?", vec![k.into()])?,
        };
        let rows = cursor.raw().count();
        Response::ok(format!("{len} {rows}"))
    }
}
