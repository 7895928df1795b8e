//! The request middleware: who is asking, in which language, whether a
//! mutating request carries its CSRF token, and how an error is rendered.
//!
//! Per request, in order:
//! 1. the session cookie's token is hashed and looked up in the database
//!    (disabled users count as logged out);
//! 2. the language is chosen — pages: the user's setting, else the
//!    `machi_lang` cookie, else Japanese; API: `?lang=`, else
//!    `Accept-Language`, else the user's setting, else Japanese;
//! 3. a mutating request (POST, PUT, PATCH, DELETE) must carry the CSRF
//!    token — the session's, or before log-in the double-submit
//!    `machi_csrf` cookie's — in the `X-CSRF-Token` header or a `csrf` form
//!    field (url-encoded or multipart). Exempt: `POST /api/v1/session` with a
//!    JSON body (a cross-site form cannot send JSON without a CORS
//!    pre-flight, which machi never grants) and API calls without a session
//!    (they fail with 401 in the handler);
//! 4. the resulting [`Ctx`] goes into the request's extensions for handlers;
//! 5. an [`AppError`] coming back is rendered: JSON under `/api/`, an HTML
//!    page elsewhere (401 on a page redirects to the log-in form). Axum's own
//!    extractor rejections are rendered the same way as `invalid-request`.
//!
//! Logs: every request runs in one `request` span (method, route, request
//! id, user id) and ends with one event carrying its status and duration;
//! an error is logged once, here, with its cause (5xx at `error`, others at
//! `info`). Passwords, cookies, tokens and bodies are never logged. The
//! request id is also sent back as `X-Request-Id`. `RUST_LOG` filters (see
//! the crate README).

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, to_bytes};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, MatchedPath, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use machi_i18n::Lang;
use tracing::Instrument as _;

use crate::auth::{self, LANG_COOKIE, PRE_CSRF_COOKIE, SESSION_COOKIE};
use crate::ctx::{Ctx, SessionUser};
use crate::error::{AppError, AppResult, ErrorMarker};
use crate::respond::{html, json};
use crate::state::AppState;

/// The middleware; see the module documentation.
pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = auth::random_token()
        .map(|t| t[..16].to_owned())
        .unwrap_or_default();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        request_id = %request_id,
        user_id = tracing::field::Empty,
    );
    async move {
        let mut res = handle(state, req, next).await;
        let status = res.status().as_u16();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(status, duration_ms = ms, "request finished");
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert("x-request-id", v);
        }
        res
    }
    .instrument(span)
    .await
}

