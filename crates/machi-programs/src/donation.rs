//! A donation incentive's arithmetic: the donor's tax relief and net cost.
//!
//! The relief is the donation × each relief part's rate, rounded down to
//! the yen, summed (企業版ふるさと納税: about 30 % through the deductible
//! expense plus tax credits of up to 60 %, up to about 90 % in all; the
//! rates are data in the program file, with their sources). A donation
//! below the program's minimum gets no relief.

use machi_domain::project::Text;
use machi_domain::{Rate, Yen};
use serde::Serialize;

use crate::program::Program;

/// One part of the relief on a donation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReliefLine {
    /// Part id.
    pub id: String,
    /// Part name.
    pub name: Text,
    /// Share of the donation.
    pub rate: Rate,
    /// Whether the rate is an upper bound.
    pub upper_bound: bool,
    /// ⌊donation × rate⌋.
    pub amount: Yen,
}

/// The relief on one donation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DonationRelief {
    /// The donation.
    pub donation: Yen,
    /// The smallest donation that qualifies.
    pub min_donation: Yen,
    /// Whether the donation qualifies.
    pub qualifies: bool,
    /// Each part (empty when the donation does not qualify).
    pub parts: Vec<ReliefLine>,
    /// Total relief (at most, when a part is an upper bound).
    pub relief: Yen,
    /// What the donation costs the donor after relief.
    pub net_cost: Yen,
}

/// The donor's relief and net cost for `donation` under `program`; `None`
/// when the program is not a donation incentive.
pub fn donation_relief(program: &Program, donation: Yen) -> Option<DonationRelief> {
    let terms = program.donation.as_ref()?;
    let min = terms.min_donation.amount;
    let qualifies = donation >= min;
    let parts: Vec<ReliefLine> = if qualifies {
        terms
            .relief
            .iter()
            .map(|p| ReliefLine {
                id: p.id.clone(),
                name: p.name.clone(),
                rate: p.rate,
                upper_bound: p.upper_bound,
                amount: Yen::from_decimal_floor(p.rate.get() * donation.to_decimal())
                    .unwrap_or(Yen::ZERO),
            })
            .collect()
    } else {
        Vec::new()
    };
    let relief: Yen = parts.iter().map(|p| p.amount).sum();
    Some(DonationRelief {
        donation,
        min_donation: min,
        qualifies,
        parts,
        relief,
        net_cost: donation - relief,
    })
}
