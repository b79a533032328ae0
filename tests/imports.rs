//! Importing contacts and accounts: real-world CSV and vCard files over
//! `POST /api/v1/imports` on both databases (dry run, refusal of bad rows,
//! skipping them, re-importing), and the `dealdraft import` command line
//! (export → import round trip, dry run and refusal).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use common::{TestApp, both_backends, id_of};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

const IMPORTS: &str = "/api/v1/imports";
const CONTACTS: &str = "/api/v1/contacts";
const ACCOUNTS: &str = "/api/v1/accounts";

// ---- helpers ---------------------------------------------------------------

/// Uploads `file` to the import endpoint as the admin.
async fn import(
    app: &TestApp,
    file_name: &str,
    file: &[u8],
    fields: &[(&str, &str)],
) -> common::Res {
    let (content_type, body) = common::multipart(file_name, file, fields);
    let req = app
        .anonymous(Method::POST, IMPORTS)
        .bearer_auth(&app.admin_token)
        .header(CONTENT_TYPE, content_type)
        .body(body);
    app.send(req, Method::POST, IMPORTS, None).await
}

/// Every record of a list, by id.
async fn by_id(app: &TestApp, path: &str) -> BTreeMap<String, Value> {
    app.list_all(path)
        .await
        .into_iter()
        .map(|r| (id_of(&r), r))
        .collect()
}

/// The one record of `records` whose `field` is `value`.
#[track_caller]
fn one_with<'a>(records: &'a BTreeMap<String, Value>, field: &str, value: &str) -> &'a Value {
    let found: Vec<&Value> = records.values().filter(|r| r[field] == value).collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one record should have {field} = {value:?}: {records:#?}"
    );
    found[0]
}

/// `(line, action)` of every row of a report's plan.
fn actions(report: &Value) -> Vec<(u64, String)> {
    report["plan"]
        .as_array()
        .unwrap_or_else(|| panic!("no plan: {report}"))
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().expect("a line"),
                p["action"].as_str().expect("an action").to_owned(),
            )
        })
        .collect()
}

/// The plan row of `line`.
#[track_caller]
fn planned(report: &Value, line: u64) -> &Value {
    report["plan"]
        .as_array()
        .expect("a plan")
        .iter()
        .find(|p| p["line"] == line)
        .unwrap_or_else(|| panic!("no plan row for line {line}: {report:#}"))
}

#[track_caller]
fn assert_counts(report: &Value, created: (u64, u64), updated: (u64, u64), skipped: u64) {
    assert_eq!(
        (
            report["created"]["contacts"].as_u64(),
            report["created"]["accounts"].as_u64(),
            report["updated"]["contacts"].as_u64(),
            report["updated"]["accounts"].as_u64(),
            report["skipped"].as_u64(),
        ),
        (
            Some(created.0),
            Some(created.1),
            Some(updated.0),
            Some(updated.1),
            Some(skipped)
        ),
        "counts (created contacts, accounts; updated contacts, accounts; skipped): {report:#}"
    );
}

// ---- 1. a real-world contacts CSV ------------------------------------------

/// An Outlook-style export saved by a German spreadsheet: a byte-order mark,
/// `;` between fields, a notes column (ignored) with a quoted line break,
/// quoted quotes, a company name with a comma and a semicolon, non-ASCII
/// names, an invalid e-mail address (line 6) and a repeated one (line 7).
fn outlook_csv(line_end: &str) -> Vec<u8> {
    let text = "\u{feff}First Name;Last Name;E-mail Address;Company;Web Page;Job Title;Business Phone;Notes\r\n\
Jürgen;Müller;Juergen@Mueller-Soehne.de;\"Müller, Söhne; Partner\";https://www.mueller-soehne.de/kontakt;\"Leiter \"\"Vertrieb\"\"\";+49 30 1234567;\"Met at \"\"Expo\"\"\r\ncall back in May\"\r\n\
Zoë;Ångström;zoe@angstrom.example;Ångström AB;angstrom.example;CTO;+46 8 123 45 67;\r\n\
明;李;li.ming@example.cn;\"Müller, Söhne; Partner\";;Ingenieur;;\r\n\
Bad;Row;not-an-email;Nowhere Ltd;;;;\r\n\
JÜRGEN;MÜLLER;juergen@mueller-soehne.DE;Elsewhere GmbH;;;;\r\n\
Ana;Lima;ana@lima.example;;;;+55 11 5555 0000;\r\n";
    text.replace("\r\n", line_end).into_bytes()
}

