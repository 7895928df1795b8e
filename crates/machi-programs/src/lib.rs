//! Funding programs as data.
//!
//! A program (a subsidy call, a tax incentive for donations, a levy scheme)
//! is described once, in a TOML file under `programs/`, with the source of
//! every rule. This crate reads those files, checks a project against a
//! program's rules (eligibility), computes the largest subsidy each program
//! allows per fiscal year with an explanation (sizing), and chooses the best
//! combination of programs (the funding stack, [`stack`]).
//!
//! Architecture invariant: nothing about a particular program is written in
//! Rust. Programs differ only in their data; the rule vocabulary is generic.
//! The crate is pure: program files are handed in as text.
//!
//! - [`program`]: the file format ([`Program`], the rule vocabulary [`Test`],
//!   the sizing terms [`Sizing`]) and its JSON Schema;
//! - [`catalogue`]: the shipped programs (embedded by `build.rs`) and files
//!   handed in by the caller, with errors that name file, field and line;
//! - [`eligibility`]: [`check`] — pass / fail / needs information per rule;
//! - `rules` (internal): each rule tested against a project, the outcomes
//!   eligibility, sizing and the stack input all start from;
//! - [`sizing`]: [`size`] — the largest subsidy per fiscal year and why;
//! - [`donation`]: [`donation_relief`] — a donor's tax relief and net cost;
//! - [`stack_input`]: [`build_stack_problem`] — the optimiser's input.

pub mod catalogue;
pub mod costs;
pub mod donation;
pub mod eligibility;
pub mod explain;
mod locate;
pub mod plan;
pub mod program;
mod rules;
pub mod sizing;
pub mod stack;
pub mod stack_input;

pub use catalogue::{BUNDLED, Catalogue, CatalogueErrors, FileErrors};
pub use donation::{DonationRelief, donation_relief};
pub use eligibility::{CheckError, CheckReport, RuleOutcome, Status, TypeReport, Verdict, check};
pub use explain::{Arg, Citation, Explanation};
pub use plan::apply_plan;
pub use program::{Program, ProgramKind, ProgramType, Rule, Sizing, Test, json_schema};
pub use sizing::{LimitKind, SizingError, Terms, TypeSizing, YearSizing, size};
pub use stack_input::build_stack_problem;
