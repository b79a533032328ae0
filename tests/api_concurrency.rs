//! Many clients at once: optimistic locking must let exactly one of two
//! concurrent edits win, and nothing may fail with a server error.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{TestApp, both_backends, id_of, new_id};
use reqwest::Client;
use serde_json::{Value, json};

const DEALS: &str = "/api/v1/deals";
const CLIENTS: usize = 50;
/// Clients 0..SHARED all edit the same deal; the others one deal each.
const SHARED: usize = 25;
const WRITES_PER_CLIENT: usize = 3;
const MAX_ATTEMPTS: usize = 200;

#[derive(Debug)]
struct Outcome {
    deal: String,
    status: u16,
    /// `version` of a 200 answer; `error.current_version` of a 409.
    version: Option<i64>,
    next_step: String,
}

async fn get_json(client: &Client, url: &str) -> (u16, Value) {
    let resp = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// One client: for each write, read the version, PATCH with it, and on 409
/// read again and retry. Returns every PATCH outcome and any problem seen.
async fn client_task(
    client: Client,
    base: String,
    deal: String,
    task: usize,
) -> (Vec<Outcome>, Vec<String>) {
    let url = format!("{base}{DEALS}/{deal}");
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    for write in 0..WRITES_PER_CLIENT {
        let next_step = format!("client {task} write {write}");
        for _ in 0..MAX_ATTEMPTS {
            let (status, current) = get_json(&client, &url).await;
            if status != 200 {
                problems.push(format!("GET {url} -> {status}: {current}"));
                return (outcomes, problems);
            }
            let version = current["version"].as_i64().expect("version");
            let resp = client
                .patch(&url)
                .json(&json!({ "version": version, "next_step": next_step }))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PATCH {url}: {e}"));
            let status = resp.status().as_u16();
            let body = resp.json::<Value>().await.unwrap_or(Value::Null);
            let version = match status {
                200 => body["version"].as_i64(),
                409 => body["error"]["current_version"].as_i64(),
                _ => None,
            };
            if status == 409 && version.is_none() {
                problems.push(format!("409 without error.current_version: {body}"));
            }
            outcomes.push(Outcome {
                deal: deal.clone(),
                status,
                version,
                next_step: next_step.clone(),
            });
            match status {
                200 => break,
                409 => continue,
                _ => {
                    problems.push(format!("PATCH {url} -> {status}: {body}"));
                    return (outcomes, problems);
                }
            }
        }
    }
    (outcomes, problems)
}

async fn concurrent_patches_on_shared_and_separate_deals_keep_versions_consistent(
    app: &mut TestApp,
) {
    let account = app.new_account("Concurrency GmbH").await;
    let shared = app.new_deal(&account, "shared").await;
    let mut own = Vec::new();
    for i in SHARED..CLIENTS {
        own.push(app.new_deal(&account, &format!("own {i}")).await);
    }

    let mut tasks = Vec::new();
    for task in 0..CLIENTS {
        let deal = if task < SHARED {
            shared.clone()
        } else {
            own[task - SHARED].clone()
        };
        tasks.push(tokio::spawn(client_task(
            app.client.clone(),
            app.base_url.clone(),
            deal,
            task,
        )));
    }
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    for task in tasks {
        let (o, p) = task.await.expect("client task panicked");
        outcomes.extend(o);
        problems.extend(p);
    }
    assert!(
        problems.is_empty(),
        "problems under concurrency:\n{}",
        problems.join("\n")
    );

    let server_errors: Vec<&Outcome> = outcomes.iter().filter(|o| o.status >= 500).collect();
    assert!(server_errors.is_empty(), "server errors: {server_errors:?}");
    let other: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status != 200 && o.status != 409)
        .collect();
    assert!(
        other.is_empty(),
        "every rejected write must be 409: {other:?}"
    );

    let mut accepted: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.status == 200) {
        accepted.entry(o.deal.as_str()).or_default().push(o);
    }
    let mut deals = own.clone();
    deals.push(shared.clone());
    for deal in &deals {
        let writes = accepted.get(deal.as_str()).cloned().unwrap_or_default();
        assert!(!writes.is_empty(), "no write was accepted on {deal}");
        let versions: Vec<i64> = writes
            .iter()
            .map(|o| o.version.expect("200 with a version"))
            .collect();
        let unique: BTreeSet<i64> = versions.iter().copied().collect();
        assert_eq!(
            unique.len(),
            versions.len(),
            "two accepted writes on {deal} got the same version: {versions:?}"
        );
        let expected: BTreeSet<i64> = (2..=(1 + versions.len() as i64)).collect();
        assert_eq!(
            unique, expected,
            "accepted versions on {deal} are not 2..=1+n"
        );

        let record = app.fetch(&format!("{DEALS}/{deal}")).await;
        assert_eq!(
            record["version"].as_i64(),
            Some(1 + versions.len() as i64),
            "final version of {deal} vs {} accepted writes",
            versions.len()
        );
        let last = writes
            .iter()
            .max_by_key(|o| o.version)
            .expect("at least one write");
        assert_eq!(
            record["next_step"], last.next_step,
            "final record of {deal} must reflect the last accepted write"
        );
    }

    // Alone on their deals, the other clients never conflict.
    for deal in &own {
        let conflicts = outcomes
            .iter()
            .filter(|o| &o.deal == deal && o.status == 409)
            .count();
        assert_eq!(conflicts, 0, "{deal} had a single writer but saw 409s");
        assert_eq!(accepted[deal.as_str()].len(), WRITES_PER_CLIENT);
    }
    // The shared deal saw contention and still accepted writes in order.
    assert!(accepted[shared.as_str()].len() >= WRITES_PER_CLIENT);
}
both_backends!(concurrent_patches_on_shared_and_separate_deals_keep_versions_consistent);

