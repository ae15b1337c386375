//! What a daily rollup of an account needs from the store: the workspace's zone, the
//! account's memberships, and its contacts' sessions and events around the days asked for.
//! The daemon's [`crate::Rollups`] passes them to the sessionizer's pure `daily_rollups`.

use chrono::{Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use icsync_domain::{CompanyId, ContactId, Event, Session, Workspace};
use icsync_store::{Store, StoreError};

/// The inputs of one account's rollups.
#[derive(Debug, Clone)]
pub struct RollupInputs {
    /// The workspace's time zone (UTC when unknown or unreadable).
    pub zone: Tz,
    /// `(contact, account)` for every contact of the account.
    pub memberships: Vec<(ContactId, CompanyId)>,
    /// Sessions and events of those contacts from a day before `from` to a day after `to`
    /// (any zone's days fall inside); keep only the rollups of days in `[from, to]`.
    pub sessions: Vec<Session>,
    pub events: Vec<Event>,
}

/// The zone of a workspace's days.
pub fn zone_of(workspace: &Workspace) -> Tz {
    workspace
        .timezone
        .as_deref()
        .and_then(|name| name.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC)
}

/// Loads the inputs of `account`'s rollups over the days `[from, to]`.
pub async fn rollup_inputs(
    store: &Store,
    workspace: &Workspace,
    account: &CompanyId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<RollupInputs, StoreError> {
    let members = store.company_member_ids(workspace.id, account).await?;
    let start = from.checked_sub_days(Days::new(1)).unwrap_or(from);
    let end = to.checked_add_days(Days::new(2)).unwrap_or(to);
    let at = |day: NaiveDate| Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN));
    let sessions = store
        .sessions_of_contacts_between(workspace.id, &members, at(start), at(end))
        .await?;
    let events = store
        .events_of_contacts_between(workspace.id, &members, at(start), at(end))
        .await?;
    Ok(RollupInputs {
        zone: zone_of(workspace),
        memberships: members
            .into_iter()
            .map(|contact| (contact, account.clone()))
            .collect(),
        sessions,
        events,
    })
}
