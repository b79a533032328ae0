//! Backup, restore and CSV export: the SQLite backup taken while writers
//! write, the checks a restore makes before it puts a file back, and the
//! accounts, contacts and deals CSV downloads (API and command line).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestApp, both_backends, id_of};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

// ---- helpers ---------------------------------------------------------------

/// The real binary, as a child process, with no database or address from
/// the environment.
fn dealdraft() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DEALDRAFT_ADDR")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

/// Runs `dealdraft ARGS` to the end (at most two minutes).
async fn cli(args: &[&str]) -> Output {
    let run = dealdraft().args(args).output();
    match tokio::time::timeout(Duration::from_secs(120), run).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => panic!("running dealdraft {args:?}: {e}"),
        Err(_) => panic!("dealdraft {args:?} did not finish within 120 s"),
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Insists the command succeeded.
#[track_caller]
fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Insists the command failed with a message on stderr holding every one
/// of `needles` (case-insensitive); returns stderr.
#[track_caller]
fn assert_refused(out: &Output, what: &str, needles: &[&str]) -> String {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "{what}: should fail, exit {:?}\nstdout: {}\nstderr: {err}",
        out.status.code(),
        stdout(out)
    );
    let lower = err.to_lowercase();
    for needle in needles {
        assert!(
            lower.contains(&needle.to_lowercase()),
            "{what}: stderr should name `{needle}`: {err}"
        );
    }
    err
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// `path` with `-suffix` added to its file name, as SQLite names its
/// `-wal` and `-shm` files.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(format!("-{suffix}"));
    path.with_file_name(name)
}

/// A read-only connection to the SQLite file at `path`.
async fn read_only(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    SqliteConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("opening {} read-only: {e}", path.display()))
}

/// `PRAGMA integrity_check` of the file at `path`, one string per row.
async fn integrity(path: &Path) -> Vec<String> {
    let mut conn = read_only(path).await;
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("integrity check of {}: {e}", path.display()));
    let _ = conn.close().await;
    rows.iter().map(|r| r.get::<String, _>(0)).collect()
}

/// The ids in the `accounts` table of the SQLite file at `path`.
async fn account_ids_in(path: &Path) -> BTreeSet<String> {
    let mut conn = read_only(path).await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM accounts")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("reading the accounts of {}: {e}", path.display()));
    let _ = conn.close().await;
    ids.into_iter().map(|id| normal_id(&id)).collect()
}

/// An id in one spelling (lower-case, hyphenated), however it was stored.
fn normal_id(id: &str) -> String {
    uuid::Uuid::parse_str(id)
        .unwrap_or_else(|e| panic!("{id:?} is not a UUID: {e}"))
        .to_string()
}

/// Every account of `store`, read through the library a page at a time.
async fn account_ids_listed(store: &dealdraft::store::Store) -> BTreeSet<String> {
    use dealdraft::crm::{self, ListParams, accounts::Account};
    let actor = dealdraft::auth::Actor::system();
    let mut params = ListParams {
        limit: Some(200),
        ..ListParams::default()
    };
    let mut ids = BTreeSet::new();
    for _ in 0..10_000 {
        let page = crm::list::<Account>(store, &actor, &params, &Default::default())
            .await
            .expect("listing accounts");
        let items: Vec<Value> = serde_json::from_str(&page.items).expect("a JSON array");
        for item in &items {
            assert!(ids.insert(normal_id(&id_of(item))), "listed twice: {item}");
        }
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor.encode()),
            None => return ids,
        }
    }
    panic!("more than 10 000 pages of accounts");
}

/// Creates an account named `name` through the library; its id.
async fn create_account(store: &dealdraft::store::Store, name: &str) -> String {
    use dealdraft::crm::{self, accounts::Account};
    let input = dealdraft::input::from_json_value(json!({ "name": name })).expect("input");
    let account: Account = crm::create(store, &dealdraft::auth::Actor::system(), input)
        .await
        .unwrap_or_else(|e| panic!("creating account {name}: {e}"));
    account.meta.id.to_string()
}

