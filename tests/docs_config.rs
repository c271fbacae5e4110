//! docs/configuration.md lists every key of the configuration file and only those, each with
//! its default: the keys are not copied from the documentation but found in the code, by
//! asking the parsers. Every table of the configuration refuses an unknown key and names the
//! keys it knows (`deny_unknown_fields`, `config_table!`), so a probe `noSuchKey` put at each
//! place of a document (through `SiteConfig::from_json` and `casplus::site::check`, as the
//! Worker and `casplus config check` read it) reveals the keys read there; each key is then
//! probed as a table, a list of tables and a map of tables, and walked the same way. A new key
//! in the code without a row in the table fails this test, and so does a row whose key the
//! code no longer reads, or whose default is not the code's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use casplus::site::SiteConfig;
use serde_json::{Value, json};

/// One step of a key's place: a table key, any element of a list, any key of a map.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Elem,
    Entry,
}

/// How a place is written in docs/configuration.md: `engine.services[].service.host`,
/// `users.<name>.password`.
fn spelled(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Elem => out.push_str("[]"),
            Step::Entry => out.push_str(".<name>"),
        }
    }
    out
}

/// A document with `leaf` at `path`.
fn document(path: &[Step], leaf: Value) -> Value {
    path.iter().rev().fold(leaf, |inner, s| match s {
        Step::Key(k) => json!({ k.as_str(): inner }),
        Step::Elem => json!([inner]),
        Step::Entry => json!({ "somename": inner }),
    })
}

/// The keys known where the document puts `{"noSuchKey": …}`, from the parser's
/// "unknown field `noSuchKey`, expected one of `a`, `b`" (None: no table of keys there).
fn known_keys(doc: &Value) -> Option<Vec<String>> {
    let messages: Vec<String> = match SiteConfig::from_json(&doc.to_string()) {
        Err(p) => vec![p.message],
        Ok(config) => casplus::site::check(&config)
            .into_iter()
            .map(|p| p.message)
            .collect(),
    };
    let m = messages
        .iter()
        .find(|m| m.contains("unknown field `noSuchKey`"))?;
    let rest = m.split("unknown field `noSuchKey`, ").nth(1)?;
    if rest.starts_with("there are no fields") {
        return Some(Vec::new());
    }
    let list = rest
        .strip_prefix("expected one of ")
        .or_else(|| rest.strip_prefix("expected "))?;
    // `a`, `b`, `c` (then serde_json's " at line 1 column 30")
    Some(
        list.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

/// Every key of the configuration file that holds a value (tables are walked, not listed),
/// as the parsers read them.
fn code_keys() -> Vec<String> {
    let probe = json!({ "noSuchKey": true });
    let mut out = Vec::new();
    let mut todo = vec![Vec::new()];
    while let Some(path) = todo.pop() {
        let Some(keys) = known_keys(&document(&path, probe.clone())) else {
            continue;
        };
        for k in keys {
            let mut at = path.clone();
            at.push(Step::Key(k.clone()));
            // A table (or a list or map of tables) is walked; a value is a row.
            let table = [None, Some(Step::Elem), Some(Step::Entry)]
                .into_iter()
                .map(|shape| {
                    let mut inner = at.clone();
                    inner.extend(shape);
                    inner
                })
                .find(|inner| known_keys(&document(inner, probe.clone())).is_some());
            match table {
                Some(inner) => todo.push(inner),
                None => out.push(spelled(&at)),
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The rows of docs/configuration.md's key table: key → default cell.
fn documented() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("| key | default | check |")
        .expect("docs/configuration.md has a table `| key | default | check |`");
    let mut rows = BTreeMap::new();
    for line in text[start..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split(" | ").collect();
        let key = cells[0]
            .trim_start_matches("| ")
            .trim_matches('`')
            .to_owned();
        let default = cells.get(1).copied().unwrap_or("").trim().to_owned();
        assert!(
            rows.insert(key.clone(), default).is_none(),
            "{key} is listed twice"
        );
    }
    rows
}

#[test]
fn configuration_doc_lists_every_key_the_code_reads_and_only_those() {
    let code = code_keys();
    assert!(
        code.len() > 40
            && code
                .iter()
                .any(|k| k == "engine.tickets.serviceTicketSeconds"),
        "the probe found too few keys: {code:?}"
    );
    let doc = documented();
    let missing: Vec<&String> = code.iter().filter(|k| !doc.contains_key(*k)).collect();
    let extra: Vec<&String> = doc.keys().filter(|k| !code.contains(k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/configuration.md is stale.\n  keys the code reads that the table lacks: {missing:?}\n  rows for keys the code does not read: {extra:?}"
    );
}

/// The default column shows, as JSON, what the code uses when the key is left out (for the
/// keys of `engine`, whose defaults are a value of `EngineConfig::default()`).
#[test]
fn configuration_doc_defaults_are_the_code_s() {
    let defaults = serde_json::to_value(SiteConfig::default()).unwrap();
    let mut wrong = Vec::new();
    for (key, cell) in documented() {
        if key.contains('[') || key.contains('<') || !key.starts_with("engine.") {
            continue;
        }
        let mut v = &defaults;
        for k in key.split('.') {
            v = &v[k];
        }
        if v.is_object() || v.is_null() {
            continue;
        }
        let want = format!("`{v}`");
        if cell != want {
            wrong.push(format!(
                "{key}: the table says {cell}, the code's default is {want}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "stale defaults in docs/configuration.md:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_probe_reads_the_known_keys_of_a_table() {
    let keys = known_keys(&json!({ "engine": { "cookie": { "noSuchKey": true } } })).unwrap();
    assert!(keys.contains(&"secure".to_owned()), "{keys:?}");
    assert_eq!(
        known_keys(&json!({ "engine": { "rememberMe": true } })),
        None
    );
}

#[test]
#[ignore = "prints the keys, to write the table"]
fn print_keys() {
    let defaults = serde_json::to_value(SiteConfig::default()).unwrap();
    for k in code_keys() {
        let mut v = &defaults;
        for p in k.split('.') {
            v = &v[p];
        }
        println!("{k}\t{v}");
    }
}
