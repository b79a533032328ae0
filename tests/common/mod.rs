//! Shared harness for the HTTP integration tests.
//!
//! Every test gets its own [`TestApp`]: a fresh database (a SQLite file in a
//! temporary directory, or a new PostgreSQL database that is dropped again
//! afterwards) and the real server on a port of its own, driven over HTTP with
//! `reqwest`. [`both_backends!`] turns one scenario into a SQLite and a
//! PostgreSQL test.
//!
//! Every test binary compiles this module on its own and uses a different
//! subset of it, hence the one `allow(dead_code)`.
#![allow(dead_code)]

pub mod forms;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dealdraft::store::Store;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION};
use reqwest::{Client, Method, RequestBuilder};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The built-in user every request acts as; default owner of new records.
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Creates the test admin on a new database.
async fn ensure_admin(store: &Store) {
    use dealdraft::auth::{Actor, users::User};
    let input = serde_json::from_value(json!({
        "email": ADMIN_EMAIL, "name": "Test Admin", "role": "admin", "password": ADMIN_PASSWORD,
    }))
    .expect("admin input");
    match dealdraft::crm::create::<User>(store, &Actor::system(), input).await {
        Ok(_) | Err(dealdraft::error::Error::Conflict { .. }) => {}
        Err(e) => panic!("creating the test admin failed: {e}"),
    }
}

/// Admin URL of the PostgreSQL server used when `DEALDRAFT_TEST_POSTGRES_URL` is unset.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Generates `mod $name { sqlite(), postgres() }`: two `#[tokio::test]`s that
/// run `async fn $scenario(app: &mut TestApp)` on a fresh app of each backend.
/// Test names read `$name::sqlite` and `$name::postgres`.
macro_rules! both_backends {
    ($name:ident) => {
        both_backends!($name, $name);
    };
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some(mut app) =
                    crate::common::TestApp::spawn(crate::common::Backend::Sqlite).await
                else {
                    return;
                };
                super::$scenario(&mut app).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(mut app) =
                    crate::common::TestApp::spawn(crate::common::Backend::Postgres).await
                else {
                    return;
                };
                super::$scenario(&mut app).await;
                app.stop().await;
            }
        }
    };
}
pub(crate) use both_backends;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

