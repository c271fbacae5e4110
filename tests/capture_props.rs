//! Property tests: however a TCP stream is cut into segments, reordered, duplicated or partly
//! resent, the PDUs that come out are the PDUs that went in; and no input, however hostile,
//! makes the analysis panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use casplus::capture::{self, InputFormat, Options};
use casplus::tacacs::Direction;
use proptest::prelude::*;

mod capture_gen;

use capture_gen::{C, S, ip_tcp, pcap, pdu};

/// The frames of a connection carrying `to_server` and `to_client`, each cut at `cuts`
/// (fractions), sent in the order given by `order` (a permutation key per segment), with
/// `dups` segments sent twice and `overlaps` resent with a neighbour's bytes.
fn frames_for(
    to_server: &[u8],
    to_client: &[u8],
    cuts: &[usize],
    order: &[u16],
    dups: &[usize],
    overlaps: &[usize],
) -> Vec<Vec<u8>> {
    let (isn_c, isn_s) = (0xffff_fff0u32, 7u32); // the client's sequence numbers wrap
    let mut frames = vec![
        ip_tcp(C, S, 40000, 49, isn_c, 0, 0x02, &[]),
        ip_tcp(S, C, 49, 40000, isn_s, isn_c.wrapping_add(1), 0x12, &[]),
        ip_tcp(
            C,
            S,
            40000,
            49,
            isn_c.wrapping_add(1),
            isn_s.wrapping_add(1),
            0x10,
            &[],
        ),
    ];
    let mut segs: Vec<(u16, Vec<u8>)> = Vec::new();
    for (dir, data, isn) in [(0, to_server, isn_c), (1, to_client, isn_s)] {
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        bounds.push(0);
        bounds.push(data.len());
        bounds.sort_unstable();
        bounds.dedup();
        let pieces: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        for (i, &(a, b)) in pieces.iter().enumerate() {
            let seq = isn.wrapping_add(1).wrapping_add(a as u32);
            let (src, dst, sp, dp) = if dir == 0 {
                (C, S, 40000, 49)
            } else {
                (S, C, 49, 40000)
            };
            let key = order.get(i).copied().unwrap_or(i as u16);
            // no ACK flag: an ACK of unseen data would (rightly) declare a gap
            segs.push((key, ip_tcp(src, dst, sp, dp, seq, 0, 0x08, &data[a..b])));
            if dups.contains(&i) {
                segs.push((
                    key.wrapping_add(7),
                    ip_tcp(src, dst, sp, dp, seq, 0, 0x08, &data[a..b]),
                ));
            }
            if overlaps.contains(&i) && b < data.len() {
                let end = (b + 5).min(data.len());
                let start = a.saturating_sub(3);
                let seq = isn.wrapping_add(1).wrapping_add(start as u32);
                segs.push((
                    key.wrapping_add(3),
                    ip_tcp(src, dst, sp, dp, seq, 0, 0x08, &data[start..end]),
                ));
            }
        }
    }
    segs.sort_by_key(|(k, _)| *k);
    frames.extend(segs.into_iter().map(|(_, f)| f));
    frames
}