/// A new SQLite database at `path` holding accounts named `names`, closed
/// again (its write-ahead log checkpointed); their ids.
async fn database_with_accounts(path: &Path, names: &[&str]) -> BTreeSet<String> {
    let store = dealdraft::open(&sqlite_url(path))
        .await
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let mut ids = BTreeSet::new();
    for name in names {
        ids.insert(normal_id(&create_account(&store, name).await));
    }
    store.close().await;
    ids
}

/// The bytes of `path`, or `None` when there is no such file.
fn bytes_of(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

// ---- 1. a backup under write load ------------------------------------------

/// What the writers have done: acknowledged ids in the order their creates
/// returned (the index is the sequence number) and every failed create.
#[derive(Default)]
struct Writes {
    acknowledged: Vec<String>,
    failed: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_write_load_restores_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let backup = dir.path().join("backup.db");
    let url = sqlite_url(&live);
    let store = dealdraft::open(&url).await.expect("open the live database");

    let writes = Arc::new(Mutex::new(Writes::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..3 {
        let (store, writes, stop) = (store.clone(), writes.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            use dealdraft::crm::{self, accounts::Account};
            let actor = dealdraft::auth::Actor::system();
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let input =
                    dealdraft::input::from_json_value(json!({ "name": format!("w{writer}-{n}") }))
                        .expect("input");
                let made = crm::create::<Account>(&store, &actor, input).await;
                let mut writes = writes.lock().unwrap();
                match made {
                    Ok(account) => writes.acknowledged.push(account.meta.id.to_string()),
                    Err(e) => writes.failed.push(format!("w{writer}-{n}: {e}")),
                }
            }
        }));
    }

    // Let the writers get going.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = writes.lock().unwrap().acknowledged.len();
        if done >= 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} accounts written in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Everything acknowledged up to here must be in the backup.
    let before: Vec<String> = writes.lock().unwrap().acknowledged.clone();
    let out = cli(&["backup", "--database-url", &url, text(&backup)]).await;
    let during_backup = writes.lock().unwrap().acknowledged.len() - before.len();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("a writer panicked");
    }
    let writes = std::mem::take(&mut *writes.lock().unwrap());

    assert_ok(&out, "backup under write load");
    assert!(
        writes.failed.is_empty(),
        "creates failed while the backup ran (the README: writers go on): {:?}",
        &writes.failed[..writes.failed.len().min(5)]
    );
    assert!(
        during_backup > 0,
        "no write was acknowledged while the backup ran: the writers were held up"
    );
    let printed = stdout(&out);
    assert!(printed.contains("integrity checked"), "{printed}");
    assert!(
        !sibling(&backup, "partial").exists(),
        "the partial file is left behind"
    );

    assert_eq!(integrity(&backup).await, ["ok"], "integrity of the backup");
    let in_backup = account_ids_in(&backup).await;
    assert!(
        printed.contains(&format!("{} accounts", in_backup.len())),
        "the backup holds {} accounts, the command says: {printed}",
        in_backup.len()
    );
    let missing: Vec<&String> = before
        .iter()
        .enumerate()
        .filter(|(_, id)| !in_backup.contains(&normal_id(id)))
        .map(|(_, id)| id)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of the {} writes acknowledged before the backup began are not in it, \
         first at sequence {:?}: {:?}",
        missing.len(),
        before.len(),
        before.iter().position(|id| Some(&id) == missing.first()),
        &missing[..missing.len().min(5)]
    );

    store.close().await;
    let in_live = account_ids_in(&live).await;
    let acknowledged: BTreeSet<String> = writes.acknowledged.iter().map(|i| normal_id(i)).collect();
    assert_eq!(
        in_live, acknowledged,
        "the live database holds exactly the acknowledged writes"
    );
    assert!(
        in_backup.len() <= in_live.len(),
        "the backup holds {} accounts, the live database {}",
        in_backup.len(),
        in_live.len()
    );
    let foreign: Vec<&String> = in_backup.difference(&in_live).collect();
    assert!(
        foreign.is_empty(),
        "the backup holds accounts the live database never had: {foreign:?}"
    );
    eprintln!(
        "{} acknowledged before the backup, {during_backup} during it, {} in the backup, {} in all",
        before.len(),
        in_backup.len(),
        in_live.len()
    );

    // Restored to a new place, it holds exactly what the backup holds.
    let restored = dir.path().join("restored.db");
    let restored_url = sqlite_url(&restored);
    let out = cli(&["restore", "--database-url", &restored_url, text(&backup)]).await;
    assert_ok(&out, "restore to a new file");
    assert!(
        !sibling(&restored, "restoring").exists(),
        "the file being restored is left behind"
    );
    let store = dealdraft::open(&restored_url)
        .await
        .expect("the restored database opens");
    let listed = account_ids_listed(&store).await;
    store.close().await;
    assert_eq!(
        listed, in_backup,
        "the restored database holds other accounts than the backup"
    );
    assert_eq!(
        integrity(&restored).await,
        ["ok"],
        "integrity after restore"
    );
}

