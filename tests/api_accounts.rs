//! Accounts: CRUD, PATCH semantics, filters, validation, refused deletes,
//! and data surviving a restart.

mod common;

use common::{TestApp, both_backends, check_crud, id_of, item_ids, new_id, sorted, ts};
use serde_json::json;

const ACCOUNTS: &str = "/api/v1/accounts";

async fn an_account_can_be_created_read_listed_patched_and_deleted(app: &mut TestApp) {
    check_crud(
        app,
        ACCOUNTS,
        json!({
            "name": "Acme Maschinenbau GmbH",
            "domain": "acme.example",
            "industry": "Manufacturing",
            "employee_count": 250,
            "country": "DE",
            "address": "Hauptstraße 1, 10115 Berlin",
            "credit_status": "watch",
            "credit_note": "pays late",
            "owner_id": app.admin_id,
        }),
        json!({ "name": "Acme AG", "employee_count": 300, "credit_status": "hold" }),
        "credit_note",
    )
    .await;
}
both_backends!(an_account_can_be_created_read_listed_patched_and_deleted);

async fn a_new_account_defaults_to_credit_ok_and_the_acting_owner(app: &mut TestApp) {
    let account = app.create(ACCOUNTS, json!({ "name": "Minimal Ltd" })).await;
    assert_eq!(account["credit_status"], "ok", "{account}");
    assert_eq!(account["owner_id"], app.admin_id, "{account}");
    assert_eq!(account["version"], 1);
    for optional in [
        "domain",
        "industry",
        "employee_count",
        "country",
        "address",
        "credit_note",
    ] {
        assert!(
            account[optional].is_null(),
            "`{optional}` should be null: {account}"
        );
    }
}
both_backends!(a_new_account_defaults_to_credit_ok_and_the_acting_owner);

async fn patch_changes_only_named_fields_and_checks_the_version(app: &mut TestApp) {
    let created = app
        .create(
            ACCOUNTS,
            json!({ "name": "Old Name", "domain": "old.example", "industry": "Retail", "country": "FR" }),
        )
        .await;
    let id = id_of(&created);
    let path = format!("{ACCOUNTS}/{id}");

    // An absent field is unchanged; version goes up by exactly one.
    let v2 = app
        .patch_json(&path, &json!({ "version": 1, "name": "New Name" }))
        .await
        .expect(200);
    assert_eq!(v2["name"], "New Name");
    assert_eq!(v2["domain"], "old.example");
    assert_eq!(v2["industry"], "Retail");
    assert_eq!(v2["country"], "FR");
    assert_eq!(v2["version"], 2);
    assert!(ts(&v2["updated_at"]) >= ts(&created["updated_at"]));

    // null clears an optional field and leaves the rest.
    let v3 = app
        .patch_json(&path, &json!({ "version": 2, "domain": null }))
        .await
        .expect(200);
    assert!(v3["domain"].is_null(), "{v3}");
    assert_eq!(v3["industry"], "Retail");
    assert_eq!(v3["name"], "New Name");
    assert_eq!(v3["version"], 3);

    // version is required.
    app.patch_json(&path, &json!({ "name": "No Version" }))
        .await
        .assert_error(422, "validation_failed", &["version"]);

    // A stale version is a conflict that tells the current one.
    let stale = app
        .patch_json(&path, &json!({ "version": 1, "name": "Stale" }))
        .await;
    stale.assert_error(409, "conflict", &[]);
    assert_eq!(stale.body["error"]["current_version"], 3, "{stale}");
    let stale = app
        .patch_json(&path, &json!({ "version": 4, "name": "From The Future" }))
        .await;
    stale.assert_error(409, "conflict", &[]);
    assert_eq!(stale.body["error"]["current_version"], 3, "{stale}");

    // A required field cannot be cleared.
    app.patch_json(&path, &json!({ "version": 3, "name": null }))
        .await
        .assert_error(422, "validation_failed", &["name"]);

    // None of the rejected PATCHes wrote anything.
    let now = app.fetch(&path).await;
    assert_eq!(now["version"], 3, "{now}");
    assert_eq!(now["name"], "New Name");
    assert!(now["domain"].is_null());

    // And the right version still works.
    let v4 = app
        .patch_json(&path, &json!({ "version": 3, "industry": "Software" }))
        .await
        .expect(200);
    assert_eq!(v4["version"], 4);
    assert_eq!(v4["industry"], "Software");
    assert_eq!(v4["name"], "New Name");
}
both_backends!(patch_changes_only_named_fields_and_checks_the_version);

