//! Quotes over HTTP on both databases: priced from a price book with
//! every figure in the answer (the same as a preview), refused whole on
//! bad input, and the way to the customer: over the threshold → submit →
//! a manager approves (never the owner, never a rep) → send, which freezes
//! the revision; a change voids an approval; an expired revision is not
//! sent; a duplicate starts the next revision without the approval.

mod common;
mod tools;

use common::{TestApp, both_backends, id_of};
use reqwest::Method;
use serde_json::{Value, json};

const QUOTES: &str = "/api/v1/quotes";

struct Setup {
    rep: String,
    rep_id: String,
    deal: String,
    book: String,
    platform: String,
    day: String,
}

/// A rep's deal, and a EUR book pricing a platform (tiered) and a
/// consulting day.
async fn setup(app: &TestApp) -> Setup {
    let (rep_id, rep) = app.signed_in("rep").await;
    let catalog = common::eur_book(app).await;
    let account = app
        .request_as(
            Some(&rep),
            Method::POST,
            "/api/v1/accounts",
            Some(&json!({"name": "Brightwater Health"})),
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
    Setup {
        rep,
        rep_id,
        deal: id_of(&deal),
        book: catalog.book,
        platform: catalog.platform,
        day: catalog.day,
    }
}

fn body(s: &Setup, lines: Value, discount: &str) -> Value {
    json!({"deal_id": s.deal, "price_book_id": s.book, "currency": "EUR", "lines": lines,
           "discount_percent": discount, "valid_until": "2099-12-31",
           "payment_terms": "30 days net", "notes": "Prices exclude travel."})
}

async fn post(app: &TestApp, token: &str, path: &str, body: Option<&Value>) -> common::Res {
    app.request_as(Some(token), Method::POST, path, body).await
}

async fn a_quote_is_priced_exactly_and_a_preview_agrees(app: &mut TestApp) {
    let s = setup(app).await;
    let lines = json!([
        {"product_id": s.platform, "quantity": "60", "tax_rate": "19", "group": "Software"},
        {"product_id": s.day, "quantity": "3", "discount_percent": "10", "tax_rate": "19",
         "group": "Services"},
    ]);
    let quote = post(app, &s.rep, QUOTES, Some(&body(&s, lines.clone(), "5")))
        .await
        .expect(201);
    // 60 seats at the tier price 80.00 (list 100.00): 4800.00, list 6000.00.
    // 3 days at 1200.00 less 10%: 3240.00 (discount 360.00), list 3600.00.
    // Subtotal 8040.00; 5% quote discount 402.00, shared 240.00 / 162.00.
    // VAT 19% on 7638.00: 1451.22; total 9089.22.
    // Against list 9600.00 the customer saves 1962.00: 20.44%.
    assert_eq!(quote["status"], "draft");
    assert_eq!(quote["revision"], 1);
    assert_eq!(quote["currency"], "EUR");
    assert_eq!(quote["owner_id"], s.rep_id.as_str());
    let line = |i: usize, field: &str| quote["lines"][i][field].clone();
    assert_eq!(line(0, "sku"), "PLAT");
    assert_eq!(line(0, "description"), "Analytics platform");
    assert_eq!(line(0, "unit_price"), "80.00");
    assert_eq!(line(0, "list_price"), "100.00");
    assert_eq!(line(0, "net"), "4800.00");
    assert_eq!(line(0, "quote_discount"), "240.00");
    assert_eq!(line(1, "gross"), "3600.00");
    assert_eq!(line(1, "discount"), "360.00");
    assert_eq!(line(1, "net"), "3240.00");
    assert_eq!(line(1, "quote_discount"), "162.00");
    assert_eq!(
        quote["groups"],
        json!([{"name": "Software", "net": "4800.00"}, {"name": "Services", "net": "3240.00"}])
    );
    assert_eq!(
        quote["totals"],
        json!({"list_total": "9600.00", "subtotal": "8040.00", "quote_discount": "402.00",
               "net_total": "7638.00", "discount_total": "1962.00",
               "taxes": [{"rate": "19", "base": "7638.00", "amount": "1451.22"}],
               "tax_total": "1451.22", "total": "9089.22", "effective_discount_percent": "20.44"})
    );
    // The rep's threshold is 10%: this one needs approval.
    assert_eq!(quote["approval_threshold"], "10");
    assert_eq!(quote["needs_approval"], true);
    assert_eq!(
        app.fetch(&format!("{QUOTES}/{}", id_of(&quote))).await["totals"],
        quote["totals"]
    );

    // A preview of the same prices the same, and stores nothing.
    let mut unsaved = body(&s, lines, "5");
    unsaved.as_object_mut().unwrap().remove("deal_id");
    let preview = post(app, &s.rep, &format!("{QUOTES}/preview"), Some(&unsaved))
        .await
        .expect(200);
    assert_eq!(preview["totals"], quote["totals"]);
    assert_eq!(preview["lines"], quote["lines"]);
    assert_eq!(app.list_all(QUOTES).await.len(), 1);
}
both_backends!(a_quote_is_priced_exactly_and_a_preview_agrees);

async fn bad_quotes_are_refused_whole_naming_the_field(app: &mut TestApp) {
    let s = setup(app).await;
    let usd = app
        .create(
            "/api/v1/price-books",
            json!({"name": "Americas", "currency": "USD"}),
        )
        .await;
    let line = |extra: Value| {
        let mut l = json!({"product_id": s.platform, "quantity": "1"});
        l.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!([l])
    };
    for (quote, field) in [
        (
            body(&s, line(json!({"quantity": "-1"})), "0"),
            "lines[0].quantity",
        ),
        (
            body(&s, line(json!({"quantity": "0"})), "0"),
            "lines[0].quantity",
        ),
        (
            body(&s, line(json!({"discount_percent": "100.5"})), "0"),
            "lines[0].discount_percent",
        ),
        (body(&s, line(json!({})), "101"), "discount_percent"),
        (
            body(&s, line(json!({"tax_rate": "-7"})), "0"),
            "lines[0].tax_rate",
        ),
        (
            body(&s, line(json!({"product_id": common::new_id()})), "0"),
            "lines[0].product_id",
        ),
        (
            body(&s, line(json!({"unit_price": "1.00"})), "0"),
            "lines[0].unit_price",
        ),
        (
            body(
                &s,
                json!([{"description": "Travel", "quantity": "1", "unit_price": "500"}]),
                "0",
            ),
            "lines[0].product_id",
        ),
        (
            {
                let mut q = body(&s, line(json!({})), "0");
                q["currency"] = json!("XYZ");
                q
            },
            "currency",
        ),
        (
            {
                let mut q = body(&s, line(json!({})), "0");
                q["price_book_id"] = json!(id_of(&usd));
                q
            },
            "price_book_id",
        ),
        (
            {
                let mut q = body(&s, line(json!({})), "0");
                q["price_book_id"] = json!(common::new_id());
                q
            },
            "price_book_id",
        ),
    ] {
        post(app, &s.rep, QUOTES, Some(&quote)).await.assert_error(
            422,
            "validation_failed",
            &[field],
        );
    }
    assert_eq!(app.list_all(QUOTES).await.len(), 0, "nothing was stored");

    // A manager may write a custom line; a rep may not quote another's deal.
    let (_, manager) = app.signed_in("manager").await;
    let custom = post(
        app,
        &manager,
        QUOTES,
        Some(&body(
            &s,
            json!([{"description": "Travel", "quantity": "2", "unit_price": "450.50", "tax_rate": "19"}]),
            "0",
        )),
    )
    .await
    .expect(201);
    assert_eq!(custom["lines"][0]["net"], "901.00");
    assert_eq!(
        custom["owner_id"],
        s.rep_id.as_str(),
        "the deal's owner owns it"
    );
    let (_, other_rep) = app.signed_in("rep").await;
    let (_, marketing) = app.signed_in("marketing").await;
    let (_, legal) = app.signed_in("legal").await;
    for outsider in [&other_rep, &marketing, &legal] {
        post(app, outsider, QUOTES, Some(&body(&s, line(json!({})), "0")))
            .await
            .assert_error(403, "forbidden", &[]);
    }
    for path in [
        format!("{QUOTES}/preview"),
        format!("{QUOTES}/{}/submit", id_of(&custom)),
    ] {
        post(
            app,
            &marketing,
            &path,
            Some(&body(&s, line(json!({})), "0")),
        )
        .await
        .assert_error(403, "forbidden", &[]);
    }
}
both_backends!(bad_quotes_are_refused_whole_naming_the_field);

async fn approval_cannot_be_bypassed_and_a_sent_revision_is_frozen(app: &mut TestApp) {
    let s = setup(app).await;
    let (_, manager) = app.signed_in("manager").await;
    let over = body(
        &s,
        json!([{"product_id": s.day, "quantity": "2", "discount_percent": "15"}]),
        "0",
    );
    let quote = post(app, &s.rep, QUOTES, Some(&over)).await.expect(201);
    let path = format!("{QUOTES}/{}", id_of(&quote));
    assert_eq!(quote["totals"]["effective_discount_percent"], "15.00");
    assert_eq!(quote["needs_approval"], true);

    // Over the threshold: not sent before approval.
    post(app, &s.rep, &format!("{path}/send"), None)
        .await
        .assert_error(409, "conflict", &[]);
    let submitted = post(app, &s.rep, &format!("{path}/submit"), None)
        .await
        .expect(200);
    assert_eq!(submitted["status"], "pending_approval");
    assert_eq!(submitted["approval"]["submitted_by"], s.rep_id.as_str());
    // A rep never approves; a reject needs a comment.
    post(app, &s.rep, &format!("{path}/approve"), Some(&json!({})))
        .await
        .assert_error(403, "forbidden", &[]);
    post(app, &manager, &format!("{path}/reject"), Some(&json!({})))
        .await
        .assert_error(422, "validation_failed", &["comment"]);
    let approved = post(
        app,
        &manager,
        &format!("{path}/approve"),
        Some(&json!({"comment": "Strategic account"})),
    )
    .await
    .expect(200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approval"]["comment"], "Strategic account");

    // Any change voids the approval.
    let changed = app
        .request_as(
            Some(&s.rep),
            Method::PATCH,
            &path,
            Some(&json!({"notes": "Now with more", "version": approved["version"]})),
        )
        .await
        .expect(200);
    assert_eq!(changed["status"], "draft");
    assert_eq!(changed["approval"], Value::Null);
    post(app, &s.rep, &format!("{path}/send"), None)
        .await
        .assert_error(409, "conflict", &[]);

    // Approved again, it is sent, and from then on never changes.
    post(app, &s.rep, &format!("{path}/submit"), None)
        .await
        .expect(200);
    post(app, &manager, &format!("{path}/approve"), Some(&json!({})))
        .await
        .expect(200);
    let sent = post(app, &s.rep, &format!("{path}/send"), None)
        .await
        .expect(200);
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["sent_by"], s.rep_id.as_str());
    app.request_as(
        Some(&s.rep),
        Method::PATCH,
        &path,
        Some(&json!({"notes": "sneaky", "version": sent["version"]})),
    )
    .await
    .assert_error(409, "conflict", &[]);
    app.request_as(Some(&s.rep), Method::DELETE, &path, None)
        .await
        .assert_error(409, "conflict", &[]);

    // The next revision starts as a draft without the approval.
    let next = post(app, &s.rep, &format!("{path}/duplicate"), None)
        .await
        .expect(201);
    assert_eq!(next["revision"], 2);
    assert_eq!(next["chain_id"], quote["id"]);
    assert_eq!(next["status"], "draft");
    assert_eq!(next["approval"], Value::Null);
    assert_eq!(next["totals"], sent["totals"]);
    post(
        app,
        &s.rep,
        &format!("{QUOTES}/{}/send", id_of(&next)),
        None,
    )
    .await
    .assert_error(409, "conflict", &[]);

    // A quote within the threshold goes without approval, unless expired.
    let mut within = body(&s, json!([{"product_id": s.day, "quantity": "1"}]), "5");
    within["valid_until"] = json!("2020-01-31");
    let expired = post(app, &s.rep, QUOTES, Some(&within)).await.expect(201);
    assert_eq!(expired["needs_approval"], false);
    let res = post(
        app,
        &s.rep,
        &format!("{QUOTES}/{}/submit", id_of(&expired)),
        None,
    )
    .await;
    res.assert_error(409, "conflict", &[]);
    let res = post(
        app,
        &s.rep,
        &format!("{QUOTES}/{}/send", id_of(&expired)),
        None,
    )
    .await;
    res.assert_error(409, "conflict", &[]);
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-31"),
        "{}",
        res.body
    );
    // The server marks it `expired` when it starts (and every hour); the
    // rep may still change a quote that was never sent, which makes it a
    // draft again.
    app.restart().await;
    let expired_path = format!("{QUOTES}/{}", id_of(&expired));
    let marked = app.fetch(&expired_path).await;
    assert_eq!(marked["status"], "expired");
    let listed = app
        .fetch(&format!("{QUOTES}?status=expired&deal_id={}", s.deal))
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let renewed = app
        .request_as(
            Some(&s.rep),
            Method::PATCH,
            &expired_path,
            Some(&json!({"valid_until": "2099-06-30", "version": marked["version"]})),
        )
        .await
        .expect(200);
    assert_eq!(renewed["status"], "draft");
    within["valid_until"] = json!("2099-01-31");
    let fine = post(app, &s.rep, QUOTES, Some(&within)).await.expect(201);
    post(
        app,
        &s.rep,
        &format!("{QUOTES}/{}/send", id_of(&fine)),
        None,
    )
    .await
    .expect(200);

    // Nobody approves their own quote: a manager's goes to another
    // manager or an admin.
    let account_id = app.fetch(&format!("/api/v1/deals/{}", s.deal)).await["account_id"].clone();
    let own_deal = app
        .request_as(
            Some(&manager),
            Method::POST,
            "/api/v1/deals",
            Some(&json!({"name": "Manager's own", "account_id": account_id})),
        )
        .await
        .expect(201);
    let mut theirs = body(
        &s,
        json!([{"product_id": s.day, "quantity": "1", "discount_percent": "30"}]),
        "0",
    );
    theirs["deal_id"] = own_deal["id"].clone();
    let theirs = post(app, &manager, QUOTES, Some(&theirs)).await.expect(201);
    assert_eq!(theirs["approval_threshold"], "20");
    let theirs_path = format!("{QUOTES}/{}", id_of(&theirs));
    post(app, &manager, &format!("{theirs_path}/submit"), None)
        .await
        .expect(200);
    post(
        app,
        &manager,
        &format!("{theirs_path}/approve"),
        Some(&json!({})),
    )
    .await
    .assert_error(403, "forbidden", &[]);
    let (_, admin) = app.signed_in("admin").await;
    post(
        app,
        &admin,
        &format!("{theirs_path}/approve"),
        Some(&json!({})),
    )
    .await
    .expect(200);
}
both_backends!(approval_cannot_be_bypassed_and_a_sent_revision_is_frozen);

