//! Names for contact tags. Intercom lists a contact's tags inline by id only (`{type, id,
//! url}`), so a run keeps one id -> name map and fills names in page by page:
//!
//! 1. from the map (what this run already learnt);
//! 2. else from what the store knows ([`Store::known_tag_names`]: the same contacts' stored
//!    tags, named by an earlier import, and the export's tags), which costs no request, so a
//!    pass re-reading unchanged contacts asks Intercom nothing;
//! 3. else from the workspace's tag list (`GET /tags`, one request, not paginated): the first
//!    time in the run an id is unknown, and once more when an id that list did not hold
//!    shows up later (a tag created during the run). So a run costs at most two `GET /tags`,
//!    never one per contact or per page; an id still unknown stays without a name.
//!
//! A backfill lists the tags before its first page ([`TagNames::preload`]): it reads every
//! user of the window, so it would list them anyway, and its pages then need nothing more.
//!
//! A list that fails like any request may (5xx, 429, timeouts, a refused token) fails the
//! page, which the next run reads again: the store never keeps a page named differently from
//! an uninterrupted run. A list Intercom refuses for good (403, say, a token without access to
//! tags) leaves the names out for the rest of the run, logged and counted
//! (`tag_list_failed`): every run would store the same.
//!
//! [`Store::known_tag_names`]: icsync_store::Store::known_tag_names

use crate::convert::contact::{name_tags, tag_names, unnamed_tag_ids};
use crate::error::Result;
use crate::report::StreamReport;
use crate::streams::Ctx;
use icsync_domain::{Contact, ContactId};
use icsync_intercom::{Error as ClientError, IntercomClient};
use std::collections::{BTreeSet, HashMap, HashSet};
use tokio::sync::Mutex;

/// `GET /tags` a run makes at most: the first list and one refresh.
const MAX_LISTS: u32 = 2;

/// One run's tag names; the parts of a pass share it (a list in flight is waited for, not
/// repeated).
#[derive(Debug, Default)]
pub(crate) struct TagNames {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    names: HashMap<String, String>,
    /// `GET /tags` made this run.
    lists: u32,
    /// Ids the latest list did not hold: they do not justify another list.
    not_listed: HashSet<String>,
    /// The list failed this run: no further attempt until the next run.
    failed: bool,
}

/// What naming a page's contacts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Named {
    /// `GET /tags` requests made for this page.
    pub lists: u32,
    /// Tags left without a name.
    pub unnamed: usize,
}

impl TagNames {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Lists the workspace's tags now, unless this run did already.
    pub(crate) async fn preload(&self, ctx: Ctx<'_>, report: &mut StreamReport) -> Result<()> {
        let mut state = self.state.lock().await;
        if state.lists > 0 || state.failed {
            return Ok(());
        }
        state.lists += 1;
        report.add("tag_lists", 1);
        match state.list(ctx.client, BTreeSet::new()).await {
            Ok(()) => Ok(()),
            Err(error) => handle(ctx, report, error, 0),
        }
    }

