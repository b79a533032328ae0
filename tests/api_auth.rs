//! Signing in, sessions, `/me`, and the users admin API: who may call what,
//! how sign-in is slowed down and locked, and reassigning a user's records.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{Res, TestApp, assert_record_basics, both_backends, id_of, new_id, ts};
use dealdraft::store::Sql;
use reqwest::Method;
use reqwest::header::{COOKIE, HeaderMap, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "admin-password-1";
const SESSION: &str = "/api/v1/session";
const ME: &str = "/api/v1/me";
const ME_PASSWORD: &str = "/api/v1/me/password";
const USERS: &str = "/api/v1/users";
const ACCOUNTS: &str = "/api/v1/accounts";
const CONTACTS: &str = "/api/v1/contacts";
const DEALS: &str = "/api/v1/deals";
const COOKIE_NAME: &str = "dealdraft_session";
const SYSTEM_EMAIL: &str = "system@dealdraft.invalid";

// ---- helpers ---------------------------------------------------------------

/// Signs in and insists on `200`; returns the token.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let body = app.login(email, password).await.expect(200);
    body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("sign-in answer without a string token: {body}"))
        .to_string()
}

/// `GET /api/v1/me` with `token` (no other credentials).
async fn me_as(app: &TestApp, token: &str) -> Res {
    app.request_as(Some(token), Method::GET, ME, None).await
}

/// Sends a request whose only credential is `Cookie: dealdraft_session=VALUE`.
async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie_value: &str,
    body: Option<&Value>,
) -> Res {
    let req = app
        .anonymous(method.clone(), path)
        .header(COOKIE, format!("{COOKIE_NAME}={cookie_value}"));
    app.send(req, method, path, body).await
}

/// The `Set-Cookie` header that sets the session cookie, if any.
fn session_set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with(&format!("{COOKIE_NAME}=")))
        .map(str::to_string)
}

/// The value of a `Set-Cookie` header (`NAME=VALUE; ...`).
fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap_or("");
    pair.split_once('=')
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// The attributes of a `Set-Cookie` header, names lower-cased, values as sent
/// (`None` for a flag such as `HttpOnly`).
fn cookie_attributes(set_cookie: &str) -> Vec<(String, Option<String>)> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|attr| {
            let attr = attr.trim();
            match attr.split_once('=') {
                Some((name, value)) => (
                    name.trim().to_ascii_lowercase(),
                    Some(value.trim().to_string()),
                ),
                None => (attr.to_ascii_lowercase(), None),
            }
        })
        .collect()
}

fn cookie_attribute(set_cookie: &str, name: &str) -> Option<Option<String>> {
    cookie_attributes(set_cookie)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// Every object key anywhere in `value` that mentions a password or a hash.
fn secret_keys(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let k = key.to_ascii_lowercase();
                if k.contains("password") || k.contains("hash") {
                    found.push(key.clone());
                }
                found.extend(secret_keys(v));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| found.extend(secret_keys(v))),
        _ => {}
    }
    found
}

/// Asserts an answer carries no password or hash: no such key, and none of
/// `secrets` nor an Argon2 hash anywhere in its text.
#[track_caller]
fn assert_no_secrets(res: &Res, secrets: &[&str]) {
    // An error's `fields` names the fields in question, `password` among them.
    let mut body = res.body.clone();
    if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
        error.remove("fields");
    }
    let keys = secret_keys(&body);
    assert!(keys.is_empty(), "answer has fields {keys:?}: {res}");
    assert!(
        !res.text.contains("$argon2"),
        "answer contains a password hash: {res}"
    );
    for secret in secrets {
        assert!(
            !res.text.contains(secret),
            "answer contains the password {secret:?}: {res}"
        );
    }
}

/// `error.message` of an error answer.
#[track_caller]
fn message(res: &Res) -> String {
    res.body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message: {res}"))
        .to_string()
}

/// A user's record as the admin sees it.
async fn user(app: &TestApp, id: &str) -> Value {
    app.fetch(&format!("{USERS}/{id}")).await
}

/// PATCHes `/users/{id}` as the admin with the current version.
async fn patch_user(app: &TestApp, id: &str, mut changes: Value) -> Value {
    let current = user(app, id).await;
    changes["version"] = current["version"].clone();
    app.patch_json(&format!("{USERS}/{id}"), &changes)
        .await
        .expect(200)
}

/// Runs one statement on the app's database, below HTTP.
async fn execute(app: &TestApp, statement: &str) {
    let store = app.store().await;
    let mut tx = store.begin().await.unwrap();
    tx.execute(&Sql::new(statement)).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard and URL-safe Base64, padded and not.
fn base64_forms(bytes: &[u8]) -> Vec<String> {
    const STD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut padded = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                padded.push(STD[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                padded.push('=');
            }
        }
    }
    let url = padded.replace('+', "-").replace('/', "_");
    vec![
        padded.trim_end_matches('=').to_string(),
        url.trim_end_matches('=').to_string(),
        padded,
        url,
    ]
}

#[derive(sqlx::FromRow)]
struct TokenHash {
    token_hash: String,
}

#[derive(sqlx::FromRow)]
struct PasswordHash {
    password_hash: Option<String>,
}

// ---- 401 without a valid session ------------------------------------------

