//! Activities, profile questions and profiling answers.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, both_backends, check_crud, id_of, new_id, same_value, sorted, ts};
use serde_json::{Value, json};

const ACTIVITIES: &str = "/api/v1/activities";
const QUESTIONS: &str = "/api/v1/profile-questions";

// ---- activities ------------------------------------------------------------

async fn an_activity_can_be_created_read_listed_patched_and_deleted(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let contact = app.new_contact(&account, "Schmidt").await;
    let deal = app.new_deal(&account, "Deal").await;
    check_crud(
        app,
        ACTIVITIES,
        json!({
            "kind": "meeting",
            "subject": "Kick-off",
            "body": "Agenda: scope, timeline, budget",
            "occurred_at": "2025-03-04T10:00:00Z",
            "account_id": account,
            "contact_id": contact,
            "deal_id": deal,
            "owner_id": app.admin_id,
        }),
        json!({ "kind": "call", "subject": "Kick-off (moved to a call)", "occurred_at": "2025-03-05T09:30:00Z" }),
        "body",
    )
    .await;
}
both_backends!(an_activity_can_be_created_read_listed_patched_and_deleted);

async fn an_activity_defaults_to_now_and_needs_a_kind_a_subject_and_a_link(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let before = Utc::now() - Duration::seconds(5);
    let activity = app
        .create(
            ACTIVITIES,
            json!({ "kind": "note", "subject": "Noted", "account_id": account }),
        )
        .await;
    let after = Utc::now() + Duration::seconds(5);
    let occurred = ts(&activity["occurred_at"]);
    assert!(
        before <= occurred && occurred <= after,
        "occurred_at defaults to now: {activity}"
    );
    assert_eq!(activity["owner_id"], app.admin_id);
    assert!(activity["contact_id"].is_null() && activity["deal_id"].is_null());
    let snapshot = app.snapshot(ACTIVITIES).await;

    let cases: [(Value, &[&str]); 8] = [
        (
            json!({ "subject": "No kind", "account_id": account }),
            &["kind"],
        ),
        (
            json!({ "kind": "call", "account_id": account }),
            &["subject"],
        ),
        (
            json!({ "kind": "fax", "subject": "Fax", "account_id": account }),
            &["kind"],
        ),
        (json!({ "kind": "call", "subject": "Unlinked" }), &[]),
        (
            json!({ "kind": "call", "subject": "Ghost", "account_id": new_id() }),
            &["account_id"],
        ),
        (
            json!({ "kind": "call", "subject": "Ghost", "contact_id": new_id() }),
            &["contact_id"],
        ),
        (
            json!({ "kind": "call", "subject": "Ghost", "deal_id": new_id() }),
            &["deal_id"],
        ),
        (
            json!({ "kind": "call", "subject": "When?", "account_id": account, "occurred_at": "last tuesday" }),
            &["occurred_at"],
        ),
    ];
    for (body, fields) in cases {
        app.post_json(ACTIVITIES, &body)
            .await
            .assert_error(422, "validation_failed", fields);
    }
    assert_eq!(
        app.snapshot(ACTIVITIES).await,
        snapshot,
        "a refused create wrote something"
    );

    // Clearing the only link is refused.
    let path = format!("{ACTIVITIES}/{}", id_of(&activity));
    app.patch_json(&path, &json!({ "version": 1, "account_id": null }))
        .await
        .assert_error(422, "validation_failed", &[]);
    app.patch_json(&path, &json!({ "version": 1, "subject": null }))
        .await
        .assert_error(422, "validation_failed", &["subject"]);
    assert_eq!(app.fetch(&path).await["version"], 1);
}
both_backends!(an_activity_defaults_to_now_and_needs_a_kind_a_subject_and_a_link);

