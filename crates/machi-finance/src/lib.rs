//! machi's financial engine: spreadsheet-compatible time-value functions
//! ([`tvm`]) and, on top of them, the fiscal-year cash-flow engine
//! ([`engine`]).
//!
//! Architecture invariant: this crate is pure. It does no IO, no async and no
//! database access; every function is a function of its inputs.

pub mod engine;
pub mod tvm;

pub use engine::{Evaluation, Options, evaluate};