async fn real_world_contacts_csv(app: &mut TestApp) {
    // A contact stored already, without a phone: line 8 fills it.
    let ana = app
        .create(
            CONTACTS,
            json!({"first_name": "Ana", "last_name": "Lima", "email": "ANA@lima.example"}),
        )
        .await;
    let ana_id = id_of(&ana);
    let contacts_before = app.snapshot(CONTACTS).await;
    let accounts_before = app.snapshot(ACCOUNTS).await;
    let file = outlook_csv("\n");

    // Dry run (the default).
    let report = import(app, "contacts.csv", &file, &[]).await.expect(200);
    assert_eq!(report["kind"], "contacts", "{report:#}");
    assert_eq!(report["format"], "csv");
    assert_eq!(report["committed"], false);
    assert_eq!(report["rows"], 6, "{report:#}");
    assert_eq!(report["ignored_columns"], json!(["Notes"]), "{report:#}");
    assert_counts(&report, (3, 2), (1, 0), 1);
    assert_eq!(
        actions(&report),
        [
            (2, "create"),
            (4, "create"),
            (5, "create"),
            (6, "error"),
            (7, "skip"),
            (8, "update"),
        ]
        .map(|(l, a)| (l, a.to_owned()))
        .to_vec(),
        "{report:#}"
    );
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["line"], 6);
    assert_eq!(errors[0]["field"], "email");
    assert!(errors[0]["problem"].as_str().is_some_and(|p| !p.is_empty()));
    let juergen = planned(&report, 2);
    assert_eq!(juergen["entity"], "contact");
    assert_eq!(juergen["name"], "Jürgen Müller");
    assert_eq!(juergen["account_created"], true);
    assert_eq!(planned(&report, 4)["account_created"], true);
    // Li Ming's company is the one line 2 makes, found by its name.
    let li = planned(&report, 5);
    assert_eq!(li["account_created"], false, "{report:#}");
    assert_eq!(li["account_id"], juergen["account_id"], "{report:#}");
    let repeat = planned(&report, 7);
    assert!(
        repeat["reason"]
            .as_str()
            .is_some_and(|r| r.contains("line 2")),
        "the repeat should name line 2: {repeat}"
    );
    let fill = planned(&report, 8);
    assert_eq!(fill["id"], ana_id.as_str());
    assert_eq!(fill["fields"], json!(["phone"]), "{fill}");
    // Nothing written.
    assert_eq!(app.snapshot(CONTACTS).await, contacts_before);
    assert_eq!(app.snapshot(ACCOUNTS).await, accounts_before);

    // Committing with a bad row: refused, nothing written.
    let refused = import(app, "contacts.csv", &file, &[("dry_run", "false")]).await;
    refused.assert_error(422, "validation_failed", &["file"]);
    let report = &refused.body["report"];
    assert_eq!(report["committed"], false, "{refused}");
    assert_eq!(report["errors"][0]["line"], 6, "{refused}");
    assert_eq!(app.snapshot(CONTACTS).await, contacts_before);
    assert_eq!(app.snapshot(ACCOUNTS).await, accounts_before);

    // Skipping the bad row: exactly the plan is written.
    let report = import(
        app,
        "contacts.csv",
        &file,
        &[("dry_run", "false"), ("skip_bad_rows", "true")],
    )
    .await
    .expect(201);
    assert_eq!(report["committed"], true, "{report:#}");
    assert_counts(&report, (3, 2), (1, 0), 1);
    let contacts = by_id(app, CONTACTS).await;
    let accounts = by_id(app, ACCOUNTS).await;
    assert_eq!(contacts.len(), 4, "Ana and three new: {contacts:#?}");
    assert_eq!(accounts.len(), 2, "{accounts:#?}");

    let mueller = one_with(&accounts, "name", "Müller, Söhne; Partner");
    assert_eq!(mueller["domain"], "mueller-soehne.de");
    let angstrom = one_with(&accounts, "name", "Ångström AB");
    assert_eq!(angstrom["domain"], "angstrom.example");
    assert!(
        !accounts
            .values()
            .any(|a| a["name"] == "Nowhere Ltd" || a["name"] == "Elsewhere GmbH"),
        "the bad row's and the repeat's companies are not made: {accounts:#?}"
    );

    let j = one_with(&contacts, "email", "juergen@mueller-soehne.de");
    assert_eq!(id_of(j), planned(&report, 2)["id"].as_str().unwrap());
    assert_eq!(j["first_name"], "Jürgen");
    assert_eq!(j["last_name"], "Müller");
    assert_eq!(j["title"], "Leiter \"Vertrieb\"");
    assert_eq!(j["phone"], "+49 30 1234567");
    assert_eq!(j["account_id"], mueller["id"]);
    assert_eq!(planned(&report, 2)["account_id"], mueller["id"]);
    let z = one_with(&contacts, "email", "zoe@angstrom.example");
    assert_eq!(
        (&z["first_name"], &z["last_name"], &z["title"], &z["phone"]),
        (
            &json!("Zoë"),
            &json!("Ångström"),
            &json!("CTO"),
            &json!("+46 8 123 45 67")
        )
    );
    assert_eq!(z["account_id"], angstrom["id"]);
    let l = one_with(&contacts, "email", "li.ming@example.cn");
    assert_eq!(
        (&l["first_name"], &l["last_name"]),
        (&json!("明"), &json!("李"))
    );
    assert_eq!(l["title"], "Ingenieur");
    assert_eq!(l["account_id"], mueller["id"]);
    let a = &contacts[&ana_id];
    assert_eq!(a["phone"], "+55 11 5555 0000");
    assert_eq!(a["email"], "ana@lima.example");
    assert!(a["account_id"].is_null());
    assert_eq!(a["version"], 2, "one change: {a}");

    // The same file again: nothing new, nothing changed.
    let contacts_after = app.snapshot(CONTACTS).await;
    let accounts_after = app.snapshot(ACCOUNTS).await;
    let again = import(
        app,
        "contacts.csv",
        &file,
        &[("dry_run", "false"), ("skip_bad_rows", "true")],
    )
    .await
    .expect(201);
    assert_counts(&again, (0, 0), (0, 0), 5);
    assert_eq!(
        actions(&again),
        [
            (2, "skip"),
            (4, "skip"),
            (5, "skip"),
            (6, "error"),
            (7, "skip"),
            (8, "skip"),
        ]
        .map(|(l, a)| (l, a.to_owned()))
        .to_vec(),
        "{again:#}"
    );
    assert_eq!(app.snapshot(CONTACTS).await, contacts_after);
    assert_eq!(app.snapshot(ACCOUNTS).await, accounts_after);
}

