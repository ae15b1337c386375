//! An in-process Intercom for writeback: data attributes (shared namespace, typed, unknown
//! keys refused), contacts and companies holding custom attributes, and a script of outcomes
//! per request (applied or not, then answered or not) so a property test can replay thousands
//! of interleavings quickly. It also records every push that repeats what Intercom was last
//! told successfully while nothing was uncertain (a push of an unchanged row).

use async_trait::async_trait;
use icsync_domain::{CsPatch, WorkspaceId};
use icsync_intercom::models::{DataAttribute, DataAttributeCreate, DataAttributeModel, DataType};
use icsync_intercom::{Created, Error};
use icsync_writeback::{IntercomWriter, Writeback};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

/// What the fake does with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Applied and answered 200.
    Ok,
    /// Not applied: answered 429 (budget spent), 400, or the connection was refused.
    RateLimited,
    BadRequest,
    Refused,
    /// Applied, but the answer says otherwise or never comes back: 503, timeout.
    AppliedThen503,
    AppliedThenTimeout,
    /// Not applied, answered 503 (the client cannot tell this from the one above).
    Unapplied503,
    /// The process dies while the request is out: applied or not, no answer ever.
    Crash {
        applied: bool,
    },
}

#[derive(Debug, Default)]
struct Subject {
    attributes: Map<String, Value>,
    /// The last payload answered 200 while the client could know it.
    acked: Option<Map<String, Value>>,
    /// True when Intercom may hold something the client was not told about.
    uncertain: bool,
}

#[derive(Default)]
struct State {
    attributes: Vec<DataAttribute>,
    contacts: HashMap<String, Subject>,
    /// company_id -> (Intercom id, subject)
    companies: HashMap<String, (String, Subject)>,
    script: VecDeque<Step>,
    /// Host writes run while the next push is in flight (before it is answered).
    during_push: VecDeque<(icsync_domain::CsSubject, CsPatch)>,
    violations: Vec<String>,
    requests: u64,
    mutating: u64,
}

