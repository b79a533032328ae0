//! Price books: one currency each, and per product a unit price with
//! optional volume tiers (from a quantity on, another unit price).

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::crm::validate::{Check, LINE_MAX};
use crate::crm::{self, Resource};
use crate::error::{Error, FieldErrors};
use crate::store::records::{Filter, Filters, Meta, Record};
use crate::store::{Amount, Id, JsonText, Sql, Tx, Value};

/// The most entries a book holds, and tiers an entry.
const MAX_ENTRIES: usize = 10_000;
const MAX_TIERS: usize = 20;
/// The largest price or quantity, and the most decimals one may have: a
/// unit price can be finer than the currency (0.0125 a message).
pub const MAX_FIGURE: i64 = 1_000_000_000_000;
pub const MAX_DECIMALS: u32 = 6;

/// From `from_quantity` units on, each costs `unit_price`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub from_quantity: Amount,
    pub unit_price: Amount,
}

/// A product's price in a book.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub product_id: Id,
    /// The list price of one unit.
    pub unit_price: Amount,
    /// Ascending by `from_quantity`.
    #[serde(default)]
    pub tiers: Vec<Tier>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct PriceBook {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// Unique.
    pub name: String,
    /// ISO 4217; every price in the book is in it.
    pub currency: String,
    pub active: bool,
    #[schema(value_type = Vec<Entry>)]
    pub entries: JsonText<Vec<Entry>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceBookInput {
    pub id: Option<Id>,
    pub name: Option<String>,
    pub currency: Option<String>,
    pub active: Option<bool>,
    pub entries: Option<Vec<Entry>>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PriceBookFilter {
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "crate::input::bool_param")]
    pub active: Option<bool>,
}

impl Record for PriceBook {
    const TABLE: &'static str = "price_books";
    const ENTITY: &'static str = "price book";
    const DEPENDENTS: &'static [crate::store::records::Dependent] =
        &[crate::store::records::Dependent {
            table: "quotes",
            column: "price_book_id",
            noun: (
                "quote (deactivate the book instead)",
                "quotes (deactivate the book instead)",
            ),
        }];
    const CASCADES: &'static [(&'static str, &'static str)] =
        &[("price_book_entries", "price_book_id")];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("name", self.name.clone().into()),
            ("currency", self.currency.clone().into()),
            ("active", self.active.into()),
            ("entries", Value::from(&self.entries)),
        ]
    }

    fn search_text(&self) -> String {
        format!("{} {}", self.name, self.currency)
    }
}

impl PriceBook {
    /// The entry for `product`, if the book prices it.
    pub fn entry(&self, product: Id) -> Option<&Entry> {
        self.entries.0.iter().find(|e| e.product_id == product)
    }
}

/// Checks a price or a quantity: not negative (a quantity above 0), not
/// absurdly large, at most [`MAX_DECIMALS`] decimals.
pub fn check_figure(c: &mut Check, field: &str, value: Decimal, positive: bool) {
    if positive && value <= Decimal::ZERO {
        c.errors.add(field, "must be greater than 0");
    } else if value < Decimal::ZERO {
        c.errors.add(field, "must not be negative");
    } else if value > Decimal::from(MAX_FIGURE) {
        c.errors.add(field, format!("must be at most {MAX_FIGURE}"));
    } else if value.normalize().scale() > MAX_DECIMALS {
        c.errors
            .add(field, format!("may have at most {MAX_DECIMALS} decimals"));
    }
}

/// Checks one entry (at `field`, e.g. `entries[3]`): its prices and its
/// tiers, which must rise in quantity.
pub fn check_entry(c: &mut Check, field: &str, entry: &mut Entry) {
    check_figure(c, &format!("{field}.unit_price"), entry.unit_price.0, false);
    if entry.tiers.len() > MAX_TIERS {
        c.errors.add(
            format!("{field}.tiers"),
            format!("at most {MAX_TIERS} tiers"),
        );
    }
    let mut previous: Option<Decimal> = None;
    for (j, tier) in entry.tiers.iter().enumerate() {
        let at = format!("{field}.tiers[{j}]");
        check_figure(
            c,
            &format!("{at}.from_quantity"),
            tier.from_quantity.0,
            true,
        );
        check_figure(c, &format!("{at}.unit_price"), tier.unit_price.0, false);
        if previous.is_some_and(|p| tier.from_quantity.0 <= p) {
            c.errors.add(
                format!("{at}.from_quantity"),
                "must be larger than the tier before",
            );
        }
        previous = Some(tier.from_quantity.0);
    }
}