async fn every_api_route_but_openapi_and_sign_in_needs_a_signed_in_user(app: &mut TestApp) {
    let some_id = new_id();
    for path in [
        ACCOUNTS.to_string(),
        CONTACTS.to_string(),
        DEALS.to_string(),
        "/api/v1/activities".to_string(),
        "/api/v1/profile-questions".to_string(),
        ME.to_string(),
        USERS.to_string(),
        format!("{USERS}/{}", app.admin_id),
        format!("{ACCOUNTS}/{some_id}"),
    ] {
        app.request_as(None, Method::GET, &path, None)
            .await
            .assert_error(401, "unauthorized", &[]);
    }
    for (method, path, body) in [
        (Method::POST, ACCOUNTS, json!({ "name": "Sneaky Ltd" })),
        (
            Method::POST,
            USERS,
            json!({ "email": "sneaky@example.com", "name": "Sneaky", "role": "admin", "password": "sneaky-password-1" }),
        ),
        (
            Method::PUT,
            ME_PASSWORD,
            json!({ "old_password": ADMIN_PASSWORD, "new_password": "sneaky-password-1" }),
        ),
        (Method::DELETE, SESSION, Value::Null),
    ] {
        let body = (!body.is_null()).then_some(&body);
        app.request_as(None, method, path, body)
            .await
            .assert_error(401, "unauthorized", &[]);
    }
    // Nothing was written by the refused requests.
    assert!(
        app.list_ids(ACCOUNTS).await.is_empty(),
        "an unauthorized POST created an account"
    );
    assert!(
        !app.list_all(USERS)
            .await
            .iter()
            .any(|u| u["email"] == "sneaky@example.com"),
        "an unauthorized POST created a user"
    );
    app.login(ADMIN_EMAIL, "sneaky-password-1")
        .await
        .assert_error(401, "unauthorized", &[]);
    sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // A made-up token, bearer or cookie, is no better than none.
    for garbage in [
        "garbage",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        app.request_as(Some(garbage), Method::GET, ACCOUNTS, None)
            .await
            .assert_error(401, "unauthorized", &[]);
        with_cookie(app, Method::GET, ACCOUNTS, garbage, None)
            .await
            .assert_error(401, "unauthorized", &[]);
    }

    // Health and the API description need no sign-in.
    let health = app.request_as(None, Method::GET, "/healthz", None).await;
    assert_eq!(health.status, 200, "{health}");
    assert_eq!(health.body, json!({ "status": "ok" }));
    let doc = app
        .request_as(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(doc.status, 200, "{doc}");
    assert!(doc.body["openapi"].is_string(), "{doc}");
}
both_backends!(every_api_route_but_openapi_and_sign_in_needs_a_signed_in_user);

async fn a_revoked_or_expired_token_is_unauthorized(app: &mut TestApp) {
    // Revoked: signing out ends that session only.
    let revoked = sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.request_as(Some(&revoked), Method::GET, ACCOUNTS, None)
        .await
        .expect(200);
    let out = app
        .request_as(Some(&revoked), Method::DELETE, SESSION, None)
        .await;
    assert_eq!(out.status, 204, "{out}");
    app.request_as(Some(&revoked), Method::GET, ACCOUNTS, None)
        .await
        .assert_error(401, "unauthorized", &[]);
    app.get(ACCOUNTS).await.expect(200);

    // Expired: every session's expiry moved back to its start.
    let expiring = sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.request_as(Some(&expiring), Method::GET, ACCOUNTS, None)
        .await
        .expect(200);
    execute(app, "UPDATE sessions SET expires_at = created_at").await;
    // A change made in the database directly, not through this server,
    // reaches it once its one-second session cache has let go.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.request_as(Some(&expiring), Method::GET, ACCOUNTS, None)
        .await
        .assert_error(401, "unauthorized", &[]);
    app.request_as(Some(&expiring), Method::GET, ME, None)
        .await
        .assert_error(401, "unauthorized", &[]);
    app.get(ACCOUNTS)
        .await
        .assert_error(401, "unauthorized", &[]);

    // Signing in again gives a working session.
    let fresh = sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.request_as(Some(&fresh), Method::GET, ACCOUNTS, None)
        .await
        .expect(200);
}
both_backends!(a_revoked_or_expired_token_is_unauthorized);

// ---- signing in and out ---------------------------------------------------

async fn signing_in_answers_a_token_a_12_hour_expiry_the_user_and_a_session_cookie(
    app: &mut TestApp,
) {
    let before = Utc::now();
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let after = Utc::now();
    assert_eq!(res.status, 200, "{res}");
    assert_no_secrets(&res, &[ADMIN_PASSWORD]);
    let token = res.body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {res}"))
        .to_string();
    assert!(token.len() >= 32, "a 256-bit token is longer: {token:?}");
    let expires_at = ts(&res.body["expires_at"]);
    let twelve_hours = chrono::Duration::hours(12);
    let slack = chrono::Duration::minutes(2);
    assert!(
        expires_at >= before + twelve_hours - slack && expires_at <= after + twelve_hours + slack,
        "expires_at {expires_at} should be 12 h after {before}"
    );
    let user = &res.body["user"];
    assert_eq!(user["id"], app.admin_id.as_str(), "{res}");
    assert_eq!(user["email"], ADMIN_EMAIL, "{res}");
    assert_eq!(user["role"], "admin", "{res}");
    assert_eq!(user["active"], true, "{res}");

    // The cookie: HttpOnly, SameSite=Lax, Path=/.
    let set_cookie = session_set_cookie(&res.headers)
        .unwrap_or_else(|| panic!("no Set-Cookie for {COOKIE_NAME}: {:?}", res.headers));
    let value = cookie_value(&set_cookie);
    assert!(!value.is_empty(), "empty session cookie: {set_cookie}");
    assert!(
        cookie_attribute(&set_cookie, "httponly").is_some(),
        "cookie not HttpOnly: {set_cookie}"
    );
    assert!(
        cookie_attribute(&set_cookie, "samesite")
            .flatten()
            .is_some_and(|v| v.eq_ignore_ascii_case("lax")),
        "cookie not SameSite=Lax: {set_cookie}"
    );
    assert_eq!(
        cookie_attribute(&set_cookie, "path"),
        Some(Some("/".to_string())),
        "cookie Path should be /: {set_cookie}"
    );

    // Either credential alone is enough.
    let me = with_cookie(app, Method::GET, ME, &value, None)
        .await
        .expect(200);
    assert_eq!(me["id"], app.admin_id.as_str(), "{me}");
    with_cookie(app, Method::GET, ACCOUNTS, &value, None)
        .await
        .expect(200);
    let me = me_as(app, &token).await.expect(200);
    assert_eq!(me["id"], app.admin_id.as_str(), "{me}");

    // Each sign-in is a session of its own.
    let second = sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_ne!(second, token, "two sign-ins gave the same token");
}
both_backends!(signing_in_answers_a_token_a_12_hour_expiry_the_user_and_a_session_cookie);

async fn a_wrong_password_and_an_unknown_email_get_the_same_401(app: &mut TestApp) {
    let wrong = app.login(ADMIN_EMAIL, "not-the-admin-password").await;
    wrong.assert_error(401, "unauthorized", &[]);
    assert_no_secrets(&wrong, &["not-the-admin-password"]);
    let unknown = app.login("nobody@example.com", ADMIN_PASSWORD).await;
    unknown.assert_error(401, "unauthorized", &[]);
    assert_eq!(
        message(&wrong),
        message(&unknown),
        "a wrong password and an unknown email must read the same"
    );
    // The built-in system user cannot sign in.
    app.login(SYSTEM_EMAIL, "any-password-at-all")
        .await
        .assert_error(401, "unauthorized", &[]);
    app.login(SYSTEM_EMAIL, "")
        .await
        .assert_error(401, "unauthorized", &[]);
    // The failures did not break the right password.
    sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
}
both_backends!(a_wrong_password_and_an_unknown_email_get_the_same_401);

#[track_caller]
fn assert_cookie_cleared(res: &Res) {
    let set_cookie = session_set_cookie(&res.headers).unwrap_or_else(|| {
        panic!(
            "signing out should clear {COOKIE_NAME} with a Set-Cookie: {res} {:?}",
            res.headers
        )
    });
    let max_age_zero = cookie_attribute(&set_cookie, "max-age")
        .flatten()
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|v| v <= 0);
    let expired = cookie_attribute(&set_cookie, "expires")
        .flatten()
        .and_then(|v| DateTime::parse_from_rfc2822(&v).ok())
        .is_some_and(|t| t.with_timezone(&Utc) < Utc::now());
    assert!(
        max_age_zero || expired,
        "the cookie is not cleared (Max-Age=0 or Expires in the past): {set_cookie}"
    );
}

