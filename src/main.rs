//! The `dealdraft` command line.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use dealdraft::auth::Actor;
use dealdraft::auth::users::{self, User};
use dealdraft::config::{DatabaseArgs, ServeArgs};
use dealdraft::document::Assets;
use dealdraft::error::Error;
use dealdraft::pipeline::Job;
use dealdraft::render::Format;
use dealdraft::store::{Id, Store};

#[path = "cli/batch.rs"]
mod batch_cli;
#[path = "cli/forecast.rs"]
mod forecast_cli;

// glibc's allocator spends much of a busy server's time in locks and
// consolidation; mimalloc's per-thread heaps avoid both.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "dealdraft",
    version,
    about = "Proposal and sales-collateral generator with a small CRM"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve the web app and the JSON API.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Seed a demo workspace into an empty database, print it, then serve.
    Demo(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Render a template or Markdown file, without a database.
    Render(RenderArgs),
    /// List the blank fields a template would print for a deal, contact or
    /// account; exits 1 when there are any.
    Readiness(ReadinessArgs),
    /// Generate a document for a deal, contact or account, keep it, and
    /// write its file; exits 1 (listing the blank fields) when the subject
    /// is not ready.
    Generate(GenerateArgs),
    /// E-mail a generated document to the contact it was made for, through
    /// the mail server in the settings; exits 1 when the server refuses.
    Send(SendArgs),
    /// Segments: saved filters over contacts, accounts or deals.
    #[command(subcommand)]
    Segment(batch_cli::SegmentCommand),
    /// Batches: one document per record of a segment.
    #[command(subcommand)]
    Batch(batch_cli::BatchCommand),
    /// Print the forecast of a period as tables, or make the pipeline
    /// report with --report.
    Forecast(forecast_cli::ForecastArgs),
    /// Write a consistent copy of the SQLite database to FILE, while
    /// servers use it.
    Backup(BackupArgs),
    /// Check a backup and put it in place of the SQLite database; stop the
    /// servers using it first.
    Restore(RestoreArgs),
    /// Write every account, contact or deal as CSV.
    Export(ExportArgs),
    /// Import contacts or accounts from a CSV or vCard file: prints the
    /// plan (a dry run) unless --commit.
    Import(ImportArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// A CSV or vCard (.vcf) file.
    file: PathBuf,
    /// contacts or accounts; default: told from the file.
    #[arg(long)]
    kind: Option<String>,
    /// Write the plan; without it nothing is written.
    #[arg(long)]
    commit: bool,
    /// With --commit: write the valid rows although others are not.
    #[arg(long, requires = "commit")]
    skip_bad_rows: bool,
    /// Print the plan as JSON, as the API answers.
    #[arg(long)]
    json: bool,
    /// Import as this user (who then owns what is made); without it the
    /// built-in `system` user.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

#[derive(clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// accounts, contacts or deals.
    what: String,
    /// Where to write; `-` (the default) writes to standard output.
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
}

#[derive(clap::Args)]
struct BackupArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Where to write the copy; it must not exist yet.
    file: PathBuf,
}

#[derive(clap::Args)]
struct RestoreArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The backup to put back.
    file: PathBuf,
    /// Replace the database there now (its data is lost).
    #[arg(long)]
    replace: bool,
}

#[derive(clap::Args)]
struct SendArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The generated document's id.
    #[arg(long, value_name = "ID")]
    document: Id,
    #[command(flatten)]
    smtp: dealdraft::config::SmtpArgs,
    /// Send as this user; without it the built-in `system` user, an admin.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

/// What a document is about: exactly one of these.
#[derive(clap::Args)]
#[group(id = "subject", required = true, multiple = false)]
struct SubjectArgs {
    #[arg(long, value_name = "ID")]
    deal: Option<Id>,
    #[arg(long, value_name = "ID")]
    contact: Option<Id>,
    #[arg(long, value_name = "ID")]
    account: Option<Id>,
}

impl SubjectArgs {
    fn subject(&self) -> anyhow::Result<dealdraft::context::Subject> {
        use dealdraft::context::Subject;
        Ok(match (self.deal, self.contact, self.account) {
            (Some(id), _, _) => Subject::Deal(id),
            (_, Some(id), _) => Subject::Contact(id),
            (_, _, Some(id)) => Subject::Account(id),
            _ => anyhow::bail!("name a subject: --deal, --contact or --account"),
        })
    }
}

