//! Batches: one document for each record of a segment, from one template
//! in one format, each kept like any generated document.
//!
//! Making a batch fixes its records as items ([`create`]); workers claim
//! items through the database and make their documents ([`work`]), any
//! number of them in any number of processes; the documents come out as
//! one ZIP ([`archive`]).

pub mod archive;
pub mod work;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::crm::ListParams;
use crate::documents::DocumentFormat;
use crate::documents::generate::Generator;
use crate::error::Error;
use crate::segments::{self, SegmentSubject, members};
use crate::store::records::{self, Filters, JsonPage, Meta, Record};
use crate::store::{Id, JsonText, Sql, Store, Timestamp, Value};
use crate::templates::store::{self as template_store, SourceVersion};

crate::text_enum! {
    /// A batch runs until every item is done, skipped or failed.
    BatchStatus {
        Running = "running",
        Finished = "finished",
    }
}

crate::text_enum! {
    /// Where an item is: waiting, being made (claimed by a worker), or
    /// ended: made, skipped as not ready, or failed.
    ItemStatus {
        Pending = "pending",
        Claimed = "claimed",
        Done = "done",
        Skipped = "skipped",
        Failed = "failed",
    }
}

/// What to make: a template, for each record of a segment, in a format.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The template's key; its version published now is used throughout.
    pub template: String,
    /// The segment's key or id.
    pub segment: String,
    pub format: DocumentFormat,
    /// Drafts: made for every record, ready or not, marked "DRAFT".
    #[serde(default)]
    pub draft: bool,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Batch {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub template: String,
    pub template_version: i64,
    /// Every template version the documents are made from.
    #[schema(value_type = Vec<SourceVersion>)]
    pub sources: JsonText<Vec<SourceVersion>>,
    pub format: DocumentFormat,
    pub draft: bool,
    pub segment_id: Id,
    pub segment_key: String,
    pub subject: SegmentSubject,
    /// The segment's rule when the batch was made.
    pub rule: Option<String>,
    /// How many records the batch holds.
    pub total: i64,
    pub status: BatchStatus,
    /// Who started it: the documents are made in their name.
    pub created_by: Id,
    pub finished_at: Option<Timestamp>,
}

impl Record for Batch {
    const TABLE: &'static str = "batches";
    const ENTITY: &'static str = "batch";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("template", self.template.clone().into()),
            ("template_version", self.template_version.into()),
            ("sources", Value::from(&self.sources)),
            ("format", self.format.into()),
            ("draft", self.draft.into()),
            ("segment_id", self.segment_id.into()),
            ("segment_key", self.segment_key.clone().into()),
            ("subject", self.subject.into()),
            ("rule", self.rule.clone().into()),
            ("total", self.total.into()),
            ("status", self.status.into()),
            ("created_by", self.created_by.into()),
            ("finished_at", self.finished_at.into()),
        ]
    }

    fn search_text(&self) -> String {
        format!("{} {}", self.template, self.segment_key)
    }
}

/// Rows per `INSERT` when a batch's items are written.
const ITEMS_PER_INSERT: usize = 200;

