//! Deals: what a rep is trying to sell to an account, with their stage
//! history.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::validate::{Check, LINE_MAX, TEXT_MAX, minor_units};
use super::{Resource, account_of, check_exists, owner};
use crate::auth::Actor;
use crate::error::{Error, FieldErrors};
use crate::store::records::{Dependent, Filter, Filters, Meta, Op, Record};
use crate::store::search::join_present;
use crate::store::{Amount, Date, Id, Sql, Store, Timestamp, Tx, Value};

crate::text_enum! {
    Stage {
        Lead = "lead",
        Qualified = "qualified",
        Proposal = "proposal",
        Negotiation = "negotiation",
        Won = "won",
        Lost = "lost",
    }
}

impl Stage {
    /// The built-in probability (percent) of a deal at this stage, until the
    /// settings say otherwise.
    pub fn default_probability(self) -> i64 {
        match self {
            Stage::Lead => 10,
            Stage::Qualified => 25,
            Stage::Proposal => 50,
            Stage::Negotiation => 75,
            Stage::Won => 100,
            Stage::Lost => 0,
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Deal {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub name: String,
    pub account_id: Id,
    pub primary_contact_id: Option<Id>,
    pub owner_id: Id,
    pub stage: Stage,
    pub amount: Option<Amount>,
    pub currency: Option<String>,
    /// The effective probability, percent.
    pub probability: i64,
    /// True while `probability` follows the stage's default.
    pub probability_is_default: bool,
    pub expected_close_date: Option<Date>,
    pub next_step: Option<String>,
    pub next_step_date: Option<Date>,
    pub lost_reason: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealInput {
    pub id: Option<Id>,
    pub name: Option<String>,
    pub account_id: Option<Id>,
    pub primary_contact_id: Option<Id>,
    pub owner_id: Option<Id>,
    pub stage: Option<Stage>,
    pub amount: Option<Amount>,
    pub currency: Option<String>,
    /// Percent, 0–100; absent or `null` follows the stage.
    pub probability: Option<i64>,
    pub expected_close_date: Option<Date>,
    pub next_step: Option<String>,
    pub next_step_date: Option<Date>,
    pub lost_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DealFilter {
    pub owner_id: Option<Id>,
    pub account_id: Option<Id>,
    pub stage: Option<Stage>,
    /// Expected to close on or before this date.
    #[param(value_type = Option<String>, format = Date)]
    pub closing_before: Option<Date>,
    /// Expected to close on or after this date.
    #[param(value_type = Option<String>, format = Date)]
    pub closing_after: Option<Date>,
}

impl Record for Deal {
    const TABLE: &'static str = "deals";
    const ENTITY: &'static str = "deal";
    const DEPENDENTS: &'static [Dependent] = &[
        Dependent {
            table: "activities",
            column: "deal_id",
            noun: ("activity", "activities"),
        },
        Dependent {
            table: "quotes",
            column: "deal_id",
            noun: ("quote", "quotes"),
        },
    ];
    const CASCADES: &'static [(&'static str, &'static str)] = &[
        ("profile_answers", "subject_id"),
        ("deal_stage_changes", "deal_id"),
        ("deal_contacts", "deal_id"),
    ];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("name", self.name.clone().into()),
            ("account_id", self.account_id.into()),
            ("primary_contact_id", self.primary_contact_id.into()),
            ("owner_id", self.owner_id.into()),
            ("stage", self.stage.into()),
            ("amount", self.amount.into()),
            ("currency", self.currency.clone().into()),
            ("probability", self.probability.into()),
            ("probability_is_default", self.probability_is_default.into()),
            ("expected_close_date", self.expected_close_date.into()),
            ("next_step", self.next_step.clone().into()),
            ("next_step_date", self.next_step_date.into()),
            ("lost_reason", self.lost_reason.clone().into()),
        ]
    }

    fn search_text(&self) -> String {
        join_present(&[
            Some(&self.name),
            self.next_step.as_deref(),
            self.lost_reason.as_deref(),
        ])
    }
}

impl Resource for Deal {
    type Input = DealInput;
    type Filter = DealFilter;

    fn input_id(input: &DealInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: DealInput,
        meta: Meta,
        current: Option<&Self>,
        actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let stage = input.stage.unwrap_or(Stage::Lead);
        let currency = c.currency("currency", input.currency);
        let amount = input.amount;
        if let Some(Amount(a)) = amount {
            if a < Decimal::ZERO {
                c.errors.add("amount", "must not be negative");
            }
            match &currency {
                None => c.errors.add("currency", "required when an amount is given"),
                Some(cur) if a.scale() > minor_units(cur) => c.errors.add(
                    "amount",
                    format!("{cur} has {} decimal places", minor_units(cur)),
                ),
                Some(_) => {}
            }
        }
        let probability = c.range("probability", input.probability, 0, 100);
        let deal = Deal {
            name: c.required_text("name", input.name, LINE_MAX),
            account_id: c
                .required("account_id", input.account_id)
                .unwrap_or_default(),
            primary_contact_id: input.primary_contact_id,
            owner_id: owner(&mut c, input.owner_id, current.is_some(), actor),
            stage,
            amount,
            currency,
            // A default is looked up in the settings by `prepare`.
            probability: probability.unwrap_or(stage.default_probability()),
            probability_is_default: probability.is_none(),
            expected_close_date: input.expected_close_date,
            next_step: c.text("next_step", input.next_step, LINE_MAX),
            next_step_date: input.next_step_date,
            lost_reason: c.text("lost_reason", input.lost_reason, TEXT_MAX),
            meta,
        };
        c.finish()?;
        Ok(deal)
    }

