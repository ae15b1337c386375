//! Data attributes: before the first push in a workspace (and whenever the configured names
//! change) list Intercom's contact and company attributes and create the missing ones with the
//! right type. A name that exists with another type, archived, standard, or on the other model
//! is a configuration error shown in status, never skipped.

use crate::config::{AttributeType, Model, WritebackConfig};
use crate::writer::IntercomWriter;
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

/// Checks that an existing attribute can take writeback's values.
fn check(
    existing: &DataAttribute,
    model: Model,
    key: &str,
    kind: AttributeType,
) -> Result<(), String> {
    let name = &existing.name;
    let fix = format!(
        "choose another name in writeback.{}.{key}",
        model_key(model)
    );
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
    if actual != kind.as_str() {
        return Err(format!(
            "the {} attribute `{name}` exists in Intercom as {actual}, writeback needs {} (Intercom cannot change a type); {fix}",
            model.as_str(),
            kind.as_str()
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

/// Lists both models' attributes and creates what is missing.
pub(crate) async fn provision(
    config: &WritebackConfig,
    writer: &dyn IntercomWriter,
) -> Provisioned {
    let lists = async {
        let contacts = writer
            .list_data_attributes(DataAttributeModel::Contact)
            .await?;
        let companies = writer
            .list_data_attributes(DataAttributeModel::Company)
            .await?;
        Ok::<_, icsync_intercom::Error>((contacts, companies))
    };
    let (contacts, companies) = match lists.await {
        Ok(lists) => lists,
        Err(e) => return Provisioned::Unreachable(e),
    };
    let mut created = 0;
    for (model, field, name, kind) in config.attributes() {
        let (own, other) = match model {
            Model::Contact => (&contacts, &companies),
            Model::Company => (&companies, &contacts),
        };
        if let Some(existing) = find(own, name) {
            if let Err(problem) = check(existing, model, field.name(), kind) {
                return Provisioned::ConfigError(problem);
            }
            continue;
        }
        if let Some(taken) = find(other, name) {
            let other_model = if model == Model::Contact {
                "company"
            } else {
                "contact"
            };
            return Provisioned::ConfigError(format!(
                "`{}` is already a {other_model} attribute in Intercom, and contact and company attributes share one namespace; choose another name in writeback.{}.{}",
                taken.name,
                model_key(model),
                field.name()
            ));
        }
        let create = DataAttributeCreate {
            name: name.trim().to_owned(),
            model: wire_model(model),
            data_type: wire_type(kind),
            description: Some(format!(
                "{} set by the customer-success platform (written by icsync)",
                field.name().replace('_', " ")
            )),
            messenger_writable: Some(false),
        };
        match writer.create_data_attribute(&create).await {
            Ok(Created::New(_)) => {
                tracing::info!(model = model.as_str(), attribute = %create.name, "data attribute created");
                created += 1;
            }
            Ok(Created::Existing(existing)) => {
                if let Err(problem) = check(&existing, model, field.name(), kind) {
                    return Provisioned::ConfigError(problem);
                }
            }
            Err(
                e @ icsync_intercom::Error::Api {
                    status: 400 | 422, ..
                },
            ) => {
                return Provisioned::ConfigError(format!(
                    "Intercom refused to create the {} attribute `{}` ({e}); choose another name in writeback.{}.{}",
                    model.as_str(),
                    create.name,
                    model_key(model),
                    field.name()
                ));
            }
            Err(e) => return Provisioned::Unreachable(e),
        }
    }
    Provisioned::Ready { created }
}
