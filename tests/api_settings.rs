//! Workspace settings: the defaults, changing them with a JSON merge patch,
//! validation by path, versions, their effect on deal probabilities, and
//! that they survive a restart.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, both_backends, id_of, same_value, ts};
use reqwest::Method;
use serde_json::{Value, json};

const SETTINGS: &str = "/api/v1/settings";
const DEALS: &str = "/api/v1/deals";

/// The settings of a fresh workspace, without `updated_at`.
fn defaults() -> Value {
    json!({
        "company": {
            "name": null, "address": null, "phone": null, "email": null,
            "website": null, "logo_asset_id": null,
        },
        "base_currency": "EUR",
        "exchange_rates": {},
        "tax_rates": [],
        "approval_thresholds": { "rep": "10", "manager": "20", "admin": "100" },
        "stage_probabilities": {
            "lead": 10, "qualified": 25, "proposal": 50,
            "negotiation": 75, "won": 100, "lost": 0,
        },
        "smtp": {
            "host": null, "port": null, "security": "starttls",
            "from_email": null, "from_name": null,
        },
        "version": 1,
        "updated_by": null,
    })
}

/// Asserts `actual` has exactly the keys of `expected` (plus `updated_at`),
/// recursively for objects, values compared as the contract allows
/// (decimal strings by value, which must still be strings).
#[track_caller]
fn assert_settings(actual: &Value, expected: &Value) {
    let problems = differences("", expected, actual);
    assert!(
        problems.is_empty(),
        "settings differ:\n  {}\nexpected {expected}\nactual   {actual}",
        problems.join("\n  ")
    );
    ts(&actual["updated_at"]);
}

fn differences(path: &str, expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    None => out.push(format!("`{}` missing", at(k))),
                    Some(av) => out.extend(differences(&at(k), ev, av)),
                }
            }
            for k in a.keys() {
                let allowed = e.contains_key(k) || (path.is_empty() && k == "updated_at");
                if !allowed {
                    out.push(format!("unexpected `{}`: {}", at(k), a[k]));
                }
            }
        }
        (Value::String(_), a) if !a.is_string() => {
            out.push(format!("`{path}` should be the string {expected}, got {a}"))
        }
        (Value::Number(_), a) if !a.is_number() => {
            out.push(format!("`{path}` should be the number {expected}, got {a}"))
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                out.extend(differences(&format!("{path}[{i}]"), ev, av));
            }
        }
        _ => {
            if !same_value(expected, actual) {
                out.push(format!("`{path}`: expected {expected}, got {actual}"));
            }
        }
    }
    out
}

