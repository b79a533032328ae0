//! Bad input on every endpoint (table-driven), requests that must never be
//! a 500, unknown routes and methods, health and the OpenAPI document.

mod common;

use common::{TestApp, both_backends, id_of, new_id};
use reqwest::Method;
use serde_json::{Value, json};

const ACCOUNTS: &str = "/api/v1/accounts";
const CONTACTS: &str = "/api/v1/contacts";
const DEALS: &str = "/api/v1/deals";
const ACTIVITIES: &str = "/api/v1/activities";
const QUESTIONS: &str = "/api/v1/profile-questions";

/// One collection's bad-input material.
struct Endpoint {
    collection: &'static str,
    /// A valid create body.
    base: Value,
    /// `(partial body, field, post_only)`: merged into the create body (or
    /// into `{"version": …}` for PATCH) it must give 422 naming `field`.
    invalid: Vec<(Value, &'static str, bool)>,
}

fn merged(base: &Value, partial: &Value) -> Value {
    let mut out = base.clone();
    for (k, v) in partial.as_object().unwrap() {
        out[k] = v.clone();
    }
    out
}

async fn endpoints(app: &TestApp) -> Vec<Endpoint> {
    let account = app.new_account("Support Holding").await;
    vec![
        Endpoint {
            collection: ACCOUNTS,
            base: json!({ "name": "Bad Input Co" }),
            invalid: vec![
                (json!({ "name": 123 }), "name", false),
                (json!({ "employee_count": "many" }), "employee_count", false),
                (json!({ "credit_status": "great" }), "credit_status", false),
                (json!({ "owner_id": "not-a-uuid" }), "owner_id", false),
                (json!({ "id": "123" }), "id", true),
                (json!({ "nmae": "typo" }), "nmae", false),
            ],
        },
        Endpoint {
            collection: CONTACTS,
            base: json!({ "last_name": "Bad Input" }),
            invalid: vec![
                (json!({ "first_name": ["x"] }), "first_name", false),
                (json!({ "email": 42 }), "email", false),
                (json!({ "email": "not-an-email" }), "email", false),
                (json!({ "account_id": "not-a-uuid" }), "account_id", false),
                (json!({ "id": "123" }), "id", true),
                (json!({ "surname": "typo" }), "surname", false),
            ],
        },
        Endpoint {
            collection: DEALS,
            base: json!({ "name": "Bad Input Deal", "account_id": account }),
            invalid: vec![
                (json!({ "probability": "high" }), "probability", false),
                (json!({ "name": {} }), "name", false),
                (json!({ "stage": "closed" }), "stage", false),
                (json!({ "account_id": "nope" }), "account_id", false),
                (
                    json!({ "primary_contact_id": "1234" }),
                    "primary_contact_id",
                    false,
                ),
                (json!({ "id": "123" }), "id", true),
                (json!({ "colour": "red" }), "colour", false),
            ],
        },
        Endpoint {
            collection: ACTIVITIES,
            base: json!({ "kind": "note", "subject": "Bad input", "account_id": account }),
            invalid: vec![
                (json!({ "subject": 5 }), "subject", false),
                (
                    json!({ "occurred_at": 1_700_000_000 }),
                    "occurred_at",
                    false,
                ),
                (json!({ "kind": "fax" }), "kind", false),
                (json!({ "deal_id": "nope" }), "deal_id", false),
                (json!({ "id": "123" }), "id", true),
                (json!({ "topic": "typo" }), "topic", false),
            ],
        },
        Endpoint {
            collection: QUESTIONS,
            base: json!({ "key": "bad_input_q", "label": "Bad", "kind": "text", "applies_to": "account" }),
            invalid: vec![
                (json!({ "active": "yes" }), "active", false),
                (json!({ "position": "first" }), "position", false),
                (json!({ "kind": "slider" }), "kind", true),
                (json!({ "applies_to": "product" }), "applies_to", true),
                (json!({ "id": "nope" }), "id", true),
                (json!({ "lable": "typo" }), "lable", false),
            ],
        },
    ]
}

/// A raw request and what it must answer.
struct Case {
    what: String,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    fields: Vec<&'static str>,
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// A JSON object over 1 MiB.
fn huge(base: &Value) -> Vec<u8> {
    let mut body = base.clone();
    body["padding_over_one_mib"] = json!("x".repeat(1024 * 1024 + 100));
    json_bytes(&body)
}

fn cases_for(endpoint: &Endpoint, item_path: &str, version: i64) -> Vec<Case> {
    let c = endpoint.collection;
    let json_ct = Some("application/json");
    let mut cases = Vec::new();
    let patch_base = json!({ "version": version });
    for (method, path, base) in [
        (Method::POST, c.to_string(), &endpoint.base),
        (Method::PATCH, item_path.to_string(), &patch_base),
    ] {
        let m = method.as_str();
        for malformed in ["{\"name\": \"x\",", "not json", "", "{'name': 'x'}"] {
            cases.push(Case {
                what: format!("{m} malformed JSON {malformed:?}"),
                method: method.clone(),
                path: path.clone(),
                content_type: json_ct,
                body: malformed.as_bytes().to_vec(),
                status: 400,
                code: "bad_request",
                fields: vec!["body"],
            });
        }
        for (partial, field, post_only) in &endpoint.invalid {
            if *post_only && method == Method::PATCH {
                continue;
            }
            cases.push(Case {
                what: format!("{m} invalid {partial}"),
                method: method.clone(),
                path: path.clone(),
                content_type: json_ct,
                body: json_bytes(&merged(base, partial)),
                status: 422,
                code: "validation_failed",
                fields: vec![field],
            });
        }
        cases.push(Case {
            what: format!("{m} body over 1 MiB"),
            method: method.clone(),
            path: path.clone(),
            content_type: json_ct,
            body: huge(base),
            status: 413,
            code: "payload_too_large",
            fields: vec![],
        });
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            cases.push(Case {
                what: format!("{m} with content type {ct:?}"),
                method: method.clone(),
                path: path.clone(),
                content_type: ct,
                body: json_bytes(base),
                status: 415,
                code: "unsupported_media_type",
                fields: vec![],
            });
        }
    }
    // PATCH without a version.
    cases.push(Case {
        what: "PATCH without version".into(),
        method: Method::PATCH,
        path: item_path.to_string(),
        content_type: json_ct,
        body: json_bytes(&json!({})),
        status: 422,
        code: "validation_failed",
        fields: vec!["version"],
    });
    cases.push(Case {
        what: "PATCH with a string version".into(),
        method: Method::PATCH,
        path: item_path.to_string(),
        content_type: json_ct,
        body: json_bytes(&json!({ "version": version.to_string() })),
        status: 422,
        code: "validation_failed",
        fields: vec!["version"],
    });
    // Bad UUIDs in the path.
    for bad in ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"] {
        let path = format!("{c}/{bad}");
        for (method, body) in [
            (Method::GET, vec![]),
            (Method::DELETE, vec![]),
            (Method::PATCH, json_bytes(&patch_base)),
        ] {
            cases.push(Case {
                what: format!("{method} bad path id {bad}"),
                method,
                path: path.clone(),
                content_type: json_ct,
                body,
                status: 400,
                code: "bad_request",
                fields: vec!["id"],
            });
        }
    }
    cases
}

