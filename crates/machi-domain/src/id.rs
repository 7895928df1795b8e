//! Typed identifiers.
//!
//! Ids in project files are short slugs (`city`, `water-sensors`): ASCII
//! lower-case letters, digits, `-` and `_`, 1–64 characters, starting with a
//! letter or digit. A separate type per kind of thing means a funding source
//! id can never be passed where a line-item id is expected.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a text is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: {0:?} (use 1–64 of a-z, 0-9, '-', '_', starting with a letter or digit)")]
pub struct IdError(pub String);

/// Checks the slug rule shared by every id type.
pub fn validate_slug(s: &str) -> Result<(), IdError> {
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(IdError(s.to_owned()))
    }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `s`.
            pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                validate_slug(&s)?;
                Ok(Self(s))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"
                })
            }
        }
    };
}

slug_id!(
    /// Identifies a project.
    ProjectId
);
slug_id!(
    /// Identifies a consortium member (an organisation) within a project.
    MemberId
);
slug_id!(
    /// Identifies a line item (capex, opex, revenue, savings) within a project.
    LineItemId
);
slug_id!(
    /// Identifies a funding source within a project.
    FundingId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(MemberId::new("city").is_ok());
        assert!(LineItemId::new("water-sensors_2").is_ok());
        for bad in ["", "City", "-x", "市役所", "a b", &"x".repeat(65)] {
            assert!(MemberId::new(bad).is_err(), "{bad}");
        }
    }
}
