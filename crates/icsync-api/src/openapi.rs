//! The OpenAPI 3.1 document: the base (info, security scheme, shared schemas) and the error
//! responses every operation lists. The operations come from the handlers' `#[utoipa::path]`
//! annotations as the router is built, so the document cannot drift from the routes.

use crate::error::ErrorBody;
use std::collections::BTreeMap;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The security scheme's name in the document.
pub(crate) const API_KEY: &str = "api_key";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "icsync API",
        version = "1",
        description = "icsync keeps a customer-success platform and Intercom in step. This API \
                       serves the host app (profiles, feeds, CS attributes; a `host` key) and \
                       admins (workspaces and status; an `admin` key). Send the key as \
                       `Authorization: Bearer <key>`. Errors are `{\"error\": {\"code\", \
                       \"message\", \"field\"}}` with the stable codes of docs/API.md."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "workspaces", description = "Connect, configure and disconnect Intercom workspaces (admin)."),
        (name = "status", description = "Sync and writeback status (admin)."),
        (name = "profiles", description = "Contact and account profiles (host)."),
        (name = "feeds", description = "Events, sessions and rollups after a cursor (host)."),
        (name = "cs-attributes", description = "CS attributes the host sets, pushed to Intercom (host)."),
        (name = "export", description = "Host records exported to Intercom contacts: settings (admin), records and status (host)."),
        (name = "service", description = "Health, readiness, metrics and this document.")
    )
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("icsync API key")
                    .description(Some(
                        "An icsync API key (`icsync apikey create --scope admin|host`).",
                    ))
                    .build(),
            ),
        );
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

macro_rules! error_responses {
    ($($name:ident => $status:literal, $description:literal;)*) => {
        $(
            #[doc = $description]
            pub(crate) struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([($status.to_owned(), error_response($description))])
                }
            }
        )*
    };
}

error_responses! {
    E400 => "400", "Invalid parameter or body (`invalid_parameter`, `invalid_body`, `workspace_required`, `confirmation_required`); `error.field` names it.";
    E401 => "401", "No API key, or one icsync does not know (`unauthorized`).";
    E403 => "403", "The key's scope does not cover this endpoint (`forbidden`).";
    E404 => "404", "No such workspace, contact, account or conversation (`*_not_found`).";
    E409 => "409", "The request conflicts with the workspace's state (`workspace_connected`, `workspace_conflict`, `workspace_not_syncable`, `oauth_not_configured`, `export_not_configured`).";
    E413 => "413", "The body is too large (`payload_too_large`).";
    E422 => "422", "A value icsync refuses (`validation_failed`, `intercom_token_refused`, `intercom_unreachable`, `oauth_code_refused`); `error.field` names it when it is one member.";
    E500 => "500", "icsync failed (`internal_error`); the log has the cause under the request id.";
    E502 => "502", "Intercom failed and retries did not help (`intercom_unavailable`).";
    E503 => "503", "icsync cannot serve now (`unavailable`).";
}
