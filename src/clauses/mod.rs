//! The clause library: contract language by a stable key, which templates
//! print with `clause(key="…")`. Legal approves every version before any
//! customer sees it ([`workflow`]); a clause may have variants, each chosen
//! by a rule on the document context ([`crate::context::rules`]); a document prints the
//! latest approved version of the variant that applies ([`resolve`]) and
//! records it, so legal can ask where a version went ([`usage`]).

pub mod diff;
pub mod library;
pub mod resolve;
pub mod usage;
pub mod versions;
pub mod workflow;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::crm::validate::{Check, LINE_MAX, TEXT_MAX};
use crate::crm::{self, Resource};
use crate::error::{Error, FieldErrors};
use crate::store::records::{Dependent, Filter, Filters, Meta, Record};
use crate::store::{Id, Store, Tx, Value};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Clause {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// What templates name it by (`clause(key="liability")`); never
    /// changes: `a-z`, `0-9` and `-`.
    pub key: String,
    pub title: String,
    /// `liability`, `payment`, `confidentiality`, `governing-law`, … (a
    /// slug of the library's own choosing).
    pub category: String,
    /// For legal: what the clause is for and when it applies.
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClauseInput {
    pub id: Option<Id>,
    pub key: Option<String>,
    pub title: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClauseFilter {
    pub key: Option<String>,
    pub category: Option<String>,
}

impl Record for Clause {
    const TABLE: &'static str = "clauses";
    const ENTITY: &'static str = "clause";
    const DEPENDENTS: &'static [Dependent] = &[Dependent {
        table: "clause_versions",
        column: "clause_id",
        noun: (
            "version (documents may name it; retire it instead)",
            "versions (documents may name them; retire them instead)",
        ),
    }];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("key", self.key.clone().into()),
            ("title", self.title.clone().into()),
            ("category", self.category.clone().into()),
            ("description", self.description.clone().into()),
        ]
    }

    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.key,
            self.title,
            self.category,
            self.description.as_deref().unwrap_or_default()
        )
    }
}

impl Resource for Clause {
    type Input = ClauseInput;
    type Filter = ClauseFilter;

    const READ: Action = Action::ReadCatalog;
    const CREATE: Action = Action::DraftClauses;
    const CHANGE: Action = Action::DraftClauses;

    fn input_id(input: &ClauseInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: ClauseInput,
        meta: Meta,
        current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let current_key = current.map(|c| c.key.as_str());
        let key = c.fixed_slug(
            "key",
            input.key,
            current_key,
            "templates name the clause by it",
        );
        let clause = Clause {
            meta,
            key,
            title: c.required_text("title", input.title, LINE_MAX),
            category: c.slug("category", input.category),
            description: c.text("description", input.description, TEXT_MAX),
        };
        c.finish()?;
        Ok(clause)
    }

    fn to_input(&self) -> ClauseInput {
        ClauseInput {
            id: Some(self.meta.id),
            key: Some(self.key.clone()),
            title: Some(self.title.clone()),
            category: Some(self.category.clone()),
            description: self.description.clone(),
        }
    }

    fn filters(f: &ClauseFilter) -> Vec<Filter> {
        Filters::new()
            .eq("key", f.key.clone())
            .eq("category", f.category.clone())
            .build()
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        crm::check_unique(tx, "clauses", "key", &self.key, self.meta.id, "a clause").await
    }
}

/// The clause `key` (or with that id).
pub async fn by_key(store: &Store, key: &str) -> Result<Clause, Error> {
    crate::crm::by_key(store, key).await
}
