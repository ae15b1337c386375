//! Decoding 2xx bodies with the path of the offending field and a snippet of the body in the error.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::{Error, snippet};

/// Decodes `body` as `T`; `what` names the response in errors ("contact list").
///
/// Decodes without tracking the path first: tracking allocates a segment for every key it
/// passes, which took a quarter of a contact page's decoding time, and only a failed decode
/// needs it. A failure is decoded again with the path (the same bytes fail the same way).
pub(crate) fn decode<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, Error> {
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(_) => Err(decode_with_path::<T>(what, body)),
    }
}

/// The error of a body that does not decode as `T`, naming the field.
fn decode_with_path<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Error {
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(err) => {
            let field = err.path().to_string();
            let inner = err.into_inner();
            decode_error(what, field, &inner, body)
        }
        Ok(_) => match de.end() {
            Err(err) => decode_error(what, ".".to_owned(), &err, body),
            // Cannot happen (the plain decode of these bytes failed); say so rather than panic.
            Ok(()) => Error::Decode {
                what,
                field: ".".to_owned(),
                message: "the body decoded only on a second attempt".to_owned(),
                snippet: snippet(body, 0),
                malformed: false,
            },
        },
    }
}

fn decode_error(what: &'static str, field: String, err: &serde_json::Error, body: &[u8]) -> Error {
    let malformed = matches!(
        err.classify(),
        Category::Syntax | Category::Eof | Category::Io
    );
    Error::Decode {
        what,
        field,
        message: err.to_string(),
        snippet: snippet(body, byte_offset(body, err.line(), err.column())),
        malformed,
    }
}

/// Turns serde_json's 1-based line/column into a byte offset.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, text) in body.split(|b| *b == b'\n').enumerate() {
        if index + 1 == line {
            return offset + column.saturating_sub(1).min(text.len());
        }
        offset += text.len() + 1;
    }
    body.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Page {
        #[allow(dead_code)]
        data: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Item {
        #[allow(dead_code)]
        id: String,
    }

    #[test]
    fn shape_errors_name_the_field_and_are_not_retryable() {
        let body = br#"{"data":[{"id":"a"},{"id":42.5}]}"#;
        match decode::<Page>("item list", body) {
            Err(err @ Error::Decode { .. }) => {
                let Error::Decode {
                    field,
                    snippet,
                    malformed,
                    ..
                } = &err
                else {
                    unreachable!()
                };
                assert_eq!(field, "data[1].id");
                assert!(snippet.contains("42.5"), "{snippet}");
                assert!(!malformed);
                assert!(!err.is_retryable());
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn truncated_and_empty_bodies_are_malformed_and_retryable() {
        for body in [&br#"{"data":[{"id":"a"},{"id":"#[..], b"", b"<html>"] {
            match decode::<Page>("item list", body) {
                Err(
                    err @ Error::Decode {
                        malformed: true, ..
                    },
                ) => assert!(err.is_retryable()),
                other => panic!("expected a malformed decode error, got {other:?}"),
            }
        }
    }
}
