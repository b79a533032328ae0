//! The web app in a real headless Chromium, as a rep uses it: sign in,
//! open the deal, fill what the proposal misses right on the deal page,
//! press the big button and get the PDF, on a desktop and on a 390-pixel
//! phone; a ready deal is three clicks from the sign-in to the proposal;
//! the quote builder's live totals are the API's. The pages are
//! photographed for the README (`docs/screenshots/`).

#[path = "tools/browser.rs"]
mod browser;
// One browser at a time is enough: these run on SQLite only, so the
// helpers for both databases stay unused here.
#[allow(unused_macros, unused_imports)]
mod common;
mod tools;

use browser::{Browser, screenshot_path as screenshot};
use common::{Backend, TestApp, id_of};
use reqwest::Method;
use serde_json::{Value, json};

/// A rep (email, password, token) with a deal on a German account whose
/// primary contact has no phone.
struct Rep {
    email: String,
    password: String,
    token: String,
    deal: String,
    contact: String,
}

async fn rep_with_deal(app: &TestApp) -> Rep {
    let (_, email, password) = app.new_user("rep").await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let post = |path: &'static str, body: Value| {
        let token = token.clone();
        async move {
            app.request_as(Some(&token), Method::POST, path, Some(&body))
                .await
                .expect(201)
        }
    };
    let account = post(
        "/api/v1/accounts",
        json!({"name": "Hafen Logistik GmbH", "country": "DE", "industry": "Logistics",
               "employee_count": 420}),
    )
    .await;
    let contact = post(
        "/api/v1/contacts",
        json!({"first_name": "Jana", "last_name": "Krüger", "title": "COO",
               "email": "jana.krueger@hafen.example", "account_id": id_of(&account)}),
    )
    .await;
    let deal = post(
        "/api/v1/deals",
        json!({"name": "Yard visibility", "account_id": id_of(&account),
               "primary_contact_id": id_of(&contact), "amount": "36000.00", "currency": "EUR",
               "stage": "proposal", "expected_close_date": "2027-02-26"}),
    )
    .await;
    Rep {
        email,
        password,
        token,
        deal: id_of(&deal),
        contact: id_of(&contact),
    }
}

/// A proposal that prints the contact's phone and the deal's `goal`
/// answer, published by marketing.
async fn site_visit_template(app: &TestApp) {
    app.create(
        "/api/v1/profile-questions",
        json!({"key": "goal", "label": "What do they want to achieve?", "kind": "text",
               "applies_to": "deal"}),
    )
    .await;
    let (_, marketing) = app.signed_in("marketing").await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/templates",
            json!({"key": "site-visit", "kind": "proposal", "name": "Site visit proposal",
                   "formats": ["pdf", "docx", "html"],
                   "draft": "---\ntitle: Site visit for {{ account.name }}\n---\n# Site visit for {{ account.name }}\n\nPrepared for {{ contact.name }}, reachable on {{ contact.phone }}.\n\nYour goal: {{ deal.answers.goal }}.\n\nInvestment: {{ money(amount=deal.amount, currency=deal.currency) }}.\n"}),
        ),
        (
            Method::POST,
            "/api/v1/templates/site-visit/publish",
            json!({}),
        ),
    ] {
        app.request_as(Some(&marketing), method, path, Some(&body))
            .await
            .expect_success();
    }
}

async fn sign_in(browser: &mut Browser, app: &TestApp, rep: &Rep) {
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &rep.email).await;
    browser.fill("#password", &rep.password).await;
    browser.click("#sign-in").await;
    browser.wait_text("h1", |t| t.starts_with("My deals")).await;
}

