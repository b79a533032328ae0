//! `dealdraft segment …` and `dealdraft batch …`: segments and their
//! readiness, and batches worked from the command line with a progress
//! bar.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use dealdraft::auth::Actor;
use dealdraft::auth::users;
use dealdraft::batches::{self, BatchRequest, Counts, ItemFilter, ItemStatus, work};
use dealdraft::config::DatabaseArgs;
use dealdraft::error::Error;
use dealdraft::segments::{self, Segment, members};
use dealdraft::store::{Id, Store};

use super::{cli_error, open};

#[derive(Subcommand)]
pub enum SegmentCommand {
    /// Save a segment: a filter over contacts, accounts or deals.
    Add(SegmentAddArgs),
    /// How many records a segment holds and, with --template, how many are
    /// ready for it and which fields are most often blank.
    Show(SegmentShowArgs),
}

#[derive(clap::Args)]
pub struct SegmentAddArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// a-z, 0-9 and -; what batches name it by.
    #[arg(long)]
    key: String,
    #[arg(long)]
    name: String,
    /// contact, account or deal.
    #[arg(long)]
    subject: String,
    /// Which records belong, in the rule language; without it, every
    /// record of the kind.
    #[arg(long)]
    rule: Option<String>,
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

#[derive(clap::Args)]
pub struct SegmentShowArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The segment's key or id.
    segment: String,
    /// A template to check each record's readiness for.
    #[arg(long)]
    template: Option<String>,
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
    /// Print the summary as JSON, as the API answers.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum BatchCommand {
    /// Start a batch and work it here with a progress bar: one document per
    /// record of the segment. Exits 1 when any record was skipped or failed.
    Start(StartArgs),
    /// Work a batch again: makes exactly the documents still missing (after
    /// an interruption, the records another worker held are taken up once
    /// its lease runs out).
    Resume(ResumeArgs),
    /// Print a batch's progress and the records skipped or failed.
    Status(StatusArgs),
    /// Write a batch's documents, with batch.csv listing every record, as
    /// one ZIP.
    Archive(ArchiveArgs),
}

#[derive(clap::Args)]
pub struct WorkArgs {
    /// Documents made at once (default: two per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Also write the documents as one ZIP here when the batch ends.
    #[arg(long, value_name = "FILE")]
    zip: Option<PathBuf>,
    /// Act as this user; without it the built-in `system` user, an admin.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

#[derive(clap::Args)]
pub struct StartArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The template's key; the version published now is used throughout.
    #[arg(long)]
    template: String,
    /// The segment's key or id.
    #[arg(long)]
    segment: String,
    /// pdf, docx, html or eml.
    #[arg(long)]
    format: String,
    /// Make drafts: for every record, ready or not, marked "DRAFT".
    #[arg(long)]
    draft: bool,
    #[command(flatten)]
    work: WorkArgs,
}

#[derive(clap::Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The batch's id.
    batch: Id,
    #[command(flatten)]
    work: WorkArgs,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    batch: Id,
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
    /// Print the progress as JSON, as the API answers.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ArchiveArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    batch: Id,
    /// Where to write the ZIP.
    #[arg(short, long)]
    output: PathBuf,
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

/// Runs `body` on the store of `database`, closing the store afterwards.
async fn with_store<T>(
    database: &DatabaseArgs,
    body: impl AsyncFnOnce(&Store) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let store = open(database).await?;
    let result = body(&store).await;
    store.close().await;
    result
}

