//! The architecture as a test: the arrows between the parts of `src/` that docs/architecture.md
//! draws ("Layout", the `flowchart` between the `architecture:begin`/`end` markers) are exactly the
//! arrows the code has. An import the picture does not allow fails this test, and so does an
//! arrow in the picture that the code no longer has, so the picture cannot drift.
//!
//! An arrow `a --> b` means "files of part `a` may name items of part `b`" (`use crate::b…`
//! or `crate::b::…` in code; comments and docs do not count). A part is a top-level module of the crate: `src/a.rs` or
//! `src/a/`. The binaries (`src/bin/`) are adapters outside the library and may use all of it;
//! they are not drawn.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The file that draws the architecture diagram, relative to the repository root.
const DIAGRAM: &str = "docs/architecture.md";

/// The edges of the architecture diagram (docs/architecture.md).
fn allowed_arrows(readme: &str) -> BTreeSet<(String, String)> {
    let start = readme
        .find("<!-- architecture:begin -->")
        .expect("docs/architecture.md has an <!-- architecture:begin --> marker");
    let end = readme[start..]
        .find("<!-- architecture:end -->")
        .expect("docs/architecture.md has an <!-- architecture:end --> marker")
        + start;
    let mut arrows = BTreeSet::new();
    for line in readme[start..end].lines() {
        if line.contains("<!--") {
            continue;
        }
        let Some((from, to)) = line.split_once("-->") else {
            continue;
        };
        let name = |s: &str| -> String {
            // `cas[cas: CAS protocol]` → `cas`; `|label|` on the arrow is not a node.
            let s = s.trim().trim_start_matches('|');
            let s = s.rsplit('|').next().unwrap_or(s).trim();
            s.split(['[', '(', ' ']).next().unwrap_or(s).to_owned()
        };
        for from in from.split('&') {
            for to in to.split('&') {
                arrows.insert((name(from), name(to)));
            }
        }
    }
    assert!(
        !arrows.is_empty(),
        "no arrows between the architecture markers"
    );
    arrows
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The part a file of `src/` belongs to: its top-level module (`None` for the crate root and
/// the binaries).
fn part_of(rel: &Path) -> Option<String> {
    let mut parts = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let first = parts.next()?;
    match first.as_str() {
        "lib.rs" | "bin" => None,
        f => Some(f.trim_end_matches(".rs").to_owned()),
    }
}

/// The top-level modules named by `crate::` paths in `text`, with the line of each mention.
/// Handles `crate::a::x`, `crate::{a::x, b}` and nested groups (only the first level counts).
fn crate_mentions(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        // `casplus_crate::` or `my_crate::` are other names.
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let line = text[..at].matches('\n').count() + 1;
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            let mut ident = String::new();
            for c in group.chars() {
                if depth == 1 && item_start && (c.is_alphanumeric() || c == '_') {
                    ident.push(c);
                    continue;
                }
                if !ident.is_empty() {
                    found.push((std::mem::take(&mut ident), line));
                }
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if !c.is_whitespace() {
                    item_start = false;
                }
            }
        } else {
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                found.push((ident, line));
            }
        }
    }
    found
}

/// Every arrow the code has: `(from, to) → [file:line, …]`.
fn code_arrows(src: &Path) -> BTreeMap<(String, String), Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut arrows: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let Some(from) = part_of(rel) else { continue };
        // Code only: comments and docs may talk about other parts (a doc says which part
        // drives this one) without depending on them.
        let text: String = fs::read_to_string(&file)
            .unwrap()
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("//") {
                    ""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        for (to, line) in crate_mentions(&text) {
            // `crate::Self`-like names that are not modules (macros, items of lib.rs) are
            // left to the check below, which wants every target to be a part.
            if to != from {
                arrows
                    .entry((from.clone(), to))
                    .or_default()
                    .push(format!("src/{}:{line}", rel.display()));
            }
        }
    }
    arrows
}

/// The parts of the crate: its top-level modules.
fn parts(src: &Path) -> BTreeSet<String> {
    fs::read_dir(src)
        .unwrap()
        .filter_map(|e| part_of(Path::new(&e.unwrap().file_name())))
        .collect()
}

#[test]
fn imports_follow_the_readme_diagram() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join(DIAGRAM)).unwrap();
    let allowed = allowed_arrows(&readme);
    let src = root.join("src");
    let parts = parts(&src);
    let code = code_arrows(&src);

    let mut wrong = Vec::new();
    for ((from, to), places) in &code {
        if !parts.contains(to) {
            wrong.push(format!(
                "{from} names crate::{to}, which is not a module of src/ ({})",
                places[0]
            ));
        } else if !allowed.contains(&(from.clone(), to.clone())) {
            wrong.push(format!(
                "forbidden import {from} → {to} (not drawn in the architecture diagram of docs/architecture.md): {}",
                places.join(", ")
            ));
        }
    }
    for (from, to) in &allowed {
        for node in [from, to] {
            if !parts.contains(node) {
                wrong.push(format!(
                    "docs/architecture.md draws `{node}`, which is not a module of src/"
                ));
            }
        }
        if !code.contains_key(&(from.clone(), to.clone())) {
            wrong.push(format!(
                "docs/architecture.md draws {from} → {to}, but no file of src/{from} names crate::{to}: \
                 remove the arrow"
            ));
        }
    }
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "architecture drift:\n  {}",
        wrong.join("\n  ")
    );
}

/// The rules the diagram must keep whatever else changes (STYLE.md "Layers the compiler or a
/// test can check"): the two protocols never import each other, only the bridge and the site
/// configuration join them, and no core part reaches an adapter.
#[test]
fn the_diagram_keeps_the_layering_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let allowed = allowed_arrows(&fs::read_to_string(root.join(DIAGRAM)).unwrap());
    let has = |a: &str, b: &str| allowed.contains(&(a.to_owned(), b.to_owned()));
    for (a, b) in [
        ("tacacs", "cas"),
        ("cas", "tacacs"),
        ("tacacs", "capture"),
        ("cas", "capture"),
    ] {
        assert!(!has(a, b), "{a} must not import {b}");
    }
    let adapters = ["wasm"];
    let core = ["codec", "time", "tacacs", "capture", "cas"];
    for a in core.iter().chain(["aaa", "site", "password", "url"].iter()) {
        for b in adapters {
            assert!(!has(a, b), "core part {a} must not import the adapter {b}");
        }
    }
    let joins_both: Vec<&String> = allowed
        .iter()
        .map(|(from, _)| from)
        .filter(|from| has(from, "cas") && has(from, "tacacs"))
        .collect();
    for from in joins_both {
        assert!(
            ["aaa", "site", "wasm"].contains(&from.as_str()),
            "only the bridge (aaa) and the site configuration join cas and tacacs, not {from}"
        );
    }
}

#[test]
fn crate_mentions_are_read_from_paths_and_groups() {
    let text = "use crate::cas::web::Effect;\nuse crate::{tacacs::{a, b}, codec};\n\
                let t = crate::time::Timestamp(0);\nlet x = my_crate::nope;";
    let names: Vec<String> = crate_mentions(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["cas", "tacacs", "codec", "time"]);
}
