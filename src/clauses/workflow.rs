//! A clause version's way to the customer: a draft is submitted for
//! review; legal approves it (the variant's previously approved version is
//! retired, superseded) or rejects it with a comment; legal retires an
//! approved version that must no longer be used. Every step is in the
//! audit log.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Clause;
use super::diff::{self, VersionDiff};
use super::versions::{ClauseStatus, ClauseVersion, get, save};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::validate::{Check, TEXT_MAX};
use crate::error::Error;
use crate::store::{Id, Sql, Store, Timestamp};

/// Legal's word on a version: required to reject or retire.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub comment: Option<String>,
}

impl Review {
    /// The comment, checked; `why` is what to ask for when it is required
    /// and missing.
    fn comment(self, required: Option<&str>) -> Result<Option<String>, Error> {
        let mut c = Check::new();
        let comment = c.text("comment", self.comment, TEXT_MAX);
        if let (Some(why), None) = (required, &comment) {
            c.errors.add("comment", format!("required: {why}"));
        }
        c.finish().map_err(Error::Validation)?;
        Ok(comment)
    }
}

fn refuse(version: &ClauseVersion, what: &str) -> Error {
    Error::conflict(format!(
        "version {} of `{}` ({}) is {}: it cannot be {what}",
        version.number,
        version.clause_key,
        version.variant,
        version.status.as_str().replace('_', " ")
    ))
}

/// Puts a draft in front of legal. One version of a variant is in review
/// at a time.
pub async fn submit(store: &Store, actor: &Actor, id: Id) -> Result<ClauseVersion, Error> {
    policy::allow(actor, Action::DraftClauses)?;
    let current = get(store, id).await?;
    if current.status != ClauseStatus::Draft {
        return Err(refuse(&current, "submitted"));
    }
    if let Some(other) = in_state(store, &current, ClauseStatus::InReview).await? {
        return Err(Error::conflict(format!(
            "version {} of `{}` ({}) is in review already: wait for legal's decision",
            other.number, other.clause_key, other.variant
        )));
    }
    let mut next = current.clone();
    next.status = ClauseStatus::InReview;
    next.submitted_by = Some(actor.user_id);
    next.submitted_at = Some(Timestamp::now());
    one(save(store, actor, vec![(current, next)]).await?)
}

/// Approves (`approve: true`) or rejects a version in review. An approved
/// version supersedes the variant's approved one, which is retired.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    id: Id,
    approve: bool,
    review: Review,
) -> Result<ClauseVersion, Error> {
    policy::allow(actor, Action::ApproveClauses)?;
    let current = get(store, id).await?;
    if current.status != ClauseStatus::InReview {
        return Err(refuse(
            &current,
            if approve { "approved" } else { "rejected" },
        ));
    }
    let comment = review.comment((!approve).then_some("say what has to change in the text"))?;
    let now = Timestamp::now();
    let mut changes = Vec::new();
    if approve && let Some(old) = in_state(store, &current, ClauseStatus::Approved).await? {
        let mut retired = old.clone();
        retired.status = ClauseStatus::Retired;
        retired.retired_by = Some(actor.user_id);
        retired.retired_at = Some(now);
        retired.retire_comment = Some(format!("superseded by version {}", current.number));
        changes.push((old, retired));
    }
    let mut next = current.clone();
    next.status = if approve {
        ClauseStatus::Approved
    } else {
        ClauseStatus::Rejected
    };
    next.reviewed_by = Some(actor.user_id);
    next.reviewed_at = Some(now);
    next.review_comment = comment;
    changes.push((current, next));
    one(save(store, actor, changes).await?)
}

/// Takes an approved version out of use: documents made from now on no
/// longer print it, and those that need it stop until another version is
/// approved, so the comment saying why is required.
pub async fn retire(
    store: &Store,
    actor: &Actor,
    id: Id,
    review: Review,
) -> Result<ClauseVersion, Error> {
    policy::allow(actor, Action::ApproveClauses)?;
    let current = get(store, id).await?;
    if current.status != ClauseStatus::Approved {
        return Err(refuse(&current, "retired; only an approved version is"));
    }
    let comment = review.comment(Some(
        "say why the text may no longer be used; documents that print it stop until another version is approved",
    ))?;
    let mut next = current.clone();
    next.status = ClauseStatus::Retired;
    next.retired_by = Some(actor.user_id);
    next.retired_at = Some(Timestamp::now());
    next.retire_comment = comment;
    one(save(store, actor, vec![(current, next)]).await?)
}

fn one(mut saved: Vec<ClauseVersion>) -> Result<ClauseVersion, Error> {
    saved
        .pop()
        .ok_or_else(|| Error::Internal("the version was not saved".to_owned()))
}

/// Another version of `version`'s variant in `status`.
async fn in_state(
    store: &Store,
    version: &ClauseVersion,
    status: ClauseStatus,
) -> Result<Option<ClauseVersion>, Error> {
    let mut sql = Sql::new("SELECT * FROM clause_versions WHERE clause_id = ");
    sql.bind(version.clause_id)
        .push(" AND variant = ")
        .bind(version.variant.as_str())
        .push(" AND status = ")
        .bind(status)
        .push(" AND id <> ")
        .bind(version.meta.id)
        .push(" ORDER BY number DESC LIMIT 1");
    Ok(store.fetch_optional::<ClauseVersion>(&sql).await?)
}

/// A version waiting for legal, with what legal needs to decide.
#[derive(Serialize, ToSchema)]
pub struct ReviewItem {
    pub clause: Clause,
    pub version: ClauseVersion,
    /// Against the variant's approved text.
    pub diff: VersionDiff,
}

/// Every version in review, oldest submission first.
pub async fn queue(store: &Store) -> Result<Vec<ReviewItem>, Error> {
    let mut sql = Sql::new("SELECT * FROM clause_versions WHERE status = ");
    sql.bind(ClauseStatus::InReview)
        .push(" ORDER BY submitted_at, id");
    let waiting = store.fetch_all::<ClauseVersion>(&sql).await?;
    let mut clauses = HashMap::new();
    if !waiting.is_empty() {
        let mut sql = Sql::new("SELECT * FROM clauses WHERE id IN (");
        sql.bind_list(waiting.iter().map(|v| v.clause_id)).push(")");
        for clause in store.fetch_all::<Clause>(&sql).await? {
            clauses.insert(clause.meta.id, clause);
        }
    }
    let mut items = Vec::with_capacity(waiting.len());
    for version in waiting {
        let clause = clauses
            .get(&version.clause_id)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("clause {} is missing", version.clause_id)))?;
        let base = diff::default_base(store, &version).await?;
        items.push(ReviewItem {
            clause,
            diff: diff::compare(&version, base.as_ref()),
            version,
        });
    }
    Ok(items)
}
