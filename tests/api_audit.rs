//! The audit log: every change field by field, who made it and through
//! which request, its filters and paging, who may read it, that nothing can
//! change it, and command-line actions.

mod common;

use std::collections::HashSet;
use std::process::{Command, Output, Stdio};

use chrono::{Duration, Utc};
use common::{Res, TestApp, both_backends, id_of, new_id, same_value, ts, with_query};
use dealdraft::store::{Count, Sql};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

const AUDIT: &str = "/api/v1/audit";
const ACCOUNTS: &str = "/api/v1/accounts";
const CONTACTS: &str = "/api/v1/contacts";
const DEALS: &str = "/api/v1/deals";
const ACTIVITIES: &str = "/api/v1/activities";
const QUESTIONS: &str = "/api/v1/profile-questions";
const USERS: &str = "/api/v1/users";
const SETTINGS: &str = "/api/v1/settings";
const ADMIN_EMAIL: &str = "admin@example.com";
const SYSTEM_EMAIL: &str = "system@dealdraft.invalid";
const SYSTEM_ID: &str = "00000000-0000-0000-0000-000000000001";
const META_FIELDS: [&str; 4] = ["id", "version", "created_at", "updated_at"];

// ---- helpers ---------------------------------------------------------------

/// Every entry matching `query` (`""` for all), following `next_cursor`.
async fn entries(app: &TestApp, query: &str) -> Vec<Value> {
    let path = if query.is_empty() {
        AUDIT.to_string()
    } else {
        format!("{AUDIT}?{query}")
    };
    let entries = app.list_all(&path).await;
    for e in &entries {
        assert_entry_shape(e);
    }
    entries
}

/// The one entry matching `query`.
#[track_caller]
fn only(entries: &[Value], what: &str) -> Value {
    assert_eq!(
        entries.len(),
        1,
        "expected one entry for {what}: {entries:#?}"
    );
    entries[0].clone()
}

/// The `x-request-id` header of an answer.
#[track_caller]
fn request_id(res: &Res) -> String {
    res.headers
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no x-request-id header: {res}"))
        .to_str()
        .expect("ASCII request id")
        .to_string()
}

/// Asserts the shape every entry has.
#[track_caller]
fn assert_entry_shape(e: &Value) {
    let id = e["id"]
        .as_str()
        .unwrap_or_else(|| panic!("entry without id: {e}"));
    Uuid::parse_str(id).unwrap_or_else(|_| panic!("entry id not a UUID: {e}"));
    ts(&e["at"]);
    let actor = &e["actor"];
    for key in ["id", "email", "name"] {
        assert!(
            actor[key].is_string(),
            "actor.{key} should be a string: {e}"
        );
    }
    Uuid::parse_str(actor["id"].as_str().unwrap())
        .unwrap_or_else(|_| panic!("actor.id not a UUID: {e}"));
    assert!(
        e["via"] == "api" || e["via"] == "cli",
        "via should be api or cli: {e}"
    );
    assert!(
        [
            "account",
            "contact",
            "deal",
            "activity",
            "profile_question",
            "user",
            "settings",
            "contact_relationship",
        ]
        .contains(&e["entity"].as_str().unwrap_or("")),
        "unknown entity: {e}"
    );
    match &e["entity_id"] {
        Value::Null => {}
        Value::String(s) => {
            Uuid::parse_str(s).unwrap_or_else(|_| panic!("entity_id not a UUID: {e}"));
        }
        _ => panic!("entity_id should be a UUID or null: {e}"),
    }
    assert!(
        ["create", "update", "delete"].contains(&e["action"].as_str().unwrap_or("")),
        "unknown action: {e}"
    );
    let changes = e["changes"]
        .as_object()
        .unwrap_or_else(|| panic!("changes should be an object: {e}"));
    for (field, change) in changes {
        assert!(
            !META_FIELDS.contains(&field.as_str()),
            "meta field `{field}` among the changes: {e}"
        );
        let obj = change
            .as_object()
            .unwrap_or_else(|| panic!("change of `{field}` should be an object: {e}"));
        assert!(
            obj.contains_key("before") && obj.contains_key("after") && obj.len() == 2,
            "change of `{field}` should be exactly {{before, after}}: {e}"
        );
    }
    assert!(
        e["request_id"].is_null() || e["request_id"].is_string(),
        "request_id: {e}"
    );
}

/// Asserts `entry.changes` is exactly `expected` (values compared as the
/// contract allows: decimals by value, timestamps by instant).
#[track_caller]
fn assert_changes(entry: &Value, expected: Value) {
    let actual = &entry["changes"];
    let (a, x) = (actual.as_object().unwrap(), expected.as_object().unwrap());
    let mut ak: Vec<_> = a.keys().collect();
    let mut xk: Vec<_> = x.keys().collect();
    ak.sort();
    xk.sort();
    assert_eq!(ak, xk, "changed fields: {entry}");
    for (field, change) in x {
        assert!(
            same_value(&change["before"], &a[field]["before"])
                && same_value(&change["after"], &a[field]["after"]),
            "`{field}`: expected {change}, got {}: {entry}",
            a[field]
        );
    }
}

