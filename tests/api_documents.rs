//! Generating and keeping documents over HTTP on both databases: a deal
//! that is not ready is refused with what it lacks; a filled deal becomes
//! the built-in proposal as PDF, DOCX and HTML with the customer, the rep,
//! the amount and the sections its profiling answers choose; every
//! document is kept with what it was made from, made again byte for byte,
//! logged on the deal, and readable only by those who may. A draft is made
//! for a deal that is not ready, marked and with its blanks named; a
//! document is e-mailed through a real SMTP server on loopback.

mod common;
mod tools;

use common::{TestApp, both_backends, id_of};
use mail_parser::MimeHeaders;
use reqwest::Method;
use serde_json::{Value, json};
use tools::smtp::{SmtpSink, closed_port, header};
use tools::{document_text, pdf_text, squeeze};

const DOCUMENTS: &str = "/api/v1/documents";

async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> Value {
    app.request_as(Some(token), method, path, Some(&body))
        .await
        .expect_success()
}

/// A deal the built-in proposal has everything for: a healthcare account
/// that named GDPR as a compliance requirement.
struct Deal {
    id: String,
    rep: String,
    rep_name: String,
}

async fn filled_deal(app: &TestApp, account_name: &str) -> Deal {
    let (_, rep) = app.signed_in("rep").await;
    let me = send(app, &rep, Method::GET, "/api/v1/me", Value::Null).await;
    send(
        app,
        &rep,
        Method::PATCH,
        "/api/v1/me",
        json!({"phone": "+49 30 555 0100", "title": "Account Executive", "version": me["version"]}),
    )
    .await;
    common::seller_company(app).await;
    if app
        .fetch("/api/v1/profile-questions?applies_to=account")
        .await["items"]
        .as_array()
        .is_none_or(|q| !q.iter().any(|q| q["key"] == "compliance"))
    {
        app.create(
            "/api/v1/profile-questions",
            json!({"key": "compliance", "label": "Compliance requirements", "kind": "multi",
                   "options": ["ISO 27001", "GDPR"], "applies_to": "account"}),
        )
        .await;
    }
    let account = send(
        app,
        &rep,
        Method::POST,
        "/api/v1/accounts",
        json!({"name": account_name, "industry": "Healthcare", "country": "DE", "employee_count": 2400}),
    )
    .await;
    send(
        app,
        &rep,
        Method::PUT,
        &format!("/api/v1/accounts/{}/answers", id_of(&account)),
        json!({"compliance": ["GDPR"]}),
    )
    .await;
    let contact = send(
        app,
        &rep,
        Method::POST,
        "/api/v1/contacts",
        json!({"first_name": "Ada", "last_name": "Lindqvist", "title": "Head of Supply",
               "email": "ada@brightwater.example", "account_id": id_of(&account)}),
    )
    .await;
    let deal = send(
        app,
        &rep,
        Method::POST,
        "/api/v1/deals",
        json!({"name": "Supply visibility", "account_id": id_of(&account),
               "primary_contact_id": id_of(&contact), "amount": "48000.00", "currency": "EUR",
               "expected_close_date": "2027-01-29"}),
    )
    .await;
    Deal {
        id: id_of(&deal),
        rep,
        rep_name: me["name"].as_str().unwrap().to_owned(),
    }
}

async fn generate(app: &TestApp, token: &str, deal_id: &str, format: &str) -> common::Res {
    app.request_as(
        Some(token),
        Method::POST,
        DOCUMENTS,
        Some(&json!({"template": "proposal", "deal_id": deal_id, "format": format})),
    )
    .await
}