impl Resource for PriceBook {
    type Input = PriceBookInput;
    type Filter = PriceBookFilter;

    const READ: Action = Action::ReadCatalog;
    const CREATE: Action = Action::WriteCatalog;
    const CHANGE: Action = Action::WriteCatalog;

    fn input_id(input: &PriceBookInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: PriceBookInput,
        meta: Meta,
        current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let name = c.required_text("name", input.name, LINE_MAX);
        let currency = c.required("currency", input.currency);
        let currency = c.currency("currency", currency).unwrap_or_default();
        if let Some(current) = current
            && !currency.is_empty()
            && current.currency != currency
        {
            c.errors.add(
                "currency",
                "cannot be changed: its prices are in it; make a new book",
            );
        }
        let mut entries = input.entries.unwrap_or_default();
        if entries.len() > MAX_ENTRIES {
            c.errors
                .add("entries", format!("at most {MAX_ENTRIES} entries"));
        }
        let mut seen = HashSet::new();
        for (i, entry) in entries.iter_mut().enumerate() {
            let field = format!("entries[{i}]");
            if !seen.insert(entry.product_id) {
                c.errors.add(
                    format!("{field}.product_id"),
                    "is priced by an entry before",
                );
            }
            check_entry(&mut c, &field, entry);
        }
        c.finish()?;
        Ok(PriceBook {
            meta,
            name,
            currency,
            active: input.active.unwrap_or(true),
            entries: JsonText(entries),
        })
    }

    fn to_input(&self) -> PriceBookInput {
        PriceBookInput {
            id: Some(self.meta.id),
            name: Some(self.name.clone()),
            currency: Some(self.currency.clone()),
            active: Some(self.active),
            entries: Some(self.entries.0.clone()),
        }
    }

    fn filters(f: &PriceBookFilter) -> Vec<Filter> {
        Filters::new()
            .eq("currency", f.currency.as_deref().map(str::to_uppercase))
            .eq("active", f.active)
            .build()
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        crm::check_unique(
            tx,
            "price_books",
            "name",
            &self.name,
            self.meta.id,
            "a price book",
        )
        .await?;
        if self.entries.0.is_empty() {
            return Ok(());
        }
        // One query for every product named, not one an entry: a book
        // imported from CSV may have thousands.
        #[derive(sqlx::FromRow)]
        struct Known {
            id: Id,
        }
        let mut sql = Sql::new("SELECT id FROM products WHERE id IN (");
        sql.bind_list(self.entries.0.iter().map(|e| e.product_id))
            .push(")");
        let known: HashSet<Id> = tx
            .fetch_all::<Known>(&sql)
            .await?
            .into_iter()
            .map(|k| k.id)
            .collect();
        let mut errors = FieldErrors::new();
        for (i, entry) in self.entries.0.iter().enumerate() {
            if !known.contains(&entry.product_id) {
                errors.add(
                    format!("entries[{i}].product_id"),
                    format!("there is no product {}", entry.product_id),
                );
            }
        }
        errors.check()
    }

    async fn after_write(
        &self,
        tx: &mut Tx,
        _previous: Option<&Self>,
        _actor: &Actor,
    ) -> Result<(), Error> {
        // The rows beside the record keep products a book prices from
        // being deleted.
        let mut clear = Sql::new("DELETE FROM price_book_entries WHERE price_book_id = ");
        clear.bind(self.meta.id);
        tx.execute(&clear).await?;
        // Many rows a statement, within every backend's limit on values.
        for chunk in self.entries.0.chunks(1000) {
            let mut sql = Sql::new(
                "INSERT INTO price_book_entries (price_book_id, product_id, unit_price) VALUES ",
            );
            for (i, entry) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" })
                    .bind(self.meta.id)
                    .push(", ")
                    .bind(entry.product_id)
                    .push(", ")
                    .bind(entry.unit_price)
                    .push(")");
            }
            tx.execute(&sql).await?;
        }
        Ok(())
    }
}
