//! Products: what quotes sell, by SKU.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::crm::validate::{Check, LINE_MAX, TEXT_MAX};
use crate::crm::{self, Resource};
use crate::error::{Error, FieldErrors};
use crate::store::records::{Dependent, Filter, Filters, Meta, Record};
use crate::store::{Id, Tx, Value};

/// The longest SKU.
const SKU_MAX: usize = 64;

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Product {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// Unique; letters, digits and `-`, `_`, `.`, `/`.
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    /// What one of it is: `license`, `hour`, `seat`; `unit` by default.
    pub unit: String,
    pub category: Option<String>,
    /// An inactive product stays on the quotes that have it, and no new
    /// line can take it.
    pub active: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub id: Option<Id>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductFilter {
    pub sku: Option<String>,
    pub category: Option<String>,
    #[serde(default, deserialize_with = "crate::input::bool_param")]
    pub active: Option<bool>,
}

impl Record for Product {
    const TABLE: &'static str = "products";
    const ENTITY: &'static str = "product";
    const DEPENDENTS: &'static [Dependent] = &[Dependent {
        table: "price_book_entries",
        column: "product_id",
        noun: (
            "price book entry (deactivate the product instead)",
            "price book entries (deactivate the product instead)",
        ),
    }];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("sku", self.sku.clone().into()),
            ("name", self.name.clone().into()),
            ("description", self.description.clone().into()),
            ("unit", self.unit.clone().into()),
            ("category", self.category.clone().into()),
            ("active", self.active.into()),
        ]
    }

    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.sku,
            self.name,
            self.category.as_deref().unwrap_or_default(),
            self.description.as_deref().unwrap_or_default()
        )
    }
}

impl Product {
    /// Checks `input` into a product; what a create, a PATCH and a CSV row
    /// share.
    pub fn from_input(input: ProductInput, meta: Meta) -> Result<Product, FieldErrors> {
        let mut c = Check::new();
        let sku = c.required_text("sku", input.sku, SKU_MAX);
        if !sku.is_empty()
            && !sku
                .chars()
                .all(|ch| ch.is_alphanumeric() || "-_./".contains(ch))
        {
            c.errors.add(
                "sku",
                "may hold letters, digits, `-`, `_`, `.` and `/` only",
            );
        }
        let product = Product {
            meta,
            sku,
            name: c.required_text("name", input.name, LINE_MAX),
            description: c.text("description", input.description, TEXT_MAX),
            unit: c
                .text("unit", input.unit, LINE_MAX)
                .unwrap_or_else(|| "unit".to_owned()),
            category: c.text("category", input.category, LINE_MAX),
            active: input.active.unwrap_or(true),
        };
        c.finish()?;
        Ok(product)
    }
}

impl Resource for Product {
    type Input = ProductInput;
    type Filter = ProductFilter;

    const READ: Action = Action::ReadCatalog;
    const CREATE: Action = Action::WriteCatalog;
    const CHANGE: Action = Action::WriteCatalog;

    fn input_id(input: &ProductInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: ProductInput,
        meta: Meta,
        _current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        Product::from_input(input, meta)
    }

    fn to_input(&self) -> ProductInput {
        ProductInput {
            id: Some(self.meta.id),
            sku: Some(self.sku.clone()),
            name: Some(self.name.clone()),
            description: self.description.clone(),
            unit: Some(self.unit.clone()),
            category: self.category.clone(),
            active: Some(self.active),
        }
    }

    fn filters(f: &ProductFilter) -> Vec<Filter> {
        Filters::new()
            .eq("sku", f.sku.clone())
            .eq("category", f.category.clone())
            .eq("active", f.active)
            .build()
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        crm::check_unique(tx, "products", "sku", &self.sku, self.meta.id, "a product").await
    }
}