async fn handle(state: AppState, req: Request, next: Next) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let api = req.uri().path().starts_with("/api/");
    let cookies = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();

    // 1. The session.
    let session = match lookup_session(&state, &cookies).await {
        Ok(s) => s,
        Err(e) => {
            let ctx = fallback_ctx(path, api);
            return render_error(&ctx, e);
        }
    };
    let (user, session_csrf) = match session {
        Some((u, c)) => (Some(Arc::new(u)), Some(c)),
        None => (None, None),
    };
    if let Some(u) = &user {
        tracing::Span::current().record("user_id", u.user.id.0);
    }

    // 2. The language.
    let lang = if api {
        api_lang(req.uri().query(), req.headers(), user.as_deref())
    } else {
        page_lang(&cookies, user.as_deref())
    };

    // The pre-session CSRF token: reuse the cookie's or issue one.
    let mut new_pre_csrf = None;
    let csrf = match &session_csrf {
        Some(c) => c.clone(),
        None => match auth::cookie(&cookies, PRE_CSRF_COOKIE).filter(|v| is_token(v)) {
            Some(v) => v,
            None => match auth::random_token() {
                Ok(t) => {
                    new_pre_csrf = Some(t.clone());
                    t
                }
                Err(e) => return render_error(&fallback_ctx(path, api), e),
            },
        },
    };
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ctx = Ctx {
        lang,
        user,
        csrf,
        path,
        api,
        client,
        csrf_fresh: new_pre_csrf.is_some(),
    };

    // 3. Writes are checked by `guard_writes`, inside the routing (so that
    // a method a route does not have is still answered 405).
    // 4. The handler.
    let mut req = req;
    req.extensions_mut().insert(ctx.clone());
    req.extensions_mut().insert(state.clone());
    let res = next.run(req).await;
    let limit = state.config().max_upload_bytes;

    // 5. Errors.
    let mut res = if let Some(ErrorMarker(err)) = res.extensions().get::<ErrorMarker>().cloned() {
        render_error(&ctx, (*err).clone())
    } else if res.status() == StatusCode::PAYLOAD_TOO_LARGE && is_rejection(&res) {
        render_error(&ctx, AppError::PayloadTooLarge { limit })
    } else if is_rejection(&res) {
        let detail = rejection_detail(res).await;
        render_error(&ctx, AppError::InvalidRequest { detail })
    } else {
        res
    };
    if ctx.user.is_some() && !res.headers().contains_key(header::CACHE_CONTROL) {
        // Pages and answers behind a log-in are never kept by a browser or
        // a proxy (RFC 9111 §5.2.2.5).
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(t) = new_pre_csrf
        && let Ok(v) = HeaderValue::from_str(&auth::set_cookie(
            PRE_CSRF_COOKIE,
            &t,
            60 * 60 * 24,
            state.config().secure_cookies,
            true,
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Step 3 of the module documentation: where a write comes from, what it
/// carries, and its CSRF token. Every route's method router takes it as a
/// `route_layer` (see [`guarded`]), so it runs only for a method the route
/// has — any other method is still answered 405 with `Allow`.
pub async fn guard_writes(req: Request, next: Next) -> Response {
    if !is_unsafe(req.method()) {
        return next.run(req).await;
    }
    let (Some(ctx), Some(state)) = (
        req.extensions().get::<Ctx>().cloned(),
        req.extensions().get::<AppState>().cloned(),
    ) else {
        return AppError::Internal("request context missing".into()).into_response();
    };
    if let Err(e) = same_origin(req.headers()).and_then(|()| api_body_is_json(&req, &ctx)) {
        return e.into_response();
    }
    if csrf_exempt(&ctx) {
        return next.run(req).await;
    }
    let (req, submitted) = match submitted_csrf(req, state.config().max_upload_bytes).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    // A request without a session may only use the token of its own
    // cookie; a freshly issued token cannot have been submitted.
    let ok = !ctx.csrf_fresh && submitted.is_some_and(|s| auth::constant_time_eq(&s, &ctx.csrf));
    if ok {
        next.run(req).await
    } else {
        AppError::Csrf.into_response()
    }
}

/// A route's method router with [`guard_writes`] on its methods.
pub fn guarded(
    route: axum::routing::MethodRouter<AppState>,
) -> axum::routing::MethodRouter<AppState> {
    route.route_layer(axum::middleware::from_fn(guard_writes))
}

fn fallback_ctx(path: String, api: bool) -> Ctx {
    Ctx {
        lang: Lang::Ja,
        user: None,
        csrf: String::new(),
        path,
        api,
        client: None,
        csrf_fresh: false,
    }
}

fn is_token(v: &str) -> bool {
    v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit())
}

async fn lookup_session(
    state: &AppState,
    cookies: &str,
) -> AppResult<Option<(SessionUser, String)>> {
    let Some(token) = auth::cookie(cookies, SESSION_COOKIE).filter(|t| is_token(t)) else {
        return Ok(None);
    };
    let hash = auth::token_hash(&token);
    let store = state.store();
    let Some(session) = store.session(&hash, chrono::Utc::now()).await? else {
        return Ok(None);
    };
    let Some(user) = store.user(session.user).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let org = store.organisation(user.organisation).await?;
    Ok(Some((
        SessionUser {
            user,
            org,
            token_hash: hash,
        },
        session.csrf_token,
    )))
}

fn user_lang(u: Option<&SessionUser>) -> Option<Lang> {
    u.and_then(|u| u.user.lang.parse().ok())
}

/// Pages: the user's setting, else the cookie, else Japanese.
fn page_lang(cookies: &str, user: Option<&SessionUser>) -> Lang {
    user_lang(user)
        .or_else(|| auth::cookie(cookies, LANG_COOKIE).and_then(|v| v.parse().ok()))
        .unwrap_or_default()
}

/// API: `?lang=`, else `Accept-Language`, else the user's setting, else ja.
pub fn api_lang(query: Option<&str>, headers: &HeaderMap, user: Option<&SessionUser>) -> Lang {
    let from_query = query.and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| v.parse().ok())
    });
    from_query
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(accept_language)
        })
        .or_else(|| user_lang(user))
        .unwrap_or_default()
}