async fn signing_out_ends_the_session_and_clears_the_cookie(app: &mut TestApp) {
    // With the bearer token.
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{res}");
    let token = res.body["token"].as_str().unwrap().to_string();
    let cookie = cookie_value(&session_set_cookie(&res.headers).expect("session cookie"));
    let out = app
        .request_as(Some(&token), Method::DELETE, SESSION, None)
        .await;
    assert_eq!(out.status, 204, "{out}");
    assert_cookie_cleared(&out);
    me_as(app, &token)
        .await
        .assert_error(401, "unauthorized", &[]);
    with_cookie(app, Method::GET, ME, &cookie, None)
        .await
        .assert_error(401, "unauthorized", &[]);
    // Signing out twice: the token is already gone.
    app.request_as(Some(&token), Method::DELETE, SESSION, None)
        .await
        .assert_error(401, "unauthorized", &[]);

    // With the cookie only.
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{res}");
    let token = res.body["token"].as_str().unwrap().to_string();
    let cookie = cookie_value(&session_set_cookie(&res.headers).expect("session cookie"));
    let out = with_cookie(app, Method::DELETE, SESSION, &cookie, None).await;
    assert_eq!(out.status, 204, "{out}");
    assert_cookie_cleared(&out);
    with_cookie(app, Method::GET, ME, &cookie, None)
        .await
        .assert_error(401, "unauthorized", &[]);
    me_as(app, &token)
        .await
        .assert_error(401, "unauthorized", &[]);

    // The admin's own session is untouched.
    app.get(ME).await.expect(200);
}
both_backends!(signing_out_ends_the_session_and_clears_the_cookie);

