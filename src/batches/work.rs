//! Working a batch: claiming its items through the database, making their
//! documents in parallel, and keeping each in the write that marks its
//! item done.
//!
//! A worker claims a few items at a time for a lease, and renews the lease
//! of what it holds while it works. An item whose lease ran out (its
//! worker was killed) is claimed again by the next worker. An item is
//! marked done only by the worker that holds it, in the same transaction
//! as its document, so no record gets two documents, and a batch run again
//! makes exactly the documents still missing. On PostgreSQL claims skip
//! the rows other workers have locked (`FOR UPDATE SKIP LOCKED`), so
//! several servers share one batch; SQLite's single writer serialises
//! claims by itself.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

use super::{Batch, BatchStatus, Counts, ItemStatus, counts};
use crate::audit;
use crate::auth::Actor;
use crate::auth::users::User;
use crate::context::readiness::Missing;
use crate::documents::generate::{self, Generator, Prepared};
use crate::error::Error;
use crate::store::records;
use crate::store::{Backend, Id, Sql, Store, Timestamp};
use crate::templates::store::{self as template_store, Published};

/// How long a claim holds without being renewed: a killed worker's items
/// are taken up again this long after its last renewal.
pub const LEASE: Duration = Duration::from_secs(15);
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How long a worker waits before looking again for items whose lease
/// ran out.
const IDLE_WAIT: Duration = Duration::from_secs(1);
/// Items claimed in one write.
const CLAIM: i64 = 16;
/// Ended items kept in one write at most.
const WRITE_GROUP: usize = 32;

/// How one worker works.
#[derive(Clone, Debug)]
pub struct Options {
    /// Who claims: one id per process.
    pub worker: Id,
    /// How many documents are made at once.
    pub jobs: usize,
}

