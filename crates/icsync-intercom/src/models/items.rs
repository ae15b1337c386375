//! Lists decoded item by item: one record Intercom sends in a shape this client cannot read is
//! set aside with its id and the reason, and the rest of its page still arrives.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// An item of a list that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedItem {
    /// Its `id`, when that much could be read.
    pub id: Option<String>,
    /// The field that failed (`created_at`, `location.city`, ...) and why.
    pub reason: String,
}

/// The items of one list: those decoded, and those set aside.
#[derive(Debug, Clone, PartialEq)]
pub struct Items<T> {
    /// Decoded items, in Intercom's order.
    pub ok: Vec<T>,
    /// Items that could not be decoded.
    pub rejected: Vec<RejectedItem>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items {
            ok: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

impl<T> Items<T> {
    /// How many items Intercom sent, decoded or not.
    pub fn sent(&self) -> usize {
        self.ok.len() + self.rejected.len()
    }

    /// The decoded items (rejected ones are dropped: use where a whole list is one answer).
    pub fn into_vec(self) -> Vec<T> {
        self.ok
    }
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default, with = "crate::serde_util::id_opt")]
    id: Option<String>,
}

/// Decodes one item from its exact JSON text, naming the failing field.
fn decode_item<T: DeserializeOwned>(raw: &RawValue) -> Result<T, RejectedItem> {
    // Without tracking the path first (see `crate::decode::decode`); only a rejected item is
    // decoded again to name its field.
    if let Ok(item) = serde_json::from_str(raw.get()) {
        return Ok(item);
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let field = err.path().to_string();
        let id = serde_json::from_str::<IdOnly>(raw.get())
            .ok()
            .and_then(|only| only.id);
        RejectedItem {
            id,
            reason: format!("{field}: {}", err.into_inner()),
        }
    })
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemsVisitor<T>(PhantomData<T>);

        impl<'de, T: DeserializeOwned> Visitor<'de> for ItemsVisitor<T> {
            type Value = Items<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list or null")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Items::default())
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Items::default())
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Items::default();
                while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
                    match decode_item(&raw) {
                        Ok(item) => items.ok.push(item),
                        Err(rejected) => items.rejected.push(rejected),
                    }
                }
                Ok(items)
            }
        }

        d.deserialize_any(ItemsVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Thing {
        id: String,
        n: i64,
    }

    #[derive(Debug, Deserialize)]
    struct List {
        #[serde(default)]
        data: Items<Thing>,
    }

    #[test]
    fn a_bad_item_is_set_aside_with_its_id_and_the_rest_decode() {
        let list: List = serde_json::from_str(
            r#"{"data":[{"id":"a","n":1},{"id":"b","n":"two"},{"id":42,"n":{}},{"n":3},{"id":"c","n":3}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            list.data.ok,
            vec![
                Thing {
                    id: "a".into(),
                    n: 1
                },
                Thing {
                    id: "c".into(),
                    n: 3
                }
            ]
        );
        let ids: Vec<Option<&str>> = list.data.rejected.iter().map(|r| r.id.as_deref()).collect();
        assert_eq!(ids, vec![Some("b"), Some("42"), None]);
        assert!(
            list.data.rejected[0].reason.starts_with("n:"),
            "{:?}",
            list.data.rejected[0]
        );
        assert_eq!(list.data.sent(), 5);
    }

    #[test]
    fn null_and_missing_lists_are_empty() {
        for json in [r#"{"data":null}"#, "{}"] {
            let list: List = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(list.data.sent(), 0);
        }
    }

    #[test]
    fn a_list_that_is_not_a_list_is_still_an_error() {
        assert!(serde_json::from_str::<List>(r#"{"data":"nope"}"#).is_err());
    }
}