    /// Names the tags of `contacts` (see the module docs) and counts what it did in `report`
    /// (`tag_lists`, `tags_unnamed`, `tag_list_failed`).
    pub(crate) async fn name_page<'c>(
        &self,
        ctx: Ctx<'_>,
        contacts: impl IntoIterator<Item = &'c mut Contact>,
        report: &mut StreamReport,
    ) -> Result<()> {
        let mut contacts: Vec<&mut Contact> = contacts.into_iter().collect();
        let named = self
            .name(ctx.client, &mut contacts, |ids| async move {
                ctx.store.known_tag_names(ctx.workspace.id, &ids).await
            })
            .await;
        match named {
            Ok(named) => {
                report.add("tag_lists", u64::from(named.lists));
                report.add("tags_unnamed", named.unnamed as u64);
                Ok(())
            }
            Err(NameError::Store(err)) => Err(err.into()),
            Err(NameError::List { error, unnamed }) => {
                report.add("tag_lists", 1);
                handle(ctx, report, error, unnamed)
            }
        }
    }

    /// Names the contacts' tags, reading the store's names through `known` (given the ids of
    /// the contacts with tags the map cannot name) before listing the tags with `client`.
    async fn name<F, Fut>(
        &self,
        client: &IntercomClient,
        contacts: &mut [&mut Contact],
        known: F,
    ) -> std::result::Result<Named, NameError>
    where
        F: FnOnce(Vec<ContactId>) -> Fut,
        Fut: std::future::Future<Output = icsync_store::Result<HashMap<String, String>>>,
    {
        let wanted: Vec<(usize, Vec<String>)> = contacts
            .iter()
            .enumerate()
            .map(|(i, c)| (i, unnamed_tag_ids(c)))
            .filter(|(_, ids)| !ids.is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(Named::default());
        }
        let mut state = self.state.lock().await;
        let mut named = Named::default();
        let unknown = |state: &State| -> BTreeSet<String> {
            wanted
                .iter()
                .flat_map(|(_, ids)| ids.iter())
                .filter(|id| !state.names.contains_key(*id))
                .cloned()
                .collect()
        };
        if !unknown(&state).is_empty() {
            let asking: Vec<ContactId> = wanted
                .iter()
                .filter(|(_, ids)| ids.iter().any(|id| !state.names.contains_key(id)))
                .map(|(i, _)| contacts[*i].id.clone())
                .collect();
            for (id, name) in known(asking).await.map_err(NameError::Store)? {
                state.names.entry(id).or_insert(name);
            }
        }
        let missing = unknown(&state);
        let worth_listing = !missing.is_empty()
            && !state.failed
            && state.lists < MAX_LISTS
            && missing.iter().any(|id| !state.not_listed.contains(id));
        let mut failure = None;
        if worth_listing {
            state.lists += 1;
            named.lists += 1;
            failure = state.list(client, missing).await.err();
        }
        for (i, _) in &wanted {
            named.unnamed += name_tags(contacts[*i], &state.names);
        }
        match failure {
            None => Ok(named),
            Some(error) => Err(NameError::List {
                error,
                unnamed: named.unnamed,
            }),
        }
    }
}

impl State {
    /// One `GET /tags`: its names win over stored ones (fresher); `missing` are the ids that
    /// asked for it. A failure Intercom would repeat marks the run's list failed.
    async fn list(
        &mut self,
        client: &IntercomClient,
        missing: BTreeSet<String>,
    ) -> std::result::Result<(), ClientError> {
        match client.tags().list().await {
            Ok(list) => {
                self.names.extend(tag_names(list));
                self.not_listed = missing
                    .into_iter()
                    .filter(|id| !self.names.contains_key(id))
                    .collect();
                Ok(())
            }
            Err(error) => {
                if !transient(&error) {
                    self.failed = true;
                }
                Err(error)
            }
        }
    }
}

/// A failure a later attempt may not meet (5xx, 429, timeouts: Intercom's retries are spent)
/// or a refused token, which stops the run anyway: the page fails and is read again.
fn transient(error: &ClientError) -> bool {
    error.is_retryable() || matches!(error, ClientError::Unauthorized { .. })
}

/// A failed list: a transient failure or a refused token fails the page; one Intercom would
/// repeat is logged and counted, and the page is stored as named so far.
fn handle(
    ctx: Ctx<'_>,
    report: &mut StreamReport,
    error: ClientError,
    unnamed: usize,
) -> Result<()> {
    if transient(&error) {
        return Err(ctx.client_error(report.stream.as_str(), error));
    }
    tracing::warn!(workspace = %ctx.workspace.name, stream = %report.stream, error = %error, "intercom refused the tag list, contact tags are stored without names this run");
    report.add("tag_list_failed", 1);
    report.add("tags_unnamed", unnamed as u64);
    Ok(())
}

