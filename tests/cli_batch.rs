//! Batches from the command line and across servers, run as a user would:
//! the real binary in child processes, on a SQLite file or a PostgreSQL
//! database of their own. A batch killed half-way is resumed without a
//! record getting two documents; a record that fails is reported while the
//! rest are made; two servers on one database share one batch.

#[allow(unused_macros, unused_imports)]
mod common;
mod tools;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use dealdraft::auth::Actor;
use dealdraft::crm::{self, accounts::Account, contacts::Contact};
use dealdraft::store::{Count, Id, Sql, Store, Timestamp};
use serde_json::{Value, json};

// ---- the binary -----------------------------------------------------------

/// The `dealdraft` binary, with none of the settings the environment could
/// slip in.
fn dealdraft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    for key in [
        "DATABASE_URL",
        "DEALDRAFT_ADDR",
        "DEALDRAFT_BATCH_JOBS",
        "DEALDRAFT_SESSION_HOURS",
        "DEALDRAFT_SMTP_USERNAME",
        "DEALDRAFT_SMTP_PASSWORD",
    ] {
        cmd.env_remove(key);
    }
    cmd.env("RUST_LOG", "warn").stdin(Stdio::null());
    cmd
}

/// Runs `dealdraft ARGS --database-url URL` to its end.
fn run(url: &str, args: &[&str]) -> Output {
    dealdraft()
        .args(args)
        .args(["--database-url", url])
        .output()
        .unwrap_or_else(|e| panic!("cannot run dealdraft {args:?}: {e}"))
}

