//! The words of the sheets: line kinds, categories and funding kinds,
//! read from their codes or their labels in either language.

use machi_domain::project::{FundingKind, LineCategory, LineKind};
use machi_i18n::Lang;

use crate::{category_label, funding_label, kind_label};

/// Every line category, in the order of the project-file documentation.
pub const CATEGORIES: [LineCategory; 19] = [
    LineCategory::Equipment,
    LineCategory::Software,
    LineCategory::Construction,
    LineCategory::Design,
    LineCategory::DataPlatform,
    LineCategory::Maintenance,
    LineCategory::Operations,
    LineCategory::Communications,
    LineCategory::Cloud,
    LineCategory::Personnel,
    LineCategory::UserFees,
    LineCategory::Advertising,
    LineCategory::DataServices,
    LineCategory::Sponsorship,
    LineCategory::Levy,
    LineCategory::ServiceContract,
    LineCategory::AdministrativeCostReduction,
    LineCategory::CrossIndustrySavings,
    LineCategory::Other,
];

/// Every kind of funding source.
pub const FUNDING_KINDS: [FundingKind; 7] = [
    FundingKind::Subsidy,
    FundingKind::OwnFunds,
    FundingKind::Equity,
    FundingKind::Crowdfunding,
    FundingKind::Donation,
    FundingKind::Loan,
    FundingKind::Bond,
];

/// Fails to compile when a category or a funding kind is added without
/// adding it to [`CATEGORIES`] / [`FUNDING_KINDS`] (the lists feed the
/// import's vocabulary and the web editor's selects).
const _: () = {
    const fn every_category(c: LineCategory) {
        use LineCategory as C;
        match c {
            C::Equipment
            | C::Software
            | C::Construction
            | C::Design
            | C::DataPlatform
            | C::Maintenance
            | C::Operations
            | C::Communications
            | C::Cloud
            | C::Personnel
            | C::UserFees
            | C::Advertising
            | C::DataServices
            | C::Sponsorship
            | C::Levy
            | C::ServiceContract
            | C::AdministrativeCostReduction
            | C::CrossIndustrySavings
            | C::Other => {}
        }
    }
    const fn every_funding_kind(k: FundingKind) {
        use FundingKind as F;
        match k {
            F::OwnFunds
            | F::Loan
            | F::Bond
            | F::Equity
            | F::Crowdfunding
            | F::Donation
            | F::Subsidy => {}
        }
    }
    every_category(LineCategory::Other);
    every_funding_kind(FundingKind::Subsidy);
};

/// Whether a cell's word is `word`: trimmed, ASCII case ignored.
pub(super) fn same_word(cell: &str, word: &str) -> bool {
    cell.trim().eq_ignore_ascii_case(word.trim())
}

/// A line kind from its code (`capex`) or its label in either language.
pub fn parse_line_kind(s: &str) -> Option<LineKind> {
    LineKind::ALL.iter().copied().find(|k| {
        same_word(s, k.as_str()) || Lang::ALL.iter().any(|l| same_word(s, kind_label(*l, *k)))
    })
}

/// A line category from its code (`data-platform`) or its label in either
/// language.
pub fn parse_category(s: &str) -> Option<LineCategory> {
    CATEGORIES.into_iter().find(|c| {
        same_word(s, c.as_str())
            || Lang::ALL
                .iter()
                .any(|l| same_word(s, category_label(*l, *c)))
    })
}

/// A funding kind from its code (`own-funds`) or its label in either language.
pub fn parse_funding_kind(s: &str) -> Option<FundingKind> {
    FUNDING_KINDS.into_iter().find(|k| {
        same_word(s, k.as_str())
            || Lang::ALL
                .iter()
                .any(|l| same_word(s, funding_label(*l, *k)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_either_language_and_codes_are_read() {
        for &k in LineKind::ALL {
            for s in [k.as_str(), kind_label(Lang::Ja, k), kind_label(Lang::En, k)] {
                assert_eq!(parse_line_kind(s), Some(k), "{s}");
            }
        }
        for c in CATEGORIES {
            for s in [
                c.as_str(),
                category_label(Lang::Ja, c),
                category_label(Lang::En, c),
            ] {
                assert_eq!(parse_category(s), Some(c), "{s}");
            }
        }
        for k in FUNDING_KINDS {
            for s in [
                k.as_str(),
                funding_label(Lang::Ja, k),
                funding_label(Lang::En, k),
            ] {
                assert_eq!(parse_funding_kind(s), Some(k), "{s}");
            }
        }
        assert_eq!(parse_line_kind(" OPEX "), Some(LineKind::Opex));
        assert_eq!(parse_category("User fees"), Some(LineCategory::UserFees));
        assert_eq!(parse_line_kind("費用"), None);
    }
}
