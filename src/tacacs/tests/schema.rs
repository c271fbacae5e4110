//! The JSON schema of `casplus decode --json` (documented in `tacacs/mod.rs`).

use super::*;

#[test]
fn json_is_the_documented_schema() {
    let key = Key::from_text("k");
    for (value, bytes) in table() {
        let p = encode_packet(&header_for(value.kind()), &value, Some(&key)).unwrap();
        let pdu = complete(decode_pdu(&p, &DecodeOptions::with_key(key.clone())));
        let j: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&pdu).unwrap()).unwrap();
        for k in [
            "offset",
            "direction",
            "header",
            "key_index",
            "body_clear_hex",
            "body",
            "diagnostics",
            "complete",
            "body_state",
        ] {
            assert!(j.get(k).is_some(), "missing {k}");
        }
        for k in [
            "major",
            "minor",
            "type",
            "seq_no",
            "flags",
            "session_id",
            "length",
        ] {
            assert!(j["header"].get(k).is_some(), "missing header.{k}");
        }
        assert_eq!(j["header"]["major"], 12);
        assert_eq!(j["header"]["session_id"], 0x0102_0304);
        assert_eq!(j["body_clear_hex"], crate::codec::hex::encode(&bytes));
        assert_eq!(j["key_index"], 0);
        assert_eq!(j["body"]["kind"], value.kind().as_str());
        let fields: &[&str] = match value.kind() {
            BodyKind::AuthenStart => &[
                "action",
                "priv_lvl",
                "authen_type",
                "authen_service",
                "user",
                "port",
                "rem_addr",
                "data",
            ],
            BodyKind::AuthenReply => &["status", "flags", "server_msg", "data"],
            BodyKind::AuthenContinue => &["user_msg", "data", "flags"],
            BodyKind::AuthorRequest => &[
                "authen_method",
                "priv_lvl",
                "authen_type",
                "authen_service",
                "user",
                "port",
                "rem_addr",
                "args",
            ],
            BodyKind::AuthorResponse => &["status", "server_msg", "data", "args"],
            BodyKind::AcctRequest => &[
                "flags",
                "authen_method",
                "priv_lvl",
                "authen_type",
                "authen_service",
                "user",
                "port",
                "rem_addr",
                "args",
            ],
            BodyKind::AcctReply => &["status", "server_msg", "data"],
            BodyKind::Unknown => &[],
        };
        for f in fields {
            assert!(
                j["body"].get(*f).is_some(),
                "{}: missing {f}",
                value.kind().as_str()
            );
        }
    }
}

#[test]
fn json_values_pap_start_with_key() {
    let start = hx(
        "c101010001020304000000208e90cfa4a32e25f8851f90268027ffde2e217552da7c4a9d56cf899e2d61ce84",
    );
    let pdu = complete(decode_pdu(
        &start,
        &DecodeOptions::with_key(Key::from_text("tac_plus_key")),
    ));
    let j = serde_json::to_value(&pdu).unwrap();
    assert_eq!(j["direction"], "client_to_server");
    assert_eq!(j["header"]["type"], "AUTHEN");
    assert_eq!(j["header"]["flags"], serde_json::json!([]));
    assert_eq!(j["body"]["action"], "LOGIN");
    assert_eq!(j["body"]["authen_type"], "PAP");
    assert_eq!(j["body"]["authen_service"], "LOGIN");
    assert_eq!(j["body"]["priv_lvl"], 1);
    assert_eq!(j["body"]["user"], "admin");
    assert_eq!(j["body"]["port"], "tty0");
    assert_eq!(j["body"]["rem_addr"], "10.0.0.1");
    assert_eq!(j["body"]["data"], "pass123");
    assert_eq!(
        j["body"]["spans"]["user"],
        serde_json::json!({"start": 20, "end": 25})
    );
    assert_eq!(j["diagnostics"], serde_json::json!([]));
}

#[test]
fn json_shows_unknowns_as_numbers_and_escapes_text() {
    let mut s = AuthenStart::ascii_login(b"a\0b\n", b"", b"");
    s.authen_service = AuthenService(0x42);
    let p = pkt(0xc0, 1, 1, UNENC | 0x10, &s.to_bytes_for_test());
    let j = serde_json::to_value(complete(decode_pdu(&p, &DecodeOptions::default()))).unwrap();
    assert_eq!(j["body"]["authen_service"], 0x42);
    assert_eq!(j["body"]["user"], "a\\0b\\n");
    assert_eq!(
        j["header"]["flags"],
        serde_json::json!(["UNENCRYPTED", "0x10"])
    );
    assert_eq!(j["body_state"], "clear");
    let d = &j["diagnostics"][0];
    assert!(
        d["code"].is_string()
            && d["severity"].is_string()
            && d["message"].is_string()
            && d["offset"].is_u64()
    );
    let acct = pkt(
        0xc0,
        3,
        1,
        UNENC,
        &acct_req(AcctFlags::STOP, &["stop_time=1600000060", "bytes_in=5"]),
    );
    let j = serde_json::to_value(complete(decode_pdu(&acct, &DecodeOptions::default()))).unwrap();
    assert_eq!(j["body"]["acct"]["stop_time"], "2020-09-13T12:27:40Z");
    assert_eq!(j["body"]["acct"]["bytes_in"], 5);
    assert_eq!(j["body"]["record"], "stop");
    assert_eq!(
        j["body"]["av_pairs"][1],
        serde_json::json!({"name": "bytes_in", "value": "5", "mandatory": true})
    );
}