/// Asserts a create entry: every non-null field of `record` (but the meta
/// fields) with `before: null`, and nothing else.
#[track_caller]
fn assert_create_changes(entry: &Value, record: &Value) {
    let mut expected = serde_json::Map::new();
    for (field, value) in record.as_object().unwrap() {
        if value.is_null() || META_FIELDS.contains(&field.as_str()) {
            continue;
        }
        expected.insert(field.clone(), json!({ "before": null, "after": value }));
    }
    // Derived read-only fields (such as a deal's `probability_is_default`)
    // may or may not be logged; every logged one must be a real value.
    let changes = entry["changes"].as_object().unwrap();
    for (field, change) in changes {
        assert!(
            change["before"].is_null(),
            "create: `{field}` has a before: {entry}"
        );
        assert!(
            !change["after"].is_null(),
            "create lists only non-null fields: {entry}"
        );
    }
    for (field, change) in &expected {
        if ["probability", "probability_is_default"].contains(&field.as_str()) {
            continue;
        }
        let got = changes
            .get(field)
            .unwrap_or_else(|| panic!("create should list `{field}`: {entry}\nrecord {record}"));
        assert!(
            same_value(&change["after"], &got["after"]),
            "`{field}`: expected after {}, got {got}: {entry}",
            change["after"]
        );
    }
}

/// Asserts a delete entry: every non-null field of `record` with
/// `after: null`.
#[track_caller]
fn assert_delete_changes(entry: &Value, record: &Value) {
    let changes = entry["changes"].as_object().unwrap();
    for (field, change) in changes {
        assert!(
            change["after"].is_null(),
            "delete: `{field}` has an after: {entry}"
        );
    }
    for (field, value) in record.as_object().unwrap() {
        if value.is_null()
            || META_FIELDS.contains(&field.as_str())
            || ["probability", "probability_is_default"].contains(&field.as_str())
        {
            continue;
        }
        let got = changes
            .get(field)
            .unwrap_or_else(|| panic!("delete should list `{field}`: {entry}\nrecord {record}"));
        assert!(
            same_value(value, &got["before"]),
            "`{field}`: expected before {value}, got {got}: {entry}"
        );
    }
}

#[track_caller]
fn assert_actor(entry: &Value, id: &str, email: &str, via: &str) {
    assert_eq!(entry["actor"]["id"], id, "actor: {entry}");
    assert_eq!(entry["actor"]["email"], email, "actor email: {entry}");
    assert_eq!(entry["via"], via, "via: {entry}");
}

/// Signs in as a new user of `role`: (id, email, password, token).
async fn signed_in(app: &TestApp, role: &str) -> (String, String, String, String) {
    let (id, email, password) = app.new_user(role).await;
    let body = app.login(&email, &password).await.expect(200);
    let token = body["token"].as_str().expect("token").to_string();
    (id, email, password, token)
}

/// The number of rows in the audit table, below HTTP.
async fn audit_rows(app: &TestApp) -> i64 {
    let store = app.store().await;
    let count = store
        .fetch_optional::<Count>(&Sql::new("SELECT COUNT(*) AS n FROM audit_log"))
        .await
        .expect("count audit_log rows")
        .expect("a count row");
    store.close().await;
    count.n
}

/// A short pause, so consecutive changes get distinct timestamps.
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
}

// ---- the core: field-level before and after --------------------------------

async fn a_patch_is_audited_with_the_before_and_after_of_exactly_the_changed_fields(
    app: &mut TestApp,
) {
    let account = app
        .create(
            ACCOUNTS,
            json!({ "name": "Acme", "industry": "Retail", "domain": "acme.example" }),
        )
        .await;
    let id = id_of(&account);
    let before = Utc::now() - Duration::seconds(5);
    let res = app
        .patch_json(
            &format!("{ACCOUNTS}/{id}"),
            // `domain` is sent unchanged: not a change.
            &json!({ "version": 1, "name": "Acme Corp", "industry": "Logistics", "domain": "acme.example" }),
        )
        .await;
    assert_eq!(res.status, 200, "{res}");
    let rid = request_id(&res);
    let after = Utc::now() + Duration::seconds(5);

    let found = entries(app, &format!("entity=account&entity_id={id}&action=update")).await;
    let entry = only(&found, "the PATCH");
    assert_changes(
        &entry,
        json!({
            "name": { "before": "Acme", "after": "Acme Corp" },
            "industry": { "before": "Retail", "after": "Logistics" },
        }),
    );
    assert_eq!(entry["entity"], "account");
    assert_eq!(entry["entity_id"], id.as_str());
    assert_eq!(entry["action"], "update");
    assert_actor(&entry, &app.admin_id, ADMIN_EMAIL, "api");
    assert_eq!(entry["actor"]["name"], "Test Admin", "{entry}");
    assert_eq!(
        entry["request_id"],
        rid.as_str(),
        "request_id is the x-request-id"
    );
    let at = ts(&entry["at"]);
    assert!(before <= at && at <= after, "at {at} is not around now");

    // A contact: name and phone, the phone from nothing.
    let contact = app
        .create(
            CONTACTS,
            json!({ "first_name": "Anna", "last_name": "Schmidt" }),
        )
        .await;
    let cid = id_of(&contact);
    let res = app
        .patch_json(
            &format!("{CONTACTS}/{cid}"),
            &json!({ "version": 1, "last_name": "Schmidt-Weber", "phone": "+49 30 1234" }),
        )
        .await;
    assert_eq!(res.status, 200, "{res}");
    let entry = only(
        &entries(
            app,
            &format!("entity=contact&entity_id={cid}&action=update"),
        )
        .await,
        "the contact PATCH",
    );
    assert_changes(
        &entry,
        json!({
            "last_name": { "before": "Schmidt", "after": "Schmidt-Weber" },
            "phone": { "before": null, "after": "+49 30 1234" },
        }),
    );
    assert_eq!(entry["request_id"], request_id(&res).as_str());

    // Clearing a field: after is null.
    let res = app
        .patch_json(
            &format!("{ACCOUNTS}/{id}"),
            &json!({ "version": 2, "industry": null }),
        )
        .await;
    assert_eq!(res.status, 200, "{res}");
    let updates = entries(app, &format!("entity=account&entity_id={id}&action=update")).await;
    assert_eq!(updates.len(), 2, "{updates:#?}");
    // Newest first.
    assert_changes(
        &updates[0],
        json!({ "industry": { "before": "Logistics", "after": null } }),
    );
    assert_eq!(updates[0]["request_id"], request_id(&res).as_str());
    assert!(ts(&updates[0]["at"]) >= ts(&updates[1]["at"]));

    // A refused change is not audited.
    app.patch_json(
        &format!("{ACCOUNTS}/{id}"),
        &json!({ "version": 1, "name": "Stale" }),
    )
    .await
    .assert_error(409, "conflict", &[]);
    app.patch_json(
        &format!("{ACCOUNTS}/{id}"),
        &json!({ "version": 3, "country": "Narnia" }),
    )
    .await
    .assert_error(422, "validation_failed", &["country"]);
    assert_eq!(
        entries(app, &format!("entity_id={id}")).await.len(),
        3,
        "create and two updates, nothing for the refused PATCHes"
    );
}
both_backends!(a_patch_is_audited_with_the_before_and_after_of_exactly_the_changed_fields);

