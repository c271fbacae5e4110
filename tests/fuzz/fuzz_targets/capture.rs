//! Capture ingestion (every paste form, pcap/pcapng, TCP reassembly): total on any bytes, and
//! what it reports is consistent — every PDU piece points inside the input and inside its PDU,
//! pieces tile the captured bytes in order, frame references exist, and decoding a PDU on
//! demand agrees with the analysis (same complete flag, same header).
#![no_main]

use casplus::capture::{Options, analyze, decode};
use casplus::tacacs::Key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = Options { keys: vec![Key::new(b"tac-test-key".to_vec())], ..Options::default() };
    let a = analyze(data, &opts);
    for pdu in &a.pdus {
        let mut at = 0u32;
        for seg in pdu.segments.iter() {
            assert!(seg.input.start <= seg.input.end && seg.input.end <= data.len(), "piece inside the input");
            assert_eq!(seg.pdu_offset, at, "pieces tile the PDU in order");
            at = at.checked_add(seg.len).expect("no overflow");
            assert!(a.frame(seg.frame).is_some() || !opts.all_frames, "piece frames exist");
        }
        assert_eq!(at as usize, pdu.wire.len(), "pieces cover the captured bytes");
        if let Some(d) = decode(pdu, &opts) {
            assert_eq!(d.complete, pdu.complete);
            assert_eq!(d.header.session_id, pdu.header.session_id);
            assert_eq!(d.header.seq_no, pdu.header.seq_no);
        }
    }
    for d in &a.diagnostics {
        if let Some(o) = d.offset {
            assert!(o <= data.len(), "diagnostic offsets inside the input");
        }
    }
});