async fn activity_filters_select_exactly_the_matching_activities(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let globex = app.new_account("Globex").await;
    // A contact without an account, so no activity's account depends on
    // whether the server fills `account_id` in from the contact or deal.
    let contact = id_of(
        &app.create("/api/v1/contacts", json!({ "last_name": "Freelancer" }))
            .await,
    );
    let deal = app.new_deal(&acme, "Deal").await;
    let call = id_of(
        &app.create(
            ACTIVITIES,
            json!({ "kind": "call", "subject": "a", "account_id": acme }),
        )
        .await,
    );
    let email = id_of(
        &app.create(
            ACTIVITIES,
            json!({ "kind": "email", "subject": "b", "contact_id": contact }),
        )
        .await,
    );
    let meeting = id_of(
        &app.create(
            ACTIVITIES,
            json!({ "kind": "meeting", "subject": "c", "deal_id": deal, "account_id": globex }),
        )
        .await,
    );
    let note = id_of(
        &app.create(
            ACTIVITIES,
            json!({ "kind": "note", "subject": "d", "account_id": acme, "contact_id": contact, "deal_id": deal }),
        )
        .await,
    );

    let app: &TestApp = app;
    let get = |q: String| {
        let path = format!("{ACTIVITIES}?{q}");
        async move { sorted(app.list_ids(&path).await) }
    };
    assert_eq!(
        get(format!("account_id={acme}")).await,
        sorted(vec![call.clone(), note.clone()])
    );
    assert_eq!(
        get(format!("account_id={globex}")).await,
        vec![meeting.clone()]
    );
    assert_eq!(
        get(format!("contact_id={contact}")).await,
        sorted(vec![email.clone(), note.clone()])
    );
    assert_eq!(
        get(format!("deal_id={deal}")).await,
        sorted(vec![meeting.clone(), note.clone()])
    );
    assert_eq!(get("kind=call".into()).await, vec![call.clone()]);
    assert_eq!(get("kind=email".into()).await, vec![email.clone()]);
    assert_eq!(get("kind=meeting".into()).await, vec![meeting.clone()]);
    assert_eq!(get("kind=note".into()).await, vec![note.clone()]);
    assert_eq!(
        get(format!("owner_id={}", app.admin_id)).await,
        sorted(vec![
            call.clone(),
            email.clone(),
            meeting.clone(),
            note.clone()
        ])
    );
    assert!(get(format!("owner_id={}", new_id())).await.is_empty());
    assert_eq!(
        get(format!("account_id={acme}&kind=note")).await,
        vec![note.clone()]
    );
    app.get(&format!("{ACTIVITIES}?kind=fax"))
        .await
        .assert_error(400, "bad_request", &["kind"]);
    app.get(&format!("{ACTIVITIES}?deal_id=42"))
        .await
        .assert_error(400, "bad_request", &["deal_id"]);
}
both_backends!(activity_filters_select_exactly_the_matching_activities);

async fn an_activity_on_a_deal_or_contact_is_filed_under_its_account(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let globex = app.new_account("Globex").await;
    let contact = app.new_contact(&acme, "Schmidt").await;
    let deal = app.new_deal(&globex, "Globex deal").await;
    let on_contact = app
        .create(
            ACTIVITIES,
            json!({ "kind": "call", "subject": "Call", "contact_id": contact }),
        )
        .await;
    assert_eq!(on_contact["account_id"], acme.as_str(), "{on_contact}");
    let on_deal = app
        .create(
            ACTIVITIES,
            json!({ "kind": "meeting", "subject": "Demo", "deal_id": deal }),
        )
        .await;
    assert_eq!(on_deal["account_id"], globex.as_str(), "{on_deal}");
    assert_eq!(
        app.list_ids(&format!("{ACTIVITIES}?account_id={acme}"))
            .await,
        vec![id_of(&on_contact)]
    );
    assert_eq!(
        app.list_ids(&format!("{ACTIVITIES}?account_id={globex}"))
            .await,
        vec![id_of(&on_deal)]
    );
    // An explicit account stays.
    let explicit = app
        .create(
            ACTIVITIES,
            json!({ "kind": "note", "subject": "Note", "contact_id": contact, "account_id": globex }),
        )
        .await;
    assert_eq!(explicit["account_id"], globex.as_str());
}
both_backends!(an_activity_on_a_deal_or_contact_is_filed_under_its_account);

