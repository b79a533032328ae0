//! Contacts: CRUD, validation, filters, relationships between contacts and
//! what deleting a contact does.

mod common;

use common::{TestApp, both_backends, check_crud, id_of, new_id, sorted, ts};
use serde_json::{Value, json};

const CONTACTS: &str = "/api/v1/contacts";

async fn a_contact_can_be_created_read_listed_patched_and_deleted(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    check_crud(
        app,
        CONTACTS,
        json!({
            "first_name": "Anna",
            "last_name": "Schmidt",
            "title": "CFO",
            "email": "anna.schmidt@acme.example",
            "phone": "+49 30 1234567",
            "account_id": account,
            "owner_id": app.admin_id,
        }),
        json!({ "title": "CEO", "email": "anna@acme.example" }),
        "phone",
    )
    .await;
}
both_backends!(a_contact_can_be_created_read_listed_patched_and_deleted);

async fn a_contact_needs_a_name_a_valid_email_and_an_existing_account(app: &mut TestApp) {
    let account = app.new_account("Acme").await;
    // Either name alone is enough, and no account is needed.
    let only_first = app.create(CONTACTS, json!({ "first_name": "Cher" })).await;
    assert!(only_first["last_name"].is_null());
    assert!(only_first["account_id"].is_null());
    let only_last = app
        .create(
            CONTACTS,
            json!({ "last_name": "Prince", "account_id": account }),
        )
        .await;
    assert!(only_last["first_name"].is_null());
    assert_eq!(only_last["owner_id"], app.admin_id);
    let before = app.snapshot(CONTACTS).await;

    app.post_json(CONTACTS, &json!({ "title": "CTO", "account_id": account }))
        .await
        .assert_error(422, "validation_failed", &[]);
    for email in [
        "not-an-email",
        "anna@",
        "@acme.example",
        "anna schmidt@acme.example",
    ] {
        app.post_json(CONTACTS, &json!({ "last_name": "Schmidt", "email": email }))
            .await
            .assert_error(422, "validation_failed", &["email"]);
    }
    app.post_json(
        CONTACTS,
        &json!({ "last_name": "Ghost", "account_id": new_id() }),
    )
    .await
    .assert_error(422, "validation_failed", &["account_id"]);
    app.post_json(
        CONTACTS,
        &json!({ "last_name": "Ghost", "owner_id": new_id() }),
    )
    .await
    .assert_error(422, "validation_failed", &["owner_id"]);
    assert_eq!(
        app.snapshot(CONTACTS).await,
        before,
        "a refused create wrote something"
    );

    // Clearing the only name is refused too.
    let path = format!("{CONTACTS}/{}", id_of(&only_first));
    app.patch_json(&path, &json!({ "version": 1, "first_name": null }))
        .await
        .assert_error(422, "validation_failed", &[]);
    app.patch_json(&path, &json!({ "version": 1, "email": "nope" }))
        .await
        .assert_error(422, "validation_failed", &["email"]);
    let unchanged = app.fetch(&path).await;
    assert_eq!(unchanged["first_name"], "Cher");
    assert_eq!(unchanged["version"], 1);
}
both_backends!(a_contact_needs_a_name_a_valid_email_and_an_existing_account);

async fn contact_filters_select_exactly_the_matching_contacts(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let globex = app.new_account("Globex").await;
    let c1 = id_of(
        &app.create(
            CONTACTS,
            json!({ "last_name": "Eins", "email": "eins@acme.example", "account_id": acme }),
        )
        .await,
    );
    let c2 = id_of(
        &app.create(
            CONTACTS,
            json!({ "last_name": "Zwei", "email": "zwei@acme.example", "account_id": acme }),
        )
        .await,
    );
    let c3 = id_of(
        &app.create(
            CONTACTS,
            json!({ "last_name": "Drei", "email": "drei@globex.example", "account_id": globex }),
        )
        .await,
    );
    let c4 = id_of(&app.create(CONTACTS, json!({ "last_name": "Vier" })).await);

    let list = |q: String| format!("{CONTACTS}?{q}");
    assert_eq!(
        sorted(app.list_ids(&list(format!("account_id={acme}"))).await),
        sorted(vec![c1.clone(), c2.clone()])
    );
    assert_eq!(
        app.list_ids(&list(format!("account_id={globex}"))).await,
        vec![c3.clone()]
    );
    assert_eq!(
        app.list_ids(&list("email=zwei%40acme.example".to_string()))
            .await,
        vec![c2.clone()]
    );
    assert!(
        app.list_ids(&list("email=nobody%40acme.example".to_string()))
            .await
            .is_empty()
    );
    assert_eq!(
        sorted(
            app.list_ids(&list(format!("owner_id={}", app.admin_id)))
                .await
        ),
        sorted(vec![c1.clone(), c2.clone(), c3.clone(), c4.clone()])
    );
    assert!(
        app.list_ids(&list(format!("owner_id={}", new_id())))
            .await
            .is_empty()
    );
    assert_eq!(
        app.list_ids(&list(format!(
            "account_id={acme}&email=eins%40acme.example"
        )))
        .await,
        vec![c1.clone()]
    );
    app.get(&list("account_id=123".to_string()))
        .await
        .assert_error(400, "bad_request", &["account_id"]);
}
both_backends!(contact_filters_select_exactly_the_matching_contacts);

