//! Tolerant serde helpers for Intercom's JSON: Unix-second timestamps, ids that are strings or integers, open string enums.

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use std::fmt;

/// `Option<DateTime<Utc>>` from Unix seconds (integer, float, numeric string or null); serialised back as Unix seconds.
pub mod unix_opt {
    use super::*;

    /// Deserialises Unix seconds; `null`, `0`-less absent values and empty strings become `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        d.deserialize_any(UnixVisitor)
    }

    /// Serialises as Unix seconds or `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => s.serialize_i64(t.timestamp()),
            None => s.serialize_none(),
        }
    }
}

/// `DateTime<Utc>` from Unix seconds, required.
pub mod unix {
    use super::*;

    /// Deserialises Unix seconds; `null` is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        d.deserialize_any(UnixVisitor)?
            .ok_or_else(|| de::Error::custom("expected a Unix timestamp, found null"))
    }

    /// Serialises as Unix seconds.
    pub fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(value.timestamp())
    }
}

struct UnixVisitor;

fn from_secs<E: de::Error>(secs: i64) -> Result<Option<DateTime<Utc>>, E> {
    DateTime::from_timestamp(secs, 0)
        .map(Some)
        .ok_or_else(|| E::custom(format!("timestamp {secs} out of range")))
}

impl<'de> Visitor<'de> for UnixVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unix seconds or null")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        from_secs(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        from_secs(i64::try_from(v).map_err(|_| E::custom(format!("timestamp {v} out of range")))?)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if !v.is_finite() {
            return Err(E::custom("timestamp is not a finite number"));
        }
        // Truncation to whole seconds is intended: Intercom's timestamps are whole seconds.
        #[allow(clippy::cast_possible_truncation)]
        from_secs(v.trunc() as i64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        if let Ok(secs) = v.parse::<i64>() {
            return from_secs(secs);
        }
        DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| E::custom(format!("expected Unix seconds, found {v:?}")))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(UnixVisitor)
    }
    /// With serde_json's `arbitrary_precision` (on, so big numbers stay exact), a number reaches
    /// `deserialize_any` as a one-entry map; `Value` knows how to read it back.
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        match exact_number(map)? {
            Some(n) => match (n.as_i64(), n.as_f64()) {
                (Some(secs), _) => from_secs(secs),
                (None, Some(secs)) => self.visit_f64(secs),
                (None, None) => Err(de::Error::custom(format!("timestamp {n} out of range"))),
            },
            None => Err(de::Error::custom("expected Unix seconds, found an object")),
        }
    }
}

/// The number a map stands for under `arbitrary_precision`, or `None` for a real object.
fn exact_number<'de, A: de::MapAccess<'de>>(
    map: A,
) -> Result<Option<serde_json::Number>, A::Error> {
    use serde::Deserialize;
    let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
    Ok(match value {
        serde_json::Value::Number(n) => Some(n),
        _ => None,
    })
}

/// `Option<DateTime<Utc>>` from an ISO-8601 string (event summaries' `first`/`last`).
pub mod iso_opt {
    use super::*;
    use serde::Deserialize;

    /// Accepts RFC 3339 (`2014-01-16T23:12:21.000+00:00`), Unix seconds, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let value = Option::<serde_json::Value>::deserialize(d)?;
        match value {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => UnixVisitor.visit_str(&s),
            Some(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(secs) => from_secs(secs),
                None => Err(de::Error::custom("timestamp out of range")),
            },
            Some(other) => Err(de::Error::custom(format!(
                "expected a timestamp, found {other}"
            ))),
        }
    }

    /// Serialises as RFC 3339.
    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => s.serialize_str(&t.to_rfc3339()),
            None => s.serialize_none(),
        }
    }
}

/// `Option<String>` from a string or an integer id (`admin_assignee_id` is an integer in 2.11, a string in 2.16).
pub mod id_opt {
    use super::*;

    /// Accepts a string, an integer or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(IdVisitor)
    }

    /// Serialises as a string.
    pub fn serialize<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(v),
            None => s.serialize_none(),
        }
    }
}

/// `String` from a string or an integer id, required.
pub mod id {
    use super::*;

    /// Accepts a string or an integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        d.deserialize_any(IdVisitor)?
            .ok_or_else(|| de::Error::custom("expected an id, found null"))
    }

    /// Serialises as a string.
    pub fn serialize<S: Serializer>(value: &str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or integer id")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(IdVisitor)
    }
    /// A numeric id under `arbitrary_precision` (see [`UnixVisitor::visit_map`]): kept digit for digit.
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        match exact_number(map)? {
            Some(n) => Ok(Some(n.to_string())),
            None => Err(de::Error::custom("expected an id, found an object")),
        }
    }
}

/// A collection (or any `Default`) where Intercom may send `null` instead of omitting the field or sending `[]`.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// Declares an enum over Intercom's string values that keeps unknown values in `Other(String)` instead of failing.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this client does not know yet, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Deserialize, Serialize)]
    struct T {
        #[serde(default, with = "unix_opt")]
        at: Option<DateTime<Utc>>,
        #[serde(default, with = "id_opt")]
        owner: Option<String>,
    }

    fn t(json: &str) -> T {
        match serde_json::from_str(json) {
            Ok(t) => t,
            Err(e) => panic!("{json}: {e}"),
        }
    }

    #[test]
    fn timestamps_accept_intercom_shapes() {
        assert_eq!(
            t(r#"{"at":1719492777}"#).at.map(|d| d.timestamp()),
            Some(1719492777)
        );
        assert_eq!(
            t(r#"{"at":1719492777.9}"#).at.map(|d| d.timestamp()),
            Some(1719492777)
        );
        assert_eq!(
            t(r#"{"at":"1719492777"}"#).at.map(|d| d.timestamp()),
            Some(1719492777)
        );
        assert_eq!(t(r#"{"at":null}"#).at, None);
        assert_eq!(t(r#"{}"#).at, None);
        assert!(serde_json::from_str::<T>(r#"{"at":"yesterday"}"#).is_err());
        let json = serde_json::to_string(&t(r#"{"at":1719492777}"#)).unwrap_or_default();
        assert!(json.contains("1719492777"), "{json}");
    }

    #[test]
    fn ids_accept_strings_and_integers() {
        assert_eq!(
            t(r#"{"owner":991267715}"#).owner.as_deref(),
            Some("991267715")
        );
        assert_eq!(
            t(r#"{"owner":"991267715"}"#).owner.as_deref(),
            Some("991267715")
        );
        assert_eq!(t(r#"{"owner":null}"#).owner, None);
        assert_eq!(
            t(r#"{"owner":123456789012345678901234567890}"#)
                .owner
                .as_deref(),
            Some("123456789012345678901234567890")
        );
    }
}
