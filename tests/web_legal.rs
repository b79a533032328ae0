//! Legal's workspace in the web app: the clause library, a clause's page
//! and the review queue. Over HTTP on both databases: who may open which
//! page, the forms (each refusing a post without its CSRF token, a bad
//! rule or a missing comment coming back at its field with what was
//! typed), rejections and retirements with their comments shown on the
//! clause's page. In a real headless Chromium: legal reads a marketing
//! draft word by word and approves it, the next proposal prints the new
//! text and records it, and the clause page links to that document.

#[path = "tools/browser.rs"]
mod browser;
mod common;
mod tools;

use browser::{Browser, screenshot_path as screenshot};
use common::web::{Page, PageClient};
use common::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, both_backends, id_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TERMS: &str =
    "# Terms for {{ deal.name }}\n\n## Liability\n\n{{ clause(key=\"liability\") }}\n";
const V1: &str = "Liability is capped at 12 months of fees paid.";
const V2: &str = "Liability is capped at 24 months of fees paid.";

/// The people of the clause library, signed in to the API.
struct Team {
    marketing: String,
    legal: String,
    legal_login: (String, String),
}

async fn team(app: &TestApp) -> Team {
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, email, password) = app.new_user("legal").await;
    let legal = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    Team {
        marketing,
        legal,
        legal_login: (email, password),
    }
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    app.request_as(Some(token), Method::POST, path, Some(&body))
        .await
        .expect_success()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    app.request_as(Some(token), Method::GET, path, None)
        .await
        .expect(200)
}

fn version_path(version: &Value, action: &str) -> String {
    format!("/api/v1/clause-versions/{}/{action}", id_of(version))
}

/// Clause `liability` with version 1 approved, and the proposal template
/// `terms` that prints it, published.
async fn liability_in_use(app: &TestApp, team: &Team) -> Value {
    post(
        app,
        &team.marketing,
        "/api/v1/clauses",
        json!({"key": "liability", "title": "Limitation of liability", "category": "liability"}),
    )
    .await;
    let v1 = post(
        app,
        &team.marketing,
        "/api/v1/clauses/liability/versions",
        json!({"body": V1}),
    )
    .await;
    post(
        app,
        &team.marketing,
        &version_path(&v1, "submit"),
        json!({}),
    )
    .await;
    let v1 = post(
        app,
        &team.legal,
        &version_path(&v1, "approve"),
        json!({"comment": "Standard cap."}),
    )
    .await;
    post(
        app,
        &team.marketing,
        "/api/v1/templates",
        json!({"key": "terms", "kind": "proposal", "name": "Contract terms",
               "formats": ["pdf", "html"], "draft": TERMS}),
    )
    .await;
    post(
        app,
        &team.marketing,
        "/api/v1/templates/terms/publish",
        json!({}),
    )
    .await;
    v1
}

/// A new version of the liability clause, submitted by marketing.
async fn submitted(app: &TestApp, team: &Team, body: &str) -> Value {
    let draft = post(
        app,
        &team.marketing,
        "/api/v1/clauses/liability/versions",
        json!({"body": body}),
    )
    .await;
    post(
        app,
        &team.marketing,
        &version_path(&draft, "submit"),
        json!({}),
    )
    .await
}

async fn signed_in(app: &TestApp, email: &str, password: &str) -> PageClient {
    let mut client = PageClient::new(app);
    let page = client.sign_in(email, password).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    client
}

async fn as_new(app: &TestApp, role: &str) -> PageClient {
    let (_, email, password) = app.new_user(role).await;
    signed_in(app, &email, &password).await
}

async fn legal_client(app: &TestApp, team: &Team) -> PageClient {
    signed_in(app, &team.legal_login.0, &team.legal_login.1).await
}

/// The posted form with the page's token.
async fn submit(client: &mut PageClient, path: &str, form: &[(&str, &str)]) -> Page {
    let csrf = client.csrf.clone();
    let mut form = form.to_vec();
    form.push(("csrf", &csrf));
    client.post(path, &form).await
}

