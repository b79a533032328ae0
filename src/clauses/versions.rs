//! Clause versions: the text legal reviews, and for a variant other than
//! `default` the rule that chooses it. A version is written as a draft and
//! can be changed only while it is one; its number counts up per variant.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Clause, by_key};
use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::context;
use crate::crm::validate::Check;
use crate::error::{Error, FieldErrors};
use crate::store::records::{self, Meta, Record, Updated};
use crate::store::{Count, Id, Sql, Store, Timestamp, Value};

crate::text_enum! {
    /// Where a clause version stands. Only `approved` ever reaches a
    /// customer.
    ClauseStatus {
        Draft = "draft",
        InReview = "in_review",
        Approved = "approved",
        Rejected = "rejected",
        Retired = "retired",
    }
}

/// The variant that applies when no other's rule does; it has no rule.
pub const DEFAULT_VARIANT: &str = "default";
/// The longest clause text.
pub const BODY_MAX: usize = 64 * 1024;

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct ClauseVersion {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub clause_id: Id,
    pub clause_key: String,
    /// `default`, or a name such as `germany`.
    pub variant: String,
    /// 1, 2, … per variant.
    pub number: i64,
    /// When this variant applies (see the README's rule language); none
    /// for `default`.
    pub rule: Option<String>,
    /// Markdown.
    pub body: String,
    pub status: ClauseStatus,
    pub author_id: Id,
    pub submitted_by: Option<Id>,
    pub submitted_at: Option<Timestamp>,
    /// Who approved or rejected it, when, and what they said.
    pub reviewed_by: Option<Id>,
    pub reviewed_at: Option<Timestamp>,
    pub review_comment: Option<String>,
    pub retired_by: Option<Id>,
    pub retired_at: Option<Timestamp>,
    /// Why legal retired it, or which version superseded it.
    pub retire_comment: Option<String>,
}

impl Record for ClauseVersion {
    const TABLE: &'static str = "clause_versions";
    const ENTITY: &'static str = "clause version";
    // 2: `retire_comment`.
    const RENDER_VERSION: i64 = 2;

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("clause_id", self.clause_id.into()),
            ("clause_key", self.clause_key.clone().into()),
            ("variant", self.variant.clone().into()),
            ("number", self.number.into()),
            ("rule", self.rule.clone().into()),
            ("body", self.body.clone().into()),
            ("status", self.status.into()),
            ("author_id", self.author_id.into()),
            ("submitted_by", self.submitted_by.into()),
            ("submitted_at", self.submitted_at.into()),
            ("reviewed_by", self.reviewed_by.into()),
            ("reviewed_at", self.reviewed_at.into()),
            ("review_comment", self.review_comment.clone().into()),
            ("retired_by", self.retired_by.into()),
            ("retired_at", self.retired_at.into()),
            ("retire_comment", self.retire_comment.clone().into()),
        ]
    }

    fn search_text(&self) -> String {
        format!("{} {} {}", self.clause_key, self.variant, self.body)
    }
}

/// A new version of a clause.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// `default` unless named.
    pub variant: Option<String>,
    /// Required for a variant other than `default`; a new version of a
    /// variant keeps its latest rule unless given one.
    pub rule: Option<String>,
    pub body: Option<String>,
}

/// A change to a draft: an absent field stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionPatch {
    pub rule: Option<String>,
    pub body: Option<String>,
    /// The version of the record being changed.
    pub version: i64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionFilter {
    pub variant: Option<String>,
    pub status: Option<ClauseStatus>,
}

/// Writes a new draft version of clause `key`.
pub async fn create(
    store: &Store,
    actor: &Actor,
    key: &str,
    input: NewVersion,
) -> Result<ClauseVersion, Error> {
    policy::allow(actor, Action::DraftClauses)?;
    let clause = by_key(store, key).await?;
    let mut c = Check::new();
    let variant = match input.variant {
        None => DEFAULT_VARIANT.to_owned(),
        given => c.slug("variant", given),
    };
    let body = c.required_text("body", input.body, BODY_MAX);
    c.finish().map_err(Error::Validation)?;
    let rule = match input.rule {
        Some(rule) => Some(rule),
        None => latest(store, clause.meta.id, &variant)
            .await?
            .and_then(|v| v.rule),
    };
    let rule = checked_rule(store, &variant, rule).await?;

    let mut tx = store.begin().await?;
    let mut sql =
        Sql::new("SELECT COALESCE(MAX(number), 0) AS n FROM clause_versions WHERE clause_id = ");
    sql.bind(clause.meta.id)
        .push(" AND variant = ")
        .bind(variant.as_str());
    let n = tx.fetch_optional::<Count>(&sql).await?.map_or(0, |c| c.n);
    let version = ClauseVersion {
        meta: Meta::new(None),
        clause_id: clause.meta.id,
        clause_key: clause.key.clone(),
        variant,
        number: n + 1,
        rule,
        body,
        status: ClauseStatus::Draft,
        author_id: actor.user_id,
        submitted_by: None,
        submitted_at: None,
        reviewed_by: None,
        reviewed_at: None,
        review_comment: None,
        retired_by: None,
        retired_at: None,
        retire_comment: None,
    };
    records::insert(&mut tx, &version).await?;
    audit::record_change(&mut tx, actor, None, Some(&version), audit::Changes::new()).await?;
    tx.commit().await?;
    Ok(version)
}

