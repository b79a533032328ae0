//! A quote as it is stored and answered: its input, its priced lines and
//! totals, its approval, and what may reach a customer.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store::records::{Meta, Record};
use crate::store::{Amount, Date, Id, JsonText, Timestamp, Value};

crate::text_enum! {
    /// Where a quote stands.
    QuoteStatus {
        Draft = "draft",
        PendingApproval = "pending_approval",
        Approved = "approved",
        Rejected = "rejected",
        Sent = "sent",
        Expired = "expired",
    }
}

/// A line as the client writes it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// A product of the quote's price book; without one the line is custom
    /// (managers and admins), and needs `description` and `unit_price`.
    pub product_id: Option<Id>,
    /// Defaults to the product's name.
    pub description: Option<String>,
    pub quantity: Option<Amount>,
    /// Custom lines only: a product's comes from the book (or its tier).
    pub unit_price: Option<Amount>,
    /// Percent, 0–100; default 0.
    pub discount_percent: Option<Amount>,
    /// Percent, 0–100 (19, 9.975); default 0.
    pub tax_rate: Option<Amount>,
    /// The group (section) whose subtotal the line counts towards.
    pub group: Option<String>,
}

/// A quote as the client writes it; also the body of `POST /quotes/preview`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    pub id: Option<Id>,
    pub deal_id: Option<Id>,
    pub price_book_id: Option<Id>,
    /// ISO 4217; must be the price book's (the default).
    pub currency: Option<String>,
    pub lines: Option<Vec<LineInput>>,
    /// Percent, 0–100, over the whole quote; default 0.
    pub discount_percent: Option<Amount>,
    pub valid_until: Option<Date>,
    pub payment_terms: Option<String>,
    pub notes: Option<String>,
}

/// A priced line: what was asked, the prices it got and its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuoteLine {
    pub product_id: Option<Id>,
    pub sku: Option<String>,
    pub description: String,
    pub unit: Option<String>,
    pub quantity: Amount,
    /// The book's price of one unit (a custom line's own).
    pub list_price: Amount,
    /// The price charged for one unit: the list price or its volume tier.
    pub unit_price: Amount,
    pub discount_percent: Amount,
    pub tax_rate: Amount,
    pub group: Option<String>,
    /// quantity × list price.
    pub list: Amount,
    /// quantity × unit price.
    pub gross: Amount,
    /// The line discount.
    pub discount: Amount,
    /// gross less the line discount: what the line shows.
    pub net: Amount,
    /// The line's share of the quote discount.
    pub quote_discount: Amount,
    /// net less that share: what its tax is charged on.
    pub taxable: Amount,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupTotal {
    pub name: String,
    pub net: Amount,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaxTotal {
    pub rate: Amount,
    pub base: Amount,
    pub amount: Amount,
}

/// Every total of a quote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    pub list_total: Amount,
    /// Σ line nets.
    pub subtotal: Amount,
    pub quote_discount: Amount,
    /// subtotal − quote discount.
    pub net_total: Amount,
    /// list total − net total: all the customer saves against list.
    pub discount_total: Amount,
    pub taxes: Vec<TaxTotal>,
    pub tax_total: Amount,
    pub total: Amount,
    /// discount total ÷ list total, percent, 2 decimals: what approval
    /// compares with the thresholds.
    pub effective_discount_percent: Amount,
}

/// A manager's decision on a quote submitted for approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Approval {
    pub submitted_by: Id,
    pub submitted_at: Timestamp,
    pub decided_by: Option<Id>,
    pub decided_at: Option<Timestamp>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Quote {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub deal_id: Id,
    /// The deal's owner when the quote was made: whose quote it is.
    pub owner_id: Id,
    pub price_book_id: Id,
    pub currency: String,
    pub status: QuoteStatus,
    /// 1 for the first quote of a chain, then one more per `duplicate`.
    pub revision: i64,
    /// The first revision's id; every revision of the quote shares it.
    pub chain_id: Id,
    #[schema(value_type = Vec<QuoteLine>)]
    pub lines: JsonText<Vec<QuoteLine>>,
    pub discount_percent: Amount,
    pub valid_until: Option<Date>,
    pub payment_terms: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Vec<GroupTotal>)]
    pub groups: JsonText<Vec<GroupTotal>>,
    #[schema(value_type = Totals)]
    pub totals: JsonText<Totals>,
    /// The owner's approval threshold, percent, when the quote was priced.
    pub approval_threshold: Amount,
    /// Whether the effective discount is over it: such a quote reaches a
    /// customer only once approved.
    pub needs_approval: bool,
    #[schema(value_type = Option<Approval>)]
    pub approval: Option<JsonText<Approval>>,
    pub sent_at: Option<Timestamp>,
    pub sent_by: Option<Id>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuoteFilter {
    pub deal_id: Option<Id>,
    pub owner_id: Option<Id>,
    pub status: Option<QuoteStatus>,
    pub chain_id: Option<Id>,
}