async fn account_filters_select_exactly_the_matching_accounts(app: &mut TestApp) {
    let a1 = id_of(
        &app.create(
            ACCOUNTS,
            json!({ "name": "One", "industry": "Software", "country": "DE", "credit_status": "hold" }),
        )
        .await,
    );
    let a2 = id_of(
        &app.create(
            ACCOUNTS,
            json!({ "name": "Two", "industry": "Retail", "country": "FR" }),
        )
        .await,
    );
    let a3 = id_of(
        &app.create(
            ACCOUNTS,
            json!({ "name": "Three", "industry": "Software", "country": "FR", "credit_status": "watch" }),
        )
        .await,
    );
    let all = sorted(vec![a1.clone(), a2.clone(), a3.clone()]);
    let list = |q: &str| format!("{ACCOUNTS}?{q}");

    assert_eq!(
        sorted(app.list_ids(&list("industry=Software")).await),
        sorted(vec![a1.clone(), a3.clone()])
    );
    assert_eq!(
        app.list_ids(&list("industry=Retail")).await,
        vec![a2.clone()]
    );
    assert_eq!(
        sorted(app.list_ids(&list("country=FR")).await),
        sorted(vec![a2.clone(), a3.clone()])
    );
    assert_eq!(app.list_ids(&list("country=DE")).await, vec![a1.clone()]);
    assert_eq!(
        app.list_ids(&list("credit_status=hold")).await,
        vec![a1.clone()]
    );
    assert_eq!(
        app.list_ids(&list("credit_status=ok")).await,
        vec![a2.clone()]
    );
    assert_eq!(
        app.list_ids(&list("credit_status=watch")).await,
        vec![a3.clone()]
    );
    assert_eq!(
        sorted(
            app.list_ids(&list(&format!("owner_id={}", app.admin_id)))
                .await
        ),
        all
    );
    assert!(
        app.list_ids(&list(&format!("owner_id={}", new_id())))
            .await
            .is_empty()
    );
    // Filters combine.
    assert_eq!(
        app.list_ids(&list("industry=Software&country=FR")).await,
        vec![a3.clone()]
    );

    // Bad filter values are bad query parameters.
    app.get(&list("credit_status=excellent"))
        .await
        .assert_error(400, "bad_request", &["credit_status"]);
    app.get(&list("owner_id=not-a-uuid"))
        .await
        .assert_error(400, "bad_request", &["owner_id"]);
}
both_backends!(account_filters_select_exactly_the_matching_accounts);

async fn invalid_accounts_are_refused_naming_the_field(app: &mut TestApp) {
    let cases = [
        (json!({}), "name"),
        (json!({ "name": "X", "country": "Germany" }), "country"),
        (json!({ "name": "X", "country": "DEU" }), "country"),
        (json!({ "name": "X", "owner_id": new_id() }), "owner_id"),
        (
            json!({ "name": "X", "credit_status": "great" }),
            "credit_status",
        ),
    ];
    for (body, field) in cases {
        let res = app.post_json(ACCOUNTS, &body).await;
        res.assert_error(422, "validation_failed", &[field]);
    }
    assert!(
        app.list_ids(ACCOUNTS).await.is_empty(),
        "a refused create wrote an account"
    );

    let id = app.new_account("Valid").await;
    let path = format!("{ACCOUNTS}/{id}");
    app.patch_json(&path, &json!({ "version": 1, "owner_id": new_id() }))
        .await
        .assert_error(422, "validation_failed", &["owner_id"]);
    app.patch_json(&path, &json!({ "version": 1, "country": "Atlantis" }))
        .await
        .assert_error(422, "validation_failed", &["country"]);
    assert_eq!(app.fetch(&path).await["version"], 1);
}
both_backends!(invalid_accounts_are_refused_naming_the_field);

