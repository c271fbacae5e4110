//! Field-level decoders: AV pairs split at the first `=`/`*` (§6.1) and rejoin to the
//! argument; CHAP data splits into id ‖ challenge ‖ response and rejoins (§5.4.2.3–5);
//! accounting argument parsing (§8.3) and text escaping (§3.7) are total.
#![no_main]

use casplus::tacacs::{AcctArgs, AuthenType, AvPair, ChapData, Separator, Text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let av = AvPair::split(data);
    let mut joined = av.name.to_vec();
    match av.separator {
        Some(Separator::Mandatory) => joined.push(b'='),
        Some(Separator::Optional) => joined.push(b'*'),
        None => assert!(!data.contains(&b'=') && !data.contains(&b'*')),
    }
    joined.extend_from_slice(av.value);
    assert_eq!(joined, data);
    assert!(!av.name.contains(&b'=') && !av.name.contains(&b'*'), "split at the first separator");

    for t in [AuthenType::CHAP, AuthenType::MSCHAP, AuthenType::MSCHAPV2] {
        let c = ChapData::split(t, data).expect("CHAP-like types split");
        let mut joined: Vec<u8> = c.id.into_iter().collect();
        joined.extend_from_slice(c.challenge);
        joined.extend_from_slice(c.response);
        assert_eq!(joined, data);
        assert_eq!(c.data_len, data.len());
        let _ = c.size_problem();
    }
    assert!(ChapData::split(AuthenType::PAP, data).is_none());

    let args: Vec<Vec<u8>> = data.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
    let (_acct, problems) = AcctArgs::parse(&args);
    for (i, _) in problems {
        assert!(i < args.len());
    }

    let t = Text::from_bytes(data);
    assert!(!t.escaped.chars().any(char::is_control), "no raw control character survives");
    if let Ok(s) = std::str::from_utf8(data)
        && !t.non_printable
        && !s.contains('\\')
    {
        assert_eq!(t.escaped, s, "printable text is shown as is");
    }
});
