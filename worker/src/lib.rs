//! casplus Worker: the CAS engine served on Cloudflare Workers.
use worker::*;

/// Entry point: routes requests.
#[event(fetch)]
pub async fn main(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let kv = env.kv("TICKETS")?;
    kv.put("k", "v")?.expiration_ttl(60).execute().await?;
    let ns = env.durable_object("GUARD")?;
    let stub = ns.id_from_name("x")?.get_stub()?;
    let mut r = stub.fetch_with_str("https://guard/take?k=a").await?;
    Response::ok(format!("casplus {} {}", req.path(), r.text().await?))
}

/// Durable Object: atomic take-once.
#[durable_object]
pub struct TicketGuard {
    state: State,
}

impl DurableObject for TicketGuard {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        let st = self.state.storage();
        let v: Option<String> = st.get("a").await?;
        st.put("a", "taken").await?;
        Response::ok(format!("{v:?}"))
    }
}