async fn the_pages_answer_the_roles_the_policy_names(app: &mut TestApp) {
    let team = team(app).await;
    liability_in_use(app, &team).await;
    let mut admin = signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut rep = as_new(app, "rep").await;
    let mut manager = as_new(app, "manager").await;
    let mut marketing = as_new(app, "marketing").await;
    let mut legal = legal_client(app, &team).await;
    for (who, client) in [
        ("rep", &mut rep),
        ("manager", &mut manager),
        ("admin", &mut admin),
    ] {
        for path in ["/clauses", "/clauses/liability", "/reviews"] {
            let page = client.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} {path}");
            assert!(page.body.contains("Not for your role"), "{}", page.body);
        }
        let menu = client.get("/deals").await.body;
        assert!(!menu.contains(">Clauses</a>"), "{who}'s menu");
        assert!(!menu.contains(">Reviews</a>"), "{who}'s menu");
    }
    for path in ["/clauses", "/clauses/liability"] {
        assert_eq!(marketing.get(path).await.status, StatusCode::OK, "{path}");
    }
    let page = marketing.get("/reviews").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    for path in ["/clauses", "/clauses/liability", "/reviews"] {
        let page = legal.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(">Reviews</a>"), "legal's menu");
    }
    // Marketing sees where the clause is printed, not the documents.
    let page = marketing.get("/clauses/liability").await;
    assert!(
        page.body
            .contains("Legal and managers see the documents that carried it."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Retire version"), "{}", page.body);
    assert_eq!(
        legal.get("/clauses/no-such-clause").await.status,
        StatusCode::NOT_FOUND
    );
}

both_backends!(the_pages_answer_the_roles_the_policy_names);

async fn every_form_refuses_a_post_without_its_token(app: &mut TestApp) {
    let team = team(app).await;
    let v1 = liability_in_use(app, &team).await;
    let v2 = submitted(app, &team, V2).await;
    let draft = post(
        app,
        &team.legal,
        "/api/v1/clauses/liability/versions",
        json!({"variant": "germany", "rule": "account.country == \"DE\"", "body": "Haftung."}),
    )
    .await;
    let mut legal = legal_client(app, &team).await;
    let before = get(app, &team.legal, "/api/v1/clauses/liability/versions").await;
    let clauses_before = app.list_ids("/api/v1/clauses").await;
    let (v1_id, v2_id, draft_id) = (id_of(&v1), id_of(&v2), id_of(&draft));
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/clauses".to_owned(),
            vec![
                ("key", "payment"),
                ("title", "Payment"),
                ("category", "payment"),
            ],
        ),
        (
            "/clauses/liability/versions".to_owned(),
            vec![
                ("form", "new-default"),
                ("variant", "default"),
                ("body", "Forged."),
            ],
        ),
        (
            format!("/clauses/liability/versions/{draft_id}"),
            vec![
                ("rule", "account.country == \"AT\""),
                ("body", "Forged."),
                ("version", "1"),
                ("then", "submit"),
            ],
        ),
        (
            format!("/clauses/liability/versions/{v1_id}/retire"),
            vec![("comment", "Forged."), ("from", "clause")],
        ),
        (
            format!("/reviews/{v2_id}"),
            vec![("decision", "approve"), ("comment", "Forged.")],
        ),
    ];
    for (path, fields) in &forms {
        for token in [None, Some("0".repeat(64))] {
            let mut form = fields.clone();
            if let Some(t) = &token {
                form.push(("csrf", t));
            }
            let page = legal.post(path, &form).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} {token:?}");
            assert!(
                page.body.contains("did not come from dealdraft"),
                "{path}: {}",
                page.body
            );
        }
    }
    assert_eq!(
        get(app, &team.legal, "/api/v1/clauses/liability/versions").await,
        before,
        "a post without its token wrote something"
    );
    assert_eq!(app.list_ids("/api/v1/clauses").await, clauses_before);
}

both_backends!(every_form_refuses_a_post_without_its_token);

