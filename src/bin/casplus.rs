//! The casplus command-line tool.
fn main() {}