async fn every_request_gets_its_own_request_id_and_the_entry_records_it(app: &mut TestApp) {
    let mut seen = HashSet::new();
    for name in ["One", "Two", "Three"] {
        let res = app
            .request(Method::POST, ACCOUNTS, Some(&json!({ "name": name })))
            .await;
        assert_eq!(res.status, 201, "{res}");
        let rid = request_id(&res);
        assert!(!rid.is_empty());
        assert!(seen.insert(rid.clone()), "request id {rid} repeated");
        let entry = only(
            &entries(
                app,
                &format!("entity_id={}&action=create", id_of(&res.body)),
            )
            .await,
            "the create",
        );
        assert_eq!(entry["request_id"], rid.as_str(), "{entry}");
    }
    // Reads carry one too.
    let res = app.get(ACCOUNTS).await;
    assert!(seen.insert(request_id(&res)));
}
both_backends!(every_request_gets_its_own_request_id_and_the_entry_records_it);

// ---- create and delete -----------------------------------------------------

async fn a_create_lists_every_set_field_and_a_delete_every_field_it_had(app: &mut TestApp) {
    let res = app
        .request(
            Method::POST,
            ACCOUNTS,
            Some(&json!({
                "name": "Müller Maschinenbau",
                "domain": "mueller.example",
                "industry": "Machinery",
                "employee_count": 120,
                "country": "DE",
                "credit_status": "watch",
            })),
        )
        .await;
    assert_eq!(res.status, 201, "{res}");
    let record = res.body.clone();
    let id = id_of(&record);
    let entry = only(
        &entries(app, &format!("entity=account&entity_id={id}&action=create")).await,
        "the create",
    );
    assert_create_changes(&entry, &record);
    assert_eq!(entry["changes"]["owner_id"]["after"], app.admin_id.as_str());
    assert!(
        entry["changes"].get("address").is_none(),
        "null fields are not listed: {entry}"
    );
    assert_eq!(entry["request_id"], request_id(&res).as_str());
    assert_actor(&entry, &app.admin_id, ADMIN_EMAIL, "api");

    let current = app.fetch(&format!("{ACCOUNTS}/{id}")).await;
    let res = app.delete(&format!("{ACCOUNTS}/{id}")).await;
    assert_eq!(res.status, 204, "{res}");
    let entry = only(
        &entries(app, &format!("entity=account&entity_id={id}&action=delete")).await,
        "the delete",
    );
    assert_delete_changes(&entry, &current);
    assert_eq!(entry["request_id"], request_id(&res).as_str());
    assert_eq!(entry["entity_id"], id.as_str());

    // A deal: its create and delete alike.
    let account = app.new_account("Deal Holder").await;
    let deal = app
        .create(
            DEALS,
            json!({ "name": "Fleet", "account_id": account, "amount": "48000.00", "currency": "EUR", "stage": "qualified" }),
        )
        .await;
    let did = id_of(&deal);
    let entry = only(
        &entries(app, &format!("entity=deal&entity_id={did}&action=create")).await,
        "the deal create",
    );
    assert_create_changes(&entry, &deal);
    app.delete(&format!("{DEALS}/{did}")).await.expect(204);
    let entry = only(
        &entries(app, &format!("entity=deal&entity_id={did}&action=delete")).await,
        "the deal delete",
    );
    assert_delete_changes(&entry, &deal);
}
both_backends!(a_create_lists_every_set_field_and_a_delete_every_field_it_had);

// ---- every entity ----------------------------------------------------------

