//! An [`AppError`] as an HTML page in the user's language (`data-code` on
//! the page carries the stable code); 401 becomes a redirect to the log-in
//! form that comes back here afterwards.

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::ctx::Ctx;
use crate::error::AppError;
use crate::http::url_encode;

/// The response for `err` on a page request.
pub fn render(ctx: &Ctx, err: &AppError) -> Response {
    if matches!(err, AppError::Unauthenticated) {
        let next = if ctx.path.starts_with('/') && !ctx.path.starts_with("//") {
            ctx.path.as_str()
        } else {
            "/"
        };
        let to = format!("/login?next={}", url_encode(next));
        return Redirect::to(&to).into_response();
    }
    error_page(ctx, err)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    code: &'static str,
    title: &'static str,
    message: String,
    problems: Vec<String>,
}

/// The page of an error (the middleware calls this).
fn error_page(ctx: &Ctx, err: &AppError) -> Response {
    let status = err.status();
    let title_key = format!("web.error.title.{}", status.as_u16());
    let title = if ctx.lang.has(&title_key) {
        ctx.t(&title_key)
    } else {
        ctx.t("web.error.title.other")
    };
    let t = ErrorPage {
        ctx,
        code: err.code(),
        title,
        message: err.message(ctx.lang),
        problems: err.problems(ctx.lang),
    };
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        // The error page itself failed: plain text in both languages.
        Err(_) => (
            status,
            "エラーが発生しました / An error occurred".to_owned(),
        )
            .into_response(),
    }
}