/// `base` with `patch` merged in (RFC 7386), for building expectations.
fn merged(base: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => {
            let mut out = base.as_object().cloned().unwrap_or_default();
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let merged_value = merged(out.get(k).unwrap_or(&Value::Null), v);
                    out.insert(k.clone(), merged_value);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

async fn patch_settings(app: &TestApp, mut patch: Value) -> Value {
    let version = app.fetch(SETTINGS).await["version"].clone();
    patch["version"] = version;
    app.patch_json(SETTINGS, &patch).await.expect(200)
}

// ---- defaults and reading --------------------------------------------------

async fn a_fresh_workspace_has_the_default_settings_which_every_role_may_read(app: &mut TestApp) {
    let before = Utc::now() - Duration::minutes(5);
    let settings = app.fetch(SETTINGS).await;
    assert_settings(&settings, &defaults());
    assert!(ts(&settings["updated_at"]) >= before, "{settings}");
    assert!(ts(&settings["updated_at"]) <= Utc::now() + Duration::seconds(5));

    for role in ["rep", "manager", "marketing", "legal"] {
        let (_, email, password) = app.new_user(role).await;
        let token = app.login(&email, &password).await.expect(200)["token"]
            .as_str()
            .unwrap()
            .to_string();
        let seen = app
            .request_as(Some(&token), Method::GET, SETTINGS, None)
            .await
            .expect(200);
        assert_eq!(seen, settings, "{role} sees the same settings");
        // Reading is not changing.
        let version = seen["version"].clone();
        app.request_as(
            Some(&token),
            Method::PATCH,
            SETTINGS,
            Some(&json!({ "version": version, "base_currency": "USD" })),
        )
        .await
        .assert_error(403, "forbidden", &[]);
    }
    assert_eq!(app.fetch(SETTINGS).await, settings, "a refused PATCH wrote");
}
both_backends!(a_fresh_workspace_has_the_default_settings_which_every_role_may_read);

// ---- merge patch -----------------------------------------------------------

async fn a_patch_merges_nested_objects_removes_keys_with_null_and_replaces_arrays(
    app: &mut TestApp,
) {
    let mut expected = defaults();
    let first_at = ts(&app.fetch(SETTINGS).await["updated_at"]);

    // Company fields: trimmed, "" is null; the logo is a stored asset.
    let logo = app.fetch("/api/v1/assets?name=classic-logo.png").await["items"][0]["id"].clone();
    assert!(logo.is_string(), "the built-in logo is an asset");
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({
                "version": 1,
                "company": {
                    "name": "  Acme GmbH  ",
                    "address": "Hauptstr. 1\n10115 Berlin",
                    "phone": "+49 30 1234",
                    "email": "office@acme.example",
                    "website": "https://acme.example",
                    "logo_asset_id": logo,
                },
                "base_currency": "EUR",
            }),
        )
        .await
        .expect(200);
    expected = merged(
        &expected,
        &json!({
            "company": {
                "name": "Acme GmbH",
                "address": "Hauptstr. 1\n10115 Berlin",
                "phone": "+49 30 1234",
                "email": "office@acme.example",
                "website": "https://acme.example",
                "logo_asset_id": logo,
            },
            "version": 2,
        }),
    );
    expected["updated_by"] = json!(app.admin_id);
    assert_settings(&patched, &expected);
    assert!(ts(&patched["updated_at"]) >= first_at);
    assert_eq!(app.fetch(SETTINGS).await, patched, "GET after PATCH");

    // Nested objects merge: only the phone changes; null clears a field.
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 2, "company": { "phone": "+49 30 9999", "address": null, "website": "" } }),
        )
        .await
        .expect(200);
    expected["company"]["phone"] = json!("+49 30 9999");
    expected["company"]["address"] = Value::Null;
    expected["company"]["website"] = Value::Null;
    expected["version"] = json!(3);
    assert_settings(&patched, &expected);

    // Exchange rates: added, then one removed with null, the other kept.
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 3, "exchange_rates": { "USD": "0.92", "GBP": "1.17", "CHF": "1.05" } }),
        )
        .await
        .expect(200);
    expected["exchange_rates"] = json!({ "USD": "0.92", "GBP": "1.17", "CHF": "1.05" });
    expected["version"] = json!(4);
    assert_settings(&patched, &expected);
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 4, "exchange_rates": { "USD": null, "GBP": "1.18" } }),
        )
        .await
        .expect(200);
    expected["exchange_rates"] = json!({ "GBP": "1.18", "CHF": "1.05" });
    expected["version"] = json!(5);
    assert_settings(&patched, &expected);

    // Arrays are replaced whole.
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 5, "tax_rates": [
                { "code": "std", "name": "Standard", "rate": "19" },
                { "code": "red", "name": "Reduced", "rate": "7" },
            ] }),
        )
        .await
        .expect(200);
    expected["tax_rates"] = json!([
        { "code": "std", "name": "Standard", "rate": "19" },
        { "code": "red", "name": "Reduced", "rate": "7" },
    ]);
    expected["version"] = json!(6);
    assert_settings(&patched, &expected);
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 6, "tax_rates": [{ "code": "zero", "name": "Exempt", "rate": "0" }] }),
        )
        .await
        .expect(200);
    expected["tax_rates"] = json!([{ "code": "zero", "name": "Exempt", "rate": "0" }]);
    expected["version"] = json!(7);
    assert_settings(&patched, &expected);

    // Thresholds and probabilities merge per key; null restores a default.
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({
                "version": 7,
                "approval_thresholds": { "rep": "12.5" },
                "stage_probabilities": { "proposal": 60, "lead": 5 },
            }),
        )
        .await
        .expect(200);
    expected["approval_thresholds"]["rep"] = json!("12.5");
    expected["stage_probabilities"]["proposal"] = json!(60);
    expected["stage_probabilities"]["lead"] = json!(5);
    expected["version"] = json!(8);
    assert_settings(&patched, &expected);
    let patched = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 8, "stage_probabilities": { "proposal": null } }),
        )
        .await
        .expect(200);
    expected["stage_probabilities"]["proposal"] = json!(50);
    expected["version"] = json!(9);
    assert_settings(&patched, &expected);

    // Only the version: nothing else changes.
    let patched = app
        .patch_json(SETTINGS, &json!({ "version": 9 }))
        .await
        .expect(200);
    assert!(
        patched["version"] == 9 || patched["version"] == 10,
        "an empty patch changes nothing but maybe the version: {patched}"
    );
    expected["version"] = patched["version"].clone();
    assert_settings(&patched, &expected);
    assert_settings(&app.fetch(SETTINGS).await, &expected);
}
both_backends!(a_patch_merges_nested_objects_removes_keys_with_null_and_replaces_arrays);