struct Server {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// A running server on its own database.
pub struct TestApp {
    pub backend: Backend,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    /// Sends the admin's bearer token with every request.
    pub client: Client,
    /// The session token and id of the admin every `TestApp` signs in as.
    pub admin_token: String,
    pub admin_id: String,
    /// Sends no credentials of its own.
    anon: Client,
    database_url: String,
    server: Option<Server>,
    // Dropped after `server` (fields drop in declaration order).
    _sqlite_dir: Option<tempfile::TempDir>,
    _pg_database: Option<FreshPostgres>,
}

impl TestApp {
    /// Starts a server on a fresh database. `None` means "skip this test":
    /// PostgreSQL is not reachable and `CI` is not `true` (a line saying so is
    /// printed to stderr). Under `CI=true` an unreachable server panics.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let (database_url, sqlite_dir, pg_database) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let database = fresh_postgres().await?;
                (database.url.clone(), None, Some(database))
            }
        };
        let mut app = TestApp {
            backend,
            base_url: String::new(),
            client: Client::new(),
            admin_token: String::new(),
            admin_id: String::new(),
            anon: Client::new(),
            database_url,
            server: None,
            _sqlite_dir: sqlite_dir,
            _pg_database: pg_database,
        };
        app.start().await;
        Some(app)
    }

    /// A second store handle on the app's database, for checks below HTTP.
    pub async fn store(&self) -> Store {
        Store::connect(&self.database_url)
            .await
            .expect("connect to the test database")
    }

    async fn start(&mut self) {
        let store = dealdraft::open(&self.database_url)
            .await
            .unwrap_or_else(|e| panic!("opening {} failed: {e}", self.database_url));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let (tx, rx) = oneshot::channel::<()>();
        ensure_admin(&store).await;
        let task = tokio::spawn(dealdraft::web::serve(listener, store, async move {
            let _ = rx.await;
        }));
        self.base_url = format!("http://{addr}");
        self.server = Some(Server { shutdown: tx, task });
        let signed_in = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect(200);
        self.admin_token = signed_in["token"].as_str().expect("token").to_owned();
        self.admin_id = id_of(&signed_in["user"]);
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", self.admin_token)).expect("header"),
        );
        self.client = Client::builder()
            .timeout(Duration::from_secs(60))
            .default_headers(headers)
            .build()
            .expect("build reqwest client");
    }

    /// Shuts the server down through its shutdown future and waits for it.
    pub async fn stop(&mut self) {
        // Drop pooled keep-alive connections so nothing holds the server open.
        self.client = Client::new();
        if let Some(server) = self.server.take() {
            let _ = server.shutdown.send(());
            match tokio::time::timeout(Duration::from_secs(15), server.task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => panic!("server returned an error: {e}"),
                Ok(Err(e)) => panic!("server task failed: {e}"),
                Err(_) => panic!("server did not stop within 15 s of the shutdown signal"),
            }
        }
    }

    /// Stops the server and starts a new one on the same database (new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// Signs in with no session of its own (POST /api/v1/session).
    pub async fn login(&self, email: &str, password: &str) -> Res {
        self.request_as(
            None,
            Method::POST,
            "/api/v1/session",
            Some(&json!({"email": email, "password": password})),
        )
        .await
    }

    /// Sends a request with `token` as the bearer token, or with no
    /// `Authorization` header at all when `None`.
    pub async fn request_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Res {
        let mut req = self.anonymous(method.clone(), path);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        self.send(req, method, path, body).await
    }

    /// A request that carries no credentials unless the caller adds some.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.anon.request(method, self.url(path))
    }

    /// Sends `req` with `body` (if any) as JSON and reads the answer.
    pub async fn send(
        &self,
        mut req: RequestBuilder,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Res {
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: request failed: {e}"));
        Res::read(method, path, resp).await
    }

    /// A new user of `role`, signed in: their id and token.
    pub async fn signed_in(&self, role: &str) -> (String, String) {
        let (id, email, password) = self.new_user(role).await;
        let token = self.login(&email, &password).await.expect(200)["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        (id, token)
    }

    /// The body at `path` as bytes, as the holder of `token`: a file the
    /// API serves.
    pub async fn download(&self, token: &str, path: &str) -> Download {
        let resp = self
            .anonymous(Method::GET, path)
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: request failed: {e}"));
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (status, content_type, disposition) = (
            resp.status().as_u16(),
            header(CONTENT_TYPE),
            header(reqwest::header::CONTENT_DISPOSITION),
        );
        let bytes = resp.bytes().await.expect("a body").to_vec();
        Download {
            status,
            content_type,
            disposition,
            bytes,
        }
    }

    /// Creates a user of `role` as the admin; returns its id, email and
    /// password.
    pub async fn new_user(&self, role: &str) -> (String, String, String) {
        let email = format!("{role}-{}@example.com", new_id());
        let password = format!("{role}-password-{}", &new_id()[..8]);
        let user = self
            .post_json(
                "/api/v1/users",
                &json!({"email": email, "name": format!("A {role}"), "role": role, "password": password}),
            )
            .await
            .expect(201);
        (id_of(&user), email, password)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Sends `body` (if any) as JSON, as the admin.
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Res {
        let req = self.client.request(method.clone(), self.url(path));
        self.send(req, method, path, body).await
    }

    /// Sends raw bytes with the given content type (none when `None`).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Res {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        let resp = req
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: request failed: {e}"));
        Res::read(method, path, resp).await
    }

    pub async fn get(&self, path: &str) -> Res {
        self.request(Method::GET, path, None).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Res {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Res {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Res {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Res {
        self.request(Method::DELETE, path, None).await
    }

    /// POSTs and insists on `201`; returns the created record.
    pub async fn create(&self, collection_path: &str, body: Value) -> Value {
        self.post_json(collection_path, &body).await.expect(201)
    }

    /// GETs and insists on `200`.
    pub async fn fetch(&self, path: &str) -> Value {
        self.get(path).await.expect(200)
    }

    /// Every item of a list, following `next_cursor` (200 a page).
    pub async fn list_all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let mut page_path = with_query(path, "limit", "200");
            if let Some(c) = &cursor {
                page_path = with_query(&page_path, "cursor", c);
            }
            let page = self.fetch(&page_path).await;
            items.extend(
                page["items"]
                    .as_array()
                    .unwrap_or_else(|| panic!("GET {page_path}: no items array: {page}"))
                    .iter()
                    .cloned(),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
        panic!("GET {path}: more than 1000 pages");
    }

    /// The ids of every item of a list, in list order.
    pub async fn list_ids(&self, path: &str) -> Vec<String> {
        ids(&self.list_all(path).await)
    }

    /// `(id, version)` of every item: a snapshot to prove nothing was written.
    pub async fn snapshot(&self, path: &str) -> Vec<(String, i64)> {
        let mut snap: Vec<(String, i64)> = self
            .list_all(path)
            .await
            .iter()
            .map(|i| (id_of(i), i["version"].as_i64().unwrap_or(-1)))
            .collect();
        snap.sort();
        snap
    }

    /// Asserts the `Location` header of a create response leads to the record.
    pub async fn assert_location_leads_to(&self, res: &Res, id: &str) {
        let location = res
            .headers
            .get(LOCATION)
            .unwrap_or_else(|| panic!("no Location header: {res}"))
            .to_str()
            .expect("Location is ASCII")
            .to_string();
        assert!(
            location.contains(id),
            "Location {location:?} should name {id}"
        );
        let path = if location.starts_with("http://") || location.starts_with("https://") {
            let rest = location.split_once("://").map(|(_, r)| r).unwrap_or("");
            rest.find('/')
                .map(|i| rest[i..].to_string())
                .unwrap_or_default()
        } else {
            location.clone()
        };
        assert!(
            path.starts_with('/'),
            "Location {location:?} is not a path or URL"
        );
        let record = self.fetch(&path).await;
        assert_eq!(
            record["id"], id,
            "GET Location {location} gave another record"
        );
    }

    // ---- small factories -------------------------------------------------

    pub async fn new_account(&self, name: &str) -> String {
        id_of(
            &self
                .create("/api/v1/accounts", json!({ "name": name }))
                .await,
        )
    }

    pub async fn new_contact(&self, account_id: &str, last_name: &str) -> String {
        id_of(
            &self
                .create(
                    "/api/v1/contacts",
                    json!({ "first_name": "Test", "last_name": last_name, "account_id": account_id }),
                )
                .await,
        )
    }

    pub async fn new_deal(&self, account_id: &str, name: &str) -> String {
        id_of(
            &self
                .create(
                    "/api/v1/deals",
                    json!({ "name": name, "account_id": account_id }),
                )
                .await,
        )
    }

    pub async fn new_question(&self, key: &str, kind: &str, applies_to: &str) -> Value {
        let mut body = json!({ "key": key, "label": key, "kind": kind, "applies_to": applies_to });
        if kind == "choice" || kind == "multi" {
            body["options"] = json!(["small", "medium", "large"]);
        }
        self.create("/api/v1/profile-questions", body).await
    }
}

/// A file as the API served it.
pub struct Download {
    pub status: u16,
    pub content_type: String,
    pub disposition: String,
    pub bytes: Vec<u8>,
}

/// A response: status, headers, the raw text and the body parsed as JSON
/// (`Value::Null` if it is empty or not JSON).
pub struct Res {
    pub method: Method,
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Res {
    async fn read(method: Method, path: &str, resp: reqwest::Response) -> Res {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp
            .text()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: reading the body failed: {e}"));
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            method,
            path: path.to_string(),
            status,
            headers,
            text,
            body,
        }
    }

    /// Insists on `status`; returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected status: {self}");
        self.body
    }

    /// Insists on a 2xx status (where the README names none); returns the body.
    #[track_caller]
    pub fn expect_success(self) -> Value {
        assert!(
            (200..300).contains(&self.status),
            "expected success: {self}"
        );
        self.body
    }

    /// Asserts the README's error shape: the status, `error.code`, a
    /// non-empty `error.message`, and that `error.fields` names each of
    /// `fields`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, fields: &[&str]) {
        if let Some(problem) = self.error_mismatch(status, code, fields) {
            panic!("{problem}");
        }
    }

    /// What [`Res::assert_error`] would complain about, if anything.
    pub fn error_mismatch(&self, status: u16, code: &str, fields: &[&str]) -> Option<String> {
        if self.status != status {
            return Some(format!("expected status {status}: {self}"));
        }
        let err = &self.body["error"];
        if !err.is_object() {
            return Some(format!("expected {{\"error\": {{…}}}}: {self}"));
        }
        if err["code"] != code {
            return Some(format!("expected error.code {code:?}: {self}"));
        }
        if err["message"].as_str().is_none_or(|m| m.is_empty()) {
            return Some(format!(
                "error.message should be a non-empty string: {self}"
            ));
        }
        for field in fields {
            if err["fields"].get(*field).is_none() {
                return Some(format!("error.fields should name `{field}`: {self}"));
            }
        }
        None
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl fmt::Display for Res {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text: String = self.text.chars().take(2000).collect();
        if text.len() < self.text.len() {
            text.push('…');
        }
        write!(
            f,
            "{} {} -> {}: {}",
            self.method, self.path, self.status, text
        )
    }
}

impl fmt::Debug for Res {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// ---- value helpers ---------------------------------------------------------

/// `record["id"]` as a String.
#[track_caller]
pub fn id_of(record: &Value) -> String {
    record["id"]
        .as_str()
        .unwrap_or_else(|| panic!("record without a string id: {record}"))
        .to_string()
}

/// The ids of `items`, in order.
pub fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

/// `page["items"]` ids.
#[track_caller]
pub fn item_ids(page: &Value) -> Vec<String> {
    ids(page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items array: {page}")))
}

/// Sorted copy, for set comparisons.
pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Parses an RFC 3339 timestamp field.
#[track_caller]
pub fn ts(v: &Value) -> DateTime<Utc> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected an RFC 3339 timestamp string, got {v}"));
    let parsed =
        DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"));
    assert_eq!(parsed.offset().local_minus_utc(), 0, "{s:?} is not UTC");
    parsed.with_timezone(&Utc)
}

/// A fresh client-side id (UUIDv7).
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// Asserts the fields every record has: a UUID `id`, `version`, timestamps.
#[track_caller]
pub fn assert_record_basics(record: &Value, version: i64) {
    let id = record["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {record}"));
    Uuid::parse_str(id).unwrap_or_else(|e| panic!("id {id:?} is not a UUID: {e}"));
    assert_eq!(record["version"], version, "version: {record}");
    ts(&record["created_at"]);
    ts(&record["updated_at"]);
}

/// Compares two JSON values the way the contract allows them to differ:
/// timestamps by instant, decimal strings by value, objects by their keys.
pub fn same_value(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) => {
            if e == a {
                return true;
            }
            if let (Ok(e), Ok(a)) = (
                DateTime::parse_from_rfc3339(e),
                DateTime::parse_from_rfc3339(a),
            ) {
                return e == a;
            }
            if let (Ok(e), Ok(a)) = (e.parse::<Decimal>(), a.parse::<Decimal>()) {
                return e == a;
            }
            false
        }
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| same_value(e, a))
        }
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, e)| same_value(e, a.get(k).unwrap_or(&Value::Null))),
        _ => expected == actual,
    }
}