async fn the_database_keeps_only_a_hash_of_tokens_and_an_argon2id_hash_of_passwords(
    app: &mut TestApp,
) {
    let token = sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let store = app.store().await;
    let stored: Vec<TokenHash> = store
        .fetch_all(&Sql::new("SELECT token_hash FROM sessions"))
        .await
        .unwrap();
    assert!(!stored.is_empty(), "no sessions stored");
    assert!(
        stored.iter().all(|s| !s.token_hash.contains(&token)),
        "a token is stored as it is"
    );
    let digest = Sha256::digest(token.as_bytes());
    let mut forms = base64_forms(&digest);
    forms.push(hex(&digest));
    assert!(
        stored
            .iter()
            .any(|s| forms.iter().any(|f| s.token_hash.eq_ignore_ascii_case(f))),
        "no stored token_hash is the SHA-256 of the token (hex or Base64)"
    );

    let hashes: Vec<PasswordHash> = store
        .fetch_all(&Sql::new(format!(
            "SELECT password_hash FROM users WHERE email = '{ADMIN_EMAIL}'"
        )))
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    let hash = hashes[0]
        .password_hash
        .clone()
        .expect("admin has a password");
    assert!(
        hash.starts_with("$argon2id$"),
        "password not hashed with Argon2id: {hash}"
    );
    assert!(
        !hash.contains(ADMIN_PASSWORD),
        "password stored in the clear"
    );
    store.close().await;
}
both_backends!(the_database_keeps_only_a_hash_of_tokens_and_an_argon2id_hash_of_passwords);

// ---- throttling -------------------------------------------------------------

async fn repeated_failed_sign_ins_slow_down_then_lock_the_email_until_lifted(app: &mut TestApp) {
    let (_, email, password) = app.new_user("rep").await;
    let wrong = "wrong-password-0";

    // Four failures, then a success: the count starts again.
    for _ in 0..4 {
        app.login(&email, wrong)
            .await
            .assert_error(401, "unauthorized", &[]);
    }
    sign_in(app, &email, &password).await;

    // Ten failures in a row: the 6th to the 10th are answered after a pause.
    for attempt in 1..=10 {
        let started = Instant::now();
        let res = app.login(&email, wrong).await;
        let took = started.elapsed();
        res.assert_error(401, "unauthorized", &[]);
        if attempt >= 6 {
            assert!(
                took >= Duration::from_millis(900),
                "failed attempt {attempt} answered after {took:?}, expected a one-second pause"
            );
        }
    }

    // Locked now, even with the right password.
    let locked = app.login(&email, &password).await;
    locked.assert_error(429, "too_many_attempts", &[]);
    assert!(
        message(&locked).chars().any(|c| c.is_ascii_digit()),
        "the message should say until when: {locked}"
    );
    let retry_after = locked
        .headers
        .get(RETRY_AFTER)
        .unwrap_or_else(|| panic!("429 without Retry-After: {locked} {:?}", locked.headers))
        .to_str()
        .expect("Retry-After is ASCII")
        .to_string();
    match retry_after.trim().parse::<i64>() {
        Ok(seconds) => assert!(
            (800..=901).contains(&seconds),
            "Retry-After {seconds} s, expected about 15 minutes"
        ),
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(&retry_after)
                .unwrap_or_else(|e| panic!("Retry-After {retry_after:?}: {e}"))
                .with_timezone(&Utc);
            let left = at - Utc::now();
            assert!(
                left > chrono::Duration::minutes(13) && left <= chrono::Duration::minutes(16),
                "Retry-After {retry_after}, expected about 15 minutes ahead"
            );
        }
    }
    assert_no_secrets(&locked, &[&password]);
    app.login(&email, wrong)
        .await
        .assert_error(429, "too_many_attempts", &[]);

    // Another email is unaffected.
    sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Lifting the lock: the right password works again and starts the count
    // afresh.
    execute(app, "DELETE FROM login_throttle").await;
    let token = sign_in(app, &email, &password).await;
    me_as(app, &token).await.expect(200);
    app.login(&email, wrong)
        .await
        .assert_error(401, "unauthorized", &[]);
    sign_in(app, &email, &password).await;
}
both_backends!(repeated_failed_sign_ins_slow_down_then_lock_the_email_until_lifted);

// ---- /me ----------------------------------------------------------------------

