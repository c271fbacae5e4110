//! Request bodies, read as they stream in and never past a cap: an upload without a
//! `Content-Length` (or with a false one) cannot make the Worker hold more than the cap.

use worker::Result;
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;

/// Reads the body of `req`, at most `cap` bytes: `None` as soon as it grows past `cap`
/// (the rest is never read), whatever its `Content-Length` said. No body: empty.
pub async fn read(req: &web_sys::Request, cap: usize) -> Result<Option<Vec<u8>>> {
    let Some(stream) = req.body() else {
        return Ok(Some(Vec::new()));
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let (done, value) = (JsValue::from_str("done"), JsValue::from_str("value"));
    let mut body = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await?;
        if Reflect::get(&chunk, &done)?.is_truthy() {
            return Ok(Some(body));
        }
        let bytes: Uint8Array = Reflect::get(&chunk, &value)?.unchecked_into();
        let len = usize::try_from(bytes.length()).unwrap_or(usize::MAX);
        if len > cap.saturating_sub(body.len()) {
            // Stop the upload: nothing more of it is read.
            let _ = reader.cancel();
            return Ok(None);
        }
        let at = body.len();
        body.resize(at + len, 0);
        bytes.copy_to(&mut body[at..]);
    }
}