/// Asserts each key of `expected` has the same value in `actual`.
#[track_caller]
pub fn assert_has_fields(actual: &Value, expected: &Value) {
    for (key, value) in expected.as_object().expect("expected an object") {
        assert!(
            same_value(value, &actual[key]),
            "field `{key}`: expected {value}, got {} in {actual}",
            actual[key]
        );
    }
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Appends `key=value` (encoded) to a path that may already have a query.
pub fn with_query(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={}", enc(value))
}

/// The generic CRUD round trip every collection must pass:
/// create (201, Location, fields echoed, owner default), read, list, PATCH
/// (`patch` changes, the rest unchanged, version + 1), PATCH `clear: null`,
/// delete (204), then 404 on GET, PATCH and DELETE; a client-supplied `id`
/// is kept and a second create with it is 409. Returns nothing; every
/// collection's own test adds its specifics.
pub async fn check_crud(app: &TestApp, collection: &str, create: Value, patch: Value, clear: &str) {
    let res = app.post_json(collection, &create).await;
    assert_eq!(res.status, 201, "create: {res}");
    let created = res.body.clone();
    assert_record_basics(&created, 1);
    assert_has_fields(&created, &create);
    if created.get("owner_id").is_some() {
        assert_eq!(
            created["owner_id"], app.admin_id,
            "owner defaults to the acting user: {created}"
        );
    }
    let id = id_of(&created);
    assert_eq!(
        Uuid::parse_str(&id).unwrap().get_version_num(),
        7,
        "server-made ids are UUIDv7: {id}"
    );
    app.assert_location_leads_to(&res, &id).await;
    let item = format!("{collection}/{id}");

    // Read.
    let read = app.fetch(&item).await;
    assert_has_fields(&read, &create);
    assert_eq!(read["id"], created["id"]);
    assert_eq!(read["version"], 1);
    assert_eq!(
        ts(&read["created_at"]),
        ts(&created["created_at"]),
        "created_at of GET vs POST"
    );
    assert_eq!(
        ts(&read["updated_at"]),
        ts(&created["updated_at"]),
        "updated_at of GET vs POST"
    );

    // List.
    let listed = app.list_all(collection).await;
    let in_list = listed
        .iter()
        .find(|i| i["id"] == created["id"])
        .unwrap_or_else(|| panic!("GET {collection} does not list {id}"));
    assert_has_fields(in_list, &create);

    // PATCH: named fields change, the others stay, version + 1.
    let mut body = patch.clone();
    body["version"] = json!(1);
    let patched = app.patch_json(&item, &body).await.expect(200);
    assert_eq!(patched["version"], 2, "version after one PATCH: {patched}");
    assert_has_fields(&patched, &patch);
    let mut unchanged = create.clone();
    for key in patch.as_object().unwrap().keys() {
        unchanged.as_object_mut().unwrap().remove(key);
    }
    assert_has_fields(&patched, &unchanged);
    assert!(ts(&patched["updated_at"]) >= ts(&created["updated_at"]));
    assert_eq!(ts(&patched["created_at"]), ts(&created["created_at"]));
    let reread = app.fetch(&item).await;
    assert_eq!(reread["version"], 2);
    assert_has_fields(&reread, &patch);

    // PATCH null clears an optional field (a list to none).
    let cleared = app
        .patch_json(&item, &json!({ "version": 2, clear: null }))
        .await
        .expect(200);
    assert_eq!(cleared["version"], 3);
    let is_cleared = |v: &Value| v.is_null() || *v == json!([]);
    assert!(
        is_cleared(&cleared[clear]),
        "`{clear}` should be cleared: {cleared}"
    );
    assert!(
        is_cleared(&app.fetch(&item).await[clear]),
        "`{clear}` cleared on GET"
    );

    // Delete.
    let del = app.delete(&item).await;
    assert_eq!(del.status, 204, "{del}");
    app.get(&item).await.assert_error(404, "not_found", &[]);
    app.patch_json(&item, &json!({ "version": 3 }))
        .await
        .assert_error(404, "not_found", &[]);
    app.delete(&item).await.assert_error(404, "not_found", &[]);
    assert!(
        !app.list_ids(collection).await.contains(&id),
        "deleted {id} still listed"
    );

    // Client-supplied id; the same id again is a conflict.
    let own_id = new_id();
    let mut with_id = vary_unique(&create, "second");
    with_id["id"] = json!(own_id);
    let made = app.create(collection, with_id).await;
    assert_eq!(made["id"], own_id, "client-supplied id must be kept");
    app.fetch(&format!("{collection}/{own_id}")).await;
    let before = app.snapshot(collection).await;
    // Only the id repeats (a unique `key` is varied), so the 409 is the id's.
    let mut again = vary_unique(&create, "third");
    again["id"] = json!(own_id);
    app.post_json(collection, &again)
        .await
        .assert_error(409, "conflict", &[]);
    assert_eq!(
        app.snapshot(collection).await,
        before,
        "a rejected create wrote something"
    );
}

/// `body` with its unique `key` (profile questions) given a suffix, so two
/// creates from it differ in every unique value but the id.
fn vary_unique(body: &Value, suffix: &str) -> Value {
    let mut body = body.clone();
    if let Some(key) = body["key"].as_str() {
        body["key"] = json!(format!("{key}_{suffix}"));
    }
    body
}

// ---- PostgreSQL databases --------------------------------------------------

/// A database created for one test and dropped (best effort) with it.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    /// `Err` when the server cannot be reached; panics when it is reachable
    /// but the database cannot be created.
    async fn create(admin_url: &str) -> Result<PgDatabase, String> {
        let conn =
            tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(admin_url)).await;
        let mut conn = match conn {
            Err(_) => return Err("connection timed out after 10 s".to_string()),
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok(conn)) => conn,
        };
        let name = format!("dealdraft_test_{}", Uuid::now_v7().simple());
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {admin_url}: {e}"));
        let _ = conn.close().await;
        Ok(PgDatabase {
            admin_url: admin_url.to_string(),
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Own thread and runtime: Drop may run inside (or after) the test's runtime.
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let Ok(mut conn) = PgConnection::connect(&admin_url).await else {
                    return;
                };
                let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            });
        });
        let _ = dropper.join();
    }
}