async fn me_answers_the_signed_in_user_and_changes_only_name_title_and_phone(app: &mut TestApp) {
    let admin = app.get(ME).await;
    assert_eq!(admin.status, 200, "{admin}");
    assert_no_secrets(&admin, &[ADMIN_PASSWORD]);
    assert_eq!(admin.body["id"], app.admin_id.as_str());
    assert_eq!(admin.body["email"], ADMIN_EMAIL);
    assert_eq!(admin.body["role"], "admin");

    let (id, email, password) = app.new_user("rep").await;
    let token = sign_in(app, &email, &password).await;
    let me = me_as(app, &token).await;
    assert_no_secrets(&me, &[&password]);
    let me = me.expect(200);
    assert_eq!(me["id"], id.as_str(), "{me}");
    assert_eq!(me["email"], email.as_str(), "{me}");
    assert_eq!(me["role"], "rep", "{me}");
    assert_eq!(me["active"], true, "{me}");
    let v = me["version"].as_i64().expect("a version");

    let patched = app
        .request_as(
            Some(&token),
            Method::PATCH,
            ME,
            Some(&json!({
                "version": v,
                "name": "Rita Rep",
                "title": "Account Executive",
                "phone": "+49 30 1234567",
            })),
        )
        .await
        .expect(200);
    assert_eq!(patched["name"], "Rita Rep", "{patched}");
    assert_eq!(patched["title"], "Account Executive", "{patched}");
    assert_eq!(patched["phone"], "+49 30 1234567", "{patched}");
    assert_eq!(patched["version"], v + 1, "{patched}");
    assert_eq!(patched["role"], "rep", "{patched}");
    let seen_by_admin = user(app, &id).await;
    assert_eq!(seen_by_admin["name"], "Rita Rep");
    assert_eq!(seen_by_admin["version"], v + 1);

    // Role, email and active are not yours to change.
    for (field, value) in [
        ("role", json!("admin")),
        ("email", json!("rita.elsewhere@example.com")),
        ("active", json!(false)),
        ("password", json!("sneaky-password-1")),
    ] {
        let res = app
            .request_as(
                Some(&token),
                Method::PATCH,
                ME,
                Some(&json!({ "version": v + 1, field: value })),
            )
            .await;
        res.assert_error(422, "validation_failed", &[field]);
    }
    let me = me_as(app, &token).await.expect(200);
    assert_eq!(me["version"], v + 1, "a refused PATCH wrote: {me}");
    assert_eq!(me["role"], "rep", "{me}");
    assert_eq!(me["email"], email.as_str(), "{me}");
    assert_eq!(me["active"], true, "{me}");

    // The version is checked.
    let stale = app
        .request_as(
            Some(&token),
            Method::PATCH,
            ME,
            Some(&json!({ "version": v, "name": "Stale" })),
        )
        .await;
    stale.assert_error(409, "conflict", &[]);
    assert_eq!(stale.body["error"]["current_version"], v + 1, "{stale}");

    // null clears.
    let cleared = app
        .request_as(
            Some(&token),
            Method::PATCH,
            ME,
            Some(&json!({ "version": v + 1, "title": null })),
        )
        .await
        .expect(200);
    assert!(cleared["title"].is_null(), "{cleared}");
    assert_eq!(cleared["name"], "Rita Rep", "{cleared}");
    assert_eq!(cleared["version"], v + 2, "{cleared}");
}
both_backends!(me_answers_the_signed_in_user_and_changes_only_name_title_and_phone);

async fn changing_your_password_ends_your_other_sessions(app: &mut TestApp) {
    let (_, email, old) = app.new_user("rep").await;
    let new = "brand-new-password-7";
    let current = sign_in(app, &email, &old).await;
    let other = sign_in(app, &email, &old).await;

    // A wrong old password changes nothing.
    let res = app
        .request_as(
            Some(&current),
            Method::PUT,
            ME_PASSWORD,
            Some(&json!({ "old_password": "not-my-old-password", "new_password": new })),
        )
        .await;
    assert!(
        (400..500).contains(&res.status),
        "a wrong old password must be refused: {res}"
    );
    assert_no_secrets(&res, &[new, &old]);
    app.login(&email, new)
        .await
        .assert_error(401, "unauthorized", &[]);
    let third = sign_in(app, &email, &old).await;

    // The new password is checked: 10 to 128 characters.
    for too_bad in ["short-pw1".to_string(), "x".repeat(129)] {
        app.request_as(
            Some(&current),
            Method::PUT,
            ME_PASSWORD,
            Some(&json!({ "old_password": old, "new_password": too_bad })),
        )
        .await
        .assert_error(422, "validation_failed", &["new_password"]);
    }
    sign_in(app, &email, &old).await;

    // The change.
    let res = app
        .request_as(
            Some(&current),
            Method::PUT,
            ME_PASSWORD,
            Some(&json!({ "old_password": old, "new_password": new })),
        )
        .await;
    assert_eq!(res.status, 204, "{res}");
    app.login(&email, &old)
        .await
        .assert_error(401, "unauthorized", &[]);
    let after = sign_in(app, &email, new).await;
    me_as(app, &after).await.expect(200);
    me_as(app, &current).await.expect(200);
    me_as(app, &other)
        .await
        .assert_error(401, "unauthorized", &[]);
    me_as(app, &third)
        .await
        .assert_error(401, "unauthorized", &[]);
    // Someone else's session is untouched.
    app.get(ME).await.expect(200);
}
both_backends!(changing_your_password_ends_your_other_sessions);

// ---- /users -------------------------------------------------------------------

async fn only_admins_may_manage_users(app: &mut TestApp) {
    let (target, _, _) = app.new_user("rep").await;
    let target_before = user(app, &target).await;
    for role in ["rep", "manager", "marketing", "legal"] {
        let (id, email, password) = app.new_user(role).await;
        let token = sign_in(app, &email, &password).await;
        let me = me_as(app, &token).await.expect(200);
        assert_eq!(me["role"], role, "{me}");
        let version = me["version"].clone();
        let sneaky_email = format!("made-by-{role}@example.com");
        for (method, path, body) in [
            (Method::GET, USERS.to_string(), None),
            (Method::GET, format!("{USERS}?role=admin"), None),
            (Method::GET, format!("{USERS}/{target}"), None),
            (
                Method::POST,
                USERS.to_string(),
                Some(json!({
                    "email": sneaky_email,
                    "name": "Sneaky",
                    "role": "admin",
                    "password": "sneaky-password-1",
                })),
            ),
            (
                Method::PATCH,
                format!("{USERS}/{target}"),
                Some(json!({ "version": 1, "name": "Renamed", "active": false })),
            ),
            (
                Method::PATCH,
                format!("{USERS}/{id}"),
                Some(json!({ "version": version, "role": "admin" })),
            ),
            (
                Method::POST,
                format!("{USERS}/{target}/reassign"),
                Some(json!({ "to_user_id": id })),
            ),
        ] {
            app.request_as(Some(&token), method, &path, body.as_ref())
                .await
                .assert_error(403, "forbidden", &[]);
        }
        assert!(
            !app.list_all(USERS)
                .await
                .iter()
                .any(|u| u["email"] == sneaky_email.as_str()),
            "a {role} created a user"
        );
        let after = user(app, &id).await;
        assert_eq!(after["role"], role, "a {role} promoted themself: {after}");
        assert_eq!(after["version"], version, "{after}");
    }
    let target_after = user(app, &target).await;
    assert_eq!(target_after["version"], target_before["version"]);
    assert_eq!(target_after["name"], target_before["name"]);
    assert_eq!(target_after["active"], true);
}
both_backends!(only_admins_may_manage_users);

