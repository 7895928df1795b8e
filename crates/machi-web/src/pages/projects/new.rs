//! Creating a project: from the small form or from a TOML/JSON file
//! (validated; errors name the field and line; nothing saved on error).

use askama::Template;
use axum::Form;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;
use machi_domain::{Project, ProjectErrors};
use machi_i18n::Lang;
use machi_store::{OrgKind, Organisation};
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::extract::{Can, CreateProject, Signed};
use crate::http::see_other;
use crate::pages::common::{Opt, page, page_with};
use crate::service::projects as service;

#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name_ja: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    municipality: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    last: String,
    #[serde(default)]
    discount_rate: String,
}

#[derive(Template)]
#[template(path = "project_new.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    form: NewForm,
    categories: Vec<Opt>,
    sites: Vec<Opt>,
    problems: Vec<String>,
    problems_title: String,
}

fn new_page(ctx: &Ctx, form: NewForm, problems: Vec<String>) -> NewPage<'_> {
    let lang = ctx.lang;
    let cat = if form.category.is_empty() {
        "problem-solving"
    } else {
        form.category.as_str()
    };
    let site = if form.site.is_empty() {
        "brownfield"
    } else {
        form.site.as_str()
    };
    let categories = ["problem-solving", "function-improvement", "demand-creation"]
        .iter()
        .map(|c| Opt::new(*c, lang.t(&format!("web.category.{c}")), *c == cat))
        .collect();
    let sites = ["brownfield", "greenfield"]
        .iter()
        .map(|s| Opt::new(*s, lang.t(&format!("web.site.{s}")), *s == site))
        .collect();
    let problems_title = lang.tf("web.error.invalid-project", &[("count", &problems.len())]);
    NewPage {
        ctx,
        form,
        categories,
        sites,
        problems,
        problems_title,
    }
}

pub async fn form(s: Can<CreateProject>) -> AppResult<Response> {
    let form = NewForm {
        discount_rate: "4%".into(),
        ..NewForm::default()
    };
    page(&new_page(&s.ctx, form, Vec::new()))
}

/// The consortium member a new project starts with: the creator's own
/// organisation as ◎ representative.
fn member_kind_of(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Municipality => "municipality",
        OrgKind::Company => "company",
        OrgKind::University => "university",
        OrgKind::Association => "association",
        OrgKind::Investor => "financial-institution",
        OrgKind::Secretariat => "other",
    }
}

/// Labels of the small form's fields by document path.
fn form_label(path: &str) -> Option<&'static str> {
    Some(match path {
        "project.id" => "web.field.project-id",
        "project.name.ja" | "project.name" => "web.field.name-ja",
        "project.municipality.name.ja" => "web.field.municipality",
        "project.municipality.code" => "web.field.municipality-code",
        "project.category" => "web.field.category",
        "project.site" => "web.field.site",
        "horizon.first" => "web.field.first-year",
        "horizon.last" => "web.field.last-year",
        "finance.discount_rate" => "web.field.discount-rate",
        _ => return None,
    })
}

/// Problems of the small form, by its field labels (a line number in the
/// JSON built from the form would mean nothing to the user).
fn form_problems(errs: &ProjectErrors, lang: Lang) -> Vec<String> {
    errs.0
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.line = None;
            e.column = None;
            match form_label(&e.path) {
                Some(key) => {
                    let args: Vec<(&str, &dyn std::fmt::Display)> = e
                        .args
                        .iter()
                        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
                        .collect();
                    format!(
                        "{}: {}",
                        lang.t(key),
                        lang.tf(&format!("project.error.{}", e.code), &args)
                    )
                }
                None => machi_report::project_error(lang, &e),
            }
        })
        .collect()
}

impl NewForm {
    /// The project file the small form describes, with the creator's
    /// organisation as the ◎ representative. Errors name the form's fields.
    fn project(&self, org: Option<&Organisation>) -> Result<Project, ProjectErrors> {
        let (org_ja, org_en, kind) = org.map_or(("—", "", OrgKind::Company), |o| {
            (o.name_ja.as_str(), o.name_en.as_str(), o.kind)
        });
        let year = |s: &str| -> serde_json::Value {
            let s = s.trim();
            s.parse::<i64>().map_or_else(|_| s.into(), Into::into)
        };
        let mut name = json!({ "ja": self.name_ja.trim() });
        if !self.name_en.trim().is_empty() {
            name["en"] = self.name_en.trim().into();
        }
        let mut member_name = json!({ "ja": org_ja });
        if !org_en.is_empty() {
            member_name["en"] = org_en.into();
        }
        let doc = json!({
            "schema_version": 1,
            "project": {
                "id": self.id.trim(),
                "name": name,
                "municipality": { "name": { "ja": self.municipality.trim() }, "code": self.code.trim() },
                "category": self.category,
                "site": self.site,
            },
            "horizon": { "first": year(&self.first), "last": year(&self.last) },
            "finance": { "discount_rate": self.discount_rate.trim() },
            "members": [{
                "id": "lead",
                "name": member_name,
                "kind": member_kind_of(kind),
                "role": "representative",
            }],
        });
        Project::from_json_str(&doc.to_string())
    }
}

/// Creates `project`, or shows the form again with why not.
async fn create(s: &Signed, project: &Project, note: &str, form: NewForm) -> AppResult<Response> {
    match service::create(&s.state, s.user(), project, note).await {
        Ok(meta) => Ok(see_other(&format!("/projects/{}", meta.project))),
        Err(AppError::Duplicate { what }) => {
            let msg = s.ctx.t(&format!("web.error.duplicate-{what}")).to_owned();
            page_with(StatusCode::CONFLICT, &new_page(&s.ctx, form, vec![msg]))
        }
        Err(e) => Err(e),
    }
}

pub async fn create_from_form(
    s: Can<CreateProject>,
    Form(f): Form<NewForm>,
) -> AppResult<Response> {
    match f.project(s.me.org.as_ref()) {
        Ok(project) => create(&s, &project, s.ctx.t("web.note.created-form"), f).await,
        Err(errs) => {
            let problems = form_problems(&errs, s.ctx.lang);
            page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_page(&s.ctx, f, problems),
            )
        }
    }
}

/// The uploaded project file of the upload form: its name and bytes.
async fn uploaded_file(mut mp: Multipart) -> AppResult<(String, Vec<u8>)> {
    let bad = |e: axum::extract::multipart::MultipartError| AppError::InvalidRequest {
        detail: e.to_string(),
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("project.toml").to_owned();
            return Ok((name, field.bytes().await.map_err(bad)?.to_vec()));
        }
    }
    Err(AppError::InvalidField {
        field: "file".into(),
    })
}

pub async fn create_from_file(s: Can<CreateProject>, mp: Multipart) -> AppResult<Response> {
    let ctx = &s.ctx;
    let (name, bytes) = uploaded_file(mp).await?;
    let blank = || NewForm {
        discount_rate: "4%".into(),
        ..NewForm::default()
    };
    let fail = |problems: Vec<String>| {
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_page(ctx, blank(), problems),
        )
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return fail(vec![ctx.t("web.error.not-utf8").to_owned()]);
    };
    let text = text.trim_start_matches('\u{feff}').to_owned();
    match service::parse_upload(&s.state, text, &name).await {
        Ok(project) => {
            let note = ctx.tf1("web.note.uploaded", "file", &name);
            create(&s, &project, &note, blank()).await
        }
        Err(e) => {
            let mut problems = vec![ctx.tf1("web.new.file-problems", "file", &name)];
            problems.extend(e.problems(ctx.lang));
            fail(problems)
        }
    }
}
