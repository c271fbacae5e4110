//! Capture analysis throughput (issue 4): a generated pcap of ~100 000 frames / 33 000 keyed
//! TACACS+ PDUs (tests/capture_gen), analysed by `capture::analyze` (reassembly, framing,
//! de-obfuscation and decode of every PDU, sessions) and rendered as JSON lines, next to
//! `tshark -r FILE -o tacplus.key:KEY` on the same file measured in the same run.
//!
//! `cargo bench --bench capture`; the ratio is printed at the end (bench/RESULTS.md).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/capture_gen/mod.rs"]
mod capture_gen;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use casplus::capture::{self, Options};
use casplus::tacacs::Key;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const KEY: &str = "bench-key";

fn input() -> Vec<u8> {
    // 3 300 connections x 31 frames + 3 300 syslog datagrams = 105 600 frames, 33 000 PDUs
    capture_gen::big_pcap(3_300, 3_300, KEY.as_bytes())
}

fn opts() -> Options {
    Options {
        keys: vec![Key::from_text(KEY)],
        ..Options::default()
    }
}

/// analyze + one JSON line per PDU (what `casplus decode --json` prints), into a sink.
fn analyze_and_print(input: &[u8], opts: &Options) -> usize {
    let a = capture::analyze(input, opts);
    let mut out = std::io::sink();
    let mut n = 0;
    for line in a.pdu_lines(opts) {
        serde_json::to_writer(&mut out, &line).unwrap();
        out.write_all(b"\n").unwrap();
        n += 1;
    }
    n
}

/// analyze + one text line per PDU (frame, time, endpoints, summary), like tshark's summary.
fn analyze_and_summarise(input: &[u8], opts: &Options) -> usize {
    let a = capture::analyze(input, opts);
    let mut out = std::io::sink();
    for p in &a.pdus {
        let time = a.frame(p.last_frame).and_then(|f| f.time);
        let conn = p.conn.and_then(|c| a.connections.get(c as usize));
        let (src, dst) = match (conn, p.direction) {
            (Some(c), casplus::tacacs::Direction::ClientToServer) => (c.client, c.server),
            (Some(c), casplus::tacacs::Direction::ServerToClient) => (c.server, c.client),
            (None, _) => continue,
        };
        let time = time.map(|t| t.to_string()).unwrap_or_default();
        writeln!(out, "{} {time} {src} → {dst} {}", p.last_frame, p.summary).unwrap();
    }
    a.pdus.len()
}

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn tshark(path: &std::path::Path) -> Option<Duration> {
    let run = || {
        let t = Instant::now();
        let status = Command::new("tshark")
            .arg("-r")
            .arg(path)
            .args(["-o", &format!("tacplus.key:{KEY}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| t.elapsed())
    };
    let mut times: Vec<Duration> = (0..3).filter_map(|_| run()).collect();
    times.sort();
    times.get(times.len() / 2).copied()
}

fn bench(c: &mut Criterion) {
    let input = input();
    let opts = opts();
    let check = capture::analyze(&input, &opts);
    assert!(check.stats.frames >= 100_000 && check.pdus.len() >= 20_000);
    assert!(check.pdus.iter().all(|p| p.key_index == Some(0)));
    let mut g = c.benchmark_group("capture");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("analyze 105k frames / 33k PDUs", |b| {
        b.iter(|| capture::analyze(&input, &opts))
    });
    g.bench_function("analyze + summary lines", |b| {
        b.iter(|| analyze_and_summarise(&input, &opts))
    });
    g.bench_function("analyze + JSON lines", |b| {
        b.iter(|| analyze_and_print(&input, &opts))
    });
    let kept = Options {
        keep_decoded: true,
        ..opts.clone()
    };
    g.bench_function("analyze (decodes kept) + JSON lines", |b| {
        b.iter(|| analyze_and_print(&input, &kept))
    });
    g.finish();

    // The same file through tshark, in the same run (skipped when tshark is not installed).
    let path = std::env::temp_dir().join(format!("casplus-bench-{}.pcap", std::process::id()));
    std::fs::write(&path, &input).unwrap();
    let summary = median(
        || {
            std::hint::black_box(analyze_and_summarise(&input, &opts));
        },
        5,
    );
    let json = median(
        || {
            std::hint::black_box(analyze_and_print(&input, &opts));
        },
        5,
    );
    let json_kept = median(
        || {
            std::hint::black_box(analyze_and_print(&input, &kept));
        },
        5,
    );
    println!(
        "capture: {} frames, {} PDUs, {:.1} MB; casplus analyze + summary lines {:.3} s, + JSON lines {:.3} s, + JSON lines (decodes kept) {:.3} s",
        check.stats.frames,
        check.pdus.len(),
        input.len() as f64 / 1e6,
        summary.as_secs_f64(),
        json.as_secs_f64(),
        json_kept.as_secs_f64(),
    );
    match tshark(&path) {
        Some(t) => println!(
            "capture: tshark -r FILE -o tacplus.key:KEY {:.3} s; ratios: summary {:.1}x, JSON {:.1}x, JSON (kept) {:.1}x",
            t.as_secs_f64(),
            t.as_secs_f64() / summary.as_secs_f64(),
            t.as_secs_f64() / json.as_secs_f64(),
            t.as_secs_f64() / json_kept.as_secs_f64()
        ),
        None => println!("capture: tshark not installed: no ratio"),
    }
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, bench);
criterion_main!(benches);