// ---- 2. what restore (and backup) refuse ------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_checks_what_it_puts_back() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    let in_source = database_with_accounts(&source, &["Backed-up one", "Backed-up two"]).await;
    let backup = dir.path().join("good.db");
    let out = cli(&[
        "backup",
        "--database-url",
        &sqlite_url(&source),
        text(&backup),
    ])
    .await;
    assert_ok(&out, "backup of a closed database");
    assert_eq!(account_ids_in(&backup).await, in_source);

    // A refused restore leaves no database (and no half-copied file) at
    // the target.
    let target = dir.path().join("target.db");
    let target_url = sqlite_url(&target);
    let assert_no_target = |what: &str| {
        for path in [
            target.clone(),
            sibling(&target, "restoring"),
            sibling(&target, "wal"),
        ] {
            assert!(
                !path.exists(),
                "{what}: {} was made by a refused restore",
                path.display()
            );
        }
    };

    // Not SQLite at all.
    let not_sqlite = dir.path().join("notes.db");
    std::fs::write(&not_sqlite, "these are notes, not a database\n".repeat(200)).unwrap();
    let out = cli(&["restore", "--database-url", &target_url, text(&not_sqlite)]).await;
    assert_refused(&out, "restore of a text file", &["notes.db", "SQLite"]);
    assert_no_target("a text file");

    // No such file.
    let missing = dir.path().join("missing.db");
    let out = cli(&["restore", "--database-url", &target_url, text(&missing)]).await;
    assert_refused(
        &out,
        "restore of a missing file",
        &["missing.db", "no such file"],
    );
    assert_no_target("a missing file");

    // An SQLite database that is not dealdraft's.
    let other = dir.path().join("other.db");
    {
        let options = SqliteConnectOptions::new()
            .filename(&other)
            .create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE things (id INTEGER PRIMARY KEY); INSERT INTO things VALUES (1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let out = cli(&["restore", "--database-url", &target_url, text(&other)]).await;
    assert_refused(
        &out,
        "restore of another program's database",
        &["other.db", "dealdraft"],
    );
    assert_no_target("another program's database");

    // A backup from a newer release: one migration past this program's.
    let known = dealdraft::store::schema_version();
    let newer = dir.path().join("newer.db");
    std::fs::copy(&backup, &newer).unwrap();
    {
        let options = SqliteConnectOptions::new().filename(&newer);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        let columns = sqlx::query("PRAGMA table_info(_sqlx_migrations)")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let mut names = Vec::new();
        let mut values = Vec::new();
        for column in &columns {
            let name: String = column.get("name");
            let not_null: i64 = column.get("notnull");
            let default: Option<String> = column.get("dflt_value");
            let value = match name.as_str() {
                "version" => (known + 1).to_string(),
                "description" => "'from a newer release'".to_owned(),
                "success" => "1".to_owned(),
                "checksum" => "X'00'".to_owned(),
                "execution_time" => "0".to_owned(),
                _ if not_null == 0 || default.is_some() => continue,
                _ => panic!("_sqlx_migrations has a column this test does not know: {name}"),
            };
            names.push(name);
            values.push(value);
        }
        assert!(
            names.iter().any(|n| n == "version"),
            "_sqlx_migrations has no version column: {names:?}"
        );
        let insert = format!(
            "INSERT INTO _sqlx_migrations ({}) VALUES ({})",
            names.join(", "),
            values.join(", ")
        );
        sqlx::query(&insert).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
    assert_eq!(integrity(&newer).await, ["ok"]);
    let out = cli(&["restore", "--database-url", &target_url, text(&newer)]).await;
    let err = assert_refused(&out, "restore of a newer backup", &["newer.db", "newer"]);
    assert!(
        err.contains(&(known + 1).to_string()) && err.contains(&known.to_string()),
        "the message should give both versions ({} and {known}): {err}",
        known + 1
    );
    assert_no_target("a newer backup");

    // The good backup restores to a new file.
    let out = cli(&["restore", "--database-url", &target_url, text(&backup)]).await;
    assert_ok(&out, "restore of a good backup to a new file");
    assert!(stdout(&out).contains("2 accounts"), "{}", stdout(&out));
    assert_eq!(account_ids_in(&target).await, in_source);

    // An existing database: a server's, stopped without a checkpoint, its
    // last writes still in the write-ahead log. Copied while the store is
    // open, so `crashed.db-wal` holds frames `crashed.db` lacks.
    let live = dir.path().join("live.db");
    let store = dealdraft::open(&sqlite_url(&live)).await.unwrap();
    let mut in_crashed = BTreeSet::new();
    for name in ["Existing one", "Existing two", "Existing three"] {
        in_crashed.insert(normal_id(&create_account(&store, name).await));
    }
    let crashed = dir.path().join("crashed.db");
    for suffix in ["wal", "shm"] {
        std::fs::copy(sibling(&live, suffix), sibling(&crashed, suffix)).unwrap();
    }
    std::fs::copy(&live, &crashed).unwrap();
    store.close().await;
    let crashed_files = || {
        [
            crashed.clone(),
            sibling(&crashed, "wal"),
            sibling(&crashed, "shm"),
        ]
        .map(|p| bytes_of(&p))
    };
    let untouched = crashed_files();
    assert!(
        untouched[1].as_ref().is_some_and(|wal| !wal.is_empty()),
        "the copied database should have a write-ahead log with content"
    );
    let crashed_url = sqlite_url(&crashed);
    let out = cli(&["restore", "--database-url", &crashed_url, text(&backup)]).await;
    assert_refused(&out, "restore over an existing database", &["--replace"]);
    assert!(
        crashed_files() == untouched,
        "a refused restore changed the existing database or its -wal/-shm"
    );
    assert!(!sibling(&crashed, "restoring").exists());

    // With --replace it is put in place; the old log is not replayed into it.
    let out = cli(&[
        "restore",
        "--database-url",
        &crashed_url,
        text(&backup),
        "--replace",
    ])
    .await;
    assert_ok(&out, "restore --replace");
    assert_eq!(
        integrity(&crashed).await,
        ["ok"],
        "integrity after --replace"
    );
    let store = dealdraft::open(&crashed_url).await.unwrap();
    let listed = account_ids_listed(&store).await;
    store.close().await;
    assert_eq!(
        listed, in_source,
        "after --replace the database should hold the backup's accounts and no others \
         (the old database had {in_crashed:?})"
    );

    // A backup never overwrites a file.
    let precious = dir.path().join("precious.db");
    std::fs::write(&precious, b"not to be overwritten").unwrap();
    let out = cli(&[
        "backup",
        "--database-url",
        &sqlite_url(&source),
        text(&precious),
    ])
    .await;
    assert_refused(
        &out,
        "backup onto an existing file",
        &["precious.db", "exists"],
    );
    assert_eq!(std::fs::read(&precious).unwrap(), b"not to be overwritten");
    assert!(!sibling(&precious, "partial").exists());
    // Not even an existing good backup.
    let good_before = std::fs::read(&backup).unwrap();
    let out = cli(&[
        "backup",
        "--database-url",
        &sqlite_url(&live),
        text(&backup),
    ])
    .await;
    assert_refused(&out, "backup onto an existing backup", &["exists"]);
    assert_eq!(std::fs::read(&backup).unwrap(), good_before);

    // PostgreSQL: its own tools. The URL alone says so, reachable or not,
    // and a refused command leaves the database as it was.
    let nowhere = "postgres://dealdraft@127.0.0.1:1/dealdraft";
    let out = cli(&["restore", "--database-url", nowhere, text(&backup)]).await;
    assert_refused(&out, "restore to PostgreSQL", &["pg_dump"]);
    let file = dir.path().join("from-nowhere.db");
    let out = cli(&["backup", "--database-url", nowhere, text(&file)]).await;
    assert_refused(
        &out,
        "backup of an unreachable PostgreSQL URL",
        &["pg_dump"],
    );
    assert!(!file.exists());
    if let Some(pg) = common::fresh_postgres().await {
        let file = dir.path().join("from-postgres.db");
        let out = cli(&["backup", "--database-url", &pg.url, text(&file)]).await;
        assert_refused(
            &out,
            "backup of a reachable PostgreSQL database",
            &["pg_dump"],
        );
        assert!(!file.exists(), "a PostgreSQL backup made a file");
        let out = cli(&["restore", "--database-url", &pg.url, text(&backup)]).await;
        assert_refused(
            &out,
            "restore to a reachable PostgreSQL database",
            &["pg_dump"],
        );
        let mut conn = sqlx::postgres::PgConnection::connect(&pg.url)
            .await
            .expect("connect to the fresh PostgreSQL database");
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let _ = conn.close().await;
        assert_eq!(
            tables, 0,
            "a refused backup/restore of an empty PostgreSQL database created {tables} tables in it"
        );
    }
}

// ---- 3. CSV exports --------------------------------------------------------

/// `id`, then the fields a create takes in alphabetical order, then the
/// bookkeeping.
fn expected_columns(input_fields: &[&str]) -> Vec<String> {
    let mut fields: Vec<String> = input_fields.iter().map(|f| f.to_string()).collect();
    fields.sort();
    let mut columns = vec!["id".to_owned()];
    columns.extend(fields);
    columns.extend(["created_at", "updated_at", "version"].map(str::to_owned));
    columns
}

const ACCOUNT_FIELDS: &[&str] = &[
    "name",
    "domain",
    "industry",
    "employee_count",
    "country",
    "address",
    "credit_status",
    "credit_note",
    "owner_id",
];
const CONTACT_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "account_id",
    "owner_id",
];
const DEAL_FIELDS: &[&str] = &[
    "name",
    "account_id",
    "primary_contact_id",
    "owner_id",
    "stage",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "next_step",
    "next_step_date",
    "lost_reason",
];

/// A JSON value as the export's cell should show it: nothing for null,
/// text as it is, numbers and booleans written out, anything else as JSON.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A parsed export: the header and the rows, each row by column name.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    #[track_caller]
    fn parse(bytes: &[u8]) -> Csv {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes);
        let mut records = reader.records().map(|r| {
            r.unwrap_or_else(|e| panic!("not CSV: {e}"))
                .iter()
                .map(str::to_owned)
                .collect::<Vec<String>>()
        });
        let header = records.next().expect("a header row");
        let rows: Vec<Vec<String>> = records.collect();
        for row in &rows {
            assert_eq!(row.len(), header.len(), "a row of another width: {row:?}");
        }
        Csv { header, rows }
    }

    fn value<'a>(&'a self, row: &'a [String], column: &str) -> &'a str {
        let i = self
            .header
            .iter()
            .position(|c| c == column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", self.header));
        &row[i]
    }

    fn row(&self, id: &str) -> &[String] {
        self.rows
            .iter()
            .find(|r| r[0] == id)
            .unwrap_or_else(|| panic!("no row for {id}"))
    }
}

