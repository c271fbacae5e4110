//! `capture::tls::KeyLog::parse` (NSS key log format): total on any bytes; every error points
//! inside the input; every entry read, written back as a line, reads back equal.
#![no_main]

use casplus::capture::tls::{KeyLog, SecretLabel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (log, errors) = KeyLog::parse(data);
    let lines = data.split(|&b| b == b'\n').count();
    assert!(log.entries.len() + errors.len() <= lines);
    for e in &errors {
        assert!(e.offset <= data.len(), "{e}");
        assert!((e.line as usize) <= lines);
    }
    for e in &log.entries {
        if e.label == SecretLabel::Other {
            continue;
        }
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let line = format!("{} {} {}\n", e.label.name(), hex(&e.client_random), hex(&e.secret));
        let (again, errs) = KeyLog::parse(line.as_bytes());
        assert!(errs.is_empty());
        assert_eq!(again.entries, [e.clone()]);
        assert_eq!(again.find(&e.client_random, e.label), Some(e.secret.as_slice()));
    }
});
