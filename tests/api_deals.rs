//! Deals: CRUD, probability defaults, stage history, validation, the deal's
//! contacts and list filters.

mod common;

use common::{TestApp, both_backends, check_crud, id_of, new_id, same_value, sorted, ts};
use serde_json::{Value, json};

const DEALS: &str = "/api/v1/deals";

async fn a_deal_can_be_created_read_listed_patched_and_deleted(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let contact = app.new_contact(&account, "Schmidt").await;
    check_crud(
        app,
        DEALS,
        json!({
            "name": "Acme fleet renewal",
            "account_id": account,
            "primary_contact_id": contact,
            "owner_id": app.admin_id,
            "stage": "qualified",
            "amount": "48000.00",
            "currency": "EUR",
            "probability": 30,
            "expected_close_date": "2025-06-30",
            "next_step": "Send proposal",
            "next_step_date": "2025-05-01",
            "lost_reason": "none yet",
        }),
        json!({ "name": "Acme fleet renewal 2", "stage": "negotiation", "amount": "52000.50" }),
        "next_step",
    )
    .await;
}
both_backends!(a_deal_can_be_created_read_listed_patched_and_deleted);

async fn a_new_deal_starts_as_a_lead_without_amount(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let deal = app
        .create(DEALS, json!({ "name": "Minimal", "account_id": account }))
        .await;
    assert_eq!(deal["stage"], "lead");
    assert_eq!(deal["owner_id"], app.admin_id);
    assert_eq!(deal["account_id"], account.as_str());
    for optional in [
        "primary_contact_id",
        "amount",
        "currency",
        "expected_close_date",
        "next_step",
        "next_step_date",
        "lost_reason",
    ] {
        assert!(
            deal[optional].is_null(),
            "`{optional}` should be null: {deal}"
        );
    }
    // Money is a decimal string.
    let priced = app
        .create(
            DEALS,
            json!({ "name": "Priced", "account_id": account, "amount": "48000.00", "currency": "EUR" }),
        )
        .await;
    assert!(
        priced["amount"].is_string(),
        "amount must be a decimal string: {priced}"
    );
    assert!(
        same_value(&json!("48000.00"), &priced["amount"]),
        "{priced}"
    );
    assert_eq!(priced["currency"], "EUR");
}
both_backends!(a_new_deal_starts_as_a_lead_without_amount);

#[track_caller]
fn assert_probability(deal: &Value, probability: i64, is_default: bool) {
    assert_eq!(
        deal["probability"].as_f64(),
        Some(probability as f64),
        "probability: {deal}"
    );
    assert_eq!(
        deal["probability_is_default"], is_default,
        "probability_is_default: {deal}"
    );
}