async fn every_kind_of_change_is_audited_under_its_entity(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let a = app.new_contact(&account, "Alpha").await;
    let b = app.new_contact(&account, "Beta").await;
    let deal = app.new_deal(&account, "Deal").await;
    for (entity, id) in [
        ("account", &account),
        ("contact", &a),
        ("contact", &b),
        ("deal", &deal),
    ] {
        only(
            &entries(
                app,
                &format!("entity={entity}&entity_id={id}&action=create"),
            )
            .await,
            &format!("the {entity} create"),
        );
    }

    // Activities: create, update, delete.
    let activity = app
        .create(
            ACTIVITIES,
            json!({ "kind": "call", "subject": "Intro", "account_id": account }),
        )
        .await;
    let act = id_of(&activity);
    app.patch_json(
        &format!("{ACTIVITIES}/{act}"),
        &json!({ "version": 1, "subject": "Intro call" }),
    )
    .await
    .expect(200);
    app.delete(&format!("{ACTIVITIES}/{act}")).await.expect(204);
    let log = entries(app, &format!("entity=activity&entity_id={act}")).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["delete", "update", "create"],
        "newest first: {log:#?}"
    );
    assert_changes(
        &log[1],
        json!({ "subject": { "before": "Intro", "after": "Intro call" } }),
    );

    // Profile questions.
    let question = app.new_question("fleet_size", "number", "account").await;
    let qid = id_of(&question);
    app.patch_json(
        &format!("{QUESTIONS}/{qid}"),
        &json!({ "version": 1, "label": "Fleet size" }),
    )
    .await
    .expect(200);
    let log = entries(app, &format!("entity=profile_question&entity_id={qid}")).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["update", "create"], "{log:#?}");
    assert_changes(
        &log[0],
        json!({ "label": { "before": "fleet_size", "after": "Fleet size" } }),
    );
    assert_eq!(log[1]["changes"]["key"]["after"], "fleet_size", "{log:#?}");
    let throwaway = id_of(&app.new_question("throwaway", "text", "deal").await);
    app.delete(&format!("{QUESTIONS}/{throwaway}"))
        .await
        .expect(204);
    let entry = only(
        &entries(
            app,
            &format!("entity=profile_question&entity_id={throwaway}&action=delete"),
        )
        .await,
        "the question delete",
    );
    assert_eq!(entry["changes"]["key"]["before"], "throwaway", "{entry}");

    // Answers: an update of the subject, as `answers.<key>`.
    let res = app
        .put_json(
            &format!("{ACCOUNTS}/{account}/answers"),
            &json!({ "fleet_size": 12 }),
        )
        .await;
    assert_eq!(res.status, 200, "{res}");
    let entry = only(
        &entries(
            app,
            &format!("entity=account&entity_id={account}&action=update"),
        )
        .await,
        "the answer",
    );
    assert_changes(
        &entry,
        json!({ "answers.fleet_size": { "before": null, "after": 12 } }),
    );
    assert_eq!(entry["request_id"], request_id(&res).as_str());
    app.put_json(
        &format!("{ACCOUNTS}/{account}/answers"),
        &json!({ "fleet_size": 20 }),
    )
    .await
    .expect(200);
    let log = entries(
        app,
        &format!("entity=account&entity_id={account}&action=update"),
    )
    .await;
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_changes(
        &log[0],
        json!({ "answers.fleet_size": { "before": 12, "after": 20 } }),
    );
    app.new_question("likes_golf", "bool", "contact").await;
    app.put_json(
        &format!("{CONTACTS}/{a}/answers"),
        &json!({ "likes_golf": true }),
    )
    .await
    .expect(200);
    let entry = only(
        &entries(app, &format!("entity=contact&entity_id={a}&action=update")).await,
        "the contact answer",
    );
    assert_changes(
        &entry,
        json!({ "answers.likes_golf": { "before": null, "after": true } }),
    );

    // A deal's contacts: an update of the deal.
    let res = app
        .put_json(
            &format!("{DEALS}/{deal}/contacts"),
            &json!({ "contacts": [{ "contact_id": a, "role": "decision_maker" }] }),
        )
        .await;
    assert_eq!(res.status, 200, "{res}");
    let entry = only(
        &entries(app, &format!("entity=deal&entity_id={deal}&action=update")).await,
        "the deal contacts",
    );
    let changes = entry["changes"].as_object().unwrap();
    assert!(changes.contains_key("contacts"), "{entry}");
    assert_eq!(changes.len(), 1, "{entry}");
    assert!(
        entry["changes"]["contacts"]["after"]
            .to_string()
            .contains(&a),
        "the new contacts name {a}: {entry}"
    );
    assert_eq!(entry["request_id"], request_id(&res).as_str());

    // Relationships between contacts.
    let rel = app
        .create(
            &format!("{CONTACTS}/{a}/relationships"),
            json!({ "kind": "reports_to", "to_contact_id": b }),
        )
        .await;
    let rid = id_of(&rel);
    app.delete(&format!("{CONTACTS}/{a}/relationships/{rid}"))
        .await
        .expect(204);
    let log = entries(app, &format!("entity=contact_relationship&entity_id={rid}")).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "create"], "{log:#?}");
    assert_eq!(log[1]["changes"]["kind"]["after"], "reports_to", "{log:#?}");
    assert_eq!(
        log[1]["changes"]["to_contact_id"]["after"],
        b.as_str(),
        "{log:#?}"
    );
    assert_eq!(
        log[0]["changes"]["kind"]["before"], "reports_to",
        "{log:#?}"
    );

    // Users: create, deactivate.
    let (uid, email, _) = app.new_user("rep").await;
    let entry = only(
        &entries(app, &format!("entity=user&entity_id={uid}&action=create")).await,
        "the user create",
    );
    assert_eq!(
        entry["changes"]["email"]["after"],
        email.as_str(),
        "{entry}"
    );
    assert_eq!(entry["changes"]["role"]["after"], "rep", "{entry}");
    app.patch_json(
        &format!("{USERS}/{uid}"),
        &json!({ "version": 1, "active": false }),
    )
    .await
    .expect(200);
    let entry = only(
        &entries(app, &format!("entity=user&entity_id={uid}&action=update")).await,
        "the deactivation",
    );
    assert_changes(
        &entry,
        json!({ "active": { "before": true, "after": false } }),
    );

    // Settings: one entry, no entity id, dotted paths.
    let res = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 1, "company": { "phone": "+49 30 1234" }, "exchange_rates": { "USD": "0.92" } }),
        )
        .await;
    assert_eq!(res.status, 200, "{res}");
    let entry = only(
        &entries(app, "entity=settings").await,
        "the settings change",
    );
    assert!(entry["entity_id"].is_null(), "{entry}");
    assert_eq!(entry["action"], "update");
    assert_changes(
        &entry,
        json!({
            "company.phone": { "before": null, "after": "+49 30 1234" },
            "exchange_rates.USD": { "before": null, "after": "0.92" },
        }),
    );
    assert_eq!(entry["request_id"], request_id(&res).as_str());
    app.patch_json(
        SETTINGS,
        &json!({ "version": 2, "company": { "phone": null }, "stage_probabilities": { "proposal": 60 } }),
    )
    .await
    .expect(200);
    let log = entries(app, "entity=settings").await;
    assert_eq!(log.len(), 2);
    assert_changes(
        &log[0],
        json!({
            "company.phone": { "before": "+49 30 1234", "after": null },
            "stage_probabilities.proposal": { "before": 50, "after": 60 },
        }),
    );
}
both_backends!(every_kind_of_change_is_audited_under_its_entity);