#[derive(clap::Args)]
struct GenerateArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The template's key; its published version is used.
    #[arg(long)]
    template: String,
    #[command(flatten)]
    subject: SubjectArgs,
    /// pdf, docx, html or eml (an e-mail with the PDF attached).
    #[arg(long)]
    format: String,
    /// Where to write the file.
    #[arg(short, long)]
    output: PathBuf,
    /// A draft: "DRAFT" on every page and each blank field named where it
    /// would print; made even when the subject is not ready.
    #[arg(long)]
    draft: bool,
    /// Generate as this user; without it the built-in `system` user, an
    /// admin.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

#[derive(clap::Args)]
struct ReadinessArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The template's key; its published version is checked.
    #[arg(long)]
    template: String,
    #[command(flatten)]
    subject: SubjectArgs,
    /// Check as this user (whether they may fill each field); without it
    /// the built-in `system` user, an admin, checks.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
    /// Print the result as JSON, as the API answers.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct RenderArgs {
    /// The template (with --data) or Markdown file; `-` reads standard input.
    input: PathBuf,
    /// A JSON object the template renders with; without it INPUT is plain
    /// Markdown.
    #[arg(long)]
    data: Option<PathBuf>,
    /// classic or modern; default: the front matter's `theme`, else classic.
    #[arg(long)]
    theme: Option<String>,
    /// html, pdf or docx.
    #[arg(long)]
    format: String,
    /// Where to write; `-` writes to standard output.
    #[arg(short, long)]
    output: PathBuf,
    /// A folder of PNG and JPEG images the document may name.
    #[arg(long)]
    assets: Option<PathBuf>,
    /// Fail on a missing image instead of printing its alt text.
    #[arg(long)]
    strict: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user and print its id.
    Add(UserAddArgs),
}

#[derive(clap::Args)]
struct UserAddArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    /// rep, manager, marketing, legal or admin.
    #[arg(long)]
    role: String,
    /// The password; `-` reads it from standard input (keeps it out of the
    /// shell history and the process list).
    #[arg(long)]
    password: String,
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    /// Act as this user (an active admin), as the audit log records it;
    /// without it the built-in `system` user acts.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

fn main() -> ExitCode {
    // Logs go to stderr, so stdout carries only what a command reports.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let command = Cli::parse().command;
    let result = match command {
        // Rendering needs no database and no runtime: it starts faster and
        // lighter without one.
        Command::Render(args) => render(args),
        command => match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime.block_on(run(command)),
            Err(e) => Err(anyhow::anyhow!("cannot start the runtime: {e}")),
        },
    };
    // A plain message, never a backtrace: these are the user's errors.
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            open(&args).await?;
            println!("migrations applied to {}", args.database_url);
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => add_user(args).await,
        Command::Render(args) => render(args),
        Command::Readiness(args) => readiness(args).await,
        Command::Generate(args) => generate(args).await,
        Command::Send(args) => send(args).await,
        Command::Segment(command) => batch_cli::segment(command).await,
        Command::Batch(command) => batch_cli::batch(command).await,
        Command::Forecast(args) => forecast_cli::run(args).await,
        Command::Backup(args) => backup(args).await,
        Command::Restore(args) => restore(args).await,
        Command::Export(args) => export(args).await,
        Command::Import(args) => import(args).await,
        Command::Demo(args) => {
            let store = open(&args.database).await?;
            let seeded = dealdraft::demo::seed(&store).await?;
            println!("{}", seeded.summary);
            // A sample that cannot be made is no reason not to serve.
            if let Some(request) = seeded.sample
                && let Err(e) = write_sample(&store, request).await
            {
                eprintln!("warning: no sample proposal: {e:#}");
            }
            store.close().await;
            serve(args).await
        }
    }
}

