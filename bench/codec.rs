//! TACACS+ decode + de-obfuscation throughput (RFC 8907 §4.5), next to the MD5 bound.
//!
//! Every PDU body costs one MD5 per 16-byte pad block; nothing can be faster than computing
//! those MD5s. Each workload is measured together with `md5_bound`: raw `md-5` over exactly
//! the same number of pad blocks, each hashing the same number of bytes as the real pad input
//! (`session_id ‖ key ‖ version ‖ seq_no ‖ previous block`). The ratio `md5_bound / decode`
//! is the fraction of that bound the codec reaches (goal: ≥ 60 % for bodies ≥ 1 KB).
//!
//! `cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`; the summary table at
//! the end is computed from criterion's estimates of this run (target/criterion).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use casplus::tacacs::{
    AcctFlags, AcctReply, AcctRequest, AcctStatus, AuthenAction, AuthenContinue, AuthenReply,
    AuthenService, AuthenStart, AuthenStatus, AuthenType, AuthorRequest, AuthorResponse,
    AuthorStatus, Body, DecodeOptions, Decoded, Header, Key, PacketType, PrivLvl, decode_all,
    decode_pdu, encode_packet, obfuscate_body,
};
use criterion::{Criterion, Throughput};
use md5::{Digest, Md5};

const KEY: &[u8] = b"bench-shared-key"; // 16 bytes: one MD5 compression per pad block
const LARGE: &[usize] = &[1024, 16 * 1024, 64 * 1024];

fn header(ptype: u8, minor: u8, seq_no: u8, session_id: u32) -> Header {
    Header::new(PacketType(ptype), minor, seq_no, session_id)
}

fn packet(h: Header, body: Body) -> Vec<u8> {
    encode_packet(&h, &body, Some(&Key::new(KEY))).expect("bench packets encode")
}

/// One TACACS+ session of each kind, as a NAS would exchange them (sizes of real traffic).
fn mix() -> Vec<Vec<u8>> {
    let args = |v: &[&str]| v.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
    let mut pdus = Vec::new();
    for sid in 0..8u32 {
        pdus.push(packet(
            header(1, 1, 1, sid),
            Body::AuthenStart(AuthenStart {
                action: AuthenAction::LOGIN,
                priv_lvl: PrivLvl(1),
                authen_type: AuthenType::PAP,
                authen_service: AuthenService::LOGIN,
                user: b"alice".to_vec(),
                port: b"tty10".to_vec(),
                rem_addr: b"192.0.2.10".to_vec(),
                data: b"correct horse battery".to_vec(),
                ..Default::default()
            }),
        ));
        pdus.push(packet(
            header(1, 1, 2, sid),
            Body::AuthenReply(AuthenReply {
                status: AuthenStatus::GETPASS,
                server_msg: b"Password: ".to_vec(),
                ..Default::default()
            }),
        ));
        pdus.push(packet(
            header(1, 1, 3, sid),
            Body::AuthenContinue(AuthenContinue {
                user_msg: b"hunter2".to_vec(),
                ..Default::default()
            }),
        ));
        pdus.push(packet(
            header(2, 0, 1, sid),
            Body::AuthorRequest(AuthorRequest {
                authen_method: casplus::tacacs::AuthenMethod::TACACSPLUS,
                priv_lvl: PrivLvl(15),
                authen_type: AuthenType::ASCII,
                authen_service: AuthenService::LOGIN,
                user: b"alice".to_vec(),
                port: b"vty0".to_vec(),
                rem_addr: b"192.0.2.10".to_vec(),
                args: args(&[
                    "service=shell",
                    "cmd=show",
                    "cmd-arg=running-config",
                    "cmd-arg=<cr>",
                ]),
                ..Default::default()
            }),
        ));
        pdus.push(packet(
            header(2, 0, 2, sid),
            Body::AuthorResponse(AuthorResponse {
                status: AuthorStatus::PASS_ADD,
                args: args(&["priv-lvl=15", "idletime=10"]),
                ..Default::default()
            }),
        ));
        pdus.push(packet(
            header(3, 0, 1, sid),
            Body::AcctRequest(AcctRequest {
                flags: AcctFlags::STOP,
                authen_method: casplus::tacacs::AuthenMethod::TACACSPLUS,
                priv_lvl: PrivLvl(15),
                authen_type: AuthenType::ASCII,
                authen_service: AuthenService::LOGIN,
                user: b"alice".to_vec(),
                port: b"vty0".to_vec(),
                rem_addr: b"192.0.2.10".to_vec(),
                args: args(&[
                    "task_id=4242",
                    "start_time=1700000000",
                    "stop_time=1700003600",
                    "elapsed_time=3600",
                    "bytes_in=123456",
                    "bytes_out=654321",
                    "service=shell",
                    "cmd=configure terminal <cr>",
                ]),
                ..Default::default()
            }),
        ));
        pdus.push(packet(
            header(3, 0, 2, sid),
            Body::AcctReply(AcctReply {
                status: AcctStatus::SUCCESS,
                ..Default::default()
            }),
        ));
    }
    pdus
}

/// An authentication REPLY whose body is exactly `len` bytes (6 fixed + server_msg + data).
fn large(len: usize) -> Vec<u8> {
    let var = len - 6;
    let msg = var / 2;
    let body = Body::AuthenReply(AuthenReply {
        status: AuthenStatus::FAIL,
        server_msg: vec![b'm'; msg],
        data: vec![b'd'; var - msg],
        ..Default::default()
    });
    let pdu = packet(header(1, 0, 2, 0xC0FF_EE00), body);
    assert_eq!(pdu.len(), 12 + len);
    pdu
}

