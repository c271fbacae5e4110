//! Test support: the known-answer codec vectors of `tests/vectors` (one JSON file per body
//! kind, made by independent implementations), read once for every unit test that needs them.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::Key;

/// One vector: its name, the PDU bytes and the key that de-obfuscates them.
pub(crate) struct Vector {
    /// The vector's name.
    pub name: String,
    /// The whole PDU, as on the wire.
    pub wire: Vec<u8>,
    /// Its shared secret (empty for unencrypted vectors).
    pub key: Key,
}

/// Every codec vector, in file order (authen_start … acct_reply).
pub(crate) fn codec_vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    for kind in [
        "authen_start",
        "authen_reply",
        "authen_continue",
        "author_request",
        "author_response",
        "acct_request",
        "acct_reply",
    ] {
        let path = format!("{}/tests/vectors/{kind}.json", env!("CARGO_MANIFEST_DIR"));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for v in doc["vectors"].as_array().unwrap() {
            out.push(Vector {
                name: v["name"].as_str().unwrap().to_owned(),
                wire: crate::codec::hex::decode(v["pdu_hex"].as_str().unwrap()).unwrap(),
                key: Key::from_hex(v["key_hex"].as_str().unwrap_or("")).unwrap(),
            });
        }
    }
    assert!(out.len() >= 40, "{} vectors", out.len());
    out
}
