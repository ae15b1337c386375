//! The pages, one module per page, and what they share: `/` (straight to the caller's home),
//! the form extractor, links, and how attribute maps and CS attributes are listed.

pub(crate) mod account;
pub(crate) mod connect;
pub(crate) mod contact;
pub(crate) mod disconnect;
pub(crate) mod export;
pub(crate) mod search;
pub(crate) mod settings;
pub(crate) mod status;
pub(crate) mod workspaces;

use crate::error::ConsoleError;
use crate::format;
use crate::session::{Signed, home_of};
use axum::extract::{FromRequest, Request};
use axum::response::Redirect;
use icsync_api::ApiError;
use icsync_api::model::CsView;
use maud::{Markup, html};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// `GET /`: the caller's home (workspaces for admins, search for host keys), or sign-in.
pub(crate) async fn home(Signed(session): Signed) -> Redirect {
    Redirect::to(&home_of(&session))
}

/// A submitted form; one that cannot be read is a console error page, not a bare 4xx.
#[derive(Debug)]
pub(crate) struct FormData<T>(pub T);

impl<S, T> FromRequest<S> for FormData<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ConsoleError> {
        axum::Form::<T>::from_request(request, state)
            .await
            .map(|axum::Form(value)| FormData(value))
            .map_err(|rejection| {
                ConsoleError::Api(ApiError::InvalidBody {
                    field: None,
                    message: format!(
                        "the form could not be read ({}); reload the page and send it again",
                        rejection.body_text()
                    ),
                })
            })
    }
}

/// A workspace's settings page.
pub(crate) fn workspace_url(name: &str) -> String {
    format!("/workspaces/{}", format::path_segment(name))
}

/// A workspace's status page.
pub(crate) fn status_url(name: &str) -> String {
    format!("{}/status", workspace_url(name))
}

/// A JSON value as a person reads it: strings bare, the rest as compact JSON.
pub(crate) fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

/// A map of attributes as a description list (or a line saying there are none).
pub(crate) fn attribute_list(map: &Map<String, Value>, none: &str) -> Markup {
    html! {
        @if map.is_empty() {
            p.muted { (none) }
        } @else {
            dl.attributes {
                @for (key, value) in map {
                    dt { (key) }
                    dd { (json_text(value)) }
                }
            }
        }
    }
}

/// One row of a description list, or nothing when the value is missing.
pub(crate) fn row(label: &str, value: Option<impl maud::Render>) -> Markup {
    html! {
        @if let Some(value) = value {
            dt { (label) }
            dd { (value) }
        }
    }
}

/// The CS attributes the host set, with where their writeback stands.
pub(crate) fn cs_section(cs: Option<&CsView>) -> Markup {
    html! {
        section aria-labelledby="cs-heading" {
            h2 id="cs-heading" { "CS attributes" }
            @match cs {
                None => p.muted { "The host app has not set CS attributes here yet." },
                Some(cs) => {
                    @let v = &cs.attributes;
                    dl.attributes {
                        (row("Health", v.health.as_ref().map(format::decimal)))
                        (row("Stage", v.stage.as_deref()))
                        (row("Pulse", v.pulse.as_deref()))
                        (row("Licence utilization", v.licence_utilization.as_ref().map(|d| format!("{} %", format::decimal(d)))))
                        (row("CS owner", v.cs_owner.as_deref()))
                        (row("CS owner email", v.cs_owner_email.as_deref()))
                        (row("Profile URL", v.profile_url.as_deref()))
                        dt { "Writeback" }
                        dd {
                            @if cs.push.needs_push {
                                "Waiting to be pushed to Intercom"
                            } @else if let Some(at) = cs.push.pushed_at {
                                "Pushed to Intercom " (format::when(at))
                            } @else {
                                "Not pushed (Intercom is not this workspace's primary data source, or writeback is off)"
                            }
                            @if let Some(error) = &cs.push.last_error {
                                br;
                                span.error { "Last push failed: " (error) }
                            }
                        }
                    }
                }
            }
        }
    }
}
