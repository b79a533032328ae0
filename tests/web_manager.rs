//! The manager's workspace: the approval queue with a quote's figures,
//! decided in a real headless Chromium and seen approved by the rep; the
//! team board; the forecast page with its SVG chart, the figures of the
//! API and the pipeline report in one click; and the pages refused to the
//! roles they are not for, forms refused without their CSRF token.

#[path = "tools/browser.rs"]
mod browser;
#[allow(unused_macros, unused_imports)]
mod common;
mod tools;

use std::str::FromStr;

use browser::{Browser, screenshot_path as screenshot};
use chrono::{Datelike, Months, NaiveDate, Utc};
use common::web::PageClient;
use common::{Backend, TestApp, both_backends, id_of};
use dealdraft::templates::format;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Someone who can sign in, with an API token.
struct Person {
    id: String,
    email: String,
    password: String,
    token: String,
}

async fn person(app: &TestApp, role: &str) -> Person {
    let (id, email, password) = app.new_user(role).await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    Person {
        id,
        email,
        password,
        token,
    }
}

async fn post(app: &TestApp, who: &Person, path: &str, body: Value) -> Value {
    app.request_as(Some(&who.token), Method::POST, path, Some(&body))
        .await
        .expect_success()
}

/// A deal of `rep`'s on a new account.
async fn deal(app: &TestApp, rep: &Person, name: &str, extra: Value) -> String {
    let account = post(
        app,
        rep,
        "/api/v1/accounts",
        json!({"name": format!("{name} Ltd")}),
    )
    .await;
    let mut body = json!({"name": name, "account_id": id_of(&account)});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    id_of(&post(app, rep, "/api/v1/deals", body).await)
}

/// A quote 20.44 % off list (over a rep's threshold), submitted.
async fn quote_waiting(
    app: &TestApp,
    rep: &Person,
    deal: &str,
    catalog: &common::EurBook,
) -> Value {
    let quote = post(
        app,
        rep,
        "/api/v1/quotes",
        json!({"deal_id": deal, "price_book_id": catalog.book, "currency": "EUR",
               "lines": [
                   {"product_id": catalog.platform, "quantity": "60", "discount_percent": "0", "tax_rate": "19"},
                   {"product_id": catalog.day, "quantity": "3", "discount_percent": "10", "tax_rate": "19"}],
               "discount_percent": "5"}),
    )
    .await;
    post(
        app,
        rep,
        &format!("/api/v1/quotes/{}/submit", id_of(&quote)),
        json!({}),
    )
    .await
}

async fn sign_in(browser: &mut Browser, app: &TestApp, who: &Person) {
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &who.email).await;
    browser.fill("#password", &who.password).await;
    browser.click("#sign-in").await;
    browser.wait_text("h1", |t| !t.is_empty()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_approves_a_quote_and_the_rep_sees_it_approved() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let rep = person(&app, "rep").await;
    let manager = person(&app, "manager").await;
    let deal_id = deal(
        &app,
        &rep,
        "Fleet telemetry",
        json!({"stage": "negotiation"}),
    )
    .await;
    let catalog = common::eur_book(&app).await;
    let quote = quote_waiting(&app, &rep, &deal_id, &catalog).await;
    assert_eq!(quote["status"], "pending_approval");
    let Some(mut browser) = Browser::start(1280, 900).await else {
        return;
    };
    sign_in(&mut browser, &app, &manager).await;
    browser.click("nav a[href='/approvals']").await;
    let card = format!("#quote-{}", id_of(&quote));
    let shown = browser
        .wait_text(&card, |t| t.contains("Fleet telemetry"))
        .await;
    // The figures the manager decides on are the quote's own.
    assert!(shown.contains("€9,089.22"), "{shown}");
    assert!(shown.contains("20.44%"), "{shown}");
    assert!(shown.contains("threshold"), "{shown}");
    assert!(shown.contains("Analytics platform"), "{shown}");
    browser
        .screenshot(&screenshot("workspace-manager-approvals"))
        .await;
    browser
        .fill(
            &format!("#comment-{}", id_of(&quote)),
            "Strategic logo, fine",
        )
        .await;
    browser
        .click(&format!("{card} button[value='approve']"))
        .await;
    browser
        .wait_text("p.notice", |t| t.starts_with("Approved"))
        .await;
    assert!(!browser.exists(&card).await, "the quote left the queue");
    browser.click("form.logout button").await;
    browser.wait_text("h1", |t| t.contains("Sign in")).await;

    sign_in(&mut browser, &app, &rep).await;
    browser.goto(&app.url(&format!("/deals/{deal_id}"))).await;
    let status = browser.text("#quotes .status").await;
    assert_eq!(status, "approved");
    let stored = app
        .fetch(&format!("/api/v1/quotes/{}", id_of(&quote)))
        .await;
    assert_eq!(stored["status"], "approved");
    assert_eq!(stored["approval"]["comment"], "Strategic logo, fine");
    assert_eq!(stored["approval"]["decided_by"], manager.id);
    browser.close().await;
    app.stop().await;
}

