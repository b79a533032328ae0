//! The clause library over HTTP on both databases: marketing drafts and
//! submits, only legal approves, a template publishes only with approved
//! clauses, documents print exactly the approved wording (a version in
//! review changes nothing until approved) and record it, where-used lists
//! exactly those documents, variants follow the account's country, rules
//! are checked when saved, and every decision is in the audit log.

mod common;
mod tools;

use common::{TestApp, both_backends, id_of};
use reqwest::Method;
use serde_json::{Value, json};

const CLAUSES: &str = "/api/v1/clauses";

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> common::Res {
    app.request_as(Some(token), Method::POST, path, Some(&body))
        .await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    app.request_as(Some(token), Method::GET, path, None)
        .await
        .expect(200)
}

/// A new clause, written by `token`.
async fn clause(app: &TestApp, token: &str, key: &str, category: &str) -> Value {
    post(
        app,
        token,
        CLAUSES,
        json!({"key": key, "title": format!("The {key} clause"), "category": category}),
    )
    .await
    .expect(201)
}

/// A new draft version of clause `key`.
async fn draft(app: &TestApp, token: &str, key: &str, body: Value) -> Value {
    post(app, token, &format!("{CLAUSES}/{key}/versions"), body)
        .await
        .expect(201)
}

fn version_path(version: &Value, action: &str) -> String {
    format!("/api/v1/clause-versions/{}/{action}", id_of(version))
}

/// Submits `version` as `author` and has `legal` approve it.
async fn approved(app: &TestApp, author: &str, legal: &str, version: &Value) -> Value {
    post(app, author, &version_path(version, "submit"), json!({}))
        .await
        .expect(200);
    let done = post(app, legal, &version_path(version, "approve"), json!({}))
        .await
        .expect(200);
    assert_eq!(done["status"], "approved");
    done
}

/// Publishes a proposal template `key` with `body` as marketing.
async fn publish_template(app: &TestApp, marketing: &str, key: &str, body: &str) -> common::Res {
    post(
        app,
        marketing,
        "/api/v1/templates",
        json!({"key": key, "kind": "proposal", "name": "Contract terms", "formats": ["pdf", "html"],
               "draft": body}),
    )
    .await
    .expect(201);
    post(
        app,
        marketing,
        &format!("/api/v1/templates/{key}/publish"),
        json!({}),
    )
    .await
}

const TERMS: &str =
    "# Terms for {{ deal.name }}\n\n## Liability\n\n{{ clause(key=\"liability\") }}\n";

/// A rep's deal on an account in `country`; returns the deal's id.
async fn deal_in(app: &TestApp, rep: &str, account: &str, country: Option<&str>) -> String {
    let account = post(
        app,
        rep,
        "/api/v1/accounts",
        json!({"name": account, "country": country}),
    )
    .await
    .expect(201);
    let deal = post(
        app,
        rep,
        "/api/v1/deals",
        json!({"name": "Platform rollout", "account_id": id_of(&account)}),
    )
    .await
    .expect(201);
    id_of(&deal)
}

async fn generate(
    app: &TestApp,
    rep: &str,
    template: &str,
    deal: &str,
    draft: bool,
) -> common::Res {
    post(
        app,
        rep,
        "/api/v1/documents",
        json!({"template": template, "deal_id": deal, "format": "pdf", "draft": draft}),
    )
    .await
}

/// The text of generated document `document`, as its rep downloads it.
async fn text_of(app: &TestApp, rep: &str, document: &Value) -> Option<String> {
    let download = app
        .download(
            rep,
            &format!("/api/v1/documents/{}/content", id_of(document)),
        )
        .await;
    assert_eq!(download.status, 200);
    tools::pdf_text(&download.bytes).map(|t| tools::squeeze(&t))
}

