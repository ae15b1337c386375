//! Export of host records to Intercom: the admin sets a workspace's export (modes, property
//! mapping); the host puts and removes records (one at a time or in batches), asks which
//! versions icsync holds, and reads the export's status. Writes are validated here (the
//! domain's checks: required fields of the creation mode, mapped and well-typed properties)
//! and stored; the export loop (writeback) sends them to Intercom.

use crate::auth::{AdminKey, HostKey};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, check_text};
use crate::model::{
    ExportBatchBody, ExportBatchView, ExportItemView, ExportRecordView, ExportSettingsBody,
    ExportSettingsView, ExportStatusView, ExportVersionView, ExportVersionsBody,
    ExportVersionsView, ProblemView, RecordBody,
};
use crate::openapi::{E400, E401, E403, E404, E409, E413, E422, E500};
use crate::routes::{WorkspaceQuery, resolve_workspace, workspace_named};
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use icsync_domain::{ExportSettings, HostRecord, RecordProblem, Workspace};
use icsync_store::{Store, StoreError};

/// Items one batch may hold (puts and removals together).
const BATCH_MAX: usize = 500;
/// Host ids one versions call may ask for.
const VERSIONS_MAX: usize = 1000;
const HOST_ID_MAX: usize = 255;

async fn export_settings(state: &ApiState, workspace: &Workspace) -> ApiResult<ExportSettings> {
    state
        .store()
        .export_state(workspace.id)
        .await?
        .map(|s| s.settings)
        .ok_or_else(|| ApiError::ExportNotConfigured(workspace.name.clone()))
}

fn refused(problems: &[RecordProblem]) -> ApiError {
    let field = problems
        .first()
        .map_or_else(|| "record".to_owned(), |p| p.field.clone());
    let message = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::validation(field, message)
}

/// A workspace's export settings and status.
#[utoipa::path(get, path = "/v1/workspaces/{name}/export", operation_id = "get_workspace_export", tag = "workspaces",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "The workspace's name.")),
    responses((status = 200, description = "The export's settings (null before they are set) and figures.", body = ExportStatusView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn get_settings(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<ExportStatusView>> {
    let workspace = workspace_named(&state, &name).await?;
    status_view(&state, &workspace).await.map(Json)
}

/// Set a workspace's export: sync, creation and removal modes and the property mapping. A
/// change of modes or mapping exports every record again under the new settings.
#[utoipa::path(put, path = "/v1/workspaces/{name}/export", operation_id = "set_workspace_export", tag = "workspaces",
    security(("api_key" = [])),
    params(("name" = String, Path, description = "The workspace's name.")),
    request_body = ExportSettingsBody,
    responses((status = 200, description = "Stored.", body = ExportSettingsView),
        E400, E401, E403, E404, E422, E500))]
pub(crate) async fn set_settings(
    _admin: AdminKey,
    State(state): State<ApiState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<ExportSettingsBody>,
) -> ApiResult<Json<ExportSettingsView>> {
    let workspace = workspace_named(&state, &name).await?;
    let mut settings = body
        .into_settings()
        .map_err(|(field, message)| ApiError::validation(field, message))?;
    let problems = settings.problems();
    if !problems.is_empty() {
        return Err(refused(&problems));
    }
    for m in &mut settings.mapping {
        if let icsync_domain::AttributeTarget::Data { name, .. } = &mut m.target {
            *name = name.trim().to_owned();
        }
    }
    let (saved, requeued) = state
        .store()
        .save_export_settings(workspace.id, &settings, chrono::Utc::now())
        .await?;
    state.wake_export();
    Ok(Json(ExportSettingsView {
        workspace: workspace.name,
        settings: ExportSettingsBody::from_settings(&saved.settings),
        requeued,
    }))
}

/// Put a record's desired state. Nothing is stored when it is invalid (every problem named);
/// storing what is stored already changes nothing.
#[utoipa::path(put, path = "/v1/export/records/{host_id}", operation_id = "put_export_record", tag = "export",
    security(("api_key" = [])),
    params(("host_id" = String, Path, description = "The record's id in the host."), WorkspaceQuery),
    request_body = RecordBody,
    responses((status = 200, description = "Stored; an export to Intercom follows when it changed.", body = ExportRecordView),
        E400, E401, E403, E404, E409, E422, E500))]