/// The quarter holding `day`, as the forecast names it, and its months'
/// first days.
fn quarter(day: NaiveDate) -> (String, Vec<NaiveDate>) {
    let q = (day.month() - 1) / 3 + 1;
    let from = NaiveDate::from_ymd_opt(day.year(), (q - 1) * 3 + 1, 1).expect("a date");
    let months = (0..3)
        .map(|m| from.checked_add_months(Months::new(m)).expect("a date"))
        .collect();
    (format!("{}-Q{q}", day.year()), months)
}

fn euros(amount: &Value) -> String {
    let amount = Decimal::from_str(amount.as_str().expect("a decimal")).expect("a decimal");
    format::money(amount, "EUR", "en").expect("EUR is known")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forecast_page_shows_the_apis_figures_charts_them_and_makes_the_report() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let (label, months) = quarter(Utc::now().date_naive());
    let ada = person(&app, "rep").await;
    let ben = person(&app, "rep").await;
    let manager = person(&app, "manager").await;
    for (who, name, amount, stage, month) in [
        (&ada, "Harbour cranes", "48000.00", "negotiation", 0),
        (&ada, "Dock sensors", "12000.00", "proposal", 1),
        (&ben, "Cold store", "30000.00", "qualified", 2),
        (&ben, "Forklift fleet", "9000.00", "negotiation", 1),
    ] {
        deal(
            &app,
            who,
            name,
            json!({"amount": amount, "currency": "EUR", "stage": stage,
                   "expected_close_date": months[month].to_string()}),
        )
        .await;
    }
    let api = app
        .request_as(
            Some(&manager.token),
            Method::GET,
            &format!("/api/v1/forecast?period={label}"),
            None,
        )
        .await
        .expect(200);
    let Some(mut browser) = Browser::start(1280, 900).await else {
        return;
    };
    sign_in(&mut browser, &app, &manager).await;
    browser.click("nav a[href='/forecast']").await;
    browser
        .wait_text("h1", |t| t == format!("Forecast {label}"))
        .await;
    let commit = browser.text("#commit").await;
    assert_eq!(commit, euros(&api["totals"]["commit"]));
    let totals = browser.text("#totals").await;
    assert!(
        totals.contains(&euros(&api["totals"]["weighted"])),
        "{totals}"
    );
    // Two bars a month, the tallest the full height of the plot.
    let source = browser.source().await;
    assert_eq!(source.matches("<rect class=\"bar weighted\"").count(), 3);
    assert_eq!(source.matches("<rect class=\"bar won\"").count(), 3);
    assert!(
        source.contains("height=\"220\""),
        "the largest bar fills the plot"
    );
    for rep in [&ada, &ben] {
        assert!(
            source.contains(&format!("/forecast?rep_id={}", rep.id)),
            "each rep has a row"
        );
    }
    browser
        .screenshot(&screenshot("workspace-manager-forecast"))
        .await;
    browser.click("#make-report").await;
    let (name, bytes) = browser.download().await;
    assert!(name.ends_with(".pdf"), "{name}");
    if let Some(text) = tools::pdf_text(&bytes) {
        let text = tools::squeeze(&text);
        assert!(text.contains(&format!("Pipeline report {label}")), "{text}");
        assert!(text.contains(&euros(&api["totals"]["commit"])), "{text}");
    }
    // One rep's forecast from the team's table.
    browser
        .click(&format!("#by-rep a[href^='/forecast?rep_id={}']", ben.id))
        .await;
    browser
        .wait_text("#commit", |t| {
            t == euros(&json!(
                api["by_rep"]
                    .as_array()
                    .and_then(|reps| reps.iter().find(|r| r["rep_id"] == ben.id))
                    .map(|r| r["commit"].clone())
                    .expect("Ben's figures")
            ))
        })
        .await;
    browser.close().await;
    app.stop().await;
}