/// `admin_url` with its database replaced by `db` (query string kept).
fn with_database(admin_url: &str, db: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    let mut url = format!("{}/{db}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

// ---- added for the audit log's command-line tests ----------------------------

impl TestApp {
    /// The URL of the app's database, for running the CLI against it.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }
}

/// A EUR price book, made by the admin: a platform seat at 100.00 (80.00
/// from 50 seats) and a consulting day at 1200.00; ids as strings.
pub struct EurBook {
    pub book: String,
    pub platform: String,
    pub day: String,
}

pub async fn eur_book(app: &TestApp) -> EurBook {
    let platform = app
        .create(
            "/api/v1/products",
            json!({"sku": "PLAT", "name": "Analytics platform", "unit": "seat"}),
        )
        .await;
    let day = app
        .create(
            "/api/v1/products",
            json!({"sku": "DAY", "name": "Consulting day", "unit": "day"}),
        )
        .await;
    let book = app
        .create(
            "/api/v1/price-books",
            json!({"name": "Europe", "currency": "EUR", "entries": [
                {"product_id": id_of(&platform), "unit_price": "100.00",
                 "tiers": [{"from_quantity": "50", "unit_price": "80.00"}]},
                {"product_id": id_of(&day), "unit_price": "1200.00"}]}),
        )
        .await;
    EurBook {
        book: id_of(&book),
        platform: id_of(&platform),
        day: id_of(&day),
    }
}

/// The seller's company profile, filled in by the admin: what documents
/// print as `seller`.
pub async fn seller_company(app: &TestApp) {
    let settings = app.fetch("/api/v1/settings").await;
    app.patch_json(
        "/api/v1/settings",
        &json!({"company": {"name": "Northwind Systems", "phone": "+49 30 555 0000",
                            "email": "sales@northwind.example", "website": "https://northwind.example",
                            "address": "Hafenstr. 1, Hamburg"},
                "version": settings["version"]}),
    )
    .await
    .expect(200);
}

// ---- added for the batch CLI ----

/// A new PostgreSQL database of its own, for tests that run the server as
/// a child process; dropped (best effort) with this value.
pub struct FreshPostgres {
    /// The database's URL, for `--database-url`.
    pub url: String,
    _database: PgDatabase,
}

/// Creates a [`FreshPostgres`] on the server of `DEALDRAFT_TEST_POSTGRES_URL`
/// (else [`DEFAULT_POSTGRES_URL`]). `None` means "skip this test": the
/// server is not reachable and `CI` is not `true` (a line saying so is
/// printed to stderr). Under `CI=true` an unreachable server panics.
pub async fn fresh_postgres() -> Option<FreshPostgres> {
    let admin_url = std::env::var("DEALDRAFT_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string());
    match PgDatabase::create(&admin_url).await {
        Ok(database) => Some(FreshPostgres {
            url: with_database(&admin_url, &database.name),
            _database: database,
        }),
        Err(err) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("PostgreSQL not reachable at {admin_url}: {err} (CI=true, so this fails)");
            }
            eprintln!("skipped: PostgreSQL not reachable at {admin_url}: {err}");
            None
        }
    }
}