pub(crate) async fn put_record(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(host_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
    ApiJson(body): ApiJson<RecordBody>,
) -> ApiResult<Json<ExportRecordView>> {
    check_text("host_id", &host_id, HOST_ID_MAX)?;
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let settings = export_settings(&state, &workspace).await?;
    let record = body.into_record(host_id).normalized();
    let problems = record.problems(&settings);
    if !problems.is_empty() {
        return Err(refused(&problems));
    }
    let write = state
        .store()
        .put_export_record(workspace.id, &record, chrono::Utc::now())
        .await?;
    if write.record.needs_push {
        state.wake_export();
    }
    Ok(Json(ExportRecordView::from(&write.record)))
}

/// A record as icsync holds it, with where its export stands.
#[utoipa::path(get, path = "/v1/export/records/{host_id}", operation_id = "get_export_record", tag = "export",
    security(("api_key" = [])),
    params(("host_id" = String, Path, description = "The record's id in the host."), WorkspaceQuery),
    responses((status = 200, description = "The record.", body = ExportRecordView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn get_record(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(host_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
) -> ApiResult<Json<ExportRecordView>> {
    check_text("host_id", &host_id, HOST_ID_MAX)?;
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let record = state
        .store()
        .export_record(workspace.id, host_id.trim())
        .await?
        .ok_or(ApiError::ExportRecordNotFound(host_id))?;
    Ok(Json(ExportRecordView::from(&record)))
}

/// Remove a record: what happens to its Intercom contact follows the sync mode (`sync`
/// archives or deletes it, `additive` and `enrich` leave it).
#[utoipa::path(delete, path = "/v1/export/records/{host_id}", operation_id = "remove_export_record", tag = "export",
    security(("api_key" = [])),
    params(("host_id" = String, Path, description = "The record's id in the host."), WorkspaceQuery),
    responses((status = 200, description = "Marked removed; the removal in Intercom follows.", body = ExportRecordView),
        E400, E401, E403, E404, E409, E500))]
pub(crate) async fn remove_record(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(host_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
) -> ApiResult<Json<ExportRecordView>> {
    check_text("host_id", &host_id, HOST_ID_MAX)?;
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    export_settings(&state, &workspace).await?;
    let write = state
        .store()
        .remove_export_record(workspace.id, host_id.trim(), chrono::Utc::now())
        .await?
        .ok_or(ApiError::ExportRecordNotFound(host_id))?;
    if write.record.needs_push {
        state.wake_export();
    }
    Ok(Json(ExportRecordView::from(&write.record)))
}

fn item(host_id: String, result: &str, version: Option<i64>, pending: bool) -> ExportItemView {
    ExportItemView {
        host_id,
        result: result.to_owned(),
        version,
        pending,
        problems: Vec::new(),
    }
}

/// Put and remove up to 500 records. Each item stands alone: a refused one stores nothing and
/// says why; the others are stored.
#[utoipa::path(post, path = "/v1/export/records:batch", operation_id = "export_records_batch", tag = "export",
    security(("api_key" = [])),
    params(WorkspaceQuery),
    request_body = ExportBatchBody,
    responses((status = 200, description = "Every item's outcome: puts, then removals, in order.", body = ExportBatchView),
        E400, E401, E403, E404, E409, E413, E422, E500))]
pub(crate) async fn batch(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
    ApiJson(body): ApiJson<ExportBatchBody>,
) -> ApiResult<Json<ExportBatchView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    let total = body.put.len() + body.remove.len();
    if total == 0 {
        return Err(ApiError::validation(
            "put",
            "the batch is empty: give 1 to 500 puts and removals",
        ));
    }
    if total > BATCH_MAX {
        return Err(ApiError::validation(
            "put",
            format!(
                "a batch holds at most {BATCH_MAX} puts and removals, not {total}; send them in parts"
            ),
        ));
    }
    let settings = export_settings(&state, &workspace).await?;
    let store = state.store();
    let now = chrono::Utc::now();
    let mut items = Vec::with_capacity(total);
    let mut seen = std::collections::HashSet::new();
    for put in body.put {
        let record: HostRecord = put.into_record().normalized();
        let mut problems = record.problems(&settings);
        if !seen.insert(record.host_id.clone()) {
            problems.push(RecordProblem::new(
                "host_id",
                "given twice in this batch; send each record once",
            ));
        }
        if !problems.is_empty() {
            items.push(ExportItemView {
                problems: problems.iter().map(ProblemView::from).collect(),
                ..item(record.host_id, "invalid", None, false)
            });
            continue;
        }
        let write = store.put_export_record(workspace.id, &record, now).await?;
        let result = if write.changed { "stored" } else { "unchanged" };
        items.push(item(
            record.host_id,
            result,
            Some(write.record.version),
            write.record.needs_push,
        ));
    }
    for host_id in body.remove {
        let host_id = host_id.trim().to_owned();
        if host_id.is_empty() || host_id.chars().count() > HOST_ID_MAX {
            items.push(ExportItemView {
                problems: vec![ProblemView {
                    field: "remove".into(),
                    message: "a host id is 1 to 255 characters".into(),
                }],
                ..item(host_id, "invalid", None, false)
            });
            continue;
        }
        let view = match store
            .remove_export_record(workspace.id, &host_id, now)
            .await?
        {
            None => item(host_id, "unknown", None, false),
            Some(write) => item(
                host_id,
                if write.changed { "stored" } else { "unchanged" },
                Some(write.record.version),
                write.record.needs_push,
            ),
        };
        items.push(view);
    }
    state.wake_export();
    let count = |result: &str| items.iter().filter(|i| i.result == result).count();
    Ok(Json(ExportBatchView {
        workspace: workspace.name,
        stored: count("stored"),
        unchanged: count("unchanged"),
        refused: count("invalid") + count("unknown"),
        items,
    }))
}

