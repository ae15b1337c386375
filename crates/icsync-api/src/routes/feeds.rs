//! Feeds (host): events and sessions after a cursor, paged to the end and polled from there;
//! an account's daily rollups over a range of days.

use crate::auth::HostKey;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::model::{EventFeedView, EventView, FeedSessionView, RollupFeedView, SessionFeedView};
use crate::openapi::{E400, E401, E403, E404, E422, E500};
use crate::routes::accounts::{rollups as account_rollups, today};
use crate::routes::{find_account, limit, resolve_workspace};
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedQuery {
    /// The workspace, by name; may be left out while only one workspace exists.
    pub workspace: Option<String>,
    /// The cursor: items after it (`next_cursor` of the previous page); from the start when
    /// left out.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

fn cursor(after: Option<i64>) -> ApiResult<Option<i64>> {
    match after {
        Some(n) if n < 0 => Err(ApiError::parameter(
            "after",
            format!("after is a cursor from a previous page (0 or more), not {n}"),
        )),
        other => Ok(other),
    }
}

/// Events in the order icsync imported them, after a cursor.
#[utoipa::path(get, path = "/v1/feeds/events", operation_id = "get_event_feed", tag = "feeds",
    security(("api_key" = [])),
    params(FeedQuery),
    responses((status = 200, description = "A page of events.", body = EventFeedView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn events(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> ApiResult<Json<EventFeedView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let after = cursor(query.after)?;
    let limit = limit(query.limit, "limit", 100, 1000)?;
    let mut page = state
        .store()
        .event_feed(workspace.id, after, limit + 1)
        .await?;
    let has_more = page.events.len() as u64 > limit;
    page.events.truncate(limit as usize);
    Ok(Json(EventFeedView {
        workspace: workspace.name.clone(),
        next_cursor: page.events.last().map(|e| e.seq).or(after),
        events: page.events.iter().map(EventView::from).collect(),
        has_more,
    }))
}

/// Sessions in the order they were written (a rebuilt session comes again), after a cursor.
#[utoipa::path(get, path = "/v1/feeds/sessions", operation_id = "get_session_feed", tag = "feeds",
    security(("api_key" = [])),
    params(FeedQuery),
    responses((status = 200, description = "A page of sessions.", body = SessionFeedView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn sessions(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> ApiResult<Json<SessionFeedView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let after = cursor(query.after)?;
    let limit = limit(query.limit, "limit", 100, 1000)?;
    let mut page = state
        .store()
        .session_feed(workspace.id, after, limit + 1)
        .await?;
    let has_more = page.sessions.len() as u64 > limit;
    page.sessions.truncate(limit as usize);
    Ok(Json(SessionFeedView {
        workspace: workspace.name.clone(),
        next_cursor: page.sessions.last().map(|s| s.id).or(after),
        sessions: page.sessions.iter().map(FeedSessionView::from).collect(),
        has_more,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RollupQuery {
    /// The workspace, by name; may be left out while only one workspace exists.
    pub workspace: Option<String>,
    /// The account, by key (see `GET /v1/accounts/{key}`).
    pub account: String,
    /// The first day (`YYYY-MM-DD`, the workspace's time zone); 29 days before `to` when left
    /// out.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day; today when left out. At most 366 days after `from`.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// Longest range of one rollups request.
const MAX_DAYS: u64 = 366;

/// An account's daily rollups over a range of days.
#[utoipa::path(get, path = "/v1/feeds/rollups", operation_id = "get_rollup_feed", tag = "feeds",
    security(("api_key" = [])),
    params(RollupQuery),
    responses((status = 200, description = "The account's rollups, days with activity only.", body = RollupFeedView),
        E400, E401, E403, E404, E422, E500))]
pub(crate) async fn rollups(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<RollupQuery>,
) -> ApiResult<Json<RollupFeedView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let to = query.to.unwrap_or_else(|| today(&workspace));
    let from = match query.from {
        Some(from) => from,
        None => to.checked_sub_days(Days::new(29)).unwrap_or(to),
    };
    let earliest = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    let latest = NaiveDate::from_ymd_opt(9998, 12, 31).unwrap_or(NaiveDate::MAX);
    for (field, day) in [("from", from), ("to", to)] {
        if day < earliest || day > latest {
            return Err(ApiError::validation(
                field,
                format!("{field} must be between {earliest} and {latest}, not {day}"),
            ));
        }
    }
    if from > to {
        return Err(ApiError::validation(
            "from",
            format!("from ({from}) is after to ({to})"),
        ));
    }
    if from
        .checked_add_days(Days::new(MAX_DAYS))
        .is_some_and(|end| to > end)
    {
        return Err(ApiError::validation(
            "to",
            format!("a request covers at most {MAX_DAYS} days; ask for {from} to {to} in parts"),
        ));
    }
    let account = find_account(&state, &workspace, &query.account)
        .await
        .map_err(|error| match error {
            ApiError::InvalidParameter { message, .. } => ApiError::parameter("account", message),
            other => other,
        })?;
    let company = account.company.company.id.clone();
    let view = account_rollups(&state, &workspace, &company, from, to).await?;
    Ok(Json(RollupFeedView {
        workspace: workspace.name.clone(),
        account: company.to_string(),
        from: view.from,
        to: view.to,
        timezone: view.timezone,
        days: view.days,
    }))
}