/// The MD5 work of de-obfuscating `pdus`: per body, one digest per 16-byte pad block over
/// the same input size as §4.5 (session_id ‖ key ‖ version ‖ seq_no ‖ previous block).
struct Md5Bound {
    /// Per PDU: the pad prefix and the number of blocks.
    jobs: Vec<(Vec<u8>, usize)>,
}

impl Md5Bound {
    fn new(pdus: &[Vec<u8>]) -> Self {
        let jobs = pdus
            .iter()
            .map(|p| {
                let mut prefix = p[4..8].to_vec();
                prefix.extend_from_slice(KEY);
                prefix.extend_from_slice(&[p[0], p[2]]);
                (prefix, (p.len() - 12).div_ceil(16))
            })
            .collect();
        Self { jobs }
    }

    fn blocks(&self) -> usize {
        self.jobs.iter().map(|(_, n)| n).sum()
    }

    /// A stricter reference: the bare MD5 compression function, one 64-byte block per pad
    /// block, streamed through one hasher (no per-digest setup or finalization).
    fn compress_only(&self, buf: &[u8]) -> [u8; 16] {
        Md5::digest(buf).into()
    }

    fn run(&self) -> [u8; 16] {
        let mut last = [0u8; 16];
        for (prefix, blocks) in &self.jobs {
            let mut buf = prefix.clone();
            let first: [u8; 16] = Md5::digest(&buf).into();
            last = first;
            buf.extend_from_slice(&first);
            let at = prefix.len();
            for _ in 1..*blocks {
                last = Md5::digest(&buf).into();
                buf[at..].copy_from_slice(&last);
            }
        }
        last
    }
}

fn bench(c: &mut Criterion) {
    let key_opts = DecodeOptions::with_key(Key::new(KEY));

    // Realistic mix: 8 sessions × 7 PDU kinds, decoded as one stream.
    let pdus = mix();
    let stream: Vec<u8> = pdus.concat();
    let bound = Md5Bound::new(&pdus);
    assert_eq!(decode_all(&stream, &key_opts).len(), pdus.len());
    let mut g = c.benchmark_group("mix");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("decode", |b| {
        b.iter(|| decode_all(black_box(&stream), &key_opts))
    });
    g.bench_function("md5_bound", |b| b.iter(|| bound.run()));
    let raw = vec![0x5au8; bound.blocks() * 64];
    g.bench_function("md5_compress", |b| {
        b.iter(|| bound.compress_only(black_box(&raw)))
    });
    g.finish();
    write_meta("mix", pdus.len(), stream.len(), bound.blocks());

    for &len in LARGE {
        let pdu = large(len);
        let bound = Md5Bound::new(std::slice::from_ref(&pdu));
        let h = match decode_pdu(&pdu, &key_opts) {
            Decoded::Complete(p) => {
                assert!(!p.has_errors(), "{:?}", p.diagnostics);
                p.header
            }
            Decoded::Partial { .. } => unreachable!(),
        };
        let name = format!("large_{}k", len / 1024);
        let mut g = c.benchmark_group(&name);
        g.throughput(Throughput::Bytes(pdu.len() as u64));
        g.bench_function("decode", |b| {
            b.iter(|| decode_pdu(black_box(&pdu), &key_opts))
        });
        let key = Key::new(KEY);
        g.bench_function("deobfuscate", |b| {
            b.iter_batched_ref(
                || pdu[12..].to_vec(),
                |body| obfuscate_body(&h, &key, body),
                criterion::BatchSize::LargeInput,
            )
        });
        g.bench_function("md5_bound", |b| b.iter(|| bound.run()));
        let raw = vec![0x5au8; bound.blocks() * 64];
        g.bench_function("md5_compress", |b| {
            b.iter(|| bound.compress_only(black_box(&raw)))
        });
        g.finish();
        write_meta(&name, 1, pdu.len(), bound.blocks());
    }
}

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// Workload sizes for the summary (criterion's estimates only hold times).
fn write_meta(group: &str, pdus: usize, bytes: usize, blocks: usize) {
    let dir = criterion_dir().join(group);
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("casplus-workload.txt"),
        format!("{pdus} {bytes} {blocks}"),
    );
}

/// Mean time (ns) of `group/function` in this run, from criterion's estimates.
fn mean_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn summary() {
    let groups = ["mix", "large_1k", "large_16k", "large_64k"];
    println!(
        "\nworkload    PDUs  bytes  pad blocks | decode PDUs/s    MB/s | md5 bound MB/s | \
         decode/bound  deobf/bound | decode/compress"
    );
    for g in groups {
        let Some(meta) =
            std::fs::read_to_string(criterion_dir().join(g).join("casplus-workload.txt")).ok()
        else {
            continue;
        };
        let n: Vec<f64> = meta
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let (pdus, bytes, blocks) = (n[0], n[1], n[2]);
        let (Some(dec), Some(md5)) = (mean_ns(g, "decode"), mean_ns(g, "md5_bound")) else {
            continue;
        };
        let mbs = |ns: f64| bytes / ns * 1e9 / 1e6;
        let deobf = mean_ns(g, "deobfuscate")
            .map(|ns| format!("{:>10.0} %", md5 / ns * 100.0))
            .unwrap_or_else(|| "           -".into());
        let compress = mean_ns(g, "md5_compress")
            .map(|ns| format!("{:>13.0} %", ns / dec * 100.0))
            .unwrap_or_else(|| "              -".into());
        println!(
            "{g:<10} {pdus:>5} {bytes:>6} {blocks:>10} | {:>13.0} {:>7.1} | {:>14.1} | \
             {:>10.0} %  {deobf} | {compress}",
            pdus / dec * 1e9,
            mbs(dec),
            mbs(md5),
            md5 / dec * 100.0,
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    // `cargo test` runs each benchmark once as a smoke test: no figures to summarise then.
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}
