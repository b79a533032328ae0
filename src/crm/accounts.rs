//! Accounts: the companies deals are made with.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::validate::{Check, LINE_MAX, TEXT_MAX};
use super::{Resource, owner};
use crate::auth::Actor;
use crate::error::FieldErrors;
use crate::store::records::{Dependent, Filter, Filters, Meta, Record};
use crate::store::search::join_present;
use crate::store::{Id, Value};

crate::text_enum! {
    /// Whether the finance team lets new business go ahead.
    CreditStatus { Ok = "ok", Watch = "watch", Hold = "hold" }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Account {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub name: String,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub address: Option<String>,
    pub credit_status: CreditStatus,
    pub credit_note: Option<String>,
    pub owner_id: Id,
}

/// The fields of an account a client sends.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub id: Option<Id>,
    pub name: Option<String>,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i64>,
    pub country: Option<String>,
    pub address: Option<String>,
    pub credit_status: Option<CreditStatus>,
    pub credit_note: Option<String>,
    pub owner_id: Option<Id>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountFilter {
    pub owner_id: Option<Id>,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub credit_status: Option<CreditStatus>,
}

impl Record for Account {
    const TABLE: &'static str = "accounts";
    const ENTITY: &'static str = "account";
    const DEPENDENTS: &'static [Dependent] = &[
        Dependent {
            table: "deals",
            column: "account_id",
            noun: ("deal", "deals"),
        },
        Dependent {
            table: "contacts",
            column: "account_id",
            noun: ("contact", "contacts"),
        },
        Dependent {
            table: "activities",
            column: "account_id",
            noun: ("activity", "activities"),
        },
    ];
    const CASCADES: &'static [(&'static str, &'static str)] = &[("profile_answers", "subject_id")];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("name", self.name.clone().into()),
            ("domain", self.domain.clone().into()),
            ("industry", self.industry.clone().into()),
            ("employee_count", self.employee_count.into()),
            ("country", self.country.clone().into()),
            ("address", self.address.clone().into()),
            ("credit_status", self.credit_status.into()),
            ("credit_note", self.credit_note.clone().into()),
            ("owner_id", self.owner_id.into()),
        ]
    }

    fn search_text(&self) -> String {
        join_present(&[
            Some(&self.name),
            self.domain.as_deref(),
            self.industry.as_deref(),
            self.country.as_deref(),
            self.address.as_deref(),
        ])
    }
}

impl Resource for Account {
    type Input = AccountInput;
    type Filter = AccountFilter;

    fn input_id(input: &AccountInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: AccountInput,
        meta: Meta,
        current: Option<&Self>,
        actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let account = Account {
            name: c.required_text("name", input.name, LINE_MAX),
            domain: c.domain("domain", input.domain),
            industry: c.text("industry", input.industry, LINE_MAX),
            employee_count: c.range("employee_count", input.employee_count, 0, 100_000_000),
            country: c.country("country", input.country),
            address: c.text("address", input.address, TEXT_MAX),
            credit_status: input.credit_status.unwrap_or(CreditStatus::Ok),
            credit_note: c.text("credit_note", input.credit_note, TEXT_MAX),
            owner_id: owner(&mut c, input.owner_id, current.is_some(), actor),
            meta,
        };
        c.finish()?;
        Ok(account)
    }

    fn to_input(&self) -> AccountInput {
        AccountInput {
            id: Some(self.meta.id),
            name: Some(self.name.clone()),
            domain: self.domain.clone(),
            industry: self.industry.clone(),
            employee_count: self.employee_count,
            country: self.country.clone(),
            address: self.address.clone(),
            credit_status: Some(self.credit_status),
            credit_note: self.credit_note.clone(),
            owner_id: Some(self.owner_id),
        }
    }

    fn filters(f: &AccountFilter) -> Vec<Filter> {
        Filters::new()
            .eq("owner_id", f.owner_id)
            .eq("industry", f.industry.as_deref().map(str::trim))
            .eq(
                "country",
                f.country.as_deref().map(|c| c.trim().to_uppercase()),
            )
            .eq("credit_status", f.credit_status)
            .build()
    }

    fn owner(&self) -> Option<Id> {
        Some(self.owner_id)
    }
}