async fn an_admin_creates_reads_and_changes_users(app: &mut TestApp) {
    let res = app
        .post_json(
            USERS,
            &json!({
                "email": "Nora.Neu@Example.COM",
                "name": "Nora Neu",
                "role": "manager",
                "password": "nora-password-1",
                "title": "Head of Sales",
                "phone": "+43 1 234 5678",
            }),
        )
        .await;
    assert_eq!(res.status, 201, "{res}");
    assert_no_secrets(&res, &["nora-password-1"]);
    let created = res.body.clone();
    assert_record_basics(&created, 1);
    assert_eq!(
        created["email"], "nora.neu@example.com",
        "stored lower-case"
    );
    assert_eq!(created["name"], "Nora Neu");
    assert_eq!(created["role"], "manager");
    assert_eq!(created["active"], true);
    assert_eq!(created["title"], "Head of Sales");
    assert_eq!(created["phone"], "+43 1 234 5678");
    let id = id_of(&created);
    app.assert_location_leads_to(&res, &id).await;

    // The new user can sign in.
    let token = sign_in(app, "nora.neu@example.com", "nora-password-1").await;
    assert_eq!(me_as(app, &token).await.expect(200)["id"], id.as_str());

    // The email is unique, whatever its case.
    let before = app.snapshot(USERS).await;
    app.post_json(
        USERS,
        &json!({
            "email": "NORA.NEU@example.com",
            "name": "Nora Again",
            "role": "rep",
            "password": "other-password-1",
        }),
    )
    .await
    .assert_error(409, "conflict", &[]);
    assert_eq!(app.snapshot(USERS).await, before, "a refused create wrote");

    // Read.
    let read = user(app, &id).await;
    assert_no_secrets(
        &app.get(&format!("{USERS}/{id}")).await,
        &["nora-password-1"],
    );
    for field in [
        "email", "name", "role", "active", "title", "phone", "version",
    ] {
        assert_eq!(read[field], created[field], "GET vs POST `{field}`");
    }
    app.get(&format!("{USERS}/{}", new_id()))
        .await
        .assert_error(404, "not_found", &[]);

    // PATCH role, version checked.
    let patched = app
        .patch_json(
            &format!("{USERS}/{id}"),
            &json!({ "version": 1, "role": "legal" }),
        )
        .await
        .expect(200);
    assert_eq!(patched["role"], "legal", "{patched}");
    assert_eq!(patched["version"], 2, "{patched}");
    assert_eq!(patched["name"], "Nora Neu", "{patched}");
    let stale = app
        .patch_json(
            &format!("{USERS}/{id}"),
            &json!({ "version": 1, "role": "rep" }),
        )
        .await;
    stale.assert_error(409, "conflict", &[]);
    assert_eq!(stale.body["error"]["current_version"], 2, "{stale}");
    assert_eq!(user(app, &id).await["role"], "legal");
    assert_eq!(me_as(app, &token).await.expect(200)["role"], "legal");

    // An admin may change name, title and phone too.
    let patched = app
        .patch_json(
            &format!("{USERS}/{id}"),
            &json!({ "version": 2, "name": "Nora Neumann", "title": null, "phone": "+43 1 999" }),
        )
        .await
        .expect(200);
    assert_eq!(patched["name"], "Nora Neumann");
    assert!(patched["title"].is_null(), "{patched}");
    assert_eq!(patched["phone"], "+43 1 999");
    assert_eq!(patched["version"], 3);

    // No delete.
    app.delete(&format!("{USERS}/{id}"))
        .await
        .assert_error(405, "method_not_allowed", &[]);
    assert_eq!(user(app, &id).await["version"], 3);
}
both_backends!(an_admin_creates_reads_and_changes_users);

