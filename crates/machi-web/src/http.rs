//! Small HTTP helpers every layer may use: query encoding, safe redirects,
//! cookies on a response, downloads.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|q| q.trim_start_matches("x=").to_owned())
        .unwrap_or_default()
}

/// A form's fields with their text as machi stores it: browsers send a
/// textarea's line breaks as CR LF (HTML § 4.10.11, "form submission
/// value"); machi keeps line feeds only.
pub fn form_text<C: FromIterator<(String, String)>>(pairs: Vec<(String, String)>) -> C {
    pairs
        .into_iter()
        .map(|(k, v)| (k, v.replace("\r\n", "\n").replace('\r', "\n")))
        .collect()
}

/// Where to go after log-in or a language switch: a local path only, so the
/// form cannot be used to send people to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/dashboard".to_owned(),
    }
}

/// A redirect after a POST (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Appends a `Set-Cookie` header.
pub fn set_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A file to download: its name, media type and bytes.
#[derive(Debug)]
pub struct Download {
    /// Its name.
    pub file: String,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let disposition = format!("attachment; filename=\"{}\"", self.file);
        (
            [
                (header::CONTENT_TYPE, self.content_type.to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            self.bytes,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/projects/1")), "/projects/1");
        assert_eq!(safe_next(Some("//evil.example/")), "/dashboard");
        assert_eq!(safe_next(Some("https://evil.example/")), "/dashboard");
        assert_eq!(safe_next(Some("/\\evil.example")), "/dashboard");
        assert_eq!(safe_next(None), "/dashboard");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(
            url_encode("/projects/1?version=2"),
            "%2Fprojects%2F1%3Fversion%3D2"
        );
    }
}