/// Sign in, open the deal, choose the site-visit proposal, fill the phone
/// and the goal in place, generate: the PDF holds both.
async fn fill_in_place_and_download(width: u32, height: u32, device: &str) {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let rep = rep_with_deal(&app).await;
    site_visit_template(&app).await;
    let Some(mut browser) = Browser::start(width, height).await else {
        return;
    };
    assert_eq!(browser.inner_width().await, u64::from(width));
    browser.goto(&app.url("/login")).await;
    browser
        .screenshot(&screenshot(&format!("login-{device}")))
        .await;
    sign_in(&mut browser, &app, &rep).await;
    assert!(
        !browser.scrolls_sideways().await,
        "My deals scrolls sideways at {width} px"
    );
    browser
        .screenshot(&screenshot(&format!("deals-{device}")))
        .await;
    browser
        .click(&format!("a.deal-link[href=\"/deals/{}\"]", rep.deal))
        .await;
    browser.wait_text("h1", |t| t == "Yard visibility").await;
    browser.fill("#template", "site-visit").await;
    browser
        .wait_text("#readiness", |t| t.contains("to fill before it can go out"))
        .await;
    assert!(
        !browser.scrolls_sideways().await,
        "the deal page scrolls sideways at {width} px"
    );
    browser
        .screenshot(&screenshot(&format!("deal-{device}")))
        .await;

    browser
        .fill(
            "form[data-fill=\"phone\"] input[name=\"value\"]",
            "+49 40 555 0199",
        )
        .await;
    browser.click("form[data-fill=\"phone\"] button").await;
    browser
        .wait_text("#readiness", |t| !t.contains("Phone"))
        .await;
    browser
        .fill(
            "form[data-fill=\"answers.goal\"] input[name=\"value\"]",
            "Halve the yard's waiting times",
        )
        .await;
    browser
        .click("form[data-fill=\"answers.goal\"] button")
        .await;
    browser
        .wait_text("#readiness", |t| t.contains("Ready"))
        .await;
    browser.click("#generate").await;
    let (name, bytes) = browser.download().await;
    assert_eq!(name, "Site visit proposal - Yard visibility.pdf");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    if let Some(text) = tools::pdf_text(&bytes) {
        let text = tools::squeeze(&text);
        assert!(text.contains("reachable on +49 40 555 0199"), "{text}");
        assert!(
            text.contains("Your goal: Halve the yard's waiting times."),
            "{text}"
        );
        assert!(text.contains("€36,000.00"), "{text}");
    }
    // The values live in the CRM now, and the document is kept.
    let contact = app
        .fetch(&format!("/api/v1/contacts/{}", rep.contact))
        .await;
    assert_eq!(contact["phone"], "+49 40 555 0199");
    let documents = app
        .fetch(&format!("/api/v1/documents?deal_id={}", rep.deal))
        .await;
    assert_eq!(documents["items"].as_array().map(Vec::len), Some(1));
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_fills_the_blanks_in_place_and_downloads_the_proposal_on_a_desktop() {
    fill_in_place_and_download(1280, 900, "desktop").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_fills_the_blanks_in_place_and_downloads_the_proposal_on_a_phone() {
    fill_in_place_and_download(390, 844, "phone").await;
}

/// Fills everything the built-in proposal prints for `rep`'s deal: the
/// rep's phone and title, the seller's company, the account's compliance
/// answer.
async fn ready_for_the_proposal(app: &TestApp, rep: &Rep) {
    let me = app
        .request_as(Some(&rep.token), Method::GET, "/api/v1/me", None)
        .await
        .expect(200);
    app.request_as(
        Some(&rep.token),
        Method::PATCH,
        "/api/v1/me",
        Some(&json!({"phone": "+49 40 555 0100", "title": "Account Executive", "version": me["version"]})),
    )
    .await
    .expect(200);
    common::seller_company(app).await;
    app.create(
        "/api/v1/profile-questions",
        json!({"key": "compliance", "label": "Compliance requirements", "kind": "multi",
               "options": ["ISO 27001", "GDPR"], "applies_to": "account"}),
    )
    .await;
    let deal = app.fetch(&format!("/api/v1/deals/{}", rep.deal)).await;
    app.request_as(
        Some(&rep.token),
        Method::PUT,
        &format!(
            "/api/v1/accounts/{}/answers",
            deal["account_id"].as_str().expect("an account")
        ),
        Some(&json!({"compliance": ["GDPR"]})),
    )
    .await
    .expect(200);
    let ready = app
        .request_as(
            Some(&rep.token),
            Method::GET,
            &format!("/api/v1/deals/{}/readiness?template=proposal", rep.deal),
            None,
        )
        .await
        .expect(200);
    assert_eq!(ready["ready"], true, "{ready}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_deal_is_three_clicks_from_the_sign_in_to_the_proposal() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let rep = rep_with_deal(&app).await;
    ready_for_the_proposal(&app, &rep).await;
    let Some(mut browser) = Browser::start(1280, 900).await else {
        return;
    };
    sign_in(&mut browser, &app, &rep).await;
    browser
        .click(&format!("a.deal-link[href=\"/deals/{}\"]", rep.deal))
        .await;
    browser
        .wait_text("#readiness", |t| t.contains("Ready"))
        .await;
    browser.click("#generate").await;
    let (name, bytes) = browser.download().await;
    assert_eq!(name, "Sales proposal - Yard visibility.pdf");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    assert_eq!(browser.clicks(), 3, "sign in, open the deal, generate");
    browser.close().await;
    app.stop().await;
}

/// The builder's totals, read from the page (`data-value`: the API's
/// decimal strings, before formatting).
async fn shown_totals(browser: &Browser) -> Vec<String> {
    let mut shown = Vec::new();
    for key in [
        "list_total",
        "subtotal",
        "quote_discount",
        "net_total",
        "tax_total",
        "total",
        "effective_discount_percent",
    ] {
        shown.push(browser.attribute(&format!("#{key}"), "data-value").await);
    }
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quote_builder_totals_are_the_apis_and_an_over_threshold_quote_goes_for_approval() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let rep = rep_with_deal(&app).await;
    let catalog = common::eur_book(&app).await;
    let Some(mut browser) = Browser::start(1280, 900).await else {
        return;
    };
    sign_in(&mut browser, &app, &rep).await;
    browser
        .goto(&app.url(&format!("/deals/{}/quote", rep.deal)))
        .await;
    browser.wait_text("#status", |t| t == "New quote").await;
    browser
        .wait_attribute("#builder", "data-ready", "true")
        .await;
    browser.fill("#quantity-1", "60").await;
    browser.click("#add-line").await;
    browser.fill("#product-2", "Consulting day (DAY)").await;
    browser.fill("#quantity-2", "3").await;
    browser.fill("#line-discount-2", "10").await;
    browser.fill("#discount", "5").await;
    let body = json!({"deal_id": rep.deal, "price_book_id": catalog.book, "currency": "EUR",
        "lines": [
            {"product_id": catalog.platform, "quantity": "60", "discount_percent": "0", "tax_rate": "19"},
            {"product_id": catalog.day, "quantity": "3", "discount_percent": "10", "tax_rate": "19"}],
        "discount_percent": "5"});
    let figures = app
        .request_as(
            Some(&rep.token),
            Method::POST,
            "/api/v1/quotes/preview",
            Some(&body),
        )
        .await
        .expect(200);
    let t = &figures["totals"];
    let expected: Vec<String> = [
        "list_total",
        "subtotal",
        "quote_discount",
        "net_total",
        "tax_total",
        "total",
        "effective_discount_percent",
    ]
    .iter()
    .map(|k| t[*k].as_str().expect("a decimal").to_owned())
    .collect();
    assert_eq!(expected[5], "9089.22");
    browser
        .wait_attribute("#total", "data-value", "9089.22")
        .await;
    assert_eq!(shown_totals(&browser).await, expected);
    assert_eq!(browser.text("#total").await, "€9,089.22");
    browser.screenshot(&screenshot("quote-desktop")).await;

    // 20.44 % off list is over a rep's threshold: saved, then submitted.
    browser.click("#save").await;
    browser
        .wait_text("#status", |t| t.contains("needs a manager's approval"))
        .await;
    browser.click("#submit").await;
    browser
        .wait_text("#status", |t| t.contains("pending approval"))
        .await;
    let quotes = app
        .fetch(&format!("/api/v1/quotes?deal_id={}", rep.deal))
        .await;
    assert_eq!(quotes["items"][0]["status"], "pending_approval");
    assert_eq!(quotes["items"][0]["totals"]["total"], "9089.22");

    let Some(mut phone) = Browser::start(390, 844).await else {
        return;
    };
    sign_in(&mut phone, &app, &rep).await;
    phone
        .goto(&app.url(&format!(
            "/deals/{}/quote?quote={}",
            rep.deal,
            quotes["items"][0]["id"].as_str().expect("an id")
        )))
        .await;
    phone
        .wait_attribute("#total", "data-value", "9089.22")
        .await;
    phone.screenshot(&screenshot("quote-phone")).await;
    assert!(
        !phone.scrolls_sideways().await,
        "the quote builder scrolls sideways on a phone"
    );
    phone.close().await;
    browser.close().await;
    app.stop().await;
}
