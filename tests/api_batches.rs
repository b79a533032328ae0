//! Segments and batches over HTTP on both databases: a segment's rule is
//! checked when saved and its key never changes; a segment's summary
//! counts its records and names the fields most often blank for a
//! template, with where to fill them; a batch makes one real PDF for
//! every ready record of a segment, skips the record that is not ready,
//! fails the one whose document cannot be made without stopping the
//! others, and hands everything back as one ZIP; and who may start, read
//! and list batches, and what a bad request is answered with.

mod common;
mod tools;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use common::{Res, TestApp, both_backends, id_of};
use reqwest::Method;
use serde_json::{Value, json};

const SEGMENTS: &str = "/api/v1/segments";
const BATCHES: &str = "/api/v1/batches";
const TEMPLATES: &str = "/api/v1/templates";

/// The rule of the README's example segment.
const BIG_HEALTHCARE: &str =
    "account.industry == \"Healthcare\" and account.answers.budget >= 50000";

// ---- helpers ----------------------------------------------------------------

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> Res {
    app.request_as(Some(token), method, path, body.as_ref())
        .await
}

/// An account of `industry`, owned by the holder of `token`, with its
/// `budget` answered when given.
async fn account(
    app: &TestApp,
    token: &str,
    name: &str,
    industry: &str,
    budget: Option<i64>,
) -> String {
    let account = call(
        app,
        token,
        Method::POST,
        "/api/v1/accounts",
        Some(json!({"name": name, "industry": industry, "country": "DE"})),
    )
    .await
    .expect(201);
    let id = id_of(&account);
    if let Some(budget) = budget {
        call(
            app,
            token,
            Method::PUT,
            &format!("/api/v1/accounts/{id}/answers"),
            Some(json!({ "budget": budget })),
        )
        .await
        .expect_success();
    }
    id
}

/// A contact at `account`, owned by the holder of `token`; no first name
/// when `first` is empty.
async fn contact(app: &TestApp, token: &str, account: &str, first: &str, last: &str) -> String {
    let mut body = json!({"last_name": last, "account_id": account});
    if !first.is_empty() {
        body["first_name"] = json!(first);
    }
    id_of(
        &call(app, token, Method::POST, "/api/v1/contacts", Some(body))
            .await
            .expect(201),
    )
}

/// Gives the holder of `token` a phone number: the brochure prints the
/// rep's.
async fn give_phone(app: &TestApp, token: &str) {
    let me = call(app, token, Method::GET, "/api/v1/me", None)
        .await
        .expect(200);
    call(
        app,
        token,
        Method::PATCH,
        "/api/v1/me",
        Some(json!({"phone": "+49 30 555 0199", "version": me["version"]})),
    )
    .await
    .expect(200);
}

/// The profiling question the segments read: an account's budget.
async fn budget_question(app: &TestApp) {
    app.new_question("budget", "number", "account").await;
}

async fn segment(app: &TestApp, key: &str, subject: &str, rule: Option<&str>) -> Value {
    let mut body = json!({"key": key, "name": format!("Segment {key}"), "subject": subject});
    if let Some(rule) = rule {
        body["rule"] = json!(rule);
    }
    app.create(SEGMENTS, body).await
}

async fn start(
    app: &TestApp,
    token: &str,
    template: &str,
    segment: &str,
    format: &str,
    draft: bool,
) -> Res {
    call(
        app,
        token,
        Method::POST,
        BATCHES,
        Some(json!({"template": template, "segment": segment, "format": format, "draft": draft})),
    )
    .await
}

