//! Account profiles (host): the company, its CS attributes, its contacts, and the last 30
//! days' rollups (from the injected [`crate::Rollups`]).

use crate::auth::HostKey;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::model::{AccountProfileView, CompanyView, ContactSummary, CsView, RollupsView};
use crate::openapi::{E400, E401, E403, E404, E500};
use crate::rollup_inputs::zone_of;
use crate::routes::{find_account, limit, resolve_workspace};
use crate::services::ServiceError;
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use chrono::{Days, NaiveDate, Utc};
use icsync_domain::{CompanyId, CsSubject, Workspace};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AccountQuery {
    /// The workspace, by name; may be left out while only one workspace exists.
    pub workspace: Option<String>,
    /// Contacts to list, 1 to 500 (default 50), most recently seen first.
    #[param(minimum = 1, maximum = 500)]
    pub contacts_limit: Option<u32>,
}

/// Days of rollups a profile shows.
const PROFILE_DAYS: u64 = 30;

/// Today in the workspace's time zone.
pub(crate) fn today(workspace: &Workspace) -> NaiveDate {
    Utc::now().with_timezone(&zone_of(workspace)).date_naive()
}

/// The rollups of `[from, to]`, days outside it left out whatever the service returned.
pub(crate) async fn rollups(
    state: &ApiState,
    workspace: &Workspace,
    account: &CompanyId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<RollupsView, ServiceError> {
    let mut days = state
        .services()
        .rollups
        .daily(workspace, account, from, to)
        .await?;
    days.retain(|d| d.day >= from && d.day <= to && &d.account == account);
    days.sort_by_key(|d| d.day);
    Ok(RollupsView {
        from,
        to,
        timezone: zone_of(workspace).name().to_owned(),
        days,
    })
}

/// An account's profile. The key is `icsync:<id>`, `intercom:<id>`, `company_id:<the
/// workspace's own id>` or a bare Intercom id.
#[utoipa::path(get, path = "/v1/accounts/{key}", operation_id = "get_account_profile", tag = "profiles",
    security(("api_key" = [])),
    params(("key" = String, Path, description = "An account key."), AccountQuery),
    responses((status = 200, description = "The account.", body = AccountProfileView),
        E400, E401, E403, E404, E500))]
pub(crate) async fn profile(
    _host: HostKey,
    State(state): State<ApiState>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): ApiQuery<AccountQuery>,
) -> ApiResult<Json<AccountProfileView>> {
    account_profile(
        &state,
        query.workspace.as_deref(),
        key,
        query.contacts_limit,
    )
    .await
    .map(Json)
}

/// What `GET /v1/accounts/{key}` answers, without HTTP (the console's account page).
pub async fn account_profile(
    state: &ApiState,
    workspace: Option<&str>,
    key: String,
    contacts_limit: Option<u32>,
) -> ApiResult<AccountProfileView> {
    let workspace = resolve_workspace(state, workspace).await?;
    let contacts_limit = limit(contacts_limit, "contacts_limit", 50, 500)?;
    let account = find_account(state, &workspace, &key).await?;
    let company_id = account.company.company.id.clone();
    let cs_attributes = state
        .services()
        .cs_attributes
        .get(&workspace, &CsSubject::Company(company_id.to_string()))
        .await?
        .as_ref()
        .map(CsView::from);
    let (contacts, contacts_total) = state
        .store()
        .company_contacts(workspace.id, &company_id, contacts_limit)
        .await?;
    let to = today(&workspace);
    let from = to
        .checked_sub_days(Days::new(PROFILE_DAYS - 1))
        .unwrap_or(to);
    let (rollups, rollups_error) = match rollups(state, &workspace, &company_id, from, to).await {
        Ok(view) => (Some(view), None),
        Err(error) => {
            let message = match &error {
                ServiceError::Internal(_) => {
                    tracing::error!(workspace = %workspace.name, error = %error, "account rollups failed");
                    "the rollups could not be computed; see the daemon's log".to_owned()
                }
                other => other.to_string(),
            };
            (None, Some(message))
        }
    };
    Ok(AccountProfileView {
        workspace: workspace.name.clone(),
        key,
        account: CompanyView::from(&account),
        cs_attributes,
        contacts: contacts.iter().map(ContactSummary::from).collect(),
        contacts_total,
        rollups,
        rollups_error,
    })
}
