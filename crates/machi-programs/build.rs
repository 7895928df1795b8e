//! Embeds the program files of `programs/*.toml` (at the workspace root) in
//! the crate, so that the `machi` binary carries them: writes
//! `$OUT_DIR/bundled_programs.rs`, a slice of `(file name, include_str!(…))`
//! sorted by name. Adding a program is adding a file; cargo rebuilds when the
//! directory or a file in it changes.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let dir = manifest.join("../../programs");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            println!(
                "cargo::warning=no program files embedded: cannot read {}: {e}",
                dir.display()
            );
            Vec::new()
        }
    };
    files.sort();
    let mut out = String::from("&[\n");
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("program file names are UTF-8");
        let abs = path.canonicalize().expect("a listed file exists");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push(']');
    let target = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("bundled_programs.rs");
    std::fs::write(&target, out).expect("OUT_DIR is writable");
}