both_backends!(
    a_real_world_contacts_csv_is_planned_refused_skipped_and_idempotent,
    real_world_contacts_csv
);

/// Windows line ends (`\r\n`, as Outlook and Excel write them) number the
/// rows as `\n` does: the first row is line 2.
async fn crlf_line_numbers(app: &mut TestApp) {
    let report = import(app, "contacts.csv", &outlook_csv("\r\n"), &[])
        .await
        .expect(200);
    assert_eq!(report["rows"], 6, "{report:#}");
    assert_eq!(
        actions(&report),
        [
            (2, "create"),
            (4, "create"),
            (5, "create"),
            (6, "error"),
            (7, "skip"),
            (8, "create"),
        ]
        .map(|(l, a)| (l, a.to_owned()))
        .to_vec(),
        "{report:#}"
    );
    assert_eq!(report["errors"][0]["line"], 6, "{report:#}");
    assert!(
        planned(&report, 7)["reason"]
            .as_str()
            .is_some_and(|r| r.contains("line 2")),
        "{report:#}"
    );
}

both_backends!(crlf_files_report_the_right_line_numbers, crlf_line_numbers);

// ---- 2. vCards --------------------------------------------------------------

const VCARDS: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:Doe;Jane;;;\r\n\
FN:Jane Doe\r\n\
ORG:Acme\\, Inc.;Sales\r\n\
TITLE:VP Sales\r\n\
EMAIL;TYPE=INTERNET;TYPE=HOME:jane@home.example\r\n\
EMAIL;TYPE=INTERNET,WORK,PREF:jane.doe@acme.exa\r\n mple\r\n\
TEL;TYPE=CELL:+1 555 0100 111\r\n\
TEL;TYPE=WORK,VOICE,PREF:+1 (555) 010-0200\r\n\
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYE\r\n \
BAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAg\r\n \
EBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA==\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:4.0\r\n\
N:Smith;John;;Dr.;\r\n\
FN:Dr. John Smith\r\n\
ORG:Acme\\, Inc.\r\n\
EMAIL;TYPE=work:john@acme.example\r\n\
EMAIL;TYPE=home;PREF=1:john.smith@\r\n personal.example\r\n\
TEL;VALUE=uri;TYPE=work:tel:+1-555-010-0400\r\n\
TEL;VALUE=uri;TYPE=\"voice,cell\";PREF=1:tel:+1-555-010-0300\r\n\
PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAY\r\n \
EBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD==\r\n\
END:VCARD\r\n";