async fn add_user(args: UserAddArgs) -> anyhow::Result<()> {
    let password = if args.password == "-" {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        args.password
    };
    let store = open(&args.database).await?;
    let input = serde_json::json!({
        "email": args.email, "name": args.name, "role": args.role, "password": password,
        "title": args.title, "phone": args.phone,
    });
    let result = async {
        let actor = users::cli_actor_or_system(&store, args.as_user.as_deref()).await?;
        let input = dealdraft::input::from_json_value(input)?;
        dealdraft::crm::create::<User>(&store, &actor, input).await
    }
    .await;
    store.close().await;
    match result {
        Ok(user) => {
            println!("{}", user.meta.id);
            Ok(())
        }
        Err(Error::Validation(fields)) | Err(Error::Conflict { fields, .. })
            if !fields.is_empty() =>
        {
            let (field, problem) = fields.first();
            anyhow::bail!("cannot add the user: --{field} {problem}")
        }
        Err(e) => Err(anyhow::anyhow!("cannot add the user: {e}")),
    }
}

async fn readiness(args: ReadinessArgs) -> anyhow::Result<()> {
    let subject = args.subject.subject()?;
    let store = open(&args.database).await?;
    let result = async {
        let actor = users::cli_actor_or_system(&store, args.as_user.as_deref()).await?;
        dealdraft::context::readiness::check(&store, &actor, subject, &args.template).await
    }
    .await;
    store.close().await;
    let readiness = result.map_err(cli_error)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&readiness)?);
    } else if readiness.ready {
        println!(
            "ready: `{}` version {} prints no blank field",
            readiness.template, readiness.template_version
        );
    } else {
        println!(
            "not ready: `{}` version {} would print {} blank field(s):",
            readiness.template,
            readiness.template_version,
            readiness.missing.len()
        );
        print_missing(&readiness.missing);
    }
    if readiness.ready {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{} field(s) missing",
            readiness.missing.len()
        ))
    }
}

/// A library error as the command line says it: a field's problem alone.
fn cli_error(e: Error) -> anyhow::Error {
    match e {
        Error::Validation(fields) if !fields.is_empty() => {
            let (_, problem) = fields.first();
            anyhow::anyhow!("{problem}")
        }
        e => anyhow::anyhow!("{e}"),
    }
}

/// Each blank field, the record that holds it and what writes it.
fn print_missing(missing: &[dealdraft::context::readiness::Missing]) {
    for m in missing {
        let id = m.id.map(|id| format!(" {id}")).unwrap_or_default();
        println!(
            "  {}{id} {} ({}): {} {}",
            m.entity,
            m.field,
            m.label,
            if m.editable {
                "fill with"
            } else {
                "ask someone to fill, with"
            },
            m.href
        );
    }
}

async fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    use dealdraft::documents::{self, generate::GenerateRequest};
    let format = document_format(&args.format)?;
    let request = GenerateRequest::new(args.template, args.subject.subject()?, format, args.draft);
    let store = open(&args.database).await?;
    let result = async {
        let actor = users::cli_actor_or_system(&store, args.as_user.as_deref()).await?;
        let document = documents::generate::generate(&store, &actor, request).await?;
        documents::content(&store, &actor, document.meta.id).await
    }
    .await;
    store.close().await;
    let (document, bytes) = match result {
        Ok(made) => made,
        Err(Error::NotReady { message, missing }) => {
            println!("not ready: {message}");
            print_missing(&missing);
            anyhow::bail!("{} field(s) missing", missing.len());
        }
        Err(e) => return Err(cli_error(e)),
    };
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "document {} ({}, {} bytes, SHA-256 {}) written to {}",
        document.meta.id,
        document.file_name,
        document.size_bytes,
        document.sha256,
        args.output.display()
    );
    Ok(())
}

/// A `--format` of a generated document.
fn document_format(text: &str) -> anyhow::Result<dealdraft::documents::DocumentFormat> {
    text.trim().to_ascii_lowercase().parse().map_err(|_| {
        anyhow::anyhow!("unknown --format `{text}`; the formats are: pdf, docx, html, eml")
    })
}

