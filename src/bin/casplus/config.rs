//! `casplus config check|json FILE`: the site configuration (TOML or JSON), checked by the
//! core ([`casplus::site::check`]) with each problem pointed at its line.

use std::io::Read;

use casplus::cas::config::{Path, Problem, Segment};
use casplus::site::SiteConfig;
use toml::de::{DeTable, DeValue};

use crate::{CliError, Io, write_error};

/// Help text of `casplus config`.
pub const USAGE: &str = "\
Check or convert the casplus configuration file (worker/casplus.example.toml documents it)

Usage: casplus config check FILE
       casplus config json FILE

  check   validate FILE and explain every problem with its place (line, key path);
          exit status 1 when there is any
  json    check FILE, then print it as one line of JSON for the Worker (problems go to
          standard error and nothing to standard output):
          casplus config json casplus.toml | npx wrangler secret put CASPLUS_CONFIG

FILE is TOML, or JSON when it ends in .json or starts with `{`; `-` reads standard input.

Options:
  -h, --help   Print help
";

/// Largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

enum Action {
    Check,
    Json,
}

/// Runs the subcommand.
pub fn run(parser: &mut lexopt::Parser, io: &mut Io<'_>) -> Result<(), CliError> {
    use lexopt::prelude::*;
    let mut action = None;
    let mut file: Option<String> = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => {
                return io
                    .stdout
                    .write_all(USAGE.as_bytes())
                    .map_err(|e| write_error(&e));
            }
            Value(v) if action.is_none() => {
                action = Some(match v.to_str() {
                    Some("check") => Action::Check,
                    Some("json") => Action::Json,
                    _ => {
                        return Err(CliError::Usage(format!(
                            "unknown config action {:?} (check or json)",
                            v.to_string_lossy()
                        )));
                    }
                });
            }
            Value(v) if file.is_none() => file = Some(v.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    let action = action.ok_or_else(|| CliError::Usage("config: check or json?".into()))?;
    let file = file.ok_or_else(|| CliError::Usage("config: a FILE is required".into()))?;
    let text = read(&file, io)?;
    let is_json = file.ends_with(".json") || text.trim_start().starts_with('{');
    let (config, problems) = match parse(&text, is_json) {
        Ok(config) => {
            let problems = config.check();
            (Some(config), problems)
        }
        Err(p) => (None, vec![p]),
    };
    let toml_doc = if is_json {
        None
    } else {
        DeTable::parse(&text).ok()
    };
    let Some(config) = config.filter(|_| problems.is_empty()) else {
        for p in &problems {
            let line = toml_doc
                .as_ref()
                .and_then(|doc| locate(doc.get_ref(), &p.path))
                .map(|offset| format!(":{}", line_of(&text, offset)))
                .unwrap_or_default();
            let report = format!("{file}{line}: {p}");
            match action {
                Action::Check => writeln!(io.stdout, "{report}").map_err(|e| write_error(&e))?,
                // Standard output may be piped into `wrangler secret put`: keep it empty.
                Action::Json => eprintln!("{report}"),
            }
        }
        return Err(CliError::Failed(format!(
            "{file}: {} problem(s)",
            problems.len()
        )));
    };
    match action {
        Action::Json => {
            let json = serde_json::to_string(&config)
                .map_err(|e| CliError::Failed(format!("cannot write JSON: {e}")))?;
            writeln!(io.stdout, "{json}").map_err(|e| write_error(&e))
        }
        Action::Check => {
            let tacacs = config.tacacs.as_ref().map_or(String::new(), |t| {
                format!(", {} TACACS+ server(s)", t.servers.len())
            });
            writeln!(
                io.stdout,
                "{file}: ok ({} service(s), {} user(s){tacacs})",
                config.engine.services.len(),
                config.users.len()
            )
            .map_err(|e| write_error(&e))
        }
    }
}

fn read(file: &str, io: &mut Io<'_>) -> Result<String, CliError> {
    let mut text = String::new();
    let res = if file == "-" {
        io.stdin
            .take(MAX_CONFIG_BYTES)
            .read_to_string(&mut text)
            .map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|f| {
            f.take(MAX_CONFIG_BYTES)
                .read_to_string(&mut text)
                .map(|_| ())
        })
    };
    res.map_err(|e| CliError::Failed(format!("cannot read {file}: {e}")))?;
    Ok(text)
}

fn parse(text: &str, is_json: bool) -> Result<SiteConfig, Problem> {
    if is_json {
        SiteConfig::from_json(text)
    } else {
        toml::from_str(text).map_err(|e| Problem {
            path: Path::default(),
            message: e.to_string().trim_end().to_owned(),
        })
    }
}

/// The byte offset of the deepest part of `path` present in the TOML document.
fn locate(doc: &DeTable<'_>, path: &Path) -> Option<usize> {
    let mut table = doc;
    let mut value: Option<&DeValue<'_>> = None;
    let mut found = None;
    for seg in &path.0 {
        match (seg, value) {
            (Segment::Key(k), None | Some(DeValue::Table(_))) => {
                if let Some(DeValue::Table(t)) = value {
                    table = t;
                }
                let Some((key, v)) = table.iter().find(|(key, _)| key.get_ref() == k) else {
                    break;
                };
                found = Some(key.span().start);
                value = Some(v.get_ref());
            }
            (Segment::Index(i), Some(DeValue::Array(a))) => {
                let Some(v) = a.get(*i) else { break };
                found = Some(v.span().start);
                value = Some(v.get_ref());
            }
            _ => break,
        }
    }
    found
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}
