//! The whole simulated workspace: contacts, companies, conversations, tags, admins and data
//! attributes, built deterministically from a [`SimConfig`] and mutated by API and control calls.

use std::borrow::Cow;
use std::collections::HashMap;

use super::attribute::{self, DataAttribute};
use super::company::CompanyRec;
use super::contact::{
    ContactData, ContactExt, ContactRec, FLAG_LEAD, NO_SEQ, normalize_email, opt_ts, to_ts,
};
use super::conversation::{ConvRec, FIRST_ADDED_PART_ID, FIRST_CONVERSATION_ID};
use super::event::EventData;
use super::ids::{MAX_SLOT, ObjectId};
use super::keyindex::{KeyIndex, hash_key};
use crate::config::SimConfig;
use crate::generate;

pub(crate) const CONTACT_KIND: u64 = 1;

#[derive(Debug, Clone)]
pub(crate) struct Admin {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub id: u64,
    pub name: String,
}

/// Settings the model needs at every call (copied from the config).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub seed: u64,
    pub anchor: i64,
    pub events_mean: u32,
    pub workspace_id: String,
    pub reject_unknown_custom_attributes: bool,
}

#[derive(Debug)]
pub(crate) struct World {
    pub settings: Settings,
    pub admins: Vec<Admin>,
    pub admin_ids: Vec<i64>,
    pub tags: Vec<Tag>,
    pub contacts: Vec<ContactRec>,
    pub emails: KeyIndex,
    pub external_ids: KeyIndex,
    pub companies: Vec<CompanyRec>,
    pub company_ids: HashMap<String, u32>,
    pub conversations: Vec<ConvRec>,
    /// Events added through `POST /events` or the control surface, by contact slot.
    pub added_events: HashMap<u32, Vec<EventData>>,
    pub generated_events: u64,
    pub attributes: Vec<DataAttribute>,
    pub next_attribute_id: i64,
    pub next_part_id: u64,
    pub next_tag_id: u64,
    pub app_created_at: i64,
    /// Contacts neither archived nor deleted.
    pub live: usize,
    /// Conversations of deleted contacts (no longer listed).
    pub hidden_conversations: usize,
}