// ---- documents from quotes ---------------------------------------------------

async fn a_quote_document_prints_exactly_the_figures_of_the_api(app: &mut TestApp) {
    let s = setup(app).await;
    let settings = app.fetch("/api/v1/settings").await;
    app.patch_json(
        "/api/v1/settings",
        &json!({"company": {"name": "Northwind Systems"}, "version": settings["version"]}),
    )
    .await
    .expect(200);
    let lines = json!([
        {"product_id": s.platform, "quantity": "60", "tax_rate": "19", "group": "Software"},
        {"product_id": s.day, "quantity": "3", "discount_percent": "10", "tax_rate": "19",
         "group": "Services"},
    ]);
    let quote = post(app, &s.rep, QUOTES, Some(&body(&s, lines, "5")))
        .await
        .expect(201);
    let path = format!("{QUOTES}/{}", id_of(&quote));
    let generate = |format: &str, template: &str, draft: bool| {
        json!({"template": template, "deal_id": s.deal, "quote_id": id_of(&quote),
               "format": format, "draft": draft})
    };
    const DOCUMENTS: &str = "/api/v1/documents";

    // Over the threshold and not approved: only a draft.
    post(
        app,
        &s.rep,
        DOCUMENTS,
        Some(&generate("pdf", "quote", false)),
    )
    .await
    .assert_error(409, "conflict", &[]);
    post(
        app,
        &s.rep,
        DOCUMENTS,
        Some(&generate("pdf", "quote", true)),
    )
    .await
    .expect(201);
    // The quote template needs a quote, of the deal it is generated for.
    let mut without = generate("pdf", "quote", false);
    without.as_object_mut().unwrap().remove("quote_id");
    post(app, &s.rep, DOCUMENTS, Some(&without))
        .await
        .assert_error(422, "validation_failed", &["quote_id"]);

    post(app, &s.rep, &format!("{path}/submit"), None)
        .await
        .expect(200);
    let (_, manager) = app.signed_in("manager").await;
    post(app, &manager, &format!("{path}/approve"), Some(&json!({})))
        .await
        .expect(200);
    let totals = &quote["totals"];
    let money = |field: &str| {
        let amount: f64 = totals[field].as_str().unwrap().parse().unwrap();
        let whole = amount.trunc() as i64;
        let cents = ((amount - amount.trunc()) * 100.0).round() as i64;
        let grouped = whole
            .to_string()
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(",");
        format!("€{grouped}.{cents:02}")
    };
    for format in ["pdf", "docx", "html"] {
        let document = post(
            app,
            &s.rep,
            DOCUMENTS,
            Some(&generate(format, "quote", false)),
        )
        .await
        .expect(201);
        assert_eq!(document["quote_id"], quote["id"]);
        assert_eq!(document["quote_revision"], 1);
        let bytes = app
            .download(&s.rep, &format!("{DOCUMENTS}/{}/content", id_of(&document)))
            .await
            .bytes;
        let Some(text) = tools::document_text(format, &bytes) else {
            continue;
        };
        let text = tools::squeeze(&text);
        for figure in [
            "subtotal",
            "quote_discount",
            "net_total",
            "tax_total",
            "total",
        ] {
            let printed = money(figure);
            assert!(
                text.contains(&printed),
                "{format}: {figure} {printed} is not printed:\n{text}"
            );
        }
        for expected in [
            "€4,800.00",
            "€3,240.00",
            "Subtotal Software",
            "Analytics platform (PLAT)",
            "30 days net",
            "Tax 19% on €7,638.00",
        ] {
            assert!(
                text.contains(expected),
                "{format}: `{expected}` is missing:\n{text}"
            );
        }
    }

    // The proposal prints the quote too.
    let proposal = post(
        app,
        &s.rep,
        DOCUMENTS,
        Some(&generate("html", "proposal", true)),
    )
    .await
    .expect(201);
    let html = app
        .download(&s.rep, &format!("{DOCUMENTS}/{}/content", id_of(&proposal)))
        .await
        .bytes;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("€9,089.22"), "{html}");

    // Changed after approval, the quote reaches no customer until approved again.
    let version = app.fetch(&path).await["version"].clone();
    app.request_as(
        Some(&s.rep),
        Method::PATCH,
        &path,
        Some(&json!({"discount_percent": "6", "version": version})),
    )
    .await
    .expect(200);
    post(
        app,
        &s.rep,
        DOCUMENTS,
        Some(&generate("pdf", "quote", false)),
    )
    .await
    .assert_error(409, "conflict", &[]);

    // An expired revision makes no customer document, however small its
    // discount; nor does a quote of another deal.
    let mut old = body(&s, json!([{"product_id": s.day, "quantity": "1"}]), "0");
    old["valid_until"] = json!("2021-06-30");
    let old = post(app, &s.rep, QUOTES, Some(&old)).await.expect(201);
    let mut request = generate("pdf", "quote", false);
    request["quote_id"] = old["id"].clone();
    let res = post(app, &s.rep, DOCUMENTS, Some(&request)).await;
    res.assert_error(409, "conflict", &[]);
    assert!(res.text.contains("expired on 2021-06-30"), "{}", res.text);
    let account_id = app.fetch(&format!("/api/v1/deals/{}", s.deal)).await["account_id"].clone();
    let other_deal = app
        .request_as(
            Some(&s.rep),
            Method::POST,
            "/api/v1/deals",
            Some(&json!({"name": "Another", "account_id": account_id})),
        )
        .await
        .expect(201);
    request["deal_id"] = other_deal["id"].clone();
    post(app, &s.rep, DOCUMENTS, Some(&request))
        .await
        .assert_error(422, "validation_failed", &["quote_id"]);
}
both_backends!(a_quote_document_prints_exactly_the_figures_of_the_api);