fn render(args: RenderArgs) -> anyhow::Result<()> {
    let format = Format::parse(&args.format).with_context(|| {
        format!(
            "unknown --format `{}`; the formats are: html, pdf, docx",
            args.format
        )
    })?;
    let read = |path: &Path| -> anyhow::Result<String> {
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read standard input")?;
            Ok(text)
        } else {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
        }
    };
    let source = read(&args.input)?;
    let data = match &args.data {
        None => None,
        Some(path) => {
            let text = read(path)?;
            let mut value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?;
            let Some(object) = value.as_object_mut() else {
                anyhow::bail!("{} must hold a JSON object", path.display());
            };
            // Templates date themselves with `today` unless the data says.
            object
                .entry("today")
                .or_insert_with(|| chrono::Local::now().date_naive().to_string().into());
            Some(value)
        }
    };
    let mut assets = Assets::default();
    if let Some(dir) = &args.assets {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let is_image = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"));
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|_| is_image)
            else {
                continue;
            };
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            assets
                .insert(name, bytes)
                .with_context(|| format!("{} is not a usable image", path.display()))?;
        }
    }
    let name = args
        .input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("input");
    let produced = dealdraft::pipeline::run(Job {
        name,
        source: &source,
        data: data.as_ref(),
        theme: args.theme.as_deref(),
        format,
        assets,
        strict: args.strict,
    })?;
    for warning in &produced.warnings {
        eprintln!("warning: {warning}");
    }
    if args.output == Path::new("-") {
        std::io::stdout().write_all(&produced.bytes)?;
    } else {
        std::fs::write(&args.output, &produced.bytes)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
    }
    Ok(())
}

async fn send(args: SendArgs) -> anyhow::Result<()> {
    let store = open(&args.database).await?;
    let result = async {
        let actor = users::cli_actor_or_system(&store, args.as_user.as_deref()).await?;
        let credentials = args.smtp.credentials();
        dealdraft::documents::send::send(&store, &actor, credentials.as_ref(), args.document).await
    }
    .await;
    store.close().await;
    let sending = result.map_err(cli_error)?;
    println!(
        "document {} sent to {} (sending {}); the mail server answered: {}",
        args.document,
        sending.to_email,
        sending.meta.id,
        sending.reply.unwrap_or_default()
    );
    Ok(())
}

/// Writes what `produce` sends to `path` (`-`: standard output) as it
/// comes.
async fn write_chunks<T, Fut>(
    path: &Path,
    produce: impl FnOnce(tokio::sync::mpsc::Sender<Vec<u8>>) -> Fut,
) -> anyhow::Result<T>
where
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let mut out: Box<dyn Write> = if path == Path::new("-") {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let writing = async {
        while let Some(chunk) = receiver.recv().await {
            out.write_all(&chunk)?;
        }
        out.flush()
    };
    let (made, written) = tokio::join!(produce(sender), writing);
    let made = made.map_err(cli_error)?;
    written.with_context(|| format!("cannot write {}", path.display()))?;
    Ok(made)
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    use dealdraft::crm::{accounts::Account, contacts::Contact, deals::Deal, export};
    let what = args.what.trim().to_ascii_lowercase();
    if !export::EXPORTS.contains(&what.as_str()) {
        anyhow::bail!(
            "cannot export `{}`: the exports are accounts, contacts and deals",
            args.what
        );
    }
    let store = open(&args.database).await?;
    let actor = Actor::system();
    let written = write_chunks(&args.output, |sender| async {
        match what.as_str() {
            "accounts" => export::write::<Account>(&store, &actor, sender).await,
            "contacts" => export::write::<Contact>(&store, &actor, sender).await,
            _ => export::write::<Deal>(&store, &actor, sender).await,
        }
    })
    .await;
    store.close().await;
    let rows = written?;
    if args.output != Path::new("-") {
        println!("{rows} {what} written to {}", args.output.display());
    }
    Ok(())
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    use dealdraft::crm::import::{self, ImportOptions, RowAction};
    let kind = match &args.kind {
        None => None,
        Some(kind) => Some(kind.trim().parse().map_err(|_| {
            anyhow::anyhow!("unknown --kind `{kind}`; the kinds are contacts and accounts")
        })?),
    };
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let store = open(&args.database).await?;
    let result = async {
        let actor = users::cli_actor_or_system(&store, args.as_user.as_deref()).await?;
        let options = ImportOptions {
            kind,
            commit: args.commit,
            skip_bad_rows: args.skip_bad_rows,
        };
        import::import(&store, &actor, &bytes, options).await
    }
    .await;
    store.close().await;
    let report = result.map_err(cli_error)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for row in report.plan.iter().filter(|r| r.action != RowAction::Error) {
            let what = match row.action {
                RowAction::Error => "",
                RowAction::Skip => "skip",
                RowAction::Update => "update",
                RowAction::Create => "create",
            };
            let detail = match row.action {
                RowAction::Update => format!(" (fills {})", row.fields.join(", ")),
                _ => row
                    .reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
            };
            println!(
                "line {:>5}  {what:<6} {} {}{detail}{}",
                row.line,
                row.entity,
                row.name.as_deref().unwrap_or(""),
                if row.account_created {
                    " (with a new account)"
                } else {
                    ""
                }
            );
        }
        for e in &report.errors {
            println!("line {:>5}  error  {}: {}", e.line, e.field, e.problem);
        }
        if !report.ignored_columns.is_empty() {
            println!("columns left out: {}", report.ignored_columns.join(", "));
        }
        println!(
            "{} rows of {}: {} contacts and {} accounts {}, {} contacts and {} accounts {}, {} skipped, {} with errors",
            report.rows,
            report.format,
            report.created.contacts,
            report.created.accounts,
            if report.committed {
                "created"
            } else {
                "to create"
            },
            report.updated.contacts,
            report.updated.accounts,
            if report.committed {
                "updated"
            } else {
                "to update"
            },
            report.skipped,
            report.errors.len()
        );
    }
    match (args.commit, report.committed) {
        (false, _) => {
            println!("dry run: nothing was written; --commit writes it");
            Ok(())
        }
        (true, true) => Ok(()),
        (true, false) => anyhow::bail!(
            "{} row(s) cannot be imported, so nothing was written: fix them, or add --skip-bad-rows",
            report.errors.len()
        ),
    }
}

