//! `casplus decode` as a user runs it (the release binary, output written to /dev/null) vs
//! tshark on the same files, in the same run, runs alternated (issue 18):
//!
//! - the 100k-frame keyed capture of bench/capture.rs (tests/capture_gen): the tree vs
//!   `tshark -V`, `--summary` vs tshark's packet list, `--json` vs `tshark -T json`;
//! - a TACACS+ over TLS 1.3 capture (RFC 9887) of 10 000 sessions made by OpenSSL through
//!   Python `ssl` (bench/tls_capture.py, generated into target/bench-capture/ and reused while
//!   the generator is unchanged): `--keylog` vs `tshark -o tls.keylog_file:… -V`.
//!
//! Each pair runs RUNS times (env `DECODE_BENCH_RUNS`, default 5), casplus then tshark; the
//! medians, their ratio, the peak RSS of one more run of each (`/usr/bin/time -f %M`) and the
//! load average are printed as Markdown rows for bench/RESULTS.md. `CASPLUS=path` measures
//! another binary (e.g. an older build) with the same inputs; without it the bench profile's
//! build of `casplus` is measured.
//!
//! `make bench-decode` (the release build, as users get it), or `cargo bench --bench decode`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/capture_gen/mod.rs"]
mod capture_gen;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "bench-key";

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-capture");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The keyed capture of bench/capture.rs: 105 600 frames, 33 000 PDUs.
fn keyed_capture(dir: &Path) -> PathBuf {
    let path = dir.join("keyed-105k.pcap");
    let bytes = capture_gen::big_pcap(3_300, 3_300, KEY.as_bytes());
    if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
        std::fs::write(&path, &bytes).unwrap();
    }
    path
}

/// The TLS capture and its key log, made again only when the generator changed.
fn tls_capture(dir: &Path) -> (PathBuf, PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/tls_capture.py");
    let mut h = DefaultHasher::new();
    std::fs::read(&script).unwrap().hash(&mut h);
    let stem = format!("tls-{:016x}", h.finish());
    let (pcap, keys) = (
        dir.join(format!("{stem}.pcap")),
        dir.join(format!("{stem}.keys")),
    );
    if !(pcap.exists() && keys.exists()) {
        let ok = Command::new("python3")
            .arg(&script)
            .arg(&pcap)
            .arg(&keys)
            .status()
            .expect("python3 is needed to make the TLS capture");
        assert!(ok.success(), "bench/tls_capture.py failed");
    }
    (pcap, keys)
}

fn casplus_bin() -> PathBuf {
    std::env::var_os("CASPLUS").map_or_else(|| env!("CARGO_BIN_EXE_casplus").into(), Into::into)
}

/// One run to /dev/null; panics when the program fails (a broken comparison must not pass).
fn time(cmd: &[String]) -> Duration {
    let t = Instant::now();
    let st = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{}: {e}", cmd[0]));
    let d = t.elapsed();
    assert!(st.success(), "{cmd:?} failed: {st}");
    d
}

/// Peak resident set size (KiB) and output size (bytes) of one run.
fn peak(cmd: &[String]) -> (u64, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .args(cmd)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .expect("/usr/bin/time is needed for the peak memory");
    assert!(out.status.success(), "{cmd:?} failed");
    let err = String::from_utf8_lossy(&out.stderr);
    let kib = err
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .unwrap();
    (kib, out.stdout.len() as u64)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and friends: nothing to list
    }
    let runs: usize = std::env::var("DECODE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = dir();
    let keyed = keyed_capture(&dir);
    let (tls, keys) = tls_capture(&dir);
    let bin = casplus_bin();
    let (k, t) = (keyed.to_str().unwrap(), tls.to_str().unwrap());
    let key_opt = format!("tacplus.key:{KEY}");
    let keylog_opt = format!("tls.keylog_file:{}", keys.to_str().unwrap());
    let c = |a: &[&str]| {
        let mut v = vec![bin.to_str().unwrap().to_owned(), "decode".into()];
        v.extend(args(a));
        v
    };
    let ts = |a: &[&str]| {
        let mut v = vec!["tshark".to_owned(), "-n".into()];
        v.extend(args(a));
        v
    };
    let keys = keys.to_str().unwrap();
    let cases: Vec<(&str, Vec<String>, Vec<String>)> = vec![
        (
            "keyed: tree vs `tshark -V`",
            c(&["--key", KEY, k]),
            ts(&["-r", k, "-o", &key_opt, "-V"]),
        ),
        (
            "keyed: `--summary` vs packet list",
            c(&["--summary", "--key", KEY, k]),
            ts(&["-r", k, "-o", &key_opt]),
        ),
        (
            "keyed: `--json` vs `tshark -T json`",
            c(&["--json", "--key", KEY, k]),
            ts(&["-r", k, "-o", &key_opt, "-T", "json"]),
        ),
        (
            "TLS: `--keylog` tree vs `tshark -V`",
            c(&["--keylog", keys, t]),
            ts(&["-r", t, "-o", &keylog_opt, "-d", "tcp.port==300,tls", "-V"]),
        ),
        (
            "TLS: `--keylog --summary` vs packet list",
            c(&["--summary", "--keylog", keys, t]),
            ts(&["-r", t, "-o", &keylog_opt, "-d", "tcp.port==300,tls"]),
        ),
    ];
    println!(
        "decode bench: {} ({} B), {} ({} B); {runs} alternated runs each; casplus = {}",
        keyed.display(),
        std::fs::metadata(&keyed).unwrap().len(),
        tls.display(),
        std::fs::metadata(&tls).unwrap().len(),
        bin.display()
    );
    println!();
    println!(
        "| case | casplus median | tshark median | **tshark / casplus** | per-pair ratios | peak RSS casplus / tshark | output casplus / tshark | load before → after |"
    );
    println!("|---|---:|---:|---:|---|---:|---:|---|");
    for (name, ours, theirs) in &cases {
        let before = load();
        let (mut a, mut b, mut pairs) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let x = time(ours);
            let y = time(theirs);
            pairs.push(y.as_secs_f64() / x.as_secs_f64());
            a.push(x);
            b.push(y);
        }
        let (ma, mb) = (median(&mut a), median(&mut b));
        let (ra, oa) = peak(ours);
        let (rb, ob) = peak(theirs);
        pairs.sort_by(f64::total_cmp);
        println!(
            "| {name} | {:.3} s | {:.3} s | **{:.1}×** | {} | {:.0} / {:.0} MiB | {:.1} / {:.1} MB | {before} → {} |",
            ma.as_secs_f64(),
            mb.as_secs_f64(),
            mb.as_secs_f64() / ma.as_secs_f64(),
            pairs
                .iter()
                .map(|r| format!("{r:.1}"))
                .collect::<Vec<_>>()
                .join(" "),
            ra as f64 / 1024.0,
            rb as f64 / 1024.0,
            oa as f64 / 1e6,
            ob as f64 / 1e6,
            load()
        );
    }
}
