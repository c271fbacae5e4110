//! The §4.5 pseudo-pad against a reference computed here with `md-5` directly
//! (MD5_1 = MD5{session_id, key, version, seq_no}, MD5_n = MD5{…, MD5_n-1}); applying the
//! pad twice is the identity.
#![no_main]

use casplus::tacacs::{apply_pad, pseudo_pad};
use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};

fn reference_pad(session_id: u32, key: &[u8], version: u8, seq_no: u8, len: usize) -> Vec<u8> {
    let mut input = Vec::new();
    input.extend_from_slice(&session_id.to_be_bytes());
    input.extend_from_slice(key);
    input.push(version);
    input.push(seq_no);
    let mut pad = Vec::new();
    let mut prev: Vec<u8> = Vec::new();
    while pad.len() < len {
        let mut block_input = input.clone();
        block_input.extend_from_slice(&prev);
        prev = Md5::digest(&block_input).to_vec();
        pad.extend_from_slice(&prev);
    }
    pad.truncate(len);
    pad
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 7 {
        return;
    }
    let session_id = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
    let (version, seq_no) = (data[4], data[5]);
    let key_len = usize::from(data[6]).min(data.len() - 7);
    let (key, body) = data[7..].split_at(key_len);
    let pad = pseudo_pad(session_id, key, version, seq_no, body.len());
    assert_eq!(pad, reference_pad(session_id, key, version, seq_no, body.len()));
    let mut b = body.to_vec();
    apply_pad(&mut b, session_id, key, version, seq_no);
    let xored: Vec<u8> = body.iter().zip(&pad).map(|(x, p)| x ^ p).collect();
    assert_eq!(b, xored);
    apply_pad(&mut b, session_id, key, version, seq_no);
    assert_eq!(b, body, "applying the pad twice is the identity");
});
