//! The catalogue as CSV, for spreadsheets: products (imported by SKU, new
//! ones created and known ones changed) and a price book's entries (the
//! file is the book's whole price list).
//!
//! An import is all or nothing: every row is checked first, and one bad
//! row refuses the file with each problem named by its row (the header is
//! row 1, as a spreadsheet counts) and column: `rows[3].unit_price`.
//!
//! A cell a spreadsheet would run as a formula (starting `=`, `+`, `-`,
//! `@`) is written with a `'` before it, which the import takes off again:
//! a product name is never a formula on someone's machine.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::price_books::{self, Entry, PriceBook, Tier};
use super::products::{Product, ProductInput};
use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::validate::Check;
use crate::error::{Error, FieldErrors};
use crate::store::records::{self, Meta, Updated};
use crate::store::{Amount, Id, Sql, Store};

/// The most rows one file may hold.
const MAX_ROWS: usize = 10_000;
/// What makes a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub const PRODUCT_COLUMNS: [&str; 6] = ["sku", "name", "description", "unit", "category", "active"];
pub const ENTRY_COLUMNS: [&str; 3] = ["sku", "unit_price", "tiers"];

/// What a product import did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ProductImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Every product, by SKU, as CSV with [`PRODUCT_COLUMNS`].
pub async fn export_products(store: &Store, actor: &Actor) -> Result<String, Error> {
    policy::allow(actor, Action::ReadCatalog)?;
    let products = store
        .fetch_all::<Product>(&Sql::new("SELECT * FROM products ORDER BY sku"))
        .await?;
    write(
        &PRODUCT_COLUMNS,
        products.iter().map(|p| {
            vec![
                p.sku.clone(),
                p.name.clone(),
                p.description.clone().unwrap_or_default(),
                p.unit.clone(),
                p.category.clone().unwrap_or_default(),
                p.active.to_string(),
            ]
        }),
    )
}

