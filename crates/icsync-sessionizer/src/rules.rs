//! The session rule's parameters, with Intercom's defaults and a validation for config loading.

use std::fmt;

const MICROS_PER_SEC: i64 = 1_000_000;

/// When one session ends and the next begins (docs/SESSIONS.md).
///
/// A signal opens a new session when **more than** `session_gap_mins` passed since the previous
/// signal, or when adding it would make the session last **longer than** `session_max_hours`
/// (from its first signal to this one). Exactly the gap, or exactly the maximum, stays in the
/// same session. Every value is usable as it is (the sessionizer never fails); [`validate`]
/// is for the daemon's config loading, which rejects values that make no sense as sessions.
///
/// [`validate`]: SessionRules::validate
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRules {
    /// Inactivity after which the next signal opens a new session (Intercom: 30 minutes).
    pub session_gap_mins: u32,
    /// Longest a session may last, first signal to last (Intercom: 24 hours).
    pub session_max_hours: u32,
    /// A new signal later than `now` plus this is flagged as a future signal (clock skew); it is
    /// kept and sessionized all the same.
    pub future_tolerance_secs: u32,
}

impl Default for SessionRules {
    fn default() -> Self {
        Self {
            session_gap_mins: 30,
            session_max_hours: 24,
            future_tolerance_secs: 300,
        }
    }
}

/// A rules value the daemon should refuse at startup; names the key and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesError {
    /// `session_gap_mins` is 0: every distinct instant would be its own session.
    ZeroGap,
    /// `session_max_hours` is 0: every distinct instant would be its own session.
    ZeroMaxDuration,
    /// The maximum duration is shorter than the gap, so the gap rule could never apply.
    MaxShorterThanGap { gap_mins: u32, max_hours: u32 },
}

impl RulesError {
    /// The configuration key at fault.
    pub fn key(&self) -> &'static str {
        match self {
            Self::ZeroGap => "session_gap_mins",
            Self::ZeroMaxDuration | Self::MaxShorterThanGap { .. } => "session_max_hours",
        }
    }
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroGap => f.write_str(
                "session_gap_mins is 0: set it to the minutes of inactivity that end a session \
                 (Intercom uses 30)",
            ),
            Self::ZeroMaxDuration => f.write_str(
                "session_max_hours is 0: set it to the longest a session may last \
                 (Intercom uses 24)",
            ),
            Self::MaxShorterThanGap {
                gap_mins,
                max_hours,
            } => write!(
                f,
                "session_max_hours ({max_hours} h) is shorter than session_gap_mins \
                 ({gap_mins} min): raise session_max_hours or lower session_gap_mins"
            ),
        }
    }
}

impl std::error::Error for RulesError {}

impl SessionRules {
    /// Checks the values make sense as sessions; the error names the key and the fix.
    pub fn validate(&self) -> Result<(), RulesError> {
        if self.session_gap_mins == 0 {
            return Err(RulesError::ZeroGap);
        }
        if self.session_max_hours == 0 {
            return Err(RulesError::ZeroMaxDuration);
        }
        if u64::from(self.session_max_hours) * 60 < u64::from(self.session_gap_mins) {
            return Err(RulesError::MaxShorterThanGap {
                gap_mins: self.session_gap_mins,
                max_hours: self.session_max_hours,
            });
        }
        Ok(())
    }

    pub(crate) fn gap_micros(&self) -> i64 {
        i64::from(self.session_gap_mins).saturating_mul(60 * MICROS_PER_SEC)
    }

    pub(crate) fn max_micros(&self) -> i64 {
        i64::from(self.session_max_hours).saturating_mul(3_600 * MICROS_PER_SEC)
    }

    pub(crate) fn future_tolerance_micros(&self) -> i64 {
        i64::from(self.future_tolerance_secs).saturating_mul(MICROS_PER_SEC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_intercoms_and_valid() {
        let rules = SessionRules::default();
        assert_eq!((rules.session_gap_mins, rules.session_max_hours), (30, 24));
        assert_eq!(rules.validate(), Ok(()));
        assert_eq!(rules.gap_micros(), 1_800_000_000);
        assert_eq!(rules.max_micros(), 86_400_000_000);
    }

    #[test]
    fn validation_names_the_key_at_fault() {
        let zero_gap = SessionRules {
            session_gap_mins: 0,
            ..SessionRules::default()
        };
        let err = zero_gap.validate().unwrap_err();
        assert_eq!(err.key(), "session_gap_mins");
        assert!(err.to_string().starts_with("session_gap_mins is 0"));

        let short = SessionRules {
            session_gap_mins: 90,
            session_max_hours: 1,
            ..SessionRules::default()
        };
        let err = short.validate().unwrap_err();
        assert_eq!(err.key(), "session_max_hours");
        assert!(err.to_string().contains("raise session_max_hours"));
    }

    #[test]
    fn extreme_values_saturate_instead_of_overflowing() {
        let rules = SessionRules {
            session_gap_mins: u32::MAX,
            session_max_hours: u32::MAX,
            future_tolerance_secs: u32::MAX,
        };
        assert_eq!(rules.max_micros(), i64::MAX);
        assert!(rules.gap_micros() > 0 && rules.future_tolerance_micros() > 0);
    }
}