// ---- profile questions -----------------------------------------------------

async fn a_profile_question_can_be_created_read_listed_patched_and_deleted(app: &mut TestApp) {
    check_crud(
        app,
        QUESTIONS,
        json!({
            "key": "budget_range",
            "label": "Budget range",
            "help_text": "What the customer can spend this year",
            "kind": "choice",
            "options": ["small", "medium", "large"],
            "applies_to": "deal",
            "position": 5,
            "active": true,
        }),
        json!({ "label": "Budget", "active": false, "position": 7 }),
        "help_text",
    )
    .await;
}
both_backends!(a_profile_question_can_be_created_read_listed_patched_and_deleted);

async fn question_keys_options_and_positions_follow_the_rules(app: &mut TestApp) {
    let text = app
        .create(
            QUESTIONS,
            json!({ "key": "fleet_notes", "label": "Fleet notes", "kind": "text", "applies_to": "account" }),
        )
        .await;
    assert_eq!(text["active"], true, "active defaults to true: {text}");
    let snapshot = app.snapshot(QUESTIONS).await;

    let base =
        |key: &str| json!({ "key": key, "label": "L", "kind": "text", "applies_to": "account" });
    let mut cases: Vec<(Value, &str)> = Vec::new();
    for key in [
        "Budget",
        "1st_choice",
        "with-dash",
        "with space",
        "",
        "über",
    ] {
        cases.push((base(key), "key"));
    }
    let mut no_key = base("x");
    no_key.as_object_mut().unwrap().remove("key");
    cases.push((no_key, "key"));
    let mut no_label = base("no_label");
    no_label.as_object_mut().unwrap().remove("label");
    cases.push((no_label, "label"));
    let mut no_kind = base("no_kind");
    no_kind.as_object_mut().unwrap().remove("kind");
    cases.push((no_kind, "kind"));
    let mut no_applies = base("no_applies");
    no_applies.as_object_mut().unwrap().remove("applies_to");
    cases.push((no_applies, "applies_to"));
    cases.push((
        json!({ "key": "k1", "label": "L", "kind": "slider", "applies_to": "account" }),
        "kind",
    ));
    cases.push((
        json!({ "key": "k2", "label": "L", "kind": "text", "applies_to": "product" }),
        "applies_to",
    ));
    cases.push((
        json!({ "key": "k3", "label": "L", "kind": "choice", "applies_to": "deal" }),
        "options",
    ));
    cases.push((
        json!({ "key": "k4", "label": "L", "kind": "multi", "applies_to": "deal" }),
        "options",
    ));
    cases.push((
        json!({ "key": "k5", "label": "L", "kind": "text", "applies_to": "deal", "options": ["a", "b"] }),
        "options",
    ));
    cases.push((
        json!({ "key": "k6", "label": "L", "kind": "number", "applies_to": "deal", "options": ["a"] }),
        "options",
    ));
    for (body, field) in cases {
        app.post_json(QUESTIONS, &body)
            .await
            .assert_error(422, "validation_failed", &[field]);
    }
    // Unique key.
    app.post_json(QUESTIONS, &base("fleet_notes"))
        .await
        .assert_error(409, "conflict", &[]);
    assert_eq!(
        app.snapshot(QUESTIONS).await,
        snapshot,
        "a refused create wrote something"
    );

    // The key never changes.
    let path = format!("{QUESTIONS}/{}", id_of(&text));
    app.patch_json(&path, &json!({ "version": 1, "key": "other_key" }))
        .await
        .assert_error(422, "validation_failed", &["key"]);
    app.patch_json(&path, &json!({ "version": 1, "options": ["a"] }))
        .await
        .assert_error(422, "validation_failed", &["options"]);
    let unchanged = app.fetch(&path).await;
    assert_eq!(unchanged["key"], "fleet_notes");
    assert_eq!(unchanged["version"], 1);
}
both_backends!(question_keys_options_and_positions_follow_the_rules);

