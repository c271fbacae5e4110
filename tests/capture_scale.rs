//! Scale (issue 4): capture analysis needs memory bounded by a small multiple of the input:
//! packet bytes are never copied except into the PDUs cut out, out-of-order data is bounded.
//! dhat's allocator counts the heap; it is the only test in this binary, so nothing else
//! allocates meanwhile. No timing is asserted (see bench/capture.rs for speed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod capture_gen;

use casplus::capture::{self, Options};
use casplus::tacacs::Key;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn memory_stays_within_three_times_the_input() {
    // ~100 000 frames, ~33 000 PDUs, keyed (made before the profiler starts: not counted)
    let input = capture_gen::big_pcap(3_300, 0, b"bench-key");
    let opts = Options {
        keys: vec![Key::new(&b"bench-key"[..])],
        ..Options::default()
    };
    let _profiler = dhat::Profiler::builder().testing().build();
    let a = capture::analyze(&input, &opts);
    let stats = dhat::HeapStats::get();
    assert!(a.stats.frames >= 100_000, "{} frames", a.stats.frames);
    assert_eq!(a.pdus.len(), 3_300 * 10);
    assert!(
        a.pdus
            .iter()
            .all(|p| p.complete && p.summary.starts_with("AUTHEN"))
    );
    assert!(
        a.diagnostics.is_empty(),
        "{:?}",
        &a.diagnostics[..a.diagnostics.len().min(3)]
    );
    // the input plus the peak of everything the analysis held must stay within 3x the input
    let total = input.len() + stats.max_bytes;
    eprintln!(
        "input {} bytes, analysis peak heap {} bytes ({:.2}x input), {} allocations",
        input.len(),
        stats.max_bytes,
        stats.max_bytes as f64 / input.len() as f64,
        stats.total_blocks
    );
    assert!(
        total <= 3 * input.len(),
        "input {} + peak {} > 3x input",
        input.len(),
        stats.max_bytes
    );
}