/// The preferred supported language of an `Accept-Language` header (RFC
/// 9110 §12.5.4): the highest `q` among `ja*` and `en*`, the first on ties.
pub fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = if tag == "ja" || tag.starts_with("ja-") {
            Lang::Ja
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// API calls without a session carry no token (they fail with 401 in the
/// handler, or are the log-in itself, whose JSON body a cross-site form
/// cannot send: see [`api_body_is_json`]).
fn csrf_exempt(ctx: &Ctx) -> bool {
    ctx.api && ctx.user.is_none()
}

/// A write to the API must be JSON (`application/json`): a cross-site HTML
/// form can send only url-encoded, multipart or plain-text bodies without a
/// CORS pre-flight, which machi never grants — so no other site can make a
/// browser log in or write through the API (OWASP CSRF Prevention Cheat
/// Sheet, "Use of Custom Request Headers" / content-type checks). `DELETE`
/// carries no body and needs none.
fn api_body_is_json(req: &Request, ctx: &Ctx) -> AppResult<()> {
    if !ctx.api || req.method() == Method::DELETE {
        return Ok(());
    }
    let ct = content_type(req.headers()).to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence == "application/json" {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType)
    }
}

/// A write whose `Origin` header names another site is refused (the
/// browser sends it with every cross-origin POST; RFC 6454 §7, OWASP CSRF
/// Prevention Cheat Sheet, "Verifying Origin With Standard Headers"). Only
/// the host and port are compared: behind a TLS proxy the scheme seen here
/// differs from the browser's. A request without `Origin` (an older browser,
/// a script) is left to the CSRF token.
fn same_origin(headers: &HeaderMap) -> AppResult<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or("", |(_, rest)| rest.trim_end_matches('/'));
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// The CSRF token a request submits: the header, else the `csrf` field of
/// a url-encoded or multipart body (the body is buffered and put back).
async fn submitted_csrf(req: Request, limit: usize) -> AppResult<(Request, Option<String>)> {
    if let Some(v) = req.headers().get("x-csrf-token") {
        let v = v.to_str().ok().map(str::to_owned);
        return Ok((req, v));
    }
    let ct = content_type(req.headers()).to_owned();
    let form = ct.starts_with("application/x-www-form-urlencoded");
    let multipart = ct.starts_with("multipart/form-data");
    if !form && !multipart {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge { limit })?;
    let token = if form {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|f| f.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v))
    } else {
        multipart_field(&ct, bytes.clone(), "csrf").await
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

async fn multipart_field(ct: &str, bytes: axum::body::Bytes, name: &str) -> Option<String> {
    let r = Request::builder()
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(bytes))
        .ok()?;
    let mut mp = Multipart::from_request(r, &()).await.ok()?;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

/// Whether a response is one of axum's extractor rejections (plain text,
/// client error, not ours).
fn is_rejection(res: &Response) -> bool {
    let s = res.status();
    (s == StatusCode::BAD_REQUEST
        || s == StatusCode::UNPROCESSABLE_ENTITY
        || s == StatusCode::UNSUPPORTED_MEDIA_TYPE
        || s == StatusCode::PAYLOAD_TOO_LARGE)
        && content_type(res.headers()).starts_with("text/plain")
}

async fn rejection_detail(res: Response) -> String {
    let bytes = to_bytes(res.into_body(), 4096).await.unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Renders an error for the request's kind, and logs it once with its
/// cause.
pub fn render_error(ctx: &Ctx, err: AppError) -> Response {
    if let AppError::Internal(detail) = &err {
        tracing::error!(code = err.code(), cause = %detail, "request failed");
    } else {
        tracing::info!(code = err.code(), cause = %err, "request refused");
    }
    let mut res = if ctx.api {
        json::render(ctx.lang, &err)
    } else {
        html::render(ctx, &err)
    };
    if let Some(s) = err.retry_after() {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    res
}
