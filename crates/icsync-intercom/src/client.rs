//! `IntercomClient`: a cheap-to-clone handle on one workspace's connection, pacer and counters, with one
//! sub-client per resource.

use std::sync::Arc;

use crate::config::ClientConfig;
use crate::error::Error;
use crate::pacer::{Pacer, PacerStatus, Priority};
use crate::resources::{Admins, Companies, Contacts, Conversations, DataAttributes, Events, Tags};
use crate::stats::StatsSnapshot;
use crate::transport::Transport;

/// Items per page requested from every paginated endpoint (Intercom's maximum for contacts and conversations).
pub const DEFAULT_PAGE_SIZE: u32 = 150;

/// A typed Intercom REST client for one workspace.
///
/// Cloning is cheap (an `Arc`); clones share the HTTP connection pool, the [`Pacer`] and the counters.
/// Every request is admitted by the pacer at the client's [`Priority`] (default [`Priority::Backfill`]):
/// use [`IntercomClient::with_priority`] for on-view fetches and writeback.
#[derive(Clone, Debug)]
pub struct IntercomClient {
    pub(crate) transport: Arc<Transport>,
    pub(crate) priority: Priority,
    pub(crate) page_size: u32,
}

impl IntercomClient {
    /// A client with its own pacer (built from `config.pacer`).
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let pacer = Pacer::new(config.pacer.clone());
        Self::with_pacer(config, pacer)
    }

    /// A client that shares `pacer` (and so the rate-limit budget, scroll gate and counters) with every
    /// other client of the same workspace.
    pub fn with_pacer(config: ClientConfig, pacer: Pacer) -> Result<Self, Error> {
        if config.intercom_version.trim().is_empty() {
            return Err(Error::Config(
                "intercom_version must not be empty".to_owned(),
            ));
        }
        let transport = Transport::new(&config, pacer)?;
        Ok(IntercomClient {
            transport: Arc::new(transport),
            priority: Priority::Backfill,
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// The same client, admitting its requests at `priority`.
    pub fn with_priority(&self, priority: Priority) -> Self {
        IntercomClient {
            priority,
            ..self.clone()
        }
    }

    /// The same client, asking for `page_size` items per page (1..=150).
    pub fn with_page_size(&self, page_size: u32) -> Self {
        IntercomClient {
            page_size: page_size.clamp(1, 150),
            ..self.clone()
        }
    }

    /// The priority requests are admitted at.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// The workspace's pacer (shared by all clients built with it).
    pub fn pacer(&self) -> &Pacer {
        &self.transport.pacer
    }

    /// The workspace's counters (requests, retries, 429s, pacer wait).
    pub fn stats(&self) -> StatsSnapshot {
        self.transport.pacer.stats()
    }

    /// What the pacer knows about the rate limit right now.
    pub fn pacer_status(&self) -> PacerStatus {
        self.transport.pacer.status()
    }

    /// Contacts (users and leads).
    pub fn contacts(&self) -> Contacts {
        Contacts::new(self.clone())
    }

    /// Companies.
    pub fn companies(&self) -> Companies {
        Companies::new(self.clone())
    }

    /// Data events of one contact.
    pub fn events(&self) -> Events {
        Events::new(self.clone())
    }

    /// Conversations.
    pub fn conversations(&self) -> Conversations {
        Conversations::new(self.clone())
    }

    /// Data attributes (the schema of custom attributes).
    pub fn data_attributes(&self) -> DataAttributes {
        DataAttributes::new(self.clone())
    }

    /// Admins, including `me()` for test-connection.
    pub fn admins(&self) -> Admins {
        Admins::new(self.clone())
    }

    /// Tags.
    pub fn tags(&self) -> Tags {
        Tags::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AccessToken, Region};
    use crate::pacer::PacerConfig;

    #[test]
    fn builds_for_every_region_and_shares_a_pacer_between_clients() {
        for region in [Region::Us, Region::Eu, Region::Au] {
            let client = IntercomClient::new(ClientConfig::new(region, AccessToken::new("t")));
            assert!(client.is_ok(), "{region:?}: {client:?}");
        }
        let pacer = Pacer::new(PacerConfig::default());
        let inbound = IntercomClient::with_pacer(
            ClientConfig::new(Region::Eu, AccessToken::new("t")),
            pacer.clone(),
        );
        let writeback = IntercomClient::with_pacer(
            ClientConfig::new(Region::Eu, AccessToken::new("t")),
            pacer.clone(),
        );
        let (Ok(inbound), Ok(writeback)) = (inbound, writeback) else {
            panic!("clients did not build")
        };
        assert!(inbound.pacer().same_as(writeback.pacer()));
        assert!(
            inbound
                .with_priority(Priority::OnView)
                .pacer()
                .same_as(&pacer)
        );
        assert_eq!(
            inbound.with_priority(Priority::Writeback).priority(),
            Priority::Writeback
        );
        assert_eq!(inbound.priority(), Priority::Backfill);
        assert_eq!(inbound.with_page_size(1000).page_size, 150);
    }

    #[test]
    fn an_empty_version_is_rejected() {
        let config = ClientConfig {
            intercom_version: " ".into(),
            ..ClientConfig::new(Region::Us, AccessToken::new("t"))
        };
        assert!(matches!(IntercomClient::new(config), Err(Error::Config(_))));
    }
}