/// The subjects of the activities `query` selects, oldest first.
async fn activity_subjects(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let activities = send(
        app,
        token,
        Method::GET,
        &format!("/api/v1/activities?{query}"),
        Value::Null,
    )
    .await;
    activities["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["subject"].as_str().unwrap().to_owned())
        .collect()
}

async fn generate_draft(app: &TestApp, token: &str, deal_id: &str, format: &str) -> common::Res {
    app.request_as(
        Some(token),
        Method::POST,
        DOCUMENTS,
        Some(&json!({"template": "proposal", "deal_id": deal_id, "format": format, "draft": true})),
    )
    .await
}

/// What the proposal for the filled deal must and must not say.
fn check_proposal_text(format: &str, text: &str, rep_name: &str) {
    let text = squeeze(text);
    for expected in [
        "Brightwater Health",
        rep_name,
        "€48,000.00",
        "Supply visibility",
        // Chosen by the account's industry and its compliance answer.
        "A regional hospital group",
        "Security and compliance",
        "GDPR",
    ] {
        assert!(
            text.contains(expected),
            "{format}: `{expected}` is missing from:\n{text}"
        );
    }
    for unexpected in ["A Nordic freight", "ISO 27001:"] {
        assert!(
            !text.contains(unexpected),
            "{format}: `{unexpected}` is printed:\n{text}"
        );
    }
}

/// An e-mail document parsed back: from the rep to the primary contact, the
/// proposal as HTML and text, and its PDF attached. Returns the text the
/// checks read: the HTML part and the attachment's text.
fn email_text(eml: &[u8], rep_name: &str) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(eml)
        .expect("the message parses");
    let from = message.from().and_then(|a| a.first()).expect("a sender");
    assert_eq!(from.name(), Some(rep_name));
    let to = message.to().and_then(|a| a.first()).expect("a recipient");
    assert_eq!(to.address(), Some("ada@brightwater.example"));
    assert_eq!(to.name(), Some("Ada Lindqvist"));
    assert_eq!(message.subject(), Some("Proposal for Brightwater Health"));
    let html = message.body_html(0).expect("an HTML part").into_owned();
    let text = message.body_text(0).expect("a text part").into_owned();
    assert!(
        text.contains("Supply visibility") && !text.contains("<p>"),
        "{text}"
    );
    let attachment = message.attachment(0).expect("the PDF attached");
    assert_eq!(
        attachment.content_type().map(|c| (c.ctype(), c.subtype())),
        Some(("application", Some("pdf")))
    );
    assert_eq!(
        attachment.attachment_name(),
        Some("Proposal for Brightwater Health.pdf")
    );
    let pdf = attachment.contents();
    assert!(pdf.starts_with(b"%PDF-"));
    let pdf_text = pdf_text(pdf).unwrap_or_default();
    if !pdf_text.is_empty() {
        check_proposal_text("the attached PDF", &pdf_text, rep_name);
    }
    html
}

// ---- readiness first ---------------------------------------------------------