fn pdus_strategy() -> impl Strategy<Value = Vec<(u8, u8, u32, Vec<u8>)>> {
    prop::collection::vec(
        (
            1u8..=3,
            1u8..=6,
            any::<u32>(),
            prop::collection::vec(any::<u8>(), 9..120),
        ),
        1..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_segmentation_reordering_and_duplication_reassembles_to_the_same_pdus(
        pdus in pdus_strategy(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        order in prop::collection::vec(any::<u16>(), 0..24),
        dups in prop::collection::vec(0usize..12, 0..4),
        overlaps in prop::collection::vec(0usize..12, 0..3),
    ) {
        let mut to_server = Vec::new();
        let mut to_client = Vec::new();
        let mut want_server = Vec::new();
        let mut want_client = Vec::new();
        for (kind, seq, sid, body) in &pdus {
            // authorization and accounting sessions have seq_no 1 and 2 only (RFC 8907 §6, §7)
            let seq = if *kind == 1 { *seq } else { 1 };
            let odd = pdu(*kind, seq * 2 - 1, *sid, body);
            let even = pdu(*kind, seq * 2, *sid, body);
            to_server.extend_from_slice(&odd);
            to_client.extend_from_slice(&even);
            want_server.push(odd);
            want_client.push(even);
        }
        let frames = frames_for(&to_server, &to_client, &cuts, &order, &dups, &overlaps);
        let a = capture::analyze(&pcap(&frames), &Options::default());
        let got = |d: Direction| {
            let mut v: Vec<_> = a.pdus.iter().filter(|p| p.direction == d).collect();
            v.sort_by_key(|p| p.stream_span.start);
            v.into_iter().map(|p| p.wire.to_vec()).collect::<Vec<_>>()
        };
        prop_assert_eq!(got(Direction::ClientToServer), want_server);
        prop_assert_eq!(got(Direction::ServerToClient), want_client);
        prop_assert!(a.pdus.iter().all(|p| p.complete));
        prop_assert!(a.streams.iter().all(|s| s.gaps.is_empty()));
        prop_assert!(a.diagnostics.iter().all(|d| d.code != "not-tacacs-skipped"), "{:#?}", a.diagnostics);
    }

    #[test]
    fn a_lost_segment_costs_at_most_the_pdus_it_touches(
        pdus in pdus_strategy(),
        cuts in prop::collection::vec(any::<usize>(), 2..12),
        lost in any::<prop::sample::Index>(),
    ) {
        // seq_no 1 everywhere: every header is one a search accepts (RFC 8907 §4.1)
        let mut stream = Vec::new();
        let mut starts = Vec::new();
        for (kind, _, sid, body) in &pdus {
            starts.push(stream.len());
            stream.extend_from_slice(&pdu(*kind, 1, *sid, body));
        }
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
        bounds.extend([0, stream.len()]);
        bounds.sort_unstable();
        bounds.dedup();
        let pieces: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        let drop = lost.index(pieces.len());
        let (la, lb) = pieces[drop];
        let mut frames = vec![ip_tcp(C, S, 40000, 49, 99, 0, 0x02, &[])];
        for (i, &(a, b)) in pieces.iter().enumerate() {
            if i != drop {
                frames.push(ip_tcp(C, S, 40000, 49, 100 + a as u32, 0, 0x08, &stream[a..b]));
            }
        }
        let a = capture::analyze(&pcap(&frames), &Options::default());
        let ends: Vec<usize> = starts.iter().skip(1).copied().chain([stream.len()]).collect();
        for (&s, &e) in starts.iter().zip(&ends) {
            let found = a.pdus.iter().find(|p| p.stream_span.start == s);
            if e <= la || s >= lb {
                // untouched by the loss: decoded intact (after the gap: re-synchronised)
                let p = found.expect("untouched PDU decoded");
                prop_assert!(p.complete);
                prop_assert_eq!(&p.wire[..], &stream[s..e]);
            } else if let Some(p) = found {
                // touched: reported incomplete, never made up
                prop_assert!(!p.complete);
                prop_assert_eq!(&p.wire[..], &stream[s..la]);
            }
        }
        prop_assert_eq!(a.pdus.iter().filter(|p| p.complete).count(),
            starts.iter().zip(&ends).filter(|(s, e)| **e <= la || **s >= lb).count());
        if drop + 1 < pieces.len() {
            prop_assert_eq!(&a.streams[0].gaps, &vec![capture::Gap { offset: la as u64, len: (lb - la) as u64 }]);
        }
    }

    #[test]
    fn hostile_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), form in 0usize..8) {
        let format = InputFormat::ALL.get(form).copied();
        let a = capture::analyze(&bytes, &Options { format, ..Options::default() });
        // everything found lies inside the input
        for f in &a.frames {
            prop_assert!(f.input.end <= bytes.len().max(1) + 2);
        }
        for p in &a.pdus {
            prop_assert!(p.wire.len() <= bytes.len());
        }
    }

    #[test]
    fn hostile_text_never_panics(text in "[0-9a-fA-Fx: \\t\\n\\.,=+/A-Z()]{0,600}", form in 0usize..8) {
        let format = InputFormat::ALL.get(form).copied();
        let _ = capture::analyze(text.as_bytes(), &Options { format, ..Options::default() });
    }

    #[test]
    fn mutated_real_captures_never_panic(
        which in 0usize..6,
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let names = ["login.pcap", "links.pcapng", "handmade.pcapng", "messy.tcpdump-XX.txt", "messy.tshark-x.txt", "login.payload.b64"];
        let path = format!("{}/tests/vectors/capture/{}", env!("CARGO_MANIFEST_DIR"), names[which]);
        let mut bytes = std::fs::read(path).unwrap();
        for (i, b) in &flips {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let a = capture::analyze(&bytes, &Options::default());
        for p in &a.pdus {
            for s in &p.segments {
                prop_assert!(s.input.end <= bytes.len());
            }
        }
    }
}

#[test]
fn progress_is_reported_and_cancellation_stops() {
    let path = format!(
        "{}/tests/vectors/capture/login.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).unwrap();
    let opts = Options {
        progress_every: 10,
        ..Options::default()
    };
    let mut seen = Vec::new();
    let a = capture::analyze_with_progress(&bytes, &opts, &mut |p| {
        seen.push(*p);
        core::ops::ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(seen.len() as u64, a.stats.frames / 10 + 1);
    assert!(
        seen.windows(2)
            .all(|w| w[0].done <= w[1].done && w[0].frames < w[1].frames)
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last.done, last.total),
        (bytes.len() as u64, bytes.len() as u64)
    );
    assert_eq!(last.pdus, a.pdus.len() as u64);
    let mut calls = 0;
    let r = capture::analyze_with_progress(&bytes, &opts, &mut |_| {
        calls += 1;
        if calls == 2 {
            core::ops::ControlFlow::Break(())
        } else {
            core::ops::ControlFlow::Continue(())
        }
    });
    assert_eq!(r.unwrap_err(), capture::Cancelled);
    assert_eq!(calls, 2);
}