/// Changes a draft's text or rule.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: Id,
    patch: VersionPatch,
) -> Result<ClauseVersion, Error> {
    policy::allow(actor, Action::DraftClauses)?;
    let current = get(store, id).await?;
    if current.status != ClauseStatus::Draft {
        return Err(Error::conflict(format!(
            "version {} of `{}` is {}: its text is kept as it was; write a new version",
            current.number,
            current.clause_key,
            current.status.as_str()
        )));
    }
    let mut next = current.clone();
    if let Some(body) = patch.body {
        let mut c = Check::new();
        next.body = c.required_text("body", Some(body), BODY_MAX);
        c.finish().map_err(Error::Validation)?;
    }
    if patch.rule.is_some() {
        next.rule = checked_rule(store, &next.variant, patch.rule).await?;
    }
    next.meta.version = patch.version;
    save(store, actor, vec![(current, next)])
        .await
        .map(|mut saved| saved.remove(0))
}

/// `rule` checked for `variant`: none for `default`, else one that parses
/// and reads only what the context holds.
async fn checked_rule(
    store: &Store,
    variant: &str,
    rule: Option<String>,
) -> Result<Option<String>, Error> {
    let rule = rule.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    match (variant == DEFAULT_VARIANT, rule) {
        (true, None) => Ok(None),
        (true, Some(_)) => Err(Error::invalid(
            "rule",
            "the default variant applies when no other variant's rule does: it takes no rule",
        )),
        (false, None) => Err(Error::invalid(
            "rule",
            format!(
                "required: say when the variant `{variant}` applies, e.g. account.country == \"DE\""
            ),
        )),
        (false, Some(text)) => {
            context::checked_rule(&text, &context::QuestionKeys::read(store).await?)?;
            Ok(Some(text))
        }
    }
}

/// Version `id`.
pub async fn get(store: &Store, id: Id) -> Result<ClauseVersion, Error> {
    records::get::<ClauseVersion>(store, id)
        .await?
        .ok_or_else(|| Error::not_found("clause version", id))
}

/// The versions of clause `key`, by variant, newest first.
pub async fn list(
    store: &Store,
    key: &str,
    filter: &VersionFilter,
) -> Result<(Clause, Vec<ClauseVersion>), Error> {
    let clause = by_key(store, key).await?;
    let mut sql = Sql::new("SELECT * FROM clause_versions WHERE clause_id = ");
    sql.bind(clause.meta.id);
    if let Some(variant) = &filter.variant {
        sql.push(" AND variant = ").bind(variant.as_str());
    }
    if let Some(status) = filter.status {
        sql.push(" AND status = ").bind(status);
    }
    sql.push(" ORDER BY variant, number DESC");
    let versions = store.fetch_all::<ClauseVersion>(&sql).await?;
    Ok((clause, versions))
}

/// The newest version of a clause's variant, whatever its state.
async fn latest(
    store: &Store,
    clause_id: Id,
    variant: &str,
) -> Result<Option<ClauseVersion>, Error> {
    let mut sql = Sql::new("SELECT * FROM clause_versions WHERE clause_id = ");
    sql.bind(clause_id)
        .push(" AND variant = ")
        .bind(variant)
        .push(" ORDER BY number DESC LIMIT 1");
    Ok(store.fetch_optional::<ClauseVersion>(&sql).await?)
}

/// Writes each `(current, next)` pair in one transaction, versions
/// checked, and logs the changes.
pub(super) async fn save(
    store: &Store,
    actor: &Actor,
    changes: Vec<(ClauseVersion, ClauseVersion)>,
) -> Result<Vec<ClauseVersion>, Error> {
    let mut tx = store.begin().await?;
    let mut saved = Vec::with_capacity(changes.len());
    for (current, mut next) in changes {
        match records::update(&mut tx, &mut next).await? {
            Updated::Done => {}
            Updated::Stale { current_version } => {
                return Err(Error::Conflict {
                    message: format!(
                        "version {} of `{}` changed meanwhile: it is at record version {current_version}",
                        current.number, current.clause_key
                    ),
                    current_version: Some(current_version),
                    fields: FieldErrors::new(),
                });
            }
            Updated::Missing => return Err(Error::not_found("clause version", current.meta.id)),
        }
        audit::record_change(
            &mut tx,
            actor,
            Some(&current),
            Some(&next),
            audit::Changes::new(),
        )
        .await?;
        saved.push(next);
    }
    tx.commit().await?;
    Ok(saved)
}
