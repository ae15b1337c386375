//! Intercom-style identifiers: 24-hex object ids whose last 3 bytes are the storage slot.

use crate::rng::{Rng, Stream};

/// A 12-byte object id (`667d60a88a68186f43bafdb8` when printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ObjectId(pub [u8; 12]);

/// Largest slot an object id can address (3 counter bytes).
pub(crate) const MAX_SLOT: u32 = 0x00FF_FFFF;

impl ObjectId {
    /// Timestamp prefix, a per-(seed, kind) middle and the slot as counter: unique per kind.
    pub(crate) fn new(seed: u64, kind: u64, created_at: i64, slot: u32) -> Self {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&(created_at.clamp(0, i64::from(u32::MAX)) as u32).to_be_bytes());
        let mid = Rng::new(seed, Stream::Ids, kind).next_u64().to_be_bytes();
        b[4..9].copy_from_slice(&mid[..5]);
        b[9..].copy_from_slice(&slot.to_be_bytes()[1..]);
        ObjectId(b)
    }

    pub(crate) fn slot(&self) -> u32 {
        u32::from_be_bytes([0, self.0[9], self.0[10], self.0[11]])
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        if s.len() != 24 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let mut b = [0u8; 12];
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(ObjectId(b))
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_carry_their_slot() {
        let id = ObjectId::new(3, 1, 1_719_492_696, 123_456);
        let text = id.to_string();
        assert_eq!(text.len(), 24);
        assert_eq!(ObjectId::parse(&text), Some(id));
        assert_eq!(id.slot(), 123_456);
        assert_eq!(ObjectId::parse("nope"), None);
        assert_eq!(ObjectId::parse("zz7d60a88a68186f43bafdb8"), None);
    }
}