impl World {
    pub(crate) fn build(cfg: &SimConfig, anchor: i64) -> World {
        let seed = cfg.seed;
        let admins: Vec<Admin> = generate::words::ADMIN_NAMES
            .iter()
            .enumerate()
            .map(|(i, name)| Admin {
                id: 991_267_390 + i as i64,
                name: (*name).to_owned(),
                email: format!("admin{}@example.com", i + 1),
            })
            .collect();
        let admin_ids: Vec<i64> = admins.iter().map(|a| a.id).collect();
        let tags: Vec<Tag> = generate::words::TAG_NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| Tag {
                id: 7_000_001 + i as u64,
                name: (*n).to_owned(),
            })
            .collect();
        let n_contacts = cfg.contacts.min(MAX_SLOT as usize);
        let n_companies = cfg.companies.min(MAX_SLOT as usize);
        let mut companies: Vec<CompanyRec> = (0..n_companies as u32)
            .map(|i| generate::company::company(seed, i, anchor, tags.len()))
            .collect();
        let mut contacts = Vec::with_capacity(n_contacts);
        let mut email_pairs = Vec::with_capacity(n_contacts);
        let mut ext_pairs = Vec::with_capacity(n_contacts);
        let mut generated_events = 0u64;
        for i in 0..n_contacts as u32 {
            let c = generate::contact::core(seed, i, anchor);
            if let Some(e) = generate::contact::email(seed, i) {
                email_pairs.push((hash_key(&normalize_email(&e)), i));
            }
            if let Some(x) = generate::contact::external_id(seed, i, c.lead) {
                ext_pairs.push((hash_key(&x), i));
            }
            let comps = generate::company::companies_of_contact(seed, i, n_companies);
            for &k in &comps {
                companies[k as usize].contacts.push(i);
            }
            generated_events += u64::from(generate::events::count(seed, i, cfg.events_per_contact));
            contacts.push(ContactRec {
                id: ObjectId::new(seed, CONTACT_KIND, c.created_at, i),
                seq: i,
                created_at: to_ts(Some(c.created_at)),
                updated_at: to_ts(Some(c.updated_at)),
                signed_up_at: to_ts(c.signed_up_at),
                last_seen_at: to_ts(c.last_seen_at),
                flags: if c.lead { FLAG_LEAD } else { 0 },
                companies: comps.into_boxed_slice(),
                ext: None,
            });
        }
        let n_contacts = contacts.len();
        let company_ids = companies
            .iter()
            .enumerate()
            .map(|(i, c)| (c.company_id.clone(), i as u32))
            .collect();
        let max_parts = cfg.max_conversation_parts.clamp(1, 1000);
        let conversations = if contacts.is_empty() {
            Vec::new()
        } else {
            (0..cfg.conversations.min(MAX_SLOT as usize) as u32)
                .map(|i| {
                    let mut r = crate::rng::Rng::new(
                        seed,
                        crate::rng::Stream::Conversation,
                        u64::from(i) | 2 << 40,
                    );
                    let slot = r.below(contacts.len() as u64) as u32;
                    let created = i64::from(contacts[slot as usize].created_at);
                    generate::conversation::conversation(
                        seed, i, slot, created, anchor, &admin_ids, max_parts,
                    )
                })
                .collect()
        };
        let app_created_at = anchor - 1500 * 86_400;
        World {
            settings: Settings {
                seed,
                anchor,
                events_mean: cfg.events_per_contact,
                workspace_id: cfg.workspace_id.clone(),
                reject_unknown_custom_attributes: cfg.reject_unknown_custom_attributes,
            },
            attributes: attribute::initial(app_created_at, &admins[0].id.to_string()),
            next_attribute_id: attribute::FIRST_ATTRIBUTE_ID + 100,
            admins,
            admin_ids,
            tags,
            contacts,
            emails: KeyIndex::from_pairs(email_pairs),
            external_ids: KeyIndex::from_pairs(ext_pairs),
            companies,
            company_ids,
            conversations,
            added_events: HashMap::new(),
            generated_events,
            next_part_id: FIRST_ADDED_PART_ID,
            next_tag_id: 7_100_000,
            app_created_at,
            live: n_contacts,
            hidden_conversations: 0,
        }
    }

    /// The full data of the contact in `slot` (generated unless it was written).
    pub(crate) fn contact_data(&self, slot: u32) -> Cow<'_, ContactData> {
        let s = &self.settings;
        let tags = self.tags.len();
        self.contacts[slot as usize]
            .data(|seq| generate::contact::data(s.seed, seq, s.anchor, &self.admin_ids, tags))
    }

    /// Makes the contact in `slot` writable, materialising its generated data.
    pub(crate) fn contact_ext(&mut self, slot: u32, now_ms: i64) -> &mut ContactExt {
        if self.contacts[slot as usize].ext.is_none() {
            let data = self.contact_data(slot).into_owned();
            self.contacts[slot as usize].ext = Some(Box::new(ContactExt {
                data,
                written_ms: now_ms,
            }));
        }
        let rec = &mut self.contacts[slot as usize];
        // Just materialised above when it was missing.
        let ext = rec.ext.get_or_insert_with(|| {
            Box::new(ContactExt {
                data: ContactData::empty(),
                written_ms: now_ms,
            })
        });
        ext.written_ms = now_ms;
        ext
    }

    /// Slot of a contact by its Intercom id, unless deleted.
    pub(crate) fn contact_slot(&self, id: &str) -> Option<u32> {
        let oid = ObjectId::parse(id)?;
        let slot = oid.slot();
        let rec = self.contacts.get(slot as usize)?;
        (rec.id == oid && !rec.is_deleted()).then_some(slot)
    }

    pub(crate) fn company_slot(&self, id: &str) -> Option<u32> {
        let oid = ObjectId::parse(id)?;
        let slot = oid.slot();
        let rec = self.companies.get(slot as usize)?;
        (rec.id == oid && !rec.deleted).then_some(slot)
    }

    pub(crate) fn conversation_slot(&self, id: &str) -> Option<u32> {
        let n: u64 = id.parse().ok()?;
        let slot = u32::try_from(n.checked_sub(FIRST_CONVERSATION_ID)?).ok()?;
        (slot < self.conversations.len() as u32).then_some(slot)
    }

    /// Live contacts (not deleted) whose normalised email is `email`, in slot order.
    pub(crate) fn contacts_by_email(&self, email: &str) -> Vec<u32> {
        let key = normalize_email(email);
        self.emails
            .candidates(&key)
            .into_iter()
            .filter(|&s| {
                !self.contacts[s as usize].is_deleted()
                    && self
                        .contact_data(s)
                        .email
                        .as_deref()
                        .is_some_and(|e| normalize_email(e) == key)
            })
            .collect()
    }

    pub(crate) fn contacts_by_external_id(&self, external_id: &str) -> Vec<u32> {
        self.external_ids
            .candidates(external_id)
            .into_iter()
            .filter(|&s| {
                !self.contacts[s as usize].is_deleted()
                    && self.contact_data(s).external_id.as_deref() == Some(external_id)
            })
            .collect()
    }

    /// Events of a contact, newest first (generated plus added).
    pub(crate) fn events_of(&self, slot: u32) -> Vec<EventData> {
        let rec = &self.contacts[slot as usize];
        let s = &self.settings;
        let mut out = if rec.seq == NO_SEQ {
            Vec::new()
        } else {
            let created = opt_ts(rec.created_at).unwrap_or(s.anchor);
            generate::events::generate(s.seed, rec.seq, s.events_mean, created, s.anchor)
        };
        if let Some(added) = self.added_events.get(&slot) {
            out.extend(added.iter().cloned());
            out.sort_by_key(|e| std::cmp::Reverse(e.created_at));
        }
        out
    }

    pub(crate) fn attribute(&self, model: attribute::Model, name: &str) -> Option<&DataAttribute> {
        self.attributes
            .iter()
            .find(|a| a.model == model && a.custom && a.name == name)
    }

    pub(crate) fn tag_index(&self, id: &str) -> Option<u32> {
        let id: u64 = id.parse().ok()?;
        self.tags.iter().position(|t| t.id == id).map(|i| i as u32)
    }
}