async fn legal_alone_approves_and_documents_print_only_approved_wording(app: &mut TestApp) {
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, legal) = app.signed_in("legal").await;
    let (_, manager) = app.signed_in("manager").await;
    let (rep_id, rep) = app.signed_in("rep").await;

    // Reps and admins do not write clauses.
    post(
        app,
        &rep,
        CLAUSES,
        json!({"key": "x", "title": "X", "category": "payment"}),
    )
    .await
    .assert_error(403, "forbidden", &[]);
    clause(app, &marketing, "liability", "liability").await;
    let v1 = draft(
        app,
        &marketing,
        "liability",
        json!({"body": "Liability is capped at 12 months of fees."}),
    )
    .await;
    assert_eq!(v1["status"], "draft");
    assert_eq!(v1["variant"], "default");
    assert_eq!(v1["number"], 1);
    assert_eq!(v1["clause_key"], "liability");

    // A draft changes; a template cannot publish with it yet.
    let v1 = app
        .request_as(
            Some(&marketing),
            Method::PATCH,
            &format!("/api/v1/clause-versions/{}", id_of(&v1)),
            Some(&json!({"body": "Liability is capped at 12 months of fees paid.", "version": v1["version"]})),
        )
        .await
        .expect(200);
    publish_template(app, &marketing, "terms", TERMS)
        .await
        .assert_error(422, "validation_failed", &["draft"]);

    post(app, &marketing, &version_path(&v1, "submit"), json!({}))
        .await
        .expect(200);
    // In review, the text is kept: a change is a new version.
    app.request_as(
        Some(&marketing),
        Method::PATCH,
        &format!("/api/v1/clause-versions/{}", id_of(&v1)),
        Some(&json!({"body": "Unlimited liability.", "version": 3})),
    )
    .await
    .assert_error(409, "conflict", &[]);
    for token in [&rep, &marketing, &manager] {
        post(app, token, &version_path(&v1, "approve"), json!({}))
            .await
            .assert_error(403, "forbidden", &[]);
    }
    let v1 = post(
        app,
        &legal,
        &version_path(&v1, "approve"),
        json!({"comment": "Fine."}),
    )
    .await
    .expect(200);
    assert_eq!(v1["status"], "approved");
    assert_eq!(v1["review_comment"], "Fine.");

    // Now the template publishes and the document prints the approved text.
    post(
        app,
        &marketing,
        "/api/v1/templates/terms/publish",
        json!({}),
    )
    .await
    .expect(200);
    let deal = deal_in(app, &rep, "Brightwater Health", Some("DE")).await;
    let first = generate(app, &rep, "terms", &deal, false).await.expect(201);
    assert_eq!(first["clause_versions"], json!([id_of(&v1)]));
    if let Some(text) = text_of(app, &rep, &first).await {
        assert!(text.contains("capped at 12 months of fees paid."), "{text}");
    }

    // A new version in review changes nothing until legal approves it.
    let v2 = draft(
        app,
        &marketing,
        "liability",
        json!({"body": "Liability is capped at 24 months of fees paid."}),
    )
    .await;
    assert_eq!(v2["number"], 2);
    post(app, &marketing, &version_path(&v2, "submit"), json!({}))
        .await
        .expect(200);
    let queue = get(app, &legal, "/api/v1/clause-reviews").await;
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{queue}");
    assert_eq!(items[0]["clause"]["key"], "liability");
    assert_eq!(items[0]["version"]["id"], id_of(&v2).as_str());
    assert_eq!(items[0]["diff"]["against"]["id"], id_of(&v1).as_str());
    assert_eq!(
        items[0]["diff"]["segments"],
        json!([
            {"op": "equal", "text": "Liability is capped at "},
            {"op": "delete", "text": "12"},
            {"op": "insert", "text": "24"},
            {"op": "equal", "text": " months of fees paid."},
        ])
    );
    assert_eq!(items[0]["diff"]["inserted_words"], 1);
    assert_eq!(items[0]["diff"]["deleted_words"], 1);
    assert_eq!(
        get(app, &legal, &version_path(&v2, "diff")).await["marked"],
        "Liability is capped at [-12-]{+24+} months of fees paid."
    );
    let second = generate(app, &rep, "terms", &deal, false).await.expect(201);
    assert_eq!(second["clause_versions"], json!([id_of(&v1)]));
    if let Some(text) = text_of(app, &rep, &second).await {
        assert!(
            text.contains("12 months") && !text.contains("24 months"),
            "{text}"
        );
    }

    // Approved, it supersedes the first, which is retired.
    let v2 = post(app, &legal, &version_path(&v2, "approve"), json!({}))
        .await
        .expect(200);
    let versions = get(app, &legal, &format!("{CLAUSES}/liability/versions")).await;
    let statuses: Vec<(i64, &str)> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["number"].as_i64().unwrap(), v["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, vec![(2, "approved"), (1, "retired")]);
    assert_eq!(
        versions["items"][1]["retire_comment"],
        "superseded by version 2"
    );
    let third = generate(app, &rep, "terms", &deal, false).await.expect(201);
    assert_eq!(third["clause_versions"], json!([id_of(&v2)]));
    if let Some(text) = text_of(app, &rep, &third).await {
        assert!(
            text.contains("24 months") && !text.contains("12 months"),
            "{text}"
        );
    }

    // The first document is made again as it was, the approved text of then.
    let verified = get(
        app,
        &rep,
        &format!("/api/v1/documents/{}/verify", id_of(&first)),
    )
    .await;
    assert_eq!(verified["identical"], true, "{verified}");

    // Where used: the template, and exactly the documents of each version.
    let used = get(app, &legal, &version_path(&v1, "where-used")).await;
    assert_eq!(used["templates"][0]["key"], "terms");
    assert_eq!(used["templates"][0]["published"], true);
    let documents: Vec<&str> = used["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(documents, vec![id_of(&first), id_of(&second)]);
    let one = &used["documents"][0];
    assert_eq!(one["deal_id"], deal.as_str());
    assert_eq!(one["deal_name"], "Platform rollout");
    assert_eq!(one["rep_id"], rep_id.as_str());
    assert_eq!(one["rep_name"], "A rep");
    assert_eq!(one["created_at"], first["created_at"]);
    let paged = get(
        app,
        &legal,
        &format!("{}?limit=1", version_path(&v1, "where-used")),
    )
    .await;
    assert_eq!(paged["documents"].as_array().unwrap().len(), 1);
    let rest = get(
        app,
        &legal,
        &format!(
            "{}?limit=1&cursor={}",
            version_path(&v1, "where-used"),
            paged["next_cursor"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(rest["documents"][0]["document_id"], id_of(&second).as_str());
    assert_eq!(rest["next_cursor"], Value::Null);
    let used = get(app, &legal, &version_path(&v2, "where-used")).await;
    assert_eq!(used["documents"].as_array().unwrap().len(), 1);
    assert_eq!(used["documents"][0]["document_id"], id_of(&third).as_str());

    // A rejection needs a reason.
    let v3 = draft(
        app,
        &legal,
        "liability",
        json!({"body": "No liability at all."}),
    )
    .await;
    post(app, &legal, &version_path(&v3, "submit"), json!({}))
        .await
        .expect(200);
    post(app, &legal, &version_path(&v3, "reject"), json!({}))
        .await
        .assert_error(422, "validation_failed", &["comment"]);
    let v3 = post(
        app,
        &legal,
        &version_path(&v3, "reject"),
        json!({"comment": "Not enforceable."}),
    )
    .await
    .expect(200);
    assert_eq!(v3["status"], "rejected");

    // Retired, the clause stops documents, naming it; a draft shows it missing.
    post(app, &marketing, &version_path(&v2, "retire"), json!({}))
        .await
        .assert_error(403, "forbidden", &[]);
    post(app, &legal, &version_path(&v2, "retire"), json!({}))
        .await
        .assert_error(422, "validation_failed", &["comment"]);
    let retired = post(
        app,
        &legal,
        &version_path(&v2, "retire"),
        json!({"comment": "The cap is no longer enforceable."}),
    )
    .await
    .expect(200);
    assert_eq!(
        retired["retire_comment"],
        "The cap is no longer enforceable."
    );
    let refused = generate(app, &rep, "terms", &deal, false).await;
    refused.assert_error(409, "clause_unavailable", &[]);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`liability` has no approved version"),
        "{}",
        refused.body
    );
    let preview = generate(app, &rep, "terms", &deal, true).await.expect(201);
    assert_eq!(preview["clause_versions"], json!([]));
    if let Some(text) = text_of(app, &rep, &preview).await {
        assert!(text.contains("MISSING: clause liability"), "{text}");
    }

    // Every decision is in the audit log.
    let audit = get(
        app,
        &legal,
        &format!(
            "/api/v1/audit?entity=clause_version&entity_id={}",
            id_of(&v1)
        ),
    )
    .await;
    let changes: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let status = &e["changes"]["status"];
            Some((
                status["before"].as_str()?.to_owned(),
                status["after"].as_str()?.to_owned(),
            ))
        })
        .collect();
    for step in [
        ("draft", "in_review"),
        ("in_review", "approved"),
        ("approved", "retired"),
    ] {
        assert!(
            changes.contains(&(step.0.to_owned(), step.1.to_owned())),
            "{step:?} not in {changes:?}"
        );
    }
}

both_backends!(legal_alone_approves_and_documents_print_only_approved_wording);

async fn variants_follow_the_accounts_country(app: &mut TestApp) {
    let (_, legal) = app.signed_in("legal").await;
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, rep) = app.signed_in("rep").await;
    clause(app, &legal, "governing-law", "governing-law").await;
    let germany = draft(
        app,
        &legal,
        "governing-law",
        json!({"variant": "germany", "rule": "account.country == \"DE\"",
               "body": "This agreement is governed by the laws of the Federal Republic of Germany."}),
    )
    .await;
    let us = draft(
        app,
        &legal,
        "governing-law",
        json!({"variant": "us", "rule": "account.country in [\"US\"]",
               "body": "This agreement is governed by the laws of the State of New York."}),
    )
    .await;
    approved(app, &legal, &legal, &germany).await;
    approved(app, &legal, &legal, &us).await;
    publish_template(
        app,
        &marketing,
        "terms",
        "# Terms\n\n{{ clause(key=\"governing-law\") }}\n",
    )
    .await
    .expect(200);

    let german = deal_in(app, &rep, "Hafen GmbH", Some("DE")).await;
    let american = deal_in(app, &rep, "Harbor Inc", Some("US")).await;
    let d = generate(app, &rep, "terms", &german, false)
        .await
        .expect(201);
    assert_eq!(d["clause_versions"], json!([id_of(&germany)]));
    let a = generate(app, &rep, "terms", &american, false)
        .await
        .expect(201);
    assert_eq!(a["clause_versions"], json!([id_of(&us)]));
    if let (Some(d), Some(a)) = (text_of(app, &rep, &d).await, text_of(app, &rep, &a).await) {
        assert!(
            d.contains("Federal Republic of Germany") && !d.contains("New York"),
            "{d}"
        );
        assert!(
            a.contains("State of New York") && !a.contains("Germany"),
            "{a}"
        );
    }

    // No variant for France and no default: refused, naming the clause.
    let french = deal_in(app, &rep, "Port SA", Some("FR")).await;
    let refused = generate(app, &rep, "terms", &french, false).await;
    refused.assert_error(409, "clause_unavailable", &[]);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`governing-law`"),
        "{}",
        refused.body
    );
    // A blank country cannot choose: readiness asks for it.
    let unknown = deal_in(app, &rep, "Nowhere Ltd", None).await;
    let ready = get(
        app,
        &rep,
        &format!("/api/v1/deals/{unknown}/readiness?template=terms"),
    )
    .await;
    assert_eq!(ready["ready"], false);
    assert_eq!(ready["missing"][0]["entity"], "account");
    assert_eq!(ready["missing"][0]["field"], "country");
    generate(app, &rep, "terms", &unknown, false)
        .await
        .assert_error(422, "not_ready", &[]);

    // A default variant covers the rest.
    let default = draft(
        app,
        &legal,
        "governing-law",
        json!({"body": "This agreement is governed by the laws of England and Wales."}),
    )
    .await;
    approved(app, &legal, &legal, &default).await;
    let f = generate(app, &rep, "terms", &french, false)
        .await
        .expect(201);
    assert_eq!(f["clause_versions"], json!([id_of(&default)]));
}

