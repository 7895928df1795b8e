//! The crate's shape, held as tests: every page action has an API twin,
//! and the modules import downwards only (no circle, nothing from `lib.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use machi_web::Twin;

/// Every page route names its API twin, the twin exists in the OpenAPI
/// document with that method, and no page action that changes something
/// (a POST) is page-only.
#[test]
fn every_page_action_has_an_api_twin() {
    let doc: serde_json::Value =
        serde_json::from_str(&machi_web::api::openapi_json()).expect("openapi json");
    let actions = machi_web::page_actions();
    assert!(actions.len() > 20, "{} page actions", actions.len());
    for a in &actions {
        match a.twin {
            Twin::Api(op) => {
                let (method, path) = op.split_once(' ').expect("METHOD /path");
                let found = &doc["paths"][path][method.to_ascii_lowercase()];
                assert!(
                    found.is_object(),
                    "{} {}: its API twin {op} is not in the OpenAPI document",
                    a.method,
                    a.path
                );
            }
            Twin::PageOnly(why) => {
                assert!(
                    why.len() > 10,
                    "{} {}: say why it is page-only",
                    a.method,
                    a.path
                );
                assert_ne!(
                    a.method, "POST",
                    "{}: a page action that changes something needs an API twin",
                    a.path
                );
            }
        }
    }
}

/// The top-level module a `crate::…` path names.
fn modules_used(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for part in text.split("crate::").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

/// Module-level import graph of `src/`: it has no circle, and no module
/// reaches up into `lib.rs` (for example for `crate::AppState`): shared
/// things live in a module below their users.
#[test]
fn modules_import_downwards_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(&src).expect("in src");
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .unwrap_or("")
                .trim_end_matches(".rs")
                .to_owned();
            if top == "lib" {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&p).expect("read");
            // Doc links (`[`crate::x`]`) are not imports.
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for m in modules_used(&code) {
                let first = m.chars().next().unwrap_or('a');
                assert!(
                    !first.is_ascii_uppercase() && m != "router" && m != "page_actions",
                    "{}: uses crate::{m} from lib.rs; import it from its module",
                    rel.display()
                );
                if m != top {
                    graph.entry(top.clone()).or_default().insert(m);
                }
            }
        }
    }
    assert!(files > 30, "read {files} files");
    // No circle: repeatedly remove modules that import nothing left.
    let mut left = graph.clone();
    loop {
        let sinks: Vec<String> = left
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| !left.contains_key(d)))
            .map(|(m, _)| m.clone())
            .collect();
        if sinks.is_empty() {
            break;
        }
        for s in sinks {
            left.remove(&s);
        }
    }
    assert!(
        left.is_empty(),
        "modules importing each other in a circle: {left:?}"
    );
}
