//! The exporter's pace (the `[export]` table): concurrency, batch size, loop interval, lease and
//! retry backoff. What to export and how (modes, mapping) is per workspace, in the store.

use crate::config::{Backoff, ConfigProblem};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `[export]` table of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportConfig {
    /// Records exported at once per workspace (the pacer spaces requests within the rate limit).
    pub concurrency: usize,
    /// Records claimed per step of a drain.
    pub batch_size: u64,
    /// How often the loop looks for due records when nothing wakes it.
    pub loop_interval_secs: u64,
    /// How long an exporter holds a claimed record; an export still running then is abandoned.
    pub lease_secs: u64,
    /// Retry delays of a failing record.
    pub backoff: Backoff,
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            batch_size: 200,
            loop_interval_secs: 5,
            lease_secs: 300,
            backoff: Backoff::default(),
        }
    }
}

impl ExportConfig {
    pub fn loop_interval(&self) -> Duration {
        Duration::from_secs(self.loop_interval_secs)
    }

    /// Checks every value; the first problem names its key (`export.` + key).
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        let problem = |key: &str, value: &dyn std::fmt::Display, problem: &str| ConfigProblem {
            key: format!("export.{key}"),
            value: value.to_string(),
            problem: problem.to_owned(),
        };
        let positive: [(&str, u64); 5] = [
            ("concurrency", self.concurrency as u64),
            ("batch_size", self.batch_size),
            ("loop_interval_secs", self.loop_interval_secs),
            ("backoff.base_secs", self.backoff.base_secs),
            ("lease_secs", self.lease_secs),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(problem(key, &value, "must be at least 1"));
            }
        }
        if self.concurrency > 64 {
            return Err(problem(
                "concurrency",
                &self.concurrency,
                "at most 64 (the pacer spaces requests anyway)",
            ));
        }
        if self.lease_secs < 30 {
            return Err(problem(
                "lease_secs",
                &self.lease_secs,
                "at least 30: an export (with its retries) must fit in the lease",
            ));
        }
        if self.backoff.max_secs < self.backoff.base_secs {
            return Err(problem(
                "backoff.max_secs",
                &self.backoff.max_secs,
                &format!(
                    "must be at least backoff.base_secs ({})",
                    self.backoff.base_secs
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_problems_name_their_key() {
        assert_eq!(ExportConfig::default().validate(), Ok(()));
        let config = ExportConfig {
            lease_secs: 10,
            ..ExportConfig::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("export.lease_secs"), "{err}");
    }
}
