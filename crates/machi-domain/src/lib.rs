//! machi's domain: money ([`Yen`]), Japanese fiscal years ([`FiscalYear`]),
//! exact rates ([`Rate`]), typed ids, local-government codes and the project
//! model read from project files ([`project`]).
//!
//! Architecture invariant: this crate is pure. It parses text handed to it
//! but does no IO, no async and no database access.

mod application;
pub mod error;
mod fiscal_year;
mod id;
mod local_gov;
pub mod project;
mod rate;
pub mod schedule;
mod validate;
mod yen;

pub use error::{ProjectError, ProjectErrors};
pub use fiscal_year::{Era, FiscalYear, FiscalYearParseError};
pub use id::{FundingId, IdError, LineItemId, MemberId, ProjectId, validate_slug};
pub use local_gov::{LocalGovCode, LocalGovCodeError};
pub use project::Project;
pub use rate::{Rate, RateParseError};
pub use yen::{Yen, YenParseError, YenUnit};
