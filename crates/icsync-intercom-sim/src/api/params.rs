//! Request parsing with Intercom's error answers: query parameters, JSON bodies, page sizes.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// Parsed query string (last value wins for repeated keys).
#[derive(Debug, Default)]
pub(crate) struct Query(pub HashMap<String, String>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(decode(k), decode(v));
        }
        Query(map)
    }

    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub(crate) fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        match self.str(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(format!("{key} must be an integer"))),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.str(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(format!("{key} must be a boolean"))),
        }
    }

    /// `per_page` between 1 and `max`, defaulting to `default`.
    pub(crate) fn per_page(&self, default: usize, max: usize) -> ApiResult<usize> {
        page_size(self.int("per_page")?, default, max)
    }

    /// `page` (1-based), defaulting to 1.
    pub(crate) fn page(&self) -> ApiResult<usize> {
        match self.int("page")? {
            None => Ok(1),
            Some(p) if p >= 1 => Ok(p as usize),
            Some(_) => Err(ApiError::invalid("page must be a positive integer")),
        }
    }
}

pub(crate) fn page_size(value: Option<i64>, default: usize, max: usize) -> ApiResult<usize> {
    match value {
        None => Ok(default),
        Some(n) if n >= 1 && n as usize <= max => Ok(n as usize),
        Some(_) => Err(ApiError::invalid(format!(
            "per_page must be between 1 and {max}"
        ))),
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request body as a JSON object; malformed JSON or a non-object is Intercom's 400.
pub(crate) fn json_object(body: &[u8]) -> ApiResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::invalid("Request body must be a JSON object")),
        Err(_) => Err(ApiError::invalid(
            "There was a problem in the JSON you submitted: the body is not valid JSON",
        )),
    }
}

/// Rejects keys outside `allowed`, as Intercom does ("bad 'x' parameter").
pub(crate) fn only_fields(body: &Map<String, Value>, allowed: &[&str]) -> ApiResult<()> {
    match body.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ApiError::bad_request(format!("bad '{k}' parameter"))),
        None => Ok(()),
    }
}

pub(crate) fn opt_string(
    body: &Map<String, Value>,
    key: &str,
) -> ApiResult<Option<Option<String>>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

/// A string field whose schema is not nullable: absent is fine, null is a wrong type.
pub(crate) fn opt_str_nn(body: &Map<String, Value>, key: &str) -> ApiResult<Option<String>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

pub(crate) fn opt_int(body: &Map<String, Value>, key: &str) -> ApiResult<Option<Option<i64>>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Number(n)) if n.is_i64() => Ok(Some(n.as_i64())),
        Some(_) => Err(ApiError::invalid(format!("{key} must be an integer"))),
    }
}

pub(crate) fn opt_bool(body: &Map<String, Value>, key: &str) -> ApiResult<Option<Option<bool>>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Bool(b)) => Ok(Some(Some(*b))),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a boolean"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding_and_types() {
        let q = Query::parse(Some("email=a%2Bb%40x.com&per_page=5&summary=true&bad=%zz"));
        assert_eq!(q.str("email"), Some("a+b@x.com"));
        assert_eq!(q.int("per_page"), Ok(Some(5)));
        assert_eq!(q.bool("summary"), Ok(Some(true)));
        assert_eq!(q.str("bad"), Some("%zz"));
        assert!(Query::parse(Some("per_page=x")).int("per_page").is_err());
        assert!(
            Query::parse(Some("per_page=151"))
                .per_page(10, 150)
                .is_err()
        );
        assert_eq!(Query::parse(None).per_page(10, 150), Ok(10));
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(json_object(b"{").is_err());
        assert!(json_object(b"[1]").is_err());
        assert_eq!(json_object(b"  "), Ok(Map::new()));
        assert!(json_object(br#"{"a":1}"#).is_ok());
    }
}
