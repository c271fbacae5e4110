//! `tacacs::decode_pdu` with 0–3 candidate keys taken from the input (RFC 8907 §4.5): the
//! chosen key really makes the lengths add up, and complete PDUs round-trip.
#![no_main]

use casplus::tacacs::{BodyState, DecodeOptions, Decoded, codes, decode_pdu};
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let (keys, input) = common::split_keys(data);
    let opts = DecodeOptions { keys, ..DecodeOptions::default() };
    if let Decoded::Complete(pdu) = decode_pdu(input, &opts) {
        common::check_complete(input, &pdu, &opts);
        let wrong = pdu.diagnostics.iter().any(|d| d.code == codes::WRONG_KEY);
        assert_eq!(wrong, pdu.body_state == BodyState::WrongKey);
        if pdu.body_state == BodyState::Deobfuscated {
            assert!(pdu.key_index.is_some_and(|i| i < opts.keys.len()));
            assert!(common::lengths_consistent(&pdu), "the chosen key makes the lengths add up");
        } else {
            assert_eq!(pdu.key_index, None);
        }
    }
});
