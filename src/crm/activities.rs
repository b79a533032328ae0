//! Activities: calls, meetings, emails and notes, linked to an account, a
//! contact and/or a deal.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::validate::{Check, LINE_MAX, TEXT_MAX};
use super::{Resource, account_of, check_exists, owner};
use crate::auth::Actor;
use crate::error::{Error, FieldErrors};
use crate::store::records::{Filter, Filters, Meta, Record};
use crate::store::{Id, Timestamp, Tx, Value};

crate::text_enum! {
    ActivityKind { Call = "call", Meeting = "meeting", Email = "email", Note = "note" }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Activity {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub kind: ActivityKind,
    pub subject: String,
    pub body: Option<String>,
    pub occurred_at: Timestamp,
    pub account_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub owner_id: Id,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    pub id: Option<Id>,
    pub kind: Option<ActivityKind>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// Defaults to now.
    pub occurred_at: Option<Timestamp>,
    pub account_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub owner_id: Option<Id>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityFilter {
    pub owner_id: Option<Id>,
    pub account_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub deal_id: Option<Id>,
    pub kind: Option<ActivityKind>,
}

impl Record for Activity {
    const TABLE: &'static str = "activities";
    const ENTITY: &'static str = "activity";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("kind", self.kind.into()),
            ("subject", self.subject.clone().into()),
            ("body", self.body.clone().into()),
            ("occurred_at", self.occurred_at.into()),
            ("account_id", self.account_id.into()),
            ("contact_id", self.contact_id.into()),
            ("deal_id", self.deal_id.into()),
            ("owner_id", self.owner_id.into()),
        ]
    }

    fn search_text(&self) -> String {
        match &self.body {
            Some(body) => format!("{} {body}", self.subject),
            None => self.subject.clone(),
        }
    }
}

impl Resource for Activity {
    type Input = ActivityInput;
    type Filter = ActivityFilter;

    fn input_id(input: &ActivityInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: ActivityInput,
        meta: Meta,
        current: Option<&Self>,
        actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let activity = Activity {
            kind: c.required("kind", input.kind).unwrap_or(ActivityKind::Note),
            subject: c.required_text("subject", input.subject, LINE_MAX),
            body: c.text("body", input.body, TEXT_MAX),
            occurred_at: input.occurred_at.unwrap_or(meta.created_at),
            account_id: input.account_id,
            contact_id: input.contact_id,
            deal_id: input.deal_id,
            owner_id: owner(&mut c, input.owner_id, current.is_some(), actor),
            meta,
        };
        if activity.account_id.is_none()
            && activity.contact_id.is_none()
            && activity.deal_id.is_none()
        {
            for field in ["account_id", "contact_id", "deal_id"] {
                c.errors
                    .add(field, "an activity needs an account, a contact or a deal");
            }
        }
        c.finish()?;
        Ok(activity)
    }

    fn to_input(&self) -> ActivityInput {
        ActivityInput {
            id: Some(self.meta.id),
            kind: Some(self.kind),
            subject: Some(self.subject.clone()),
            body: self.body.clone(),
            occurred_at: Some(self.occurred_at),
            account_id: self.account_id,
            contact_id: self.contact_id,
            deal_id: self.deal_id,
            owner_id: Some(self.owner_id),
        }
    }

    fn filters(f: &ActivityFilter) -> Vec<Filter> {
        Filters::new()
            .eq("owner_id", f.owner_id)
            .eq("account_id", f.account_id)
            .eq("contact_id", f.contact_id)
            .eq("deal_id", f.deal_id)
            .eq("kind", f.kind)
            .build()
    }

    /// An activity on a deal or contact is also on its account, so the
    /// account's history is complete without asking the client to repeat it.
    fn owner(&self) -> Option<Id> {
        Some(self.owner_id)
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        let mut errors = FieldErrors::new();
        check_exists(tx, &mut errors, "account_id", "accounts", self.account_id).await?;
        check_exists(tx, &mut errors, "contact_id", "contacts", self.contact_id).await?;
        check_exists(tx, &mut errors, "deal_id", "deals", self.deal_id).await?;
        errors.check()?;
        if self.account_id.is_none() {
            let parent = match (self.deal_id, self.contact_id) {
                (Some(deal), _) => Some(("deals", deal)),
                (None, Some(contact)) => Some(("contacts", contact)),
                (None, None) => None,
            };
            if let Some((table, id)) = parent {
                self.account_id = account_of(tx, table, id).await?.flatten();
            }
        }
        Ok(())
    }
}