impl Record for Quote {
    const TABLE: &'static str = "quotes";
    const ENTITY: &'static str = "quote";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("deal_id", self.deal_id.into()),
            ("owner_id", self.owner_id.into()),
            ("price_book_id", self.price_book_id.into()),
            ("currency", self.currency.clone().into()),
            ("status", self.status.into()),
            ("revision", self.revision.into()),
            ("chain_id", self.chain_id.into()),
            ("lines", Value::from(&self.lines)),
            ("discount_percent", self.discount_percent.into()),
            ("valid_until", self.valid_until.into()),
            ("payment_terms", self.payment_terms.clone().into()),
            ("notes", self.notes.clone().into()),
            ("groups", Value::from(&self.groups)),
            ("totals", Value::from(&self.totals)),
            ("approval_threshold", self.approval_threshold.into()),
            ("needs_approval", self.needs_approval.into()),
            (
                "approval",
                self.approval
                    .as_ref()
                    .map_or(Value::Text(None), Value::from),
            ),
            ("sent_at", self.sent_at.into()),
            ("sent_by", self.sent_by.into()),
        ]
    }

    fn search_text(&self) -> String {
        let lines: Vec<&str> = self
            .lines
            .0
            .iter()
            .map(|l| l.description.as_str())
            .collect();
        format!("{} {}", self.currency, lines.join(" "))
    }
}

impl Quote {
    /// Whether the quote may go to a customer today: approved or sent, or
    /// within its owner's threshold and not waiting for a decision; and
    /// not past its validity date. `Err` says why not.
    pub fn customer_ready(&self, today: chrono::NaiveDate) -> Result<(), String> {
        if let Some(Date(until)) = self.valid_until
            && until < today
        {
            return Err(format!(
                "quote revision {} expired on {until}: duplicate it for a new revision",
                self.revision
            ));
        }
        match self.status {
            QuoteStatus::Approved | QuoteStatus::Sent => Ok(()),
            QuoteStatus::Expired => Err(format!(
                "quote revision {} has expired: duplicate it for a new revision",
                self.revision
            )),
            QuoteStatus::PendingApproval => Err("the quote is waiting for approval".to_owned()),
            QuoteStatus::Draft | QuoteStatus::Rejected if self.needs_approval => Err(format!(
                "its effective discount, {}%, is over the owner's threshold of {}%: submit it for approval",
                self.totals.0.effective_discount_percent.0, self.approval_threshold.0
            )),
            QuoteStatus::Rejected => Err("the quote was rejected: change it first".to_owned()),
            QuoteStatus::Draft => Ok(()),
        }
    }
}

impl Quote {
    /// The quote as an input, the base a PATCH is merged onto (and what a
    /// duplicate starts from).
    pub fn to_input(&self) -> QuoteInput {
        QuoteInput {
            id: Some(self.meta.id),
            deal_id: Some(self.deal_id),
            price_book_id: Some(self.price_book_id),
            currency: Some(self.currency.clone()),
            lines: Some(
                self.lines
                    .0
                    .iter()
                    .map(|l| LineInput {
                        product_id: l.product_id,
                        description: Some(l.description.clone()),
                        quantity: Some(l.quantity),
                        unit_price: l.product_id.is_none().then_some(l.unit_price),
                        discount_percent: Some(l.discount_percent),
                        tax_rate: Some(l.tax_rate),
                        group: l.group.clone(),
                    })
                    .collect(),
            ),
            discount_percent: Some(self.discount_percent),
            valid_until: self.valid_until,
            payment_terms: self.payment_terms.clone(),
            notes: self.notes.clone(),
        }
    }
}
