//! Sans-IO session state machines for a TACACS+ client and server (RFC 8907 §4.1, §4.3,
//! §4.4, §5.4). Work in progress.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