async fn vcards_make_contacts_with_preferred_details(app: &mut TestApp) {
    let report = import(
        app,
        "people.vcf",
        VCARDS.as_bytes(),
        &[("dry_run", "false")],
    )
    .await
    .expect(201);
    assert_eq!(report["format"], "vcard", "{report:#}");
    assert_eq!(report["kind"], "contacts");
    assert_eq!(report["rows"], 2);
    assert!(
        report["errors"].as_array().is_some_and(Vec::is_empty),
        "{report:#}"
    );
    assert_counts(&report, (2, 1), (0, 0), 0);
    assert_eq!(
        actions(&report),
        vec![(1, "create".to_owned()), (16, "create".to_owned())],
        "cards start on lines 1 and 16: {report:#}"
    );
    assert_eq!(planned(&report, 1)["account_created"], true);
    assert_eq!(planned(&report, 16)["account_created"], false);

    let accounts = app.list_all(ACCOUNTS).await;
    assert_eq!(accounts.len(), 1, "the company once: {accounts:#?}");
    assert_eq!(accounts[0]["name"], "Acme, Inc.");
    let contacts = by_id(app, CONTACTS).await;
    assert_eq!(contacts.len(), 2, "{contacts:#?}");
    let jane = one_with(&contacts, "email", "jane.doe@acme.example");
    assert_eq!(
        (&jane["first_name"], &jane["last_name"]),
        (&json!("Jane"), &json!("Doe"))
    );
    assert_eq!(jane["phone"], "+1 (555) 010-0200");
    assert_eq!(jane["title"], "VP Sales");
    assert_eq!(jane["account_id"], accounts[0]["id"]);
    let john = one_with(&contacts, "email", "john.smith@personal.example");
    assert_eq!(
        (&john["first_name"], &john["last_name"]),
        (&json!("John"), &json!("Smith"))
    );
    assert_eq!(john["phone"], "+1-555-010-0300");
    assert_eq!(john["account_id"], accounts[0]["id"]);
}

both_backends!(
    vcards_make_contacts_with_the_preferred_address_and_phone,
    vcards_make_contacts_with_preferred_details
);

// ---- 3. an accounts CSV -----------------------------------------------------

const ACCOUNTS_CSV: &str = "Company,Website,Industry,Employees,Country,Street\n\
\"Globex Corporation\",https://www.globex.example/about,Manufacturing,\"1,200\",us,\"1 Globex Way\n\
Springfield\"\n\
Initech,http://initech.example/,Software,85,US,\n\
Globex Duplicate,GLOBEX.example,Energy,10,DE,\n\
Umbrella,umbrella.example,Pharma,3.500,GB,\n";