async fn a_deal_that_is_not_ready_is_refused_with_what_it_lacks(app: &mut TestApp) {
    let (_, rep) = app.signed_in("rep").await;
    let account = send(
        app,
        &rep,
        Method::POST,
        "/api/v1/accounts",
        json!({"name": "Sparse"}),
    )
    .await;
    let deal = send(
        app,
        &rep,
        Method::POST,
        "/api/v1/deals",
        json!({"name": "Thin", "account_id": id_of(&account)}),
    )
    .await;
    let res = generate(app, &rep, &id_of(&deal), "pdf").await;
    res.assert_error(422, "not_ready", &[]);
    let missing: Vec<String> = res.body["error"]["missing"]
        .as_array()
        .expect("error.missing lists the blank fields")
        .iter()
        .map(|m| {
            format!(
                "{}.{}",
                m["entity"].as_str().unwrap(),
                m["field"].as_str().unwrap()
            )
        })
        .collect();
    for field in [
        "deal.amount",
        "deal.expected_close_date",
        "account.industry",
        "user.phone",
    ] {
        assert!(
            missing.contains(&field.to_owned()),
            "{field} not in {missing:?}"
        );
    }
    // Nothing was kept, and nothing logged.
    let kept = send(
        app,
        &rep,
        Method::GET,
        &format!("{DOCUMENTS}?deal_id={}", id_of(&deal)),
        Value::Null,
    )
    .await;
    assert_eq!(kept["items"], json!([]));

    // Bad requests name their field.
    for (body, field) in [
        (json!({"template": "proposal", "format": "pdf"}), "deal_id"),
        (
            json!({"template": "proposal", "deal_id": id_of(&deal), "account_id": id_of(&account), "format": "pdf"}),
            "deal_id",
        ),
        (
            json!({"template": "proposal", "deal_id": id_of(&deal), "format": "odt"}),
            "format",
        ),
        (
            json!({"template": "company-profile", "deal_id": id_of(&deal), "format": "pdf"}),
            "template",
        ),
        (
            json!({"template": "proposal", "deal_id": id_of(&deal), "format": "pdf", "colour": 1}),
            "colour",
        ),
    ] {
        app.request_as(Some(&rep), Method::POST, DOCUMENTS, Some(&body))
            .await
            .assert_error(422, "validation_failed", &[field]);
    }
    app.request_as(
        Some(&rep),
        Method::POST,
        DOCUMENTS,
        Some(&json!({"template": "no-such", "deal_id": id_of(&deal), "format": "pdf"})),
    )
    .await
    .assert_error(404, "not_found", &[]);
}
both_backends!(a_deal_that_is_not_ready_is_refused_with_what_it_lacks);

// ---- generating and keeping -------------------------------------------------------

