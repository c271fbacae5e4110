//! CAS query/form parsing (§2.1–§2.7 parameters): total on any bytes, and what parses
//! re-encodes and re-parses to the same pairs; redirect URLs always carry the ticket.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| casplus::cas::params::fuzz_round_trip(data));
