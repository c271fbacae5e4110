//! The stored form (`casplus::cas::stored`: tickets and throttle counters as the Worker
//! keeps them in KV and Durable Objects) and the TACACS+ gateway's request
//! (`casplus::aaa::gateway::GatewayRequest`): total on any bytes — a typed error, never a
//! panic or an allocation the input does not pay for — and what decodes re-encodes to a
//! value that decodes the same. The first byte picks the decoder.
#![no_main]

use casplus::cas::stored;
use casplus::cas::throttle::ThrottleState;
use casplus::cas::ticket::Ticket;
use casplus::aaa::gateway::GatewayRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, input)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(t) = Ticket::from_bytes(input) {
                let again = t.to_bytes().expect("a decoded ticket encodes");
                assert_eq!(Ticket::from_bytes(&again).expect("re-decodes"), t);
            }
        }
        1 => {
            if let Ok(s) = stored::decode::<ThrottleState>(input) {
                let again = stored::encode(&s).expect("encodes");
                assert_eq!(stored::decode::<ThrottleState>(&again).expect("re-decodes"), s);
            }
        }
        _ => {
            if let Ok(r) = GatewayRequest::from_json(input) {
                let again = r.to_json().expect("a decoded request encodes");
                assert_eq!(
                    GatewayRequest::from_json(again.as_bytes()).expect("re-decodes"),
                    r
                );
            }
        }
    }
});