pub struct FakeIntercom {
    state: Mutex<State>,
    crashed: Notify,
    host: Mutex<Option<(Writeback, WorkspaceId)>>,
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeIntercom {
    pub fn new(contacts: &[&str], companies: &[(&str, &str)]) -> Self {
        let mut state = State::default();
        for id in contacts {
            state.contacts.insert((*id).to_owned(), Subject::default());
        }
        for (id, company_id) in companies {
            state.companies.insert(
                (*company_id).to_owned(),
                ((*id).to_owned(), Subject::default()),
            );
        }
        Self {
            state: Mutex::new(state),
            crashed: Notify::new(),
            host: Mutex::new(None),
        }
    }

    pub fn set_host(&self, host: Writeback, workspace: WorkspaceId) {
        *self.host.lock().unwrap_or_else(|p| p.into_inner()) = Some((host, workspace));
    }

    pub fn script(&self, steps: impl IntoIterator<Item = Step>) {
        let mut s = lock(&self.state);
        s.script = steps.into_iter().collect();
    }

    pub fn write_during_next_push(&self, subject: icsync_domain::CsSubject, patch: CsPatch) {
        lock(&self.state).during_push.push_back((subject, patch));
    }

    pub fn clear_pending_writes(&self) {
        lock(&self.state).during_push.clear();
    }

    pub async fn crashed(&self) {
        self.crashed.notified().await;
    }

    /// After a crash the client's knowledge is lost: every subject is uncertain.
    pub fn forget_acks(&self) {
        let mut s = lock(&self.state);
        for subject in s.contacts.values_mut() {
            subject.uncertain = true;
        }
        for (_, subject) in s.companies.values_mut() {
            subject.uncertain = true;
        }
    }

    pub fn delete_contact(&self, id: &str) {
        lock(&self.state).contacts.remove(id);
    }

    pub fn contact(&self, id: &str) -> Option<Map<String, Value>> {
        lock(&self.state)
            .contacts
            .get(id)
            .map(|s| s.attributes.clone())
    }

    pub fn company(&self, company_id: &str) -> Option<(String, Map<String, Value>)> {
        lock(&self.state)
            .companies
            .get(company_id)
            .map(|(id, s)| (id.clone(), s.attributes.clone()))
    }

    pub fn violations(&self) -> Vec<String> {
        lock(&self.state).violations.clone()
    }

    pub fn counts(&self) -> (u64, u64) {
        let s = lock(&self.state);
        (s.requests, s.mutating)
    }

    /// The next step; host writes scheduled "during" this request run first.
    async fn next(&self, mutating: bool) -> Step {
        let (step, writes) = {
            let mut s = lock(&self.state);
            s.requests += 1;
            if mutating {
                s.mutating += 1;
            }
            let writes: Vec<_> = if mutating {
                s.during_push.drain(..).collect()
            } else {
                Vec::new()
            };
            (s.script.pop_front().unwrap_or(Step::Ok), writes)
        };
        if !writes.is_empty() {
            let host = self.host.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some((host, ws)) = host {
                for (subject, patch) in writes {
                    // Invalid patches are refused by validation, as in production.
                    let _ = host.set(ws, &subject, &patch).await;
                }
            }
        }
        step
    }

    async fn answer<T>(&self, step: &Step, ok: T) -> Result<T, Error> {
        let api = |status: u16, code: &str| Error::Api {
            status,
            code: code.to_owned(),
            message: "fake".to_owned(),
            request_id: None,
        };
        match step {
            Step::Ok => Ok(ok),
            Step::RateLimited => Err(Error::RateLimited {
                retry_after: Duration::from_secs(1),
            }),
            Step::BadRequest => Err(api(400, "parameter_invalid")),
            Step::Refused => Err(Error::Transport {
                message: "connection refused".into(),
                before_send: true,
                source: None,
            }),
            Step::AppliedThen503 | Step::Unapplied503 => Err(api(503, "service_unavailable")),
            Step::AppliedThenTimeout => Err(Error::Timeout {
                after: Duration::from_secs(30),
            }),
            Step::Crash { .. } => {
                self.crashed.notify_one();
                std::future::pending().await
            }
        }
    }

    fn check_and_apply(
        state: &mut State,
        model: &DataAttributeModel,
        subject: &mut Subject,
        payload: &Map<String, Value>,
        step: &Step,
    ) -> Result<(), Error> {
        for (key, value) in payload {
            let known = state
                .attributes
                .iter()
                .find(|a| a.model.as_ref() == Some(model) && a.name.eq_ignore_ascii_case(key));
            let Some(attribute) = known else {
                return Err(Error::Api {
                    status: 400,
                    code: "parameter_invalid".into(),
                    message: format!("Custom attribute '{key}' does not exist"),
                    request_id: None,
                });
            };
            let fits = matches!(
                (attribute.data_type.as_ref(), value),
                (_, Value::Null)
                    | (Some(DataType::Float), Value::Number(_))
                    | (Some(DataType::String), Value::String(_))
            );
            if !fits {
                return Err(Error::Api {
                    status: 400,
                    code: "parameter_invalid".into(),
                    message: format!("Custom attribute '{key}' has the wrong type"),
                    request_id: None,
                });
            }
        }
        let applied = matches!(
            step,
            Step::Ok
                | Step::AppliedThen503
                | Step::AppliedThenTimeout
                | Step::Crash { applied: true }
        );
        let answered_ok = *step == Step::Ok;
        if answered_ok && !subject.uncertain && subject.acked.as_ref() == Some(payload) {
            state
                .violations
                .push(format!("pushed an unchanged row again: {payload:?}"));
        }
        if applied {
            for (key, value) in payload {
                if value.is_null() {
                    subject.attributes.remove(key);
                } else {
                    subject.attributes.insert(key.clone(), value.clone());
                }
            }
        }
        if answered_ok {
            subject.acked = Some(payload.clone());
            subject.uncertain = false;
        } else if applied || *step == Step::Unapplied503 {
            subject.uncertain = true;
        }
        Ok(())
    }
}

#[async_trait]
impl IntercomWriter for FakeIntercom {
    async fn list_data_attributes(
        &self,
        model: DataAttributeModel,
    ) -> Result<Vec<DataAttribute>, Error> {
        let step = self.next(false).await;
        let list = lock(&self.state)
            .attributes
            .iter()
            .filter(|a| a.model.as_ref() == Some(&model))
            .cloned()
            .collect();
        self.answer(&step, list).await
    }

