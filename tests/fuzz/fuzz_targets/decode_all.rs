//! `tacacs::decode_all` over concatenated PDUs, with or without keys: PDUs are contiguous
//! from offset 0, only the last may be incomplete, and each equals `decode_pdu_at` there.
#![no_main]

use casplus::tacacs::{DecodeOptions, Decoded, decode_all, decode_pdu_at};
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let (keys, input) = common::split_keys(data);
    let opts = DecodeOptions { keys, ..DecodeOptions::default() };
    let pdus = decode_all(input, &opts);
    assert_eq!(pdus.is_empty(), input.is_empty());
    let mut at = 0;
    for (i, pdu) in pdus.iter().enumerate() {
        assert_eq!(pdu.offset, at, "contiguous");
        assert!(pdu.complete || i + 1 == pdus.len(), "only the last PDU may be incomplete");
        if pdu.complete {
            match decode_pdu_at(input, at, &opts) {
                Decoded::Complete(p) => assert_eq!(&p, pdu),
                Decoded::Partial { .. } => panic!("decode_all completed what decode_pdu_at did not"),
            }
            common::check_complete(input, pdu, &opts);
        }
        at = pdu.span.end.min(input.len());
    }
});