#[derive(Debug)]
enum NameError {
    Store(icsync_store::StoreError),
    /// The list could not be read; the contacts are named as far as the map and the store
    /// knew (`unnamed` left).
    List {
        error: ClientError,
        unnamed: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use icsync_domain::{IMPORTED_TAGS_KEY, ImportedTag, imported_tags, imported_tags_value};
    use icsync_intercom::{AccessToken, ClientConfig, Region};
    use icsync_intercom_sim::{SimConfig, SimHandle, Simulator};

    async fn sim() -> (SimHandle, IntercomClient) {
        let sim = Simulator::start(
            SimConfig {
                contacts: 3,
                companies: 0,
                conversations: 0,
                ..SimConfig::default()
            },
            "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let config = ClientConfig::new(Region::Us, AccessToken::new(sim.token()))
            .with_base_url(sim.base_url())
            .unwrap_or_else(|e| panic!("{e}"));
        let client = IntercomClient::new(config).unwrap_or_else(|e| panic!("{e}"));
        (sim, client)
    }

    fn tagged(n: usize, ids: &[&str]) -> Contact {
        let mut contact = Contact {
            id: ContactId::new(format!("c{n}")),
            external_id: None,
            email: None,
            role: icsync_domain::ContactRole::User,
            name: None,
            phone: None,
            avatar_url: None,
            owner_id: None,
            unsubscribed_from_emails: false,
            created_at: None,
            updated_at: None,
            signed_up_at: None,
            last_seen_at: None,
            last_replied_at: None,
            last_contacted_at: None,
            location: Default::default(),
            custom_attributes: Default::default(),
            other_attributes: Default::default(),
        };
        let tags: Vec<ImportedTag> = ids
            .iter()
            .map(|id| ImportedTag {
                id: (*id).to_owned(),
                name: None,
            })
            .collect();
        contact
            .other_attributes
            .insert(IMPORTED_TAGS_KEY.into(), imported_tags_value(&tags));
        contact
    }

    fn tag_lists(sim: &SimHandle) -> usize {
        sim.journal(0)
            .iter()
            .filter(|e| e.method == "GET" && e.path == "/tags")
            .count()
    }

    fn names(contact: &Contact) -> Vec<Option<String>> {
        imported_tags(&contact.other_attributes)
            .into_iter()
            .map(|t| t.name)
            .collect()
    }

    async fn nothing_stored(_: Vec<ContactId>) -> icsync_store::Result<HashMap<String, String>> {
        Ok(HashMap::new())
    }

    #[tokio::test]
    async fn a_run_lists_the_tags_once_and_again_only_for_an_id_the_list_did_not_hold() {
        let (sim, client) = sim().await;
        let contact = sim.contact_ids(1).remove(0);
        let first_id = sim
            .tag_contact(&contact, "Onboarding")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let tags = TagNames::new();
        let mut page: Vec<Contact> = (0..40).map(|n| tagged(n, &[&first_id])).collect();
        let named = tags
            .name(
                &client,
                &mut page.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            named,
            Named {
                lists: 1,
                unnamed: 0
            }
        );
        assert!(
            page.iter()
                .all(|c| names(c) == [Some("Onboarding".to_owned())])
        );
        // Known ids: no request.
        let mut again = [tagged(50, &[&first_id])];
        let named = tags
            .name(
                &client,
                &mut again.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(named.lists, 0);
        assert_eq!(tag_lists(&sim), 1);
        // A tag created during the run: one more list names it.
        let new_id = sim
            .tag_contact(&contact, "Churn risk")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let mut later = [tagged(60, &[&first_id, &new_id]), tagged(61, &[&new_id])];
        let named = tags
            .name(
                &client,
                &mut later.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            named,
            Named {
                lists: 1,
                unnamed: 0
            }
        );
        assert_eq!(
            names(&later[0]),
            [Some("Onboarding".to_owned()), Some("Churn risk".to_owned())]
        );
        // An id Intercom does not list (or a third new tag): no third list in this run.
        let third = sim
            .tag_contact(&contact, "Third")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let mut odd = [tagged(70, &["999999", &third]), tagged(71, &[&first_id])];
        let named = tags
            .name(
                &client,
                &mut odd.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            named,
            Named {
                lists: 0,
                unnamed: 2
            }
        );
        assert_eq!(names(&odd[0]), [None, None]);
        assert_eq!(names(&odd[1]), [Some("Onboarding".to_owned())]);
        assert_eq!(tag_lists(&sim), 2, "at most two lists a run");
        // The next run starts with a fresh map and names the third tag.
        let next = TagNames::new();
        let mut page = [tagged(80, &[&third])];
        let named = next
            .name(
                &client,
                &mut page.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            named,
            Named {
                lists: 1,
                unnamed: 0
            }
        );
        assert_eq!(names(&page[0]), [Some("Third".to_owned())]);
    }

    #[tokio::test]
    async fn store_names_cost_no_request_a_failing_list_fails_the_page_a_refused_one_names_nothing_more()
     {
        let (sim, client) = sim().await;
        let tags = TagNames::new();
        let mut page = [tagged(1, &["7", "8"]), tagged(2, &[]), tagged(3, &["7"])];
        let asked = std::sync::Mutex::new(Vec::new());
        let named = tags
            .name(&client, &mut page.iter_mut().collect::<Vec<_>>(), |ids| {
                asked.lock().map(|mut a| a.extend(ids)).ok();
                async {
                    Ok([
                        ("7".to_owned(), "vip".to_owned()),
                        ("8".to_owned(), "trial".to_owned()),
                    ]
                    .into())
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            named,
            Named {
                lists: 0,
                unnamed: 0
            }
        );
        assert_eq!(
            asked.lock().map(|a| a.clone()).unwrap_or_default(),
            vec![ContactId::new("c1"), ContactId::new("c3")],
            "only the contacts with unnamed tags are looked up"
        );
        assert_eq!(
            names(&page[0]),
            [Some("vip".to_owned()), Some("trial".to_owned())]
        );
        assert_eq!(tag_lists(&sim), 0);

        // A list that fails as any request may (a 5xx after the retries) fails the page; the
        // next attempt lists again.
        sim.set_faults(icsync_intercom_sim::FaultConfig {
            error_rate: 1.0,
            ..Default::default()
        });
        let fast = |base_url: &str| {
            let mut config = ClientConfig::new(Region::Us, AccessToken::new(sim.token()))
                .with_base_url(base_url)
                .unwrap_or_else(|e| panic!("{e}"));
            config.retry = icsync_intercom::RetryPolicy {
                max_attempts: 2,
                base_delay: std::time::Duration::from_millis(1),
                max_delay: std::time::Duration::from_millis(2),
            };
            IntercomClient::new(config).unwrap_or_else(|e| panic!("{e}"))
        };
        let mut unknown = [tagged(4, &["7", "42"])];
        let failed = tags
            .name(
                &fast(sim.base_url()),
                &mut unknown.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await;
        assert!(
            matches!(&failed, Err(NameError::List { error, .. }) if transient(error)),
            "{failed:?}"
        );
        sim.set_faults(Default::default());
        let mut retried = [tagged(5, &["42"])];
        let named = tags
            .name(
                &fast(sim.base_url()),
                &mut retried.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            named.lists, 1,
            "a transient failure does not end the run's lists"
        );

        // A list Intercom refuses for good: named as far as known, and no second try this run.
        let refusing = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::path("/tags"))
            .respond_with(wiremock::ResponseTemplate::new(403).set_body_json(serde_json::json!({
                "type": "error.list",
                "errors": [{"code": "api_plan_restricted", "message": "Active subscription needed."}]
            })))
            .expect(1)
            .mount(&refusing)
            .await;
        let other = TagNames::new();
        let mut page = [tagged(6, &["7", "42"])];
        let failed = other
            .name(
                &fast(&refusing.uri()),
                &mut page.iter_mut().collect::<Vec<_>>(),
                |_| async { Ok([("7".to_owned(), "vip".to_owned())].into()) },
            )
            .await;
        assert!(
            matches!(&failed, Err(NameError::List { error, unnamed: 1 }) if !transient(error)),
            "{failed:?}"
        );
        assert_eq!(names(&page[0]), [Some("vip".to_owned()), None]);
        let mut later = [tagged(7, &["43"])];
        let named = other
            .name(
                &fast(&refusing.uri()),
                &mut later.iter_mut().collect::<Vec<_>>(),
                nothing_stored,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            named,
            Named {
                lists: 0,
                unnamed: 1
            },
            "no second try this run"
        );
    }
}