async fn a_rejection_needs_a_comment_and_shows_it_with_its_decider(app: &mut TestApp) {
    let team = team(app).await;
    liability_in_use(app, &team).await;
    let v2 = submitted(app, &team, "Liability is unlimited.").await;
    let mut legal = legal_client(app, &team).await;
    let queue = legal.get("/reviews").await;
    assert!(
        queue
            .body
            .contains("<del>capped at 12 months of fees paid.</del><ins>unlimited.</ins>"),
        "{}",
        queue.body
    );
    let path = format!("/reviews/{}", id_of(&v2));
    let form = format!("decide-{}", id_of(&v2));
    let refused = submit(
        &mut legal,
        &path,
        &[("decision", "reject"), ("comment", "  ")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(&format!(
            "<p class=\"field-error\" id=\"{form}-comment-error\">required: say what has to change in the text</p>"
        )),
        "{}",
        refused.body
    );
    assert_eq!(
        get(
            app,
            &team.legal,
            &format!("/api/v1/clause-versions/{}", id_of(&v2))
        )
        .await["status"],
        "in_review"
    );
    let comment = "Unlimited liability is not insurable: keep a cap.";
    let done = submit(
        &mut legal,
        &path,
        &[("decision", "reject"), ("comment", comment)],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location.as_deref(), Some("/reviews?notice=rejected"));
    let stored = get(
        app,
        &team.legal,
        &format!("/api/v1/clause-versions/{}", id_of(&v2)),
    )
    .await;
    assert_eq!(stored["status"], "rejected");
    assert_eq!(stored["review_comment"], comment);
    assert!(stored["reviewed_by"].is_string());
    let queue = legal.get("/reviews?notice=rejected").await;
    assert!(queue.body.contains("Nothing is waiting for review."));
    assert!(
        queue
            .body
            .contains("Rejected: the author sees your comment")
    );

    // Marketing, who wrote it, reads the decision on the clause's page.
    let mut marketing = as_new(app, "marketing").await;
    let page = marketing.get("/clauses/liability").await;
    assert!(
        page.body.contains(&format!(
            "<dd class=\"comment review-comment\">{}</dd>",
            "Unlimited liability is not insurable: keep a cap."
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("by A legal</dd>"), "{}", page.body);
    assert!(
        page.body
            .contains("<span class=\"badge badge-bad\">rejected</span>")
    );
    // A decision is taken once.
    let again = submit(
        &mut legal,
        &path,
        &[("decision", "approve"), ("comment", "")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again.body.contains("is rejected: it cannot be approved"),
        "{}",
        again.body
    );
}

both_backends!(a_rejection_needs_a_comment_and_shows_it_with_its_decider);

async fn retiring_needs_a_comment_and_shows_it(app: &mut TestApp) {
    let team = team(app).await;
    let v1 = liability_in_use(app, &team).await;
    let mut legal = legal_client(app, &team).await;
    let page = legal.get("/clauses/liability").await;
    let form = format!("retire-{}", id_of(&v1));
    assert!(
        page.body.contains(&format!("id=\"{form}\"")),
        "{}",
        page.body
    );
    let path = format!("/clauses/liability/versions/{}/retire", id_of(&v1));
    let refused = submit(&mut legal, &path, &[("comment", ""), ("from", "clause")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(&format!("id=\"{form}-comment-error\">required: say why")),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("<details class=\"retire\" open>"));
    let comment = "The cap was struck down in court.";
    let done = submit(
        &mut legal,
        &path,
        &[("comment", comment), ("from", "clause")],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/clauses/liability?notice=retired#version-{}", id_of(&v1)).as_str())
    );
    let stored = get(
        app,
        &team.legal,
        &format!("/api/v1/clause-versions/{}", id_of(&v1)),
    )
    .await;
    assert_eq!(stored["status"], "retired");
    assert_eq!(stored["retire_comment"], comment);
    let page = legal.get("/clauses/liability?notice=retired").await;
    assert!(
        page.body.contains(&format!(
            "by A legal: <span class=\"comment retire-comment\">{comment}</span>"
        )),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Retired: documents no longer print this version.")
    );
    // The approval is still on record beside the retirement.
    assert!(
        page.body
            .contains("<dd class=\"comment review-comment\">Standard cap.</dd>"),
        "{}",
        page.body
    );
    // The audit log has the comment too.
    let audit = get(
        app,
        &team.legal,
        &format!(
            "/api/v1/audit?entity=clause_version&entity_id={}",
            id_of(&v1)
        ),
    )
    .await;
    assert!(
        audit["items"].as_array().expect("items").iter().any(|e| {
            e["changes"]["retire_comment"]["after"] == comment
                && e["changes"]["status"]["after"] == "retired"
        }),
        "{audit}"
    );
    // From the review queue's list of versions in use, back to the queue.
    let v2 = submitted(app, &team, V2).await;
    post(app, &team.legal, &version_path(&v2, "approve"), json!({})).await;
    let queue = legal.get("/reviews").await;
    assert!(
        queue
            .body
            .contains(&format!("id=\"in-use-{}\"", id_of(&v2))),
        "{}",
        queue.body
    );
    let done = submit(
        &mut legal,
        &format!("/clauses/liability/versions/{}/retire", id_of(&v2)),
        &[
            ("comment", "Replaced by the new framework terms."),
            ("from", "reviews"),
        ],
    )
    .await;
    assert_eq!(done.location.as_deref(), Some("/reviews?notice=retired"));
    let queue = legal.get("/reviews").await;
    assert!(
        queue.body.contains("No version is approved yet."),
        "{}",
        queue.body
    );
}

both_backends!(retiring_needs_a_comment_and_shows_it);

async fn a_bad_rule_comes_back_at_its_field_with_the_text_kept(app: &mut TestApp) {
    let team = team(app).await;
    liability_in_use(app, &team).await;
    let mut legal = legal_client(app, &team).await;
    legal.get("/clauses/liability").await;
    let before = get(app, &team.legal, "/api/v1/clauses/liability/versions").await;
    let body = "Für Verträge mit deutschen Kunden gilt die gesetzliche Haftung.";
    let refused = submit(
        &mut legal,
        "/clauses/liability/versions",
        &[
            ("form", "add-variant"),
            ("variant", "germany"),
            ("rule", "account.countyr == \"DE\""),
            ("body", body),
            ("then", "submit"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("<p class=\"field-error\" id=\"add-variant-rule-error\">`account.countyr`: "),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("aria-describedby=\"add-variant-rule-error\"")
    );
    // What was typed is still there.
    assert!(
        refused.body.contains(&format!(">{body}</textarea>")),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"germany\""),
        "{}",
        refused.body
    );
    assert_eq!(
        get(app, &team.legal, "/api/v1/clauses/liability/versions").await,
        before,
        "a refused version was written"
    );
    // A variant needs a rule at all.
    let refused = submit(
        &mut legal,
        "/clauses/liability/versions",
        &[
            ("form", "add-variant"),
            ("variant", "germany"),
            ("rule", ""),
            ("body", body),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(
            "id=\"add-variant-rule-error\">required: say when the variant `germany` applies"
        ),
        "{}",
        refused.body
    );

    // Written right, it is a draft with its rule; a bad rule in the draft
    // is refused the same way, and the draft keeps its rule.
    let saved = submit(
        &mut legal,
        "/clauses/liability/versions",
        &[
            ("form", "add-variant"),
            ("variant", "germany"),
            ("rule", "account.country == \"DE\""),
            (
                "body",
                "Die Haftung ist auf 12 Monatsentgelte begrenzt.\r\nIm Übrigen gilt das Gesetz.",
            ),
            ("then", "draft"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let versions = get(
        app,
        &team.legal,
        "/api/v1/clauses/liability/versions?variant=germany",
    )
    .await;
    let draft = versions["items"][0].clone();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["rule"], "account.country == \"DE\"");
    assert_eq!(
        draft["body"],
        "Die Haftung ist auf 12 Monatsentgelte begrenzt.\nIm Übrigen gilt das Gesetz.",
        "a text area's CR LF is stored as LF"
    );
    assert_eq!(
        saved.location.as_deref(),
        Some(
            format!(
                "/clauses/liability?notice=drafted#version-{}",
                id_of(&draft)
            )
            .as_str()
        )
    );
    legal.get("/clauses/liability").await;
    let edit = format!("/clauses/liability/versions/{}", id_of(&draft));
    let form = format!("edit-{}", id_of(&draft));
    let refused = submit(
        &mut legal,
        &edit,
        &[
            ("form", &form),
            ("rule", "account.country =="),
            ("body", "Changed text."),
            ("version", "1"),
            ("then", "submit"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(&format!("id=\"{form}-rule-error\">column")),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(">Changed text.</textarea>"),
        "{}",
        refused.body
    );
    let unchanged = get(
        app,
        &team.legal,
        &format!("/api/v1/clause-versions/{}", id_of(&draft)),
    )
    .await;
    assert_eq!(unchanged["rule"], "account.country == \"DE\"");
    assert_eq!(unchanged["status"], "draft");

    // Changed and submitted in one go; the queue shows the rule.
    let done = submit(
        &mut legal,
        &edit,
        &[
            ("form", &form),
            ("rule", "account.country in [\"DE\", \"AT\"]"),
            ("body", "Die Haftung ist begrenzt."),
            ("version", "1"),
            ("then", "submit"),
        ],
    )
    .await;
    assert_eq!(
        done.location.as_deref(),
        Some(
            format!(
                "/clauses/liability?notice=submitted#version-{}",
                id_of(&draft)
            )
            .as_str()
        ),
        "{}",
        done.body
    );
    let stored = get(
        app,
        &team.legal,
        &format!("/api/v1/clause-versions/{}", id_of(&draft)),
    )
    .await;
    assert_eq!(stored["status"], "in_review");
    assert_eq!(stored["body"], "Die Haftung ist begrenzt.");
    let queue = legal.get("/reviews").await;
    assert!(
        queue
            .body
            .contains("<code>account.country in [&quot;DE&quot;, &quot;AT&quot;]</code>"),
        "{}",
        queue.body
    );
    assert!(
        queue
            .body
            .contains("The first version of this variant: all of its text is new.")
    );
}

both_backends!(a_bad_rule_comes_back_at_its_field_with_the_text_kept);

async fn marketing_writes_a_clause_and_finds_it_by_text_and_state(app: &mut TestApp) {
    let team = team(app).await;
    liability_in_use(app, &team).await;
    let mut marketing = as_new(app, "marketing").await;
    marketing.get("/clauses").await;
    // A clause's key is checked, and the form keeps what was typed.
    let refused = submit(
        &mut marketing,
        "/clauses",
        &[
            ("key", "Payment Terms"),
            ("title", "Payment terms"),
            ("category", "payment"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("id=\"new-clause-key-error\">"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"Payment terms\""),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("<details class=\"card\" id=\"new-clause-card\" open>")
    );
    let made = submit(
        &mut marketing,
        "/clauses",
        &[
            ("key", "payment-terms"),
            ("title", "Payment terms"),
            ("category", "payment"),
        ],
    )
    .await;
    assert_eq!(
        made.location.as_deref(),
        Some("/clauses/payment-terms?notice=created")
    );
    let page = marketing.get("/clauses/payment-terms?notice=created").await;
    assert!(
        page.body.contains("Write the first version"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"default\""), "{}", page.body);
    let written = submit(
        &mut marketing,
        "/clauses/payment-terms/versions",
        &[
            ("form", "add-variant"),
            ("variant", "default"),
            ("rule", ""),
            ("body", "Invoices are due within 30 days."),
            ("then", "submit"),
        ],
    )
    .await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.body);
    // The next version of the variant starts from the newest text.
    let page = marketing.get("/clauses/payment-terms").await;
    assert!(
        page.body
            .contains("id=\"new-default-body\" name=\"body\" class=\"clause-body\" rows=\"8\">Invoices are due within 30 days.</textarea>"),
        "{}",
        page.body
    );
    // One in review at a time: the second draft is kept and says why.
    let second = submit(
        &mut marketing,
        "/clauses/payment-terms/versions",
        &[
            ("form", "new-default"),
            ("variant", "default"),
            ("body", "Invoices are due within 14 days."),
            ("then", "submit"),
        ],
    )
    .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert!(
        second.body.contains("is in review already"),
        "{}",
        second.body
    );
    let versions = get(
        app,
        &team.marketing,
        "/api/v1/clauses/payment-terms/versions",
    )
    .await;
    let statuses: Vec<&str> = versions["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| v["status"].as_str().expect("a status"))
        .collect();
    assert_eq!(statuses, vec!["draft", "in_review"]);

    let library = marketing.get("/clauses").await.body;
    assert!(library.contains("id=\"clause-liability\""));
    assert!(library.contains("id=\"clause-payment-terms\""));
    let approved = marketing.get("/clauses?status=approved").await.body;
    assert!(approved.contains("id=\"clause-liability\""), "{approved}");
    assert!(
        !approved.contains("id=\"clause-payment-terms\""),
        "{approved}"
    );
    // The approved version is marked and its text shown.
    assert!(approved.contains("<li class=\"approved\">"), "{approved}");
    assert!(approved.contains(V1), "{approved}");
    let in_review = marketing.get("/clauses?status=in_review").await.body;
    assert!(in_review.contains("id=\"clause-payment-terms\""));
    assert!(!in_review.contains("id=\"clause-liability\""));
    // Words of a version's text find its clause.
    let found = marketing.get("/clauses?q=within+14+days").await.body;
    assert!(found.contains("id=\"clause-payment-terms\""), "{found}");
    assert!(!found.contains("id=\"clause-liability\""), "{found}");
    let none = marketing.get("/clauses?q=arbitration").await.body;
    assert!(none.contains("No clause matches."), "{none}");
    let bad = marketing.get("/clauses?status=pending").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body
            .contains("status: `pending` is not a state of a version"),
        "{}",
        bad.body
    );
}

both_backends!(marketing_writes_a_clause_and_finds_it_by_text_and_state);

async fn the_library_is_paged(app: &mut TestApp) {
    let team = team(app).await;
    for n in 0..51 {
        post(
            app,
            &team.legal,
            "/api/v1/clauses",
            json!({"key": format!("clause-{n:02}"), "title": format!("Clause {n}"), "category": "misc"}),
        )
        .await;
    }
    let mut legal = legal_client(app, &team).await;
    let first = legal.get("/clauses").await.body;
    assert!(first.contains("id=\"clause-clause-49\""));
    assert!(!first.contains("id=\"clause-clause-50\""));
    let next = first
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("a next page")
        .replace("&amp;", "&")
        .replace("&#x2F;", "/");
    let second = legal.get(&next).await.body;
    assert!(
        second.contains("id=\"clause-clause-50\""),
        "{next}: {second}"
    );
    assert!(!second.contains("id=\"clause-clause-49\""));
    assert!(!second.contains("rel=\"next\""));
    assert!(second.contains(">First page</a>"));
}

both_backends!(the_library_is_paged);

/// A rep's deal, made through the API; the rep's token and the deal.
async fn rep_with_deal(app: &TestApp) -> (String, String) {
    let (_, rep) = app.signed_in("rep").await;
    let account = post(
        app,
        &rep,
        "/api/v1/accounts",
        json!({"name": "Hafen Logistik GmbH", "country": "DE"}),
    )
    .await;
    let deal = post(
        app,
        &rep,
        "/api/v1/deals",
        json!({"name": "Yard visibility", "account_id": id_of(&account)}),
    )
    .await;
    (rep, id_of(&deal))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legal_approves_a_reworded_clause_and_the_next_proposal_prints_it() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let team = team(&app).await;
    let v1 = liability_in_use(&app, &team).await;
    let (rep, deal) = rep_with_deal(&app).await;
    let before = post(
        &app,
        &rep,
        "/api/v1/documents",
        json!({"template": "terms", "deal_id": deal, "format": "pdf"}),
    )
    .await;
    assert_eq!(before["clause_versions"], json!([id_of(&v1)]));
    let v2 = submitted(&app, &team, V2).await;

    let Some(mut browser) = Browser::start(1280, 900).await else {
        return;
    };
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &team.legal_login.0).await;
    browser.fill("#password", &team.legal_login.1).await;
    browser.click("#sign-in").await;
    browser
        .wait_text("header.top nav", |t| t.contains("Reviews"))
        .await;
    browser.click("header.top nav a[href=\"/reviews\"]").await;
    let review = format!("#review-{}", id_of(&v2));
    browser
        .wait_text(&format!("{review} h2"), |t| {
            t.contains("Limitation of liability")
        })
        .await;
    assert_eq!(browser.text(&format!("{review} .diff del")).await, "12");
    assert_eq!(browser.text(&format!("{review} .diff ins")).await, "24");
    assert_eq!(
        browser.text(&format!("{review} .diff")).await,
        "Liability is capped at 1224 months of fees paid."
    );
    assert!(!browser.scrolls_sideways().await);
    browser.screenshot(&screenshot("workspace-legal")).await;

    let comment = "Agreed with finance: two years of fees.";
    browser
        .fill(&format!("#decide-{}-comment", id_of(&v2)), comment)
        .await;
    browser
        .click(&format!("#decide-{} button[value=\"approve\"]", id_of(&v2)))
        .await;
    browser
        .wait_text("p.notice", |t| t.starts_with("Approved"))
        .await;
    assert_eq!(
        browser.text("ul.reviews").await,
        "Nothing is waiting for review."
    );

    // The next proposal prints the new words, and records the version.
    let after = post(
        &app,
        &rep,
        "/api/v1/documents",
        json!({"template": "terms", "deal_id": deal, "format": "pdf"}),
    )
    .await;
    assert_eq!(after["clause_versions"], json!([id_of(&v2)]));
    let download = app
        .download(
            &rep,
            &format!("/api/v1/documents/{}/content", id_of(&after)),
        )
        .await;
    assert_eq!(download.status, 200);
    if let Some(text) = tools::pdf_text(&download.bytes) {
        let text = tools::squeeze(&text);
        assert!(text.contains(V2), "{text}");
        assert!(!text.contains("12 months"), "{text}");
    }

    // The clause page shows the decision and where the version went.
    browser.goto(&app.url("/clauses/liability")).await;
    let version = format!("#version-{}", id_of(&v2));
    let facts = browser.text(&format!("{version} dl.facts")).await;
    assert!(facts.contains(comment), "{facts}");
    assert!(facts.contains("by A legal"), "{facts}");
    let used = format!("#used-{}", id_of(&v2));
    let link = format!("{used} a.document-link");
    assert_eq!(
        browser.attribute(&link, "href").await,
        format!("/api/v1/documents/{}/content", id_of(&after))
    );
    assert!(
        !browser.exists(&format!("#used-{}", id_of(&v1))).await,
        "version 1 is retired: its documents are listed on request"
    );
    browser.click(&link).await;
    let (name, bytes) = browser.download().await;
    assert_eq!(name, after["file_name"].as_str().expect("a file name"));
    assert_eq!(bytes, download.bytes, "the link serves the document");
    browser.click(&format!("{used} a.deal-link")).await;
    browser.wait_text("h1", |t| t == "Yard visibility").await;
    // The retired version's documents, on request.
    browser.goto(&app.url("/clauses/liability")).await;
    browser
        .click(&format!("#version-{} a[href*=\"used=\"]", id_of(&v1)))
        .await;
    browser
        .wait_text(&format!("#used-{} a.document-link", id_of(&v1)), |t| {
            t == before["file_name"].as_str().unwrap_or_default()
        })
        .await;
    browser.close().await;
    app.stop().await;
}