async fn a_filled_deal_becomes_the_proposal_in_every_format_kept_exactly(app: &mut TestApp) {
    let deal = filled_deal(app, "Brightwater Health").await;
    let ready = send(
        app,
        &deal.rep,
        Method::GET,
        &format!("/api/v1/deals/{}/readiness?template=proposal", deal.id),
        Value::Null,
    )
    .await;
    assert_eq!(ready["ready"], true, "{ready}");

    let mut kept = Vec::new();
    for format in ["pdf", "docx", "html", "eml"] {
        let document = generate(app, &deal.rep, &deal.id, format).await.expect(201);
        assert_eq!(document["format"], format);
        assert_eq!(document["template"], "proposal");
        assert_eq!(document["template_version"], 1);
        assert_eq!(document["deal_id"], deal.id.as_str());
        assert_eq!(document["theme"], "classic");
        let sources: Vec<&str> = document["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap())
            .collect();
        for key in [
            "proposal",
            "company-profile",
            "case-study-healthcare",
            "security",
        ] {
            assert!(sources.contains(&key), "{key} not among {sources:?}");
        }
        assert_eq!(document["assets"][0]["name"], "classic-logo.png");
        assert_eq!(document["clause_versions"], json!([]));
        assert_eq!(document["program_version"], env!("CARGO_PKG_VERSION"));

        let common::Download {
            status,
            content_type,
            disposition,
            bytes,
        } = app
            .download(
                &deal.rep,
                &format!("{DOCUMENTS}/{}/content", id_of(&document)),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(content_type, document["content_type"].as_str().unwrap());
        assert_eq!(
            document["file_name"],
            format!("Sales proposal - Supply visibility.{format}")
        );
        assert!(
            disposition.starts_with("attachment; filename=\"Sales proposal - Supply visibility."),
            "{disposition}"
        );
        assert_eq!(document["sha256"], dealdraft::digest::sha256_hex(&bytes));
        assert_eq!(document["size_bytes"], bytes.len());
        let text = match format {
            "eml" => Some(email_text(&bytes, &deal.rep_name)),
            _ => document_text(format, &bytes),
        };
        if let Some(text) = text {
            check_proposal_text(format, &text, &deal.rep_name);
        }
        kept.push((document, bytes));
    }

    // Made again from the record, each is the same bytes.
    for (document, _) in &kept {
        let verdict = send(
            app,
            &deal.rep,
            Method::GET,
            &format!("{DOCUMENTS}/{}/verify", id_of(document)),
            Value::Null,
        )
        .await;
        assert_eq!(verdict["identical"], true, "{verdict}");
        assert_eq!(verdict["regenerated_sha256"], document["sha256"]);
    }
    // Generated again, interleaved with another format, the PDF is the
    // same bytes.
    let again = generate(app, &deal.rep, &deal.id, "pdf").await.expect(201);
    assert_eq!(again["sha256"], kept[0].0["sha256"]);
    assert_ne!(id_of(&again), id_of(&kept[0].0));

    // Listed for the deal, and logged on it.
    let listed = send(
        app,
        &deal.rep,
        Method::GET,
        &format!("{DOCUMENTS}?deal_id={}", deal.id),
        Value::Null,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 5);
    assert_eq!(
        activity_subjects(app, &deal.rep, &format!("deal_id={}", deal.id)).await,
        vec![
            "Generated Sales proposal (PDF)",
            "Generated Sales proposal (DOCX)",
            "Generated Sales proposal (HTML)",
            "Generated Sales proposal (EML)",
            "Generated Sales proposal (PDF)",
        ]
    );

    // Documents never change and never go.
    let path = format!("{DOCUMENTS}/{}", id_of(&kept[0].0));
    for method in [Method::PATCH, Method::DELETE, Method::PUT] {
        app.request_as(Some(&deal.rep), method, &path, Some(&json!({"version": 1})))
            .await
            .assert_error(405, "method_not_allowed", &[]);
    }
}
both_backends!(a_filled_deal_becomes_the_proposal_in_every_format_kept_exactly);

// ---- who may -------------------------------------------------------------------

async fn documents_are_generated_and_read_only_by_those_who_may(app: &mut TestApp) {
    let deal = filled_deal(app, "Brightwater Health").await;
    let document = generate(app, &deal.rep, &deal.id, "html").await.expect(201);
    let path = format!("{DOCUMENTS}/{}", id_of(&document));
    let (_, other_rep) = app.signed_in("rep").await;
    let (_, manager) = app.signed_in("manager").await;
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, legal) = app.signed_in("legal").await;

    // Another rep's deal: neither generated nor read.
    generate(app, &other_rep, &deal.id, "pdf")
        .await
        .assert_error(403, "forbidden", &[]);
    for p in [
        path.clone(),
        format!("{path}/content"),
        format!("{path}/verify"),
    ] {
        app.request_as(Some(&other_rep), Method::GET, &p, None)
            .await
            .assert_error(403, "forbidden", &[]);
    }
    let theirs = send(app, &other_rep, Method::GET, DOCUMENTS, Value::Null).await;
    assert_eq!(theirs["items"], json!([]));
    // Marketing previews only: drafts, which it reads back, and nothing
    // else; legal reads but does not generate.
    generate(app, &marketing, &deal.id, "pdf")
        .await
        .assert_error(403, "forbidden", &[]);
    app.request_as(Some(&marketing), Method::GET, &path, None)
        .await
        .assert_error(403, "forbidden", &[]);
    let preview = generate_draft(app, &marketing, &deal.id, "html")
        .await
        .expect(201);
    let preview_path = format!("{DOCUMENTS}/{}", id_of(&preview));
    assert_eq!(
        send(app, &marketing, Method::GET, &preview_path, Value::Null).await["draft"],
        true
    );
    let shown = app
        .download(&marketing, &format!("{preview_path}/content"))
        .await;
    assert_eq!(shown.status, 200);
    app.request_as(
        Some(&marketing),
        Method::POST,
        &format!("{preview_path}/send"),
        None,
    )
    .await
    .assert_error(403, "forbidden", &[]);
    app.request_as(Some(&marketing), Method::GET, DOCUMENTS, None)
        .await
        .assert_error(403, "forbidden", &[]);
    generate(app, &legal, &deal.id, "pdf")
        .await
        .assert_error(403, "forbidden", &[]);
    for reader in [&manager, &legal] {
        let read = send(app, reader, Method::GET, &path, Value::Null).await;
        assert_eq!(read["sha256"], document["sha256"]);
    }
    // A manager generates for any deal.
    generate(app, &manager, &deal.id, "pdf").await.expect(201);

    // The brochure for the account: as PDF, and not as an e-mail, which
    // needs a contact to go to.
    let account_id = send(
        app,
        &deal.rep,
        Method::GET,
        &format!("/api/v1/deals/{}", deal.id),
        Value::Null,
    )
    .await["account_id"]
        .clone();
    let brochure =
        |format: &str| json!({"template": "brochure", "account_id": account_id, "format": format});
    let made = send(app, &deal.rep, Method::POST, DOCUMENTS, brochure("pdf")).await;
    assert_eq!(
        (made["account_id"].clone(), made["deal_id"].clone()),
        (account_id.clone(), Value::Null)
    );
    app.request_as(
        Some(&deal.rep),
        Method::POST,
        DOCUMENTS,
        Some(&brochure("eml")),
    )
    .await
    .assert_error(422, "validation_failed", &["format"]);
}
both_backends!(documents_are_generated_and_read_only_by_those_who_may);

// ---- hostile values -----------------------------------------------------------------

async fn hostile_crm_values_print_as_typed_in_every_format(app: &mut TestApp) {
    let hostile = "**Evil** <script>alert(1)</script> [x](javascript:alert(1)) {{ 7*7 }}";
    let deal = filled_deal(app, hostile).await;
    for format in ["html", "pdf", "docx"] {
        let document = generate(app, &deal.rep, &deal.id, format).await.expect(201);
        let bytes = app
            .download(
                &deal.rep,
                &format!("{DOCUMENTS}/{}/content", id_of(&document)),
            )
            .await
            .bytes;
        if format == "html" {
            let html = String::from_utf8(bytes).expect("UTF-8");
            assert!(!html.contains("<script>alert"), "a script reached the HTML");
            assert!(!html.contains("href=\"javascript:"), "a javascript: link");
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            continue;
        }
        let text = document_text(format, &bytes);
        if let Some(text) = text {
            let flat: String = text.split_whitespace().collect();
            let typed: String =
                "**Evil** <script>alert(1)</script> [x](javascript:alert(1)) {{ 7*7 }}"
                    .split_whitespace()
                    .collect();
            assert!(
                flat.contains(&typed),
                "{format}: the name is not printed as typed:\n{text}"
            );
        }
    }
}
both_backends!(hostile_crm_values_print_as_typed_in_every_format);

// ---- drafts ---------------------------------------------------------------------------

async fn a_draft_is_made_for_a_deal_not_ready_marked_and_naming_its_blanks(app: &mut TestApp) {
    let (_, rep) = app.signed_in("rep").await;
    let account = send(
        app,
        &rep,
        Method::POST,
        "/api/v1/accounts",
        json!({"name": "Sparse Clinic", "industry": "Healthcare"}),
    )
    .await;
    let deal = send(
        app,
        &rep,
        Method::POST,
        "/api/v1/deals",
        json!({"name": "Early talks", "account_id": id_of(&account)}),
    )
    .await;
    let deal_id = id_of(&deal);
    generate(app, &rep, &deal_id, "pdf")
        .await
        .assert_error(422, "not_ready", &[]);

    for format in ["pdf", "docx", "html"] {
        let draft = generate_draft(app, &rep, &deal_id, format)
            .await
            .expect(201);
        assert_eq!(draft["draft"], true);
        assert_eq!(
            draft["file_name"],
            format!("Sales proposal - Early talks (DRAFT).{format}")
        );
        let bytes = app
            .download(&rep, &format!("{DOCUMENTS}/{}/content", id_of(&draft)))
            .await
            .bytes;
        if format == "html" {
            let html = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                html.contains("<div class=\"draft-mark\">DRAFT</div>"),
                "{html}"
            );
        }
        if let Some(text) = document_text(format, &bytes) {
            let text = squeeze(&text);
            for expected in [
                "DRAFT",
                "Sparse Clinic",
                "MISSING: deal.amount",
                "MISSING: rep.phone",
            ] {
                assert!(
                    text.contains(expected),
                    "{format}: `{expected}` is missing from:\n{text}"
                );
            }
        }
        // Made again from its record, a draft is the same bytes too.
        let verdict = send(
            app,
            &rep,
            Method::GET,
            &format!("{DOCUMENTS}/{}/verify", id_of(&draft)),
            Value::Null,
        )
        .await;
        assert_eq!(verdict["identical"], true, "{verdict}");
        // A draft never goes to a customer.
        app.request_as(
            Some(&rep),
            Method::POST,
            &format!("{DOCUMENTS}/{}/send", id_of(&draft)),
            None,
        )
        .await
        .assert_error(409, "conflict", &[]);
    }
    // Drafts are kept and listed as drafts, but are not logged on the deal.
    let drafts = send(
        app,
        &rep,
        Method::GET,
        &format!("{DOCUMENTS}?deal_id={deal_id}&draft=true"),
        Value::Null,
    )
    .await;
    assert_eq!(drafts["items"].as_array().unwrap().len(), 3);
    assert!(
        activity_subjects(app, &rep, &format!("deal_id={deal_id}"))
            .await
            .is_empty()
    );
}
both_backends!(a_draft_is_made_for_a_deal_not_ready_marked_and_naming_its_blanks);