async fn the_admin_who_changed_the_settings_is_recorded(app: &mut TestApp) {
    let (admin2, email, password) = app.new_user("admin").await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let patched = app
        .request_as(
            Some(&token),
            Method::PATCH,
            SETTINGS,
            Some(&json!({ "version": 1, "company": { "name": "Second Admin Ltd" } })),
        )
        .await
        .expect(200);
    assert_eq!(patched["updated_by"], admin2.as_str(), "{patched}");
    assert_eq!(patched["version"], 2);
    let patched = patch_settings(app, json!({ "company": { "name": "First Admin Ltd" } })).await;
    assert_eq!(patched["updated_by"], app.admin_id.as_str(), "{patched}");
    assert_eq!(patched["version"], 3);
    assert_eq!(patched["company"]["name"], "First Admin Ltd");
}
both_backends!(the_admin_who_changed_the_settings_is_recorded);

// ---- versions --------------------------------------------------------------

async fn a_missing_version_is_refused_and_a_stale_one_is_a_conflict(app: &mut TestApp) {
    let original = app.fetch(SETTINGS).await;
    app.patch_json(SETTINGS, &json!({ "company": { "name": "No Version" } }))
        .await
        .assert_error(422, "validation_failed", &["version"]);
    assert_eq!(app.fetch(SETTINGS).await, original, "a refused PATCH wrote");

    patch_settings(app, json!({ "company": { "name": "Current" } })).await;
    let current = app.fetch(SETTINGS).await;
    assert_eq!(current["version"], 2);
    let res = app
        .patch_json(
            SETTINGS,
            &json!({ "version": 1, "company": { "name": "Stale" } }),
        )
        .await;
    res.assert_error(409, "conflict", &[]);
    assert_eq!(
        res.body["error"]["current_version"], 2,
        "a conflict names the current version: {res}"
    );
    assert_eq!(app.fetch(SETTINGS).await, current, "a stale PATCH wrote");
    // A version from the future is stale too.
    app.patch_json(
        SETTINGS,
        &json!({ "version": 7, "company": { "name": "Future" } }),
    )
    .await
    .assert_error(409, "conflict", &[]);
    assert_eq!(app.fetch(SETTINGS).await, current);
}
both_backends!(a_missing_version_is_refused_and_a_stale_one_is_a_conflict);

// ---- validation ------------------------------------------------------------