// ---- passwords -------------------------------------------------------------

async fn a_password_change_is_audited_but_no_password_ever_appears(app: &mut TestApp) {
    let first = format!("first-secret-{}", &new_id()[..8]);
    let second = format!("second-secret-{}", &new_id()[..8]);
    let email = format!("pw-{}@example.com", new_id());
    let user = app
        .create(
            USERS,
            json!({ "email": email, "name": "Pass Word", "role": "rep", "password": first }),
        )
        .await;
    let uid = id_of(&user);
    let token = app.login(&email, &first).await.expect(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .request_as(
            Some(&token),
            Method::PUT,
            "/api/v1/me/password",
            Some(&json!({ "old_password": first, "new_password": second })),
        )
        .await;
    assert_eq!(res.status, 204, "{res}");
    let entry = only(
        &entries(app, &format!("entity=user&entity_id={uid}&action=update")).await,
        "the password change",
    );
    assert_changes(
        &entry,
        json!({ "password": { "before": "(hidden)", "after": "(hidden)" } }),
    );
    assert_actor(&entry, &uid, &email, "api");
    assert_eq!(entry["request_id"], request_id(&res).as_str());

    let everything = serde_json::to_string(&entries(app, "").await).unwrap();
    for secret in [first.as_str(), second.as_str(), "$argon2"] {
        assert!(
            !everything.contains(secret),
            "the audit log contains {secret:?}: {everything}"
        );
    }
    assert!(!everything.contains("password_hash"), "{everything}");
}
both_backends!(a_password_change_is_audited_but_no_password_ever_appears);

// ---- reassigning -----------------------------------------------------------

async fn reassigning_logs_an_owner_change_for_every_moved_record(app: &mut TestApp) {
    let (from, _, _) = app.new_user("rep").await;
    let (to, _, _) = app.new_user("rep").await;
    let mut moved = Vec::new();
    for name in ["One", "Two"] {
        let account = id_of(
            &app.create(ACCOUNTS, json!({ "name": name, "owner_id": from }))
                .await,
        );
        moved.push(("account", account));
    }
    let account = moved[0].1.clone();
    let contact = id_of(
        &app.create(
            CONTACTS,
            json!({ "last_name": "Moved", "account_id": account, "owner_id": from }),
        )
        .await,
    );
    moved.push(("contact", contact));
    let deal = id_of(
        &app.create(
            DEALS,
            json!({ "name": "Moved", "account_id": account, "owner_id": from }),
        )
        .await,
    );
    moved.push(("deal", deal));
    // Someone else's record stays out of it.
    let untouched = app.new_account("Not moved").await;

    let res = app
        .post_json(
            &format!("{USERS}/{from}/reassign"),
            &json!({ "to_user_id": to }),
        )
        .await;
    assert_eq!(res.status, 200, "{res}");
    let rid = request_id(&res);
    for (entity, id) in &moved {
        let entry = only(
            &entries(
                app,
                &format!("entity={entity}&entity_id={id}&action=update"),
            )
            .await,
            &format!("the reassignment of {entity} {id}"),
        );
        assert_changes(
            &entry,
            json!({ "owner_id": { "before": from, "after": to } }),
        );
        assert_actor(&entry, &app.admin_id, ADMIN_EMAIL, "api");
        assert_eq!(entry["request_id"], rid.as_str());
    }
    assert!(
        entries(app, &format!("entity_id={untouched}&action=update"))
            .await
            .is_empty(),
        "a record that did not move is logged"
    );
}
both_backends!(reassigning_logs_an_owner_change_for_every_moved_record);

// ---- filters and paging ----------------------------------------------------

/// The ids of `entries`.
fn entry_ids(entries: &[Value]) -> Vec<String> {
    entries.iter().map(id_of).collect()
}

async fn filters_select_exactly_the_matching_entries_and_paging_visits_each_once(
    app: &mut TestApp,
) {
    let (manager, _, _, manager_token) = signed_in(app, "manager").await;
    let mut accounts = Vec::new();
    for i in 0..4 {
        accounts.push(app.new_account(&format!("Admin {i}")).await);
        tick().await;
    }
    let mut managers_contacts = Vec::new();
    for i in 0..3 {
        let res = app
            .request_as(
                Some(&manager_token),
                Method::POST,
                CONTACTS,
                Some(&json!({ "last_name": format!("Manager {i}") })),
            )
            .await;
        managers_contacts.push(id_of(&res.expect(201)));
        tick().await;
    }
    app.patch_json(
        &format!("{ACCOUNTS}/{}", accounts[0]),
        &json!({ "version": 1, "name": "Renamed" }),
    )
    .await
    .expect(200);
    tick().await;
    app.delete(&format!("{ACCOUNTS}/{}", accounts[1]))
        .await
        .expect(204);
    tick().await;
    app.request_as(
        Some(&manager_token),
        Method::DELETE,
        &format!("{CONTACTS}/{}", managers_contacts[0]),
        None,
    )
    .await
    .expect(204);

    let all = entries(app, "").await;
    assert!(all.len() >= 12, "{all:#?}");
    // Newest first.
    for pair in all.windows(2) {
        assert!(
            ts(&pair[0]["at"]) >= ts(&pair[1]["at"]),
            "not newest first: {} then {}",
            pair[0],
            pair[1]
        );
    }
    let unique: HashSet<String> = entry_ids(&all).into_iter().collect();
    assert_eq!(unique.len(), all.len(), "an entry listed twice");

    let expect = |pred: &dyn Fn(&Value) -> bool| -> Vec<String> {
        entry_ids(&all.iter().filter(|e| pred(e)).cloned().collect::<Vec<_>>())
    };
    let checks: Vec<(String, Vec<String>)> = vec![
        (
            "entity=account".into(),
            expect(&|e| e["entity"] == "account"),
        ),
        (
            "entity=contact".into(),
            expect(&|e| e["entity"] == "contact"),
        ),
        ("entity=user".into(), expect(&|e| e["entity"] == "user")),
        (
            format!("entity_id={}", accounts[0]),
            expect(&|e| e["entity_id"] == accounts[0].as_str()),
        ),
        (
            format!("actor_id={manager}"),
            expect(&|e| e["actor"]["id"] == manager.as_str()),
        ),
        (
            format!("actor_id={}", app.admin_id),
            expect(&|e| e["actor"]["id"] == app.admin_id.as_str()),
        ),
        ("action=delete".into(), expect(&|e| e["action"] == "delete")),
        ("action=update".into(), expect(&|e| e["action"] == "update")),
        (
            "entity=contact&action=create".into(),
            expect(&|e| e["entity"] == "contact" && e["action"] == "create"),
        ),
        (
            format!("entity=contact&actor_id={manager}&action=delete"),
            expect(&|e| {
                e["entity"] == "contact"
                    && e["actor"]["id"] == manager.as_str()
                    && e["action"] == "delete"
            }),
        ),
    ];
    for (query, expected) in checks {
        assert!(
            !expected.is_empty(),
            "{query}: the fixture should match something"
        );
        let got = entry_ids(&entries(app, &query).await);
        assert_eq!(got, expected, "GET {AUDIT}?{query}");
    }

    // since (inclusive) and until (exclusive), at an entry's own instant.
    let middle = &all[all.len() / 2];
    let at = middle["at"].as_str().unwrap().to_string();
    let since = entry_ids(&entries(app, &with_query("", "since", &at)[1..]).await);
    assert_eq!(
        since,
        expect(&|e| ts(&e["at"]) >= ts(&middle["at"])),
        "since={at}"
    );
    assert!(since.contains(&id_of(middle)), "since is inclusive");
    let until = entry_ids(&entries(app, &with_query("", "until", &at)[1..]).await);
    assert_eq!(
        until,
        expect(&|e| ts(&e["at"]) < ts(&middle["at"])),
        "until={at}"
    );
    assert!(!until.contains(&id_of(middle)), "until is exclusive");
    let first_at = all.last().unwrap()["at"].as_str().unwrap().to_string();
    let window = entry_ids(
        &entries(
            app,
            &format!(
                "since={}&until={}&entity=account",
                common::enc(&first_at),
                common::enc(&at)
            ),
        )
        .await,
    );
    assert_eq!(
        window,
        expect(&|e| {
            e["entity"] == "account"
                && ts(&e["at"]) >= ts(&all.last().unwrap()["at"])
                && ts(&e["at"]) < ts(&middle["at"])
        })
    );
    // Another offset means the same instant.
    let shifted = ts(&middle["at"])
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let since_shifted = entry_ids(&entries(app, &with_query("", "since", &shifted)[1..]).await);
    assert_eq!(since_shifted, since, "since={shifted}");
    // Nothing in the future.
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    assert!(
        entries(app, &with_query("", "since", &future)[1..])
            .await
            .is_empty()
    );

    // Paging with a small limit visits every entry once, in order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("{AUDIT}?limit=5");
        if let Some(c) = &cursor {
            path = with_query(&path, "cursor", c);
        }
        let page = app.fetch(&path).await;
        let items = page["items"].as_array().unwrap_or_else(|| panic!("{page}"));
        assert!(items.len() <= 5, "{page}");
        paged.extend(entry_ids(items));
        pages += 1;
        assert!(pages < 100, "paging does not end");
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, entry_ids(&all), "paging with limit=5");
    // Paging a filtered list keeps the filter.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{AUDIT}?entity=account&limit=1");
        if let Some(c) = &cursor {
            path = with_query(&path, "cursor", c);
        }
        let page = app.fetch(&path).await;
        paged.extend(entry_ids(page["items"].as_array().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, expect(&|e| e["entity"] == "account"));
}
both_backends!(filters_select_exactly_the_matching_entries_and_paging_visits_each_once);

async fn the_default_page_has_50_entries_and_limit_may_be_1_to_200(app: &mut TestApp) {
    for i in 0..55 {
        app.new_account(&format!("Account {i}")).await;
    }
    let page = app.fetch(AUDIT).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 50, "default limit");
    assert!(page["next_cursor"].is_string(), "{}", page["next_cursor"]);
    let page = app.fetch(&format!("{AUDIT}?limit=1")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // Pages go up to 200 entries, as in every list.
    let page = app.fetch(&format!("{AUDIT}?limit=200")).await;
    let n = page["items"].as_array().unwrap().len();
    assert!(n >= 56, "limit=200 shows all {n}");
    assert!(page["next_cursor"].is_null());
}
both_backends!(the_default_page_has_50_entries_and_limit_may_be_1_to_200);

async fn bad_or_unknown_query_parameters_are_refused_naming_them(app: &mut TestApp) {
    app.new_account("Something to list").await;
    let mut problems = Vec::new();
    for (query, field) in [
        ("entity_id=nope", "entity_id"),
        ("actor_id=nope", "actor_id"),
        ("action=explode", "action"),
        ("entity=spaceship", "entity"),
        ("since=yesterday", "since"),
        ("until=2025-13-45", "until"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("cursor=garbage", "cursor"),
        ("colour=red", "colour"),
        ("entity_type=account", "entity_type"),
        ("action=update&action=delete", "action"),
    ] {
        let res = app.get(&format!("{AUDIT}?{query}")).await;
        if let Some(problem) = res.error_mismatch(400, "bad_request", &[field]) {
            problems.push(problem);
        }
    }
    assert!(
        problems.is_empty(),
        "{} query(ies) not refused naming the parameter:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
both_backends!(bad_or_unknown_query_parameters_are_refused_naming_them);

// ---- who may read ----------------------------------------------------------

async fn only_managers_legal_and_admins_read_the_audit_log(app: &mut TestApp) {
    app.new_account("Audited").await;
    for (role, status) in [
        ("rep", 403),
        ("marketing", 403),
        ("manager", 200),
        ("legal", 200),
    ] {
        let (_, _, _, token) = signed_in(app, role).await;
        let res = app.request_as(Some(&token), Method::GET, AUDIT, None).await;
        if status == 403 {
            res.assert_error(403, "forbidden", &[]);
        } else {
            assert_eq!(res.status, 200, "{role}: {res}");
            assert!(!res.body["items"].as_array().unwrap().is_empty(), "{res}");
        }
        // Filters do not open a way around it.
        let res = app
            .request_as(
                Some(&token),
                Method::GET,
                &format!("{AUDIT}?entity=account"),
                None,
            )
            .await;
        assert_eq!(res.status, status, "{role}: {res}");
    }
    app.request_as(None, Method::GET, AUDIT, None)
        .await
        .assert_error(401, "unauthorized", &[]);
}
both_backends!(only_managers_legal_and_admins_read_the_audit_log);

// ---- append-only -----------------------------------------------------------

async fn no_route_and_no_statement_changes_the_audit_log(app: &mut TestApp) {
    let account = app.new_account("Audited").await;
    app.patch_json(
        &format!("{ACCOUNTS}/{account}"),
        &json!({ "version": 1, "name": "Changed" }),
    )
    .await
    .expect(200);
    let before = entries(app, "").await;
    let some_entry = id_of(&before[0]);

    for (method, path) in [
        (Method::DELETE, AUDIT.to_string()),
        (Method::PATCH, AUDIT.to_string()),
        (Method::PUT, AUDIT.to_string()),
        (Method::POST, AUDIT.to_string()),
        (Method::DELETE, format!("{AUDIT}/{some_entry}")),
        (Method::PATCH, format!("{AUDIT}/{some_entry}")),
        (Method::PUT, format!("{AUDIT}/{some_entry}")),
    ] {
        let res = app
            .request(
                method.clone(),
                &path,
                Some(&json!({ "action": "delete", "changes": {} })),
            )
            .await;
        assert!(
            res.status == 404 || res.status == 405,
            "{method} {path} should be 404 or 405: {res}"
        );
    }
    assert_eq!(
        entries(app, "").await,
        before,
        "a request changed the audit log"
    );

    // Below HTTP, the database refuses too.
    let rows = audit_rows(app).await;
    assert!(rows >= 2);
    let store = app.store().await;
    let mut statements = vec![
        "UPDATE audit_log SET action = 'delete'".to_string(),
        format!("UPDATE audit_log SET changes = '{{}}' WHERE id = '{some_entry}'"),
        "DELETE FROM audit_log".to_string(),
        format!("DELETE FROM audit_log WHERE id = '{some_entry}'"),
    ];
    if app.backend == common::Backend::Postgres {
        statements.push("TRUNCATE audit_log".to_string());
    }
    for statement in statements {
        let mut tx = store.begin().await.expect("begin");
        let result = tx.execute(&Sql::new(statement.as_str())).await;
        assert!(
            result.is_err(),
            "the database accepted `{statement}`: {result:?}"
        );
        drop(tx);
    }
    store.close().await;
    assert_eq!(audit_rows(app).await, rows);
    assert_eq!(
        entries(app, "").await,
        before,
        "a statement changed the audit log"
    );
}
both_backends!(no_route_and_no_statement_changes_the_audit_log);

// ---- the command line ------------------------------------------------------

fn dealdraft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DEALDRAFT_ADDR")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

/// Runs `dealdraft user add ARGS` on the database at `url` (given as
/// `DATABASE_URL`, as tests/cli.rs does), off the async runtime.
async fn user_add(url: &str, args: &[&str]) -> Output {
    let mut cmd = dealdraft();
    cmd.env("DATABASE_URL", url)
        .args(["user", "add"])
        .args(args);
    tokio::task::spawn_blocking(move || cmd.output().expect("run dealdraft"))
        .await
        .expect("join")
}

/// The UUID printed on standard output.
fn printed_id(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split(|c: char| c.is_whitespace() || c == '`' || c == '"' || c == '\'')
        .find_map(|word| Uuid::parse_str(word).ok())
        .unwrap_or_else(|| panic!("no user id printed: {stdout:?}"))
        .to_string()
}

async fn a_user_added_on_the_command_line_is_audited_as_the_system_user_or_the_given_one(
    app: &mut TestApp,
) {
    let url = app.database_url().to_string();
    let password = "cli-secret-password-1";

    // Without --as: the system user.
    let out = user_add(
        &url,
        &[
            "--email",
            "cli.one@example.com",
            "--name",
            "Cli One",
            "--role",
            "rep",
            "--password",
            password,
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = printed_id(&out);
    let entry = only(
        &entries(app, &format!("entity=user&entity_id={first}")).await,
        "the CLI user add",
    );
    assert_eq!(entry["action"], "create");
    assert_actor(&entry, SYSTEM_ID, SYSTEM_EMAIL, "cli");
    assert!(
        entry["request_id"].is_null(),
        "a CLI action has no request: {entry}"
    );
    assert_eq!(
        entry["changes"]["email"]["after"], "cli.one@example.com",
        "{entry}"
    );
    assert_eq!(entry["changes"]["role"]["after"], "rep", "{entry}");

    // --as right after `user add`: that user.
    let out = user_add(
        &url,
        &[
            "--as",
            ADMIN_EMAIL,
            "--email",
            "cli.two@example.com",
            "--name",
            "Cli Two",
            "--role",
            "manager",
            "--password",
            password,
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = printed_id(&out);
    let entry = only(
        &entries(app, &format!("entity=user&entity_id={second}")).await,
        "the CLI user add --as",
    );
    assert_eq!(entry["action"], "create");
    assert_actor(&entry, &app.admin_id, ADMIN_EMAIL, "cli");
    assert_eq!(entry["actor"]["name"], "Test Admin");
    // The actor filter finds it.
    let by_admin = entries(app, &format!("actor_id={}&entity=user", app.admin_id)).await;
    assert!(by_admin.iter().any(|e| e["entity_id"] == second.as_str()));

    // --as someone who does not exist: refused, nothing written.
    let rows = audit_rows(app).await;
    let out = user_add(
        &url,
        &[
            "--as",
            "nobody@example.com",
            "--email",
            "cli.three@example.com",
            "--name",
            "Cli Three",
            "--role",
            "rep",
            "--password",
            password,
        ],
    )
    .await;
    assert!(!out.status.success(), "--as an unknown user succeeded");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nobody@example.com"),
        "the error should name the email: {stderr}"
    );
    assert_eq!(
        audit_rows(app).await,
        rows,
        "a refused CLI action was audited"
    );
    let users = app.list_all(USERS).await;
    assert!(
        !users.iter().any(|u| u["email"] == "cli.three@example.com"),
        "a refused CLI action created the user"
    );
    assert!(users.iter().any(|u| u["email"] == "cli.two@example.com"));

    // The password appears nowhere in the log.
    let everything = serde_json::to_string(&entries(app, "").await).unwrap();
    assert!(!everything.contains(password), "{everything}");
    assert!(!everything.contains("$argon2"), "{everything}");
}
both_backends!(a_user_added_on_the_command_line_is_audited_as_the_system_user_or_the_given_one);