async fn probability_follows_the_stage_until_set_and_null_returns_to_the_default(
    app: &mut TestApp,
) {
    let account = app.new_account("Acme").await;
    let defaults = [
        ("lead", 10),
        ("qualified", 25),
        ("proposal", 50),
        ("negotiation", 75),
        ("won", 100),
        ("lost", 0),
    ];
    // Created in each stage: the stage's default.
    for (stage, probability) in defaults {
        let deal = app
            .create(
                DEALS,
                json!({ "name": stage, "account_id": account, "stage": stage }),
            )
            .await;
        assert_probability(&deal, probability, true);
    }

    // Without a stage: lead, 10; it follows every stage change.
    let deal = app
        .create(DEALS, json!({ "name": "Moving", "account_id": account }))
        .await;
    assert_probability(&deal, 10, true);
    let path = format!("{DEALS}/{}", id_of(&deal));
    let mut version = 1;
    for (stage, probability) in defaults {
        if stage == "lead" {
            continue;
        }
        let deal = app
            .patch_json(&path, &json!({ "version": version, "stage": stage }))
            .await
            .expect(200);
        version += 1;
        assert_probability(&deal, probability, true);
        assert_probability(&app.fetch(&path).await, probability, true);
    }

    // An explicit probability sticks through stage changes.
    let deal = app
        .patch_json(
            &path,
            &json!({ "version": version, "stage": "qualified", "probability": 40 }),
        )
        .await
        .expect(200);
    version += 1;
    assert_probability(&deal, 40, false);
    let deal = app
        .patch_json(&path, &json!({ "version": version, "stage": "proposal" }))
        .await
        .expect(200);
    version += 1;
    assert_probability(&deal, 40, false);
    assert_probability(&app.fetch(&path).await, 40, false);

    // null returns to the stage default, which then follows the stage again.
    let deal = app
        .patch_json(&path, &json!({ "version": version, "probability": null }))
        .await
        .expect(200);
    version += 1;
    assert_probability(&deal, 50, true);
    let deal = app
        .patch_json(
            &path,
            &json!({ "version": version, "stage": "negotiation" }),
        )
        .await
        .expect(200);
    assert_probability(&deal, 75, true);

    // Explicit on create is explicit, 0 included.
    let deal = app
        .create(
            DEALS,
            json!({ "name": "Sure", "account_id": account, "probability": 90 }),
        )
        .await;
    assert_probability(&deal, 90, false);
    let deal = app
        .create(
            DEALS,
            json!({ "name": "Zero", "account_id": account, "stage": "proposal", "probability": 0 }),
        )
        .await;
    assert_probability(&deal, 0, false);

    // Out of range.
    for bad in [json!(101), json!(-1)] {
        app.post_json(
            DEALS,
            &json!({ "name": "Bad", "account_id": account, "probability": bad }),
        )
        .await
        .assert_error(422, "validation_failed", &["probability"]);
    }
}
both_backends!(probability_follows_the_stage_until_set_and_null_returns_to_the_default);

async fn stage_history_records_creation_and_every_stage_change(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let deal = app
        .create(DEALS, json!({ "name": "Tracked", "account_id": account }))
        .await;
    let id = id_of(&deal);
    let path = format!("{DEALS}/{id}");
    let history_path = format!("{path}/stage-history");

    let history = app.fetch(&history_path).await;
    let items = history["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{history}");
    assert!(items[0]["from_stage"].is_null(), "{history}");
    assert_eq!(items[0]["to_stage"], "lead");
    assert_eq!(items[0]["changed_by"], app.admin_id);
    ts(&items[0]["changed_at"]);

    app.patch_json(&path, &json!({ "version": 1, "stage": "qualified" }))
        .await
        .expect(200);
    // Not stage changes: another field, and the same stage again.
    app.patch_json(&path, &json!({ "version": 2, "name": "Tracked (renamed)" }))
        .await
        .expect(200);
    app.patch_json(&path, &json!({ "version": 3, "stage": "qualified" }))
        .await
        .expect(200);
    app.patch_json(
        &path,
        &json!({ "version": 4, "stage": "lost", "lost_reason": "price" }),
    )
    .await
    .expect(200);

    let history = app.fetch(&history_path).await;
    let items = history["items"].as_array().expect("items");
    let steps: Vec<(Value, Value)> = items
        .iter()
        .map(|i| (i["from_stage"].clone(), i["to_stage"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("lead")),
            (json!("lead"), json!("qualified")),
            (json!("qualified"), json!("lost")),
        ],
        "{history}"
    );
    for item in items {
        assert_eq!(item["changed_by"], app.admin_id);
    }
    assert!(ts(&items[1]["changed_at"]) >= ts(&items[0]["changed_at"]));
    assert!(ts(&items[2]["changed_at"]) >= ts(&items[1]["changed_at"]));

    // A deal created in a later stage starts its history there.
    let won = app
        .create(
            DEALS,
            json!({ "name": "Won", "account_id": account, "stage": "won" }),
        )
        .await;
    let history = app
        .fetch(&format!("{DEALS}/{}/stage-history", id_of(&won)))
        .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "{history}");
    assert!(history["items"][0]["from_stage"].is_null());
    assert_eq!(history["items"][0]["to_stage"], "won");

    app.get(&format!("{DEALS}/{}/stage-history", new_id()))
        .await
        .assert_error(404, "not_found", &[]);
}
both_backends!(stage_history_records_creation_and_every_stage_change);

