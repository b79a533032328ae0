//! Templates as data and readiness, over HTTP on both databases: the
//! built-in templates seeded and published; drafts, publishing and
//! versions; who may write; includes and layouts from the store; and
//! readiness listing exactly the blank fields a document prints, each
//! filled through its `href` until the subject is ready.

mod common;

use common::{TestApp, both_backends, id_of};
use reqwest::Method;
use serde_json::{Value, json};

const TEMPLATES: &str = "/api/v1/templates";

/// Creates and publishes template `key` as `token` (a marketing user).
async fn publish_new(app: &TestApp, token: &str, key: &str, kind: &str, draft: &str) -> Value {
    app.request_as(
        Some(token),
        Method::POST,
        TEMPLATES,
        Some(&json!({"key": key, "kind": kind, "name": key, "draft": draft})),
    )
    .await
    .expect(201);
    app.request_as(
        Some(token),
        Method::POST,
        &format!("{TEMPLATES}/{key}/publish"),
        None,
    )
    .await
    .expect(200)
}

async fn readiness(app: &TestApp, token: &str, subject: &str, key: &str) -> Value {
    app.request_as(
        Some(token),
        Method::GET,
        &format!("{subject}/readiness?template={key}"),
        None,
    )
    .await
    .expect(200)
}

/// The missing items as `entity.field`, sorted.
fn missing(readiness: &Value) -> Vec<String> {
    let mut items: Vec<String> = readiness["missing"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| {
            format!(
                "{}.{}",
                m["entity"].as_str().unwrap(),
                m["field"].as_str().unwrap()
            )
        })
        .collect();
    items.sort();
    items
}

fn item<'a>(readiness: &'a Value, entity: &str, field: &str) -> &'a Value {
    readiness["missing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["entity"] == entity && m["field"] == field)
        .unwrap_or_else(|| panic!("no {entity}.{field} in {readiness}"))
}

// ---- the built-in templates -----------------------------------------------

