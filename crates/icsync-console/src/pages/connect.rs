//! `GET|POST /connect` (admin): connect an Intercom workspace with an access token. "Test
//! connection" asks Intercom who the token belongs to (workspace name, region, admin) and stores
//! nothing; "Connect" tests again, stores the token encrypted and starts the backfill. The
//! console's script sends "Test connection" in the background so the token stays in its field;
//! without scripts the page comes back with the answer (and the token must be typed again).
//!
//! **Invariant**: the token and webhook secret are never written back into the page.

use crate::ConsoleState;
use crate::error::{ConsoleError, ConsoleResult, api_words};
use crate::layout::{self, Section};
use crate::pages::{FormData, status_url};
use crate::session::{Admin, FRAGMENT_HEADER, Session};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use icsync_api::model::{ApiRegion, ConnectBody, IdentityView, SettingsBody, TestConnectionBody};
use icsync_api::{ApiError, ops};
use maud::{Markup, html};
use serde::Deserialize;

/// What the connect form sends (every member optional: a missing one is a clear error).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct ConnectForm {
    csrf: Option<String>,
    action: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    webhook_secret: String,
    #[serde(default)]
    backfill_days: String,
    user_tracking: Option<String>,
    primary_source: Option<String>,
    writeback: Option<String>,
    include_leads: Option<String>,
}

impl ConnectForm {
    /// What a fresh form shows.
    fn fresh() -> Self {
        ConnectForm {
            region: "us".into(),
            backfill_days: "60".into(),
            user_tracking: Some("on".into()),
            ..ConnectForm::default()
        }
    }

    fn region(&self) -> Result<ApiRegion, ApiError> {
        match self.region.trim() {
            "" | "us" => Ok(ApiRegion::Us),
            "eu" => Ok(ApiRegion::Eu),
            "au" => Ok(ApiRegion::Au),
            other => Err(ApiError::validation(
                "region",
                format!("{other:?} is not a region: choose US, Europe or Australia"),
            )),
        }
    }

    fn base_url(&self) -> Option<String> {
        Some(self.base_url.trim().to_owned()).filter(|u| !u.is_empty())
    }

    fn backfill_days(&self) -> Result<Option<i32>, ApiError> {
        let text = self.backfill_days.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<i32>().map(Some).map_err(|_| {
            ApiError::validation(
                "backfill_days",
                format!("backfill days must be a whole number of days, not {text:?}"),
            )
        })
    }
}

/// An error as the form shows it: the message, and the field to mark.
struct FormError {
    message: String,
    field: Option<String>,
}

impl From<ApiError> for FormError {
    fn from(error: ApiError) -> Self {
        let field = error
            .field()
            .map(|f| f.trim_start_matches("settings.").to_owned());
        FormError {
            message: api_words(&error),
            field,
        }
    }
}

/// `?name=` prefills the name (the Reconnect link of a workspace).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConnectQuery {
    name: Option<String>,
}

pub(crate) async fn form(Admin(session): Admin, Query(query): Query<ConnectQuery>) -> Markup {
    let mut form = ConnectForm::fresh();
    if let Some(name) = query.name {
        form.name = name;
    }
    page(&session, &form, None, None)
}

pub(crate) async fn submit(
    Admin(session): Admin,
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    FormData(form): FormData<ConnectForm>,
) -> ConsoleResult<Response> {
    session.check_form(form.csrf.as_deref())?;
    let fragment = headers.contains_key(FRAGMENT_HEADER);
    match form.action.as_deref() {
        Some("test") => {
            let outcome = test(&state, &form).await;
            if fragment {
                return Ok(test_result(&outcome).into_response());
            }
            let (identity, error) = match outcome {
                Ok(identity) => (Some(identity), None),
                Err(error) => (None, Some(error)),
            };
            Ok(page(&session, &form, identity.as_ref(), error.as_ref()).into_response())
        }
        Some("connect") => match connect(&state, &form).await {
            Ok(name) => Ok(
                Redirect::to(&format!("{}?notice=connected", status_url(&name))).into_response(),
            ),
            // The form again with what to fix is a page like any other: 200 (browsers log
            // every 4xx page as an error, and nothing failed on icsync's side).
            Err(error) => Ok(page(&session, &form, None, Some(&error)).into_response()),
        },
        _ => Err(ConsoleError::Api(ApiError::validation(
            "action",
            "press Test connection or Connect",
        ))),
    }
}

async fn test(state: &ConsoleState, form: &ConnectForm) -> Result<IdentityView, FormError> {
    let body = TestConnectionBody {
        token: form.token.clone(),
        region: Some(form.region()?),
        base_url: form.base_url(),
    };
    if form.token.trim().is_empty() {
        return Err(
            ApiError::validation("token", "paste the workspace's Intercom access token").into(),
        );
    }
    Ok(ops::test_token(state.api(), body).await?)
}

/// Connects; the workspace's name on success.
async fn connect(state: &ConsoleState, form: &ConnectForm) -> Result<String, FormError> {
    if form.name.trim().is_empty() {
        return Err(ApiError::validation(
            "name",
            "give the workspace a name (how icsync will call it)",
        )
        .into());
    }
    if form.token.trim().is_empty() {
        return Err(
            ApiError::validation("token", "paste the workspace's Intercom access token").into(),
        );
    }
    let webhook_secret = Some(form.webhook_secret.trim().to_owned()).filter(|s| !s.is_empty());
    let body = ConnectBody {
        name: form.name.trim().to_owned(),
        token: form.token.clone(),
        region: Some(form.region()?),
        base_url: form.base_url(),
        webhook_secret,
        settings: Some(SettingsBody {
            user_tracking: Some(form.user_tracking.is_some()),
            primary_source_is_intercom: Some(form.primary_source.is_some()),
            writeback_enabled: Some(form.writeback.is_some()),
            backfill_days: form.backfill_days()?,
            include_leads: Some(form.include_leads.is_some()),
        }),
    };
    let connected = ops::connect_with_token(state.api(), body).await?;
    Ok(connected.workspace.name)
}

