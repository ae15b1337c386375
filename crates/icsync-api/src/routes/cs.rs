//! CS attributes (host): set a contact's or an account's, one at a time or in a batch, through
//! the injected [`crate::CsAttributesService`] (writeback's validated setter in the daemon).

use crate::auth::HostKey;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::model::{CsBatchBody, CsBatchResult, CsBatchView, CsChangeBody, CsSetView, CsView};
use crate::openapi::{E400, E401, E403, E404, E413, E422, E500};
use crate::routes::{WorkspaceQuery, find_account, find_contacts, resolve_workspace};
use crate::services::CsChange;
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use icsync_domain::{CsSubject, Workspace};

/// Items one batch may hold.
const BATCH_MAX: usize = 500;

async fn set_contacts(
    state: &ApiState,
    workspace: &Workspace,
    key: &str,
    change: &CsChange,
) -> ApiResult<Vec<CsView>> {
    let contacts = find_contacts(state, workspace, key).await?;
    let mut stored = Vec::with_capacity(contacts.len());
    for located in &contacts {
        let subject = CsSubject::Contact(located.contact.contact.id.to_string());
        let state = state
            .services()
            .cs_attributes
            .set(workspace, &subject, change)
            .await?;
        stored.push(CsView::from(&state));
    }
    Ok(stored)
}

async fn set_account(
    state: &ApiState,
    workspace: &Workspace,
    key: &str,
    change: &CsChange,
) -> ApiResult<Vec<CsView>> {
    let account = find_account(state, workspace, key).await?;
    let subject = CsSubject::Company(account.company.company.id.to_string());
    let stored = state
        .services()
        .cs_attributes
        .set(workspace, &subject, change)
        .await?;
    Ok(vec![CsView::from(&stored)])
}

/// Set a contact's CS attributes (every Intercom contact of the profile when the key is an
/// email they share). Members left out keep their values; `null` clears one.
#[utoipa::path(put, path = "/v1/contacts/{key}/cs-attributes", operation_id = "set_contact_cs_attributes", tag = "cs-attributes",
    security(("api_key" = [])),
    params(("key" = String, Path, description = "A contact key."), WorkspaceQuery),
    request_body = CsChangeBody,
    responses((status = 200, description = "Stored; a push to Intercom follows when health, stage or pulse changed.", body = CsSetView),
        E400, E401, E403, E404, E422, E500))]
pub(crate) async fn set_contact(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
    ApiJson(body): ApiJson<CsChangeBody>,
) -> ApiResult<Json<CsSetView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let stored = set_contacts(&state, &workspace, &key, &body.into_change()).await?;
    Ok(Json(CsSetView {
        workspace: workspace.name,
        key,
        cs_attributes: stored,
    }))
}

/// Set an account's CS attributes. Members left out keep their values; `null` clears one.
#[utoipa::path(put, path = "/v1/accounts/{key}/cs-attributes", operation_id = "set_account_cs_attributes", tag = "cs-attributes",
    security(("api_key" = [])),
    params(("key" = String, Path, description = "An account key."), WorkspaceQuery),
    request_body = CsChangeBody,
    responses((status = 200, description = "Stored; a push to Intercom follows when health, stage or pulse changed.", body = CsSetView),
        E400, E401, E403, E404, E422, E500))]
pub(crate) async fn set_account_attributes(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
    ApiJson(body): ApiJson<CsChangeBody>,
) -> ApiResult<Json<CsSetView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let stored = set_account(&state, &workspace, &key, &body.into_change()).await?;
    Ok(Json(CsSetView {
        workspace: workspace.name,
        key,
        cs_attributes: stored,
    }))
}

/// Set the CS attributes of up to 500 contacts and accounts. Each item stands alone: a
/// refused one stores nothing and says why, the others are stored.
#[utoipa::path(post, path = "/v1/cs-attributes:batch", operation_id = "set_cs_attributes_batch", tag = "cs-attributes",
    security(("api_key" = [])),
    params(WorkspaceQuery),
    request_body = CsBatchBody,
    responses((status = 200, description = "Every item's outcome, in order.", body = CsBatchView),
        E400, E401, E403, E404, E413, E422, E500))]
pub(crate) async fn batch(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
    ApiJson(body): ApiJson<CsBatchBody>,
) -> ApiResult<Json<CsBatchView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    if body.items.is_empty() {
        return Err(ApiError::validation(
            "items",
            "items is empty: give 1 to 500 changes",
        ));
    }
    if body.items.len() > BATCH_MAX {
        return Err(ApiError::validation(
            "items",
            format!(
                "a batch holds at most {BATCH_MAX} items, not {}; send them in parts",
                body.items.len()
            ),
        ));
    }
    let mut results = Vec::with_capacity(body.items.len());
    for (index, item) in body.items.into_iter().enumerate() {
        let change = item.attributes.into_change();
        let outcome = match (item.contact.as_deref(), item.account.as_deref()) {
            (Some(key), None) => set_contacts(&state, &workspace, key, &change).await,
            (None, Some(key)) => set_account(&state, &workspace, key, &change).await,
            _ => Err(ApiError::validation(
                "contact",
                "give exactly one of contact and account",
            )),
        };
        results.push(match outcome {
            Ok(stored) => CsBatchResult {
                index,
                ok: true,
                cs_attributes: stored,
                error: None,
            },
            Err(error) => {
                let mut detail = error.body().error;
                detail.field = Some(match detail.field {
                    Some(field) => format!("items[{index}].{field}"),
                    None => format!("items[{index}]"),
                });
                CsBatchResult {
                    index,
                    ok: false,
                    cs_attributes: Vec::new(),
                    error: Some(detail),
                }
            }
        });
    }
    let stored = results.iter().filter(|r| r.ok).count();
    Ok(Json(CsBatchView {
        workspace: workspace.name,
        refused: results.len() - stored,
        stored,
        results,
    }))
}