fn relationships(contact: &str) -> String {
    format!("{CONTACTS}/{contact}/relationships")
}

fn rel_ids(page: &Value) -> Vec<String> {
    sorted(common::item_ids(page))
}

async fn relationships_are_created_listed_from_both_sides_and_deleted(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let a = app.new_contact(&acme, "Alpha").await;
    let b = app.new_contact(&acme, "Beta").await;
    let c = app.new_contact(&acme, "Gamma").await;
    assert_eq!(app.fetch(&relationships(&a)).await["items"], json!([]));

    let res = app
        .post_json(
            &relationships(&a),
            &json!({ "kind": "reports_to", "to_contact_id": b }),
        )
        .await;
    assert_eq!(res.status, 201, "{res}");
    let ab = res.body;
    assert_eq!(ab["from_contact_id"], a.as_str());
    assert_eq!(ab["to_contact_id"], b.as_str());
    assert_eq!(ab["kind"], "reports_to");
    ts(&ab["created_at"]);
    let ab_id = id_of(&ab);

    let ca = app
        .create(
            &relationships(&c),
            json!({ "kind": "influences", "to_contact_id": a }),
        )
        .await;
    let ca_id = id_of(&ca);
    assert_eq!(ca["kind"], "influences");

    // Both directions.
    let of_a = app.fetch(&relationships(&a)).await;
    assert_eq!(rel_ids(&of_a), sorted(vec![ab_id.clone(), ca_id.clone()]));
    let listed_ab = of_a["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == ab_id.as_str())
        .unwrap();
    assert_eq!(listed_ab["from_contact_id"], a.as_str());
    assert_eq!(listed_ab["to_contact_id"], b.as_str());
    assert_eq!(listed_ab["kind"], "reports_to");
    assert_eq!(
        rel_ids(&app.fetch(&relationships(&b)).await),
        vec![ab_id.clone()]
    );
    assert_eq!(
        rel_ids(&app.fetch(&relationships(&c)).await),
        vec![ca_id.clone()]
    );

    // Delete.
    let res = app.delete(&format!("{}/{ab_id}", relationships(&a))).await;
    assert_eq!(res.status, 204, "{res}");
    assert_eq!(
        rel_ids(&app.fetch(&relationships(&a)).await),
        vec![ca_id.clone()]
    );
    assert!(rel_ids(&app.fetch(&relationships(&b)).await).is_empty());
    app.delete(&format!("{}/{ab_id}", relationships(&a)))
        .await
        .assert_error(404, "not_found", &[]);

    // A deleted reports_to can be made again.
    app.create(
        &relationships(&a),
        json!({ "kind": "reports_to", "to_contact_id": b }),
    )
    .await;
}
both_backends!(relationships_are_created_listed_from_both_sides_and_deleted);

async fn self_duplicate_and_looping_relationships_are_refused(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let a = app.new_contact(&acme, "Alpha").await;
    let b = app.new_contact(&acme, "Beta").await;
    let c = app.new_contact(&acme, "Gamma").await;

    app.post_json(
        &relationships(&a),
        &json!({ "kind": "reports_to", "to_contact_id": a }),
    )
    .await
    .assert_error(422, "validation_failed", &[]);
    app.post_json(
        &relationships(&a),
        &json!({ "kind": "influences", "to_contact_id": a }),
    )
    .await
    .assert_error(422, "validation_failed", &[]);

    app.create(
        &relationships(&a),
        json!({ "kind": "reports_to", "to_contact_id": b }),
    )
    .await;
    app.post_json(
        &relationships(&a),
        &json!({ "kind": "reports_to", "to_contact_id": b }),
    )
    .await
    .assert_error(409, "conflict", &[]);

    // A→B then B→A closes a loop.
    app.post_json(
        &relationships(&b),
        &json!({ "kind": "reports_to", "to_contact_id": a }),
    )
    .await
    .assert_error(422, "validation_failed", &[]);
    // A longer loop: A→B, B→C, then C→A.
    app.create(
        &relationships(&b),
        json!({ "kind": "reports_to", "to_contact_id": c }),
    )
    .await;
    app.post_json(
        &relationships(&c),
        &json!({ "kind": "reports_to", "to_contact_id": a }),
    )
    .await
    .assert_error(422, "validation_failed", &[]);

    app.post_json(
        &relationships(&a),
        &json!({ "kind": "likes", "to_contact_id": c }),
    )
    .await
    .assert_error(422, "validation_failed", &["kind"]);
    app.post_json(
        &relationships(&a),
        &json!({ "kind": "influences", "to_contact_id": "nope" }),
    )
    .await
    .assert_error(422, "validation_failed", &["to_contact_id"]);
    app.post_json(&relationships(&a), &json!({ "kind": "influences" }))
        .await
        .assert_error(422, "validation_failed", &["to_contact_id"]);

    // Nothing of the refused ones was written: A→B and B→C only.
    assert_eq!(
        app.fetch(&relationships(&a)).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.fetch(&relationships(&b)).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.fetch(&relationships(&c)).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
both_backends!(self_duplicate_and_looping_relationships_are_refused);

async fn deleting_a_primary_contact_or_one_with_activities_is_refused(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let primary = app.new_contact(&acme, "Primary").await;
    app.create(
        "/api/v1/deals",
        json!({ "name": "Big one", "account_id": acme, "primary_contact_id": primary }),
    )
    .await;
    app.delete(&format!("{CONTACTS}/{primary}"))
        .await
        .assert_error(409, "conflict", &[]);
    assert_eq!(
        app.fetch(&format!("{CONTACTS}/{primary}")).await["last_name"],
        "Primary"
    );

    let busy = app.new_contact(&acme, "Busy").await;
    app.create(
        "/api/v1/activities",
        json!({ "kind": "call", "subject": "Intro call", "contact_id": busy }),
    )
    .await;
    app.delete(&format!("{CONTACTS}/{busy}"))
        .await
        .assert_error(409, "conflict", &[]);
    app.fetch(&format!("{CONTACTS}/{busy}")).await;
}
both_backends!(deleting_a_primary_contact_or_one_with_activities_is_refused);

async fn deleting_a_contact_removes_its_relationships_deal_roles_and_answers(app: &mut TestApp) {
    let acme = app.new_account("Acme").await;
    let leaving = app.new_contact(&acme, "Leaving").await;
    let staying = app.new_contact(&acme, "Staying").await;
    let deal = app.new_deal(&acme, "Deal").await;
    app.create(
        &relationships(&leaving),
        json!({ "kind": "reports_to", "to_contact_id": staying }),
    )
    .await;
    app.put_json(
        &format!("/api/v1/deals/{deal}/contacts"),
        &json!({ "contacts": [
            { "contact_id": leaving, "role": "champion" },
            { "contact_id": staying, "role": "decision_maker" },
        ] }),
    )
    .await
    .expect_success();
    app.new_question("hobby", "text", "contact").await;
    app.put_json(
        &format!("{CONTACTS}/{leaving}/answers"),
        &json!({ "hobby": "sailing" }),
    )
    .await
    .expect_success();

    let res = app.delete(&format!("{CONTACTS}/{leaving}")).await;
    assert_eq!(res.status, 204, "{res}");
    app.get(&format!("{CONTACTS}/{leaving}"))
        .await
        .assert_error(404, "not_found", &[]);
    assert_eq!(
        app.fetch(&relationships(&staying)).await["items"],
        json!([])
    );
    let roles = app.fetch(&format!("/api/v1/deals/{deal}/contacts")).await;
    let contact_ids: Vec<&str> = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["contact_id"].as_str().unwrap())
        .collect();
    assert_eq!(contact_ids, vec![staying.as_str()], "{roles}");
    // The question has no answers any more, so it can be deleted.
    let question = app
        .list_all("/api/v1/profile-questions")
        .await
        .into_iter()
        .find(|q| q["key"] == "hobby")
        .unwrap();
    let res = app
        .delete(&format!("/api/v1/profile-questions/{}", id_of(&question)))
        .await;
    assert_eq!(res.status, 204, "{res}");
}
both_backends!(deleting_a_contact_removes_its_relationships_deal_roles_and_answers);