    fn to_input(&self) -> DealInput {
        DealInput {
            id: Some(self.meta.id),
            name: Some(self.name.clone()),
            account_id: Some(self.account_id),
            primary_contact_id: self.primary_contact_id,
            owner_id: Some(self.owner_id),
            stage: Some(self.stage),
            amount: self.amount,
            currency: self.currency.clone(),
            probability: (!self.probability_is_default).then_some(self.probability),
            expected_close_date: self.expected_close_date,
            next_step: self.next_step.clone(),
            next_step_date: self.next_step_date,
            lost_reason: self.lost_reason.clone(),
        }
    }

    fn filters(f: &DealFilter) -> Vec<Filter> {
        Filters::new()
            .eq("owner_id", f.owner_id)
            .eq("account_id", f.account_id)
            .eq("stage", f.stage)
            .op("expected_close_date", Op::Le, f.closing_before)
            .op("expected_close_date", Op::Ge, f.closing_after)
            .build()
    }

    fn owner(&self) -> Option<Id> {
        Some(self.owner_id)
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        if self.probability_is_default {
            self.probability = crate::settings::get_in(tx)
                .await?
                .document
                .probability(self.stage);
        }
        let mut errors = FieldErrors::new();
        check_exists(
            tx,
            &mut errors,
            "account_id",
            "accounts",
            Some(self.account_id),
        )
        .await?;
        if let Some(contact) = self.primary_contact_id {
            match account_of(tx, "contacts", contact).await? {
                None => errors.add("primary_contact_id", format!("{contact} does not exist")),
                Some(account_id) if account_id != Some(self.account_id) => {
                    errors.add(
                        "primary_contact_id",
                        "must be a contact of the deal's account",
                    );
                }
                Some(_) => {}
            }
        }
        errors.check()
    }

    async fn after_write(
        &self,
        tx: &mut Tx,
        previous: Option<&Self>,
        actor: &Actor,
    ) -> Result<(), Error> {
        let from = previous.map(|p| p.stage);
        if from == Some(self.stage) {
            return Ok(());
        }
        let mut sql = Sql::new(
            "INSERT INTO deal_stage_changes (id, deal_id, from_stage, to_stage, changed_at, changed_by) VALUES (",
        );
        sql.bind(Id::new())
            .push(", ")
            .bind(self.meta.id)
            .push(", ")
            .bind(Value::Text(from.map(|s| s.as_str().to_owned())))
            .push(", ")
            .bind(self.stage)
            .push(", ")
            .bind(self.meta.updated_at)
            .push(", ")
            .bind(actor.user_id)
            .push(")");
        tx.execute(&sql).await?;
        Ok(())
    }
}

/// One move of a deal from stage to stage; creation has no `from_stage`.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct StageChange {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_at: Timestamp,
    pub changed_by: Id,
}

/// The deal's stage changes, oldest first.
pub async fn stage_history(
    store: &Store,
    actor: &Actor,
    deal: Id,
) -> Result<Vec<StageChange>, Error> {
    crate::auth::policy::allow(actor, crate::auth::policy::Action::ReadCrm)?;
    super::get::<Deal>(store, deal).await?;
    let mut sql = Sql::new(
        "SELECT from_stage, to_stage, changed_at, changed_by FROM deal_stage_changes WHERE deal_id = ",
    );
    sql.bind(deal).push(" ORDER BY changed_at, id");
    Ok(store.fetch_all(&sql).await?)
}

/// A deal as a picker offers it: its name and its account's.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DealChoice {
    pub id: Id,
    pub name: String,
    pub account_name: String,
}

/// The `limit` deals changed most recently, newest first: the ones a
/// picker of sample deals offers.
pub async fn recently_updated(
    store: &Store,
    actor: &Actor,
    limit: u32,
) -> Result<Vec<DealChoice>, Error> {
    crate::auth::policy::allow(actor, crate::auth::policy::Action::ReadCrm)?;
    let mut sql = Sql::new(
        "SELECT d.id AS id, d.name AS name, a.name AS account_name FROM deals d \
         JOIN accounts a ON a.id = d.account_id ORDER BY d.updated_at DESC, d.id DESC LIMIT ",
    );
    sql.bind(i64::from(limit));
    Ok(store.fetch_all(&sql).await?)
}