    async fn create_data_attribute(
        &self,
        create: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, Error> {
        let step = self.next(true).await;
        let outcome = {
            let mut s = lock(&self.state);
            let existing = s
                .attributes
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(&create.name))
                .cloned();
            let applies = !matches!(
                step,
                Step::RateLimited
                    | Step::BadRequest
                    | Step::Refused
                    | Step::Unapplied503
                    | Step::Crash { applied: false }
            );
            match existing {
                Some(a) if a.model.as_ref() == Some(&create.model) => Created::Existing(a),
                Some(_) => {
                    return Err(Error::Api {
                        status: 400,
                        code: "parameter_invalid".into(),
                        message: "taken by the other model".into(),
                        request_id: None,
                    });
                }
                None => {
                    let attribute = DataAttribute {
                        id: Some(format!("{}", s.attributes.len() + 1)),
                        model: Some(create.model.clone()),
                        name: create.name.clone(),
                        full_name: Some(format!("custom_attributes.{}", create.name)),
                        label: None,
                        description: create.description.clone(),
                        data_type: Some(create.data_type.clone()),
                        options: None,
                        api_writable: Some(true),
                        messenger_writable: Some(false),
                        ui_writable: Some(true),
                        custom: Some(true),
                        archived: Some(false),
                        created_at: None,
                        updated_at: None,
                        admin_id: None,
                    };
                    if applies {
                        s.attributes.push(attribute.clone());
                    }
                    Created::New(attribute)
                }
            }
        };
        self.answer(&step, outcome).await
    }

    async fn update_contact(&self, id: &str, attributes: Map<String, Value>) -> Result<(), Error> {
        let step = self.next(true).await;
        let checked = {
            let mut guard = lock(&self.state);
            let state = &mut *guard;
            match state.contacts.remove(id) {
                None => None,
                Some(mut subject) => {
                    let checked = if step_applies_checks(&step) {
                        Self::check_and_apply(
                            state,
                            &DataAttributeModel::Contact,
                            &mut subject,
                            &attributes,
                            &step,
                        )
                    } else {
                        Ok(())
                    };
                    state.contacts.insert(id.to_owned(), subject);
                    Some(checked)
                }
            }
        };
        match checked {
            // Deleted: a 404 (unless the request never got through).
            None => {
                self.answer(&step, ()).await?;
                Err(Error::NotFound {
                    code: "not_found".into(),
                    message: "User Not Found".into(),
                    request_id: None,
                })
            }
            Some(checked) => {
                checked?;
                self.answer(&step, ()).await
            }
        }
    }

    async fn upsert_company(
        &self,
        company_id: &str,
        attributes: Map<String, Value>,
    ) -> Result<String, Error> {
        let step = self.next(true).await;
        let (checked, id) = {
            let mut guard = lock(&self.state);
            let state = &mut *guard;
            let (id, mut subject) = state
                .companies
                .remove(company_id)
                .unwrap_or_else(|| (format!("new-{company_id}"), Subject::default()));
            let checked = if step_applies_checks(&step) {
                Self::check_and_apply(
                    state,
                    &DataAttributeModel::Company,
                    &mut subject,
                    &attributes,
                    &step,
                )
            } else {
                Ok(())
            };
            state
                .companies
                .insert(company_id.to_owned(), (id.clone(), subject));
            (checked, id)
        };
        checked?;
        self.answer(&step, id).await
    }
}

/// Steps where Intercom reads the body (validation happens, maybe application).
fn step_applies_checks(step: &Step) -> bool {
    !matches!(step, Step::RateLimited | Step::Refused)
}