/// The answer to "Test connection", as a fragment the script puts in place.
fn test_result(outcome: &Result<IdentityView, FormError>) -> Markup {
    html! {
        @match outcome {
            Ok(identity) => {
                div.ok {
                    p { strong { "The token works." } " Intercom says it belongs to:" }
                    dl.attributes {
                        dt { "Intercom workspace" }
                        dd { (identity.name.as_deref().unwrap_or("(no name)")) @if let Some(app) = &identity.app_id { " (app " (app) ")" } }
                        dt { "Region" }
                        dd { (identity.region.as_deref().unwrap_or("(not said)")) }
                        @if let Some(zone) = &identity.timezone { dt { "Time zone" } dd { (zone) } }
                        dt { "Admin" }
                        dd {
                            (identity.admin.name.as_deref().unwrap_or("(no name)"))
                            @if let Some(email) = &identity.admin.email { " <" (email) ">" }
                        }
                    }
                    p { "Nothing is stored yet: press Connect to save it and start the backfill." }
                }
            }
            Err(error) => {
                div.error role="alert" {
                    p { strong { "The connection test failed." } " " (error.message) }
                }
            }
        }
    }
}

fn page(
    session: &Session,
    form: &ConnectForm,
    identity: Option<&IdentityView>,
    error: Option<&FormError>,
) -> Markup {
    let invalid = |field: &str| {
        error
            .and_then(|e| e.field.as_deref())
            .filter(|f| *f == field)
            .map(|_| "true")
    };
    let region = form.region.trim();
    let body = html! {
        h1 { "Connect an Intercom workspace" }
        p {
            "icsync reads Intercom with an access token (Intercom's Developer Hub: your app → Authentication). "
            "It is stored encrypted and never shown again."
        }
        form.stack id="connect-form" method="post" action="/connect" {
            (session.form_field())
            @if let Some(error) = error {
                div.error role="alert" id="form-error" {
                    p { strong { "Not connected." } " " (error.message) }
                }
            }
            label for="name" { "Name" }
            p.help id="name-help" { "How icsync calls this workspace (1 to 100 characters). Connecting a name again replaces its token." }
            input id="name" name="name" type="text" required maxlength="100" value=(form.name)
                aria-describedby="name-help" aria-invalid=[invalid("name")];

            label for="token" { "Access token" }
            p.help id="token-help" { "Pasted, never shown again. A wrong or revoked token is refused before anything is stored." }
            input id="token" name="token" type="password" autocomplete="off" spellcheck="false"
                aria-describedby="token-help" aria-invalid=[invalid("token")];

            label for="region" { "Region" }
            select id="region" name="region" aria-invalid=[invalid("region")] {
                option value="us" selected[region == "us" || region.is_empty()] { "US (api.intercom.io)" }
                option value="eu" selected[region == "eu"] { "Europe (api.eu.intercom.io)" }
                option value="au" selected[region == "au"] { "Australia (api.au.intercom.io)" }
            }

            label for="base_url" { "Base URL (optional)" }
            p.help id="base-url-help" { "Only for a proxy or a test server: replaces the region's API host." }
            input id="base_url" name="base_url" type="url" value=(form.base_url)
                aria-describedby="base-url-help" aria-invalid=[invalid("base_url")];

            label for="webhook_secret" { "Webhook client secret (optional)" }
            p.help id="webhook-help" { "Your Intercom app's client secret, to verify webhook notifications. Never shown again." }
            input id="webhook_secret" name="webhook_secret" type="password" autocomplete="off"
                aria-describedby="webhook-help" aria-invalid=[invalid("webhook_secret")];

            label for="backfill_days" { "Backfill days" }
            p.help id="backfill-help" { "The first import takes the users created in this many days (1 to 3650)." }
            input id="backfill_days" name="backfill_days" type="number" min="1" max="3650" value=(form.backfill_days)
                aria-describedby="backfill-help" aria-invalid=[invalid("backfill_days")];

            fieldset {
                legend { "Settings" }
                (switch("user_tracking", "User Tracking", form.user_tracking.is_some(),
                    "Import users and their companies and events now and every few minutes."))
                (switch("primary_source", "Intercom is the primary data source", form.primary_source.is_some(),
                    "Only then may icsync write CS attributes back to Intercom."))
                (switch("writeback", "Writeback", form.writeback.is_some(),
                    "Push CS attributes to Intercom contacts and companies when they change."))
                (switch("include_leads", "Include leads", form.include_leads.is_some(),
                    "Import leads (visitors who gave an email) as well as users."))
            }

            div.buttons {
                button type="submit" name="action" value="test" { "Test connection" }
                button.primary type="submit" name="action" value="connect" { "Connect" }
            }
            div id="test-result" role="status" aria-live="polite" {
                @if let Some(identity) = identity { (test_result(&Ok(identity.clone()))) }
            }
        }
    };
    layout::page("Connect a workspace", session, Section::Workspaces, body)
}

/// A checkbox shown as a switch, with its one-line explanation.
pub(crate) fn switch(name: &str, label: &str, on: bool, help: &str) -> Markup {
    let help_id = format!("{name}-help");
    html! {
        div.switch {
            input id=(name) name=(name) type="checkbox" role="switch" checked[on] aria-describedby=(help_id);
            label for=(name) { (label) }
            p.help id=(help_id) { (help) }
        }
    }
}
