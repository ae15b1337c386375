//! Deterministic pseudo-randomness: every generated value is a pure function of (seed, stream, index).

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Streams keep unrelated draws for the same index independent.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Contact = 1,
    ContactCompanies = 2,
    Company = 3,
    Events = 4,
    Conversation = 5,
    Parts = 6,
    Ids = 7,
}

/// A small deterministic generator seeded from (seed, stream, index).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64, stream: Stream, index: u64) -> Self {
        Rng(mix(seed ^ mix((stream as u64) << 56 ^ index)))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0; returns 0 for n == 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `p` (0.0..=1.0).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Callers pass non-empty constant tables; index is always < len.
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_give_the_same_draws() {
        let mut a = Rng::new(7, Stream::Contact, 42);
        let mut b = Rng::new(7, Stream::Contact, 42);
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn streams_and_seeds_differ() {
        let a = Rng::new(7, Stream::Contact, 42).next_u64();
        assert_ne!(a, Rng::new(7, Stream::Company, 42).next_u64());
        assert_ne!(a, Rng::new(8, Stream::Contact, 42).next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1, Stream::Ids, 0);
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
            let v = r.range(3, 5);
            assert!((3..=5).contains(&v));
        }
    }
}
