//! Contact profiles (host): found by any key, the on-view fetch first (bounded by a timeout,
//! so a slow Intercom shows the stored timeline marked stale), then everything stored; and
//! one conversation with its parts.

use crate::auth::HostKey;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, check_text};
use crate::model::{
    ContactProfileView, ContactView, ConversationDetail, ConversationView, CsView, EventView,
    PartView, SessionView, SessionsSummary,
};
use crate::openapi::{E400, E401, E403, E404, E500};
use crate::routes::{
    ContactKey, KEY_MAX, WorkspaceQuery, find_contacts, limit, parse_contact_key, resolve_workspace,
};
use crate::services::{Freshness, ServiceError, TimelineStatus};
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use chrono::{Duration as TimeDelta, Utc};
use icsync_domain::{ConversationId, CsSubject, Session, Workspace};
use icsync_store::{FeedEvent, LocatedContact, StoredConversation};
use serde::Deserialize;
use std::collections::HashSet;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProfileQuery {
    /// The workspace, by name; may be left out while only one workspace exists.
    pub workspace: Option<String>,
    /// Recent events to include, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub events_limit: Option<u32>,
    /// Conversations to include, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub conversations_limit: Option<u32>,
}

/// Sessions listed in a profile's summary.
const RECENT_SESSIONS: usize = 10;