/// The versions icsync holds for these host ids (unknown ones are left out), so a host can
/// send only what changed.
#[utoipa::path(post, path = "/v1/export/records:versions", operation_id = "export_record_versions", tag = "export",
    security(("api_key" = [])),
    params(WorkspaceQuery),
    request_body = ExportVersionsBody,
    responses((status = 200, description = "The known host ids with their versions, sorted.", body = ExportVersionsView),
        E400, E401, E403, E404, E413, E422, E500))]
pub(crate) async fn versions(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
    ApiJson(body): ApiJson<ExportVersionsBody>,
) -> ApiResult<Json<ExportVersionsView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    if body.host_ids.len() > VERSIONS_MAX {
        return Err(ApiError::validation(
            "host_ids",
            format!(
                "ask for at most {VERSIONS_MAX} host ids at once, not {}",
                body.host_ids.len()
            ),
        ));
    }
    let ids: Vec<String> = body.host_ids.iter().map(|h| h.trim().to_owned()).collect();
    let versions = state.store().export_versions(workspace.id, &ids).await?;
    Ok(Json(ExportVersionsView {
        workspace: workspace.name,
        versions: versions.into_iter().map(ExportVersionView::from).collect(),
    }))
}

/// The export's status: pending, exported, failed (with reasons), removed, rejected, skipped.
#[utoipa::path(get, path = "/v1/export/status", operation_id = "get_export_status", tag = "export",
    security(("api_key" = [])),
    params(WorkspaceQuery),
    responses((status = 200, description = "The export's settings and figures.", body = ExportStatusView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn status(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<WorkspaceQuery>,
) -> ApiResult<Json<ExportStatusView>> {
    let workspace = resolve_workspace(&state, query.workspace.as_deref()).await?;
    status_view(&state, &workspace).await.map(Json)
}

async fn status_view(state: &ApiState, workspace: &Workspace) -> ApiResult<ExportStatusView> {
    Ok(export_status(state.store(), workspace).await?)
}

/// Failing, rejected and skipped records a status lists.
const FAILURES_SHOWN: u64 = 50;

/// A workspace's export status as `GET /v1/export/status` answers it: settings, figures and up
/// to 50 records that are not in Intercom as the host wants, with their reasons. The console,
/// `icsync export status` and `/metrics` read it here too, so they all count alike.
pub async fn export_status(
    store: &Store,
    workspace: &Workspace,
) -> Result<ExportStatusView, StoreError> {
    let export = store.export_state(workspace.id).await?;
    let counts = store
        .export_counts(workspace.id, chrono::Utc::now(), FAILURES_SHOWN)
        .await?;
    Ok(ExportStatusView::new(workspace, export.as_ref(), counts))
}
