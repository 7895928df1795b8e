//! The model in and out of Excel: the workbook and the CSV of a version
//! (`machi_report::xlsx`, `machi_report::import::model_csv`) and importing
//! either back (`machi_report::import`), which saves a new version through
//! [`service::save`] with the base version the page was showing — so an
//! import is validated, audited and refused with 409 when someone saved in
//! between, like any other save.
//!
//! Exporting needs read access (the secretariat may export); importing
//! needs edit access.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use machi_report::import::{Format, import};
use machi_store::ProjectKey;

use super::projects::VersionQuery;
use super::{Names, page, page_with, see_other};
use crate::AppState;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::permissions::Action;
use crate::service;
use crate::view;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/export.xlsx", get(export_xlsx))
        .route("/projects/{id}/export.csv", get(export_csv))
        .route("/projects/{id}/import", get(import_form).post(import_file))
}

/// A file to download.
fn attachment(content_type: &str, file: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    let allowed = service::project(&state, me, key, Action::ViewProject).await?;
    let stored = service::version(&state, key, q.version).await?;
    let eval = service::evaluate(&stored.document)?;
    let bytes = machi_report::xlsx(&stored.document, &eval, ctx.lang)
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    let file = format!("{}-v{}.xlsx", allowed.summary.slug, stored.meta.version);
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file,
        bytes,
    ))
}

async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    let allowed = service::project(&state, me, key, Action::ViewProject).await?;
    let stored = service::version(&state, key, q.version).await?;
    let eval = service::evaluate(&stored.document)?;
    let text = machi_report::import::model_csv(&eval, ctx.lang);
    let file = format!("{}-v{}.csv", allowed.summary.slug, stored.meta.version);
    Ok(attachment(
        "text/csv; charset=utf-8",
        &file,
        text.into_bytes(),
    ))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    name: String,
    base_version: i64,
    based_on: String,
    /// Why the last upload was not saved.
    problems: Vec<String>,
    problems_title: String,
    /// Someone saved since the page was shown.
    conflict: Option<String>,
}

impl<'a> ImportPage<'a> {
    fn new(ctx: &'a Ctx, id: i64, name: String, base_version: i64) -> ImportPage<'a> {
        ImportPage {
            ctx,
            id,
            name,
            base_version,
            based_on: ctx.tf1("web.import.based-on", "version", &base_version),
            problems: Vec::new(),
            problems_title: String::new(),
            conflict: None,
        }
    }
}

async fn import_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let key = ProjectKey(id);
    service::project(&state, me, key, Action::EditProject).await?;
    let stored = service::version(&state, key, None).await?;
    let name = view::text(&stored.document.project.name, ctx.lang).to_owned();
    page(&ImportPage::new(&ctx, id, name, stored.meta.version))
}

/// The fields of the upload form.
struct Upload {
    base_version: Option<i64>,
    file: Option<(String, Vec<u8>)>,
}

async fn read_upload(mut mp: Multipart) -> AppResult<Upload> {
    let bad = |e: axum::extract::multipart::MultipartError| AppError::InvalidRequest {
        detail: e.to_string(),
    };
    let mut up = Upload {
        base_version: None,
        file: None,
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name() {
            Some("base_version") => {
                up.base_version = field.text().await.map_err(bad)?.trim().parse().ok();
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(bad)?;
                up.file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    Ok(up)
}

async fn import_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mp: Multipart,
) -> AppResult<Response> {
    let me = &ctx.user()?.user;
    let lang = ctx.lang;
    let key = ProjectKey(id);
    // Permission first: an outsider learns nothing from the file's errors.
    service::project(&state, me, key, Action::EditProject).await?;
    let up = read_upload(mp).await?;
    let base_v = up.base_version.ok_or(AppError::InvalidField {
        field: "base_version".into(),
    })?;
    let base = service::version(&state, key, Some(base_v)).await?;
    let name = view::text(&base.document.project.name, lang).to_owned();
    let fail = |problems: Vec<String>, title: String| {
        let mut p = ImportPage::new(&ctx, id, name.clone(), base_v);
        p.problems = problems;
        p.problems_title = title;
        page_with(StatusCode::UNPROCESSABLE_ENTITY, &p)
    };
    let Some((file, bytes)) = up.file.filter(|(n, b)| !n.is_empty() || !b.is_empty()) else {
        return fail(
            vec![ctx.t("web.import.no-file").to_owned()],
            ctx.t("web.import.failed-no-file").to_owned(),
        );
    };
    let format = Format::detect(&file, &bytes);
    let project = match import(&base.document, format, &bytes) {
        Ok(p) => p,
        Err(errs) => {
            let title = lang.tf(
                "web.import.failed",
                &[("file", &file), ("count", &errs.0.len())],
            );
            return fail(errs.messages(lang), title);
        }
    };
    let note_key = match format {
        Format::Xlsx => "web.note.imported-xlsx",
        Format::Csv => "web.note.imported-csv",
    };
    let note = ctx.tf1(note_key, "file", &file);
    match service::save(&state, me, key, base_v, &project, &note).await {
        Ok(meta) => Ok(see_other(&format!(
            "/projects/{id}?version={}",
            meta.version
        ))),
        Err(AppError::Conflict { current, .. }) => {
            let theirs = service::version(&state, key, None).await?;
            let names = Names::load(&state, lang).await?;
            let mut p = ImportPage::new(&ctx, id, name.clone(), current);
            p.conflict = Some(lang.tf(
                "web.conflict.message",
                &[
                    ("base", &base_v),
                    ("current", &current),
                    ("author", &names.user(theirs.meta.author)),
                    ("when", &view::when(theirs.meta.created_at)),
                ],
            ));
            page_with(StatusCode::CONFLICT, &p)
        }
        Err(AppError::InvalidProject(errs)) => {
            let problems = errs
                .0
                .iter()
                .map(|e| machi_report::project_error(lang, e))
                .collect::<Vec<_>>();
            let title = lang.tf(
                "web.import.failed",
                &[("file", &file), ("count", &problems.len())],
            );
            fail(problems, title)
        }
        Err(e) => Err(e),
    }
}
