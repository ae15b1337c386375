//! The API's JSON: request bodies and responses, each with its OpenAPI schema. Domain records
//! are turned into these here; the wire shape is the API's own and changes only on purpose.

mod account;
mod cs;
mod export;
mod feed;
mod profile;
mod status;
mod workspace;

pub use account::*;
pub use cs::*;
pub use export::*;
pub use feed::*;
pub use profile::*;
pub use status::*;
pub use workspace::*;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serializer};
use std::str::FromStr;

/// `Option<Decimal>` as an exact JSON number (serde_json keeps every digit).
pub(crate) fn decimal_number<S: Serializer>(
    value: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match value {
        None => serializer.serialize_none(),
        Some(d) => match serde_json::Number::from_str(&d.normalize().to_string()) {
            Ok(number) => number.serialize(serializer),
            Err(_) => serializer.serialize_str(&d.to_string()),
        },
    }
}

/// A JSON number as an exact decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalInput(pub Decimal);

impl<'de> Deserialize<'de> for DecimalInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        let text = number.to_string();
        Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map(DecimalInput)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "{text} is not a decimal icsync can keep (at most 28 significant digits)"
                ))
            })
    }
}

/// Deserializes a member that may be left out (`None`), `null` (`Some(None)`) or a value.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