pub async fn segment(command: SegmentCommand) -> anyhow::Result<()> {
    match command {
        SegmentCommand::Add(args) => {
            with_store(&args.database, async |store| {
                let actor = users::cli_actor_or_system(store, args.as_user.as_deref())
                    .await
                    .map_err(cli_error)?;
                let input = dealdraft::input::from_json_value(serde_json::json!({
                    "key": args.key, "name": args.name, "subject": args.subject, "rule": args.rule,
                }))
                .map_err(cli_error)?;
                let segment = dealdraft::crm::create::<Segment>(store, &actor, input)
                    .await
                    .map_err(|e| match e {
                        Error::Validation(fields) | Error::Conflict { fields, .. }
                            if !fields.is_empty() =>
                        {
                            let (field, problem) = fields.first();
                            anyhow::anyhow!("cannot add the segment: --{field} {problem}")
                        }
                        e => anyhow::anyhow!("cannot add the segment: {e}"),
                    })?;
                println!("{}", segment.meta.id);
                Ok(())
            })
            .await
        }
        SegmentCommand::Show(args) => {
            with_store(&args.database, async |store| {
                let actor = users::cli_actor_or_system(store, args.as_user.as_deref())
                    .await
                    .map_err(cli_error)?;
                let segment = segments::by_key(store, &args.segment)
                    .await
                    .map_err(cli_error)?;
                let summary = members::summary(store, &actor, &segment, args.template.as_deref())
                    .await
                    .map_err(cli_error)?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&summary)?);
                    return Ok(());
                }
                println!(
                    "segment `{}`: {} {}",
                    summary.segment,
                    summary.count,
                    summary.subject.table()
                );
                if let (Some(template), Some(ready), Some(not_ready)) =
                    (&summary.template, summary.ready, summary.not_ready)
                {
                    println!("for `{template}`: {ready} ready, {not_ready} not ready");
                    for field in &summary.missing {
                        println!(
                            "  {} {} ({}): blank for {} of them; fill with",
                            field.entity, field.field, field.label, field.members
                        );
                        for record in &field.records {
                            println!("    {}", record.href);
                        }
                        if field.more_records > 0 {
                            println!("    … and {} more", field.more_records);
                        }
                    }
                }
                Ok(())
            })
            .await
        }
    }
}

pub async fn batch(command: BatchCommand) -> anyhow::Result<()> {
    match command {
        BatchCommand::Start(args) => {
            let format = super::document_format(&args.format)?;
            with_store(&args.database, async |store| {
                let actor = users::cli_actor_or_system(store, args.work.as_user.as_deref())
                    .await
                    .map_err(cli_error)?;
                let request = BatchRequest {
                    template: args.template.clone(),
                    segment: args.segment.clone(),
                    format,
                    draft: args.draft,
                };
                let batch = batches::create(store, &actor, request)
                    .await
                    .map_err(cli_error)?;
                println!(
                    "batch {}: `{}` as {} for {} {} of segment `{}`",
                    batch.meta.id,
                    batch.template,
                    batch.format.as_str(),
                    batch.total,
                    batch.subject.table(),
                    batch.segment_key
                );
                work_here(store, &actor, batch.meta.id, &args.work).await
            })
            .await
        }
        BatchCommand::Resume(args) => {
            with_store(&args.database, async |store| {
                let actor = users::cli_actor_or_system(store, args.work.as_user.as_deref())
                    .await
                    .map_err(cli_error)?;
                batches::get(store, &actor, args.batch)
                    .await
                    .map_err(cli_error)?;
                work_here(store, &actor, args.batch, &args.work).await
            })
            .await
        }
        BatchCommand::Status(args) => {
            with_store(&args.database, async |store| {
                let actor = users::cli_actor_or_system(store, args.as_user.as_deref())
                    .await
                    .map_err(cli_error)?;
                let progress = batches::progress(store, &actor, args.batch)
                    .await
                    .map_err(cli_error)?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&progress)?);
                    return Ok(());
                }
                let b = &progress.batch;
                println!(
                    "batch {}: `{}` as {} for segment `{}`, {}",
                    b.meta.id,
                    b.template,
                    b.format.as_str(),
                    b.segment_key,
                    b.status.as_str()
                );
                print_counts(b.total, &progress.counts);
                print_problems(store, &actor, args.batch).await
            })
            .await
        }
        BatchCommand::Archive(args) => {
            with_store(&args.database, async |store| {
                let actor = users::cli_actor_or_system(store, args.as_user.as_deref())
                    .await
                    .map_err(cli_error)?;
                write_archive(store, &actor, args.batch, &args.output).await
            })
            .await
        }
    }
}