async fn questions_are_listed_by_position_and_new_ones_go_last(app: &mut TestApp) {
    let q = |key: &str, position: i64| json!({ "key": key, "label": key, "kind": "text", "applies_to": "account", "position": position });
    let a = id_of(&app.create(QUESTIONS, q("q_a", 30)).await);
    let b = id_of(&app.create(QUESTIONS, q("q_b", 10)).await);
    let c = id_of(&app.create(QUESTIONS, q("q_c", 20)).await);
    let d = app
        .create(
            QUESTIONS,
            json!({ "key": "q_d", "label": "D", "kind": "bool", "applies_to": "contact" }),
        )
        .await;
    assert!(
        d["position"].as_i64().is_some_and(|p| p > 30),
        "default position goes after the last one (30): {d}"
    );
    let d = id_of(&d);
    assert_eq!(
        app.list_ids(QUESTIONS).await,
        vec![b.clone(), c.clone(), a.clone(), d.clone()]
    );

    // Moving one moves it in the list.
    app.patch_json(
        &format!("{QUESTIONS}/{a}"),
        &json!({ "version": 1, "position": 1 }),
    )
    .await
    .expect(200);
    assert_eq!(app.list_ids(QUESTIONS).await, vec![a, b, c, d]);
}
both_backends!(questions_are_listed_by_position_and_new_ones_go_last);

async fn question_filters_select_by_applies_to_and_active(app: &mut TestApp) {
    let acc = id_of(&app.new_question("acc_q", "text", "account").await);
    let con = id_of(&app.new_question("con_q", "number", "contact").await);
    let deal = id_of(&app.new_question("deal_q", "choice", "deal").await);
    let inactive = id_of(
        &app.create(
            QUESTIONS,
            json!({ "key": "old_q", "label": "Old", "kind": "text", "applies_to": "account", "active": false }),
        )
        .await,
    );
    let app: &TestApp = app;
    let get = |q: &str| {
        let path = format!("{QUESTIONS}?{q}");
        async move { sorted(app.list_ids(&path).await) }
    };
    assert_eq!(
        get("applies_to=account").await,
        sorted(vec![acc.clone(), inactive.clone()])
    );
    assert_eq!(get("applies_to=contact").await, vec![con.clone()]);
    assert_eq!(get("applies_to=deal").await, vec![deal.clone()]);
    assert_eq!(get("active=false").await, vec![inactive.clone()]);
    assert_eq!(
        get("active=true").await,
        sorted(vec![acc.clone(), con.clone(), deal.clone()])
    );
    assert_eq!(
        get("applies_to=account&active=true").await,
        vec![acc.clone()]
    );
    app.get(&format!("{QUESTIONS}?applies_to=product"))
        .await
        .assert_error(400, "bad_request", &["applies_to"]);
    app.get(&format!("{QUESTIONS}?active=maybe"))
        .await
        .assert_error(400, "bad_request", &["active"]);
}
both_backends!(question_filters_select_by_applies_to_and_active);

// ---- answers ---------------------------------------------------------------

/// Questions of every kind for accounts, plus ones that must be refused on
/// accounts: for contacts, and inactive.
async fn answer_questions(app: &TestApp) {
    for (key, kind) in [
        ("a_text", "text"),
        ("a_number", "number"),
        ("a_date", "date"),
        ("a_bool", "bool"),
        ("a_choice", "choice"),
        ("a_multi", "multi"),
    ] {
        app.new_question(key, kind, "account").await;
    }
    app.new_question("contact_only", "text", "contact").await;
    app.create(
        QUESTIONS,
        json!({ "key": "retired", "label": "Retired", "kind": "text", "applies_to": "account", "active": false }),
    )
    .await;
}