async fn accounts_csv_dedupes_by_domain(app: &mut TestApp) {
    // Stored already with `www.`, but no industry, size or country.
    let initech = app
        .create(
            ACCOUNTS,
            json!({"name": "Initech", "domain": "www.initech.example"}),
        )
        .await;
    let report = import(
        app,
        "accounts.csv",
        ACCOUNTS_CSV.as_bytes(),
        &[("dry_run", "false")],
    )
    .await
    .expect(201);
    assert_eq!(report["kind"], "accounts", "{report:#}");
    assert_eq!(report["rows"], 4);
    assert_counts(&report, (0, 2), (0, 1), 1);
    assert_eq!(
        actions(&report),
        [(2, "create"), (4, "update"), (5, "skip"), (6, "create")]
            .map(|(l, a)| (l, a.to_owned()))
            .to_vec(),
        "{report:#}"
    );
    let fields: BTreeSet<&str> = planned(&report, 4)["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["industry", "employee_count", "country"]),
        "{report:#}"
    );
    assert!(
        planned(&report, 5)["reason"]
            .as_str()
            .is_some_and(|r| r.contains("line 2")),
        "{report:#}"
    );

    let accounts = by_id(app, ACCOUNTS).await;
    assert_eq!(accounts.len(), 3, "{accounts:#?}");
    let globex = one_with(&accounts, "name", "Globex Corporation");
    assert_eq!(globex["domain"], "globex.example");
    assert_eq!(globex["employee_count"], 1200);
    assert_eq!(globex["country"], "US");
    assert_eq!(globex["industry"], "Manufacturing");
    assert_eq!(globex["address"], "1 Globex Way\nSpringfield");
    let i = &accounts[&id_of(&initech)];
    assert_eq!(i["name"], "Initech");
    assert_eq!(i["domain"], "www.initech.example", "never overwritten");
    assert_eq!(i["industry"], "Software");
    assert_eq!(i["employee_count"], 85);
    assert_eq!(i["country"], "US");
    let u = one_with(&accounts, "name", "Umbrella");
    assert_eq!(u["employee_count"], 3500);
    assert_eq!(u["country"], "GB");
    assert!(!accounts.values().any(|a| a["name"] == "Globex Duplicate"));
}

both_backends!(
    an_accounts_csv_is_deduplicated_by_domain,
    accounts_csv_dedupes_by_domain
);

// ---- the command line -------------------------------------------------------

fn dealdraft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DEALDRAFT_ADDR")
        .env("RUST_LOG", "warn");
    cmd
}

fn run(args: &[&str]) -> Output {
    dealdraft()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running dealdraft {args:?}: {e}"))
}

#[track_caller]
fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "dealdraft {args:?}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A CSV export's rows keyed by id, without the bookkeeping columns.
fn export_rows(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("read the export");
    let headers: Vec<String> = reader
        .headers()
        .expect("headers")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a record");
            let row: BTreeMap<String, String> = headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .filter(|(h, _)| {
                    !["owner_id", "created_at", "updated_at", "version"].contains(&h.as_str())
                })
                .collect();
            (row["id"].clone(), row)
        })
        .collect()
}

/// Creates `R` from `input` through the library as the system user; its id.
async fn create<R: dealdraft::crm::Resource>(
    store: &dealdraft::store::Store,
    input: Value,
) -> String {
    let input = dealdraft::input::from_json_value(input).expect("input");
    let record: R = dealdraft::crm::create(store, &dealdraft::auth::Actor::system(), input)
        .await
        .unwrap_or_else(|e| panic!("seeding: {e}"));
    record.meta().id.to_string()
}

