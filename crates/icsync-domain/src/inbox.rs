//! "Reply on Intercom": the address of a conversation in the Intercom inbox, by region.
//!
//! The inbox lives on the web app's host, which follows the workspace's data-hosting region
//! (`app.intercom.com`, `app.eu.intercom.com`, `app.au.intercom.com`), never on the API host
//! (`api.*.intercom.io`) nor on a base-URL override (the simulator, a proxy). The path is
//! `/a/inbox/{app_id}/inbox/conversation/{conversation_id}`; without a known app id, `_`
//! stands for "the workspace the admin is signed in to", which the inbox resolves itself.

use crate::{ConversationId, Region};

/// The Intercom web app's origin for a region.
pub fn intercom_app_origin(region: Region) -> &'static str {
    match region {
        Region::Us => "https://app.intercom.com",
        Region::Eu => "https://app.eu.intercom.com",
        Region::Au => "https://app.au.intercom.com",
    }
}

/// The inbox URL that opens `conversation` in the workspace `app_id` (`app.id_code`, e.g.
/// `ecahpwf5`) hosted in `region`.
pub fn conversation_inbox_url(
    region: Region,
    app_id: Option<&str>,
    conversation: &ConversationId,
) -> String {
    let app = app_id
        .map(str::trim)
        .filter(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("_");
    let id: String = conversation
        .as_str()
        .trim()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!(
        "{}/a/inbox/{app}/inbox/conversation/{id}",
        intercom_app_origin(region)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_region_opens_its_own_web_app() {
        let id = ConversationId::new("200963802864963");
        assert_eq!(
            conversation_inbox_url(Region::Us, Some("ecahpwf5"), &id),
            "https://app.intercom.com/a/inbox/ecahpwf5/inbox/conversation/200963802864963"
        );
        assert_eq!(
            conversation_inbox_url(Region::Eu, Some("ecahpwf5"), &id),
            "https://app.eu.intercom.com/a/inbox/ecahpwf5/inbox/conversation/200963802864963"
        );
        assert_eq!(
            conversation_inbox_url(Region::Au, Some("ecahpwf5"), &id),
            "https://app.au.intercom.com/a/inbox/ecahpwf5/inbox/conversation/200963802864963"
        );
    }

    #[test]
    fn an_unknown_or_odd_app_id_falls_back_to_the_signed_in_workspace() {
        let id = ConversationId::new("335");
        assert_eq!(
            conversation_inbox_url(Region::Us, None, &id),
            "https://app.intercom.com/a/inbox/_/inbox/conversation/335"
        );
        assert_eq!(
            conversation_inbox_url(Region::Us, Some("../evil"), &id),
            "https://app.intercom.com/a/inbox/_/inbox/conversation/335"
        );
        let odd = ConversationId::new("33/5?x");
        assert!(
            conversation_inbox_url(Region::Us, Some("abc"), &odd).ends_with("/conversation/335x")
        );
    }
}