/// Makes a batch of `request`: checks that `actor` may generate it, fixes
/// the segment's records (those `actor` may generate for) as its items and
/// the template's published version as what they are made from. Nothing
/// is made yet: workers do that ([`work`]).
pub async fn create(store: &Store, actor: &Actor, request: BatchRequest) -> Result<Batch, Error> {
    let loaded = template_store::load_sources(store, &request.template).await?;
    // Refuses a role, template or format that no document could be made for.
    let generator = Generator::new(store, actor, loaded, request.format, request.draft).await?;
    let loaded = generator.template();
    let segment = segments::by_key(store, &request.segment)
        .await
        .map_err(|e| match e {
            Error::NotFound(message) => Error::invalid("segment", message),
            other => other,
        })?;
    let members = members::members(store, actor, &segment).await?;
    if members.is_empty() {
        return Err(Error::invalid(
            "segment",
            format!(
                "the segment `{}` holds no {} you may generate documents for",
                segment.key,
                segment.subject.table()
            ),
        ));
    }
    let batch = Batch {
        meta: Meta::new(None),
        template: loaded.template.key.clone(),
        template_version: loaded.template.published_version.unwrap_or_default(),
        sources: JsonText(loaded.versions.clone()),
        format: request.format,
        draft: request.draft,
        segment_id: segment.meta.id,
        segment_key: segment.key.clone(),
        subject: segment.subject,
        rule: segment.rule.clone(),
        total: members.len() as i64,
        status: BatchStatus::Running,
        created_by: actor.user_id,
        finished_at: None,
    };
    let mut tx = store.begin().await?;
    records::insert(&mut tx, &batch).await?;
    for (chunk_at, chunk) in members.chunks(ITEMS_PER_INSERT).enumerate() {
        let mut sql = Sql::new(
            "INSERT INTO batch_items (batch_id, position, subject_id, name, status, attempts) VALUES ",
        );
        for (i, member) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let position = (chunk_at * ITEMS_PER_INSERT + i + 1) as i64;
            sql.push("(")
                .bind(batch.meta.id)
                .push(", ")
                .bind(position)
                .push(", ")
                .bind(member.id)
                .push(", ")
                .bind(member.name.clone())
                .push(", ")
                .bind(ItemStatus::Pending)
                .push(", ")
                .bind(0_i64)
                .push(")");
        }
        tx.execute(&sql).await?;
    }
    audit::record_change(&mut tx, actor, None, Some(&batch), audit::Changes::new()).await?;
    tx.commit().await?;
    Ok(batch)
}

/// Batch `id`, if `actor` may read it: whoever started it, and the roles
/// that read every document.
pub async fn get(store: &Store, actor: &Actor, id: Id) -> Result<Batch, Error> {
    let batch = records::get::<Batch>(store, id)
        .await?
        .ok_or_else(|| Error::not_found("batch", id))?;
    if batch.created_by != actor.user_id {
        policy::require(actor, Action::ReadDocuments)?
            .check_owner(actor, Some(batch.created_by))?;
    }
    Ok(batch)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BatchFilter {
    pub status: Option<BatchStatus>,
    pub template: Option<String>,
    pub segment_key: Option<String>,
}

/// A page of batches, oldest first: the caller's own, or everyone's for
/// the roles that read every document.
pub async fn list(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
    filter: &BatchFilter,
) -> Result<JsonPage, Error> {
    let everyone = policy::require(actor, Action::ReadDocuments)
        .is_ok_and(|scope| scope.grant() == Grant::Yes);
    let mut query = params.query(false)?;
    query.filters = Filters::new()
        .eq("status", filter.status)
        .eq("template", filter.template.clone())
        .eq("segment_key", filter.segment_key.clone())
        .eq("created_by", (!everyone).then_some(actor.user_id))
        .build();
    Ok(records::list::<Batch>(store, &query).await?)
}

/// How far a batch has come.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    pub pending: i64,
    /// Claimed by a worker and being made.
    pub working: i64,
    pub done: i64,
    pub skipped: i64,
    pub failed: i64,
}

impl Counts {
    /// Items ended: done, skipped or failed.
    pub fn ended(&self) -> i64 {
        self.done + self.skipped + self.failed
    }
}

/// A batch with its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    #[serde(flatten)]
    pub batch: Batch,
    pub counts: Counts,
    /// Items ended a second, over the batch's run so far.
    pub rate_per_second: Option<f64>,
    /// Seconds until every item has ended, at that rate.
    pub eta_seconds: Option<u64>,
}

