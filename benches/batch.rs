//! Batch benchmark: personalised one-page brochure PDFs for every contact
//! of a segment, on a fresh SQLite file, from making the batch (the
//! segment's records are read and fixed) until every document is kept.
//!
//! `cargo bench --bench batch` runs each size in a process of its own and
//! prints wall time, documents a second and the process's peak resident
//! memory, so memory can be compared across batch sizes. Under
//! `cargo test` it makes a batch of five as a smoke test.

use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use dealdraft::auth::Actor;
use dealdraft::batches::{self, BatchRequest, work};
use dealdraft::crm;
use dealdraft::crm::accounts::Account;
use dealdraft::crm::contacts::Contact;
use dealdraft::documents::DocumentFormat;
use dealdraft::segments::Segment;
use dealdraft::store::Store;
use serde_json::json;

// As the `dealdraft` binary: its memory is what is measured.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The sizes measured, each in its own process.
const SIZES: [usize; 3] = [250, 1000, 2000];

fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    dealdraft::input::from_json_value(value).expect("valid input")
}

/// A workspace with `contacts` contacts on 50 accounts, every one ready
/// for the brochure, in a segment `everyone`.
async fn seed(store: &Store, contacts: usize) {
    let admin = Actor::system();
    let settings = dealdraft::settings::get(store).await.expect("settings");
    dealdraft::settings::update(
        store,
        &admin,
        parse(json!({
            "version": settings.version,
            "company": {"name": "Northwind Systems", "phone": "+49 30 555 0000",
                        "email": "sales@northwind.example", "website": "https://northwind.example"},
        })),
    )
    .await
    .expect("company profile");
    let rep: dealdraft::auth::users::User = crm::create(
        store,
        &admin,
        parse(
            json!({"email": "rep@example.com", "name": "Rita Rep", "role": "rep",
                     "password": "rep-password-1", "title": "Account Executive",
                     "phone": "+49 30 555 0101"}),
        ),
    )
    .await
    .expect("rep");
    let industries = ["Manufacturing", "Healthcare", "Logistics", "Retail"];
    let mut accounts = Vec::new();
    for n in 0..50 {
        let account: Account = crm::create(
            store,
            &admin,
            parse(
                json!({"name": format!("Account {n} GmbH"), "industry": industries[n % 4],
                         "country": "DE", "owner_id": rep.meta.id}),
            ),
        )
        .await
        .expect("account");
        accounts.push(account.meta.id);
    }
    for n in 0..contacts {
        crm::create::<Contact>(
            store,
            &admin,
            parse(
                json!({"first_name": format!("Person{n}"), "last_name": format!("Surname{n}"),
                         "email": format!("person{n}@example.com"),
                         "account_id": accounts[n % accounts.len()], "owner_id": rep.meta.id}),
            ),
        )
        .await
        .expect("contact");
    }
    crm::create::<Segment>(
        store,
        &admin,
        parse(
            json!({"key": "everyone", "name": "Everyone with an e-mail address",
                     "subject": "contact", "rule": "contact.email is not blank"}),
        ),
    )
    .await
    .expect("segment");
}

/// Makes and works one batch of `contacts` brochures; prints one line of
/// figures.
fn measure(contacts: usize) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        let store = dealdraft::open(&url).await.expect("open");
        seed(&store, contacts).await;
        let admin = Actor::system();
        let started = Instant::now();
        let batch = batches::create(
            &store,
            &admin,
            BatchRequest {
                template: "brochure".to_owned(),
                segment: "everyone".to_owned(),
                format: DocumentFormat::Pdf,
                draft: false,
            },
        )
        .await
        .expect("batch");
        let fixed = started.elapsed();
        let stop = AtomicBool::new(false);
        let counts = work::work(&store, batch.meta.id, &work::Options::new(), &|_| {}, &stop)
            .await
            .expect("work");
        let wall = started.elapsed();
        assert_eq!(counts.done as usize, contacts, "every brochure is made");
        println!(
            "{contacts:>5} brochures: {:>7.2} s wall ({:.2} s fixing the segment), \
             {:>6.1} documents/s, peak memory {:.1} MB",
            wall.as_secs_f64(),
            fixed.as_secs_f64(),
            contacts as f64 / wall.as_secs_f64(),
            peak_memory_kb() as f64 / 1024.0
        );
        store.close().await;
    });
}

/// The process's peak resident memory (`VmHWM`), in kB.
fn peak_memory_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--size") {
        let size = args[at + 1].parse().expect("a size");
        measure(size);
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        measure(5);
        return;
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("batch of one-page brochure PDFs on SQLite, {cores} cores");
    let exe = std::env::current_exe().expect("this program");
    for size in SIZES {
        let status = Command::new(&exe)
            .args(["--size", &size.to_string()])
            .status()
            .expect("run a size");
        assert!(status.success(), "the batch of {size} failed");
    }
}