/// Downloads `/api/v1/exports/{file}` as the holder of `token`, checks the
/// headers and parses it; the raw bytes and the parsed CSV.
async fn export(app: &TestApp, token: &str, file: &str) -> (Vec<u8>, Csv) {
    let path = format!("/api/v1/exports/{file}");
    let got = app.download(token, &path).await;
    assert_eq!(
        got.status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&got.bytes)
    );
    assert_eq!(got.content_type, "text/csv; charset=utf-8", "GET {path}");
    assert!(
        got.disposition.starts_with("attachment") && got.disposition.contains(file),
        "GET {path}: Content-Disposition {:?}",
        got.disposition
    );
    assert!(
        std::str::from_utf8(&got.bytes).is_ok(),
        "GET {path}: not UTF-8"
    );
    let csv = Csv::parse(&got.bytes);
    (got.bytes, csv)
}

/// Every record of `collection` has exactly one row, and every cell shows
/// what the API gives for that field.
async fn assert_rows_match_the_api(app: &TestApp, collection: &str, csv: &Csv) {
    let items = app.list_all(&format!("/api/v1/{collection}")).await;
    let listed: BTreeSet<String> = items.iter().map(id_of).collect();
    let exported: Vec<String> = csv.rows.iter().map(|r| r[0].clone()).collect();
    let exported_set: BTreeSet<String> = exported.iter().cloned().collect();
    assert_eq!(
        exported.len(),
        exported_set.len(),
        "{collection}: a record exported twice"
    );
    assert_eq!(
        exported_set, listed,
        "{collection}: the export's ids are not the API's"
    );
    for item in &items {
        let row = csv.row(&id_of(item));
        for (i, column) in csv.header.iter().enumerate() {
            assert_eq!(
                row[i],
                cell(&item[column.as_str()]),
                "{collection} {}: column {column}",
                id_of(item)
            );
        }
    }
}

