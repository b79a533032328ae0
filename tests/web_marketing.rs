//! Marketing's workspace over HTTP on both databases, and its main flow in
//! a real headless Chromium: the template editor's try-out of an unsaved
//! source (the document, the problem at its line, the sample deal's blank
//! fields), creating, saving, publishing and discarding templates and
//! blocks, themes saved as new versions, image uploads, profiling
//! questions added, reordered and deactivated; every form's CSRF token,
//! and every page refused to reps and legal.

#[path = "tools/browser.rs"]
mod browser;
mod common;
mod tools;

use std::time::{Duration, Instant};

use common::web::{Page, PageClient};
use common::{Backend, TestApp, both_backends, id_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CLASSIC_LOGO: &[u8] = include_bytes!("../assets/themes/classic-logo.png");

/// A rep's deal on an account whose primary contact has no phone.
struct Sample {
    rep_token: String,
    deal: String,
    contact: String,
}

async fn sample_deal(app: &TestApp) -> Sample {
    let (rep_id, rep_token) = app.signed_in("rep").await;
    let post = |path: &'static str, body: Value| {
        let token = rep_token.clone();
        async move {
            app.request_as(Some(&token), Method::POST, path, Some(&body))
                .await
                .expect(201)
        }
    };
    let account = post(
        "/api/v1/accounts",
        json!({"name": "Hafen Logistik GmbH", "country": "DE"}),
    )
    .await;
    let contact = post(
        "/api/v1/contacts",
        json!({"first_name": "Jana", "last_name": "Krüger", "email": "jana@hafen.example",
               "account_id": id_of(&account)}),
    )
    .await;
    let deal = post(
        "/api/v1/deals",
        json!({"name": "Yard visibility", "account_id": id_of(&account),
               "primary_contact_id": id_of(&contact), "owner_id": rep_id,
               "amount": "36000.00", "currency": "EUR"}),
    )
    .await;
    Sample {
        rep_token,
        deal: id_of(&deal),
        contact: id_of(&contact),
    }
}

/// Template `key` created with `source` and published, as the admin.
async fn published(app: &TestApp, key: &str, kind: &str, source: &str) {
    app.create(
        "/api/v1/templates",
        json!({"key": key, "kind": kind, "name": format!("The {key}"), "formats": ["pdf", "html"],
               "draft": source}),
    )
    .await;
    app.post_json(&format!("/api/v1/templates/{key}/publish"), &json!({}))
        .await
        .expect(200);
}

/// A browser signed in as a new user of `role`.
async fn signed_in(app: &TestApp, role: &str) -> PageClient {
    let (_, email, password) = app.new_user(role).await;
    let mut browser = PageClient::new(app);
    let page = browser.sign_in(&email, &password).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    browser
}

/// Posts `form` from the page at `from`, with the token that page gave.
async fn post_from(browser: &mut PageClient, from: &str, to: &str, form: &[(&str, &str)]) -> Page {
    let page = browser.get(from).await;
    assert_eq!(page.status, StatusCode::OK, "{from}: {}", page.body);
    let csrf = browser.csrf.clone();
    let mut form = form.to_vec();
    form.push(("csrf", &csrf));
    browser.post(to, &form).await
}

async fn preview(app: &TestApp, token: &str, key: &str, body: &Value) -> common::Res {
    let path = format!("/api/v1/templates/{key}/preview");
    app.request_as(Some(token), Method::POST, &path, Some(body))
        .await
}

// ---- the try-out --------------------------------------------------------------