#[derive(sqlx::FromRow)]
struct StatusCount {
    status: ItemStatus,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct Span {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

/// How many items of batch `id` are in each state.
pub async fn counts(store: &Store, id: Id) -> Result<Counts, Error> {
    let mut sql = Sql::new("SELECT status, COUNT(*) AS n FROM batch_items WHERE batch_id = ");
    sql.bind(id).push(" GROUP BY status");
    let mut counts = Counts::default();
    for row in store.fetch_all::<StatusCount>(&sql).await? {
        let slot = match row.status {
            ItemStatus::Pending => &mut counts.pending,
            ItemStatus::Claimed => &mut counts.working,
            ItemStatus::Done => &mut counts.done,
            ItemStatus::Skipped => &mut counts.skipped,
            ItemStatus::Failed => &mut counts.failed,
        };
        *slot = row.n;
    }
    Ok(counts)
}

/// Batch `id` and how far it has come.
pub async fn progress(store: &Store, actor: &Actor, id: Id) -> Result<Progress, Error> {
    let batch = get(store, actor, id).await?;
    let counts = counts(store, id).await?;
    let mut sql = Sql::new(
        "SELECT MIN(finished_at) AS first, MAX(finished_at) AS last FROM batch_items \
         WHERE batch_id = ",
    );
    sql.bind(id);
    let span = store.fetch_optional::<Span>(&sql).await?;
    // The run so far: from the batch's start to its latest ended item.
    let rate_per_second = span
        .and_then(|s| s.first.and(s.last))
        .map(|last| (last.0 - batch.meta.created_at.0).num_milliseconds())
        .filter(|ms| *ms > 0)
        .map(|ms| counts.ended() as f64 * 1000.0 / ms as f64);
    let left = counts.pending + counts.working;
    let eta_seconds = rate_per_second
        .filter(|r| *r > 0.0 && left > 0)
        .map(|r| (left as f64 / r).ceil() as u64);
    Ok(Progress {
        batch,
        counts,
        rate_per_second,
        eta_seconds,
    })
}

/// An item of a batch: a record, and what became of it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Item {
    pub position: i64,
    pub subject_id: Id,
    pub name: Option<String>,
    pub status: ItemStatus,
    /// How many times a worker took it up.
    pub attempts: i64,
    pub document_id: Option<Id>,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// A skipped item's blank fields, as readiness names them.
    #[schema(value_type = Option<Vec<crate::context::readiness::Missing>>)]
    pub missing: Option<JsonText<serde_json::Value>>,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemFilter {
    pub status: Option<ItemStatus>,
}

/// A page of items, in the order of their positions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    pub items: Vec<Item>,
    pub next_cursor: Option<String>,
}

/// A page of batch `id`'s items (`limit` and `cursor` of `params`).
pub async fn items(
    store: &Store,
    actor: &Actor,
    id: Id,
    params: &ListParams,
    filter: &ItemFilter,
) -> Result<ItemPage, Error> {
    get(store, actor, id).await?;
    if params.q.is_some() || params.updated_since.is_some() {
        return Err(Error::bad_request(
            "q",
            "a batch's items are paged with limit and cursor only; filter them by status",
        ));
    }
    let limit = params.limit.map_or(50, i64::from);
    let after = match &params.cursor {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .map_err(|_| Error::bad_request("cursor", "pass a `next_cursor` as it was given"))?,
    };
    let mut sql = Sql::new(
        "SELECT position, subject_id, name, status, attempts, document_id, reason, missing, \
         finished_at FROM batch_items WHERE batch_id = ",
    );
    sql.bind(id).push(" AND position > ").bind(after);
    if let Some(status) = filter.status {
        sql.push(" AND status = ").bind(status);
    }
    sql.push(" ORDER BY position LIMIT ").bind(limit + 1);
    let mut items: Vec<Item> = store.fetch_all(&sql).await?;
    let next_cursor = (items.len() as i64 > limit).then(|| {
        items.truncate(limit as usize);
        items.last().map_or(0, |i| i.position).to_string()
    });
    Ok(ItemPage { items, next_cursor })
}