async fn the_users_list_filters_by_role_active_and_text(app: &mut TestApp) {
    let mut made = Vec::new();
    for (email, name, role) in [
        ("zoe@example.com", "Zoë Ångström", "rep"),
        ("raf@example.com", "Rafael Rep", "rep"),
        ("mia@example.com", "Mia Manager", "manager"),
        ("lea@example.com", "Lea Legal", "legal"),
    ] {
        let created = app
            .create(
                USERS,
                json!({ "email": email, "name": name, "role": role, "password": "list-password-1" }),
            )
            .await;
        made.push(id_of(&created));
    }
    let (zoe, raf, mia, lea) = (&made[0], &made[1], &made[2], &made[3]);
    patch_user(app, raf, json!({ "active": false })).await;

    let listed = app.list_all(USERS).await;
    for id in &made {
        assert!(
            listed.iter().any(|u| u["id"] == id.as_str()),
            "{id} not listed"
        );
    }
    assert!(
        listed.iter().all(|u| secret_keys(u).is_empty()),
        "list items carry passwords or hashes"
    );

    let reps = app.list_all(&format!("{USERS}?role=rep")).await;
    assert!(reps.iter().all(|u| u["role"] == "rep"), "{reps:?}");
    let rep_ids: Vec<&str> = reps.iter().filter_map(|u| u["id"].as_str()).collect();
    assert!(rep_ids.contains(&zoe.as_str()) && rep_ids.contains(&raf.as_str()));
    assert!(!rep_ids.contains(&mia.as_str()) && !rep_ids.contains(&lea.as_str()));

    let managers = app.list_ids(&format!("{USERS}?role=manager")).await;
    assert_eq!(managers, vec![mia.clone()]);

    let inactive = app.list_all(&format!("{USERS}?active=false")).await;
    assert!(
        inactive.iter().all(|u| u["active"] == false),
        "{inactive:?}"
    );
    assert_eq!(
        inactive.iter().map(id_of).collect::<Vec<_>>(),
        vec![raf.clone()]
    );
    let active = app.list_all(&format!("{USERS}?active=true")).await;
    assert!(active.iter().all(|u| u["active"] == true), "{active:?}");
    assert!(active.iter().any(|u| u["id"] == zoe.as_str()));
    assert!(!active.iter().any(|u| u["id"] == raf.as_str()));

    let active_reps = app.list_ids(&format!("{USERS}?role=rep&active=true")).await;
    assert_eq!(active_reps, vec![zoe.clone()]);

    // `q` folds case and accents.
    assert_eq!(
        app.list_ids(&format!("{USERS}?q=angstrom")).await,
        vec![zoe.clone()]
    );
    assert_eq!(
        app.list_ids(&format!("{USERS}?q=LEA")).await,
        vec![lea.clone()]
    );

    app.get(&format!("{USERS}?role=boss"))
        .await
        .assert_error(400, "bad_request", &["role"]);
    app.get(&format!("{USERS}?active=maybe"))
        .await
        .assert_error(400, "bad_request", &["active"]);
}
both_backends!(the_users_list_filters_by_role_active_and_text);

async fn users_are_validated_and_a_refused_one_writes_nothing(app: &mut TestApp) {
    let valid = json!({
        "email": "valid@example.com",
        "name": "Val Id",
        "role": "rep",
        "password": "valid-password-1",
    });
    let before = app.snapshot(USERS).await;
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    for (body, field) in [
        (with("role", json!("boss")), "role"),
        (with("role", json!("system")), "role"),
        (with("password", json!("nine-char")), "password"),
        (with("password", json!("p".repeat(129))), "password"),
        (without("password"), "password"),
        (with("email", json!("not-an-email")), "email"),
        (without("email"), "email"),
    ] {
        let res = app.post_json(USERS, &body).await;
        res.assert_error(422, "validation_failed", &[field]);
        assert_no_secrets(&res, &["valid-password-1", "nine-char"]);
    }
    assert_eq!(app.snapshot(USERS).await, before, "a refused create wrote");

    // 10 and 128 characters are both fine.
    for (email, password) in [
        ("ten@example.com", "0123456789".to_string()),
        ("long@example.com", "L".repeat(128)),
    ] {
        let mut body = with("email", json!(email));
        body["password"] = json!(password);
        app.create(USERS, body).await;
        sign_in(app, email, &password).await;
    }

    // PATCH checks the role too, and changes only role, active, name,
    // title and phone.
    let (id, email, password) = app.new_user("rep").await;
    let before = user(app, &id).await;
    let version = before["version"].clone();
    for (field, value) in [
        ("role", json!("boss")),
        ("active", json!("yes")),
        ("email", json!("renamed@example.com")),
        ("password", json!("replaced-password-1")),
    ] {
        let res = app
            .patch_json(
                &format!("{USERS}/{id}"),
                &json!({ "version": version, field: value }),
            )
            .await;
        res.assert_error(422, "validation_failed", &[field]);
        assert_no_secrets(&res, &["replaced-password-1"]);
    }
    let after = user(app, &id).await;
    assert_eq!(after["version"], version, "a refused PATCH wrote: {after}");
    assert_eq!(after["role"], "rep");
    assert_eq!(after["email"], email.as_str());
    sign_in(app, &email, &password).await;
}
both_backends!(users_are_validated_and_a_refused_one_writes_nothing);