#[test]
fn an_export_imported_into_an_empty_database_gives_the_same_records() {
    use dealdraft::crm::{accounts::Account, contacts::Contact};
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.db"), dir.path().join("new.db"));
    let (old_url, new_url) = (sqlite_url(&old), sqlite_url(&new));
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = dealdraft::open(&old_url).await.expect("open");
        let globex = create::<Account>(
            &store,
            json!({"name": "Globex, Inc.", "domain": "globex.example", "industry": "Manufacturing",
                   "employee_count": 1200, "country": "US",
                   "address": "1 Globex Way\nSpringfield, OR 97477\n\"Building 7\""}),
        )
        .await;
        let muller = create::<Account>(
            &store,
            json!({"name": "Müller & Söhne", "domain": "mueller-soehne.de", "industry": "Retail",
                   "country": "DE", "credit_status": "watch", "credit_note": "pays late"}),
        )
        .await;
        create::<Account>(&store, json!({"name": "No Domain Ltd", "country": "GB"})).await;
        for (first, last, email, title, account) in [
            (
                "Jane",
                "Doe",
                Some("jane@globex.example"),
                Some("VP, Sales"),
                Some(&globex),
            ),
            (
                "Hank",
                "Scorpio",
                Some("hank@globex.example"),
                None,
                Some(&globex),
            ),
            (
                "Jürgen",
                "Müller",
                Some("j@mueller-soehne.de"),
                Some("Geschäftsführer"),
                Some(&muller),
            ),
            ("Solo", "Person", None, None, None),
        ] {
            create::<Contact>(
                &store,
                json!({"first_name": first, "last_name": last, "email": email, "title": title,
                       "phone": "+1 555 0100", "account_id": account}),
            )
            .await;
        }
        store.close().await;
    });

    let export = |url: &str, what: &str, to: &Path| {
        run_ok(&[
            "export",
            what,
            "-o",
            to.to_str().unwrap(),
            "--database-url",
            url,
        ]);
    };
    let (a, c) = (dir.path().join("a.csv"), dir.path().join("c.csv"));
    export(&old_url, "accounts", &a);
    export(&old_url, "contacts", &c);
    run_ok(&["migrate", "--database-url", &new_url]);
    run_ok(&[
        "import",
        a.to_str().unwrap(),
        "--kind",
        "accounts",
        "--commit",
        "--database-url",
        &new_url,
    ]);
    run_ok(&[
        "import",
        c.to_str().unwrap(),
        "--commit",
        "--database-url",
        &new_url,
    ]);
    let (a2, c2) = (dir.path().join("a2.csv"), dir.path().join("c2.csv"));
    export(&new_url, "accounts", &a2);
    export(&new_url, "contacts", &c2);

    let (before, after) = (export_rows(&a), export_rows(&a2));
    assert_eq!(before.len(), 3);
    assert_eq!(after, before, "accounts differ after the round trip");
    let (before, after) = (export_rows(&c), export_rows(&c2));
    assert_eq!(before.len(), 4);
    assert_eq!(after, before, "contacts differ after the round trip");
}

#[test]
fn the_cli_prints_a_dry_run_and_refuses_a_commit_with_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("cli.db"));
    let file = dir.path().join("contacts.csv");
    std::fs::write(&file, outlook_csv("\n")).unwrap();
    let file = file.to_str().unwrap();
    run_ok(&["migrate", "--database-url", &url]);
    let count = |what: &str| {
        run_ok(&["export", what, "--database-url", &url])
            .lines()
            .count()
            - 1
    };

    let out = run_ok(&["import", file, "--database-url", &url]);
    let line = |n: u64, action: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("line {n:>5}")))
            .unwrap_or_else(|| panic!("no line {n} in:\n{out}"))
            .contains(action)
    };
    assert!(
        line(2, "create") && line(2, "Jürgen Müller") && line(2, "new account"),
        "{out}"
    );
    assert!(line(4, "create"), "{out}");
    assert!(line(5, "create"), "{out}");
    assert!(line(6, "error") && line(6, "email"), "{out}");
    assert!(line(7, "skip") && line(7, "line 2"), "{out}");
    assert!(line(8, "create"), "{out}");
    assert!(out.contains("Notes"), "the ignored column is named: {out}");
    assert!(out.contains("dry run"), "{out}");
    assert_eq!(
        (count("contacts"), count("accounts")),
        (0, 0),
        "a dry run writes nothing"
    );

    let out = run(&["import", file, "--commit", "--database-url", &url]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("--skip-bad-rows"), "how to proceed: {err}");
    assert_eq!(
        (count("contacts"), count("accounts")),
        (0, 0),
        "a refused import writes nothing"
    );

    let out = run_ok(&[
        "import",
        file,
        "--commit",
        "--skip-bad-rows",
        "--json",
        "--database-url",
        &url,
    ]);
    let report: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(report["committed"], true);
    assert_eq!((count("contacts"), count("accounts")), (4, 2));
}
