//! `capture::tls::KeyLog::parse` (NSS key log format): total on any bytes; every error points
//! inside the input; every entry read, written back as a line, reads back equal; lookups agree
//! with a walk over the lines.
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
    // the lookup (an index over the client randoms) answers as a walk over every line would:
    // the last line of a label for a client random wins
    for e in &log.entries {
        let walk = log
            .entries
            .iter()
            .rev()
            .find(|x| x.label == e.label && x.client_random == e.client_random)
            .map(|x| x.secret.as_slice());
        assert_eq!(log.find(&e.client_random, e.label), walk);
        assert!(log.knows(&e.client_random));
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
