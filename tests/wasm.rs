//! The codec compiled to wasm32 and run in Node (wasm-bindgen-test-runner):
//! `cargo test --target wasm32-unknown-unknown --no-default-features --features wasm --test wasm`
//! (`make test-wasm`). Decodes independently produced vectors (tests/vectors) and checks
//! their fields, as tests/vectors.rs does natively. Native `cargo test` compiles nothing here.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use casplus::tacacs::{
    Body, BodyState, DecodeOptions, Decoded, Key, Pdu, codes, decode_all, decode_pdu, encode_packet,
};
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

const FILES: &[&str] = &[
    include_str!("vectors/authen_start.json"),
    include_str!("vectors/authen_reply.json"),
    include_str!("vectors/authen_continue.json"),
    include_str!("vectors/author_request.json"),
    include_str!("vectors/author_response.json"),
    include_str!("vectors/acct_request.json"),
    include_str!("vectors/acct_reply.json"),
];

fn unhex(s: &str) -> Vec<u8> {
    casplus::codec::hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s}: {e:?}"))
}

fn vectors() -> Vec<Value> {
    FILES
        .iter()
        .flat_map(|f| {
            let doc: Value = serde_json::from_str(f).unwrap();
            doc["vectors"].as_array().unwrap().clone()
        })
        .collect()
}

fn decode(v: &Value, key: &[u8]) -> Pdu {
    let opts = DecodeOptions::with_key(Key::new(key));
    match decode_pdu(&unhex(v["pdu_hex"].as_str().unwrap()), &opts) {
        Decoded::Complete(p) => p,
        Decoded::Partial { needed, .. } => panic!("{}: partial, needs {needed}", v["name"]),
    }
}

fn hex_field(body: &Value, f: &str) -> Vec<u8> {
    unhex(body[format!("{f}_hex")].as_str().unwrap())
}

#[wasm_bindgen_test]
fn every_vector_decodes_in_wasm32_to_the_independent_fields_4_5() {
    let all = vectors();
    assert!(all.len() >= 40);
    for v in &all {
        let name = v["name"].as_str().unwrap();
        let pdu = decode(v, &unhex(v["key_hex"].as_str().unwrap()));
        let e = &v["expected"];
        assert_eq!(
            u64::from(pdu.header.session_id),
            e["header"]["session_id"].as_u64().unwrap()
        );
        assert_eq!(
            pdu.body_clear,
            unhex(e["body_clear_hex"].as_str().unwrap()),
            "{name}"
        );
        assert_eq!(
            pdu.body.kind().as_str(),
            e["body"]["kind"].as_str().unwrap(),
            "{name}"
        );
        let b = &e["body"];
        match &pdu.body {
            Body::AuthenStart(s) => {
                assert_eq!(s.user, hex_field(b, "user"), "{name}");
                assert_eq!(s.data, hex_field(b, "data"), "{name}");
                assert_eq!(
                    u64::from(s.authen_type.0),
                    b["authen_type"].as_u64().unwrap()
                );
            }
            Body::AuthenReply(r) => {
                assert_eq!(r.server_msg, hex_field(b, "server_msg"), "{name}");
                assert_eq!(u64::from(r.status.0), b["status"].as_u64().unwrap());
            }
            Body::AuthenContinue(c) => assert_eq!(c.user_msg, hex_field(b, "user_msg"), "{name}"),
            Body::AuthorRequest(r) => {
                assert_eq!(r.args.len(), b["args_hex"].as_array().unwrap().len())
            }
            Body::AuthorResponse(r) => {
                assert_eq!(r.args.len(), b["args_hex"].as_array().unwrap().len())
            }
            Body::AcctRequest(r) => assert_eq!(u64::from(r.flags.0), b["flags"].as_u64().unwrap()),
            Body::AcctReply(r) => assert_eq!(u64::from(r.status.0), b["status"].as_u64().unwrap()),
            other => panic!("{name}: undecoded {other:?}"),
        }
        let key = Key::new(unhex(v["key_hex"].as_str().unwrap()));
        let again = encode_packet(&pdu.header, &pdu.body, Some(&key)).unwrap();
        assert_eq!(
            again,
            unhex(v["pdu_hex"].as_str().unwrap()),
            "{name}: re-encode"
        );
    }
}

#[wasm_bindgen_test]
fn json_of_a_pap_start_has_the_cli_fields_in_wasm32() {
    let v = vectors()
        .into_iter()
        .find(|v| v["name"] == "authen_start_pap_k8")
        .unwrap();
    let pdu = decode(&v, b"s3cr3t!!");
    let json = serde_json::to_value(&pdu).unwrap();
    assert_eq!(json["body"]["user"], "alice");
    assert_eq!(json["body"]["port"], "tty1");
    assert_eq!(json["body"]["rem_addr"], "203.0.113.5");
    assert_eq!(json["body"]["data"], "correct horse");
    assert_eq!(json["body_clear_hex"], v["expected"]["body_clear_hex"]);
}

#[wasm_bindgen_test]
fn wrong_key_and_stream_decoding_in_wasm32_4_5() {
    let all = vectors();
    let v = all
        .iter()
        .find(|v| v["name"] == "author_request_many_args_k1")
        .unwrap();
    let pdu = decode(v, b"not the key");
    assert_eq!(pdu.body_state, BodyState::WrongKey);
    assert!(pdu.diagnostics.iter().any(|d| d.code == codes::WRONG_KEY));

    let k8: Vec<&Value> = all
        .iter()
        .filter(|v| v["key_hex"] == "7333637233742121")
        .collect();
    let stream: Vec<u8> = k8
        .iter()
        .flat_map(|v| unhex(v["pdu_hex"].as_str().unwrap()))
        .collect();
    let pdus = decode_all(
        &stream,
        &DecodeOptions::with_key(Key::new(b"s3cr3t!!".to_vec())),
    );
    assert_eq!(pdus.len(), k8.len());
    assert!(
        pdus.iter()
            .all(|p| p.complete && p.body_state != BodyState::WrongKey)
    );
}