fn answers_path(kind: &str, id: &str) -> String {
    format!("/api/v1/{kind}/{id}/answers")
}

/// `answers[key].value`, or `None` if the key is absent or cleared.
fn answer(answers: &Value, key: &str) -> Option<Value> {
    match &answers["answers"][key] {
        Value::Null => None,
        entry => match &entry["value"] {
            Value::Null => None,
            v => Some(v.clone()),
        },
    }
}

async fn answers_of_every_kind_are_stored_merged_and_cleared(app: &mut TestApp) {
    answer_questions(app).await;
    let account = app.new_account("Acme").await;
    let path = answers_path("accounts", &account);
    assert_eq!(app.fetch(&path).await, json!({ "answers": {} }));

    let values = json!({
        "a_text": "Fleet of 40 vans",
        "a_number": 42.5,
        "a_date": "2025-06-30",
        "a_bool": true,
        "a_choice": "medium",
        "a_multi": ["small", "large"],
    });
    let before = Utc::now() - Duration::seconds(5);
    app.put_json(&path, &values).await.expect_success();
    let after = Utc::now() + Duration::seconds(5);
    let got = app.fetch(&path).await;
    for (key, value) in values.as_object().unwrap() {
        let entry = &got["answers"][key];
        assert!(
            same_value(value, &entry["value"]),
            "{key}: expected {value}: {got}"
        );
        assert_eq!(entry["updated_by"], app.admin_id, "{key}: {got}");
        let at = ts(&entry["updated_at"]);
        assert!(
            before <= at && at <= after,
            "{key}: updated_at {at} not around now"
        );
    }
    assert_eq!(got["answers"].as_object().unwrap().len(), 6, "{got}");
    assert_eq!(got["answers"]["a_number"]["value"].as_f64(), Some(42.5));
    assert_eq!(got["answers"]["a_bool"]["value"], true);

    // Merge: keys not named are kept.
    app.put_json(
        &path,
        &json!({ "a_text": "Fleet of 45 vans", "a_number": 7 }),
    )
    .await
    .expect_success();
    let got = app.fetch(&path).await;
    assert_eq!(answer(&got, "a_text"), Some(json!("Fleet of 45 vans")));
    assert_eq!(answer(&got, "a_number").and_then(|v| v.as_f64()), Some(7.0));
    assert_eq!(answer(&got, "a_date"), Some(json!("2025-06-30")));
    assert_eq!(answer(&got, "a_bool"), Some(json!(true)));
    assert_eq!(answer(&got, "a_choice"), Some(json!("medium")));
    assert_eq!(answer(&got, "a_multi"), Some(json!(["small", "large"])));

    // false is a value, not a clear.
    app.put_json(&path, &json!({ "a_bool": false }))
        .await
        .expect_success();
    assert_eq!(
        answer(&app.fetch(&path).await, "a_bool"),
        Some(json!(false))
    );

    // null clears a key, and only that key.
    app.put_json(&path, &json!({ "a_bool": null, "a_multi": null }))
        .await
        .expect_success();
    let got = app.fetch(&path).await;
    assert_eq!(answer(&got, "a_bool"), None, "{got}");
    assert_eq!(answer(&got, "a_multi"), None, "{got}");
    assert_eq!(answer(&got, "a_choice"), Some(json!("medium")));
    assert_eq!(answer(&got, "a_text"), Some(json!("Fleet of 45 vans")));

    // Contacts and deals have answers too, each for their own questions.
    let contact = app.new_contact(&account, "Schmidt").await;
    let deal_q = app.new_question("deal_size", "number", "deal").await;
    let deal = app.new_deal(&account, "Deal").await;
    app.put_json(
        &answers_path("contacts", &contact),
        &json!({ "contact_only": "likes golf" }),
    )
    .await
    .expect_success();
    app.put_json(&answers_path("deals", &deal), &json!({ "deal_size": 3 }))
        .await
        .expect_success();
    let contact_answers = app.fetch(&answers_path("contacts", &contact)).await;
    assert_eq!(
        answer(&contact_answers, "contact_only"),
        Some(json!("likes golf"))
    );
    assert_eq!(
        contact_answers["answers"]["contact_only"]["updated_by"],
        app.admin_id
    );
    let deal_answers = app.fetch(&answers_path("deals", &deal)).await;
    assert_eq!(
        answer(&deal_answers, "deal_size").and_then(|v| v.as_f64()),
        Some(3.0)
    );
    assert_eq!(deal_q["applies_to"], "deal");

    for kind in ["accounts", "contacts", "deals"] {
        app.get(&answers_path(kind, &new_id()))
            .await
            .assert_error(404, "not_found", &[]);
    }
}
both_backends!(answers_of_every_kind_are_stored_merged_and_cleared);