/// A contact's profile. The key is `icsync:<id>`, `intercom:<id>`, `external:<id>`,
/// `email:<address>` (normalized; several Intercom contacts sharing it are one profile) or a
/// bare Intercom id. Opening it runs the on-view fetch of the contact's conversations.
#[utoipa::path(get, path = "/v1/contacts/{key}", operation_id = "get_contact_profile", tag = "profiles",
    security(("api_key" = [])),
    params(("key" = String, Path, description = "A contact key."), ProfileQuery),
    responses((status = 200, description = "The profile.", body = ContactProfileView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn profile(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): ApiQuery<ProfileQuery>,
) -> ApiResult<Json<ContactProfileView>> {
    contact_profile(
        &state,
        query.workspace.as_deref(),
        key,
        query.events_limit,
        query.conversations_limit,
    )
    .await
    .map(Json)
}

/// What `GET /v1/contacts/{key}` answers, without HTTP (the console's profile page): the
/// on-view fetch first, then everything stored. Limits as the query's (`None`: the defaults).
pub async fn contact_profile(
    state: &ApiState,
    workspace: Option<&str>,
    key: String,
    events_limit: Option<u32>,
    conversations_limit: Option<u32>,
) -> ApiResult<ContactProfileView> {
    let workspace = resolve_workspace(state, workspace).await?;
    let events_limit = limit(events_limit, "events_limit", 20, 200)?;
    let conversations_limit = limit(conversations_limit, "conversations_limit", 20, 100)?;
    let contacts = find_contacts(state, &workspace, &key).await?;
    let timeline = on_view(state, &workspace, &contacts).await;

    let store = state.store();
    let cs = &state.services().cs_attributes;
    let mut views = Vec::with_capacity(contacts.len());
    let mut events: Vec<FeedEvent> = Vec::new();
    let mut sessions: Vec<Session> = Vec::new();
    let mut conversations: Vec<StoredConversation> = Vec::new();
    for located in &contacts {
        let id = &located.contact.contact.id;
        let companies = store
            .contact_profile(workspace.id, id)
            .await?
            .map(|p| p.companies)
            .unwrap_or_default();
        let cs_attributes = cs
            .get(&workspace, &CsSubject::Contact(id.to_string()))
            .await?
            .as_ref()
            .map(CsView::from);
        let host_ids = store
            .export_records_of_contact(workspace.id, id.as_str())
            .await?;
        let mut known_tags: std::collections::HashMap<String, String> = store
            .export_tags(workspace.id)
            .await?
            .into_values()
            .map(|t| (t.id, t.name))
            .collect();
        for company in &companies {
            for tag in icsync_domain::imported_tags(&company.company.other_attributes) {
                if let Some(name) = tag.name {
                    known_tags.insert(tag.id, name);
                }
            }
        }
        views.push(ContactView::new(
            located,
            &companies,
            cs_attributes,
            host_ids,
            &known_tags,
        ));
        events.extend(
            store
                .contact_events(workspace.id, id, None, events_limit)
                .await?,
        );
        sessions.extend(store.sessions_of_contact(workspace.id, id).await?);
        conversations.extend(
            store
                .conversations_of_contact(workspace.id, id, conversations_limit)
                .await?,
        );
    }
    events.sort_by(|a, b| {
        b.event
            .occurred_at
            .cmp(&a.event.occurred_at)
            .then(b.seq.cmp(&a.seq))
    });
    events.truncate(events_limit as usize);
    let mut seen = HashSet::new();
    conversations.retain(|c| seen.insert(c.conversation.id.clone()));
    conversations.sort_by_key(|c| std::cmp::Reverse(c.conversation.updated_at));
    conversations.truncate(conversations_limit as usize);

    let email = match parse_contact_key(&key)? {
        ContactKey::Email(email) => icsync_domain::normalize_email(&email),
        _ => None,
    };
    let app_id = workspace.intercom_app_id.as_deref();
    Ok(ContactProfileView {
        workspace: workspace.name.clone(),
        key,
        email,
        contacts: views,
        recent_events: events.iter().map(EventView::from).collect(),
        sessions: summarize(sessions),
        conversations: conversations
            .iter()
            .map(|c| ConversationView::new(c, workspace.region, app_id))
            .collect(),
        timeline,
    })
}

/// The on-view fetch of every contact of the profile, at once, within the configured time.
async fn on_view(
    state: &ApiState,
    workspace: &Workspace,
    contacts: &[LocatedContact],
) -> Freshness {
    let timeout = state.settings().on_view_timeout;
    let fetcher = &state.services().on_view;
    let fetches = contacts
        .iter()
        .map(|c| fetcher.fetch(workspace, &c.contact.contact.id));
    let results = match tokio::time::timeout(timeout, futures::future::join_all(fetches)).await {
        Ok(results) => results,
        Err(_) => {
            tracing::warn!(workspace = %workspace.name, timeout_ms = timeout.as_millis() as u64, "on-view fetch timed out, serving the stored timeline");
            return Freshness {
                status: TimelineStatus::Stale,
                fetched_at: None,
                error: Some(format!(
                    "Intercom did not answer within {} s; this is the timeline icsync last stored",
                    timeout.as_secs_f64()
                )),
            };
        }
    };
    let mut combined = Freshness {
        status: TimelineStatus::Fresh,
        fetched_at: None,
        error: None,
    };
    let mut oldest = None;
    let mut all_known = true;
    for result in results {
        match result {
            Ok(freshness) => {
                if freshness.status == TimelineStatus::Stale {
                    combined.status = TimelineStatus::Stale;
                }
                match freshness.fetched_at {
                    Some(at) => {
                        oldest = Some(oldest.map_or(at, |o: chrono::DateTime<Utc>| o.min(at)))
                    }
                    None => all_known = false,
                }
                if combined.error.is_none() {
                    combined.error = freshness.error;
                }
            }
            Err(error) => {
                combined.status = TimelineStatus::Stale;
                all_known = false;
                let message = match &error {
                    ServiceError::Internal(_) => {
                        tracing::error!(workspace = %workspace.name, error = %error, "on-view fetch failed");
                        "the on-view fetch failed; this is the timeline icsync last stored"
                            .to_owned()
                    }
                    other => {
                        tracing::warn!(workspace = %workspace.name, error = %other, "on-view fetch failed");
                        other.to_string()
                    }
                };
                combined.error.get_or_insert(message);
            }
        }
    }
    combined.fetched_at = if all_known { oldest } else { None };
    combined
}

fn summarize(mut sessions: Vec<Session>) -> SessionsSummary {
    sessions.sort_by_key(|s| std::cmp::Reverse(s.started_at));
    let since = Utc::now() - TimeDelta::days(30);
    let recent: Vec<&Session> = sessions.iter().filter(|s| s.started_at >= since).collect();
    let average = (!recent.is_empty()).then(|| {
        recent
            .iter()
            .map(|s| (s.ended_at - s.started_at).num_seconds().max(0))
            .sum::<i64>()
            / recent.len() as i64
    });
    SessionsSummary {
        total: sessions.len() as u64,
        last_30_days: recent.len() as u64,
        last_session_at: sessions.first().map(|s| s.started_at),
        average_duration_secs_30_days: average,
        recent: sessions
            .iter()
            .take(RECENT_SESSIONS)
            .map(SessionView::from)
            .collect(),
    }
}

/// One conversation with its stored parts, oldest first.
#[utoipa::path(get, path = "/v1/conversations/{id}", operation_id = "get_conversation", tag = "profiles",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Intercom's id of the conversation."), WorkspaceQuery),
    responses((status = 200, description = "The conversation and its parts.", body = ConversationDetail),
        E400, E401, E403, E404, E500))]
pub(crate) async fn conversation(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
) -> ApiResult<Json<ConversationDetail>> {
    conversation_detail(&state, query.workspace.as_deref(), id)
        .await
        .map(Json)
}

/// What `GET /v1/conversations/{id}` answers, without HTTP (the console's timeline).
pub async fn conversation_detail(
    state: &ApiState,
    workspace: Option<&str>,
    id: String,
) -> ApiResult<ConversationDetail> {
    let workspace = resolve_workspace(state, workspace).await?;
    check_text("id", &id, KEY_MAX)?;
    let conversation_id = ConversationId::new(id.clone());
    let store = state.store();
    let stored = store
        .conversation(workspace.id, &conversation_id)
        .await?
        .ok_or(ApiError::ConversationNotFound(id))?;
    let parts = store
        .conversation_parts(workspace.id, &conversation_id)
        .await?;
    Ok(ConversationDetail {
        workspace: workspace.name.clone(),
        conversation: ConversationView::new(
            &stored,
            workspace.region,
            workspace.intercom_app_id.as_deref(),
        ),
        parts: parts.iter().map(PartView::from).collect(),
    })
}
