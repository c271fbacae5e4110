//! `casplus` — the native command-line tool of the casplus core.
//!
//! `casplus <subcommand> [options]`. Each subcommand lives in its own module under
//! `src/bin/casplus/` with a `USAGE` text and a `run(parser, io)` entry point; `main` only routes.
//! Exit status: 0 on success, 1 when the work could not be done (unreadable input, I/O),
//! 2 for a usage error. Errors are one line on stderr: `casplus: <reason>`.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::ExitCode;

mod config;
mod decode;
mod hash_password;
mod tacacs_server;
mod tacacs_tls;
mod tree;

const USAGE: &str = "\
casplus — CAS single sign-on and TACACS+ (RFC 8907) tools

Usage: casplus <COMMAND> [OPTIONS]

Commands:
  config           Check the configuration file, or convert it to the Worker's JSON
  decode           Decode TACACS+ PDUs (raw bytes or hex text) into a tree or JSON Lines
  hash-password    Hash a password (read from stdin) for the built-in CAS user store
  tacacs-server    Run a TACACS+ server for development and tests

Options:
  -h, --help       Print help (`casplus <COMMAND> --help` for a command)
  -V, --version    Print version
";

/// A failure, rendered as one line on stderr.
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong (exit status 2).
    Usage(String),
    /// The work could not be done (exit status 1).
    Failed(String),
}

impl CliError {
    fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Failed(_) => ExitCode::from(1),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(m) => write!(f, "{m} (see `casplus --help`)"),
            Self::Failed(m) => f.write_str(m),
        }
    }
}

impl From<lexopt::Error> for CliError {
    fn from(e: lexopt::Error) -> Self {
        Self::Usage(e.to_string())
    }
}

/// Standard streams, passed in so that subcommands never reach for globals.
pub struct Io<'a> {
    /// Where input comes from when the file argument is `-` or absent.
    pub stdin: &'a mut dyn Read,
    /// Where results go.
    pub stdout: &'a mut dyn Write,
}

fn main() -> ExitCode {
    let mut stdin = io::stdin().lock();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let result = run(
        std::env::args_os().skip(1),
        &mut Io {
            stdin: &mut stdin,
            stdout: &mut stdout,
        },
    )
    .and_then(|()| stdout.flush().map_err(|e| write_error(&e)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`casplus decode … | head`) is not worth a message.
            if !matches!(&e, CliError::Failed(m) if m == BROKEN_PIPE) {
                eprintln!("casplus: {e}");
            }
            e.exit_code()
        }
    }
}

const BROKEN_PIPE: &str = "output closed";

/// Maps an output error to a `CliError`.
pub fn write_error(e: &io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::Failed(BROKEN_PIPE.into())
    } else {
        CliError::Failed(format!("cannot write output: {e}"))
    }
}

/// Parses the subcommand and hands the rest of the command line to it.
fn run(args: impl IntoIterator<Item = OsString>, io: &mut Io<'_>) -> Result<(), CliError> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    match parser.next()? {
        None => Err(CliError::Usage("a command is required".into())),
        Some(Short('h') | Long("help")) => print(io, USAGE),
        Some(Short('V') | Long("version")) => {
            print(io, &format!("casplus {}\n", env!("CARGO_PKG_VERSION")))
        }
        Some(Value(cmd)) => match cmd.to_str() {
            Some("config") => config::run(&mut parser, io),
            Some("decode") => decode::run(&mut parser, io),
            Some("hash-password") => hash_password::run(&mut parser, io),
            Some("tacacs-server") => tacacs_server::run(&mut parser, io),
            Some("help") => print(io, USAGE),
            _ => Err(CliError::Usage(format!(
                "unknown command {:?}",
                cmd.to_string_lossy()
            ))),
        },
        Some(other) => Err(other.unexpected().into()),
    }
}

fn print(io: &mut Io<'_>, text: &str) -> Result<(), CliError> {
    io.stdout
        .write_all(text.as_bytes())
        .map_err(|e| write_error(&e))
}