async fn bad_input_on_every_endpoint_is_refused_and_writes_nothing(app: &mut TestApp) {
    let endpoints = endpoints(app).await;
    // Every case runs; all failures are reported together.
    let mut failures: Vec<String> = Vec::new();
    let mut count = 0;
    for endpoint in &endpoints {
        let c = endpoint.collection;
        let record = app.create(c, endpoint.base.clone()).await;
        let item_path = format!("{c}/{}", id_of(&record));
        let before = app.snapshot(c).await;
        for case in cases_for(endpoint, &item_path, 1) {
            count += 1;
            let res = app
                .raw(
                    case.method.clone(),
                    &case.path,
                    case.content_type,
                    case.body,
                )
                .await;
            if let Some(problem) = res.error_mismatch(case.status, case.code, &case.fields) {
                failures.push(format!("{c}: {}: {problem}", case.what));
            } else if !res.content_type().starts_with("application/json") {
                failures.push(format!(
                    "{c}: {}: error content type {:?}, not JSON",
                    case.what,
                    res.content_type()
                ));
            }
            if app.snapshot(c).await != before {
                failures.push(format!("{c}: {}: refused but the list changed", case.what));
                panic!("{}", failures.join("\n"));
            }
        }
        let unchanged = app.fetch(&item_path).await;
        if unchanged["version"] != 1 {
            failures.push(format!("{c}: a refused PATCH wrote: {unchanged}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} bad-input cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
both_backends!(bad_input_on_every_endpoint_is_refused_and_writes_nothing);

async fn json_with_a_charset_parameter_is_accepted(app: &mut TestApp) {
    let res = app
        .raw(
            Method::POST,
            ACCOUNTS,
            Some("application/json; charset=utf-8"),
            json_bytes(&json!({ "name": "Charset AG" })),
        )
        .await;
    assert_eq!(res.status, 201, "{res}");
}
both_backends!(json_with_a_charset_parameter_is_accepted);

/// Requests that may be accepted or refused, but never with a server error.
async fn odd_requests_never_cause_a_server_error(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let contact = app.new_contact(&account, "Schmidt").await;
    let deal = app.new_deal(&account, "Deal").await;
    let json_ct = Some("application/json");
    let deep = format!("{{\"name\": {}1{}}}", "[".repeat(5000), "]".repeat(5000));
    let nul_name = json_bytes(&json!({ "name": "nul \u{0000} byte" }));
    let invalid_utf8 = {
        let mut b = b"{\"name\": \"".to_vec();
        b.extend_from_slice(&[0xff, 0xfe, 0xc3]);
        b.extend_from_slice(b"\"}");
        b
    };
    let account_item = format!("{ACCOUNTS}/{account}");
    let deal_item = format!("{DEALS}/{deal}");
    let requests: Vec<(Method, String, Vec<u8>)> = vec![
        (Method::POST, ACCOUNTS.into(), b"[]".to_vec()),
        (Method::POST, ACCOUNTS.into(), b"null".to_vec()),
        (Method::POST, ACCOUNTS.into(), b"\"name\"".to_vec()),
        (Method::POST, ACCOUNTS.into(), b"42".to_vec()),
        (Method::POST, ACCOUNTS.into(), b"{}".to_vec()),
        (Method::POST, ACCOUNTS.into(), deep.into_bytes()),
        (Method::POST, ACCOUNTS.into(), nul_name),
        (Method::POST, ACCOUNTS.into(), invalid_utf8),
        (
            Method::POST,
            ACCOUNTS.into(),
            json_bytes(&json!({ "name": "x".repeat(500_000) })),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            json_bytes(&json!({ "name": "Big", "employee_count": 1e30 })),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            b"{\"name\": \"Big\", \"employee_count\": 99999999999999999999999}".to_vec(),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            json_bytes(&json!({ "name": "Neg", "employee_count": -1 })),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            json_bytes(&json!({ "name": "Frac", "employee_count": 1.5 })),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            json_bytes(&json!({ "name": "Dup", "name ": "dup" })),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            b"{\"name\": \"a\", \"name\": \"b\"}".to_vec(),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            json_bytes(&json!({ "name": "😀 Emoji GmbH \u{202e}" })),
        ),
        (
            Method::POST,
            ACCOUNTS.into(),
            json_bytes(&json!({ "name": "Nil", "id": "00000000-0000-0000-0000-000000000000" })),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(
                &json!({ "name": "Huge", "account_id": account, "amount": "1e999", "currency": "EUR" }),
            ),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(
                &json!({ "name": "Huge", "account_id": account, "amount": "99999999999999999999999999999999999.99", "currency": "EUR" }),
            ),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(
                &json!({ "name": "Neg", "account_id": account, "amount": "-5.00", "currency": "EUR" }),
            ),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(
                &json!({ "name": "Num", "account_id": account, "amount": 12.5, "currency": "EUR" }),
            ),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(&json!({ "name": "P", "account_id": account, "probability": 1e10 })),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(&json!({ "name": "P", "account_id": account, "probability": 50.5 })),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(
                &json!({ "name": "Far", "account_id": account, "expected_close_date": "9999-12-31" }),
            ),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(
                &json!({ "name": "Early", "account_id": account, "expected_close_date": "0001-01-01" }),
            ),
        ),
        (
            Method::POST,
            DEALS.into(),
            json_bytes(
                &json!({ "name": "Neg year", "account_id": account, "expected_close_date": "-0001-01-01" }),
            ),
        ),
        (
            Method::POST,
            ACTIVITIES.into(),
            json_bytes(
                &json!({ "kind": "note", "subject": "Far", "account_id": account, "occurred_at": "9999-12-31T23:59:59Z" }),
            ),
        ),
        (
            Method::POST,
            ACTIVITIES.into(),
            json_bytes(
                &json!({ "kind": "note", "subject": "Offset", "account_id": account, "occurred_at": "2025-03-04T10:00:00+14:00" }),
            ),
        ),
        (
            Method::PATCH,
            account_item.clone(),
            json_bytes(&json!({ "version": -1 })),
        ),
        (
            Method::PATCH,
            account_item.clone(),
            json_bytes(&json!({ "version": 1e20 })),
        ),
        (
            Method::PATCH,
            account_item.clone(),
            json_bytes(&json!({ "version": null })),
        ),
        (
            Method::PATCH,
            account_item.clone(),
            json_bytes(&json!({ "version": 1.5 })),
        ),
        (
            Method::PATCH,
            deal_item.clone(),
            json_bytes(&json!({ "version": 1, "amount": "5.00" })),
        ),
        (
            Method::PUT,
            format!("{account_item}/answers"),
            b"[1, 2]".to_vec(),
        ),
        (
            Method::PUT,
            format!("{account_item}/answers"),
            json_bytes(&json!({ "": 1 })),
        ),
        (
            Method::PUT,
            format!("{account_item}/answers"),
            b"null".to_vec(),
        ),
        (Method::PUT, format!("{deal_item}/contacts"), b"{}".to_vec()),
        (
            Method::PUT,
            format!("{deal_item}/contacts"),
            json_bytes(&json!({ "contacts": "x" })),
        ),
        (
            Method::PUT,
            format!("{deal_item}/contacts"),
            json_bytes(&json!({ "contacts": [{}] })),
        ),
        (
            Method::POST,
            format!("{CONTACTS}/{contact}/relationships"),
            b"{}".to_vec(),
        ),
        (
            Method::POST,
            format!("{CONTACTS}/{}/relationships", new_id()),
            json_bytes(&json!({ "kind": "influences", "to_contact_id": contact })),
        ),
        (
            Method::DELETE,
            format!("{CONTACTS}/{contact}/relationships/not-a-uuid"),
            vec![],
        ),
        (
            Method::DELETE,
            format!("{CONTACTS}/{contact}/relationships/{}", new_id()),
            vec![],
        ),
        (
            Method::GET,
            format!("{ACCOUNTS}?limit=99999999999999999999999"),
            vec![],
        ),
        (Method::GET, format!("{ACCOUNTS}?limit="), vec![]),
        (Method::GET, format!("{ACCOUNTS}?q="), vec![]),
        (
            Method::GET,
            format!("{ACCOUNTS}?q={}", "a".repeat(5000)),
            vec![],
        ),
        (Method::GET, format!("{ACCOUNTS}?cursor="), vec![]),
        (
            Method::GET,
            format!("{ACCOUNTS}?cursor=eyJpZCI6IDF9"),
            vec![],
        ),
        (
            Method::GET,
            format!("{DEALS}?closing_before=99999-01-01"),
            vec![],
        ),
        (
            Method::GET,
            format!("{ACCOUNTS}?updated_since=9999-12-31T23:59:59Z"),
            vec![],
        ),
        (
            Method::GET,
            format!("{ACCOUNTS}?updated_since=0001-01-01T00:00:00Z"),
            vec![],
        ),
        (
            Method::GET,
            format!("{ACCOUNTS}/00000000-0000-0000-0000-000000000000"),
            vec![],
        ),
        (
            Method::GET,
            format!("{ACCOUNTS}/{}", account.to_uppercase()),
            vec![],
        ),
        (
            Method::GET,
            format!("{DEALS}/{deal}/stage-history?limit=0"),
            vec![],
        ),
    ];
    for (method, path, body) in requests {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(120)
            .collect::<String>();
        let res = app.raw(method.clone(), &path, json_ct, body).await;
        assert!(
            res.status < 500,
            "{method} {path} {shown}: server error: {res}"
        );
        if res.status >= 400 {
            assert!(
                res.body["error"]["code"].is_string(),
                "{method} {path} {shown}: error without the JSON error shape: {res}"
            );
        }
    }
    // Still healthy afterwards.
    app.fetch("/healthz").await;
    app.fetch(&account_item).await;
}
both_backends!(odd_requests_never_cause_a_server_error);

async fn unknown_routes_and_methods_answer_with_json_errors(app: &mut TestApp) {
    for path in [
        "/api/v1/nope",
        "/api/v1/accounts/extra/segments/here",
        "/api/v2/accounts",
    ] {
        let res = app.get(path).await;
        res.assert_error(404, "not_found", &[]);
        assert!(res.content_type().starts_with("application/json"), "{res}");
    }
    // Outside the API the address is the web app's: a browser gets a page.
    let res = app.get("/nope").await;
    assert_eq!(res.status, 404);
    assert!(res.content_type().starts_with("text/html"), "{res}");
    for (path, body) in [
        (format!("{ACCOUNTS}/{}", new_id()), None),
        (format!("{DEALS}/{}", new_id()), None),
        (format!("{CONTACTS}/{}", new_id()), None),
        (format!("{ACTIVITIES}/{}", new_id()), None),
        (format!("{QUESTIONS}/{}", new_id()), None),
        (format!("{DEALS}/{}/contacts", new_id()), None),
        (format!("{CONTACTS}/{}/relationships", new_id()), None),
        (format!("{ACCOUNTS}/{}/answers", new_id()), Some(json!({}))),
    ] {
        let res = match body {
            None => app.get(&path).await,
            Some(body) => app.put_json(&path, &body).await,
        };
        res.assert_error(404, "not_found", &[]);
    }
    for (method, path) in [
        (Method::DELETE, ACCOUNTS.to_string()),
        (Method::PATCH, CONTACTS.to_string()),
        (Method::PUT, format!("{DEALS}/{}", new_id())),
        (Method::POST, format!("{QUESTIONS}/{}", new_id())),
        (Method::DELETE, "/healthz".to_string()),
    ] {
        let res = app
            .raw(method, &path, Some("application/json"), b"{}".to_vec())
            .await;
        res.assert_error(405, "method_not_allowed", &[]);
    }
}
both_backends!(unknown_routes_and_methods_answer_with_json_errors);

async fn health_and_openapi_are_served(app: &mut TestApp) {
    let health = app.get("/healthz").await;
    assert_eq!(health.status, 200, "{health}");
    assert_eq!(health.body, json!({ "status": "ok" }));

    let doc = app.fetch("/api/v1/openapi.json").await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths object");
    let mut expected: Vec<String> = Vec::new();
    for c in [
        "accounts",
        "contacts",
        "deals",
        "activities",
        "profile-questions",
    ] {
        expected.push(format!("/api/v1/{c}"));
        expected.push(format!("/api/v1/{c}/{{id}}"));
    }
    let missing: Vec<&String> = expected
        .iter()
        .filter(|p| !paths.contains_key(*p))
        .collect();
    assert!(
        missing.is_empty(),
        "openapi.json lacks {missing:?}; it has {:?}",
        paths.keys().collect::<Vec<_>>()
    );
}
both_backends!(health_and_openapi_are_served);

/// A health check that cannot reach the database says so with 503, in the
/// API's error shape, so a load balancer takes the instance out.
#[tokio::test]
async fn healthz_is_503_when_the_database_does_not_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        dealdraft::store::Store::connect(&format!("sqlite://{}/h.db", dir.path().display()))
            .await
            .unwrap();
    store.migrate().await.unwrap();
    let router_store = store.clone();
    store.close().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dealdraft::web::serve(listener, router_store, async move {
        let _ = stopped.await;
    }));
    let res = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