async fn concurrent_creates_with_one_client_id_make_exactly_one_record(app: &mut TestApp) {
    let id = new_id();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let client = app.client.clone();
        let url = app.url("/api/v1/accounts");
        let body = json!({ "id": id, "name": format!("Racer {i}") });
        tasks.push(tokio::spawn(async move {
            let resp = client.post(&url).json(&body).send().await.expect("POST");
            resp.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.list_ids("/api/v1/accounts").await, vec![id]);
}
both_backends!(concurrent_creates_with_one_client_id_make_exactly_one_record);

async fn many_concurrent_creates_all_succeed(app: &mut TestApp) {
    let account = app.new_account("Busy").await;
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let client = app.client.clone();
        let url = app.url("/api/v1/contacts");
        let body = json!({ "last_name": format!("Contact {i}"), "account_id": account });
        tasks.push(tokio::spawn(async move {
            let resp = client.post(&url).json(&body).send().await.expect("POST");
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut made = BTreeSet::new();
    for t in tasks {
        let (status, body) = t.await.expect("task");
        assert_eq!(status, 201, "{body}");
        made.insert(id_of(&body));
    }
    assert_eq!(made.len(), CLIENTS);
    let listed: BTreeSet<String> = app.list_ids("/api/v1/contacts").await.into_iter().collect();
    assert_eq!(listed, made);
}
both_backends!(many_concurrent_creates_all_succeed);

async fn concurrent_deletes_of_one_record_succeed_once(app: &mut TestApp) {
    let account = app.new_account("Doomed").await;
    let url = app.url(&format!("/api/v1/accounts/{account}"));
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let client = app.client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            client
                .delete(&url)
                .send()
                .await
                .expect("DELETE")
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 404).count(),
        9,
        "{statuses:?}"
    );
    let since = app
        .fetch(&common::with_query(
            "/api/v1/accounts",
            "updated_since",
            "2000-01-01T00:00:00Z",
        ))
        .await;
    let deleted: Vec<&Value> = since["deleted"]
        .as_array()
        .unwrap_or_else(|| panic!("no deleted array: {since}"))
        .iter()
        .filter(|d| d["id"] == account.as_str())
        .collect();
    assert_eq!(deleted.len(), 1, "one deletion, one tombstone: {since}");
}
both_backends!(concurrent_deletes_of_one_record_succeed_once);

/// Deleting an account races creating a deal on it: either may win, but
/// never both, and never with a server error.
async fn deleting_an_account_while_a_deal_is_created_on_it_never_leaves_an_orphan(
    app: &mut TestApp,
) {
    for round in 0..15 {
        let account = app.new_account(&format!("Round {round}")).await;
        let delete_url = app.url(&format!("/api/v1/accounts/{account}"));
        let deals_url = app.url(DEALS);
        let (c1, c2) = (app.client.clone(), app.client.clone());
        let body = json!({ "name": format!("Deal {round}"), "account_id": account });
        let create = tokio::spawn(async move {
            let resp = c1.post(&deals_url).json(&body).send().await.expect("POST");
            (
                resp.status().as_u16(),
                resp.text().await.unwrap_or_default(),
            )
        });
        let delete = tokio::spawn(async move {
            let resp = c2.delete(&delete_url).send().await.expect("DELETE");
            (
                resp.status().as_u16(),
                resp.text().await.unwrap_or_default(),
            )
        });
        let (created, deleted) = (create.await.expect("task"), delete.await.expect("task"));
        let outcome = format!("round {round}: create {created:?}, delete {deleted:?}");
        assert!(
            created.0 < 500 && deleted.0 < 500,
            "server error: {outcome}"
        );
        match (created.0, deleted.0) {
            (201, 409) => {
                app.fetch(&format!("/api/v1/accounts/{account}")).await;
            }
            (422, 204) => {
                app.get(&format!("/api/v1/accounts/{account}"))
                    .await
                    .assert_error(404, "not_found", &[]);
            }
            _ => panic!("impossible pair of answers: {outcome}"),
        }
        // No deal points to a missing account.
        for deal in app.list_all(&format!("{DEALS}?account_id={account}")).await {
            app.fetch(&format!(
                "/api/v1/accounts/{}",
                deal["account_id"].as_str().unwrap()
            ))
            .await;
        }
    }
}
both_backends!(deleting_an_account_while_a_deal_is_created_on_it_never_leaves_an_orphan);
