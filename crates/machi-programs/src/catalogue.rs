//! The set of known programs: the files shipped in `programs/` (embedded at
//! build time by `build.rs`) and any the caller reads from elsewhere.
//!
//! This module does no IO: the caller hands over `(file name, text)` pairs.

use std::collections::BTreeMap;
use std::fmt;

use machi_domain::ProjectError;

use crate::locate::locate;
use crate::program::Program;

/// The program files of `programs/`, embedded: (file name, text).
pub const BUNDLED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled_programs.rs"));

/// Problems in one program file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileErrors {
    /// The file name (as handed in, e.g. `mlit-smart-city-implementation.toml`).
    pub file: String,
    /// Each problem, with its field path and, when found, its line.
    pub errors: Vec<ProjectError>,
}

/// Problems in one or more program files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct CatalogueErrors(pub Vec<FileErrors>);

impl fmt::Display for CatalogueErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, file) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:", file.file)?;
            for e in &file.errors {
                write!(f, "\n  {e}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for CatalogueErrors {}

/// Reads one program file. `file` names it in errors and must be
/// `<id>.toml`, so that a program is found where its id says.
pub fn parse_file(file: &str, text: &str) -> Result<Program, FileErrors> {
    let fail = |errors: Vec<ProjectError>| FileErrors {
        file: file.to_owned(),
        errors,
    };
    let mut errors = match Program::from_toml_str(text) {
        Ok(p) => {
            let stem = file.rsplit(['/', '\\']).next().unwrap_or(file);
            let stem = stem.strip_suffix(".toml").unwrap_or(stem);
            if stem == p.id {
                return Ok(p);
            }
            vec![
                ProjectError::new("id-file-mismatch", "id")
                    .arg("id", &p.id)
                    .arg("file", stem),
            ]
        }
        Err(errors) => errors,
    };
    for e in &mut errors {
        // The project-file classifier does not know dates; name them.
        if e.code == "syntax"
            && let Some(value) = e
                .get("detail")
                .and_then(|d| d.strip_prefix("not a date: "))
                .map(str::to_owned)
        {
            let value = value.split('"').nth(1).unwrap_or(&value).to_owned();
            e.code = "invalid-date";
            e.args = vec![("value".to_owned(), value)];
        }
        if e.line.is_none()
            && !e.path.is_empty()
            && let Some((line, column)) = locate(text, &e.path)
        {
            e.line = Some(line);
            e.column = Some(column);
        }
    }
    Err(fail(errors))
}

/// Known programs by id.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    programs: BTreeMap<String, Program>,
}

impl Catalogue {
    /// The programs shipped with machi.
    pub fn bundled() -> Result<Catalogue, CatalogueErrors> {
        let mut c = Catalogue::default();
        c.add_files(BUNDLED.iter().copied())?;
        Ok(c)
    }

    /// Adds programs from `(file name, text)` pairs; a program replaces a
    /// known one with the same id (so a user can override shipped terms).
    /// Two files with the same id in one call are an error, as is any file
    /// that does not read; then nothing is added.
    pub fn add_files<'a>(
        &mut self,
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), CatalogueErrors> {
        let mut errors = Vec::new();
        let mut read: BTreeMap<String, (String, Program)> = BTreeMap::new();
        for (file, text) in files {
            match parse_file(file, text) {
                Ok(p) => {
                    if let Some((first, _)) = read.get(&p.id) {
                        errors.push(FileErrors {
                            file: file.to_owned(),
                            errors: vec![
                                ProjectError::new("duplicate-program", "id")
                                    .arg("id", &p.id)
                                    .arg("file", first),
                            ],
                        });
                    } else {
                        read.insert(p.id.clone(), (file.to_owned(), p));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(CatalogueErrors(errors));
        }
        for (id, (_, p)) in read {
            self.programs.insert(id, p);
        }
        Ok(())
    }

    /// The program with id `id`.
    pub fn get(&self, id: &str) -> Option<&Program> {
        self.programs.get(id)
    }

    /// Every program, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Program> {
        self.programs.values()
    }

    /// Number of programs.
    pub fn len(&self) -> usize {
        self.programs.len()
    }

    /// Whether there is no program.
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }
}
