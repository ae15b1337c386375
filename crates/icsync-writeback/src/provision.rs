//! Data attributes: before the first push in a workspace (and whenever the configured names
//! change) list Intercom's contact and company attributes and create the missing ones with the
//! right type. A name that exists with another type, archived, standard, or on the other model
//! is a configuration error shown in status, never skipped. Writeback (CS attributes) and
//! export (mapped host properties) both provision through [`provision_requirements`].

use crate::config::{AttributeType, Model, WritebackConfig};
use crate::writer::IntercomWriter;
use async_trait::async_trait;
use icsync_intercom::Created;
use icsync_intercom::models::{DataAttribute, DataAttributeCreate, DataAttributeModel, DataType};

/// How provisioning ended.
#[derive(Debug)]
pub(crate) enum Provisioned {
    /// Every attribute exists with the right type; `created` of them were created now.
    Ready { created: u32 },
    /// An admin must act; pushes wait.
    ConfigError(String),
    /// Intercom could not be asked (retryable); try again on the next drain.
    Unreachable(icsync_intercom::Error),
}

/// One attribute that must exist in Intercom.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub model: Model,
    pub name: String,
    pub data_type: DataType,
    /// Where the name comes from, for the fix in messages (`writeback.contact_attributes.health`,
    /// `the export mapping of property seats`).
    pub key: String,
    pub description: String,
}

/// The two data-attribute calls provisioning makes.
#[async_trait]
pub(crate) trait AttributeApi: Send + Sync {
    async fn list(
        &self,
        model: DataAttributeModel,
    ) -> Result<Vec<DataAttribute>, icsync_intercom::Error>;
    async fn create(
        &self,
        create: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, icsync_intercom::Error>;
}

struct WriterApi<'a>(&'a dyn IntercomWriter);

#[async_trait]
impl AttributeApi for WriterApi<'_> {
    async fn list(
        &self,
        model: DataAttributeModel,
    ) -> Result<Vec<DataAttribute>, icsync_intercom::Error> {
        self.0.list_data_attributes(model).await
    }

    async fn create(
        &self,
        create: &DataAttributeCreate,
    ) -> Result<Created<DataAttribute>, icsync_intercom::Error> {
        self.0.create_data_attribute(create).await
    }
}

fn wire_model(model: Model) -> DataAttributeModel {
    match model {
        Model::Contact => DataAttributeModel::Contact,
        Model::Company => DataAttributeModel::Company,
    }
}

fn wire_type(kind: AttributeType) -> DataType {
    match kind {
        AttributeType::Float => DataType::Float,
        AttributeType::String => DataType::String,
    }
}

fn model_key(model: Model) -> &'static str {
    match model {
        Model::Contact => "contact_attributes",
        Model::Company => "company_attributes",
    }
}

/// Checks that an existing attribute can take the values.
fn check(existing: &DataAttribute, required: &Requirement) -> Result<(), String> {
    let name = &existing.name;
    let model = required.model;
    let fix = format!("choose another name in {}", required.key);
    if existing.custom != Some(true) {
        return Err(format!(
            "`{name}` is a standard Intercom {} attribute; {fix}",
            model.as_str()
        ));
    }
    if existing.archived == Some(true) {
        return Err(format!(
            "the {} attribute `{name}` is archived in Intercom; unarchive it (Settings > Data) or {fix}",
            model.as_str()
        ));
    }
    let actual = existing
        .data_type
        .as_ref()
        .map_or("unknown", |t| t.as_str());
    if actual != required.data_type.as_str() {
        return Err(format!(
            "the {} attribute `{name}` exists in Intercom as {actual}, icsync needs {} (Intercom cannot change a type); {fix}",
            model.as_str(),
            required.data_type.as_str()
        ));
    }
    if existing.api_writable == Some(false) {
        return Err(format!(
            "the {} attribute `{name}` is not writable through the API; {fix}",
            model.as_str()
        ));
    }
    Ok(())
}

fn find<'a>(list: &'a [DataAttribute], name: &str) -> Option<&'a DataAttribute> {
    list.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// Lists both models' attributes and creates what writeback's configuration needs.
pub(crate) async fn provision(
    config: &WritebackConfig,
    writer: &dyn IntercomWriter,
) -> Provisioned {
    let requirements: Vec<Requirement> = config
        .attributes()
        .map(|(model, field, name, kind)| Requirement {
            model,
            name: name.trim().to_owned(),
            data_type: wire_type(kind),
            key: format!("writeback.{}.{}", model_key(model), field.name()),
            description: format!(
                "{} set by the customer-success platform (written by icsync)",
                field.name().replace('_', " ")
            ),
        })
        .collect();
    provision_requirements(&requirements, &WriterApi(writer)).await
}

/// Lists both models' attributes (they share one namespace) and creates the missing ones.
pub(crate) async fn provision_requirements(
    requirements: &[Requirement],
    api: &dyn AttributeApi,
) -> Provisioned {
    let lists = async {
        let contacts = api.list(DataAttributeModel::Contact).await?;
        let companies = api.list(DataAttributeModel::Company).await?;
        Ok::<_, icsync_intercom::Error>((contacts, companies))
    };
    let (contacts, companies) = match lists.await {
        Ok(lists) => lists,
        Err(e) => return Provisioned::Unreachable(e),
    };
    let mut created = 0;
    for required in requirements {
        let (own, other) = match required.model {
            Model::Contact => (&contacts, &companies),
            Model::Company => (&companies, &contacts),
        };
        if let Some(existing) = find(own, &required.name) {
            if let Err(problem) = check(existing, required) {
                return Provisioned::ConfigError(problem);
            }
            continue;
        }
        if let Some(taken) = find(other, &required.name) {
            let other_model = if required.model == Model::Contact {
                "company"
            } else {
                "contact"
            };
            return Provisioned::ConfigError(format!(
                "`{}` is already a {other_model} attribute in Intercom, and contact and company attributes share one namespace; choose another name in {}",
                taken.name, required.key
            ));
        }
        let create = DataAttributeCreate {
            name: required.name.clone(),
            model: wire_model(required.model),
            data_type: required.data_type.clone(),
            description: Some(required.description.clone()),
            messenger_writable: Some(false),
        };
        match api.create(&create).await {
            Ok(Created::New(_)) => {
                tracing::info!(model = required.model.as_str(), attribute = %create.name, "data attribute created");
                created += 1;
            }
            Ok(Created::Existing(existing)) => {
                if let Err(problem) = check(&existing, required) {
                    return Provisioned::ConfigError(problem);
                }
            }
            Err(
                e @ icsync_intercom::Error::Api {
                    status: 400 | 422, ..
                },
            ) => {
                return Provisioned::ConfigError(format!(
                    "Intercom refused to create the {} attribute `{}` ({e}); choose another name in {}",
                    required.model.as_str(),
                    create.name,
                    required.key
                ));
            }
            Err(e) => return Provisioned::Unreachable(e),
        }
    }
    Provisioned::Ready { created }
}