async fn deactivating_a_user_ends_their_sessions_and_sign_in(app: &mut TestApp) {
    let (id, email, password) = app.new_user("rep").await;
    let token = sign_in(app, &email, &password).await;
    me_as(app, &token).await.expect(200);
    let wrong = app.login(&email, "wrong-password-1").await;
    wrong.assert_error(401, "unauthorized", &[]);

    let off = patch_user(app, &id, json!({ "active": false })).await;
    assert_eq!(off["active"], false, "{off}");
    me_as(app, &token)
        .await
        .assert_error(401, "unauthorized", &[]);
    app.request_as(Some(&token), Method::GET, ACCOUNTS, None)
        .await
        .assert_error(401, "unauthorized", &[]);
    let refused = app.login(&email, &password).await;
    refused.assert_error(401, "unauthorized", &[]);
    assert_eq!(
        message(&refused),
        message(&wrong),
        "a deactivated user's sign-in must read like a wrong password"
    );

    // Active again: they can sign in, but the ended session stays ended.
    patch_user(app, &id, json!({ "active": true })).await;
    let again = sign_in(app, &email, &password).await;
    me_as(app, &again).await.expect(200);
    me_as(app, &token)
        .await
        .assert_error(401, "unauthorized", &[]);
}
both_backends!(deactivating_a_user_ends_their_sessions_and_sign_in);

// ---- reassign -----------------------------------------------------------------

async fn reassign_moves_every_account_contact_and_deal_to_another_active_user(app: &mut TestApp) {
    let (rep, _, _) = app.new_user("rep").await;
    let (other, _, _) = app.new_user("rep").await;
    let (gone, _, _) = app.new_user("rep").await;
    let gone_account = id_of(
        &app.create(
            ACCOUNTS,
            json!({ "name": "Leaver's Account", "owner_id": gone }),
        )
        .await,
    );
    patch_user(app, &gone, json!({ "active": false })).await;

    let account = id_of(
        &app.create(
            ACCOUNTS,
            json!({ "name": "Rep's Account", "owner_id": rep }),
        )
        .await,
    );
    let contact = id_of(
        &app.create(
            CONTACTS,
            json!({ "first_name": "Carla", "last_name": "Contact", "account_id": account, "owner_id": rep }),
        )
        .await,
    );
    let mut deals = Vec::new();
    for name in ["First Deal", "Second Deal"] {
        deals.push(id_of(
            &app.create(
                DEALS,
                json!({ "name": name, "account_id": account, "owner_id": rep }),
            )
            .await,
        ));
    }
    // Records of someone else are not moved.
    let unrelated = id_of(
        &app.create(ACCOUNTS, json!({ "name": "Admin's Account" }))
            .await,
    );
    let unrelated_deal = id_of(
        &app.create(
            DEALS,
            json!({ "name": "Admin's Deal", "account_id": account, "owner_id": app.admin_id }),
        )
        .await,
    );

    let mut owned = vec![
        format!("{ACCOUNTS}/{account}"),
        format!("{CONTACTS}/{contact}"),
    ];
    owned.extend(deals.iter().map(|d| format!("{DEALS}/{d}")));
    let reassign = format!("{USERS}/{rep}/reassign");

    // Refused: a deactivated, an unknown or no target; nothing moves.
    for body in [
        json!({ "to_user_id": gone }),
        json!({ "to_user_id": new_id() }),
        json!({}),
    ] {
        app.post_json(&reassign, &body).await.assert_error(
            422,
            "validation_failed",
            &["to_user_id"],
        );
    }
    for path in &owned {
        let record = app.fetch(path).await;
        assert_eq!(record["owner_id"], rep.as_str(), "{path}: {record}");
        assert_eq!(record["version"], 1, "a refused reassign wrote {path}");
    }

    let moved = app
        .post_json(&reassign, &json!({ "to_user_id": other }))
        .await
        .expect(200);
    assert_eq!(moved["accounts"], 1, "{moved}");
    assert_eq!(moved["contacts"], 1, "{moved}");
    assert_eq!(moved["deals"], 2, "{moved}");
    for path in &owned {
        let record = app.fetch(path).await;
        assert_eq!(record["owner_id"], other.as_str(), "{path}: {record}");
        assert!(
            record["version"].as_i64().is_some_and(|v| v > 1),
            "{path}: version not increased: {record}"
        );
    }
    for path in [
        format!("{ACCOUNTS}/{unrelated}"),
        format!("{DEALS}/{unrelated_deal}"),
    ] {
        let record = app.fetch(&path).await;
        assert_eq!(
            record["owner_id"],
            app.admin_id.as_str(),
            "{path}: {record}"
        );
        assert_eq!(record["version"], 1, "{path}: {record}");
    }
    for collection in [ACCOUNTS, CONTACTS, DEALS] {
        assert!(
            app.list_ids(&format!("{collection}?owner_id={rep}"))
                .await
                .is_empty(),
            "{collection} still lists records owned by the rep"
        );
    }

    // Nothing left to move.
    let again = app
        .post_json(&reassign, &json!({ "to_user_id": other }))
        .await
        .expect(200);
    assert_eq!(again["accounts"], 0, "{again}");
    assert_eq!(again["contacts"], 0, "{again}");
    assert_eq!(again["deals"], 0, "{again}");

    // A deactivated user's records can be handed over too.
    let moved = app
        .post_json(
            &format!("{USERS}/{gone}/reassign"),
            &json!({ "to_user_id": other }),
        )
        .await
        .expect(200);
    assert_eq!(moved["accounts"], 1, "{moved}");
    assert_eq!(moved["contacts"], 0, "{moved}");
    assert_eq!(moved["deals"], 0, "{moved}");
    let record = app.fetch(&format!("{ACCOUNTS}/{gone_account}")).await;
    assert_eq!(record["owner_id"], other.as_str(), "{record}");
}
both_backends!(reassign_moves_every_account_contact_and_deal_to_another_active_user);
