//! An [`crate::error::AppError`] rendered for the one who asked: a JSON
//! body for the API (`json`), an HTML page — or the log-in form for 401 —
//! for a browser (`html`). The middleware calls one of them once per error.

pub mod html;
pub mod json;
