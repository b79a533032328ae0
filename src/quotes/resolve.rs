//! Pricing a quote's input against its price book: every field checked,
//! each product's price and tier found, then every figure computed by
//! [`pricing`](super::pricing).

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::pricing;
use super::record::{GroupTotal, LineInput, QuoteInput, QuoteLine, TaxTotal, Totals};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::catalog::price_books::{self, PriceBook};
use crate::catalog::products::Product;
use crate::crm::validate::{Check, LINE_MAX, TEXT_MAX};
use crate::error::{Error, FieldErrors};
use crate::store::records;
use crate::store::{Amount, Id, Sql, Store};

/// The most lines a quote holds.
const MAX_LINES: usize = 500;

/// What pricing an input gives: the lines, groups and totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    pub currency: String,
    pub lines: Vec<QuoteLine>,
    pub groups: Vec<GroupTotal>,
    pub totals: Totals,
}

/// Prices `input` against its price book: checks every field, resolves
/// each product's price (and tier), and computes every figure. Custom
/// lines are refused unless `custom_allowed`.
pub async fn price_input(
    store: &Store,
    input: &QuoteInput,
    custom_allowed: bool,
) -> Result<Figures, Error> {
    let mut c = Check::new();
    let book_id = c.required("price_book_id", input.price_book_id);
    let lines = input.lines.clone().unwrap_or_default();
    if lines.len() > MAX_LINES {
        c.errors.add("lines", format!("at most {MAX_LINES} lines"));
    }
    c.finish().map_err(Error::Validation)?;
    let Some(book_id) = book_id else {
        return Err(Error::invalid("price_book_id", "required"));
    };
    let book: PriceBook = records::get(store, book_id).await?.ok_or_else(|| {
        Error::invalid("price_book_id", format!("there is no price book {book_id}"))
    })?;
    let mut errors = FieldErrors::new();
    if !book.active {
        errors.add("price_book_id", "the price book is not active");
    }
    if let Some(currency) = &input.currency {
        let currency = currency.trim().to_uppercase();
        if iso_currency::Currency::from_code(&currency).is_none() {
            errors.add("currency", "must be an ISO 4217 currency code such as EUR");
        } else if currency != book.currency {
            errors.add(
                "price_book_id",
                format!(
                    "the price book is in {}, the quote in {currency}: choose a book in {currency}",
                    book.currency
                ),
            );
        }
    }
    let products = products_of(store, &lines).await?;

    let mut c = Check::new();
    let mut priced_inputs = Vec::with_capacity(lines.len());
    let mut resolved = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let at = |field: &str| format!("lines[{i}].{field}");
        let quantity = c.required(&at("quantity"), line.quantity).map(|a| a.0);
        if let Some(q) = quantity {
            price_books::check_figure(&mut c, &at("quantity"), q, true);
        }
        let discount = line.discount_percent.map_or(Decimal::ZERO, |a| a.0);
        percent(&mut c, &at("discount_percent"), discount);
        let tax_rate = line.tax_rate.map_or(Decimal::ZERO, |a| a.0);
        percent(&mut c, &at("tax_rate"), tax_rate);
        let group = c.text(&at("group"), line.group, LINE_MAX);
        let description = c.text(&at("description"), line.description, TEXT_MAX);
        let (product, list_price, unit_price) = match line.product_id {
            Some(product_id) => {
                let product = products.get(&product_id);
                let entry = book.entry(product_id);
                if line.unit_price.is_some() {
                    c.errors.add(
                        at("unit_price"),
                        "comes from the price book for a product; give a discount instead",
                    );
                }
                match (product, entry) {
                    (None, _) => {
                        c.errors.add(
                            at("product_id"),
                            format!("there is no product {product_id}"),
                        );
                        (None, Decimal::ZERO, Decimal::ZERO)
                    }
                    (Some(_), None) => {
                        c.errors.add(
                            at("product_id"),
                            format!("the price book `{}` does not price this product", book.name),
                        );
                        (None, Decimal::ZERO, Decimal::ZERO)
                    }
                    (Some(p), Some(_)) if !p.active => {
                        c.errors
                            .add(at("product_id"), format!("`{}` is not active", p.sku));
                        (None, Decimal::ZERO, Decimal::ZERO)
                    }
                    (Some(p), Some(entry)) => {
                        let tiers: Vec<pricing::Tier> = entry
                            .tiers
                            .iter()
                            .map(|t| pricing::Tier {
                                from_quantity: t.from_quantity.0,
                                unit_price: t.unit_price.0,
                            })
                            .collect();
                        let list = entry.unit_price.0;
                        let unit =
                            pricing::tier_price(list, &tiers, quantity.unwrap_or(Decimal::ONE));
                        (Some(p), list, unit)
                    }
                }
            }
            None => {
                if !custom_allowed {
                    c.errors.add(
                        at("product_id"),
                        "required: your role quotes products from the price book only",
                    );
                }
                if description.is_none() {
                    c.errors
                        .add(at("description"), "required for a line without a product");
                }
                let price = c.required(&at("unit_price"), line.unit_price).map(|a| a.0);
                if let Some(p) = price {
                    price_books::check_figure(&mut c, &at("unit_price"), p, false);
                }
                let price = price.unwrap_or_default();
                (None, price, price)
            }
        };
        priced_inputs.push(pricing::LineInput {
            quantity: quantity.unwrap_or(Decimal::ONE),
            list_price,
            unit_price,
            discount_percent: discount,
            tax_rate,
            group: group.clone(),
        });
        resolved.push((line.product_id, product.cloned(), description, group));
    }
    let discount = input.discount_percent.map_or(Decimal::ZERO, |a| a.0);
    percent(&mut c, "discount_percent", discount);
    for (field, problem) in errors.iter() {
        c.errors.add(field, problem);
    }
    c.finish().map_err(Error::Validation)?;

    let minor_units = pricing::minor_units(&book.currency).unwrap_or(2);
    let priced = pricing::price(&pricing::QuoteInput {
        minor_units,
        lines: priced_inputs.clone(),
        discount_percent: discount,
    })
    .map_err(|pricing::PricingError::Invalid { field, problem }| Error::invalid(field, problem))?;
    let lines = resolved
        .into_iter()
        .zip(priced_inputs)
        .zip(priced.lines)
        .map(
            |(((product_id, product, description, group), given), figures)| QuoteLine {
                product_id,
                sku: product.as_ref().map(|p| p.sku.clone()),
                description: description
                    .or_else(|| product.as_ref().map(|p| p.name.clone()))
                    .unwrap_or_default(),
                unit: product.as_ref().map(|p| p.unit.clone()),
                quantity: Amount(given.quantity),
                list_price: Amount(given.list_price),
                unit_price: Amount(given.unit_price),
                discount_percent: Amount(given.discount_percent),
                tax_rate: Amount(given.tax_rate),
                group,
                list: Amount(figures.list),
                gross: Amount(figures.gross),
                discount: Amount(figures.discount),
                net: Amount(figures.net),
                quote_discount: Amount(figures.quote_discount),
                taxable: Amount(figures.taxable),
            },
        )
        .collect();
    let t = priced.totals;
    Ok(Figures {
        currency: book.currency,
        lines,
        groups: priced
            .groups
            .into_iter()
            .map(|g| GroupTotal {
                name: g.name,
                net: Amount(g.net),
            })
            .collect(),
        totals: Totals {
            list_total: Amount(t.list_total),
            subtotal: Amount(t.subtotal),
            quote_discount: Amount(t.quote_discount),
            net_total: Amount(t.net_total),
            discount_total: Amount(t.discount_total),
            taxes: t
                .taxes
                .into_iter()
                .map(|x| TaxTotal {
                    rate: Amount(x.rate),
                    base: Amount(x.base),
                    amount: Amount(x.amount),
                })
                .collect(),
            tax_total: Amount(t.tax_total),
            total: Amount(t.total),
            effective_discount_percent: Amount(t.effective_discount_percent),
        },
    })
}

fn percent(c: &mut Check, field: &str, value: Decimal) {
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        c.errors.add(field, "must be a percentage from 0 to 100");
    }
}

/// The products the lines name, by id.
async fn products_of(store: &Store, lines: &[LineInput]) -> Result<HashMap<Id, Product>, Error> {
    let ids: HashSet<Id> = lines.iter().filter_map(|l| l.product_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // One query for all of them: a preview is priced at every keystroke.
    let mut sql = Sql::new("SELECT * FROM products WHERE id IN (");
    sql.bind_list(ids).push(")");
    Ok(store
        .fetch_all::<Product>(&sql)
        .await?
        .into_iter()
        .map(|p| (p.meta.id, p))
        .collect())
}

/// Whether `actor`'s role may write lines without a product.
pub(super) fn may_write_custom_lines(actor: &Actor) -> bool {
    policy::require(actor, Action::WriteCatalog).is_ok()
}