async fn invalid_settings_are_refused_naming_the_path_and_nothing_is_written(app: &mut TestApp) {
    // Something to overwrite, so "nothing written" is visible.
    patch_settings(
        app,
        json!({
            "company": { "name": "Acme GmbH", "website": "https://acme.example" },
            "exchange_rates": { "USD": "0.92" },
            "tax_rates": [{ "code": "std", "name": "Standard", "rate": "19" }],
        }),
    )
    .await;
    let original = app.fetch(SETTINGS).await;
    let version = original["version"].clone();

    let cases: Vec<(Value, &str)> = vec![
        (
            json!({ "company": { "website": "not a url" } }),
            "company.website",
        ),
        (
            json!({ "company": { "website": "ftp://acme.example" } }),
            "company.website",
        ),
        (
            json!({ "company": { "website": "acme.example" } }),
            "company.website",
        ),
        (
            json!({ "company": { "email": "not-an-email" } }),
            "company.email",
        ),
        (json!({ "company": { "email": "a@" } }), "company.email"),
        (
            json!({ "company": { "logo_asset_id": "logo.png" } }),
            "company.logo_asset_id",
        ),
        (
            json!({ "company": { "logo_asset_id": "0190a4b2-0000-7000-8000-000000000001" } }),
            "company.logo_asset_id",
        ),
        (json!({ "company": { "name": 42 } }), "company.name"),
        (json!({ "base_currency": "XYZ" }), "base_currency"),
        (json!({ "base_currency": "EURO" }), "base_currency"),
        (
            json!({ "exchange_rates": { "USD": "-1" } }),
            "exchange_rates.USD",
        ),
        (
            json!({ "exchange_rates": { "USD": "0" } }),
            "exchange_rates.USD",
        ),
        (
            json!({ "exchange_rates": { "USD": "lots" } }),
            "exchange_rates.USD",
        ),
        (
            json!({ "exchange_rates": { "XYZ": "1.5" } }),
            "exchange_rates.XYZ",
        ),
        (
            json!({ "exchange_rates": { "EUR": "1" } }),
            "exchange_rates.EUR",
        ),
        (
            json!({ "tax_rates": [
                { "code": "std", "name": "Standard", "rate": "19" },
                { "code": "std", "name": "Standard again", "rate": "7" },
            ] }),
            "tax_rates[1].code",
        ),
        (
            json!({ "tax_rates": [{ "code": "std", "name": "Standard", "rate": "101" }] }),
            "tax_rates[0].rate",
        ),
        (
            json!({ "tax_rates": [{ "code": "std", "name": "Standard", "rate": "-1" }] }),
            "tax_rates[0].rate",
        ),
        (
            json!({ "tax_rates": [
                { "code": "std", "name": "Standard", "rate": "19" },
                { "code": "red", "name": "Reduced", "rate": "seven" },
            ] }),
            "tax_rates[1].rate",
        ),
        (
            json!({ "tax_rates": [{ "name": "No code", "rate": "5" }] }),
            "tax_rates[0].code",
        ),
        (
            json!({ "approval_thresholds": { "legal": "5" } }),
            "approval_thresholds.legal",
        ),
        (
            json!({ "approval_thresholds": { "rep": "101" } }),
            "approval_thresholds.rep",
        ),
        (
            json!({ "approval_thresholds": { "manager": "-5" } }),
            "approval_thresholds.manager",
        ),
        (
            json!({ "stage_probabilities": { "closing": 50 } }),
            "stage_probabilities.closing",
        ),
        (
            json!({ "stage_probabilities": { "proposal": 101 } }),
            "stage_probabilities.proposal",
        ),
        (
            json!({ "stage_probabilities": { "proposal": -1 } }),
            "stage_probabilities.proposal",
        ),
        (
            json!({ "stage_probabilities": { "proposal": 50.5 } }),
            "stage_probabilities.proposal",
        ),
        (json!({ "colour": "blue" }), "colour"),
        // One bad path spoils the whole patch.
        (
            json!({ "company": { "name": "Half Written" }, "base_currency": "XYZ" }),
            "base_currency",
        ),
    ];
    let mut problems = Vec::new();
    for (mut body, field) in cases {
        body["version"] = version.clone();
        let res = app.patch_json(SETTINGS, &body).await;
        if let Some(problem) = res.error_mismatch(422, "validation_failed", &[field]) {
            problems.push(format!("{body} → {problem}"));
        }
        let now = app.fetch(SETTINGS).await;
        if now != original {
            problems.push(format!("{body} → wrote: {now}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} invalid patch(es) not refused as the contract says:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // Several problems at once are all named.
    let res = app
        .patch_json(
            SETTINGS,
            &json!({
                "version": version,
                "company": { "email": "nope" },
                "exchange_rates": { "XYZ": "1" },
                "stage_probabilities": { "won": 150 },
            }),
        )
        .await;
    res.assert_error(
        422,
        "validation_failed",
        &[
            "company.email",
            "exchange_rates.XYZ",
            "stage_probabilities.won",
        ],
    );
    assert_eq!(app.fetch(SETTINGS).await, original);
}
both_backends!(invalid_settings_are_refused_naming_the_path_and_nothing_is_written);

// ---- effect on deals -------------------------------------------------------

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

async fn deal_probabilities_follow_the_stage_probabilities_of_the_settings(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    let deal = |name: &str, stage: &str, probability: Option<i64>| {
        let mut body = json!({ "name": name, "account_id": account, "stage": stage });
        if let Some(p) = probability {
            body["probability"] = json!(p);
        }
        body
    };
    let default_proposal = app.create(DEALS, deal("Default", "proposal", None)).await;
    assert_probability(&default_proposal, 50, true);
    let explicit_proposal = app
        .create(DEALS, deal("Explicit", "proposal", Some(35)))
        .await;
    assert_probability(&explicit_proposal, 35, false);
    let default_lead = app.create(DEALS, deal("Lead", "lead", None)).await;
    assert_probability(&default_lead, 10, true);
    let path = |d: &Value| format!("{DEALS}/{}", id_of(d));

    patch_settings(app, json!({ "stage_probabilities": { "proposal": 60 } })).await;

    let now_default = app.fetch(&path(&default_proposal)).await;
    assert_probability(&now_default, 60, true);
    assert_eq!(
        now_default["version"], 2,
        "a deal whose default probability changed gets a new version: {now_default}"
    );
    let still_explicit = app.fetch(&path(&explicit_proposal)).await;
    assert_probability(&still_explicit, 35, false);
    assert_eq!(still_explicit["version"], 1, "{still_explicit}");
    let lead = app.fetch(&path(&default_lead)).await;
    assert_probability(&lead, 10, true);
    assert_eq!(lead["version"], 1, "{lead}");

    // Lists show the same.
    let listed = app.list_all(&format!("{DEALS}?stage=proposal")).await;
    let listed_default = listed
        .iter()
        .find(|d| d["id"] == default_proposal["id"])
        .expect("listed");
    assert_probability(listed_default, 60, true);

    // A new deal takes the setting; so does a stage change and a reset.
    let new_deal = app.create(DEALS, deal("New", "proposal", None)).await;
    assert_probability(&new_deal, 60, true);
    let moved = app
        .patch_json(
            &path(&default_lead),
            &json!({ "version": 1, "stage": "proposal" }),
        )
        .await
        .expect(200);
    assert_probability(&moved, 60, true);
    let reset = app
        .patch_json(
            &path(&explicit_proposal),
            &json!({ "version": 1, "probability": null }),
        )
        .await
        .expect(200);
    assert_probability(&reset, 60, true);

    // null restores the built-in default, and the default deals follow.
    patch_settings(
        app,
        json!({ "stage_probabilities": { "proposal": null, "lead": 15 } }),
    )
    .await;
    let back = app.fetch(&path(&default_proposal)).await;
    assert_probability(&back, 50, true);
    assert_eq!(back["version"], 3, "{back}");
    assert_probability(&app.fetch(&path(&new_deal)).await, 50, true);
    let fresh_lead = app
        .create(
            DEALS,
            json!({ "name": "Fresh lead", "account_id": account }),
        )
        .await;
    assert_probability(&fresh_lead, 15, true);
}
both_backends!(deal_probabilities_follow_the_stage_probabilities_of_the_settings);

// ---- persistence -----------------------------------------------------------

async fn settings_survive_a_restart(app: &mut TestApp) {
    let patched = patch_settings(
        app,
        json!({
            "company": { "name": "Persistent GmbH", "website": "https://persistent.example" },
            "base_currency": "CHF",
            "exchange_rates": { "GBP": "1.12", "USD": "0.88" },
            "tax_rates": [{ "code": "std", "name": "MWST", "rate": "8.1" }],
            "approval_thresholds": { "manager": "25" },
            "stage_probabilities": { "negotiation": 80 },
        }),
    )
    .await;
    assert_eq!(patched["base_currency"], "CHF");
    app.restart().await;
    let after = app.fetch(SETTINGS).await;
    assert_settings(&after, &{
        let mut expected = patched.clone();
        expected.as_object_mut().unwrap().remove("updated_at");
        expected
    });
    assert_eq!(ts(&after["updated_at"]), ts(&patched["updated_at"]));
    // And the restarted server still writes them.
    let again = patch_settings(app, json!({ "company": { "phone": "+41 44 000" } })).await;
    assert_eq!(again["version"], patched["version"].as_i64().unwrap() + 1);
    assert_eq!(again["company"]["name"], "Persistent GmbH");
}
both_backends!(settings_survive_a_restart);
