//! CAS protocol 3.0 engine.