async fn the_preview_api_places_problems_and_names_blank_fields(app: &mut TestApp) {
    let sample = sample_deal(app).await;
    published(app, "offer", "proposal", "# Offer\n").await;
    let (_, marketing) = app.signed_in("marketing").await;
    let try_out = |source: &str| json!({"source": source, "deal_id": sample.deal});

    let tried = preview(
        app,
        &marketing,
        "offer",
        &try_out(
            "# Offer for {{ account.name }}\n\nCall {{ contact.name }} on {{ contact.phone }}.\n",
        ),
    )
    .await
    .expect(200);
    assert_eq!(tried["error"], Value::Null, "{tried}");
    let html = tried["html"].as_str().expect("the document");
    assert!(html.contains("Offer for Hafen Logistik GmbH"), "{html}");
    assert!(html.contains("DRAFT"), "a draft is marked: {html}");
    assert_eq!(
        tried["missing"],
        json!([{"entity": "contact", "id": sample.contact, "field": "phone", "label": "Phone",
                "kind": "phone", "options": null, "editable": false,
                "href": format!("/api/v1/contacts/{}", sample.contact)}])
    );

    // A syntax error, at its line and column.
    let tried = preview(
        app,
        &marketing,
        "offer",
        &try_out("# Offer\n\n{{ account.name }\n"),
    )
    .await
    .expect(200);
    assert_eq!(tried["html"], Value::Null);
    assert_eq!(tried["missing"], json!([]));
    assert_eq!(
        (&tried["error"]["line"], &tried["error"]["column"]),
        (&json!(3), &json!(17)),
        "{tried}"
    );
    assert!(
        tried["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("variable end")),
        "{tried}"
    );
    // A failure while rendering, where the source names what failed.
    let tried = preview(
        app,
        &marketing,
        "offer",
        &try_out("# Offer\n\nFor {{ deal.name }}, {{ deal.nme }}.\n"),
    )
    .await
    .expect(200);
    assert_eq!(
        tried["error"],
        json!({"line": 3, "column": 25,
               "message": "Variable `deal.nme` not found in context while rendering 'offer.md'"})
    );
    // A block that was never published, and a front matter key that is
    // not one.
    let tried = preview(
        app,
        &marketing,
        "offer",
        &try_out("# Offer\n\n{% include \"nowhere.md\" %}\n"),
    )
    .await
    .expect(200);
    assert_eq!(
        (&tried["error"]["line"], &tried["error"]["column"]),
        (&json!(3), &json!(13)),
        "{tried}"
    );
    let tried = preview(
        app,
        &marketing,
        "offer",
        &try_out("---\ntitel: Offer\n---\n# Offer\n"),
    )
    .await
    .expect(200);
    assert_eq!(tried["error"]["line"], 2, "{tried}");

    // Nothing was kept.
    let template = app.fetch("/api/v1/templates?key=offer").await;
    assert_eq!(template["items"][0]["draft"], Value::Null);
    assert_eq!(app.fetch("/api/v1/documents").await["items"], json!([]));

    // Only those who write templates try them out.
    let body = try_out("# Offer\n");
    for role in ["rep", "legal", "manager"] {
        let (_, token) = app.signed_in(role).await;
        preview(app, &token, "offer", &body)
            .await
            .assert_error(403, "forbidden", &[]);
    }
    preview(app, &marketing, "no-such-template", &body)
        .await
        .assert_error(404, "not_found", &[]);
    preview(
        app,
        &marketing,
        "offer",
        &json!({"source": "# Offer\n", "deal_id": common::new_id()}),
    )
    .await
    .assert_error(404, "not_found", &[]);
    preview(app, &marketing, "offer", &json!({"deal_id": sample.deal}))
        .await
        .assert_error(422, "validation_failed", &["source"]);
    preview(
        app,
        &marketing,
        "offer",
        &json!({"source": "# Offer\n", "deal_id": "yesterday's deal"}),
    )
    .await
    .assert_error(422, "validation_failed", &["deal_id"]);
}

both_backends!(the_preview_api_places_problems_and_names_blank_fields);

// ---- templates and blocks -----------------------------------------------------

async fn a_block_is_created_saved_published_and_its_draft_discarded(app: &mut TestApp) {
    let sample = sample_deal(app).await;
    let mut marketing = signed_in(app, "marketing").await;
    let created = post_from(
        &mut marketing,
        "/templates",
        "/templates",
        &[
            ("key", "signature"),
            ("name", "Signature"),
            ("kind", "block"),
            ("formats", "pdf"),
            ("formats", "html"),
            ("source", "Kind regards,\r\n{{ rep.name }}\r\n"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(
        created.location.as_deref(),
        Some("/templates/signature?notice=created")
    );
    let block = &app.fetch("/api/v1/templates?key=signature").await["items"][0];
    assert_eq!(block["kind"], "block");
    assert_eq!(block["formats"], json!(["html", "pdf"]));
    // Line breaks as the editor's, whatever the browser sent.
    assert_eq!(block["draft"], "Kind regards,\n{{ rep.name }}\n");
    // Listed with the blocks, not the documents, its draft pending.
    let list = marketing.get("/templates").await;
    let blocks = &list.body[list.body.find("id=\"blocks\"").expect("a block section")..];
    assert!(
        blocks.contains("href=\"/templates/signature\""),
        "{}",
        list.body
    );
    assert!(blocks.contains("draft pending"));
    let documents = &list.body[..list.body.find("id=\"blocks\"").expect("sections")];
    assert!(!documents.contains("/templates/signature"));

    // Saved, published, changed, compared and discarded from the editor.
    let editor = format!("/templates/signature?deal={}", sample.deal);
    let version = block["version"].to_string();
    let saved = post_from(
        &mut marketing,
        &editor,
        "/templates/signature/draft",
        &[
            ("version", &version),
            ("deal_id", &sample.deal),
            (
                "source",
                "Kind regards,\r\n{{ rep.name }}, {{ seller.name }}\r\n",
            ),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location,
        Some(format!(
            "/templates/signature?deal={}&notice=saved",
            sample.deal
        ))
    );
    let block = &app.fetch("/api/v1/templates?key=signature").await["items"][0];
    let published = post_from(
        &mut marketing,
        &editor,
        "/templates/signature/publish",
        &[("version", &block["version"].to_string())],
    )
    .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let block = &app.fetch("/api/v1/templates?key=signature").await["items"][0];
    assert_eq!(block["published_version"], 1);
    assert_eq!(block["draft"], Value::Null);
    let back = published.location.expect("back to the editor");
    let page = marketing.get(&back).await;
    assert!(
        page.body
            .contains("Published: new documents use this version.")
    );
    assert!(
        page.body.contains("{{ rep.name }}, {{ seller.name }}"),
        "{}",
        page.body
    );

    // A draft with a syntax error is refused, and the text typed stays.
    let typed = "Kind regards,\n{{ rep.name \n";
    let refused = post_from(
        &mut marketing,
        &editor,
        "/templates/signature/draft",
        &[
            ("version", &block["version"].to_string()),
            ("source", typed),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"problem\""), "{}", refused.body);
    assert!(refused.body.contains("draft: "), "{}", refused.body);
    assert!(
        refused.body.contains("{{ rep.name \n</textarea>"),
        "{}",
        refused.body
    );
    // So does a stale one.
    let stale = post_from(
        &mut marketing,
        &editor,
        "/templates/signature/draft",
        &[("version", "1"), ("source", "Regards\n")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.body.contains("Regards\n</textarea>"),
        "{}",
        stale.body
    );

    let version = block["version"].to_string();
    post_from(
        &mut marketing,
        &editor,
        "/templates/signature/draft",
        &[("version", &version), ("source", "Best,\n{{ rep.name }}\n")],
    )
    .await;
    let page = marketing.get(&editor).await;
    assert!(
        page.body
            .contains("<del>Kind regards,\n{{ rep.name }}, {{ seller.name }}\n</del><ins>Best,\n{{ rep.name }}\n</ins>"),
        "the draft against the published version: {}",
        page.body
    );
    let block = &app.fetch("/api/v1/templates?key=signature").await["items"][0];
    let discarded = post_from(
        &mut marketing,
        &editor,
        "/templates/signature/discard",
        &[("version", &block["version"].to_string())],
    )
    .await;
    assert_eq!(
        discarded.status,
        StatusCode::SEE_OTHER,
        "{}",
        discarded.body
    );
    let block = &app.fetch("/api/v1/templates?key=signature").await["items"][0];
    assert_eq!(block["draft"], Value::Null);
    assert_eq!(block["published_version"], 1);

    // Version 2, and what changed from version 1.
    let version = block["version"].to_string();
    post_from(
        &mut marketing,
        &editor,
        "/templates/signature/draft",
        &[
            ("version", &version),
            ("source", "Kind regards,\n{{ rep.name }}\n"),
        ],
    )
    .await;
    let block = &app.fetch("/api/v1/templates?key=signature").await["items"][0];
    post_from(
        &mut marketing,
        &editor,
        "/templates/signature/publish",
        &[("version", &block["version"].to_string())],
    )
    .await;
    let page = marketing
        .get(&format!("/templates/signature?deal={}&diff=2", sample.deal))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Version 2 against version 1"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "Kind regards,\n<del>{{ rep.name }}, {{ seller.name }}\n</del><ins>{{ rep.name }}\n</ins>"
        ),
        "{}",
        page.body
    );
    assert_eq!(
        marketing.get("/templates/signature?diff=9").await.status,
        StatusCode::NOT_FOUND
    );

    // Without a script, the Preview button sends the typed source to the
    // frame: the document under the document's own policy.
    let frame = post_from(
        &mut marketing,
        &editor,
        "/templates/signature/preview",
        &[
            ("deal_id", &sample.deal),
            ("source", "Yours,\n{{ account.name }}\n"),
        ],
    )
    .await;
    assert_eq!(frame.status, StatusCode::OK);
    assert!(frame.body.contains("Hafen Logistik GmbH"), "{}", frame.body);
    let csp = frame.csp.expect("a policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let frame = post_from(
        &mut marketing,
        &editor,
        "/templates/signature/preview",
        &[
            ("deal_id", &sample.deal),
            ("source", "Yours,\n{{ account.name }\n"),
        ],
    )
    .await;
    assert!(
        frame.body.contains("<p id=\"problem\">Line 2, column 17: "),
        "{}",
        frame.body
    );
    let saved_frame = marketing
        .get(&format!(
            "/templates/signature/preview?deal={}",
            sample.deal
        ))
        .await;
    assert!(
        saved_frame.body.contains("Kind regards"),
        "{}",
        saved_frame.body
    );

    // A saved draft that fails as it renders opens with its line marked,
    // script or not.
    let block = &app.fetch("/api/v1/templates?key=signature").await["items"][0];
    post_from(
        &mut marketing,
        &editor,
        "/templates/signature/draft",
        &[
            ("version", &block["version"].to_string()),
            ("source", "Regards,\n{{ rep.nmae }}\n"),
        ],
    )
    .await;
    let page = marketing.get(&editor).await;
    assert!(
        page.body
            .contains("<li data-line=\"2\" class=\"field-error\">2</li>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("data-line=\"2\">Line 2, column 4</a>: Variable `rep.nmae` not found"),
        "{}",
        page.body
    );
}

both_backends!(a_block_is_created_saved_published_and_its_draft_discarded);

// ---- themes and images --------------------------------------------------------

/// The classic theme's form as the page fills it, with `changes`.
fn theme_form<'a>(version: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("version", version),
        ("name", "classic"),
        ("paper", "a4"),
        ("base_size_pt", "10.5"),
        ("justify", "true"),
        ("margins_mm.top", "25"),
        ("margins_mm.right", "22"),
        ("margins_mm.bottom", "25"),
        ("margins_mm.left", "22"),
        ("fonts.body", "serif"),
        ("fonts.heading", "sans"),
        ("fonts.code", "mono"),
        ("colors.text", "#1b1b1b"),
        ("colors.heading", "#1f3a5f"),
        ("colors.accent", "#1f3a5f"),
        ("colors.muted", "#6b7a8f"),
        ("colors.on_accent", "#ffffff"),
        ("colors.shade", "#f1f3f6"),
        ("logo", "classic-logo.png"),
        ("header", "{title}"),
        ("footer", "{date} · Page {page} of {pages}"),
    ];
    for (name, value) in changes {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

async fn a_theme_is_saved_as_a_new_version_and_images_are_uploaded(app: &mut TestApp) {
    let mut marketing = signed_in(app, "marketing").await;
    let page = marketing.get("/themes/classic").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"#1f3a5f\""), "{}", page.body);
    let before = app.fetch("/api/v1/themes?key=classic").await["items"][0].clone();
    let version = before["version"].to_string();

    // A margin that is not a number is named, and nothing is saved.
    let bad = post_from(
        &mut marketing,
        "/themes/classic",
        "/themes/classic",
        &theme_form(&version, &[("margins_mm.top", "wide")]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("theme.margins_mm.top: must be a number"),
        "{}",
        bad.body
    );
    let bad = post_from(
        &mut marketing,
        "/themes/classic",
        "/themes/classic",
        &theme_form(&version, &[("colors.accent", "blue")]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("theme.colors.accent"), "{}", bad.body);
    assert_eq!(
        app.fetch("/api/v1/themes?key=classic").await["items"][0]["version"],
        before["version"]
    );

    let saved = post_from(
        &mut marketing,
        "/themes/classic",
        "/themes/classic",
        &theme_form(
            &version,
            &[
                ("colors.accent", "#8a1538"),
                ("footer", "Acme · {page}/{pages}"),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = &app.fetch("/api/v1/themes?key=classic").await["items"][0];
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
    assert_eq!(after["theme"]["colors"]["accent"], "#8a1538");
    assert_eq!(after["theme"]["footer"], "Acme · {page}/{pages}");
    assert_eq!(after["theme"]["margins_mm"], before["theme"]["margins_mm"]);
    let versions = app
        .fetch(&format!("/api/v1/themes/{}/versions", id_of(after)))
        .await;
    assert_eq!(versions["items"].as_array().map(Vec::len), Some(2));
    let page = marketing.get("/themes/classic").await;
    assert!(
        page.body.contains("Version 2 · classic · saved"),
        "{}",
        page.body
    );

    // A copy under a new key.
    let copied = post_from(
        &mut marketing,
        "/themes",
        "/themes",
        &[("key", "acme"), ("name", "Acme"), ("from", "classic")],
    )
    .await;
    assert_eq!(
        copied.location.as_deref(),
        Some("/themes/acme?notice=created")
    );
    let acme = &app.fetch("/api/v1/themes?key=acme").await["items"][0];
    assert_eq!(acme["theme"]["name"], "Acme");
    assert_eq!(acme["theme"]["colors"]["accent"], "#8a1538");

    // An image, uploaded from the theme's page, listed with its thumbnail.
    marketing.get("/themes/acme").await;
    let csrf = marketing.csrf.clone();
    let uploaded = marketing
        .post_file(
            "/images",
            "logo.png",
            CLASSIC_LOGO,
            &[
                ("csrf", &csrf),
                ("theme", "acme"),
                ("name", "acme-logo.png"),
            ],
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    assert_eq!(
        uploaded.location.as_deref(),
        Some("/themes/acme?notice=uploaded#images")
    );
    let assets = app.fetch("/api/v1/assets?name=acme-logo.png").await;
    let asset = &assets["items"][0];
    assert_eq!(asset["content_type"], "image/png");
    let page = marketing.get("/themes").await;
    assert!(
        page.body.contains(&format!(
            "<img src=\"/api/v1/assets/{}/content\" alt=\"acme-logo.png\"",
            id_of(asset)
        )),
        "{}",
        page.body
    );
    // A file that is no image is refused, naming the field; nothing is kept.
    let csrf = marketing.csrf.clone();
    let refused = marketing
        .post_file(
            "/images",
            "notes.png",
            b"just some text, not a picture",
            &[("csrf", &csrf), ("name", "notes.png")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("file: "), "{}", refused.body);
    let notes = app.fetch("/api/v1/assets?name=notes.png").await;
    assert_eq!(notes["items"], json!([]));
    // So is a name that could be a path.
    let refused = marketing
        .post_file(
            "/images",
            "logo.png",
            CLASSIC_LOGO,
            &[("csrf", &csrf), ("name", "../logo.png")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("name: "), "{}", refused.body);
}

both_backends!(a_theme_is_saved_as_a_new_version_and_images_are_uploaded);

// ---- profiling questions ------------------------------------------------------

/// The deal questions' keys and whether each is active, in list order.
async fn deal_questions(app: &TestApp) -> Vec<(String, bool)> {
    app.fetch("/api/v1/profile-questions?applies_to=deal").await["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|q| {
            (
                q["key"].as_str().expect("a key").to_owned(),
                q["active"].as_bool().expect("a flag"),
            )
        })
        .collect()
}

/// The question `key` as the API shows it.
async fn question(app: &TestApp, key: &str) -> Value {
    app.fetch("/api/v1/profile-questions").await["items"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|q| q["key"] == key)
        .cloned()
        .expect("the question")
}

async fn questions_are_added_reordered_and_deactivated(app: &mut TestApp) {
    // Managers keep the questions too.
    let mut manager = signed_in(app, "manager").await;
    for (key, label, kind, options) in [
        ("budget_known", "Is the budget known?", "bool", ""),
        ("regions", "Regions", "multi", "EU\r\nUS\r\n\r\nAPAC"),
        ("decision_date", "When will they decide?", "date", ""),
    ] {
        let added = post_from(
            &mut manager,
            "/questions",
            "/questions",
            &[
                ("applies_to", "deal"),
                ("key", key),
                ("label", label),
                ("kind", kind),
                ("help_text", ""),
                ("options", options),
            ],
        )
        .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        assert_eq!(
            added.location.as_deref(),
            Some("/questions?notice=added#deal")
        );
    }
    assert_eq!(
        question(app, "regions").await["options"],
        json!(["EU", "US", "APAC"])
    );
    // Options belong to choices only: the kind says so.
    let refused = post_from(
        &mut manager,
        "/questions",
        "/questions",
        &[
            ("applies_to", "deal"),
            ("key", "pilot"),
            ("label", "Pilot?"),
            ("kind", "choice"),
            ("options", ""),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("options: "), "{}", refused.body);

    let keys = |list: &[(String, bool)]| list.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(
        keys(&deal_questions(app).await),
        ["budget_known", "regions", "decision_date"]
    );
    let last = question(app, "decision_date").await;
    let moved = post_from(
        &mut manager,
        "/questions",
        &format!("/questions/{}/move", id_of(&last)),
        &[
            ("direction", "up"),
            ("version", &last["version"].to_string()),
        ],
    )
    .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(
        keys(&deal_questions(app).await),
        ["budget_known", "decision_date", "regions"]
    );
    // A stale version changes nothing.
    let stale = post_from(
        &mut manager,
        "/questions",
        &format!("/questions/{}/move", id_of(&last)),
        &[
            ("direction", "up"),
            ("version", &last["version"].to_string()),
        ],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let first = question(app, "budget_known").await;
    post_from(
        &mut manager,
        "/questions",
        &format!("/questions/{}/move", id_of(&first)),
        &[
            ("direction", "down"),
            ("version", &first["version"].to_string()),
        ],
    )
    .await;
    assert_eq!(
        keys(&deal_questions(app).await),
        ["decision_date", "budget_known", "regions"]
    );
    // The first goes no higher.
    let top = question(app, "decision_date").await;
    let unmoved = post_from(
        &mut manager,
        "/questions",
        &format!("/questions/{}/move", id_of(&top)),
        &[
            ("direction", "up"),
            ("version", &top["version"].to_string()),
        ],
    )
    .await;
    assert_eq!(unmoved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        keys(&deal_questions(app).await),
        ["decision_date", "budget_known", "regions"]
    );

    let regions = question(app, "regions").await;
    let off = post_from(
        &mut manager,
        "/questions",
        &format!("/questions/{}/active", id_of(&regions)),
        &[
            ("active", "false"),
            ("version", &regions["version"].to_string()),
        ],
    )
    .await;
    assert_eq!(
        off.location.as_deref(),
        Some("/questions?notice=deactivated#deal")
    );
    assert_eq!(
        deal_questions(app).await,
        [
            ("decision_date".to_owned(), true),
            ("budget_known".to_owned(), true),
            ("regions".to_owned(), false),
        ]
    );
    let page = manager.get("/questions").await;
    assert!(
        page.body
            .contains("class=\"inactive\" id=\"question-regions\""),
        "{}",
        page.body
    );
    let regions = question(app, "regions").await;
    post_from(
        &mut manager,
        "/questions",
        &format!("/questions/{}/active", id_of(&regions)),
        &[
            ("active", "true"),
            ("version", &regions["version"].to_string()),
        ],
    )
    .await;
    assert_eq!(question(app, "regions").await["active"], true);
}

both_backends!(questions_are_added_reordered_and_deactivated);

// ---- CSRF and roles -----------------------------------------------------------

async fn every_marketing_form_needs_its_csrf_token(app: &mut TestApp) {
    let sample = sample_deal(app).await;
    published(app, "offer", "proposal", "# Offer\n").await;
    let question = app
        .create(
            "/api/v1/profile-questions",
            json!({"key": "goal", "label": "Goal", "kind": "text", "applies_to": "deal"}),
        )
        .await;
    let mut marketing = signed_in(app, "marketing").await;
    let template = app.fetch("/api/v1/templates?key=offer").await["items"][0].clone();
    let theme = app.fetch("/api/v1/themes?key=classic").await["items"][0].clone();
    let (q, t, th) = (
        question["version"].to_string(),
        template["version"].to_string(),
        theme["version"].to_string(),
    );
    let question_path = |action: &str| format!("/questions/{}/{action}", id_of(&question));
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/templates".to_owned(),
            vec![
                ("key", "forged"),
                ("name", "Forged"),
                ("kind", "block"),
                ("formats", "pdf"),
            ],
        ),
        (
            "/templates/offer/draft".to_owned(),
            vec![("version", &t), ("source", "# Forged\n")],
        ),
        ("/templates/offer/publish".to_owned(), vec![("version", &t)]),
        ("/templates/offer/discard".to_owned(), vec![("version", &t)]),
        (
            "/templates/offer/preview".to_owned(),
            vec![("deal_id", &sample.deal), ("source", "# Forged\n")],
        ),
        (
            "/themes".to_owned(),
            vec![("key", "forged"), ("name", "Forged"), ("from", "classic")],
        ),
        (
            "/themes/classic".to_owned(),
            theme_form(&th, &[("name", "Forged")]),
        ),
        (
            "/questions".to_owned(),
            vec![
                ("applies_to", "deal"),
                ("key", "forged"),
                ("label", "Forged"),
                ("kind", "text"),
            ],
        ),
        (
            question_path("move"),
            vec![("direction", "down"), ("version", &q)],
        ),
        (
            question_path("active"),
            vec![("active", "false"), ("version", &q)],
        ),
    ];
    for (path, form) in &forms {
        for token in [None, Some("0".repeat(64))] {
            let mut form = form.clone();
            if let Some(t) = &token {
                form.push(("csrf", t));
            }
            let page = marketing.post(path, &form).await;
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{path} {token:?}: {}",
                page.body
            );
        }
    }
    let upload = marketing
        .post_file(
            "/images",
            "forged.png",
            CLASSIC_LOGO,
            &[("name", "forged.png")],
        )
        .await;
    assert_eq!(upload.status, StatusCode::FORBIDDEN);

    // Nothing was written.
    let keys: Vec<Value> = app.fetch("/api/v1/templates").await["items"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| t["key"].clone())
        .collect();
    assert!(!keys.contains(&json!("forged")));
    assert_eq!(
        app.fetch("/api/v1/templates?key=offer").await["items"][0],
        template
    );
    assert_eq!(
        app.fetch("/api/v1/themes?key=classic").await["items"][0],
        theme
    );
    assert_eq!(
        app.fetch("/api/v1/themes?key=forged").await["items"],
        json!([])
    );
    assert_eq!(
        app.fetch("/api/v1/profile-questions").await["items"],
        json!([question])
    );
    assert_eq!(
        app.fetch("/api/v1/assets?name=forged.png").await["items"],
        json!([])
    );
}

both_backends!(every_marketing_form_needs_its_csrf_token);

async fn the_marketing_pages_are_not_for_reps_or_legal(app: &mut TestApp) {
    let sample = sample_deal(app).await;
    let pages = [
        "/templates".to_owned(),
        "/templates/proposal".to_owned(),
        format!("/templates/proposal/preview?deal={}", sample.deal),
        "/themes".to_owned(),
        "/themes/classic".to_owned(),
        "/questions".to_owned(),
    ];
    for role in ["rep", "legal"] {
        let mut browser = signed_in(app, role).await;
        for path in &pages {
            let page = browser.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {path}");
            assert!(page.body.contains("Not for your role"), "{role} {path}");
        }
        // Nor is the menu offering them.
        let deals = browser.get("/deals").await;
        for path in ["/templates", "/themes", "/questions"] {
            assert!(
                !deals.body.contains(&format!("href=\"{path}\"")),
                "{role} {path}"
            );
        }
    }
    // Marketing has them all; a manager has the questions only.
    let mut marketing = signed_in(app, "marketing").await;
    for path in &pages {
        assert_eq!(marketing.get(path).await.status, StatusCode::OK, "{path}");
    }
    let mut manager = signed_in(app, "manager").await;
    assert_eq!(manager.get("/questions").await.status, StatusCode::OK);
    assert_eq!(
        manager.get("/templates").await.status,
        StatusCode::FORBIDDEN
    );
    // Addresses typed wrong are said to be.
    for path in [
        "/templates/proposal?deal=yesterday",
        "/templates/proposal?diff=latest",
        "/templates/proposal/preview",
        "/themes/classic?page=two",
    ] {
        let page = marketing.get(path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            page.body.contains("class=\"alert\""),
            "{path}: {}",
            page.body
        );
    }
    for path in ["/templates/no-such-template", "/themes/no-such-theme"] {
        assert_eq!(
            marketing.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

both_backends!(the_marketing_pages_are_not_for_reps_or_legal);

// ---- in a browser -------------------------------------------------------------

/// Waits up to 10 s until `script`'s value passes `done`; returns it.
async fn wait_js(browser: &browser::Browser, script: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = browser.js(script).await;
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{script} stayed {value}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the preview frame's document.
const FRAME_TEXT: &str = "const d = document.getElementById('preview').contentDocument; \
     return d && d.body ? d.body.innerText : ''";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marketing_edits_a_template_live_and_a_rep_gets_what_was_published() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let sample = sample_deal(&app).await;
    published(
        &app,
        "site-visit",
        "proposal",
        "# Site visit\n\nThank you for your time.\n",
    )
    .await;
    let (_, email, password) = app.new_user("marketing").await;
    let Some(mut browser) = browser::Browser::start(1280, 900).await else {
        return;
    };
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &email).await;
    browser.fill("#password", &password).await;
    browser.click("#sign-in").await;
    browser
        .wait_text("h1", |t| t.starts_with("Team pipeline"))
        .await;
    browser.click("nav a[href=\"/templates\"]").await;
    browser
        .click("#documents a[href=\"/templates/site-visit\"]")
        .await;
    browser.wait_text("h1", |t| t == "The site-visit").await;
    browser.fill("#deal", &sample.deal).await;
    wait_js(&browser, FRAME_TEXT, |t| {
        t.as_str()
            .is_some_and(|t| t.contains("Thank you for your time."))
    })
    .await;

    // Typed, not saved: the preview follows, the blank phone is named.
    let source = "# Site visit for {{ account.name }}\n\nThank you for your time.\n\n\
                  We look forward to working with {{ account.name }} on {{ deal.name }}.\n\n\
                  Call us back on {{ contact.phone }}.\n";
    browser.fill("#source", source).await;
    wait_js(&browser, FRAME_TEXT, |t| {
        t.as_str().is_some_and(|t| {
            t.contains("We look forward to working with Hafen Logistik GmbH on Yard visibility.")
        })
    })
    .await;
    let blanks = browser
        .wait_text("#sample-readiness", |t| t.contains("Phone"))
        .await;
    assert!(blanks.contains("Phone (contact)"), "{blanks}");
    assert_eq!(
        browser.attribute("#sample-readiness a", "href").await,
        format!("/deals/{}#readiness", sample.deal)
    );

    // A syntax error on line 5: said, and the line marked and selectable.
    let broken = source.replace("on {{ deal.name }}.", "on {{ deal.name }.");
    browser.fill("#source", &broken).await;
    let said = browser
        .wait_text("#source-problem", |t| t.starts_with("Line "))
        .await;
    assert!(said.starts_with("Line 5, column "), "{said}");
    assert!(
        browser
            .exists("#gutter li[data-line=\"5\"].field-error")
            .await
    );
    assert!(
        !browser
            .exists("#gutter li[data-line=\"4\"].field-error")
            .await
    );
    browser.click("#source-problem a.goto").await;
    let selected = browser
        .js("const s = document.getElementById('source'); \
             return s.value.substring(s.selectionStart, s.selectionEnd)")
        .await;
    assert_eq!(
        selected,
        "We look forward to working with {{ account.name }} on {{ deal.name }."
    );

    // Fixed: the problem goes, the preview is back.
    browser.fill("#source", source).await;
    wait_js(
        &browser,
        "return document.getElementById('source-problem').hidden",
        |hidden| hidden == &json!(true),
    )
    .await;
    assert!(!browser.exists("#gutter li.field-error").await);
    wait_js(&browser, FRAME_TEXT, |t| {
        t.as_str()
            .is_some_and(|t| t.contains("Hafen Logistik GmbH on Yard visibility."))
    })
    .await;
    browser
        .screenshot(&browser::screenshot_path("workspace-marketing"))
        .await;

    browser.click("#save").await;
    browser
        .wait_text("p.notice", |t| t.starts_with("Draft saved"))
        .await;
    browser.click("#publish").await;
    browser
        .wait_text("p.notice", |t| t.starts_with("Published"))
        .await;
    let template = &app.fetch("/api/v1/templates?key=site-visit").await["items"][0];
    assert_eq!(template["published_version"], 2);
    browser.close().await;

    // The rep fills the phone and gets the new text.
    let contact = app
        .fetch(&format!("/api/v1/contacts/{}", sample.contact))
        .await;
    app.request_as(
        Some(&sample.rep_token),
        Method::PATCH,
        &format!("/api/v1/contacts/{}", sample.contact),
        Some(&json!({"phone": "+49 40 555 0199", "version": contact["version"]})),
    )
    .await
    .expect(200);
    let document = app
        .request_as(
            Some(&sample.rep_token),
            Method::POST,
            "/api/v1/documents",
            Some(&json!({"template": "site-visit", "deal_id": sample.deal, "format": "pdf"})),
        )
        .await
        .expect(201);
    assert_eq!(document["template_version"], 2);
    let pdf = app
        .download(
            &sample.rep_token,
            &format!("/api/v1/documents/{}/content", id_of(&document)),
        )
        .await;
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    if let Some(text) = tools::pdf_text(&pdf.bytes) {
        let text = tools::squeeze(&text);
        assert!(
            text.contains(
                "We look forward to working with Hafen Logistik GmbH on Yard visibility."
            ),
            "{text}"
        );
        assert!(text.contains("Call us back on +49 40 555 0199."), "{text}");
    }
    app.stop().await;
}