async fn deleting_an_account_with_deals_contacts_or_activities_is_refused(app: &mut TestApp) {
    // With a deal.
    let with_deal = app.new_account("Has A Deal").await;
    let deal = app.new_deal(&with_deal, "The Deal").await;
    let res = app.delete(&format!("{ACCOUNTS}/{with_deal}")).await;
    res.assert_error(409, "conflict", &[]);
    let account = app.fetch(&format!("{ACCOUNTS}/{with_deal}")).await;
    assert_eq!(
        account["name"], "Has A Deal",
        "the account must still be there"
    );
    assert_eq!(account["version"], 1);

    // With a contact.
    let with_contact = app.new_account("Has A Contact").await;
    app.new_contact(&with_contact, "Weber").await;
    app.delete(&format!("{ACCOUNTS}/{with_contact}"))
        .await
        .assert_error(409, "conflict", &[]);
    app.fetch(&format!("{ACCOUNTS}/{with_contact}")).await;

    // With an activity.
    let with_activity = app.new_account("Has An Activity").await;
    app.create(
        "/api/v1/activities",
        json!({ "kind": "note", "subject": "Met at fair", "account_id": with_activity }),
    )
    .await;
    app.delete(&format!("{ACCOUNTS}/{with_activity}"))
        .await
        .assert_error(409, "conflict", &[]);
    app.fetch(&format!("{ACCOUNTS}/{with_activity}")).await;

    // Once the dependent deal is gone, the account can go.
    assert_eq!(
        app.delete(&format!("/api/v1/deals/{deal}")).await.status,
        204
    );
    let res = app.delete(&format!("{ACCOUNTS}/{with_deal}")).await;
    assert_eq!(res.status, 204, "{res}");
    app.get(&format!("{ACCOUNTS}/{with_deal}"))
        .await
        .assert_error(404, "not_found", &[]);
}
both_backends!(deleting_an_account_with_deals_contacts_or_activities_is_refused);

async fn data_survives_a_server_restart(app: &mut TestApp) {
    let account = app
        .create(
            ACCOUNTS,
            json!({ "name": "Persistent GmbH", "country": "AT", "industry": "Energy" }),
        )
        .await;
    let account_id = id_of(&account);
    let patched = app
        .patch_json(
            &format!("{ACCOUNTS}/{account_id}"),
            &json!({ "version": 1, "credit_status": "watch" }),
        )
        .await
        .expect(200);
    let contact_id = app.new_contact(&account_id, "Bauer").await;
    let deal = app
        .create(
            "/api/v1/deals",
            json!({ "name": "Persistent deal", "account_id": account_id, "amount": "1234.50", "currency": "EUR" }),
        )
        .await;
    let deal_id = id_of(&deal);
    app.new_question("fleet_size", "number", "account").await;
    app.put_json(
        &format!("{ACCOUNTS}/{account_id}/answers"),
        &json!({ "fleet_size": 12 }),
    )
    .await
    .expect_success();
    let first_base = app.base_url.clone();

    app.restart().await;
    assert_ne!(
        app.base_url, first_base,
        "restart should serve on a new port"
    );

    let account = app.fetch(&format!("{ACCOUNTS}/{account_id}")).await;
    assert_eq!(account["name"], "Persistent GmbH");
    assert_eq!(account["credit_status"], "watch");
    assert_eq!(account["version"], 2);
    assert_eq!(ts(&account["updated_at"]), ts(&patched["updated_at"]));
    let contact = app.fetch(&format!("/api/v1/contacts/{contact_id}")).await;
    assert_eq!(contact["last_name"], "Bauer");
    let deal = app.fetch(&format!("/api/v1/deals/{deal_id}")).await;
    assert!(
        common::same_value(&json!("1234.50"), &deal["amount"]),
        "{deal}"
    );
    assert_eq!(deal["currency"], "EUR");
    let answers = app.fetch(&format!("{ACCOUNTS}/{account_id}/answers")).await;
    assert_eq!(answers["answers"]["fleet_size"]["value"], 12, "{answers}");
    assert_eq!(
        item_ids(&app.fetch(ACCOUNTS).await),
        vec![account_id.clone()]
    );

    // The restarted server takes writes too.
    let second = app.new_account("After Restart").await;
    assert_eq!(
        sorted(app.list_ids(ACCOUNTS).await),
        sorted(vec![account_id, second])
    );
}
both_backends!(data_survives_a_server_restart);