/// Works batch `id` in this process with a progress bar until it ends or
/// Ctrl-C; then prints what became of it.
async fn work_here(store: &Store, actor: &Actor, id: Id, args: &WorkArgs) -> anyhow::Result<()> {
    let progress = batches::progress(store, actor, id)
        .await
        .map_err(cli_error)?;
    let mut options = work::Options::new();
    if let Some(jobs) = args.jobs {
        options.jobs = jobs.into();
    }
    let bar = ProgressBar::with_draw_target(
        Some(progress.batch.total.max(0) as u64),
        ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{wide_bar} {pos}/{len} documents · {per_sec} · ETA {eta} · {msg}",
        )
        .map_err(|e| anyhow::anyhow!("the progress bar's template: {e}"))?,
    );
    bar.set_position(progress.counts.ended() as u64);
    bar.reset_eta();
    let stop = Arc::new(AtomicBool::new(false));
    let interrupt = tokio::spawn({
        let stop = stop.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        }
    });
    let problems = std::sync::atomic::AtomicU64::new(0);
    let ended = |status: ItemStatus| {
        bar.inc(1);
        if status != ItemStatus::Done {
            let n = problems.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("{n} skipped or failed"));
        }
    };
    let counts = work::work(store, id, &options, &ended, &stop).await;
    interrupt.abort();
    bar.finish_and_clear();
    let counts = counts.map_err(cli_error)?;
    print_counts(progress.batch.total, &counts);
    print_problems(store, actor, id).await?;
    if stop.load(Ordering::Relaxed) && counts.pending + counts.working > 0 {
        println!("stopped: `dealdraft batch resume {id}` makes the rest");
    }
    if let Some(path) = &args.zip {
        write_archive(store, actor, id, path).await?;
    }
    match (
        counts.pending + counts.working,
        counts.skipped + counts.failed,
    ) {
        (0, 0) => Ok(()),
        (0, problems) => anyhow::bail!("{problems} record(s) skipped or failed"),
        (open, _) => anyhow::bail!("{open} record(s) not made yet"),
    }
}

fn print_counts(total: i64, counts: &Counts) {
    println!(
        "{} of {total} made, {} skipped (not ready), {} failed, {} pending, {} being made",
        counts.done, counts.skipped, counts.failed, counts.pending, counts.working
    );
}

/// How many problems are printed; the rest are in the archive's list.
const PROBLEMS_PRINTED: u32 = 50;

async fn print_problems(store: &Store, actor: &Actor, id: Id) -> anyhow::Result<()> {
    for status in [ItemStatus::Skipped, ItemStatus::Failed] {
        let params = dealdraft::crm::ListParams {
            limit: Some(PROBLEMS_PRINTED),
            ..Default::default()
        };
        let filter = ItemFilter {
            status: Some(status),
        };
        let page = batches::items(store, actor, id, &params, &filter)
            .await
            .map_err(cli_error)?;
        for item in &page.items {
            println!(
                "{} {} {} ({}): {}",
                status.as_str(),
                item.position,
                item.name.as_deref().unwrap_or("unnamed"),
                item.subject_id,
                item.reason.as_deref().unwrap_or_default()
            );
            // Where to fill each blank field the reason names.
            let missing = item.missing.as_ref().and_then(|m| m.0.as_array());
            for field in missing.into_iter().flatten() {
                println!(
                    "  {} ({}): fill with {}",
                    field["field"].as_str().unwrap_or_default(),
                    field["entity"].as_str().unwrap_or_default(),
                    field["href"].as_str().unwrap_or_default()
                );
            }
        }
        if page.next_cursor.is_some() {
            println!(
                "… more {} records: `dealdraft batch archive` lists them all",
                status.as_str()
            );
        }
    }
    Ok(())
}

async fn write_archive(store: &Store, actor: &Actor, id: Id, path: &Path) -> anyhow::Result<()> {
    super::write_chunks(path, |sender| {
        batches::archive::write(store, actor, id, sender)
    })
    .await?;
    println!("archive written to {}", path.display());
    Ok(())
}