both_backends!(variants_follow_the_accounts_country);

async fn rules_are_checked_when_saved(app: &mut TestApp) {
    let (_, legal) = app.signed_in("legal").await;
    let stored = clause(app, &legal, "liability-cap", "liability").await;
    let path = format!("{CLAUSES}/liability-cap/versions");
    for (body, phrase) in [
        (json!({"variant": "large", "body": "x"}), "required"),
        (
            json!({"variant": "large", "rule": "deal.amount >", "body": "x"}),
            "column",
        ),
        (
            json!({"variant": "large", "rule": "deal.amount = 5", "body": "x"}),
            "column",
        ),
        (
            json!({"variant": "large", "rule": "deal.amout > 5", "body": "x"}),
            "no field `amout`",
        ),
        (
            json!({"variant": "large", "rule": "planet.name == 'Mars'", "body": "x"}),
            "not in the context",
        ),
        (
            json!({"variant": "large", "rule": "deal.answers.nope == 'x'", "body": "x"}),
            "profiling question",
        ),
        (
            json!({"rule": "deal.amount > 5", "body": "x"}),
            "takes no rule",
        ),
        (
            json!({"variant": "Large Deals", "rule": "deal.amount > 5", "body": "x"}),
            "a-z",
        ),
    ] {
        let res = post(app, &legal, &path, body.clone()).await;
        assert_eq!(res.status, 422, "{body}: {}", res.body);
        let fields = res.body["error"]["fields"].as_object().unwrap();
        let problem = fields.values().next().unwrap().as_str().unwrap();
        assert!(problem.contains(phrase), "{body}: {problem}");
    }
    post(
        app,
        &legal,
        &path,
        json!({"variant": "large", "body": "  "}),
    )
    .await
    .assert_error(422, "validation_failed", &["body"]);
    let large = draft(
        app,
        &legal,
        "liability-cap",
        json!({"variant": "large", "rule": "deal.amount > 100000 and deal.currency == 'EUR'",
               "body": "Liability is capped at the fees of the first year."}),
    )
    .await;
    assert_eq!(
        large["rule"],
        "deal.amount > 100000 and deal.currency == 'EUR'"
    );
    // A new version of the variant keeps its rule unless given one.
    let next = draft(
        app,
        &legal,
        "liability-cap",
        json!({"variant": "large", "body": "Capped."}),
    )
    .await;
    assert_eq!(next["rule"], large["rule"]);
    assert_eq!(next["number"], 2);
    // A clause's key is fixed, and one with versions is not deleted.
    app.request_as(
        Some(&legal),
        Method::PATCH,
        &format!("{CLAUSES}/{}", id_of(&stored)),
        Some(&json!({"key": "cap", "version": stored["version"]})),
    )
    .await
    .assert_error(422, "validation_failed", &["key"]);
    app.request_as(
        Some(&legal),
        Method::DELETE,
        &format!("{CLAUSES}/{}", id_of(&stored)),
        None,
    )
    .await
    .assert_error(409, "conflict", &[]);
}

