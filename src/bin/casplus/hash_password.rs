//! `casplus hash-password`: a salted PBKDF2-SHA256 hash for the built-in CAS user store.

use std::io::{BufRead, BufReader, Read};

use casplus::password::{
    DEFAULT_ITERATIONS, MAX_ITERATIONS, MAX_PASSWORD_LEN, MIN_ITERATIONS, PasswordHash,
    hash_password,
};

use crate::{CliError, Io, write_error};

/// Help text of `casplus hash-password`.
pub const USAGE: &str = "\
Hash a password for the built-in CAS user store (PBKDF2-SHA256, random 16-byte salt)

Usage: casplus hash-password [OPTIONS] < password.txt

Reads the password from the first line of standard input (never from the command line,
where other users could see it in the process list) and prints the PHC string
`$pbkdf2-sha256$i=N$salt$hash` to put in the users' `password` field.

Options:
      --iterations N   PBKDF2 rounds (default 50000; the Worker verifies within ~30 ms)
  -h, --help           Print help
";

/// Runs the subcommand.
pub fn run(parser: &mut lexopt::Parser, io: &mut Io<'_>) -> Result<(), CliError> {
    use lexopt::prelude::*;
    let mut iterations = DEFAULT_ITERATIONS;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("iterations") => {
                iterations = parser.value()?.parse()?;
                if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
                    return Err(CliError::Usage(format!(
                        "--iterations must be in {MIN_ITERATIONS}..={MAX_ITERATIONS}"
                    )));
                }
            }
            Short('h') | Long("help") => {
                return io
                    .stdout
                    .write_all(USAGE.as_bytes())
                    .map_err(|e| write_error(&e));
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let mut line = String::new();
    BufReader::new(&mut io.stdin)
        .take(MAX_PASSWORD_LEN as u64 + 2)
        .read_line(&mut line)
        .map_err(|e| CliError::Failed(format!("cannot read the password: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(CliError::Failed(
            "no password on standard input (first line)".into(),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(CliError::Failed(format!(
            "password longer than {MAX_PASSWORD_LEN} bytes"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| CliError::Failed(format!("no system randomness for the salt: {e}")))?;
    let phc = hash_password(password, &salt, iterations);
    // Self-check: the string parses and verifies, as the user store will do it.
    let ok = PasswordHash::parse(&phc).is_ok_and(|h| h.verify(password));
    if !ok {
        return Err(CliError::Failed(
            "internal error: hash does not verify".into(),
        ));
    }
    writeln!(io.stdout, "{phc}").map_err(|e| write_error(&e))
}