async fn exports_are_csv_of_every_record(app: &mut TestApp) {
    let (_, rep) = app.signed_in("rep").await;

    // Nothing yet: the header alone.
    let (_, empty) = export(app, &rep, "deals.csv").await;
    assert_eq!(empty.header, expected_columns(DEAL_FIELDS));
    assert!(empty.rows.is_empty(), "rows of no deals: {:?}", empty.rows);

    let address = "Hafenstraße 1\n20457 Hamburg, \"Speicherstadt\"";
    let mueller = app
        .create(
            "/api/v1/accounts",
            json!({"name": "Müller Maschinenbau GmbH", "domain": "mueller.example",
                   "industry": "Machinery", "employee_count": 250, "country": "DE",
                   "address": address}),
        )
        .await;
    let mueller_id = id_of(&mueller);
    let plain = app
        .create("/api/v1/accounts", json!({"name": "Acme \"Best\" Corp"}))
        .await;
    // More than one page (200 rows) of accounts.
    let names: Vec<String> = (0..205).map(|i| format!("Filler {i:03}")).collect();
    for chunk in names.chunks(25) {
        futures_util::future::join_all(chunk.iter().map(|name| app.new_account(name))).await;
    }

    // The title has a comma and quotes (a title is one line: no newline;
    // the address above has one).
    let title = "Head of \"Sales\", EMEA";
    let zoe = app
        .create(
            "/api/v1/contacts",
            json!({"first_name": "Zoë", "last_name": "Łukasiewicz-Müller", "title": title,
                   "email": "zoe@mueller.example", "phone": "+49 40 1234-56",
                   "account_id": mueller_id}),
        )
        .await;
    let zoe_id = id_of(&zoe);
    let yamada = app
        .create(
            "/api/v1/contacts",
            json!({"first_name": "太郎", "last_name": "山田"}),
        )
        .await;
    app.new_contact(&id_of(&plain), "Plain").await;

    let big = app
        .create(
            "/api/v1/deals",
            json!({"name": "Rollout, phase \"2\"", "account_id": mueller_id,
                   "primary_contact_id": zoe_id, "stage": "negotiation",
                   "amount": "12500.50", "currency": "EUR", "probability": 60,
                   "expected_close_date": "2026-11-30", "next_step": "Call Zoë, then sign"}),
        )
        .await;
    app.new_deal(&id_of(&plain), "Small").await;

    // Contacts, as a rep.
    let (contacts_bytes, contacts) = export(app, &rep, "contacts.csv").await;
    assert_eq!(contacts.header, expected_columns(CONTACT_FIELDS));
    assert_eq!(contacts.rows.len(), 3, "{:?}", contacts.rows);
    assert_rows_match_the_api(app, "contacts", &contacts).await;
    let zoe_read = app.fetch(&format!("/api/v1/contacts/{zoe_id}")).await;
    let zoe_row = contacts.row(&zoe_id);
    for column in [
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "account_id",
        "owner_id",
        "created_at",
        "updated_at",
        "version",
    ] {
        assert_eq!(
            contacts.value(zoe_row, column),
            cell(&zoe_read[column]),
            "contact {zoe_id}: {column}"
        );
    }
    assert_eq!(contacts.value(zoe_row, "title"), title);
    assert_eq!(contacts.value(zoe_row, "first_name"), "Zoë");
    assert_eq!(contacts.value(zoe_row, "version"), "1");
    let yamada_row = contacts.row(&id_of(&yamada));
    assert_eq!(contacts.value(yamada_row, "last_name"), "山田");
    assert_eq!(
        contacts.value(yamada_row, "title"),
        "",
        "null is an empty cell"
    );
    assert_eq!(contacts.value(yamada_row, "account_id"), "");
    let raw = String::from_utf8(contacts_bytes.clone()).unwrap();
    assert!(
        raw.contains("\"Head of \"\"Sales\"\", EMEA\""),
        "the title is quoted as RFC 4180 says: {raw}"
    );

    // Accounts: more than a page, the header once.
    let (accounts_bytes, accounts) = export(app, &rep, "accounts.csv").await;
    assert_eq!(accounts.header, expected_columns(ACCOUNT_FIELDS));
    assert_eq!(accounts.rows.len(), 207);
    assert_rows_match_the_api(app, "accounts", &accounts).await;
    let row = accounts.row(&mueller_id);
    assert_eq!(accounts.value(row, "address"), address);
    assert_eq!(accounts.value(row, "name"), "Müller Maschinenbau GmbH");
    assert_eq!(accounts.value(row, "employee_count"), "250");
    assert_eq!(accounts.value(row, "credit_note"), "");
    let raw = String::from_utf8(accounts_bytes).unwrap();
    assert_eq!(
        raw.matches("id,address,").count(),
        1,
        "the header once, whatever the number of pages"
    );

    // Deals.
    let (_, deals) = export(app, &rep, "deals.csv").await;
    assert_eq!(deals.header, expected_columns(DEAL_FIELDS));
    assert_eq!(deals.rows.len(), 2);
    assert_rows_match_the_api(app, "deals", &deals).await;
    let big_read = app.fetch(&format!("/api/v1/deals/{}", id_of(&big))).await;
    let row = deals.row(&id_of(&big));
    for column in [
        "name",
        "amount",
        "currency",
        "stage",
        "probability",
        "expected_close_date",
        "primary_contact_id",
        "next_step",
        "next_step_date",
    ] {
        assert_eq!(
            deals.value(row, column),
            cell(&big_read[column]),
            "deal: {column}"
        );
    }
    assert_eq!(deals.value(row, "name"), "Rollout, phase \"2\"");
    assert_eq!(
        deals
            .value(row, "amount")
            .parse::<rust_decimal::Decimal>()
            .ok(),
        Some("12500.50".parse().unwrap())
    );
    assert_eq!(deals.value(row, "probability"), "60");

    // Every role reads; no one unsigned.
    for role in ["marketing", "legal", "manager"] {
        let (_, token) = app.signed_in(role).await;
        let (_, csv) = export(app, &token, "contacts.csv").await;
        assert_eq!(csv.rows.len(), 3, "{role}");
    }
    let anonymous = app
        .anonymous(Method::GET, "/api/v1/exports/contacts.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    // What is not an export.
    for file in ["users.csv", "contacts", "contacts.json", "activities.csv"] {
        app.request_as(
            Some(&rep),
            Method::GET,
            &format!("/api/v1/exports/{file}"),
            None,
        )
        .await
        .assert_error(404, "not_found", &[]);
    }

    // The command line writes the same bytes.
    let url = app.database_url().to_owned();
    let out = cli(&["export", "contacts", "--database-url", &url]).await;
    assert_ok(&out, "export contacts");
    assert!(
        out.stdout == contacts_bytes,
        "the CLI's CSV differs from the API's:\nCLI:\n{}\nAPI:\n{}",
        stdout(&out),
        String::from_utf8_lossy(&contacts_bytes)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("contacts.csv");
    let out = cli(&[
        "export",
        "contacts",
        "-o",
        text(&file),
        "--database-url",
        &url,
    ])
    .await;
    assert_ok(&out, "export contacts -o FILE");
    assert_eq!(std::fs::read(&file).unwrap(), contacts_bytes);
    assert!(stdout(&out).contains("3 contacts"), "{}", stdout(&out));
    let out = cli(&["export", "users", "--database-url", &url]).await;
    assert_refused(&out, "export users", &["users"]);
}

both_backends!(exports_are_csv_of_every_record);