/// Both output streams, for failure messages.
fn printed(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `dealdraft ARGS` and insists on success; its stdout.
#[track_caller]
fn run_ok(url: &str, args: &[&str]) -> String {
    let out = run(url, args);
    assert!(
        out.status.success(),
        "dealdraft {args:?}: {}",
        printed(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A child process stopped with SIGKILL (and reaped) when dropped, should
/// the test end before it does.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("the child is still held")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---- seeding ----------------------------------------------------------------

const REP_EMAIL: &str = "rita.rep@example.com";
const REP_PASSWORD: &str = "rep-password-12";
const SEGMENT: &str = "everyone";

/// `dealdraft user add`: the rep every contact belongs to, with everything
/// a brochure prints of them; their id.
fn add_rep(url: &str) -> Id {
    let stdout = run_ok(
        url,
        &[
            "user",
            "add",
            "--email",
            REP_EMAIL,
            "--name",
            "Rita Rep",
            "--role",
            "rep",
            "--password",
            REP_PASSWORD,
            "--title",
            "Account Executive",
            "--phone",
            "+49 30 555 0101",
        ],
    );
    stdout
        .split(|c: char| c.is_whitespace() || c == '`' || c == '"' || c == '\'')
        .find_map(|word| uuid::Uuid::parse_str(word).ok())
        .map(Id)
        .unwrap_or_else(|| panic!("`user add` printed no id: {stdout:?}"))
}

/// A first name of its own for every `n` below 4096: four syllables, all
/// names the same length, so none is part of another.
fn first_name(n: usize) -> String {
    const SYLLABLES: [&str; 8] = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo"];
    assert!(n < 4096);
    let name: String = [n / 512, (n / 64) % 8, (n / 8) % 8, n % 8]
        .iter()
        .map(|&i| SYLLABLES[i])
        .collect();
    let mut chars = name.chars();
    let first = chars.next().unwrap().to_ascii_uppercase();
    std::iter::once(first).chain(chars).collect()
}

/// A contact as seeded.
#[derive(Clone, Debug)]
struct Seeded {
    id: Id,
    first_name: String,
    last_name: String,
}

fn input<T: serde::de::DeserializeOwned>(value: Value) -> T {
    dealdraft::input::from_json_value(value).expect("valid input")
}

/// The company profile and `contacts` contacts of `rep` on four accounts,
/// made through the library; `last_names` overrides the last names of
/// the first few.
async fn seed_contacts(
    store: &Store,
    rep: Id,
    contacts: usize,
    last_names: &[&str],
) -> Vec<Seeded> {
    let admin = Actor::system();
    let settings = dealdraft::settings::get(store).await.expect("settings");
    dealdraft::settings::update(
        store,
        &admin,
        input(json!({
            "version": settings.version,
            "company": {"name": "Northwind Systems", "phone": "+49 30 555 0000",
                        "email": "sales@northwind.example",
                        "website": "https://northwind.example",
                        "address": "Hafenstr. 1, Hamburg"},
        })),
    )
    .await
    .expect("the company profile");
    let mut accounts = Vec::new();
    for (n, industry) in ["Manufacturing", "Healthcare", "Logistics", "Retail"]
        .into_iter()
        .enumerate()
    {
        let account: Account = crm::create(
            store,
            &admin,
            input(
                json!({"name": format!("Account {n} GmbH"), "industry": industry,
                         "country": "DE", "owner_id": rep}),
            ),
        )
        .await
        .expect("an account");
        accounts.push(account.meta.id);
    }
    let mut seeded = Vec::new();
    for n in 0..contacts {
        let first_name = first_name(n);
        let last_name = last_names
            .get(n)
            .map_or_else(|| format!("Surname{n:03}"), |s| (*s).to_owned());
        let contact: Contact = crm::create(
            store,
            &admin,
            input(json!({"first_name": first_name, "last_name": last_name,
                         "email": format!("{}.{n}@example.com", first_name.to_lowercase()),
                         "account_id": accounts[n % accounts.len()], "owner_id": rep})),
        )
        .await
        .expect("a contact");
        seeded.push(Seeded {
            id: contact.meta.id,
            first_name,
            last_name,
        });
    }
    seeded
}

/// `dealdraft segment add`: every contact, as segment `everyone`.
fn add_segment(url: &str) {
    let stdout = run_ok(
        url,
        &[
            "segment",
            "add",
            "--key",
            SEGMENT,
            "--name",
            "Everyone with an e-mail address",
            "--subject",
            "contact",
            "--rule",
            "contact.email is not blank",
        ],
    );
    assert!(
        uuid::Uuid::parse_str(stdout.trim()).is_ok(),
        "`segment add` prints the id: {stdout:?}"
    );
}

/// Insists, through `dealdraft segment show --json`, that the segment
/// holds `count` contacts, every one ready for `template`.
#[track_caller]
fn assert_all_ready(url: &str, template: &str, count: usize) {
    let stdout = run_ok(
        url,
        &["segment", "show", SEGMENT, "--template", template, "--json"],
    );
    let summary: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("`segment show --json` is not JSON ({e}): {stdout}"));
    assert_eq!(summary["count"], count, "{summary}");
    assert_eq!(
        (summary["ready"].clone(), summary["not_ready"].clone()),
        (json!(count), json!(0)),
        "the seed is not ready for `{template}`: {summary}"
    );
}

// ---- reading the database ---------------------------------------------------

#[derive(Debug, sqlx::FromRow)]
struct ItemRow {
    position: i64,
    subject_id: Id,
    status: String,
    claimed_by: Option<Id>,
    attempts: i64,
    document_id: Option<Id>,
    reason: Option<String>,
    finished_at: Option<Timestamp>,
}

#[derive(Debug, sqlx::FromRow)]
struct DocumentRow {
    id: Id,
    contact_id: Option<Id>,
    file_name: String,
}

async fn items_of(store: &Store, batch: Id) -> Vec<ItemRow> {
    let mut sql = Sql::new(
        "SELECT position, subject_id, status, claimed_by, attempts, document_id, reason, \
         finished_at FROM batch_items WHERE batch_id = ",
    );
    sql.bind(batch).push(" ORDER BY position");
    store.fetch_all(&sql).await.expect("the batch's items")
}

async fn documents_of(store: &Store, template: &str) -> Vec<DocumentRow> {
    let mut sql = Sql::new("SELECT id, contact_id, file_name FROM documents WHERE template = ");
    sql.bind(template).push(" ORDER BY id");
    store.fetch_all(&sql).await.expect("the documents")
}

async fn count(store: &Store, sql: &Sql) -> i64 {
    store
        .fetch_optional::<Count>(sql)
        .await
        .expect("a count")
        .map_or(0, |c| c.n)
}

/// Insists that every one of `contacts` has exactly one document of
/// `template`, every item of `batch` is done with its contact's document,
/// and no two items share one. Returns the items.
async fn assert_each_made_once(
    store: &Store,
    batch: Id,
    template: &str,
    contacts: &[Seeded],
) -> Vec<ItemRow> {
    let items = items_of(store, batch).await;
    assert_eq!(items.len(), contacts.len(), "the batch's items");
    let not_done: Vec<&ItemRow> = items.iter().filter(|i| i.status != "done").collect();
    assert!(not_done.is_empty(), "items not done: {not_done:#?}");

    let documents = documents_of(store, template).await;
    assert_eq!(
        documents.len(),
        contacts.len(),
        "documents of `{template}`: one per contact, none twice"
    );
    let mut per_contact: HashMap<Id, Vec<Id>> = HashMap::new();
    for document in &documents {
        let contact = document
            .contact_id
            .unwrap_or_else(|| panic!("document without a contact: {document:?}"));
        per_contact.entry(contact).or_default().push(document.id);
    }
    for contact in contacts {
        let made = per_contact.get(&contact.id).map_or(0, Vec::len);
        assert_eq!(
            made, 1,
            "{} {} ({}) has {made} documents",
            contact.first_name, contact.last_name, contact.id
        );
    }

    let document_contact: HashMap<Id, Option<Id>> =
        documents.iter().map(|d| (d.id, d.contact_id)).collect();
    let mut item_documents = HashSet::new();
    for item in &items {
        let document = item
            .document_id
            .unwrap_or_else(|| panic!("a done item without a document: {item:?}"));
        assert!(
            item_documents.insert(document),
            "two items name document {document}"
        );
        assert_eq!(
            document_contact.get(&document),
            Some(&Some(item.subject_id)),
            "item {} names a document that is not its contact's: {item:?}",
            item.position
        );
    }
    items
}

// ---- the archive ------------------------------------------------------------

/// A row of `batch.csv`.
#[derive(Debug, serde::Deserialize)]
struct ListRow {
    position: i64,
    record_id: String,
    name: String,
    status: String,
    file: String,
    document_id: String,
    reason: String,
}

/// The files of the ZIP at `path`: name to bytes.
fn unzip(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = zip::ZipArchive::new(file)
        .unwrap_or_else(|e| panic!("{} is not a ZIP: {e}", path.display()));
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("an entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("an entry's bytes");
        let name = entry.name().to_owned();
        assert!(
            files.insert(name.clone(), bytes).is_none(),
            "`{name}` twice in the ZIP"
        );
    }
    files
}

// ---- 1. kill -9 and resume ----------------------------------------------------

#[test]
fn two_hundred_brochures_over_the_cli_survive_a_kill_and_make_no_duplicate() {
    const CONTACTS: usize = 200;
    const KILL_AFTER: i64 = 60;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/batch.db", dir.path().display());
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let rep = add_rep(&url);
    let contacts = runtime.block_on(async {
        let store = dealdraft::open(&url).await.expect("open the database");
        let contacts = seed_contacts(&store, rep, CONTACTS, &[]).await;
        store.close().await;
        contacts
    });
    add_segment(&url);
    assert_all_ready(&url, "brochure", CONTACTS);

    // Start the batch in a child process and kill it, without warning,
    // once a good part but not all of it is made.
    let stderr_path = dir.path().join("start.stderr");
    let child = dealdraft()
        .args([
            "batch",
            "start",
            "--template",
            "brochure",
            "--segment",
            SEGMENT,
            "--format",
            "pdf",
            "--jobs",
            "2",
            "--database-url",
            &url,
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let mut start = KillOnDrop(Some(child));
    let mut lines = BufReader::new(start.child().stdout.take().unwrap()).lines();
    let first = match lines.next() {
        Some(Ok(line)) => line,
        other => {
            let _ = start.child().wait();
            panic!(
                "`batch start` printed no first line ({other:?}); stderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
    };
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    let batch = first
        .strip_prefix("batch ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .map(Id)
        .unwrap_or_else(|| panic!("the first line names no batch: {first:?}"));
    assert!(
        first.contains(&format!("for {CONTACTS} contacts of segment `{SEGMENT}`")),
        "{first}"
    );

    let store = runtime
        .block_on(Store::connect(&url))
        .expect("a second store");
    let deadline = Instant::now() + Duration::from_secs(600);
    let done_at_kill = loop {
        let counts = runtime
            .block_on(dealdraft::batches::counts(&store, batch))
            .expect("the batch's counts");
        if counts.done >= KILL_AFTER {
            start.child().kill().expect("kill -9 `batch start`");
            let status = start.child().wait().unwrap();
            assert!(!status.success(), "killed, yet {status}");
            break counts.done;
        }
        if let Some(status) = start.child().try_wait().unwrap() {
            panic!(
                "`batch start` ended ({status}) with only {} of {CONTACTS} made, before it could \
                 be killed; stderr:\n{}",
                counts.done,
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} of {CONTACTS} made after 10 minutes: {counts:?}",
            counts.done
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    start.0 = None;
    let after_kill = runtime
        .block_on(dealdraft::batches::counts(&store, batch))
        .unwrap();
    assert!(
        after_kill.done < CONTACTS as i64,
        "the kill came too late to interrupt anything: {after_kill:?}"
    );
    assert_eq!(
        after_kill.done, done_at_kill,
        "a killed process made more documents"
    );
    eprintln!("killed `batch start` at {after_kill:?}");
    if after_kill.working == 0 {
        eprintln!(
            "note: the killed worker held no item when it died ({after_kill:?}); \
             the lease takeover was not exercised this time"
        );
    }

    // Resume: it waits out the dead worker's leases and makes the rest.
    let zip_path = dir.path().join("out.zip");
    let batch_arg = batch.0.to_string();
    let resume_started = Instant::now();
    let resumed = run(
        &url,
        &[
            "batch",
            "resume",
            &batch_arg,
            "--zip",
            zip_path.to_str().unwrap(),
        ],
    );
    assert_eq!(resumed.status.code(), Some(0), "{}", printed(&resumed));
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        stdout.contains(&format!(
            "{CONTACTS} of {CONTACTS} made, 0 skipped (not ready), 0 failed, 0 pending, 0 being made"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("archive written to"), "{stdout}");

    eprintln!(
        "`batch resume` took {:.1} s",
        resume_started.elapsed().as_secs_f64()
    );
    let items = runtime.block_on(assert_each_made_once(&store, batch, "brochure", &contacts));
    let taken_over: Vec<i64> = items
        .iter()
        .filter(|i| i.attempts > 1)
        .map(|i| i.position)
        .collect();
    assert_eq!(
        taken_over.len() as i64,
        after_kill.working,
        "the items the killed worker held, and only those, are taken up again: {taken_over:?}"
    );
    let status = run_ok(&url, &["batch", "status", &batch_arg, "--json"]);
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["status"], "finished", "{status}");
    assert_eq!(status["counts"]["done"], CONTACTS, "{status}");

    // The archive: every brochure once, and the list of records.
    let files = unzip(&zip_path);
    let pdfs: Vec<&String> = files.keys().filter(|n| n.ends_with(".pdf")).collect();
    assert_eq!(pdfs.len(), CONTACTS, "PDFs in the ZIP: {:?}", files.keys());
    assert_eq!(files.len(), CONTACTS + 1, "the ZIP: {:?}", files.keys());
    let list = files.get("batch.csv").expect("batch.csv in the ZIP");
    let rows: Vec<ListRow> = csv::Reader::from_reader(list.as_slice())
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("batch.csv reads as CSV");
    assert_eq!(rows.len(), CONTACTS, "rows of batch.csv");
    let by_id: HashMap<String, &Seeded> =
        contacts.iter().map(|c| (c.id.0.to_string(), c)).collect();
    let item_document: HashMap<i64, Id> = items
        .iter()
        .map(|i| (i.position, i.document_id.unwrap()))
        .collect();
    let mut listed_files = HashSet::new();
    for row in &rows {
        let contact = by_id
            .get(&row.record_id)
            .unwrap_or_else(|| panic!("batch.csv lists an unknown record: {row:?}"));
        assert_eq!(row.status, "done", "{row:?}");
        assert_eq!(
            row.name,
            format!("{} {}", contact.first_name, contact.last_name),
            "{row:?}"
        );
        assert_eq!(
            row.document_id,
            item_document[&row.position].0.to_string(),
            "{row:?}"
        );
        assert!(row.reason.is_empty(), "{row:?}");
        assert!(
            files.contains_key(&row.file),
            "{row:?} names no file of the ZIP"
        );
        assert!(
            listed_files.insert(row.file.clone()),
            "{row:?}: file listed twice"
        );
        assert!(
            files[&row.file].starts_with(b"%PDF-"),
            "{} is not a PDF",
            row.file
        );
    }

    // Each brochure greets its own contact, and no other.
    if let Some(pdftotext) = tools::tool("pdftotext", tools::POPPLER) {
        let pdf_dir = dir.path().join("pdfs");
        std::fs::create_dir(&pdf_dir).unwrap();
        for (n, row) in rows.iter().enumerate() {
            let contact = by_id[&row.record_id];
            let path = pdf_dir.join(format!("{n}.pdf"));
            std::fs::write(&path, &files[&row.file]).unwrap();
            let text = tools::squeeze(&tools::all_text(&pdftotext, &path));
            assert!(
                text.contains(&format!("{}, we would like", contact.first_name)),
                "{} ({}) does not greet {}:\n{text}",
                row.file,
                row.record_id,
                contact.first_name
            );
            let others: Vec<&str> = contacts
                .iter()
                .filter(|c| c.id != contact.id && text.contains(&c.first_name))
                .map(|c| c.first_name.as_str())
                .collect();
            assert!(
                others.is_empty(),
                "{} names other contacts too: {others:?}",
                row.file
            );
        }
    }

    // Once more: nothing is left to make, and nothing new is made.
    let again = run(&url, &["batch", "resume", &batch_arg]);
    assert_eq!(again.status.code(), Some(0), "{}", printed(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(&format!("{CONTACTS} of {CONTACTS} made")),
        "{}",
        printed(&again)
    );
    runtime.block_on(async {
        assert_each_made_once(&store, batch, "brochure", &contacts).await;
        let all = count(&store, &Sql::new("SELECT COUNT(*) AS n FROM documents")).await;
        assert_eq!(all, CONTACTS as i64, "documents of any template");
        store.close().await;
    });
}

// ---- 2. one record fails ----------------------------------------------------------

#[test]
fn one_record_that_fails_is_reported_and_the_rest_are_made() {
    const CONTACTS: usize = 10;
    const TEMPLATE: &str = "fragile-note";
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/fragile.db", dir.path().display());
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let rep = add_rep(&url);
    let contacts = runtime.block_on(async {
        let store = dealdraft::open(&url).await.expect("open the database");
        // The fourth contact's document shows an image there is no asset
        // for: rendering it fails, for that contact alone.
        let contacts = seed_contacts(
            &store,
            rep,
            CONTACTS,
            &["Ash", "Birch", "Cedar", "Broken", "Elm"],
        )
        .await;
        use dealdraft::templates::store::{self as templates, Template};
        let actor = Actor::system();
        let _: Template = crm::create(
            &store,
            &actor,
            input(json!({
                "key": TEMPLATE, "kind": "brochure", "name": "Fragile note", "formats": ["pdf"],
                "draft": "# Hello {{ contact.first_name }} {{ contact.last_name }}\n\n\
                          A note from {{ seller.name }}.\n\n\
                          {% if contact.last_name == \"Broken\" %}![x](no-such-image.png){% endif %}\n"
            })),
        )
        .await
        .expect("the template");
        templates::publish(&store, &actor, TEMPLATE)
            .await
            .expect("publish the template");
        store.close().await;
        contacts
    });
    let broken = contacts
        .iter()
        .find(|c| c.last_name == "Broken")
        .unwrap()
        .clone();
    add_segment(&url);
    assert_all_ready(&url, TEMPLATE, CONTACTS);

    // Generating for the broken contact alone fails, and says why.
    let generate = |contact: &Seeded| {
        let output = dir.path().join(format!("{}.pdf", contact.id.0));
        let contact = contact.id.0.to_string();
        let out = run(
            &url,
            &[
                "generate",
                "--template",
                TEMPLATE,
                "--contact",
                &contact,
                "--format",
                "pdf",
                "-o",
                output.to_str().unwrap(),
            ],
        );
        (out, output)
    };
    let (out, output) = generate(&broken);
    assert!(!out.status.success(), "{}", printed(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no-such-image.png"),
        "{}",
        printed(&out)
    );
    assert!(!output.exists());

    let out = run(
        &url,
        &[
            "batch",
            "start",
            "--template",
            TEMPLATE,
            "--segment",
            SEGMENT,
            "--format",
            "pdf",
            "--jobs",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    let batch = first
        .strip_prefix("batch ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .map(Id)
        .unwrap_or_else(|| panic!("the first line names no batch: {}", printed(&out)));
    assert!(
        stdout.contains(&format!(
            "{} of {CONTACTS} made, 0 skipped (not ready), 1 failed, 0 pending, 0 being made",
            CONTACTS - 1
        )),
        "{}",
        printed(&out)
    );

    let store = runtime.block_on(Store::connect(&url)).expect("a store");
    let items = runtime.block_on(items_of(&store, batch));
    let failed: Vec<&ItemRow> = items.iter().filter(|i| i.status == "failed").collect();
    assert_eq!(failed.len(), 1, "{items:#?}");
    let failed = failed[0];
    assert_eq!(failed.subject_id, broken.id, "the failed item: {failed:?}");
    assert_eq!(failed.document_id, None, "{failed:?}");
    let reason = failed.reason.clone().unwrap_or_default();
    assert!(!reason.is_empty(), "a failed item says why: {failed:?}");

    // The failed record, printed with its position, name, id and reason.
    let line = format!(
        "failed {} {} {} ({}): {reason}",
        failed.position, broken.first_name, broken.last_name, broken.id
    );
    assert!(
        stdout.lines().any(|l| l == line),
        "expected the line {line:?}:\n{}",
        printed(&out)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("failed ")).count(),
        1,
        "{stdout}"
    );

    let done: Vec<&ItemRow> = items.iter().filter(|i| i.status == "done").collect();
    assert_eq!(done.len(), CONTACTS - 1, "{items:#?}");
    runtime.block_on(async {
        let documents = documents_of(&store, TEMPLATE).await;
        assert_eq!(documents.len(), CONTACTS - 1, "{documents:#?}");
        let made: HashSet<Option<Id>> = documents.iter().map(|d| d.contact_id).collect();
        assert_eq!(made.len(), CONTACTS - 1, "one document per contact");
        assert!(
            !made.contains(&Some(broken.id)),
            "the broken contact got one"
        );
        for item in &done {
            let document = documents
                .iter()
                .find(|d| Some(d.id) == item.document_id)
                .unwrap_or_else(|| panic!("item {item:?} names no kept document"));
            assert_eq!(document.contact_id, Some(item.subject_id), "{document:?}");
            assert!(document.file_name.ends_with(".pdf"), "{document:?}");
        }
        store.close().await;
    });

    // The batch is over: status says so and prints the failure again.
    let status = run(&url, &["batch", "status", &batch.0.to_string()]);
    let status_out = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{}", printed(&status));
    assert!(status_out.contains("finished"), "{status_out}");
    assert!(status_out.lines().any(|l| l == line), "{status_out}");

    // The reason says what is wrong, as `generate` would: the image that
    // is missing, not only that something is invalid.
    assert!(
        reason.contains("no-such-image.png"),
        "the failed record's reason should name the missing image; it is {reason:?}"
    );
}

// ---- 3. two servers, one batch ---------------------------------------------------

/// `dealdraft serve` on `url` with `--batch-jobs JOBS` and a port of its
/// own; the running server and its base URL. Its stderr goes to `log`.
fn serve(url: &str, jobs: &str, log: &Path) -> (KillOnDrop, String) {
    let child = dealdraft()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--batch-jobs",
            jobs,
            "--database-url",
            url,
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut server = KillOnDrop(Some(child));
    let stdout = server.child().stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = server.child().kill();
            let _ = server.child().wait();
            panic!(
                "the server stopped before it printed its address; stderr:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        };
        if let Some(rest) = line.split("serving on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep reading stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    (server, base)
}

#[test]
fn two_servers_on_postgresql_share_one_batch() {
    const CONTACTS: usize = 1000;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(database) = runtime.block_on(common::fresh_postgres()) else {
        return;
    };
    let url = database.url.clone();
    let dir = tempfile::tempdir().unwrap();

    let rep = add_rep(&url);
    let contacts = runtime.block_on(async {
        let store = dealdraft::open(&url).await.expect("open the database");
        let contacts = seed_contacts(&store, rep, CONTACTS, &[]).await;
        store.close().await;
        contacts
    });
    add_segment(&url);
    assert_all_ready(&url, "brochure", CONTACTS);

    // Both servers run before the batch starts: the one it is posted to
    // starts at once, the other finds it within its two-second poll. A
    // thousand brochures keep two workers busy for several seconds even on
    // a fast machine (about 8 s on two cores), so the second one always
    // arrives while there is work left.
    let (first, first_base) = serve(&url, "2", &dir.path().join("first.stderr"));
    let (second, second_base) = serve(&url, "2", &dir.path().join("second.stderr"));
    let logs = || {
        ["first", "second"]
            .iter()
            .map(|name| {
                let log = std::fs::read_to_string(dir.path().join(format!("{name}.stderr")))
                    .unwrap_or_default();
                format!("--- {name} server's stderr\n{log}")
            })
            .collect::<String>()
    };

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let (batch, progress) = runtime.block_on(async {
        let session = client
            .post(format!("{first_base}/api/v1/session"))
            .json(&json!({"email": REP_EMAIL, "password": REP_PASSWORD}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(session.status().as_u16(), 200, "sign-in");
        let session: Value = session.json().await.unwrap();
        let token = session["token"].as_str().expect("a token").to_owned();

        let created = client
            .post(format!("{first_base}/api/v1/batches"))
            .bearer_auth(&token)
            .json(&json!({"template": "brochure", "segment": SEGMENT, "format": "pdf"}))
            .send()
            .await
            .expect("start the batch");
        let status = created.status().as_u16();
        let created: Value = created.json().await.unwrap();
        assert_eq!(status, 201, "POST /api/v1/batches: {created}");
        assert_eq!(created["total"], CONTACTS, "{created}");
        let id = created["id"].as_str().expect("the batch's id").to_owned();
        let started = Instant::now();

        // Followed on the other server, until it is over.
        let deadline = Instant::now() + Duration::from_secs(20 * 60);
        let progress = loop {
            let res = client
                .get(format!("{second_base}/api/v1/batches/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("GET the batch");
            assert_eq!(res.status().as_u16(), 200, "GET /api/v1/batches/{id}");
            let progress: Value = res.json().await.unwrap();
            if progress["status"] == "finished" {
                eprintln!(
                    "{CONTACTS} brochures made by two servers in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                break progress;
            }
            assert!(
                Instant::now() < deadline,
                "the batch is not finished after 20 minutes: {progress}\n{}",
                logs()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        (Id(uuid::Uuid::parse_str(&id).expect("a UUID")), progress)
    });
    assert_eq!(
        progress["counts"],
        json!({"pending": 0, "working": 0, "done": CONTACTS, "skipped": 0, "failed": 0}),
        "{progress}\n{}",
        logs()
    );

    runtime.block_on(async {
        let store = Store::connect(&url).await.expect("a store");
        let items = assert_each_made_once(&store, batch, "brochure", &contacts).await;
        let workers: HashSet<Id> = items.iter().filter_map(|i| i.claimed_by).collect();
        let mut sql =
            Sql::new("SELECT COUNT(DISTINCT claimed_by) AS n FROM batch_items WHERE batch_id = ");
        sql.bind(batch);
        let distinct = count(&store, &sql).await;
        let per_worker: HashMap<Id, usize> =
            items
                .iter()
                .filter_map(|i| i.claimed_by)
                .fold(HashMap::new(), |mut m, w| {
                    *m.entry(w).or_default() += 1;
                    m
                });
        let first_end = items.iter().filter_map(|i| i.finished_at).min().unwrap();
        let mut joined: HashMap<Id, f64> = HashMap::new();
        for item in &items {
            let (Some(worker), Some(at)) = (item.claimed_by, item.finished_at) else {
                continue;
            };
            let secs = (at.0 - first_end.0).num_milliseconds() as f64 / 1000.0;
            let slot = joined.entry(worker).or_insert(secs);
            *slot = slot.min(secs);
        }
        eprintln!("items per worker: {per_worker:?}, first item ended after: {joined:?}");
        assert_eq!(
            (distinct, workers.len()),
            (2, 2),
            "both servers' workers take part, and no one else's: {per_worker:?}"
        );
        store.close().await;
    });
    drop((first, second));
    drop(database);
}