impl Options {
    /// A new worker making two documents per core at once: while one
    /// waits on the database, the other computes.
    pub fn new() -> Options {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options {
            worker: Id::new(),
            jobs: cores * 2,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}

/// An item this worker holds.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
struct Claimed {
    position: i64,
    subject_id: Id,
}

/// What became of an item.
enum Outcome {
    Done(Box<Prepared>),
    Skipped {
        reason: String,
        missing: Vec<Missing>,
    },
    Failed(String),
}

impl Outcome {
    fn status(&self) -> ItemStatus {
        match self {
            Outcome::Done(_) => ItemStatus::Done,
            Outcome::Skipped { .. } => ItemStatus::Skipped,
            Outcome::Failed(_) => ItemStatus::Failed,
        }
    }
}

/// Works batch `batch_id` until none of its items is left to claim, or
/// until `stop` is set (the items in hand are still finished and kept).
/// `ended` hears of each item this worker ended, once it is kept.
/// Returns the batch's counts afterwards.
pub async fn work(
    store: &Store,
    batch_id: Id,
    options: &Options,
    ended: &(dyn Fn(ItemStatus) + Sync),
    stop: &AtomicBool,
) -> Result<Counts, Error> {
    let batch = records::get::<Batch>(store, batch_id)
        .await?
        .ok_or_else(|| Error::not_found("batch", batch_id))?;
    if batch.status == BatchStatus::Running {
        let (actor, generator) = match worker_for(store, &batch).await {
            Ok(made) => made,
            // What no worker could get past ends the batch, each record
            // failed with why.
            Err(e @ (Error::Forbidden(_) | Error::NotFound(_) | Error::Validation(_))) => {
                fail_open_items(store, &batch, &reason(&e)).await?;
                return counts(store, batch_id).await;
            }
            Err(e) => return Err(e),
        };
        let generator = Arc::new(generator);
        let renewing = tokio::spawn(renew_leases(store.clone(), batch_id, options.worker));
        let (sender, receiver) = mpsc::channel(options.jobs.max(1) * 4);
        let made = tokio::try_join!(
            produce(store, &batch, options, &actor, &generator, sender, stop),
            keep(store, &batch, options.worker, &actor, receiver, ended),
        );
        renewing.abort();
        made?;
        finish_if_ended(store, &actor, batch_id).await?;
    }
    counts(store, batch_id).await
}

/// The actor a batch works as (whoever started it) and its generator, for
/// the template versions it was made with.
async fn worker_for(store: &Store, batch: &Batch) -> Result<(Actor, Generator), Error> {
    let id = batch.meta.id;
    let user = records::get::<User>(store, batch.created_by)
        .await?
        .ok_or_else(|| Error::not_found("user", batch.created_by))?;
    if !user.active {
        return Err(Error::Forbidden(format!(
            "{} started batch {id} and has been deactivated: start it again as someone else",
            user.email
        )));
    }
    let actor = Actor::batch(user.meta.id, user.role, id);
    let mut template = template_store::by_key(store, &batch.template).await?;
    template.published_version = Some(batch.template_version);
    let loaded = Published {
        template,
        sources: template_store::sources_of(store, &batch.sources.0).await?,
        versions: batch.sources.0.clone(),
    };
    let generator = Generator::new(store, &actor, loaded, batch.format, batch.draft).await?;
    Ok((actor, generator))
}

/// Claims items and makes their documents, `options.jobs` at a time,
/// handing each outcome to the keeper.
async fn produce(
    store: &Store,
    batch: &Batch,
    options: &Options,
    actor: &Actor,
    generator: &Arc<Generator>,
    outcomes: mpsc::Sender<(Claimed, Outcome)>,
    stop: &AtomicBool,
) -> Result<(), Error> {
    let mut queue: VecDeque<Claimed> = VecDeque::new();
    let mut tasks = JoinSet::new();
    let mut in_hand: HashMap<tokio::task::Id, Claimed> = HashMap::new();
    let jobs = options.jobs.max(1);
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        if !stopping && tasks.len() < jobs {
            if queue.is_empty() {
                queue.extend(claim(store, batch.meta.id, options.worker).await?);
            }
            if let Some(item) = queue.pop_front() {
                let (store, actor, generator) = (store.clone(), actor.clone(), generator.clone());
                let subject = batch.subject.subject(item.subject_id);
                let handle = tasks.spawn(async move {
                    match generator.prepare(&store, &actor, subject, None).await {
                        Ok(prepared) => Outcome::Done(Box::new(prepared)),
                        Err(Error::NotReady { message, missing }) => Outcome::Skipped {
                            reason: message,
                            missing,
                        },
                        Err(e) => Outcome::Failed(reason(&e)),
                    }
                });
                in_hand.insert(handle.id(), item);
                continue;
            }
        }
        match tasks.join_next_with_id().await {
            Some(joined) => {
                let (id, outcome) = match joined {
                    Ok((id, outcome)) => (id, outcome),
                    Err(e) => (
                        e.id(),
                        Outcome::Failed(format!("making the document stopped: {e}")),
                    ),
                };
                let Some(item) = in_hand.remove(&id) else {
                    continue;
                };
                if outcomes.send((item, outcome)).await.is_err() {
                    // The keeper stopped on an error, which it reports.
                    return Ok(());
                }
            }
            None if stopping => break,
            None => {
                // What this worker made is with the keeper; only others'
                // items are worth waiting for.
                if others_open(store, batch.meta.id, options.worker).await? == 0 {
                    break;
                }
                // Others hold the rest: wait for them to end, or for
                // their leases to run out.
                tokio::time::sleep(IDLE_WAIT).await;
            }
        }
    }
    release(store, batch.meta.id, options.worker, queue).await
}

/// A failure as an item records it: the message of the user's own errors;
/// a fault of the server only as such (it is logged in full).
fn reason(e: &Error) -> String {
    match e {
        Error::Internal(_) | Error::Store(_) => {
            tracing::error!(error = %e, "a batch item failed");
            "the server failed to make this document; its log has the details".to_owned()
        }
        Error::Validation(fields) if !fields.is_empty() => fields
            .iter()
            .map(|(field, problem)| format!("{field}: {problem}"))
            .collect::<Vec<_>>()
            .join("; "),
        e => e.to_string(),
    }
}

/// Keeps outcomes as they come, several in one write.
async fn keep(
    store: &Store,
    batch: &Batch,
    worker: Id,
    actor: &Actor,
    mut outcomes: mpsc::Receiver<(Claimed, Outcome)>,
    ended: &(dyn Fn(ItemStatus) + Sync),
) -> Result<(), Error> {
    let mut group = Vec::with_capacity(WRITE_GROUP);
    while let Some(first) = outcomes.recv().await {
        group.push(first);
        while group.len() < WRITE_GROUP {
            match outcomes.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let statuses: Vec<ItemStatus> = group.iter().map(|(_, o)| o.status()).collect();
        if let Err(e) = write(store, batch.meta.id, worker, actor, &group).await {
            // One document the database refuses must not sink the others:
            // each is written alone, and one refused again fails alone.
            tracing::warn!(error = %e, "a group of batch items failed to be kept; one by one");
            for one in group.drain(..) {
                let status = one.1.status();
                let alone = std::slice::from_ref(&one);
                match write(store, batch.meta.id, worker, actor, alone).await {
                    Ok(()) => ended(status),
                    Err(e) => {
                        let failed = (one.0, Outcome::Failed(reason(&e)));
                        write(store, batch.meta.id, worker, actor, &[failed]).await?;
                        ended(ItemStatus::Failed);
                    }
                }
            }
            continue;
        }
        group.clear();
        statuses.into_iter().for_each(ended);
    }
    Ok(())
}

/// Ends `group`'s items in one write, each with its document if it has
/// one. An item this worker no longer holds (its lease ran out and
/// another worker took it) is left to that worker.
async fn write(
    store: &Store,
    batch_id: Id,
    worker: Id,
    actor: &Actor,
    group: &[(Claimed, Outcome)],
) -> Result<(), Error> {
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    for (item, outcome) in group {
        let (document, reason, missing) = match outcome {
            Outcome::Done(prepared) => (Some(prepared.document.meta.id), None, None),
            Outcome::Skipped { reason, missing } => (
                None,
                Some(reason.clone()),
                Some(serde_json::to_string(missing).map_err(|e| Error::Internal(e.to_string()))?),
            ),
            Outcome::Failed(reason) => (None, Some(reason.clone()), None),
        };
        let mut sql = Sql::new("UPDATE batch_items SET status = ");
        sql.bind(outcome.status())
            .push(", document_id = ")
            .bind(document)
            .push(", reason = ")
            .bind(reason)
            .push(", missing = ")
            .bind(missing)
            .push(", finished_at = ")
            .bind(now)
            .push(", lease_until = NULL WHERE batch_id = ")
            .bind(batch_id)
            .push(" AND position = ")
            .bind(item.position)
            .push(" AND status = ")
            .bind(ItemStatus::Claimed)
            .push(" AND claimed_by = ")
            .bind(worker);
        if tx.execute(&sql).await? == 0 {
            tracing::warn!(%batch_id, position = item.position, "a batch item was taken over by another worker");
            continue;
        }
        if let Outcome::Done(prepared) = outcome {
            generate::keep(&mut tx, actor, prepared).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Claims up to [`CLAIM`] items: pending ones, or ones whose lease ran out.
async fn claim(store: &Store, batch_id: Id, worker: Id) -> Result<Vec<Claimed>, Error> {
    let now = Timestamp::now();
    let until = lease_from(now);
    let mut sql = Sql::new("UPDATE batch_items SET status = ");
    sql.bind(ItemStatus::Claimed)
        .push(", claimed_by = ")
        .bind(worker)
        .push(", lease_until = ")
        .bind(until)
        .push(", attempts = attempts + 1 WHERE batch_id = ")
        .bind(batch_id)
        .push(" AND position IN (SELECT position FROM batch_items WHERE batch_id = ")
        .bind(batch_id)
        .push(" AND (status = ")
        .bind(ItemStatus::Pending)
        .push(" OR (status = ")
        .bind(ItemStatus::Claimed)
        .push(" AND lease_until < ")
        .bind(now)
        .push(")) ORDER BY position LIMIT ")
        .bind(CLAIM);
    if store.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    sql.push(") RETURNING position, subject_id");
    let mut tx = store.begin().await?;
    let mut claimed: Vec<Claimed> = tx.fetch_all(&sql).await?;
    tx.commit().await?;
    claimed.sort_by_key(|c| c.position);
    Ok(claimed)
}

fn lease_from(now: Timestamp) -> Timestamp {
    Timestamp::from(now.0 + chrono::Duration::from_std(LEASE).unwrap_or_default())
}

/// Renews the lease of every item `worker` holds, until aborted.
async fn renew_leases(store: Store, batch_id: Id, worker: Id) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let mut sql = Sql::new("UPDATE batch_items SET lease_until = ");
        sql.bind(lease_from(Timestamp::now()))
            .push(" WHERE batch_id = ")
            .bind(batch_id)
            .push(" AND claimed_by = ")
            .bind(worker)
            .push(" AND status = ")
            .bind(ItemStatus::Claimed);
        let renewed = async {
            let mut tx = store.begin().await?;
            tx.execute(&sql).await?;
            tx.commit().await
        };
        if let Err(e) = renewed.await {
            tracing::warn!(error = %e, %batch_id, "renewing a batch's leases failed");
        }
    }
}

/// Hands back items claimed but not begun, for the next worker.
async fn release(
    store: &Store,
    batch_id: Id,
    worker: Id,
    items: VecDeque<Claimed>,
) -> Result<(), Error> {
    if items.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("UPDATE batch_items SET status = ");
    sql.bind(ItemStatus::Pending)
        .push(", claimed_by = NULL, lease_until = NULL WHERE batch_id = ")
        .bind(batch_id)
        .push(" AND claimed_by = ")
        .bind(worker)
        .push(" AND status = ")
        .bind(ItemStatus::Claimed)
        .push(" AND position IN (")
        .bind_list(items.iter().map(|i| i.position))
        .push(")");
    let mut tx = store.begin().await?;
    tx.execute(&sql).await?;
    tx.commit().await?;
    Ok(())
}

/// Fails every item not yet ended, with `why`, and finishes the batch.
async fn fail_open_items(store: &Store, batch: &Batch, why: &str) -> Result<(), Error> {
    let mut sql = Sql::new("UPDATE batch_items SET status = ");
    sql.bind(ItemStatus::Failed)
        .push(", reason = ")
        .bind(why)
        .push(", finished_at = ")
        .bind(Timestamp::now())
        .push(", lease_until = NULL WHERE batch_id = ")
        .bind(batch.meta.id)
        .push(" AND status IN (")
        .bind_list([ItemStatus::Pending, ItemStatus::Claimed])
        .push(")");
    let mut tx = store.begin().await?;
    tx.execute(&sql).await?;
    tx.commit().await?;
    // The audit log records who and how; the role decides nothing here.
    let owner = Actor::batch(batch.created_by, crate::auth::Role::Admin, batch.meta.id);
    finish_if_ended(store, &owner, batch.meta.id).await
}

/// How many items are pending or claimed by other workers.
async fn others_open(store: &Store, batch_id: Id, worker: Id) -> Result<i64, Error> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM batch_items WHERE batch_id = ");
    sql.bind(batch_id)
        .push(" AND (status = ")
        .bind(ItemStatus::Pending)
        .push(" OR (status = ")
        .bind(ItemStatus::Claimed)
        .push(" AND claimed_by <> ")
        .bind(worker)
        .push("))");
    Ok(store
        .fetch_optional::<crate::store::Count>(&sql)
        .await?
        .map_or(0, |c| c.n))
}

/// How many items are pending or claimed.
async fn open_items(store: &Store, batch_id: Id) -> Result<i64, Error> {
    let counts = counts(store, batch_id).await?;
    Ok(counts.pending + counts.working)
}

/// Marks the batch finished once every item has ended; whichever worker
/// sees it first does.
async fn finish_if_ended(store: &Store, actor: &Actor, batch_id: Id) -> Result<(), Error> {
    if open_items(store, batch_id).await? > 0 {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let Some(before) = records::get_in::<Batch>(&mut tx, batch_id).await? else {
        return Ok(());
    };
    if before.status == BatchStatus::Finished {
        return Ok(());
    }
    let mut after = before.clone();
    after.status = BatchStatus::Finished;
    after.finished_at = Some(Timestamp::now());
    if matches!(
        records::update(&mut tx, &mut after).await?,
        records::Updated::Done
    ) {
        audit::record_change(
            &mut tx,
            actor,
            Some(&before),
            Some(&after),
            audit::Changes::new(),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Works every running batch, on wake-up or every few seconds, until
/// `stop` is set: what a server does beside serving.
pub async fn run(store: Store, options: Options, wake: Arc<Notify>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        match running(&store).await {
            Ok(ids) => {
                for id in ids {
                    if let Err(e) = work(&store, id, &options, &|_| {}, &stop).await {
                        tracing::warn!(error = %e, batch = %id, "working a batch failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for batches to work failed"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// The batches still running, oldest first.
async fn running(store: &Store) -> Result<Vec<Id>, Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Id,
    }
    let mut sql = Sql::new("SELECT id FROM batches WHERE status = ");
    sql.bind(BatchStatus::Running)
        .push(" ORDER BY created_at, id");
    Ok(store
        .fetch_all::<Row>(&sql)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