async fn a_new_workspace_has_the_builtin_templates_published(app: &mut TestApp) {
    let page = app.fetch(&format!("{TEMPLATES}?limit=50")).await;
    let keys: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    for key in [
        "proposal",
        "brochure",
        "follow-up-email",
        "security",
        "company-profile",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    for template in page["items"].as_array().unwrap() {
        assert_eq!(template["published_version"], 1, "{template}");
        assert_eq!(template["draft"], Value::Null);
    }
    let versions = app.fetch(&format!("{TEMPLATES}/proposal/versions")).await;
    let versions = versions["items"].as_array().unwrap();
    assert_eq!(versions.len(), 1);
    assert!(
        versions[0]["source"]
            .as_str()
            .unwrap()
            .contains("include \"security.md\"")
    );

    // A restart does not seed them twice.
    app.restart().await;
    let again = app.fetch(&format!("{TEMPLATES}?limit=50")).await;
    assert_eq!(again["items"].as_array().unwrap().len(), keys.len());
}
both_backends!(a_new_workspace_has_the_builtin_templates_published);

async fn the_builtin_proposal_names_what_a_sparse_deal_lacks(app: &mut TestApp) {
    let (_, rep) = app.signed_in("rep").await;
    let account = app
        .request_as(
            Some(&rep),
            Method::POST,
            "/api/v1/accounts",
            Some(&json!({"name": "Acme"})),
        )
        .await
        .expect(201);
    let deal = app
        .request_as(
            Some(&rep),
            Method::POST,
            "/api/v1/deals",
            Some(&json!({"name": "Rollout", "account_id": id_of(&account)})),
        )
        .await
        .expect(201);
    let r = readiness(
        app,
        &rep,
        &format!("/api/v1/deals/{}", id_of(&deal)),
        "proposal",
    )
    .await;
    assert_eq!(r["ready"], false);
    let m = missing(&r);
    for expected in [
        "deal.amount",
        "deal.expected_close_date",
        "user.phone",
        "account.industry",
    ] {
        assert!(m.contains(&expected.to_owned()), "{expected} not in {m:?}");
    }
}
both_backends!(the_builtin_proposal_names_what_a_sparse_deal_lacks);

// ---- writing, publishing, versions -------------------------------------------

async fn marketing_writes_and_publishes_and_a_rep_cannot(app: &mut TestApp) {
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, rep) = app.signed_in("rep").await;
    let body = json!({"key": "offer", "kind": "proposal", "name": "Offer", "draft": "# {{ deal.name }}\n"});
    app.request_as(Some(&rep), Method::POST, TEMPLATES, Some(&body))
        .await
        .assert_error(403, "forbidden", &[]);
    let created = app
        .request_as(Some(&marketing), Method::POST, TEMPLATES, Some(&body))
        .await
        .expect(201);
    assert_eq!(created["published_version"], Value::Null);
    assert_eq!(created["formats"], json!(["docx", "html", "pdf"]));
    let id = id_of(&created);
    app.request_as(
        Some(&rep),
        Method::PATCH,
        &format!("{TEMPLATES}/{id}"),
        Some(&json!({"name": "Mine", "version": 1})),
    )
    .await
    .assert_error(403, "forbidden", &[]);
    app.request_as(
        Some(&rep),
        Method::POST,
        &format!("{TEMPLATES}/offer/publish"),
        None,
    )
    .await
    .assert_error(403, "forbidden", &[]);

    let published = app
        .request_as(
            Some(&marketing),
            Method::POST,
            &format!("{TEMPLATES}/offer/publish"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(published["published_version"], 1);
    assert_eq!(published["draft"], Value::Null);
    // Nothing left to publish.
    app.request_as(
        Some(&marketing),
        Method::POST,
        &format!("{TEMPLATES}/offer/publish"),
        None,
    )
    .await
    .assert_error(409, "conflict", &[]);
    // A new draft starts from the published source; the versions list is
    // readable by everyone.
    let drafted = app
        .request_as(
            Some(&marketing),
            Method::POST,
            &format!("{TEMPLATES}/offer/versions"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(drafted["draft"], "# {{ deal.name }}\n");
    app.request_as(
        Some(&marketing),
        Method::POST,
        &format!("{TEMPLATES}/offer/versions"),
        None,
    )
    .await
    .assert_error(409, "conflict", &[]);
    app.request_as(
        Some(&marketing),
        Method::PATCH,
        &format!("{TEMPLATES}/{id}"),
        Some(&json!({"draft": "# {{ deal.name }} v2\n", "version": drafted["version"]})),
    )
    .await
    .expect(200);
    app.request_as(
        Some(&marketing),
        Method::POST,
        &format!("{TEMPLATES}/{id}/publish"),
        None,
    )
    .await
    .expect(200);
    let versions = app
        .request_as(
            Some(&rep),
            Method::GET,
            &format!("{TEMPLATES}/offer/versions"),
            None,
        )
        .await
        .expect(200);
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![2, 1]);
    assert_eq!(
        versions["items"][1]["source"], "# {{ deal.name }}\n",
        "version 1 never changes"
    );
}
both_backends!(marketing_writes_and_publishes_and_a_rep_cannot);

async fn a_draft_with_a_syntax_error_is_refused_with_line_and_column(app: &mut TestApp) {
    let res = app
        .post_json(
            TEMPLATES,
            &json!({"key": "broken", "kind": "brochure", "name": "Broken",
                    "draft": "# Title\n\nHello {{ contact.name | }}\n"}),
        )
        .await;
    res.assert_error(422, "validation_failed", &["draft"]);
    let problem = res.body["error"]["fields"]["draft"].as_str().unwrap();
    assert!(
        problem.starts_with("broken.md, line 3, column "),
        "{problem}"
    );
    // Keys, kinds and formats are checked too.
    app.post_json(
        TEMPLATES,
        &json!({"key": "Bad Key", "kind": "brochure", "name": "x"}),
    )
    .await
    .assert_error(422, "validation_failed", &["key"]);
    app.post_json(
        TEMPLATES,
        &json!({"key": "poster", "kind": "poster", "name": "x"}),
    )
    .await
    .assert_error(422, "validation_failed", &["kind"]);
    app.post_json(
        TEMPLATES,
        &json!({"key": "ok", "kind": "brochure", "name": "x", "formats": ["pdf", "odt"]}),
    )
    .await
    .assert_error(422, "validation_failed", &["formats"]);
    // The key of a built-in template is taken.
    app.post_json(
        TEMPLATES,
        &json!({"key": "proposal", "kind": "proposal", "name": "x"}),
    )
    .await
    .assert_error(409, "conflict", &["key"]);
}
both_backends!(a_draft_with_a_syntax_error_is_refused_with_line_and_column);

// ---- includes and layouts ------------------------------------------------------

async fn includes_and_layouts_resolve_from_published_templates_only(app: &mut TestApp) {
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, rep) = app.signed_in("rep").await;
    // A block that is not published yet cannot be used.
    app.request_as(
        Some(&marketing),
        Method::POST,
        TEMPLATES,
        Some(
            &json!({"key": "greeting", "kind": "block", "name": "Greeting",
                     "draft": "Hello {{ contact.title }},\n"}),
        ),
    )
    .await
    .expect(201);
    app.request_as(
        Some(&marketing),
        Method::POST,
        TEMPLATES,
        Some(&json!({"key": "letter", "kind": "email", "name": "Letter",
                     "draft": "{% include \"greeting.md\" %}\nRegards\n"})),
    )
    .await
    .expect(201);
    let refused = app
        .request_as(
            Some(&marketing),
            Method::POST,
            &format!("{TEMPLATES}/letter/publish"),
            None,
        )
        .await;
    refused.assert_error(422, "validation_failed", &["template"]);
    assert!(refused.text.contains("greeting.md"), "{}", refused.text);
    app.request_as(
        Some(&marketing),
        Method::POST,
        &format!("{TEMPLATES}/greeting/publish"),
        None,
    )
    .await
    .expect(200);
    app.request_as(
        Some(&marketing),
        Method::POST,
        &format!("{TEMPLATES}/letter/publish"),
        None,
    )
    .await
    .expect(200);
    // A layout and a template extending it.
    publish_new(
        app,
        &marketing,
        "frame",
        "layout",
        "Header\n\n{% block body %}{% endblock body %}\n\nFooter {{ seller.phone }}\n",
    )
    .await;
    publish_new(
        app,
        &marketing,
        "framed",
        "brochure",
        "{% extends \"frame.md\" %}{% block body %}Body for {{ account.name }}{% endblock body %}",
    )
    .await;

    // Readiness sees through both: the contact's title in the included
    // block, the seller's phone in the layout.
    let account = app.new_account("Included Ltd").await;
    let contact = app
        .create(
            "/api/v1/contacts",
            json!({"first_name": "Ada", "last_name": "Byron", "account_id": account}),
        )
        .await;
    let letter = readiness(
        app,
        &rep,
        &format!("/api/v1/contacts/{}", id_of(&contact)),
        "letter",
    )
    .await;
    assert_eq!(missing(&letter), vec!["contact.title"]);
    let framed = readiness(app, &rep, &format!("/api/v1/accounts/{account}"), "framed").await;
    assert_eq!(missing(&framed), vec!["settings.company.phone"]);
    let phone = item(&framed, "settings", "company.phone");
    assert_eq!(phone["href"], "/api/v1/settings");
    assert_eq!(
        phone["editable"], false,
        "only an admin changes the settings"
    );

    // Nothing reaches the file system or the environment.
    publish_new(
        app,
        &marketing,
        "env",
        "brochure",
        "{{ get_env(name=\"HOME\") }}",
    )
    .await;
    app.request_as(
        Some(&rep),
        Method::GET,
        &format!("/api/v1/accounts/{account}/readiness?template=env"),
        None,
    )
    .await
    .assert_error(422, "validation_failed", &["template"]);
    app.request_as(
        Some(&marketing),
        Method::POST,
        TEMPLATES,
        Some(&json!({"key": "passwd", "kind": "brochure", "name": "x",
                     "draft": "{% include \"/etc/passwd\" %}"})),
    )
    .await
    .expect(201);
    app.request_as(
        Some(&marketing),
        Method::POST,
        &format!("{TEMPLATES}/passwd/publish"),
        None,
    )
    .await
    .assert_error(422, "validation_failed", &["template"]);
}
both_backends!(includes_and_layouts_resolve_from_published_templates_only);

async fn send(app: &TestApp, token: &str, method: Method, path: String, body: Value) {
    app.request_as(Some(token), method, &path, Some(&body))
        .await
        .expect_success();
}

// ---- readiness --------------------------------------------------------------------

const OFFER: &str = "---
title: Offer for {{ account.name }}
---
# {{ deal.name }}

Dear {{ contact.first_name }} {{ contact.last_name }}, call me on {{ rep.phone }}.

Budget: {{ deal.answers.budget }}. Country: {{ account.country }}.

{% if account.domain %}Site: {{ account.domain }}{% endif %}
Industry: {{ account.industry | default(value=\"your industry\") }}
{% if deal.stage == \"won\" %}Thanks, {{ contact.email }}{% endif %}

Total: {{ money(amount=deal.amount, currency=deal.currency) }}
";

async fn readiness_lists_exactly_the_blank_printed_fields_until_each_is_filled(app: &mut TestApp) {
    let (_, marketing) = app.signed_in("marketing").await;
    let (rep_id, rep) = app.signed_in("rep").await;
    let (other_rep, _) = app.signed_in("rep").await;
    app.new_question("budget", "number", "deal").await;
    publish_new(app, &marketing, "offer", "proposal", OFFER).await;

    // The account and contact belong to another rep; the deal to ours.
    let account = app
        .create(
            "/api/v1/accounts",
            json!({"name": "Sparse GmbH", "owner_id": other_rep}),
        )
        .await;
    let contact = app
        .create(
            "/api/v1/contacts",
            json!({"last_name": "Nowak", "account_id": id_of(&account), "owner_id": other_rep}),
        )
        .await;
    let deal = app
        .request_as(
            Some(&rep),
            Method::POST,
            "/api/v1/deals",
            Some(&json!({"name": "Rollout", "account_id": id_of(&account),
                         "primary_contact_id": id_of(&contact)})),
        )
        .await
        .expect(201);
    let deal_path = format!("/api/v1/deals/{}", id_of(&deal));

    let r = readiness(app, &rep, &deal_path, "offer").await;
    assert_eq!(r["ready"], false);
    assert_eq!(r["template_version"], 1);
    // Printed blank: the contact's first name, the rep's phone, a profiling
    // answer, the country, the amount and currency. Not listed: the domain
    // (only tested), the industry (has a default), the email (its branch is
    // not taken).
    assert_eq!(
        missing(&r),
        vec![
            "account.country",
            "contact.first_name",
            "deal.amount",
            "deal.answers.budget",
            "deal.currency",
            "user.phone",
        ]
    );
    let budget = item(&r, "deal", "answers.budget");
    assert_eq!(budget["kind"], "number");
    assert_eq!(budget["href"], format!("{deal_path}/answers"));
    let phone = item(&r, "user", "phone");
    assert_eq!(
        (phone["href"].as_str(), phone["editable"].as_bool()),
        (Some("/api/v1/me"), Some(true))
    );
    assert_eq!(phone["id"], rep_id);
    // The deal's owner may fill the blanks of another rep's account and
    // contact.
    let country = item(&r, "account", "country");
    assert_eq!(country["editable"], true);
    assert_eq!(
        country["href"],
        format!("/api/v1/accounts/{}", id_of(&account))
    );

    // Each written through its href.
    let app: &TestApp = app;
    let me = app
        .request_as(Some(&rep), Method::GET, "/api/v1/me", None)
        .await
        .expect(200);
    send(
        app,
        &rep,
        Method::PATCH,
        "/api/v1/me".into(),
        json!({"phone": "+49 30 1234", "version": me["version"]}),
    )
    .await;
    send(
        app,
        &rep,
        Method::PUT,
        format!("{deal_path}/answers"),
        json!({"budget": 50000}),
    )
    .await;
    send(
        app,
        &rep,
        Method::PATCH,
        deal_path.clone(),
        json!({"amount": "48000.00", "currency": "EUR", "version": deal["version"]}),
    )
    .await;
    send(
        app,
        &rep,
        Method::PATCH,
        country["href"].as_str().unwrap().to_owned(),
        json!({"country": "DE", "version": account["version"]}),
    )
    .await;
    send(
        app,
        &rep,
        Method::PATCH,
        item(&r, "contact", "first_name")["href"]
            .as_str()
            .unwrap()
            .to_owned(),
        json!({"first_name": "Ewa", "version": contact["version"]}),
    )
    .await;

    let ready = readiness(app, &rep, &deal_path, "offer").await;
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(ready["missing"], json!([]));
}
both_backends!(readiness_lists_exactly_the_blank_printed_fields_until_each_is_filled);

const TEAM: &str = "---
title: For {{ account.domain }}
---
{% for c in contacts %}- {{ c.name }} ({{ c.role }}): {{ c.email }}
{% endfor %}
{% set acct = account %}Country: {{ acct.country }}
";

async fn readiness_follows_loop_variables_set_names_and_the_front_matter(app: &mut TestApp) {
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, rep) = app.signed_in("rep").await;
    publish_new(app, &marketing, "team", "proposal", TEAM).await;
    let account = app
        .request_as(
            Some(&rep),
            Method::POST,
            "/api/v1/accounts",
            Some(&json!({"name": "Loop AG"})),
        )
        .await
        .expect(201);
    let mut contacts = Vec::new();
    for (first, email) in [("Ada", Some("ada@loop.example")), ("Ben", None)] {
        let contact = app
            .request_as(
                Some(&rep),
                Method::POST,
                "/api/v1/contacts",
                Some(
                    &json!({"first_name": first, "last_name": "Loop", "email": email,
                             "account_id": id_of(&account)}),
                ),
            )
            .await
            .expect(201);
        contacts.push(contact);
    }
    let deal = app
        .request_as(
            Some(&rep),
            Method::POST,
            "/api/v1/deals",
            Some(&json!({"name": "Loops", "account_id": id_of(&account)})),
        )
        .await
        .expect(201);
    let deal_path = format!("/api/v1/deals/{}", id_of(&deal));
    send(
        app,
        &rep,
        Method::PUT,
        format!("{deal_path}/contacts"),
        json!({"contacts": [
            {"contact_id": id_of(&contacts[0]), "role": "champion"},
            {"contact_id": id_of(&contacts[1]), "role": "user"},
        ]}),
    )
    .await;

    let r = readiness(app, &rep, &deal_path, "team").await;
    // Ben's email, printed through the loop variable; the country, through
    // a `set` name; the domain, in the document's title.
    assert_eq!(
        missing(&r),
        vec!["account.country", "account.domain", "contact.email"],
        "{r}"
    );
    let email = item(&r, "contact", "email");
    assert_eq!(email["id"], id_of(&contacts[1]));
    assert_eq!(
        email["href"],
        format!("/api/v1/contacts/{}", id_of(&contacts[1]))
    );
    assert_eq!(email["kind"], "email");
    assert_eq!(item(&r, "account", "domain")["id"], id_of(&account));
}
both_backends!(readiness_follows_loop_variables_set_names_and_the_front_matter);

async fn readiness_uses_the_published_version_while_a_draft_exists(app: &mut TestApp) {
    let (_, marketing) = app.signed_in("marketing").await;
    let published = publish_new(
        app,
        &marketing,
        "note",
        "brochure",
        "For {{ account.name }}\n",
    )
    .await;
    app.request_as(
        Some(&marketing),
        Method::PATCH,
        &format!("{TEMPLATES}/{}", id_of(&published)),
        Some(
            &json!({"draft": "For {{ account.name }} in {{ account.country }}\n",
                     "version": published["version"]}),
        ),
    )
    .await
    .expect(200);
    let account = app.new_account("Draftless AG").await;
    let r = app
        .fetch(&format!(
            "/api/v1/accounts/{account}/readiness?template=note"
        ))
        .await;
    assert_eq!(
        r["ready"], true,
        "the draft's country is not asked for: {r}"
    );
    assert_eq!(r["template_version"], 1);

    // A template never published has nothing to check; an unknown one is
    // not found; the parameter is required.
    app.post_json(
        TEMPLATES,
        &json!({"key": "unpublished", "kind": "brochure", "name": "x", "draft": "x"}),
    )
    .await
    .expect(201);
    app.get(&format!(
        "/api/v1/accounts/{account}/readiness?template=unpublished"
    ))
    .await
    .assert_error(409, "conflict", &[]);
    app.get(&format!(
        "/api/v1/accounts/{account}/readiness?template=nope"
    ))
    .await
    .assert_error(404, "not_found", &[]);
    app.get(&format!("/api/v1/accounts/{account}/readiness"))
        .await
        .assert_error(400, "bad_request", &["template"]);
}
both_backends!(readiness_uses_the_published_version_while_a_draft_exists);
