//! What pages and API share about projects: reading one the user may see,
//! creating and saving with compare-and-set, restoring, evaluating. The
//! permission is decided once per request ([`project`], called by the
//! request extractor); functions that change a project take the
//! [`Allowed`] it returned and confirm the action on it without asking the
//! database again, so pages and API cannot drift apart.

use machi_domain::Project;
use machi_finance::{Evaluation, Options};
use machi_i18n::Lang;
use machi_report::import::Format;
use machi_store::{OrgId, ProjectKey, ProjectSummary, StoredVersion, User, VersionMeta};

use crate::error::{AppError, AppResult};
use crate::http::Download;
use crate::permissions::{Action, ProjectAccess, can};
use crate::state::AppState;

/// A project the user may act on, with how they relate to it.
#[derive(Debug, Clone)]
pub struct Allowed {
    /// Its key.
    pub key: ProjectKey,
    /// The project.
    pub summary: ProjectSummary,
    /// Its consortium organisations.
    pub orgs: Vec<OrgId>,
    /// How the user relates to it.
    pub access: ProjectAccess,
}

impl Allowed {
    /// Whether the user may also do `action` on it.
    pub fn may(&self, user: &User, action: Action) -> bool {
        can(user, action, self.access)
    }

    /// [`AppError::Forbidden`] unless the user may do `action` on it.
    pub fn require(&self, user: &User, action: Action) -> AppResult<()> {
        if self.may(user, action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The projects the user may see, newest first.
pub async fn visible_projects(state: &AppState, user: &User) -> AppResult<Vec<ProjectSummary>> {
    let store = state.store();
    if can(user, Action::ViewProject, ProjectAccess::Outsider) {
        Ok(store.projects().await?)
    } else if can(user, Action::ViewProject, ProjectAccess::Member) {
        Ok(store.projects_of_organisation(user.organisation).await?)
    } else {
        Ok(Vec::new())
    }
}

/// A project, if the user may do `action` on it. A project the user may not
/// even see is [`AppError::NotFound`] (its existence is not revealed); one
/// they may see but not act on is [`AppError::Forbidden`].
pub async fn project(
    state: &AppState,
    user: &User,
    key: ProjectKey,
    action: Action,
) -> AppResult<Allowed> {
    let store = state.store();
    let summary = store.project(key).await?.ok_or(AppError::NotFound)?;
    let orgs = store.project_organisations(key).await?;
    let access = ProjectAccess::of(user.organisation, &orgs);
    if !can(user, Action::ViewProject, access) {
        return Err(AppError::NotFound);
    }
    if !can(user, action, access) {
        return Err(AppError::Forbidden);
    }
    Ok(Allowed {
        key,
        summary,
        orgs,
        access,
    })
}

/// A version of a project (the latest when `version` is `None`).
pub async fn version(
    state: &AppState,
    key: ProjectKey,
    version: Option<i64>,
) -> AppResult<StoredVersion> {
    let store = state.store();
    let v = match version {
        Some(n) => store.version(key, n).await?,
        None => store.latest_version(key).await?,
    };
    v.ok_or(AppError::NotFound)
}

/// Reads a project file, TOML or JSON. `format` is a file name or
/// extension; without one, text starting with `{` is JSON.
pub fn parse_project(text: &str, format: Option<&str>) -> AppResult<Project> {
    let ext = format
        .and_then(|f| f.rsplit('.').next())
        .map(str::to_ascii_lowercase);
    let json = match ext.as_deref() {
        Some("json") => true,
        Some("toml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    let parsed = if json {
        Project::from_json_str(text)
    } else {
        Project::from_toml_str(text)
    };
    parsed.map_err(AppError::InvalidProject)
}

/// [`parse_project`] off the request threads ([`AppState::parse`]): what
/// every upload and API body of a whole document goes through.
pub async fn parse_upload(state: &AppState, text: String, format: &str) -> AppResult<Project> {
    let format = format.to_owned();
    state
        .parse(move || parse_project(&text, Some(&format)))
        .await?
}

/// A version's note: one paragraph of text, at most
/// [`machi_domain::project::MAX_OTHER_CHARS`] characters, no control
/// character but tab and line feed — the rule every text of a project keeps.
fn check_note(note: &str) -> AppResult<()> {
    let control = note
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n'));
    if control || note.chars().count() > machi_domain::project::MAX_OTHER_CHARS {
        return Err(AppError::InvalidField {
            field: "note".into(),
        });
    }
    Ok(())
}

/// Creates a project owned by the user's organisation.
pub async fn create(
    state: &AppState,
    user: &User,
    document: &Project,
    note: &str,
) -> AppResult<VersionMeta> {
    if !can(user, Action::CreateProject, ProjectAccess::Outsider) {
        return Err(AppError::Forbidden);
    }
    check_note(note)?;
    document.validate()?;
    Ok(state
        .store()
        .create_project(
            user.id,
            user.organisation,
            &[user.organisation],
            document,
            note,
        )
        .await?)
}

/// Saves `document` as the version after `base`; [`AppError::Conflict`] if
/// someone saved since. The document's `project.id` must stay the
/// project's.
pub async fn save(
    state: &AppState,
    user: &User,
    allowed: &Allowed,
    base: i64,
    document: &Project,
    note: &str,
) -> AppResult<VersionMeta> {
    allowed.require(user, Action::EditProject)?;
    check_note(note)?;
    document.validate()?;
    if document.project.id.as_str() != allowed.summary.slug {
        return Err(AppError::IdChanged {
            id: allowed.summary.slug.clone(),
        });
    }
    Ok(state
        .store()
        .save_version(user.id, allowed.key, base, document, note)
        .await?)
}

/// Restores version `from` as a new version after `base`, with a note
/// saying so in the user's language.
pub async fn restore(
    state: &AppState,
    user: &User,
    allowed: &Allowed,
    from: i64,
    base: i64,
    lang: Lang,
) -> AppResult<VersionMeta> {
    allowed.require(user, Action::EditProject)?;
    let old = version(state, allowed.key, Some(from)).await?;
    let note = lang.tf("web.versions.restored-note", &[("version", &from)]);
    save(state, user, allowed, base, &old.document, &note).await
}

/// Replaces the consortium organisations; the owner always stays in.
pub async fn set_organisations(
    state: &AppState,
    user: &User,
    allowed: &Allowed,
    mut orgs: Vec<OrgId>,
) -> AppResult<()> {
    allowed.require(user, Action::EditProject)?;
    let known: Vec<OrgId> = state
        .store()
        .organisations()
        .await?
        .iter()
        .map(|o| o.id)
        .collect();
    if orgs.iter().any(|o| !known.contains(o)) {
        return Err(AppError::InvalidField {
            field: "organisations".into(),
        });
    }
    if !orgs.contains(&allowed.summary.owner) {
        orgs.push(allowed.summary.owner);
    }
    orgs.sort();
    orgs.dedup();
    state
        .store()
        .set_project_organisations(user.id, allowed.key, &orgs)
        .await?;
    Ok(())
}

/// The project file of a version as TOML, named `<slug>-v<version>.toml`.
pub fn project_file(allowed: &Allowed, stored: &StoredVersion) -> AppResult<Download> {
    let text =
        toml::to_string(&stored.document).map_err(|e| AppError::Internal(format!("toml: {e}")))?;
    Ok(Download {
        file: format!("{}-v{}.toml", allowed.summary.slug, stored.meta.version),
        content_type: "application/toml; charset=utf-8",
        bytes: text.into_bytes(),
    })
}

/// A version as a spreadsheet to download: the XLSX workbook or the CSV of
/// the model, in `lang`, with its file name and content type.
pub fn export(
    allowed: &Allowed,
    stored: &StoredVersion,
    format: Format,
    lang: Lang,
) -> AppResult<Download> {
    let eval = evaluate(&stored.document)?;
    let stem = format!("{}-v{}", allowed.summary.slug, stored.meta.version);
    Ok(match format {
        Format::Xlsx => Download {
            file: format!("{stem}.xlsx"),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes: machi_report::xlsx(&stored.document, &eval, lang)
                .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?,
        },
        Format::Csv => Download {
            file: format!("{stem}.csv"),
            content_type: "text/csv; charset=utf-8",
            bytes: machi_report::model_csv(&eval, lang).into_bytes(),
        },
    })
}

/// Imports an XLSX or CSV of the model into version `base` and saves the
/// result as the next version (validated, audited, 409 when stale), with a
/// note naming the file.
pub async fn import(
    state: &AppState,
    user: &User,
    allowed: &Allowed,
    based_on: &StoredVersion,
    file: &str,
    bytes: &[u8],
    lang: Lang,
) -> AppResult<VersionMeta> {
    allowed.require(user, Action::EditProject)?;
    let format = Format::detect(file, bytes);
    let (base, data) = (based_on.document.clone(), bytes.to_vec());
    let parsed = state
        .parse(move || machi_report::import::import(&base, format, &data))
        .await?;
    let project = parsed.map_err(|errors| AppError::InvalidImport {
        file: file.to_owned(),
        errors,
    })?;
    let note_key = match format {
        Format::Xlsx => "web.note.imported-xlsx",
        Format::Csv => "web.note.imported-csv",
    };
    let note = lang.tf(note_key, &[("file", &file)]);
    let base = based_on.meta.version;
    save(state, user, allowed, base, &project, &note).await
}

/// The programs shipped with machi (`programs/*.toml`), read once.
pub fn catalogue() -> AppResult<&'static machi_programs::Catalogue> {
    static CATALOGUE: std::sync::OnceLock<Option<machi_programs::Catalogue>> =
        std::sync::OnceLock::new();
    CATALOGUE
        .get_or_init(|| machi_programs::Catalogue::bundled().ok())
        .as_ref()
        .ok_or_else(|| AppError::Internal("bundled programs unreadable".into()))
}

/// Runs the engine on a stored document.
pub fn evaluate(document: &Project) -> AppResult<Evaluation> {
    machi_finance::evaluate(document, &Options::default()).map_err(|e| match e {
        machi_finance::engine::EngineError::Invalid(errs) => AppError::InvalidProject(errs),
        other => AppError::Internal(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KURUME: &str = include_str!("../../../../examples/kurume-flood-ai.toml");

    #[test]
    fn parses_toml_and_json_by_name_or_content() {
        let p = parse_project(KURUME, Some("kurume.toml")).expect("toml");
        let json = serde_json::to_string(&p).expect("json");
        assert_eq!(parse_project(&json, Some("x.JSON")).expect("json"), p);
        assert_eq!(parse_project(&json, None).expect("sniffed json"), p);
        assert_eq!(parse_project(KURUME, None).expect("sniffed toml"), p);
    }

    #[test]
    fn invalid_files_report_field_and_line() {
        let broken = KURUME.replacen("[horizon]", "[horizon]\nfirts = 2025", 1);
        let Err(AppError::InvalidProject(errs)) = parse_project(&broken, Some("a.toml")) else {
            panic!("expected an invalid project")
        };
        let e = &errs.0[0];
        assert!(e.line.is_some(), "{e}");
        let msg = machi_report::project_error(Lang::En, e);
        assert!(msg.contains("line"), "{msg}");
    }

    #[test]
    fn evaluates_an_example() {
        let p = parse_project(KURUME, Some("k.toml")).expect("toml");
        let e = evaluate(&p).expect("evaluation");
        assert_eq!(e.statement.len(), p.horizon.len());
    }
}