// ---- sending ---------------------------------------------------------------------------

async fn set_mail_server(app: &TestApp, smtp: Value) -> common::Res {
    let settings = app.fetch("/api/v1/settings").await;
    app.patch_json(
        "/api/v1/settings",
        &json!({"smtp": smtp, "version": settings["version"]}),
    )
    .await
}

fn parse(message: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(message)
        .expect("the message parses")
}

async fn documents_are_sent_to_the_contact_through_the_mail_server(app: &mut TestApp) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let deal = filled_deal(app, "Brightwater Health").await;
    let pdf = generate(app, &deal.rep, &deal.id, "pdf").await.expect(201);
    let eml = generate(app, &deal.rep, &deal.id, "eml").await.expect(201);
    let send_path = |document: &Value| format!("{DOCUMENTS}/{}/send", id_of(document));
    let post = |token: &str, path: String| {
        let token = token.to_owned();
        let app = &*app;
        async move {
            app.request_as(Some(&token), Method::POST, &path, None)
                .await
        }
    };

    // Not set up yet: nothing is sent, and the caller is told what to set.
    let res = post(&deal.rep, send_path(&pdf)).await;
    res.assert_error(409, "conflict", &[]);
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("smtp.host"),
        "{}",
        res.body
    );
    // The mail server's settings are checked.
    set_mail_server(
        app,
        json!({"host": "smtp://mail.example", "port": 0, "from_email": "nobody"}),
    )
    .await
    .assert_error(
        422,
        "validation_failed",
        &["smtp.host", "smtp.port", "smtp.from_email"],
    );
    set_mail_server(
        app,
        json!({"host": "127.0.0.1", "port": sink.port, "security": "none",
               "from_email": "proposals@northwind.example", "from_name": "Northwind Systems"}),
    )
    .await
    .expect(200);

    // Another rep may not send this rep's document.
    let (_, other_rep) = app.signed_in("rep").await;
    post(&other_rep, send_path(&pdf))
        .await
        .assert_error(403, "forbidden", &[]);

    // The PDF goes attached to a short message from the workspace, with the
    // rep to reply to.
    let sent = post(&deal.rep, send_path(&pdf)).await.expect(201);
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["to_email"], "ada@brightwater.example");
    assert_eq!(sent["to_name"], "Ada Lindqvist");
    assert!(sent["reply"].as_str().unwrap().starts_with("250"), "{sent}");
    let messages = sink.wait_for(1);
    let raw = &messages[0];
    assert_eq!(
        header(raw, "X-RcptTo").as_deref(),
        Some("ada@brightwater.example")
    );
    assert_eq!(
        header(raw, "X-MailFrom").as_deref(),
        Some("proposals@northwind.example")
    );
    let message = parse(raw);
    let from = message.from().and_then(|a| a.first()).expect("a sender");
    assert_eq!(from.address(), Some("proposals@northwind.example"));
    let reply_to = message
        .reply_to()
        .and_then(|a| a.first())
        .expect("Reply-To");
    assert_eq!(reply_to.name(), Some(deal.rep_name.as_str()));
    assert_eq!(
        message.subject(),
        Some("Sales proposal - Supply visibility")
    );
    assert!(
        message
            .body_text(0)
            .expect("a text part")
            .contains("Dear Ada,")
    );
    let attachment = message.attachment(0).expect("the PDF attached");
    assert_eq!(
        attachment.attachment_name(),
        Some("Sales proposal - Supply visibility.pdf")
    );
    let stored = app
        .download(&deal.rep, &format!("{DOCUMENTS}/{}/content", id_of(&pdf)))
        .await
        .bytes;
    assert_eq!(attachment.contents(), stored.as_slice());
    if let Some(text) = pdf_text(attachment.contents()) {
        check_proposal_text("the sent PDF", &text, &deal.rep_name);
    }

    // An e-mail document is the message itself.
    post(&deal.rep, send_path(&eml)).await.expect(201);
    let messages = sink.wait_for(2);
    let message = parse(&messages[1]);
    assert_eq!(message.subject(), Some("Proposal for Brightwater Health"));
    assert_eq!(
        message.attachment(0).and_then(|a| a.attachment_name()),
        Some("Proposal for Brightwater Health.pdf")
    );

    // A server that refuses the connection: the document stays unsent,
    // the caller hears why, and the attempt is kept.
    set_mail_server(app, json!({"port": closed_port()}))
        .await
        .expect(200);
    let html = generate(app, &deal.rep, &deal.id, "html").await.expect(201);
    let res = post(&deal.rep, send_path(&html)).await;
    res.assert_error(502, "send_failed", &[]);
    let message = res.body["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("did not take the message") && message.contains("refused"),
        "{message}"
    );
    // So does one that will not secure the connection when told to.
    set_mail_server(app, json!({"port": sink.port, "security": "starttls"}))
        .await
        .expect(200);
    post(&deal.rep, send_path(&html))
        .await
        .assert_error(502, "send_failed", &[]);
    assert_eq!(sink.messages().len(), 2, "nothing more arrived");

    let attempts = |document: &Value| {
        let path = format!("{DOCUMENTS}/{}/sendings", id_of(document));
        let rep = deal.rep.clone();
        let app = &*app;
        async move {
            send(app, &rep, Method::GET, &path, Value::Null).await["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["status"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(attempts(&pdf).await, vec!["sent"]);
    assert_eq!(attempts(&html).await, vec!["failed", "failed"]);

    // Each accepted sending is logged on the deal; the refused ones are not.
    assert_eq!(
        activity_subjects(app, &deal.rep, &format!("deal_id={}&kind=email", deal.id)).await,
        vec![
            "Sent Sales proposal - Supply visibility.pdf to Ada Lindqvist <ada@brightwater.example>",
            "Sent Sales proposal - Supply visibility.eml to Ada Lindqvist <ada@brightwater.example>",
        ]
    );
}
both_backends!(documents_are_sent_to_the_contact_through_the_mail_server);