/// Creates the products of `csv` whose SKU is new and changes those it
/// knows; nothing when any row is wrong.
pub async fn import_products(
    store: &Store,
    actor: &Actor,
    csv: &str,
) -> Result<ProductImport, Error> {
    policy::allow(actor, Action::WriteCatalog)?;
    let rows = read(csv, &PRODUCT_COLUMNS, &["sku", "name"])?;
    let mut errors = FieldErrors::new();
    let mut seen = HashSet::new();
    let mut products = Vec::with_capacity(rows.len());
    for row in &rows {
        let input = ProductInput {
            id: None,
            sku: row.get("sku"),
            name: row.get("name"),
            description: row.get("description"),
            unit: row.get("unit"),
            category: row.get("category"),
            active: row.flag("active", &mut errors),
        };
        match Product::from_input(input, Meta::new(None)) {
            Ok(product) => {
                if !seen.insert(product.sku.clone()) {
                    errors.add(row.field("sku"), "is on an earlier row too");
                }
                products.push(product);
            }
            Err(problems) => row.add_all(&mut errors, problems),
        }
    }
    errors.check()?;

    let mut report = ProductImport::default();
    let mut tx = store.begin().await?;
    for mut product in products {
        let mut sql = Sql::new("SELECT * FROM products WHERE sku = ");
        sql.bind(product.sku.as_str());
        match tx.fetch_optional::<Product>(&sql).await? {
            None => {
                records::insert(&mut tx, &product).await?;
                audit::record_change(&mut tx, actor, None, Some(&product), audit::Changes::new())
                    .await?;
                report.created += 1;
            }
            Some(current) => {
                product.meta = current.meta.clone();
                if same_product(&current, &product) {
                    report.unchanged += 1;
                    continue;
                }
                if !matches!(records::update(&mut tx, &mut product).await?, Updated::Done) {
                    return Err(Error::conflict(format!(
                        "product `{}` was changed during the import; import again",
                        product.sku
                    )));
                }
                audit::record_change(
                    &mut tx,
                    actor,
                    Some(&current),
                    Some(&product),
                    audit::Changes::new(),
                )
                .await?;
                report.updated += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

fn same_product(a: &Product, b: &Product) -> bool {
    (&a.name, &a.description, &a.unit, &a.category, a.active)
        == (&b.name, &b.description, &b.unit, &b.category, b.active)
}

/// Price book `id`'s entries as CSV with [`ENTRY_COLUMNS`]; tiers are
/// written `10:90.00;50:80.00` (from this quantity on, this unit price).
pub async fn export_entries(store: &Store, actor: &Actor, id: Id) -> Result<String, Error> {
    let book: PriceBook = crate::crm::get_checked(store, actor, id).await?;
    let skus = skus_by_id(store).await?;
    write(
        &ENTRY_COLUMNS,
        book.entries.0.iter().map(|e| {
            vec![
                skus.get(&e.product_id).cloned().unwrap_or_default(),
                e.unit_price.0.to_string(),
                e.tiers
                    .iter()
                    .map(|t| format!("{}:{}", t.from_quantity.0, t.unit_price.0))
                    .collect::<Vec<_>>()
                    .join(";"),
            ]
        }),
    )
}

/// Replaces price book `id`'s entries with those of `csv`; nothing when
/// any row is wrong. `version` is the book's version read, as for a PATCH.
pub async fn import_entries(
    store: &Store,
    actor: &Actor,
    id: Id,
    version: i64,
    csv: &str,
) -> Result<PriceBook, Error> {
    policy::allow(actor, Action::WriteCatalog)?;
    let rows = read(csv, &ENTRY_COLUMNS, &["sku", "unit_price"])?;
    let ids: HashMap<String, Id> = skus_by_id(store)
        .await?
        .into_iter()
        .map(|(id, sku)| (sku, id))
        .collect();
    let mut errors = FieldErrors::new();
    let mut seen = HashSet::new();
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let sku = row.get("sku").unwrap_or_default();
        let product_id = ids.get(&sku).copied();
        if product_id.is_none() {
            errors.add(row.field("sku"), format!("there is no product `{sku}`"));
        } else if !seen.insert(sku.clone()) {
            errors.add(row.field("sku"), "is on an earlier row too");
        }
        let unit_price = row.decimal("unit_price", &mut errors);
        let tiers = row.tiers("tiers", &mut errors);
        if let (Some(product_id), Some(unit_price), Some(tiers)) = (product_id, unit_price, tiers) {
            let mut entry = Entry {
                product_id,
                unit_price: Amount(unit_price),
                tiers,
            };
            let mut c = Check::new();
            price_books::check_entry(&mut c, "", &mut entry);
            if let Err(problems) = c.finish() {
                row.add_all(&mut errors, problems);
            }
            entries.push(entry);
        }
    }
    errors.check()?;
    let entries = serde_json::to_value(entries).map_err(|e| Error::Internal(e.to_string()))?;
    let mut patch = serde_json::Map::new();
    patch.insert("entries".into(), entries);
    patch.insert("version".into(), version.into());
    crate::crm::update::<PriceBook>(store, actor, id, patch).await
}

async fn skus_by_id(store: &Store) -> Result<HashMap<Id, String>, Error> {
    #[derive(sqlx::FromRow)]
    struct Sku {
        id: Id,
        sku: String,
    }
    Ok(store
        .fetch_all::<Sku>(&Sql::new("SELECT id, sku FROM products"))
        .await?
        .into_iter()
        .map(|s| (s.id, s.sku))
        .collect())
}

/// One data row: its spreadsheet row number and its cells by column.
struct Row {
    number: usize,
    cells: HashMap<String, String>,
}

impl Row {
    fn field(&self, column: &str) -> String {
        format!("rows[{}].{column}", self.number)
    }

    /// The cell, trimmed and without the quote that kept it from being a
    /// formula; `None` when empty.
    fn get(&self, column: &str) -> Option<String> {
        self.cells
            .get(column)
            .map(|v| v.trim())
            .map(|v| match v.strip_prefix('\'') {
                Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
                _ => v,
            })
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    fn flag(&self, column: &str, errors: &mut FieldErrors) -> Option<bool> {
        match self.get(column)?.to_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            other => {
                errors.add(
                    self.field(column),
                    format!("must be true or false, not `{other}`"),
                );
                None
            }
        }
    }

    fn decimal(&self, column: &str, errors: &mut FieldErrors) -> Option<Decimal> {
        let text = self.get(column)?;
        match text.parse::<Decimal>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(
                    self.field(column),
                    format!(
                        "`{text}` is not a number (write 1250.50, without thousands separators)"
                    ),
                );
                None
            }
        }
    }

    /// `10:90.00;50:80.00`; empty is no tiers.
    fn tiers(&self, column: &str, errors: &mut FieldErrors) -> Option<Vec<Tier>> {
        let Some(text) = self.get(column) else {
            return Some(Vec::new());
        };
        let mut tiers = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let parsed = part.split_once(':').and_then(|(q, p)| {
                Some(Tier {
                    from_quantity: Amount(q.trim().parse().ok()?),
                    unit_price: Amount(p.trim().parse().ok()?),
                })
            });
            match parsed {
                Some(tier) => tiers.push(tier),
                None => {
                    errors.add(
                        self.field(column),
                        format!("`{part}` is not FROM_QUANTITY:UNIT_PRICE (e.g. 10:90.00)"),
                    );
                    return None;
                }
            }
        }
        Some(tiers)
    }

    /// Problems found by a record's checks, moved onto this row. Nested
    /// names (`.tiers[0].unit_price`) keep their path.
    fn add_all(&self, errors: &mut FieldErrors, problems: FieldErrors) {
        for (field, problem) in problems.iter() {
            let column = field.trim_start_matches('.');
            errors.add(self.field(column), problem);
        }
    }
}

/// The rows of `csv` (UTF-8, comma separated, a header row naming columns
/// of `known`, which must include `required`).
fn read(csv: &str, known: &[&str], required: &[&str]) -> Result<Vec<Row>, Error> {
    let csv = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid("rows[1]", e.to_string()))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut errors = FieldErrors::new();
    for column in &header {
        if !known.contains(&column.as_str()) {
            errors.add(
                format!("rows[1].{column}"),
                format!("is not a column; the columns are {}", known.join(", ")),
            );
        }
    }
    for column in required {
        if !header.iter().any(|h| h == column) {
            errors.add(format!("rows[1].{column}"), "this column is required");
        }
    }
    errors.check()?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        let record = record.map_err(|e| {
            Error::invalid(format!("rows[{number}]"), format!("cannot be read: {e}"))
        })?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(Error::invalid(
                "rows",
                format!("a file may hold at most {MAX_ROWS} rows"),
            ));
        }
        rows.push(Row {
            number,
            cells: header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect(),
        });
    }
    if rows.is_empty() {
        return Err(Error::invalid("rows", "the file holds no rows"));
    }
    Ok(rows)
}

/// `rows` under `columns` as CSV.
fn write(columns: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<String, Error> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let fail = |e: ::csv::Error| Error::Internal(format!("writing CSV: {e}"));
    writer.write_record(columns).map_err(fail)?;
    for row in rows {
        let row = row.into_iter().map(|cell| {
            if cell.starts_with(FORMULA_STARTS) {
                format!("'{cell}")
            } else {
                cell
            }
        });
        writer.write_record(row).map_err(fail)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))
}