async fn invalid_answers_are_refused_naming_the_key_and_nothing_is_written(app: &mut TestApp) {
    answer_questions(app).await;
    let account = app.new_account("Acme").await;
    let path = answers_path("accounts", &account);
    app.put_json(
        &path,
        &json!({ "a_text": "original", "a_number": 1, "a_choice": "small" }),
    )
    .await
    .expect_success();
    let stored = app.fetch(&path).await;

    let bad = [
        ("a_text", json!(5)),
        ("a_text", json!(["x"])),
        ("a_number", json!("5")),
        ("a_number", json!(true)),
        ("a_date", json!("2025-13-01")),
        ("a_date", json!("2025-02-30")),
        ("a_date", json!("30.06.2025")),
        ("a_date", json!(20250630)),
        ("a_bool", json!("true")),
        ("a_bool", json!(1)),
        ("a_choice", json!("huge")),
        ("a_choice", json!("Small")),
        ("a_choice", json!(["small"])),
        ("a_multi", json!(["small", "huge"])),
        ("a_multi", json!(["small", "small"])),
        ("a_multi", json!("small")),
        ("a_multi", json!([1])),
        ("no_such_question", json!("x")),
        ("contact_only", json!("meant for contacts")),
        ("retired", json!("inactive question")),
    ];
    for (key, value) in bad {
        // A valid change to another key rides along and must not be stored either.
        let mut body = json!({ "a_text": "must not be stored", "a_number": 99 });
        body[key] = value.clone();
        if key == "a_text" || key == "a_number" {
            body["a_choice"] = json!("large");
        }
        let res = app.put_json(&path, &body).await;
        res.assert_error(422, "validation_failed", &[key]);
        let now = app.fetch(&path).await;
        assert_eq!(now, stored, "PUT {body} was refused but wrote something");
    }
}
both_backends!(invalid_answers_are_refused_naming_the_key_and_nothing_is_written);

async fn deleting_a_question_with_answers_is_refused(app: &mut TestApp) {
    let answered = app.new_question("answered", "text", "account").await;
    let unanswered = app.new_question("unanswered", "text", "account").await;
    let account = app.new_account("Acme").await;
    let path = answers_path("accounts", &account);
    app.put_json(&path, &json!({ "answered": "yes" }))
        .await
        .expect_success();

    let q_path = format!("{QUESTIONS}/{}", id_of(&answered));
    let res = app.delete(&q_path).await;
    res.assert_error(409, "conflict", &[]);
    assert_eq!(app.fetch(&q_path).await["key"], "answered");

    // Deactivating is the way out; still refused while answers exist.
    let deactivated = app
        .patch_json(&q_path, &json!({ "version": 1, "active": false }))
        .await
        .expect(200);
    assert_eq!(deactivated["active"], false);
    app.delete(&q_path).await.assert_error(409, "conflict", &[]);

    let res = app
        .delete(&format!("{QUESTIONS}/{}", id_of(&unanswered)))
        .await;
    assert_eq!(res.status, 204, "{res}");
}
both_backends!(deleting_a_question_with_answers_is_refused);
