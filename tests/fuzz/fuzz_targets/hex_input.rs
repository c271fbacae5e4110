//! The `casplus decode` input reader (`casplus::capture::paste`): never panics, and
//! `parse(format(x)) == x` for every byte string `x` in every tolerated hex layout.
#![no_main]

use libfuzzer_sys::fuzz_target;

use casplus::capture::InputFormat;
use casplus::capture::paste as input;

/// Formats `bytes` as hex text in one of the layouts the reader accepts.
fn format(bytes: &[u8], style: u8) -> String {
    let mut s = String::from("# fuzz\n");
    for (i, b) in bytes.iter().enumerate() {
        match style % 5 {
            0 => s.push_str(&format!("{b:02x}")),
            1 => s.push_str(&format!("{b:02X} ")),
            2 => s.push_str(&format!("{}{b:02x}", if i == 0 { "" } else { ":" })),
            3 => s.push_str(&format!("0x{b:02x}, ")),
            _ => s.push_str(&format!("{b:02x}{}", if i % 16 == 15 { " # line\n" } else { " " })),
        }
    }
    s
}

fuzz_target!(|data: &[u8]| {
    // Arbitrary input: total, and whatever it accepts is stable under a canonical re-format.
    // Forcing a form never panics either, and forced raw is the input itself.
    let _ = input::read_pdus(data, Some(InputFormat::Hex));
    if !data.is_empty() {
        assert_eq!(
            input::read_pdus(data, Some(InputFormat::Raw)),
            Ok((data.to_vec(), InputFormat::Raw))
        );
    }
    if let Ok((bytes, fmt)) = input::read_pdus(data, None) {
        if fmt == InputFormat::Raw {
            assert_eq!(bytes, data);
        } else {
            assert!(bytes.len() <= data.len() / 2);
            assert_eq!(input::parse_hex(format(&bytes, 0).as_bytes()), Ok(bytes));
        }
    }
    // decode(encode(x)) == x for every layout.
    if let Some((&style, x)) = data.split_first() {
        let text = format(x, style);
        assert_eq!(input::parse_hex(text.as_bytes()), Ok(x.to_vec()));
    }
});
