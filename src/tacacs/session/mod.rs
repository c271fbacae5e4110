//! Sans-IO TACACS+ session state machines for one connection, client side ([`Client`]) and
//! server side ([`Server`]) (quinn-proto style: bytes in through `handle_input`, events and
//! bytes to send out; no socket, no clock, no randomness of its own).
//!
//! Rules enforced (RFC 8907):
//! - `seq_no` (§4.1): a session starts at 1, each packet is +1, clients send odd and servers
//!   even; a session that would reach 255 terminates ([`SessionError::SeqExhausted`]).
//! - `session_id` (§4.1) is drawn from caller-supplied entropy (≥ 4 bytes from a CSPRNG);
//!   it does not change during a session; replies with an unknown `session_id`, a wrong
//!   `seq_no`, the wrong type or a length over the maximum are rejected.
//! - Single Connection Mode (§4.3): negotiated by the flag in the first packet of each side;
//!   the client sends nothing else until the first reply arrived; without it the connection
//!   closes at the end of the first session ([`ClientEvent::Close`], [`Transmit::close_after`]).
//! - Flows (§5.4.2): PAP, CHAP and MS-CHAP are one START and one REPLY (PASS, FAIL or ERROR);
//!   ASCII login and enable continue through GETUSER / GETPASS / GETDATA and CONTINUE;
//!   FOLLOW is treated as FAIL (§5.4.3); authorization and accounting are one request and one
//!   response.
//! - A server answers a packet it cannot accept with an ERROR of the right kind (§4.5: wrong
//!   key "MUST return ERROR"), or for an unknown type with the §3.6 error packet (same header,
//!   `seq_no` + 1, length 0); after a key mismatch in Single Connection Mode it accepts no new
//!   session and closes when the active ones are done (§4.4).
//!
//! Timeouts are the adapter's business: this module never reads a clock.
//!
//! Both ends run on one connection core (`connection.rs`): framing, the strict checks of a
//! received packet, `seq_no` and turn keeping, single-connect negotiation, header flags and
//! obfuscation, and when the connection closes are written once. `client.rs` and
//! `server.rs` hold what differs: the bodies each end accepts and how it answers.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod client;
mod connection;
mod server;

#[cfg(test)]
mod tests;

pub use client::{AuthenNext, Client, ClientEvent};
pub use server::{Server, ServerEvent};

pub use super::diag::codes::{FLOW_VIOLATION, UNKNOWN_SESSION};

use super::DEFAULT_MAX_LENGTH;
use super::encode::EncodeError;
use super::obfuscate::Key;

/// Settings shared by both ends.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The shared secret (§4.5).
    pub key: Key,
    /// Client: request Single Connection Mode. Server: grant it when requested (§4.3).
    pub single_connect: bool,
    /// Largest acceptable body length (default 2^16, §4.1).
    pub max_length: u32,
    /// Send bodies unobfuscated and accept unobfuscated bodies. Testing only: RFC 8907
    /// says this MUST NOT be used in production (§4.5).
    pub unencrypted: bool,
    /// The connection runs inside TLS 1.3 (RFC 9887 §4): every packet goes out with
    /// TAC_PLUS_UNENCRYPTED_FLAG and unobfuscated, and a received packet without the flag is
    /// refused (`obfuscated-over-tls`) — a server answers it with the ERROR of its kind
    /// (flag set) and ends the session.
    pub tls: bool,
}

impl SessionConfig {
    /// Obfuscated, no single-connect, maximum length 2^16.
    pub fn new(key: Key) -> Self {
        Self {
            key,
            single_connect: false,
            max_length: DEFAULT_MAX_LENGTH,
            unencrypted: false,
            tls: false,
        }
    }
}

/// Misuse of a session machine by its caller, or a state that forbids the operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Fewer than 4 bytes of entropy for a `session_id`.
    #[error("need 4 bytes of entropy for a session_id, got {0}")]
    NotEnoughEntropy(usize),
    /// The `session_id` drawn from the entropy is already active on this connection.
    #[error("session_id {0:#010x} is already in use on this connection")]
    SessionIdInUse(u32),
    /// No active session with this id.
    #[error("no active session {0:#010x}")]
    UnknownSession(u32),
    /// It is the peer's turn in this session.
    #[error("session {0:#010x} is waiting for the peer")]
    NotYourTurn(u32),
    /// The client must not send a second packet before Single Connection Mode is settled,
    /// and without it only one session runs per connection (§4.3).
    #[error("no new session now: single-connect status is not established or was refused")]
    SingleConnectPending,
    /// The connection is closed or closing (no new sessions).
    #[error("the connection is closing")]
    Closing,
    /// The next packet would need `seq_no` 255 or more: the session must terminate (§4.1).
    #[error("session {0:#010x} reached the seq_no limit and must be restarted")]
    SeqExhausted(u32),
    /// The operation breaks the authentication flow (e.g. GETPASS in a PAP session).
    #[error("session {session_id:#010x}: {reason}")]
    FlowViolation {
        /// The session.
        session_id: u32,
        /// Which rule.
        reason: &'static str,
    },
    /// The body could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Bytes to send to the peer. `Debug` shows their length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The session the packet belongs to.
    pub session_id: u32,
    /// The whole packet (header + obfuscated body).
    pub bytes: Vec<u8>,
    /// True when the connection should be closed once these bytes are sent (end of the
    /// only session without Single Connection Mode, or after a fatal error).
    pub close_after: bool,
}

impl core::fmt::Debug for Transmit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transmit")
            .field("session_id", &format_args!("{:#010x}", self.session_id))
            .field("bytes", &super::authen::Redacted(&self.bytes))
            .field("close_after", &self.close_after)
            .finish()
    }
}

/// Single Connection Mode status of a connection (§4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SingleConnect {
    /// The first two packets have not both been seen yet.
    Pending,
    /// Both sides set the flag: sessions may be multiplexed.
    Negotiated,
    /// Not negotiated: the connection closes after the first session.
    Refused,
}