both_backends!(rules_are_checked_when_saved);

async fn a_template_naming_unapproved_clauses_is_not_published(app: &mut TestApp) {
    let (_, marketing) = app.signed_in("marketing").await;
    clause(app, &marketing, "payment", "payment").await;
    draft(
        app,
        &marketing,
        "payment",
        json!({"body": "Pay within 30 days."}),
    )
    .await;
    let res = publish_template(
        app,
        &marketing,
        "terms",
        "{{ clause(key=\"payment\") }}\n\n{{ clause(key=\"warranty\") }}\n",
    )
    .await;
    res.assert_error(422, "validation_failed", &["draft"]);
    let message = res.body["error"]["fields"]["draft"].as_str().unwrap();
    assert!(
        message.contains("`payment` (no approved version)"),
        "{message}"
    );
    assert!(message.contains("`warranty` (no such clause)"), "{message}");
    // A key must be written out, so it can be checked.
    let res = post(
        app,
        &marketing,
        "/api/v1/templates",
        json!({"key": "loose", "kind": "proposal", "name": "Loose",
               "draft": "{% set k = \"payment\" %}{{ clause(key=k) }}"}),
    )
    .await;
    res.assert_error(422, "validation_failed", &["draft"]);
    assert!(
        res.body["error"]["fields"]["draft"]
            .as_str()
            .unwrap()
            .contains("written out")
    );
}

both_backends!(a_template_naming_unapproved_clauses_is_not_published);