/// Polls the batch's progress every 200 ms until it is finished; fails
/// after 60 s.
async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    let began = Instant::now();
    loop {
        let progress = call(app, token, Method::GET, &format!("{BATCHES}/{id}"), None)
            .await
            .expect(200);
        if progress["status"] == "finished" {
            return progress;
        }
        assert_eq!(progress["status"], "running", "{progress}");
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "batch {id} is not finished after 60 s: {progress}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every item of batch `id` that `query` selects (`status=…`, `limit=…`),
/// following `next_cursor`.
async fn items(app: &TestApp, token: &str, id: &str, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("{BATCHES}/{id}/items");
        if !query.is_empty() {
            path = format!("{path}?{query}");
        }
        if let Some(c) = &cursor {
            path = common::with_query(&path, "cursor", c);
        }
        let page = call(app, token, Method::GET, &path, None).await.expect(200);
        all.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
    panic!("batch {id}: more than 100 pages of items");
}

fn counts(done: i64, skipped: i64, failed: i64) -> Value {
    json!({"pending": 0, "working": 0, "done": done, "skipped": skipped, "failed": failed})
}

fn strings(values: &Value, key: &str) -> BTreeSet<String> {
    values
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {values}"))
        .iter()
        .map(|v| {
            v[key]
                .as_str()
                .unwrap_or_else(|| panic!("no {key}: {v}"))
                .to_owned()
        })
        .collect()
}

fn set<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

// ---- segments ---------------------------------------------------------------

async fn segments_are_checked_when_saved_keep_their_key_and_stay_while_a_batch_uses_them(
    app: &mut TestApp,
) {
    budget_question(app).await;
    let (_, rep) = app.signed_in("rep").await;
    let (_, legal) = app.signed_in("legal").await;
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, manager) = app.signed_in("manager").await;

    let created = app
        .post_json(
            SEGMENTS,
            &json!({"key": "healthcare-big-budget", "name": "Healthcare with budget",
                    "subject": "contact", "rule": BIG_HEALTHCARE,
                    "description": "Hospitals that can pay"}),
        )
        .await;
    assert_eq!(created.status, 201, "{created}");
    let saved = created.body.clone();
    common::assert_record_basics(&saved, 1);
    common::assert_has_fields(
        &saved,
        &json!({"key": "healthcare-big-budget", "name": "Healthcare with budget",
                "subject": "contact", "rule": BIG_HEALTHCARE,
                "description": "Hospitals that can pay"}),
    );
    app.assert_location_leads_to(&created, &id_of(&saved)).await;
    let id = id_of(&saved);
    let item = format!("{SEGMENTS}/{id}");

    // Rules a contact's context cannot answer, and other bad input, are
    // refused on the field at fault and write nothing.
    let before = app.snapshot(SEGMENTS).await;
    let bad_rules = [
        // `=` is not the language's equality.
        ("contact", "account.industry = \"Healthcare\""),
        ("contact", "account.industry == "),
        ("contact", "(account.industry == \"Healthcare\""),
        // No such field, question or root.
        ("contact", "account.colour == \"red\""),
        ("contact", "account.answers.headcount >= 10"),
        ("contact", "customer.name == \"x\""),
        // A contact's (and an account's) context has no deal.
        ("contact", "deal.amount >= 1000"),
        ("account", "deal.stage == \"won\""),
        ("account", "contact.email is blank"),
    ];
    for (subject, rule) in bad_rules {
        let res = app
            .post_json(
                SEGMENTS,
                &json!({"key": "bad", "name": "Bad", "subject": subject, "rule": rule}),
            )
            .await;
        if let Some(problem) = res.error_mismatch(422, "validation_failed", &["rule"]) {
            panic!("a {subject} segment with the rule {rule:?}: {problem}");
        }
    }
    app.post_json(
        SEGMENTS,
        &json!({"key": "Not A Slug", "name": "x", "subject": "contact"}),
    )
    .await
    .assert_error(422, "validation_failed", &["key"]);
    app.post_json(SEGMENTS, &json!({"key": "no-subject", "name": "x"}))
        .await
        .assert_error(422, "validation_failed", &["subject"]);
    app.post_json(SEGMENTS, &json!({"key": "no-name", "subject": "contact"}))
        .await
        .assert_error(422, "validation_failed", &["name"]);
    app.post_json(
        SEGMENTS,
        &json!({"key": "healthcare-big-budget", "name": "Again", "subject": "account"}),
    )
    .await
    .assert_error(409, "conflict", &["key"]);
    assert_eq!(
        app.snapshot(SEGMENTS).await,
        before,
        "a refused segment was saved"
    );

    // A deal's context has the deal; a segment without a rule is every record.
    segment(app, "big-deals", "deal", Some("deal.amount >= 100000")).await;
    let everyone = segment(app, "every-account", "account", None).await;
    assert_eq!(everyone["rule"], Value::Null);

    // The key never changes; the rest does, checked the same way.
    app.patch_json(&item, &json!({"key": "renamed", "version": 1}))
        .await
        .assert_error(422, "validation_failed", &["key"]);
    app.patch_json(&item, &json!({"rule": "deal.amount > 1", "version": 1}))
        .await
        .assert_error(422, "validation_failed", &["rule"]);
    app.patch_json(
        &item,
        &json!({"rule": "account.answers.nope == 1", "version": 1}),
    )
    .await
    .assert_error(422, "validation_failed", &["rule"]);
    let renamed = app
        .patch_json(
            &item,
            &json!({"key": "healthcare-big-budget", "name": "Big hospitals", "version": 1}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["version"], 2);
    assert_eq!(renamed["key"], "healthcare-big-budget");
    assert_eq!(renamed["name"], "Big hospitals");
    assert_eq!(renamed["rule"], BIG_HEALTHCARE);

    // Reps and legal read segments but do not write them; marketing and
    // managers do.
    for (role, token) in [("rep", &rep), ("legal", &legal)] {
        let res = call(
            app,
            token,
            Method::POST,
            SEGMENTS,
            Some(json!({"key": format!("by-{role}"), "name": "x", "subject": "contact"})),
        )
        .await;
        if let Some(problem) = res.error_mismatch(403, "forbidden", &[]) {
            panic!("{role} creating a segment: {problem}");
        }
        call(
            app,
            token,
            Method::PATCH,
            &item,
            Some(json!({"name": "Mine now", "version": 2})),
        )
        .await
        .assert_error(403, "forbidden", &[]);
        call(app, token, Method::DELETE, &item, None)
            .await
            .assert_error(403, "forbidden", &[]);
        let read = call(app, token, Method::GET, &item, None).await.expect(200);
        assert_eq!(read["name"], "Big hospitals", "{role} reads: {read}");
    }
    let by_marketing = call(
        app,
        &marketing,
        Method::POST,
        SEGMENTS,
        Some(json!({"key": "by-marketing", "name": "Campaign", "subject": "contact"})),
    )
    .await
    .expect(201);
    call(
        app,
        &manager,
        Method::POST,
        SEGMENTS,
        Some(json!({"key": "by-manager", "name": "Team", "subject": "deal"})),
    )
    .await
    .expect(201);
    let keys = strings(&Value::Array(app.list_all(SEGMENTS).await), "key");
    assert_eq!(
        keys,
        set([
            "healthcare-big-budget",
            "big-deals",
            "every-account",
            "by-marketing",
            "by-manager"
        ])
    );
    // A segment no batch used goes.
    call(
        app,
        &marketing,
        Method::DELETE,
        &format!("{SEGMENTS}/{}", id_of(&by_marketing)),
        None,
    )
    .await
    .expect(204);

    // Once a batch used it, the segment stays; the batch keeps the rule it
    // was made with.
    let hospital = account(
        app,
        &app.admin_token,
        "St. Olaf Hospital",
        "Healthcare",
        Some(80000),
    )
    .await;
    contact(app, &app.admin_token, &hospital, "Ada", "Lindqvist").await;
    let batch = start(
        app,
        &app.admin_token,
        "brochure",
        "healthcare-big-budget",
        "html",
        true,
    )
    .await
    .expect(201);
    assert_eq!(batch["total"], 1, "{batch}");
    assert_eq!(batch["rule"], BIG_HEALTHCARE);
    finished(app, &app.admin_token, &id_of(&batch)).await;
    app.delete(&item).await.assert_error(409, "conflict", &[]);
    assert_eq!(app.fetch(&item).await["key"], "healthcare-big-budget");
    app.patch_json(
        &item,
        &json!({"rule": "account.industry == \"Logistics\"", "version": 2}),
    )
    .await
    .expect(200);
    let kept = app.fetch(&format!("{BATCHES}/{}", id_of(&batch))).await;
    assert_eq!(kept["rule"], BIG_HEALTHCARE, "{kept}");
    app.delete(&item).await.assert_error(409, "conflict", &[]);
}
both_backends!(segments_are_checked_when_saved_keep_their_key_and_stay_while_a_batch_uses_them);

// ---- summaries --------------------------------------------------------------

async fn a_summary_counts_the_segment_and_names_the_fields_most_often_blank(app: &mut TestApp) {
    common::seller_company(app).await;
    give_phone(app, &app.admin_token).await;
    budget_question(app).await;
    let (rep_id, rep) = app.signed_in("rep").await;
    let (_, legal) = app.signed_in("legal").await;
    let admin = app.admin_token.clone();

    let olaf = account(app, &admin, "St. Olaf Hospital", "Healthcare", Some(80000)).await;
    let harbor = account(app, &admin, "Harbor Clinic", "Healthcare", Some(50000)).await;
    let small = account(app, &admin, "Small Care", "Healthcare", Some(20000)).await;
    let unknown = account(app, &admin, "Unknown Care", "Healthcare", None).await;
    let freight = account(app, &admin, "Fjord Freight", "Logistics", Some(90000)).await;
    let ada = contact(app, &admin, &olaf, "Ada", "Lindqvist").await;
    let okafor = contact(app, &admin, &olaf, "", "Okafor").await;
    let brandt = contact(app, &admin, &olaf, "", "Brandt").await;
    // The rep's own contact; the rep has no phone yet.
    let mia = app
        .create(
            "/api/v1/contacts",
            json!({"first_name": "Mia", "last_name": "Sorensen", "account_id": harbor,
                   "owner_id": rep_id}),
        )
        .await;
    let mia = id_of(&mia);
    contact(app, &admin, &small, "Lea", "Small").await;
    contact(app, &admin, &unknown, "Ned", "Unknown").await;
    contact(app, &admin, &freight, "", "Freight").await;
    let seg = segment(
        app,
        "healthcare-big-budget",
        "contact",
        Some(BIG_HEALTHCARE),
    )
    .await;

    // Without a template: the size only.
    let plain = app
        .fetch(&format!("{SEGMENTS}/healthcare-big-budget/summary"))
        .await;
    assert_eq!(
        plain,
        json!({"segment": "healthcare-big-budget", "subject": "contact", "count": 4,
               "template": null, "template_version": null, "ready": null,
               "not_ready": null, "missing": []})
    );
    // By id too.
    let by_id = app
        .fetch(&format!("{SEGMENTS}/{}/summary", id_of(&seg)))
        .await;
    assert_eq!(by_id["count"], 4, "{by_id}");

    // For the brochure: Ada is ready; Okafor and Brandt lack a first name,
    // Mia's rep a phone.
    let path = format!("{SEGMENTS}/healthcare-big-budget/summary?template=brochure");
    let summary = app.fetch(&path).await;
    assert_eq!(summary["segment"], "healthcare-big-budget");
    assert_eq!(summary["count"], 4, "{summary}");
    assert_eq!(summary["template"], "brochure");
    assert_eq!(summary["template_version"], 1);
    assert_eq!(summary["ready"], 1, "{summary}");
    assert_eq!(summary["not_ready"], 3, "{summary}");
    let missing = summary["missing"].as_array().expect("a list");
    assert_eq!(missing.len(), 2, "{summary}");
    let first = &missing[0];
    assert_eq!(
        (
            &first["entity"],
            &first["field"],
            &first["members"],
            &first["more_records"]
        ),
        (
            &json!("contact"),
            &json!("first_name"),
            &json!(2),
            &json!(0)
        ),
        "the most often blank field first: {summary}"
    );
    assert_eq!(first["label"], "First name");
    assert_eq!(first["kind"], "text");
    let records = first["records"].as_array().expect("records");
    assert_eq!(
        strings(&first["records"], "id"),
        set([okafor.as_str(), brandt.as_str()])
    );
    for record in records {
        let id = record["id"].as_str().unwrap();
        assert_eq!(record["href"], format!("/api/v1/contacts/{id}"), "{record}");
        assert_eq!(record["editable"], true, "{record}");
        assert_eq!(record["member"]["id"], id, "{record}");
    }
    let named: BTreeMap<&str, &str> = records
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["member"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(named[okafor.as_str()], "Okafor");
    assert_eq!(named[brandt.as_str()], "Brandt");
    let phone = &missing[1];
    assert_eq!(
        (&phone["entity"], &phone["field"], &phone["members"]),
        (&json!("user"), &json!("phone"), &json!(1)),
        "{summary}"
    );
    assert_eq!(phone["kind"], "phone");
    assert_eq!(phone["records"].as_array().unwrap().len(), 1);
    let rep_record = &phone["records"][0];
    assert_eq!(rep_record["id"], rep_id);
    assert_eq!(rep_record["href"], format!("/api/v1/users/{rep_id}"));
    assert_eq!(rep_record["editable"], true, "the admin may write users");
    assert_eq!(
        rep_record["member"],
        json!({"id": mia, "name": "Mia Sorensen"})
    );
    assert!(
        !summary.to_string().contains(&ada),
        "the ready contact is named nowhere: {summary}"
    );

    // Filling a blank through its href moves the counts.
    let href = records[0]["href"].as_str().unwrap().to_owned();
    let filled_id = records[0]["id"].as_str().unwrap().to_owned();
    let current = app.fetch(&href).await;
    app.patch_json(
        &href,
        &json!({"first_name": "Kemi", "version": current["version"]}),
    )
    .await
    .expect(200);
    let summary = app.fetch(&path).await;
    assert_eq!(
        (&summary["ready"], &summary["not_ready"]),
        (&json!(2), &json!(2)),
        "{summary}"
    );
    let first_names: Vec<&Value> = summary["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["field"] == "first_name")
        .collect();
    assert_eq!(first_names.len(), 1, "{summary}");
    assert_eq!(first_names[0]["members"], 1);
    let left = strings(&first_names[0]["records"], "id");
    let other = if filled_id == okafor {
        &brandt
    } else {
        &okafor
    };
    assert_eq!(left, set([other.as_str()]));

    // And the rep's phone, through its href.
    let rep_href = rep_record["href"].as_str().unwrap();
    let user = app.fetch(rep_href).await;
    app.patch_json(
        rep_href,
        &json!({"phone": "+49 40 555 0123", "version": user["version"]}),
    )
    .await
    .expect(200);
    let summary = app.fetch(&path).await;
    assert_eq!(
        (&summary["ready"], &summary["not_ready"]),
        (&json!(3), &json!(1)),
        "{summary}"
    );
    assert_eq!(
        summary["missing"],
        json!([{"entity": "contact", "field": "first_name", "label": "First name",
                "kind": "text", "options": null, "members": 1, "more_records": 0,
                "records": [{"id": other, "href": format!("/api/v1/contacts/{other}"),
                             "editable": true,
                             "member": {"id": other, "name": if other == &okafor { "Okafor" } else { "Brandt" }}}]}])
    );

    // A rep's summary covers their own records only.
    let mine = call(app, &rep, Method::GET, &path, None).await.expect(200);
    assert_eq!(
        (
            &mine["count"],
            &mine["ready"],
            &mine["not_ready"],
            &mine["missing"]
        ),
        (&json!(1), &json!(1), &json!(0), &json!([])),
        "{mine}"
    );
    // Legal does not generate documents, so has nothing to count.
    call(app, &legal, Method::GET, &path, None)
        .await
        .assert_error(403, "forbidden", &[]);
    // Unknown segments and templates are not found.
    app.get(&format!("{SEGMENTS}/no-such-segment/summary"))
        .await
        .assert_error(404, "not_found", &[]);
    app.get(&format!(
        "{SEGMENTS}/healthcare-big-budget/summary?template=no-such-template"
    ))
    .await
    .assert_error(404, "not_found", &[]);
}
both_backends!(a_summary_counts_the_segment_and_names_the_fields_most_often_blank);

// ---- a batch of brochures ---------------------------------------------------

/// A brochure for one contact, printing their full name; for a contact
/// named "Broken" it shows an image that does not exist, so that contact's
/// document cannot be made.
const SEGMENT_BROCHURE: &str = r#"---
title: Live operations data for {{ account.name }}
author: {{ rep.name }}
subject: {{ seller.name }}: live stock, shipments and shop-floor data in one place
date: {{ date(value=today, format="iso") }}
locale: {{ locale }}
theme: modern
paper: a4
---
# Live stock, shipments and shop-floor data in one place, for {{ account.name }}

Prepared for {{ contact.first_name }} {{ contact.last_name }} at {{ account.name }}.

{% if contact.last_name == "Broken" %}
![x](no-such-image.png)
{% endif %}

Nurses should care for patients, not search for supplies. {{ seller.name }} connects your materials management, pharmacy and distributor data into one live picture of stock on every ward, so shortages and expiring stock are dealt with before anyone notices them.

## Let's talk

{{ contact.first_name }}, we would like to show you what this would look like with {{ account.name }}'s own data. A 45-minute call is enough to walk through your current set-up.

**{{ rep.name }}**, {{ seller.name }}  
[{{ rep.email }}](mailto:{{ rep.email }}) · {{ rep.phone }}
"#;

async fn a_batch_makes_a_pdf_for_every_ready_contact_and_reports_the_rest(app: &mut TestApp) {
    common::seller_company(app).await;
    let admin = app.admin_token.clone();
    give_phone(app, &admin).await;
    let (_, marketing) = app.signed_in("marketing").await;
    call(
        app,
        &marketing,
        Method::POST,
        TEMPLATES,
        Some(
            json!({"key": "segment-brochure", "kind": "brochure", "name": "Segment brochure",
                    "formats": ["pdf", "html"], "draft": SEGMENT_BROCHURE}),
        ),
    )
    .await
    .expect(201);
    call(
        app,
        &marketing,
        Method::POST,
        &format!("{TEMPLATES}/segment-brochure/publish"),
        None,
    )
    .await
    .expect(200);

    let olaf = account(app, &admin, "St. Olaf Hospital", "Healthcare", None).await;
    let harbor = account(app, &admin, "Harbor Clinic", "Healthcare", None).await;
    let freight = account(app, &admin, "Fjord Freight", "Logistics", None).await;
    // Two contacts share a name: their files get told apart in the ZIP.
    let names = [
        ("Ada", "Lindqvist"),
        ("Ada", "Lindqvist"),
        ("Bruno", "Okafor"),
        ("Carla", "Mendes"),
        ("Dmitri", "Volkov"),
        ("Elif", "Yilmaz"),
        ("Farid", "Haddad"),
        ("Greta", "Nilsson"),
        ("Hugo", "Laurent"),
        ("Ines", "Castro"),
        ("", "Nakamura"),
        ("Jonas", "Weber"),
        ("Kemi", "Adeyemi"),
        ("Lars", "Berg"),
        ("Bo", "Broken"),
        ("Maya", "Patel"),
        ("Nora", "Quinn"),
        ("Oscar", "Reyes"),
        ("Priya", "Shah"),
        ("Rafael", "Costa"),
    ];
    // Contact id -> full name, for the 20 in the segment.
    let mut people: HashMap<String, String> = HashMap::new();
    for (n, (first, last)) in names.iter().enumerate() {
        let at = if n % 2 == 0 { &olaf } else { &harbor };
        let id = contact(app, &admin, at, first, last).await;
        people.insert(id, format!("{first} {last}").trim().to_owned());
    }
    let find = |name: &str| {
        people
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no contact {name}"))
    };
    let (nakamura, broken) = (find("Nakamura"), find("Bo Broken"));
    let outsiders = [
        contact(app, &admin, &freight, "Sven", "Outside").await,
        contact(app, &admin, &freight, "Tove", "Outside").await,
    ];
    segment(
        app,
        "hospitals",
        "contact",
        Some("account.industry == \"Healthcare\""),
    )
    .await;

    let res = start(app, &admin, "segment-brochure", "hospitals", "pdf", false).await;
    assert_eq!(res.status, 201, "{res}");
    let batch = res.body.clone();
    let id = id_of(&batch);
    app.assert_location_leads_to(&res, &id).await;
    common::assert_has_fields(
        &batch,
        &json!({"template": "segment-brochure", "template_version": 1, "format": "pdf",
                "draft": false, "segment_key": "hospitals", "subject": "contact",
                "total": 20, "created_by": app.admin_id}),
    );
    assert!(
        batch["status"] == "running" || batch["status"] == "finished",
        "{batch}"
    );

    let progress = finished(app, &admin, &id).await;
    assert_eq!(progress["counts"], counts(18, 1, 1), "{progress}");
    assert_eq!(progress["total"], 20);
    let finished_at = common::ts(&progress["finished_at"]);
    assert!(
        finished_at >= common::ts(&progress["created_at"]),
        "{progress}"
    );
    assert!(
        progress["rate_per_second"]
            .as_f64()
            .is_some_and(|r| r > 0.0),
        "a finished batch has a rate: {progress}"
    );
    assert_eq!(
        progress["eta_seconds"],
        Value::Null,
        "nothing left: {progress}"
    );

    // Every item, in pages of 7.
    let all = items(app, &admin, &id, "").await;
    assert_eq!(all.len(), 20, "{all:?}");
    let positions: Vec<i64> = all
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (1..=20).collect::<Vec<i64>>());
    let subjects: BTreeSet<String> = all
        .iter()
        .map(|i| i["subject_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subjects, people.keys().cloned().collect::<BTreeSet<_>>());
    for outsider in &outsiders {
        assert!(
            !subjects.contains(outsider),
            "a Logistics contact is an item"
        );
    }
    for item in &all {
        let subject = item["subject_id"].as_str().unwrap();
        assert_eq!(item["name"], people[subject].as_str(), "{item}");
        assert_eq!(item["attempts"], 1, "made once: {item}");
        common::ts(&item["finished_at"]);
    }

    // The contact without a first name is skipped, naming the field.
    let skipped = items(app, &admin, &id, "status=skipped").await;
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    let skip = &skipped[0];
    assert_eq!(skip["subject_id"], nakamura.as_str());
    assert_eq!(skip["status"], "skipped");
    assert_eq!(skip["document_id"], Value::Null);
    let reason = skip["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("First name"),
        "the reason names the field: {reason}"
    );
    let missing = skip["missing"].as_array().expect("missing is a list");
    assert_eq!(missing.len(), 1, "{skip}");
    assert_eq!(missing[0]["entity"], "contact");
    assert_eq!(missing[0]["field"], "first_name");
    assert_eq!(missing[0]["id"], nakamura.as_str());
    assert_eq!(missing[0]["href"], format!("/api/v1/contacts/{nakamura}"));

    // The contact whose document cannot be made failed, saying why.
    let failed = items(app, &admin, &id, "status=failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let fail = &failed[0];
    assert_eq!(fail["subject_id"], broken.as_str());
    assert_eq!(fail["document_id"], Value::Null);
    assert_eq!(fail["missing"], Value::Null, "{fail}");
    let why = fail["reason"].as_str().expect("a reason").to_owned();
    // (That the reason says why is checked last, after everything else.)

    // Every other contact has exactly one document, a PDF with their name.
    let done = items(app, &admin, &id, "status=done").await;
    assert_eq!(done.len(), 18);
    let mut documents: HashMap<String, Vec<u8>> = HashMap::new();
    for item in &done {
        let subject = item["subject_id"].as_str().unwrap();
        let name = &people[subject];
        let document_id = item["document_id"].as_str().expect("a document").to_owned();
        assert_eq!(item["reason"], Value::Null, "{item}");
        let listed = app
            .fetch(&format!("/api/v1/documents?contact_id={subject}"))
            .await;
        assert_eq!(
            common::item_ids(&listed),
            vec![document_id.clone()],
            "{name} has exactly the batch's document"
        );
        let document = &listed["items"][0];
        assert_eq!(document["template"], "segment-brochure");
        assert_eq!(document["format"], "pdf");
        assert_eq!(document["draft"], false);
        assert_eq!(
            document["file_name"],
            format!("Segment brochure - {name}.pdf"),
            "{document}"
        );
        let pdf = app
            .download(&admin, &format!("/api/v1/documents/{document_id}/content"))
            .await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.content_type, "application/pdf");
        assert!(
            pdf.bytes.starts_with(b"%PDF-"),
            "{name}'s document is a PDF"
        );
        if let Some(text) = tools::pdf_text(&pdf.bytes) {
            let text = tools::squeeze(&text);
            assert!(
                text.contains(&format!("Prepared for {name} at")),
                "{name}'s PDF does not print their name:\n{text}"
            );
        }
        documents.insert(document_id, pdf.bytes);
    }
    for nobody in [&nakamura, &broken] {
        let listed = app
            .fetch(&format!("/api/v1/documents?contact_id={nobody}"))
            .await;
        assert_eq!(common::item_ids(&listed), Vec::<String>::new(), "{listed}");
    }
    let all_documents = app
        .list_all("/api/v1/documents?template=segment-brochure")
        .await;
    assert_eq!(all_documents.len(), 18, "no contact has two documents");

    // The ZIP: the 18 PDFs under their file names and batch.csv.
    let download = app
        .download(&admin, &format!("{BATCHES}/{id}/archive"))
        .await;
    assert_eq!(
        download.status,
        200,
        "{}",
        String::from_utf8_lossy(&download.bytes)
    );
    assert_eq!(download.content_type, "application/zip");
    assert!(
        download
            .disposition
            .contains(&format!("batch-segment-brochure-hospitals-{id}.zip")),
        "{}",
        download.disposition
    );
    let mut archive = zip::ZipArchive::new(Cursor::new(download.bytes)).expect("a readable ZIP");
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("an entry");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).expect("an entry's bytes");
        assert!(
            files.insert(file.name().to_owned(), bytes).is_none(),
            "{} twice in the ZIP",
            file.name()
        );
    }
    let mut expected_names: BTreeSet<String> = done
        .iter()
        .map(|i| {
            format!(
                "Segment brochure - {}.pdf",
                people[i["subject_id"].as_str().unwrap()]
            )
        })
        .collect();
    expected_names.insert("Segment brochure - Ada Lindqvist (2).pdf".to_owned());
    expected_names.insert("batch.csv".to_owned());
    assert_eq!(
        files.keys().cloned().collect::<BTreeSet<_>>(),
        expected_names,
        "the ZIP holds 18 PDFs and batch.csv"
    );
    assert_eq!(files.len(), 19);

    let csv_bytes = files.get("batch.csv").expect("batch.csv").clone();
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    assert_eq!(
        reader
            .headers()
            .expect("a header")
            .iter()
            .collect::<Vec<_>>(),
        [
            "position",
            "record_id",
            "name",
            "status",
            "file",
            "document_id",
            "reason"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("batch.csv parses");
    assert_eq!(rows.len(), 20, "one row per record");
    let by_position: HashMap<String, &Value> =
        all.iter().map(|i| (i["position"].to_string(), i)).collect();
    let mut files_listed = BTreeSet::new();
    for row in &rows {
        let item = by_position[&row[0]];
        let subject = item["subject_id"].as_str().unwrap();
        assert_eq!(&row[1], subject, "{row:?}");
        assert_eq!(&row[2], people[subject].as_str(), "{row:?}");
        assert_eq!(&row[3], item["status"].as_str().unwrap(), "{row:?}");
        match item["status"].as_str().unwrap() {
            "done" => {
                let document_id = item["document_id"].as_str().unwrap();
                assert_eq!(&row[5], document_id, "{row:?}");
                assert_eq!(&row[6], "", "{row:?}");
                let file = &files[&row[4]];
                assert_eq!(
                    file, &documents[document_id],
                    "{} in the ZIP is {}'s document",
                    &row[4], &row[2]
                );
                files_listed.insert(row[4].to_owned());
            }
            _ => {
                assert_eq!((&row[4], &row[5]), ("", ""), "{row:?}");
                assert_eq!(&row[6], item["reason"].as_str().unwrap(), "{row:?}");
            }
        }
    }
    assert_eq!(files_listed.len(), 18, "every PDF is listed once");

    // The batch is listed.
    let listed = app.list_all(BATCHES).await;
    assert_eq!(common::ids(&listed), vec![id.clone()]);
    assert_eq!(listed[0]["status"], "finished");

    // The last two checks are reported together, so one does not hide
    // the other.
    let mut problems = Vec::new();

    // The items page as asked: `limit` items a page, then `next_cursor`.
    let mut positions = Vec::new();
    let mut sizes = Vec::new();
    let mut path = format!("{BATCHES}/{id}/items?limit=7");
    for _ in 0..4 {
        let res = app.get(&path).await;
        if res.status != 200 {
            problems.push(format!("paging the items with `limit` is refused: {res}"));
            break;
        }
        let got = res.body["items"].as_array().expect("items");
        sizes.push(got.len());
        positions.extend(got.iter().map(|i| i["position"].as_i64().unwrap()));
        match res.body["next_cursor"].as_str() {
            Some(c) => {
                path = common::with_query(&format!("{BATCHES}/{id}/items?limit=7"), "cursor", c)
            }
            None => break,
        }
    }
    if problems.is_empty() {
        assert_eq!(sizes, vec![7, 7, 6], "pages of 7");
        assert_eq!(positions, (1..=20).collect::<Vec<i64>>());
        let some_done = app
            .fetch(&format!("{BATCHES}/{id}/items?status=done&limit=5"))
            .await;
        let got = some_done["items"].as_array().unwrap();
        assert_eq!(got.len(), 5, "{some_done}");
        assert!(got.iter().all(|i| i["status"] == "done"), "{some_done}");
        assert!(some_done["next_cursor"].is_string(), "{some_done}");
    }
    for limit in ["0", "201", "many"] {
        app.get(&format!("{BATCHES}/{id}/items?limit={limit}"))
            .await
            .assert_error(400, "bad_request", &["limit"]);
    }

    // The failed item says why: its image does not exist. Not the bare
    // "some fields are invalid" of a validation error's summary.
    if !why.contains("no-such-image.png") {
        problems.push(format!(
            "the failed item's reason should say why (the missing image \
             `no-such-image.png`), is {why:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
both_backends!(a_batch_makes_a_pdf_for_every_ready_contact_and_reports_the_rest);

// ---- who may, and what is refused ---------------------------------------------

async fn batches_are_started_and_read_only_by_whom_the_roles_allow(app: &mut TestApp) {
    common::seller_company(app).await;
    let admin = app.admin_token.clone();
    give_phone(app, &admin).await;
    let (rep_id, rep) = app.signed_in("rep").await;
    give_phone(app, &rep).await;
    let (_, other_rep) = app.signed_in("rep").await;
    let (_, idle_rep) = app.signed_in("rep").await;
    let (_, manager) = app.signed_in("manager").await;
    let (_, legal) = app.signed_in("legal").await;
    let (marketing_id, marketing) = app.signed_in("marketing").await;

    let hospital = account(app, &admin, "St. Olaf Hospital", "Healthcare", None).await;
    for (first, last) in [
        ("Ada", "Lindqvist"),
        ("Bruno", "Okafor"),
        ("Carla", "Mendes"),
    ] {
        contact(app, &admin, &hospital, first, last).await;
    }
    let rep_account = account(app, &rep, "Harbor Clinic", "Healthcare", None).await;
    let rep_contacts = BTreeSet::from([
        contact(app, &rep, &rep_account, "Mia", "Sorensen").await,
        contact(app, &rep, &rep_account, "Noah", "Berg").await,
    ]);
    let other_account = account(app, &other_rep, "Fjord Care", "Healthcare", None).await;
    contact(app, &other_rep, &other_account, "Olle", "Dahl").await;
    // A Logistics contact of the rep's is outside the segment.
    let rep_freight = account(app, &rep, "Rep Freight", "Logistics", None).await;
    contact(app, &rep, &rep_freight, "Pia", "Cargo").await;
    segment(
        app,
        "hospitals",
        "contact",
        Some("account.industry == \"Healthcare\""),
    )
    .await;
    segment(
        app,
        "nobody",
        "contact",
        Some("account.industry == \"Mining\""),
    )
    .await;
    assert_eq!(
        app.fetch(&format!("{SEGMENTS}/hospitals/summary")).await["count"],
        6
    );

    // A rep's batch holds their own records only.
    let mine = start(app, &rep, "brochure", "hospitals", "html", false)
        .await
        .expect(201);
    let mine_id = id_of(&mine);
    assert_eq!(mine["total"], 2, "{mine}");
    assert_eq!(mine["created_by"], rep_id);
    let progress = finished(app, &rep, &mine_id).await;
    assert_eq!(progress["counts"], counts(2, 0, 0), "{progress}");
    let rep_items = items(app, &rep, &mine_id, "").await;
    assert_eq!(
        rep_items
            .iter()
            .map(|i| i["subject_id"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>(),
        rep_contacts
    );
    let download = app
        .download(&rep, &format!("{BATCHES}/{mine_id}/archive"))
        .await;
    assert_eq!(download.status, 200);
    let archive = zip::ZipArchive::new(Cursor::new(download.bytes)).expect("a ZIP");
    assert_eq!(archive.len(), 3, "two brochures and batch.csv");

    // Another rep reads none of it; managers and legal read everything.
    for path in [
        format!("{BATCHES}/{mine_id}"),
        format!("{BATCHES}/{mine_id}/items"),
    ] {
        call(app, &other_rep, Method::GET, &path, None)
            .await
            .assert_error(403, "forbidden", &[]);
        call(app, &manager, Method::GET, &path, None)
            .await
            .expect(200);
        call(app, &legal, Method::GET, &path, None)
            .await
            .expect(200);
    }
    let refused = app
        .download(&other_rep, &format!("{BATCHES}/{mine_id}/archive"))
        .await;
    assert_eq!(
        refused.status,
        403,
        "{}",
        String::from_utf8_lossy(&refused.bytes)
    );
    let theirs = call(app, &other_rep, Method::GET, BATCHES, None)
        .await
        .expect(200);
    assert_eq!(
        theirs["items"],
        json!([]),
        "a rep lists only their own: {theirs}"
    );
    let managers = call(app, &manager, Method::GET, BATCHES, None)
        .await
        .expect(200);
    assert_eq!(common::item_ids(&managers), vec![mine_id.clone()]);

    // Legal generates nothing; marketing only drafts.
    let before = app.list_ids(BATCHES).await;
    start(app, &legal, "brochure", "hospitals", "html", true)
        .await
        .assert_error(403, "forbidden", &[]);
    start(app, &marketing, "brochure", "hospitals", "html", false)
        .await
        .assert_error(403, "forbidden", &[]);
    assert_eq!(
        app.list_ids(BATCHES).await,
        before,
        "a refused batch was kept"
    );
    let drafts = start(app, &marketing, "brochure", "hospitals", "html", true)
        .await
        .expect(201);
    assert_eq!(drafts["draft"], true);
    assert_eq!(
        drafts["total"], 6,
        "marketing drafts for every record: {drafts}"
    );
    assert_eq!(drafts["created_by"], marketing_id);
    // Drafts are made ready or not (the other rep has no phone).
    let progress = finished(app, &marketing, &id_of(&drafts)).await;
    assert_eq!(progress["counts"], counts(6, 0, 0), "{progress}");

    // A manager's batch holds everyone's records.
    let managed = start(app, &manager, "brochure", "hospitals", "html", false)
        .await
        .expect(201);
    assert_eq!(managed["total"], 6, "{managed}");
    let progress = finished(app, &manager, &id_of(&managed)).await;
    // The other rep has no phone: their contact is skipped.
    assert_eq!(progress["counts"], counts(5, 1, 0), "{progress}");

    // What is refused, and on which field.
    let before = app.list_ids(BATCHES).await;
    start(app, &admin, "brochure", "no-such-segment", "pdf", false)
        .await
        .assert_error(422, "validation_failed", &["segment"]);
    start(app, &admin, "no-such-template", "hospitals", "pdf", false)
        .await
        .assert_error(404, "not_found", &[]);
    // The follow-up e-mail is written for HTML and e-mail only.
    start(app, &admin, "follow-up-email", "hospitals", "pdf", false)
        .await
        .assert_error(422, "validation_failed", &["format"]);
    start(app, &admin, "brochure", "hospitals", "odt", false)
        .await
        .assert_error(422, "validation_failed", &["format"]);
    // A block is part of other templates, not a document of its own.
    start(app, &admin, "company-profile", "hospitals", "pdf", false)
        .await
        .assert_error(422, "validation_failed", &["template"]);
    start(app, &admin, "brochure", "nobody", "pdf", false)
        .await
        .assert_error(422, "validation_failed", &["segment"]);
    start(app, &idle_rep, "brochure", "hospitals", "pdf", false)
        .await
        .assert_error(422, "validation_failed", &["segment"]);
    assert_eq!(
        app.list_ids(BATCHES).await,
        before,
        "a refused batch was kept"
    );
    app.get(&format!("{BATCHES}/{}", common::new_id()))
        .await
        .assert_error(404, "not_found", &[]);
}
both_backends!(batches_are_started_and_read_only_by_whom_the_roles_allow);