fn describe(contents: &dealdraft::store::backup::Contents) -> String {
    format!(
        "database version {}: {} accounts, {} contacts, {} deals, {} documents",
        contents.version, contents.accounts, contents.contacts, contents.deals, contents.documents
    )
}

async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let url = &args.database.database_url;
    if !url.starts_with("sqlite:") {
        return Err(dealdraft::store::backup::BackupError::Postgres.into());
    }
    // The copy is of the database as it is: no migration first.
    let store = Store::connect(url)
        .await
        .with_context(|| format!("cannot open the database {url}"))?;
    let made = dealdraft::store::backup::backup(&store, &args.file).await;
    store.close().await;
    let contents = made?;
    println!(
        "backup written to {} ({}), integrity checked",
        args.file.display(),
        describe(&contents)
    );
    Ok(())
}

async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let url = &args.database.database_url;
    let contents = dealdraft::store::backup::restore(
        &args.file,
        url,
        args.replace,
        dealdraft::store::schema_version(),
    )
    .await?;
    // Brings a backup of an older release up to this one.
    open(&args.database).await?.close().await;
    println!(
        "{} restored to {url} ({})",
        args.file.display(),
        describe(&contents)
    );
    Ok(())
}

/// Generates the demo's sample proposal (kept like any document) and
/// writes it in the current directory.
async fn write_sample(
    store: &Store,
    request: dealdraft::documents::generate::GenerateRequest,
) -> anyhow::Result<()> {
    let actor = Actor::system();
    let made = async {
        let document = dealdraft::documents::generate::generate(store, &actor, request).await?;
        dealdraft::documents::content(store, &actor, document.meta.id).await
    }
    .await;
    let (document, bytes) = made.map_err(cli_error)?;
    let path = PathBuf::from(SAMPLE_FILE);
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "Sample proposal with its quote written to {} (document {})",
        path.display(),
        document.meta.id
    );
    Ok(())
}

/// Where `demo` writes its sample proposal.
const SAMPLE_FILE: &str = "dealdraft-sample-proposal.pdf";

async fn open(args: &DatabaseArgs) -> anyhow::Result<Store> {
    dealdraft::open(&args.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", args.database_url))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = open(&args.database).await?;
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %args.database.database_url, "serving");
    println!(
        "dealdraft is serving on http://{addr} (the web app at /login, the API under /api/v1; Ctrl-C stops)"
    );
    let defaults = dealdraft::web::Options::default();
    let options = dealdraft::web::Options {
        session_hours: args.session_hours,
        smtp_credentials: args.smtp.credentials(),
        batch_jobs: args
            .batch_jobs
            .map_or(defaults.batch_jobs, |jobs| jobs.into()),
    };
    dealdraft::web::serve_with(listener, store, options, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
