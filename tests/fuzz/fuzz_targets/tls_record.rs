//! `capture::tls::read_record` (RFC 8446 §5.1): total on any bytes; a record's header fields
//! are the bytes read, `Partial` says exactly how many bytes are missing, and an error points
//! at the offending byte of the header.
#![no_main]

use casplus::capture::tls::{RECORD_HEADER_LEN, RecordStatus, read_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = 1000u64;
    match read_record(data, base) {
        Ok(RecordStatus::Record(h)) => {
            let whole = RECORD_HEADER_LEN + usize::from(h.len);
            assert!(data.len() >= whole);
            let mut again = vec![h.content_type];
            again.extend_from_slice(&h.version.to_be_bytes());
            again.extend_from_slice(&h.len.to_be_bytes());
            assert_eq!(again[..], data[..RECORD_HEADER_LEN]);
            // the same record with anything after it reads the same
            let mut longer = data[..whole].to_vec();
            longer.push(0x17);
            assert_eq!(read_record(&longer, base), Ok(RecordStatus::Record(h)));
        }
        Ok(RecordStatus::Partial { needed }) => {
            assert!(needed > 0);
            let mut filled = data.to_vec();
            filled.resize(data.len() + needed, 0);
            if data.len() >= RECORD_HEADER_LEN {
                assert!(matches!(read_record(&filled, base), Ok(RecordStatus::Record(_))));
            } else {
                assert_eq!(filled.len(), RECORD_HEADER_LEN);
            }
        }
        Err(e) => {
            assert!(data.len() >= RECORD_HEADER_LEN);
            assert!((base..base + RECORD_HEADER_LEN as u64).contains(&e.offset));
        }
    }
});
