//! Contacts: the people at accounts.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::validate::{Check, LINE_MAX};
use super::{Resource, check_exists, owner};
use crate::auth::Actor;
use crate::error::{Error, FieldErrors};
use crate::store::records::{Dependent, Filter, Filters, Meta, Record};
use crate::store::search::join_present;
use crate::store::{Id, Tx, Value};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Contact {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub account_id: Option<Id>,
    pub owner_id: Id,
}

impl Contact {
    /// "First Last", or whichever of the two is known.
    pub fn full_name(&self) -> String {
        join_present(&[self.first_name.as_deref(), self.last_name.as_deref()])
    }
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub id: Option<Id>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub account_id: Option<Id>,
    pub owner_id: Option<Id>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactFilter {
    pub owner_id: Option<Id>,
    pub account_id: Option<Id>,
    /// Exact address, case-insensitive.
    pub email: Option<String>,
}

impl Record for Contact {
    const TABLE: &'static str = "contacts";
    const ENTITY: &'static str = "contact";
    const DEPENDENTS: &'static [Dependent] = &[
        Dependent {
            table: "deals",
            column: "primary_contact_id",
            noun: (
                "deal naming it as primary contact",
                "deals naming it as primary contact",
            ),
        },
        Dependent {
            table: "activities",
            column: "contact_id",
            noun: ("activity", "activities"),
        },
    ];
    const CASCADES: &'static [(&'static str, &'static str)] = &[
        ("profile_answers", "subject_id"),
        ("contact_relationships", "from_contact_id"),
        ("contact_relationships", "to_contact_id"),
        ("deal_contacts", "contact_id"),
    ];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("first_name", self.first_name.clone().into()),
            ("last_name", self.last_name.clone().into()),
            ("title", self.title.clone().into()),
            ("email", self.email.clone().into()),
            ("phone", self.phone.clone().into()),
            ("account_id", self.account_id.into()),
            ("owner_id", self.owner_id.into()),
        ]
    }

    fn search_text(&self) -> String {
        join_present(&[
            self.first_name.as_deref(),
            self.last_name.as_deref(),
            self.title.as_deref(),
            self.email.as_deref(),
            self.phone.as_deref(),
        ])
    }
}

impl Resource for Contact {
    type Input = ContactInput;
    type Filter = ContactFilter;

    fn input_id(input: &ContactInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: ContactInput,
        meta: Meta,
        current: Option<&Self>,
        actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let contact = Contact {
            first_name: c.text("first_name", input.first_name, LINE_MAX),
            last_name: c.text("last_name", input.last_name, LINE_MAX),
            title: c.text("title", input.title, LINE_MAX),
            email: c.email("email", input.email).map(|e| e.to_lowercase()),
            phone: c.phone("phone", input.phone),
            account_id: input.account_id,
            owner_id: owner(&mut c, input.owner_id, current.is_some(), actor),
            meta,
        };
        if contact.first_name.is_none() && contact.last_name.is_none() {
            c.errors
                .add("first_name", "a first or a last name is required");
            c.errors
                .add("last_name", "a first or a last name is required");
        }
        c.finish()?;
        Ok(contact)
    }

    fn to_input(&self) -> ContactInput {
        ContactInput {
            id: Some(self.meta.id),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            title: self.title.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            account_id: self.account_id,
            owner_id: Some(self.owner_id),
        }
    }

    fn filters(f: &ContactFilter) -> Vec<Filter> {
        Filters::new()
            .eq("owner_id", f.owner_id)
            .eq("account_id", f.account_id)
            .eq("email", f.email.as_deref().map(|e| e.trim().to_lowercase()))
            .build()
    }

    fn owner(&self) -> Option<Id> {
        Some(self.owner_id)
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        let mut errors = FieldErrors::new();
        check_exists(tx, &mut errors, "account_id", "accounts", self.account_id).await?;
        errors.check()
    }
}