async fn invalid_deals_are_refused_naming_the_field(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let globex = app.new_account("Globex").await;
    let acme_contact = app.new_contact(&acme, "Acme-Person").await;
    let globex_contact = app.new_contact(&globex, "Globex-Person").await;
    let before = app.snapshot(DEALS).await;

    let cases = [
        (json!({ "account_id": acme }), "name"),
        (json!({ "name": "No account" }), "account_id"),
        (
            json!({ "name": "Ghost account", "account_id": new_id() }),
            "account_id",
        ),
        (
            json!({ "name": "Foreign contact", "account_id": acme, "primary_contact_id": globex_contact }),
            "primary_contact_id",
        ),
        (
            json!({ "name": "Ghost contact", "account_id": acme, "primary_contact_id": new_id() }),
            "primary_contact_id",
        ),
        (
            json!({ "name": "No currency", "account_id": acme, "amount": "100.00" }),
            "currency",
        ),
        (
            json!({ "name": "Bad currency", "account_id": acme, "amount": "100.00", "currency": "XYZ" }),
            "currency",
        ),
        (
            json!({ "name": "Bad amount", "account_id": acme, "amount": "lots", "currency": "EUR" }),
            "amount",
        ),
        (
            json!({ "name": "Bad date", "account_id": acme, "expected_close_date": "2025-02-30" }),
            "expected_close_date",
        ),
        (
            json!({ "name": "Bad date", "account_id": acme, "next_step_date": "30.06.2025" }),
            "next_step_date",
        ),
        (
            json!({ "name": "Bad stage", "account_id": acme, "stage": "closed" }),
            "stage",
        ),
        (
            json!({ "name": "Bad owner", "account_id": acme, "owner_id": new_id() }),
            "owner_id",
        ),
    ];
    for (body, field) in cases {
        app.post_json(DEALS, &body)
            .await
            .assert_error(422, "validation_failed", &[field]);
    }
    assert_eq!(
        app.snapshot(DEALS).await,
        before,
        "a refused create wrote a deal"
    );

    // The same rules on PATCH.
    let deal = app
        .create(
            DEALS,
            json!({ "name": "Valid", "account_id": acme, "primary_contact_id": acme_contact, "amount": "10.00", "currency": "EUR" }),
        )
        .await;
    let path = format!("{DEALS}/{}", id_of(&deal));
    let patches: [(Value, &[&str]); 5] = [
        (
            json!({ "version": 1, "primary_contact_id": globex_contact }),
            &["primary_contact_id"],
        ),
        (json!({ "version": 1, "currency": null }), &["currency"]),
        (
            json!({ "version": 1, "probability": 150 }),
            &["probability"],
        ),
        (json!({ "version": 1, "stage": "closed" }), &["stage"]),
        // The primary contact would no longer be a contact of the deal's account.
        (json!({ "version": 1, "account_id": globex }), &[]),
    ];
    for (body, fields) in patches {
        app.patch_json(&path, &body)
            .await
            .assert_error(422, "validation_failed", fields);
    }
    let unchanged = app.fetch(&path).await;
    assert_eq!(
        unchanged["version"], 1,
        "a refused PATCH wrote: {unchanged}"
    );
    assert_eq!(unchanged["primary_contact_id"], acme_contact.as_str());
    assert_eq!(unchanged["currency"], "EUR");
    assert_eq!(unchanged["account_id"], acme.as_str());
}
both_backends!(invalid_deals_are_refused_naming_the_field);

fn deal_contacts(deal: &str) -> String {
    format!("{DEALS}/{deal}/contacts")
}

