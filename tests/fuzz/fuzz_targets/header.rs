//! `tacacs::Header::decode` (RFC 8907 §4.1): 12 bytes in, 12 identical bytes out, and
//! decode(encode(h)) == h with the spans where the fields are.
#![no_main]

use casplus::codec::{Reader, Span};
use casplus::tacacs::Header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::at(data, 7);
    match Header::decode(&mut r) {
        Ok(h) => {
            assert!(data.len() >= 12);
            assert_eq!(h.to_bytes()[..], data[..12]);
            assert_eq!(r.offset(), 7 + 12);
            assert_eq!(h.spans.session_id, Span::new(11, 4));
            assert_eq!(h.spans.length, Span::new(15, 4));
            let bytes = h.to_bytes();
            let again = Header::decode(&mut Reader::new(&bytes)).expect("12 bytes decode");
            assert_eq!(again, h);
        }
        Err(e) => {
            assert!(data.len() < 12);
            assert_eq!(r.offset(), 7, "a failed header read consumes nothing");
            let _ = e.offset();
        }
    }
});