async fn manager_pages_are_for_their_roles_and_forms_need_their_token(app: &mut TestApp) {
    let rep = person(app, "rep").await;
    let manager = person(app, "manager").await;
    let deal_id = deal(app, &rep, "Quay lights", json!({"stage": "proposal"})).await;
    let catalog = common::eur_book(app).await;
    let quote = quote_waiting(app, &rep, &deal_id, &catalog).await;
    for role in ["marketing", "legal"] {
        let who = person(app, role).await;
        let mut client = PageClient::new(app);
        client.sign_in(&who.email, &who.password).await;
        for path in ["/approvals", "/forecast"] {
            let page = client.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {path}");
            assert!(page.body.contains("Not for your role"), "{}", page.body);
        }
        // The menu offers neither.
        let board = client.get("/deals").await;
        assert!(!board.body.contains("href=\"/approvals\""), "{role}");
        assert!(!board.body.contains("href=\"/forecast\""), "{role}");
    }
    // A rep reads their own forecast, not a colleague's, and cannot approve.
    let mut client = PageClient::new(app);
    client.sign_in(&rep.email, &rep.password).await;
    assert_eq!(client.get("/forecast").await.status, StatusCode::OK);
    let other = client
        .get(&format!("/forecast?rep_id={}", manager.id))
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert_eq!(client.get("/approvals").await.status, StatusCode::FORBIDDEN);
    let bad = client.get("/forecast?rep_id=nobody").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("rep_id"), "{}", bad.body);

    let mut client = PageClient::new(app);
    client.sign_in(&manager.email, &manager.password).await;
    // The team board names each deal's rep and narrows to one.
    let board = client.get("/deals").await;
    assert!(board.body.contains("Team pipeline"), "{}", board.body);
    assert!(board.body.contains("Quay lights"));
    let narrowed = client.get(&format!("/deals?owner={}", manager.id)).await;
    assert!(!narrowed.body.contains("Quay lights"));
    let quote_path = format!("/approvals/{}", id_of(&quote));
    for (path, form) in [
        (quote_path.as_str(), vec![("decision", "approve")]),
        ("/forecast/report", vec![("format", "pdf")]),
    ] {
        let page = client.post(path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("did not come from dealdraft"), "{path}");
    }
    let stored = app
        .fetch(&format!("/api/v1/quotes/{}", id_of(&quote)))
        .await;
    assert_eq!(stored["status"], "pending_approval", "nothing decided");
    let documents = app.fetch("/api/v1/documents").await;
    assert_eq!(documents["items"], json!([]), "no report made");
    // With the token, a rejection keeps its comment.
    let csrf = client.csrf.clone();
    let page = client
        .post(
            &quote_path,
            &[
                ("decision", "reject"),
                ("comment", "Too deep"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/approvals?notice=rejected"));
    let stored = app
        .fetch(&format!("/api/v1/quotes/{}", id_of(&quote)))
        .await;
    assert_eq!(stored["status"], "rejected");
    assert_eq!(stored["approval"]["comment"], "Too deep");
    let page = client
        .post("/forecast/report", &[("format", "odt"), ("csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("format"), "{}", page.body);
}

both_backends!(manager_pages_are_for_their_roles_and_forms_need_their_token);
