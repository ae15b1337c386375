//! Decoding a record whose named fields are read in one pass and every other field is kept in
//! `extra`: what `#[serde(flatten)]` does, without its cost.
//!
//! serde's derive for a struct with a flattened map buffers each field it does not name into its
//! private `Content` tree, then decodes the map from those buffers: every unknown key and value is
//! allocated twice. A contact carries some twenty fields icsync does not name (the `android_*` and
//! `ios_*` block, `utm_*`, the subscription lists), and that buffering was a third of a contact
//! page's decoding (docs/BENCHMARKS.md). [`deserialize_with_extra!`] writes the visitor by hand:
//! named fields decode straight into their types, other fields straight into `Value`s.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::{Map, Value};

/// A field name, borrowed from the input when it has no escapes.
pub(crate) struct FieldKey<'de>(Cow<'de, str>);

impl FieldKey<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for FieldKey<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = FieldKey<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FieldKey(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FieldKey(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(FieldKey(Cow::Owned(v)))
            }
        }

        d.deserialize_str(KeyVisitor)
    }
}

/// A field decoded as its own type (`Option<T>`: absent or `null` is `None`).
pub(crate) struct Plain<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Plain<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Plain)
    }
}

/// A field decoded with [`crate::serde_util::unix_opt`].
pub(crate) struct UnixOpt(pub(crate) Option<DateTime<Utc>>);

impl<'de> Deserialize<'de> for UnixOpt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::serde_util::unix_opt::deserialize(d).map(UnixOpt)
    }
}

/// A field decoded with [`crate::serde_util::id_opt`].
pub(crate) struct IdOpt(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for IdOpt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::serde_util::id_opt::deserialize(d).map(IdOpt)
    }
}

/// An object field where `null` means empty.
pub(crate) struct MapOrNull(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for MapOrNull {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::models::contact::null_as_empty_map(d).map(MapOrNull)
    }
}

/// Implements `Deserialize` for `$ty`: `required` fields must be present, `optional` ones default
/// when absent, each decoded through its wrapper type (`Plain<T>`, `UnixOpt`, ...: a newtype whose
/// `.0` is the field); any other field goes, as sent, into the `Map<String, Value>` field `$extra`.
/// A repeated key keeps its last value.
macro_rules! deserialize_with_extra {
    (
        $ty:ident, $what:literal, extra: $extra:ident,
        required { $($req:ident : $req_key:literal => $req_de:ty),* $(,)? }
        optional { $($opt:ident : $opt_key:literal => $opt_de:ty),* $(,)? }
    ) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct RecordVisitor;

                impl<'de> serde::de::Visitor<'de> for RecordVisitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($what)
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        $(let mut $req = None;)*
                        $(let mut $opt = None;)*
                        let mut $extra = serde_json::Map::new();
                        while let Some(key) =
                            map.next_key::<$crate::models::extra::FieldKey<'de>>()?
                        {
                            match key.as_str() {
                                $($req_key => $req = Some(map.next_value::<$req_de>()?.0),)*
                                $($opt_key => $opt = Some(map.next_value::<$opt_de>()?.0),)*
                                _ => {
                                    let value = map.next_value::<serde_json::Value>()?;
                                    $extra.insert(key.into_string(), value);
                                }
                            }
                        }
                        Ok($ty {
                            $($req: $req
                                .ok_or_else(|| serde::de::Error::missing_field($req_key))?,)*
                            $($opt: $opt.unwrap_or_default(),)*
                            $extra,
                        })
                    }
                }

                d.deserialize_map(RecordVisitor)
            }
        }
    };
}

pub(crate) use deserialize_with_extra;

#[cfg(test)]
mod tests {
    use crate::models::{Avatar, Contact};
    use serde_json::json;

    fn contact(body: serde_json::Value) -> Result<Contact, serde_json::Error> {
        serde_json::from_str(&body.to_string())
    }

    #[test]
    fn named_fields_decode_and_every_other_field_is_kept_as_sent() {
        let text = r#"{"id":"c1","email":"a@example.com","created_at":1700000000,"owner_id":7,
            "custom_attributes":null,"utm_source":null,"caf\u00e9":{"n":12345678901234567890123},
            "avatar":"https://example.com/a.png"}"#;
        let c: Contact = serde_json::from_str(text).unwrap();
        assert_eq!(c.id, "c1");
        assert_eq!(c.email.as_deref(), Some("a@example.com"));
        assert_eq!(c.created_at.map(|t| t.timestamp()), Some(1_700_000_000));
        assert_eq!(c.owner_id.as_deref(), Some("7"));
        assert!(c.custom_attributes.is_empty());
        assert_eq!(c.extra["utm_source"], serde_json::Value::Null);
        // An escaped key is read as an owned string; a number beyond 64 bits stays exact.
        assert_eq!(c.extra["café"]["n"].to_string(), "12345678901234567890123");
        assert_eq!(
            c.avatar,
            Some(Avatar {
                image_url: Some("https://example.com/a.png".into())
            })
        );
        assert_eq!(c.name, None);
    }

    #[test]
    fn a_missing_id_or_a_wrong_type_is_an_error_naming_the_field() {
        let err = contact(json!({"email": "a@example.com"})).unwrap_err();
        assert!(err.to_string().contains("missing field `id`"), "{err}");
        let text = json!({"id": "c1", "created_at": "soon"}).to_string();
        let mut de = serde_json::Deserializer::from_str(&text);
        let err = serde_path_to_error::deserialize::<_, Contact>(&mut de).unwrap_err();
        assert_eq!(err.path().to_string(), "created_at");
        let err = contact(json!({"id": "c1", "avatar": 3})).unwrap_err();
        assert!(
            err.to_string().contains("an avatar object or an image URL"),
            "{err}"
        );
    }

    #[test]
    fn an_avatar_object_ignores_other_keys_and_a_repeated_key_keeps_its_last_value() {
        let c: Contact = serde_json::from_str(
            r#"{"id":"c1","avatar":{"type":"avatar","image_url":null},"name":"A","name":"B"}"#,
        )
        .unwrap();
        assert_eq!(c.avatar, Some(Avatar { image_url: None }));
        assert_eq!(c.name.as_deref(), Some("B"));
    }
}