/// `(contact_id, role)` pairs, sorted; also checks each embedded contact.
fn roles(page: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .map(|item| {
            assert_eq!(
                item["contact"]["id"], item["contact_id"],
                "embedded contact: {item}"
            );
            (
                item["contact_id"].as_str().unwrap().to_string(),
                item["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn putting_a_deals_contacts_replaces_the_set_with_roles(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let c1 = app.new_contact(&acme, "Eins").await;
    let c2 = app.new_contact(&acme, "Zwei").await;
    let c3 = app.new_contact(&acme, "Drei").await;
    let deal = app.new_deal(&acme, "Deal").await;
    let path = deal_contacts(&deal);
    assert_eq!(app.fetch(&path).await["items"], json!([]));

    app.put_json(
        &path,
        &json!({ "contacts": [
            { "contact_id": c1, "role": "decision_maker" },
            { "contact_id": c2, "role": "champion" },
        ] }),
    )
    .await
    .expect_success();
    let page = app.fetch(&path).await;
    let mut expected = vec![
        (c1.clone(), "decision_maker".to_string()),
        (c2.clone(), "champion".to_string()),
    ];
    expected.sort();
    assert_eq!(roles(&page), expected);
    let embedded = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["contact_id"] == c1.as_str())
        .unwrap();
    assert_eq!(embedded["contact"]["last_name"], "Eins", "{page}");

    // Replaces, not merges; every role is accepted.
    for role in [
        "influencer",
        "blocker",
        "user",
        "decision_maker",
        "champion",
    ] {
        app.put_json(
            &path,
            &json!({ "contacts": [{ "contact_id": c3, "role": role }] }),
        )
        .await
        .expect_success();
        assert_eq!(
            roles(&app.fetch(&path).await),
            vec![(c3.clone(), role.to_string())]
        );
    }
    let current = vec![(c3.clone(), "champion".to_string())];

    // Unknown role, a contact twice, a contact that does not exist: 422, set unchanged.
    let refused = [
        json!({ "contacts": [{ "contact_id": c1, "role": "sponsor" }] }),
        json!({ "contacts": [
            { "contact_id": c1, "role": "champion" },
            { "contact_id": c1, "role": "blocker" },
        ] }),
        json!({ "contacts": [
            { "contact_id": c2, "role": "user" },
            { "contact_id": c2, "role": "user" },
        ] }),
        json!({ "contacts": [{ "contact_id": "not-a-uuid", "role": "user" }] }),
        json!({ "contacts": [{ "contact_id": new_id(), "role": "user" }] }),
    ];
    for body in refused {
        let res = app.put_json(&path, &body).await;
        res.assert_error(422, "validation_failed", &[]);
        assert_eq!(
            roles(&app.fetch(&path).await),
            current,
            "after refused {body}"
        );
    }

    // An empty set clears.
    app.put_json(&path, &json!({ "contacts": [] }))
        .await
        .expect_success();
    assert_eq!(app.fetch(&path).await["items"], json!([]));

    app.get(&deal_contacts(&new_id()))
        .await
        .assert_error(404, "not_found", &[]);
}
both_backends!(putting_a_deals_contacts_replaces_the_set_with_roles);

async fn deal_filters_select_exactly_the_matching_deals(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let globex = app.new_account("Globex").await;
    let mk = |name: &str, account: &str, stage: &str, close: &str| json!({ "name": name, "account_id": account, "stage": stage, "expected_close_date": close });
    let d10 = id_of(
        &app.create(DEALS, mk("d10", &acme, "lead", "2025-01-10"))
            .await,
    );
    let d20 = id_of(
        &app.create(DEALS, mk("d20", &acme, "proposal", "2025-01-20"))
            .await,
    );
    let d30 = id_of(
        &app.create(DEALS, mk("d30", &globex, "proposal", "2025-01-30"))
            .await,
    );

    let app: &TestApp = app;
    let list = |q: String| format!("{DEALS}?{q}");
    let get = |q: &str| {
        let path = list(q.to_string());
        async move { app.list_ids(&path).await }
    };
    assert_eq!(
        sorted(get(&format!("account_id={acme}")).await),
        sorted(vec![d10.clone(), d20.clone()])
    );
    assert_eq!(
        get(&format!("account_id={globex}")).await,
        vec![d30.clone()]
    );
    assert_eq!(
        sorted(get("stage=proposal").await),
        sorted(vec![d20.clone(), d30.clone()])
    );
    assert_eq!(get("stage=lead").await, vec![d10.clone()]);
    assert!(get("stage=won").await.is_empty());
    assert_eq!(
        sorted(get(&format!("owner_id={}", app.admin_id)).await),
        sorted(vec![d10.clone(), d20.clone(), d30.clone()])
    );
    assert!(get(&format!("owner_id={}", new_id())).await.is_empty());
    // Inclusive date bounds.
    assert_eq!(
        sorted(get("closing_before=2025-01-20").await),
        sorted(vec![d10.clone(), d20.clone()])
    );
    assert_eq!(get("closing_before=2025-01-19").await, vec![d10.clone()]);
    assert_eq!(
        sorted(get("closing_after=2025-01-20").await),
        sorted(vec![d20.clone(), d30.clone()])
    );
    assert_eq!(get("closing_after=2025-01-21").await, vec![d30.clone()]);
    assert_eq!(
        get("closing_after=2025-01-20&closing_before=2025-01-20").await,
        vec![d20.clone()]
    );
    assert!(
        get("closing_after=2025-01-11&closing_before=2025-01-19")
            .await
            .is_empty()
    );
    assert_eq!(
        get(&format!("account_id={acme}&stage=proposal")).await,
        vec![d20.clone()]
    );

    app.get(&list("stage=closed".into()))
        .await
        .assert_error(400, "bad_request", &["stage"]);
    app.get(&list("closing_before=soon".into()))
        .await
        .assert_error(400, "bad_request", &["closing_before"]);
    app.get(&list("closing_after=2025-13-01".into()))
        .await
        .assert_error(400, "bad_request", &["closing_after"]);
}
both_backends!(deal_filters_select_exactly_the_matching_deals);

async fn deleting_a_deal_with_activities_is_refused(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let deal = app.new_deal(&acme, "Busy deal").await;
    app.create(
        "/api/v1/activities",
        json!({ "kind": "meeting", "subject": "Demo", "deal_id": deal }),
    )
    .await;
    app.delete(&format!("{DEALS}/{deal}"))
        .await
        .assert_error(409, "conflict", &[]);
    assert_eq!(
        app.fetch(&format!("{DEALS}/{deal}")).await["name"],
        "Busy deal"
    );
}
both_backends!(deleting_a_deal_with_activities_is_refused);

async fn an_amount_may_not_have_more_decimals_than_its_currency(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    for (amount, currency) in [
        ("10.12", "EUR"),
        ("10", "EUR"),
        ("100", "JPY"),
        ("1.234", "BHD"),
    ] {
        let deal = app
            .create(
                DEALS,
                json!({ "name": "Fine", "account_id": acme, "amount": amount, "currency": currency }),
            )
            .await;
        assert!(same_value(&json!(amount), &deal["amount"]), "{deal}");
        assert_eq!(deal["currency"], currency);
    }
    let before = app.snapshot(DEALS).await;
    for (amount, currency) in [("10.123", "EUR"), ("100.5", "JPY"), ("1.2345", "BHD")] {
        app.post_json(
            DEALS,
            &json!({ "name": "Too precise", "account_id": acme, "amount": amount, "currency": currency }),
        )
        .await
        .assert_error(422, "validation_failed", &["amount"]);
    }
    assert_eq!(app.snapshot(DEALS).await, before);

    // Also when only the currency changes.
    let deal = app
        .create(
            DEALS,
            json!({ "name": "Euro", "account_id": acme, "amount": "10.50", "currency": "EUR" }),
        )
        .await;
    let path = format!("{DEALS}/{}", id_of(&deal));
    app.patch_json(&path, &json!({ "version": 1, "currency": "JPY" }))
        .await
        .assert_error(422, "validation_failed", &["amount"]);
    assert_eq!(app.fetch(&path).await["currency"], "EUR");
}
both_backends!(an_amount_may_not_have_more_decimals_than_its_currency);
