//! The rules pages and API share, one module per aggregate. Handlers call
//! these; these call the store, the permission matrix and the pure crates.
//! Lifecycle areas (calls, applications, reviews, matching, KPIs, risk) each
//! get a module here beside `projects`.

pub mod admin;
pub mod projects;
pub mod session;
