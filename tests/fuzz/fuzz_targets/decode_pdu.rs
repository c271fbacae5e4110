//! `tacacs::decode_pdu` without keys (RFC 8907 §4.1): total, `Partial` means "need more",
//! and every complete PDU round-trips (unencrypted bodies fully, obfuscated ones as bytes).
#![no_main]

use casplus::tacacs::{DecodeOptions, Decoded, decode_all, decode_pdu};
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::default();
    match decode_pdu(data, &opts) {
        Decoded::Complete(pdu) => {
            assert_eq!(pdu.offset, 0);
            common::check_complete(data, &pdu, &opts);
            // decode_all starts with the same PDU.
            let all = decode_all(data, &opts);
            assert_eq!(all.first(), Some(&pdu));
        }
        Decoded::Partial { needed, header, .. } => {
            assert!(needed > 0);
            match header {
                None => assert_eq!(data.len() + needed, 12),
                Some(h) => assert_eq!(data.len() + needed, 12 + h.length as usize),
            }
        }
    }
});
