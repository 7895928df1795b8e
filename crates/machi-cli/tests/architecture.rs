//! `docs/ARCHITECTURE.md`'s code map is true to the tree: every path it
//! names exists, and every source file under `crates/*/src` is named by a
//! line (itself, or a directory above it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The backticked paths before the dash of each bullet of the code map,
/// by the directory they are relative to.
fn named(doc: &str, root: &Path) -> BTreeMap<PathBuf, Vec<String>> {
    let start = doc.find("## Code map").expect("a code map section");
    let section = &doc[start + 1..];
    let end = section.find("\n## ").unwrap_or(section.len());
    let mut base: Option<PathBuf> = None;
    let mut out: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for line in section[..end].lines() {
        if let Some(h) = line.strip_prefix("### ") {
            base = Some(match h.trim().trim_matches('`') {
                "Around the crates" => root.to_path_buf(),
                krate => root.join(krate).join("src"),
            });
            continue;
        }
        let (Some(item), Some(base)) = (line.strip_prefix("- "), &base) else {
            continue;
        };
        let head = item.split(" — ").next().unwrap_or("");
        for path in head.split('`').skip(1).step_by(2) {
            out.entry(base.clone()).or_default().push(path.to_owned());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_code_map_names_every_source_file_and_nothing_else() {
    let root = root();
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("the document");
    let named = named(&doc, &root);
    assert!(named.len() >= 9, "sections: {:?}", named.keys());
    let mut problems = Vec::new();
    for (base, paths) in &named {
        for p in paths {
            if !base.join(p).exists() {
                problems.push(format!(
                    "names {} which does not exist",
                    base.join(p).display()
                ));
            }
        }
    }
    for krate in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        let src = krate.path().join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let lines = named.get(&src).cloned().unwrap_or_default();
        for f in files {
            let rel = f
                .strip_prefix(&src)
                .expect("in src")
                .to_string_lossy()
                .replace('\\', "/");
            let covered = lines
                .iter()
                .any(|l| *l == rel || (l.ends_with('/') && rel.starts_with(l.as_str())));
            if !covered {
                problems.push(format!("does not name {}", f.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ARCHITECTURE.md:\n{}",
        problems.join("\n")
    );
}
