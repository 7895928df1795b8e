//! The model in and out of Excel: the workbook and the CSV of a version
//! and importing either back ([`service::export`], [`service::import`]),
//! which saves a new version with the base version the page was showing —
//! so an import is validated, audited and refused with 409 when someone
//! saved in between, like any other save.
//!
//! Exporting needs read access (the secretariat may export); importing
//! needs edit access.

use askama::Template;
use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use machi_report::import::Format;

use super::show::VersionQuery;
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::extract::{Edit, ProjectAt, View};
use crate::http::see_other;
use crate::pages::common::{Names, page, page_with};
use crate::service::projects as service;
use crate::view;

pub async fn export_xlsx(p: ProjectAt<View>, Query(q): Query<VersionQuery>) -> AppResult<Response> {
    export(p, q, Format::Xlsx).await
}

pub async fn export_csv(p: ProjectAt<View>, Query(q): Query<VersionQuery>) -> AppResult<Response> {
    export(p, q, Format::Csv).await
}

async fn export(p: ProjectAt<View>, q: VersionQuery, format: Format) -> AppResult<Response> {
    let stored = p.version(q.version).await?;
    Ok(service::export(&p.allowed, &stored, format, p.lang())?.into_response())
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

pub async fn form(p: ProjectAt<Edit>) -> AppResult<Response> {
    let stored = p.version(None).await?;
    let name = view::text(&stored.document.project.name, p.lang()).to_owned();
    page(&ImportPage::new(&p.ctx, p.id(), name, stored.meta.version))
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

pub async fn import_file(p: ProjectAt<Edit>, mp: Multipart) -> AppResult<Response> {
    let (ctx, lang, id) = (&p.ctx, p.lang(), p.id());
    let up = read_upload(mp).await?;
    let base_v = up.base_version.ok_or(AppError::InvalidField {
        field: "base_version".into(),
    })?;
    let base = p.version(Some(base_v)).await?;
    let name = view::text(&base.document.project.name, lang).to_owned();
    let fail = |problems: Vec<String>, title: String| {
        let mut page = ImportPage::new(ctx, id, name.clone(), base_v);
        page.problems = problems;
        page.problems_title = title;
        page_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let Some((file, bytes)) = up.file.filter(|(n, b)| !n.is_empty() || !b.is_empty()) else {
        let title = ctx.t("web.import.failed-no-file").to_owned();
        return fail(vec![ctx.t("web.import.no-file").to_owned()], title);
    };
    let saved = service::import(&p.state, p.user(), &p.allowed, &base, &file, &bytes, lang);
    match saved.await {
        Ok(meta) => Ok(see_other(&format!(
            "/projects/{id}?version={}",
            meta.version
        ))),
        Err(AppError::Conflict { current, .. }) => {
            conflict(&p, name.clone(), base_v, current).await
        }
        Err(e @ (AppError::InvalidImport { .. } | AppError::InvalidProject(_))) => {
            let problems = e.problems(lang);
            let title = lang.tf(
                "web.import.failed",
                &[("file", &file), ("count", &problems.len())],
            );
            fail(problems, title)
        }
        Err(e) => Err(e),
    }
}

/// The upload form again, saying who saved since.
async fn conflict(
    p: &ProjectAt<Edit>,
    name: String,
    base: i64,
    current: i64,
) -> AppResult<Response> {
    let lang = p.lang();
    let theirs = p.version(None).await?;
    let names = Names::load(&p.state, lang).await?;
    let mut page = ImportPage::new(&p.ctx, p.id(), name, current);
    page.conflict = Some(lang.tf(
        "web.conflict.message",
        &[
            ("base", &base),
            ("current", &current),
            ("author", &names.user(theirs.meta.author)),
            ("when", &view::when(theirs.meta.created_at)),
        ],
    ));
    page_with(StatusCode::CONFLICT, &page)
}
