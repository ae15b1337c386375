//! Content hashes: stable digests of a record's content, so an unchanged record costs no write.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A hex digest of a record's canonical JSON form (the first 128 bits of SHA-256).
///
/// Two records hash alike exactly when they serialize alike; object keys are serialized in
/// sorted order (serde_json's default map), so Intercom's key order does not matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentHash(String);

impl ContentHash {
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Self {
        let mut hasher = Sha256::new();
        // Writing JSON into a hasher cannot fail for our records: they hold only strings, numbers,
        // booleans, timestamps and JSON values, none of which has a fallible Serialize impl.
        if serde_json::to_writer(HashWriter(&mut hasher), value).is_err() {
            hasher.update(b"\0unserializable");
        }
        Self(hex::encode(&hasher.finalize()[..16]))
    }

    pub fn from_parts(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Self(hex::encode(&hasher.finalize()[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_content_hashes_alike_whatever_the_key_order() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":[1,2]}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"a":[1,2],"b":1}"#).unwrap();
        assert_eq!(ContentHash::of(&a), ContentHash::of(&b));
        assert_ne!(
            ContentHash::of(&a),
            ContentHash::of(&json!({"a":[2,1],"b":1}))
        );
        assert_eq!(ContentHash::of(&a).as_str().len(), 32);
    }

    #[test]
    fn parts_are_length_prefixed_so_boundaries_matter() {
        assert_ne!(
            ContentHash::from_parts(&[b"ab", b"c"]),
            ContentHash::from_parts(&[b"a", b"bc"])
        );
    }
}