async fn text_is_trimmed_blank_is_null_and_codes_are_normalised(app: &mut TestApp) {
    let account = app
        .create(
            ACCOUNTS,
            json!({
                "name": "  Acme GmbH \t",
                "domain": "ACME.Example",
                "industry": "   ",
                "country": "de",
                "credit_note": "",
            }),
        )
        .await;
    assert_eq!(account["name"], "Acme GmbH", "{account}");
    assert_eq!(account["domain"], "acme.example", "{account}");
    assert!(
        account["industry"].is_null(),
        "blank is stored as null: {account}"
    );
    assert!(
        account["credit_note"].is_null(),
        "blank is stored as null: {account}"
    );
    assert_eq!(account["country"], "DE", "{account}");
    let id = id_of(&account);
    let stored = app.fetch(&format!("{ACCOUNTS}/{id}")).await;
    assert_eq!(stored["name"], "Acme GmbH");
    assert_eq!(stored["country"], "DE");

    // A required field that is blank is missing.
    let before = app.snapshot(ACCOUNTS).await;
    app.post_json(ACCOUNTS, &json!({ "name": "   " }))
        .await
        .assert_error(422, "validation_failed", &["name"]);
    assert_eq!(app.snapshot(ACCOUNTS).await, before);

    // The same on PATCH.
    let patched = app
        .patch_json(
            &format!("{ACCOUNTS}/{id}"),
            &json!({ "version": 1, "name": " Acme AG ", "domain": "  ", "country": "at" }),
        )
        .await
        .expect(200);
    assert_eq!(patched["name"], "Acme AG");
    assert!(patched["domain"].is_null(), "{patched}");
    assert_eq!(patched["country"], "AT");

    // E-mail addresses are stored lower-case.
    let contact = app
        .create(
            "/api/v1/contacts",
            json!({ "first_name": " Anna ", "last_name": "Schmidt", "email": " Anna.Schmidt@ACME.Example " }),
        )
        .await;
    assert_eq!(contact["email"], "anna.schmidt@acme.example", "{contact}");
    assert_eq!(contact["first_name"], "Anna", "{contact}");

    // Currency codes are stored upper-case.
    let deal = app
        .create(
            "/api/v1/deals",
            json!({ "name": "Deal", "account_id": id, "amount": "10.00", "currency": "eur" }),
        )
        .await;
    assert_eq!(deal["currency"], "EUR", "{deal}");
}
both_backends!(text_is_trimmed_blank_is_null_and_codes_are_normalised);

async fn an_owner_can_be_changed_but_not_cleared(app: &mut TestApp) {
    let id = app.new_account("Owned").await;
    let path = format!("{ACCOUNTS}/{id}");
    app.patch_json(&path, &json!({ "version": 1, "owner_id": null }))
        .await
        .assert_error(422, "validation_failed", &["owner_id"]);
    let same = app
        .patch_json(&path, &json!({ "version": 1, "owner_id": app.admin_id }))
        .await
        .expect(200);
    assert_eq!(same["owner_id"], app.admin_id);
    assert_eq!(same["version"], 2);
}
both_backends!(an_owner_can_be_changed_but_not_cleared);
