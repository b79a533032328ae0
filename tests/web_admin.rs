//! The admin workspace over HTTP on both databases: the settings saved
//! through their forms are the API's, bad values are refused beside their
//! field with nothing saved, a concurrent change is said so; invitations
//! (mailed or not) give a password that signs in; deactivation ends a
//! user's sessions at once; reassigning moves what a user owns; the audit
//! log's filters; CSRF on every form; and the pages refused to other
//! roles. Then in a real headless Chromium: an admin deactivates a rep who
//! is signed in elsewhere, and invites a manager who signs in with the
//! password shown; the users page is photographed for the README
//! (`docs/screenshots/`).

#[path = "tools/browser.rs"]
mod browser;
mod common;
mod tools;

use browser::screenshot_path as screenshot;

use common::web::{Page, PageClient};
use common::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, both_backends, id_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tools::smtp::{SmtpSink, closed_port};

/// The admin, signed in, with the token of their forms.
async fn admin(app: &TestApp) -> PageClient {
    let mut browser = PageClient::new(app);
    browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.get("/admin/settings").await;
    browser
}

/// `form` posted with the browser's CSRF token.
async fn post(browser: &mut PageClient, path: &str, form: &[(&str, &str)]) -> Page {
    let csrf = browser.csrf.clone();
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    browser.post(path, &fields).await
}

async fn settings_version(app: &TestApp) -> String {
    app.fetch("/api/v1/settings").await["version"].to_string()
}

/// Posts one section of the settings at the current version and expects
/// it saved.
async fn save_section(
    app: &TestApp,
    browser: &mut PageClient,
    section: &str,
    form: &[(&str, &str)],
) {
    let version = settings_version(app).await;
    let mut fields = vec![("section", section), ("version", version.as_str())];
    fields.extend_from_slice(form);
    let page = post(browser, "/admin/settings", &fields).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{section}: {}",
        page.body
    );
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/admin/settings?notice=saved#{section}").as_str())
    );
}

async fn settings_saved_through_the_forms_are_the_apis(app: &mut TestApp) {
    let mut browser = admin(app).await;
    save_section(
        app,
        &mut browser,
        "company",
        &[
            ("company.name", "Northwind Systems"),
            ("company.address", "Hafenstr. 1\n20457 Hamburg"),
            ("company.phone", "+49 40 555 0100"),
            ("company.email", "sales@northwind.example"),
            ("company.website", "https://northwind.example"),
        ],
    )
    .await;
    save_section(
        app,
        &mut browser,
        "approvals",
        &[
            ("approval_thresholds.rep", "12.5"),
            ("approval_thresholds.manager", "25"),
            ("approval_thresholds.admin", "100"),
        ],
    )
    .await;
    save_section(
        app,
        &mut browser,
        "stages",
        &[
            ("stage_probabilities.lead", "5"),
            ("stage_probabilities.qualified", "30"),
            ("stage_probabilities.proposal", "55"),
            ("stage_probabilities.negotiation", ""),
            ("stage_probabilities.won", "100"),
            ("stage_probabilities.lost", "0"),
        ],
    )
    .await;
    save_section(
        app,
        &mut browser,
        "currencies",
        &[
            ("base_currency", "eur"),
            ("rate.0.currency", "usd"),
            ("rate.0.value", "0.92"),
            ("rate.1.currency", "GBP"),
            ("rate.1.value", "1.17"),
            ("rate.2.currency", ""),
            ("rate.2.value", ""),
        ],
    )
    .await;
    save_section(
        app,
        &mut browser,
        "taxes",
        &[
            ("tax.0.code", "VAT19"),
            ("tax.0.name", "German VAT"),
            ("tax.0.rate", "19"),
            ("tax.1.code", "VAT7"),
            ("tax.1.name", "Reduced VAT"),
            ("tax.1.rate", "7"),
            ("tax.2.code", ""),
            ("tax.2.name", ""),
            ("tax.2.rate", ""),
        ],
    )
    .await;
    save_section(
        app,
        &mut browser,
        "smtp",
        &[
            ("smtp.host", "mail.northwind.example"),
            ("smtp.security", "tls"),
            ("smtp.port", ""),
            ("smtp.from_email", "dealdraft@northwind.example"),
            ("smtp.from_name", "Northwind Sales"),
        ],
    )
    .await;

    let saved = app.fetch("/api/v1/settings").await;
    assert_eq!(
        saved["company"],
        json!({"name": "Northwind Systems", "address": "Hafenstr. 1\n20457 Hamburg",
               "phone": "+49 40 555 0100", "email": "sales@northwind.example",
               "website": "https://northwind.example", "logo_asset_id": null})
    );
    assert_eq!(
        saved["approval_thresholds"],
        json!({"rep": "12.5", "manager": "25", "admin": "100"})
    );
    // A blank probability is the stage's built-in one.
    assert_eq!(
        saved["stage_probabilities"],
        json!({"lead": 5, "qualified": 30, "proposal": 55, "negotiation": 75, "won": 100, "lost": 0})
    );
    assert_eq!(saved["base_currency"], "EUR");
    assert_eq!(
        saved["exchange_rates"],
        json!({"USD": "0.92", "GBP": "1.17"})
    );
    assert_eq!(
        saved["tax_rates"],
        json!([{"code": "VAT19", "name": "German VAT", "rate": "19"},
               {"code": "VAT7", "name": "Reduced VAT", "rate": "7"}])
    );
    assert_eq!(
        saved["smtp"],
        json!({"host": "mail.northwind.example", "port": null, "security": "tls",
               "from_email": "dealdraft@northwind.example", "from_name": "Northwind Sales"})
    );
    assert_eq!(saved["version"], 7);

    // The page shows what was saved, and takes rows out.
    let page = browser.get("/admin/settings?notice=saved").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("role=\"status\">Saved.</p>"),
        "{}",
        page.body
    );
    for shown in [
        "value=\"Northwind Systems\"",
        "value=\"12.5\"",
        "value=\"USD\"",
        "value=\"VAT7\"",
        "value=\"mail.northwind.example\"",
    ] {
        assert!(page.body.contains(shown), "{shown} is not on the page");
    }
    save_section(
        app,
        &mut browser,
        "currencies",
        &[
            ("base_currency", "EUR"),
            ("rate.0.currency", "GBP"),
            ("rate.0.value", "1.17"),
            ("rate.1.currency", "USD"),
            ("rate.1.value", "0.92"),
            ("remove", "rate.1"),
        ],
    )
    .await;
    save_section(
        app,
        &mut browser,
        "taxes",
        &[
            ("tax.0.code", "VAT19"),
            ("tax.0.name", "German VAT"),
            ("tax.0.rate", "19"),
            ("remove", "tax.0"),
        ],
    )
    .await;
    let saved = app.fetch("/api/v1/settings").await;
    assert_eq!(saved["exchange_rates"], json!({"GBP": "1.17"}));
    assert_eq!(saved["tax_rates"], json!([]));
}

both_backends!(settings_saved_through_the_forms_are_the_apis);

/// The text of the input `name`'s problem on a refused form.
fn problem_of<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let start = body.find(&format!("id=\"p-{name}\">"))? + format!("id=\"p-{name}\">").len();
    body[start..].split('<').next()
}

async fn bad_settings_are_refused_beside_their_field_with_nothing_saved(app: &mut TestApp) {
    let mut browser = admin(app).await;
    let before = app.fetch("/api/v1/settings").await;
    let version = before["version"].to_string();
    let refused = |page: &Page, what: &str| {
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            page.body
        );
        assert!(page.body.contains("role=\"alert\""), "{what}");
    };

    // A probability over 100: the domain's rule, beside the field, with
    // everything typed kept.
    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "stages"),
            ("version", &version),
            ("stage_probabilities.lead", "150"),
            ("stage_probabilities.qualified", "35"),
        ],
    )
    .await;
    refused(&page, "150%");
    assert_eq!(
        problem_of(&page.body, "stage_probabilities.lead"),
        Some("must be between 0 and 100")
    );
    assert!(
        page.body
            .contains("name=\"stage_probabilities.lead\" value=\"150\"")
    );
    assert!(
        page.body
            .contains("name=\"stage_probabilities.qualified\" value=\"35\"")
    );
    assert!(
        page.body
            .contains("stage_probabilities.lead: must be between 0 and 100")
    );

    // A negative exchange rate: on its row.
    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "currencies"),
            ("version", &version),
            ("base_currency", "EUR"),
            ("rate.0.currency", "USD"),
            ("rate.0.value", "-0.5"),
            ("rate.1.currency", "CHF"),
            ("rate.1.value", "1.04"),
        ],
    )
    .await;
    refused(&page, "a negative rate");
    assert!(
        page.body.contains("USD: must be greater than 0"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"-0.5\""));
    assert!(page.body.contains("value=\"CHF\""));

    // What the form itself can tell: a number that is none.
    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "approvals"),
            ("version", &version),
            ("approval_thresholds.rep", "ten"),
            ("approval_thresholds.manager", "20"),
            ("approval_thresholds.admin", ""),
        ],
    )
    .await;
    refused(&page, "words for a number");
    assert_eq!(
        problem_of(&page.body, "approval_thresholds.rep"),
        Some("must be a number such as 15 or 12.5")
    );
    assert!(
        problem_of(&page.body, "approval_thresholds.admin")
            .is_some_and(|p| p.starts_with("required"))
    );
    assert!(page.body.contains("value=\"ten\""));

    // A tax rate without a name, on its row.
    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "taxes"),
            ("version", &version),
            ("tax.0.code", ""),
            ("tax.0.name", ""),
            ("tax.0.rate", ""),
            ("tax.1.code", "VAT19"),
            ("tax.1.name", ""),
            ("tax.1.rate", "19"),
        ],
    )
    .await;
    refused(&page, "a nameless tax");
    assert_eq!(problem_of(&page.body, "tax.1.name"), Some("required"));

    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "company"),
            ("version", &version),
            ("company.name", "Northwind"),
            ("company.email", "not an address"),
            ("company.website", "northwind.example"),
        ],
    )
    .await;
    refused(&page, "a bad e-mail");
    assert_eq!(
        problem_of(&page.body, "company.email"),
        Some("is not a valid email address")
    );
    assert!(problem_of(&page.body, "company.website").is_some());
    assert!(page.body.contains("value=\"Northwind\""));

    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "smtp"),
            ("version", &version),
            ("smtp.host", "smtp://mail.example.com"),
            ("smtp.port", "587"),
        ],
    )
    .await;
    refused(&page, "a mail server's address");
    assert!(
        problem_of(&page.body, "smtp.host").is_some_and(|p| p.starts_with("must be a host name"))
    );
    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "smtp"),
            ("version", &version),
            ("smtp.host", "mail.example.com"),
            ("smtp.port", "70000"),
        ],
    )
    .await;
    refused(&page, "a port out of range");
    assert_eq!(
        problem_of(&page.body, "smtp.port"),
        Some("must be a whole number from 1 to 65535")
    );
    assert!(page.body.contains("value=\"mail.example.com\""));

    assert_eq!(
        app.fetch("/api/v1/settings").await,
        before,
        "something was saved"
    );

    // A change someone made meanwhile: said so, with the fresh values.
    app.patch_json(
        "/api/v1/settings",
        &json!({"version": before["version"], "company": {"name": "Changed elsewhere"}}),
    )
    .await
    .expect(200);
    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "company"),
            ("version", &version),
            ("company.name", "Mine"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(
        page.body.contains("changed by someone else"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"Changed elsewhere\""));
    assert!(!page.body.contains("value=\"Mine\""));
    assert_eq!(
        app.fetch("/api/v1/settings").await["company"]["name"],
        "Changed elsewhere"
    );
}

both_backends!(bad_settings_are_refused_beside_their_field_with_nothing_saved);

/// The temporary password an invitation page shows.
fn password_on(page: &Page) -> String {
    let start = page
        .body
        .find("id=\"temporary-password\">")
        .unwrap_or_else(|| panic!("no password on the page: {}", page.body))
        + "id=\"temporary-password\">".len();
    page.body[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn invite(browser: &mut PageClient, email: &str, name: &str, role: &str) -> Page {
    post(
        browser,
        "/admin/users",
        &[
            ("email", email),
            ("name", name),
            ("role", role),
            ("title", "Account Executive"),
            ("phone", ""),
        ],
    )
    .await
}

async fn an_invitation_gives_a_password_that_signs_in(app: &mut TestApp) {
    let mut browser = admin(app).await;
    let page = invite(&mut browser, "nora@example.com", "Nora Lindt", "manager").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let password = password_on(&page);
    assert_eq!(password.len(), 23, "{password}");
    assert!(page.body.contains("no mail server is set"), "{}", page.body);
    let signed_in = app.login("nora@example.com", &password).await.expect(200);
    assert_eq!(signed_in["user"]["role"], "manager");
    assert_eq!(signed_in["user"]["title"], "Account Executive");

    // Refused: typed kept, the problem beside its field, nobody created.
    let users = app.list_all("/api/v1/users").await.len();
    let page = invite(&mut browser, "nora@example.com", "Nora Again", "rep").await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert_eq!(problem_of(&page.body, "email"), Some("already used"));
    assert!(page.body.contains("value=\"Nora Again\""));
    let page = invite(&mut browser, "nobody", "", "rep").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem_of(&page.body, "email"),
        Some("is not a valid email address")
    );
    assert_eq!(problem_of(&page.body, "name"), Some("required"));
    assert!(
        page.body
            .contains("<details class=\"card\" id=\"invite\" open>")
    );
    assert_eq!(app.list_all("/api/v1/users").await.len(), users);
}

both_backends!(an_invitation_gives_a_password_that_signs_in);

async fn an_invitation_is_mailed_and_a_failed_mail_keeps_the_user(app: &mut TestApp) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let mut browser = admin(app).await;
    let version = settings_version(app).await;
    let port = sink.port.to_string();
    let page = post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "smtp"),
            ("version", &version),
            ("smtp.host", "127.0.0.1"),
            ("smtp.port", &port),
            ("smtp.security", "none"),
            ("smtp.from_email", "dealdraft@northwind.example"),
            ("smtp.from_name", "Northwind"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let page = invite(&mut browser, "omar@example.com", "Omar Haddad", "rep").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("was e-mailed to omar@example.com"),
        "{}",
        page.body
    );
    let password = password_on(&page);
    let message = String::from_utf8_lossy(&sink.wait_for(1)[0]).into_owned();
    assert_eq!(
        tools::smtp::header(message.as_bytes(), "To").as_deref(),
        Some("\"Omar Haddad\" <omar@example.com>")
    );
    assert!(
        message.contains(&format!("Temporary password: {password}")),
        "{message}"
    );
    assert!(
        message.contains(&format!("Sign in at: {}/login", app.base_url)),
        "{message}"
    );
    assert!(message.contains("E-mail: omar@example.com"), "{message}");
    app.login("omar@example.com", &password).await.expect(200);

    // The mail server gone: the user is there all the same, and the page
    // says why no mail went.
    let version = settings_version(app).await;
    let gone = closed_port().to_string();
    post(
        &mut browser,
        "/admin/settings",
        &[
            ("section", "smtp"),
            ("version", &version),
            ("smtp.host", "127.0.0.1"),
            ("smtp.port", &gone),
            ("smtp.security", "none"),
            ("smtp.from_email", "dealdraft@northwind.example"),
        ],
    )
    .await;
    let page = invite(&mut browser, "pia@example.com", "Pia Berg", "legal").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("could not be sent"), "{}", page.body);
    let password = password_on(&page);
    app.login("pia@example.com", &password).await.expect(200);
    assert_eq!(sink.messages().len(), 1);
}

both_backends!(an_invitation_is_mailed_and_a_failed_mail_keeps_the_user);

/// A user of `role` signed in on the pages and on the API: their id,
/// browser and token.
async fn signed_in_everywhere(app: &TestApp, role: &str) -> (String, PageClient, String) {
    let (id, email, password) = app.new_user(role).await;
    let mut browser = PageClient::new(app);
    browser.sign_in(&email, &password).await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    (id, browser, token)
}

async fn user_version(app: &TestApp, id: &str) -> String {
    app.fetch(&format!("/api/v1/users/{id}")).await["version"].to_string()
}

async fn deactivation_ends_the_sessions_at_once(app: &mut TestApp) {
    let (rep, mut rep_browser, token) = signed_in_everywhere(app, "rep").await;
    assert_eq!(rep_browser.get("/deals").await.status, StatusCode::OK);
    app.request_as(Some(&token), Method::GET, "/api/v1/deals", None)
        .await
        .expect(200);
    let mut browser = admin(app).await;
    let version = user_version(app, &rep).await;
    let page = post(
        &mut browser,
        &format!("/admin/users/{rep}/active"),
        &[("active", "false"), ("version", &version)],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = browser
        .get(page.location.as_deref().expect("back to the user"))
        .await;
    assert!(page.body.contains("Deactivated: their sessions have ended"));
    assert!(page.body.contains("id=\"reactivate\""));

    let page = rep_browser.get("/deals").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.is_some_and(|l| l.starts_with("/login")));
    app.request_as(Some(&token), Method::GET, "/api/v1/deals", None)
        .await
        .assert_error(401, "unauthorized", &[]);

    // Reactivated, they sign in again.
    let version = user_version(app, &rep).await;
    let page = post(
        &mut browser,
        &format!("/admin/users/{rep}/active"),
        &[("active", "true"), ("version", &version)],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        app.fetch(&format!("/api/v1/users/{rep}")).await["active"],
        true
    );

    // The last admin who can sign in stays one.
    let version = user_version(app, &app.admin_id).await;
    let path = format!("/admin/users/{}/active", app.admin_id);
    let page = post(
        &mut browser,
        &path,
        &[("active", "false"), ("version", &version)],
    )
    .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(page.body.contains("last active admin"), "{}", page.body);
    assert_eq!(browser.get("/admin/users").await.status, StatusCode::OK);
}

both_backends!(deactivation_ends_the_sessions_at_once);

async fn the_role_is_changed_with_the_version_read(app: &mut TestApp) {
    let (id, _, _) = app.new_user("rep").await;
    let mut browser = admin(app).await;
    let version = user_version(app, &id).await;
    let path = format!("/admin/users/{id}");
    let page = post(
        &mut browser,
        &path,
        &[
            ("name", "Rita Marsh"),
            ("title", "Sales Lead"),
            ("phone", ""),
            ("role", "manager"),
            ("version", &version),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let user = app.fetch(&format!("/api/v1/users/{id}")).await;
    assert_eq!(
        (user["name"].as_str(), user["role"].as_str()),
        (Some("Rita Marsh"), Some("manager"))
    );
    // The same version again is a change made meanwhile.
    let page = post(
        &mut browser,
        &path,
        &[
            ("name", "Rita M."),
            ("role", "admin"),
            ("version", &version),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(
        page.body.contains("value=\"Rita Marsh\""),
        "the fresh name is shown"
    );
    let page = post(
        &mut browser,
        &path,
        &[
            ("name", ""),
            ("role", "chief"),
            ("version", &user["version"].to_string()),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(problem_of(&page.body, "role").is_some(), "{}", page.body);
    assert_eq!(app.fetch(&format!("/api/v1/users/{id}")).await, user);
}

both_backends!(the_role_is_changed_with_the_version_read);

/// A deal, an account and a contact owned by the rep with `token`.
async fn owned_records(app: &TestApp, token: &str) -> (String, String, String) {
    let post = |path: &'static str, body: Value| async move {
        id_of(
            &app.request_as(Some(token), Method::POST, path, Some(&body))
                .await
                .expect(201),
        )
    };
    let account = post("/api/v1/accounts", json!({"name": "Hafen Logistik"})).await;
    let contact = post(
        "/api/v1/contacts",
        json!({"first_name": "Jana", "last_name": "Krüger", "account_id": account}),
    )
    .await;
    let deal = post(
        "/api/v1/deals",
        json!({"name": "Yard visibility", "account_id": account}),
    )
    .await;
    (account, contact, deal)
}

async fn reassigning_moves_what_the_user_owns(app: &mut TestApp) {
    let (from, _, token) = signed_in_everywhere(app, "rep").await;
    let (account, contact, deal) = owned_records(app, &token).await;
    let second_deal = id_of(
        &app.request_as(
            Some(&token),
            Method::POST,
            "/api/v1/deals",
            Some(&json!({"name": "Cold chain", "account_id": account})),
        )
        .await
        .expect(201),
    );
    let (to, _, _) = app.new_user("rep").await;
    let (gone, _, _) = app.new_user("rep").await;
    app.patch_json(
        &format!("/api/v1/users/{gone}"),
        &json!({"version": 1, "active": false}),
    )
    .await
    .expect(200);
    let mut browser = admin(app).await;
    let page = browser.get(&format!("/admin/users/{from}")).await;
    assert!(
        page.body.contains("2 deals, 1 account, 1 contact"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("<option value=\"{to}\">")));
    assert!(
        !page.body.contains(&format!("<option value=\"{gone}\">")),
        "a deactivated user takes nothing over"
    );

    let path = format!("/admin/users/{from}/reassign");
    let page = post(&mut browser, &path, &[("to_user_id", "")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem_of(&page.body, "to_user_id"),
        Some("choose who takes them over")
    );
    let page = post(&mut browser, &path, &[("to_user_id", &gone)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_of(&page.body, "to_user_id"), Some("is deactivated"));
    assert_eq!(
        app.fetch(&format!("/api/v1/deals/{deal}")).await["owner_id"],
        from.as_str()
    );

    let page = post(&mut browser, &path, &[("to_user_id", &to)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    for record in [
        format!("/api/v1/deals/{deal}"),
        format!("/api/v1/deals/{second_deal}"),
        format!("/api/v1/accounts/{account}"),
        format!("/api/v1/contacts/{contact}"),
    ] {
        assert_eq!(
            app.fetch(&record).await["owner_id"],
            to.as_str(),
            "{record}"
        );
    }
    let page = browser.get(page.location.as_deref().expect("back")).await;
    assert!(page.body.contains("now belong to the user you chose"));
    assert!(page.body.contains("owns no deals, accounts or contacts"));
}

both_backends!(reassigning_moves_what_the_user_owns);

/// The ids of the entries an audit log page lists, in order.
fn entries_on(page: &Page) -> Vec<String> {
    page.body
        .split("data-entry=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

/// The ids of every entry the API lists for `query`, newest first.
async fn api_entries(app: &TestApp, query: &str) -> Vec<String> {
    let path = if query.is_empty() {
        "/api/v1/audit".to_owned()
    } else {
        format!("/api/v1/audit?{query}")
    };
    app.list_all(&path).await.iter().map(id_of).collect()
}

async fn the_audit_log_filters_by_record_actor_and_day(app: &mut TestApp) {
    let (rep, _, token) = signed_in_everywhere(app, "rep").await;
    let (_, _, deal) = owned_records(app, &token).await;
    app.request_as(
        Some(&token),
        Method::PATCH,
        &format!("/api/v1/deals/{deal}"),
        Some(&json!({"version": 1, "next_step": "Site visit"})),
    )
    .await
    .expect(200);
    app.create("/api/v1/accounts", json!({"name": "Admin's own"}))
        .await;
    let mut browser = admin(app).await;

    // One record: its create and its change, newest first, with the change.
    let page = browser
        .get(&format!("/audit?entity=deal&entity_id={deal}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let entries = entries_on(&page);
    assert_eq!(entries.len(), 2, "{}", page.body);
    assert_eq!(
        entries,
        api_entries(app, &format!("entity=deal&entity_id={deal}")).await
    );
    assert!(page.body.contains("<ins>Site visit</ins>"), "{}", page.body);
    assert!(page.links().contains(&format!("/deals/{deal}")));

    // One actor: exactly the rep's three creates and one change.
    let page = browser.get(&format!("/audit?actor={rep}")).await;
    let entries = entries_on(&page);
    assert_eq!(entries.len(), 4, "{}", page.body);
    assert_eq!(entries, api_entries(app, &format!("actor_id={rep}")).await);
    let page = browser
        .get(&format!("/audit?actor={rep}&entity=account&action=create"))
        .await;
    assert_eq!(entries_on(&page).len(), 1);

    // Days, whole and in UTC: today holds everything, tomorrow and
    // yesterday nothing.
    let today = chrono::Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| d.to_string();
    let (yesterday, tomorrow) = (
        day(today.pred_opt().expect("a day")),
        day(today.succ_opt().expect("a day")),
    );
    let everything = api_entries(app, "").await;
    let page = browser
        .get(&format!("/audit?from={yesterday}&to={tomorrow}"))
        .await;
    assert_eq!(entries_on(&page), everything);
    let page = browser
        .get(&format!("/audit?from={}&to={}", day(today), day(today)))
        .await;
    assert_eq!(entries_on(&page), everything);
    let page = browser.get(&format!("/audit?from={tomorrow}")).await;
    assert_eq!(entries_on(&page), Vec::<String>::new());
    let page = browser.get(&format!("/audit?to={yesterday}")).await;
    assert_eq!(entries_on(&page), Vec::<String>::new());

    // Filters that cannot be read: said beside them.
    let page = browser
        .get(&format!(
            "/audit?entity_id=deal-7&from={tomorrow}&to={yesterday}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(problem_of(&page.body, "entity_id").is_some_and(|p| p.starts_with("must be a record")));
    assert_eq!(
        problem_of(&page.body, "to"),
        Some("is before the first day")
    );
    assert!(page.body.contains("value=\"deal-7\""));

    // Pages of 50, newest first, each entry once.
    for n in 0..55 {
        app.create("/api/v1/accounts", json!({"name": format!("Account {n}")}))
            .await;
    }
    let all = api_entries(app, "entity=account").await;
    assert_eq!(all.len(), 57);
    let first = browser.get("/audit?entity=account").await;
    let mut shown = entries_on(&first);
    assert_eq!(shown.len(), 50);
    let next = first
        .link_with("cursor=")
        .expect("a link to the older entries");
    assert!(next.contains("entity=account"), "{next}");
    shown.extend(entries_on(&browser.get(&next).await));
    assert_eq!(shown, all);
}

both_backends!(the_audit_log_filters_by_record_actor_and_day);

async fn every_admin_form_needs_its_csrf_token(app: &mut TestApp) {
    let (from, _, token) = signed_in_everywhere(app, "rep").await;
    let (_, _, deal) = owned_records(app, &token).await;
    let (to, _, _) = app.new_user("rep").await;
    let mut browser = admin(app).await;
    let settings = app.fetch("/api/v1/settings").await;
    let user = app.fetch(&format!("/api/v1/users/{from}")).await;
    let users = app.list_all("/api/v1/users").await.len();
    let version = user["version"].to_string();
    let settings_version = settings["version"].to_string();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/users".to_owned(),
            vec![
                ("email", "forged@example.com"),
                ("name", "Forged"),
                ("role", "admin"),
            ],
        ),
        (
            format!("/admin/users/{from}"),
            vec![("name", "Forged"), ("role", "admin"), ("version", &version)],
        ),
        (
            format!("/admin/users/{from}/active"),
            vec![("active", "false"), ("version", &version)],
        ),
        (
            format!("/admin/users/{from}/reassign"),
            vec![("to_user_id", &to)],
        ),
        (
            "/admin/settings".to_owned(),
            vec![
                ("section", "company"),
                ("version", &settings_version),
                ("company.name", "Forged"),
            ],
        ),
    ];
    for (path, form) in &forms {
        for forged in [None, Some("0".repeat(64))] {
            let mut fields = form.clone();
            if let Some(t) = &forged {
                fields.push(("csrf", t));
            }
            let page = browser.post(path, &fields).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} {forged:?}");
            assert!(page.body.contains("did not come from dealdraft"), "{path}");
        }
    }
    assert_eq!(app.fetch("/api/v1/settings").await, settings);
    assert_eq!(app.fetch(&format!("/api/v1/users/{from}")).await, user);
    assert_eq!(app.list_all("/api/v1/users").await.len(), users);
    assert_eq!(
        app.fetch(&format!("/api/v1/deals/{deal}")).await["owner_id"],
        from.as_str()
    );
}

both_backends!(every_admin_form_needs_its_csrf_token);

async fn the_pages_are_for_their_roles_only(app: &mut TestApp) {
    let (target, _, _) = app.new_user("rep").await;
    let settings = app.fetch("/api/v1/settings").await;
    let user = app.fetch(&format!("/api/v1/users/{target}")).await;
    for role in ["rep", "manager", "marketing", "legal"] {
        let (_, mut browser, _) = signed_in_everywhere(app, role).await;
        let menu = browser.get("/deals").await.links();
        assert!(
            !menu.iter().any(|l| l.starts_with("/admin/")),
            "{role} is offered an admin page"
        );
        for path in [
            "/admin/users".to_owned(),
            format!("/admin/users/{target}"),
            "/admin/settings".to_owned(),
        ] {
            let page = browser.get(&path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {path}");
            assert!(page.body.contains("Not for your role"), "{role} {path}");
        }
        let version = user["version"].to_string();
        let settings_version = settings["version"].to_string();
        for (path, form) in [
            (
                "/admin/users".to_owned(),
                vec![("email", "x@example.com"), ("name", "X"), ("role", "admin")],
            ),
            (
                format!("/admin/users/{target}"),
                vec![("name", "X"), ("role", "admin"), ("version", &version)],
            ),
            (
                format!("/admin/users/{target}/active"),
                vec![("active", "false"), ("version", &version)],
            ),
            (
                "/admin/settings".to_owned(),
                vec![
                    ("section", "company"),
                    ("version", &settings_version),
                    ("company.name", "X"),
                ],
            ),
        ] {
            let page = post(&mut browser, &path, &form).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {path}");
        }
        let audit = browser.get("/audit").await;
        let reads_audit = matches!(role, "manager" | "legal");
        let expected = if reads_audit {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(audit.status, expected, "{role} /audit");
        assert_eq!(
            menu.contains(&"/audit".to_owned()),
            reads_audit,
            "{role}'s menu"
        );
        if reads_audit {
            // Their log links no admin page.
            assert!(
                !audit.links().iter().any(|l| l.starts_with("/admin/")),
                "{role}: {}",
                audit.body
            );
        }
    }
    assert_eq!(app.fetch("/api/v1/settings").await, settings);
    assert_eq!(app.fetch(&format!("/api/v1/users/{target}")).await, user);
    assert!(
        !app.list_all("/api/v1/users")
            .await
            .iter()
            .any(|u| u["email"] == "x@example.com")
    );

    let mut browser = admin(app).await;
    let menu = browser.get("/admin/users").await;
    assert_eq!(menu.status, StatusCode::OK);
    for link in ["/admin/users", "/admin/settings", "/audit"] {
        assert!(menu.links().contains(&link.to_owned()), "{link}");
    }
    assert_eq!(browser.get("/audit").await.status, StatusCode::OK);
}

both_backends!(the_pages_are_for_their_roles_only);

async fn the_users_list_filters_and_pages(app: &mut TestApp) {
    for n in 0..52 {
        app.create(
            "/api/v1/users",
            json!({"email": format!("legal-{n}@example.com"), "name": format!("Counsel {n}"),
                   "role": "legal", "password": "legal-password-1"}),
        )
        .await;
    }
    let (quiet, _, _) = app.new_user("marketing").await;
    app.patch_json(
        &format!("/api/v1/users/{quiet}"),
        &json!({"version": 1, "active": false}),
    )
    .await
    .expect(200);
    let mut browser = admin(app).await;
    let emails = |page: &Page| -> Vec<String> {
        page.body
            .split("data-email=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
            .collect()
    };
    let page = browser.get("/admin/users?role=legal").await;
    let mut legal = emails(&page);
    assert_eq!(legal.len(), 50);
    let next = page.link_with("cursor=").expect("a next page");
    legal.extend(emails(&browser.get(&next).await));
    assert_eq!(legal.len(), 52);
    assert!(legal.iter().all(|e| e.starts_with("legal-")));
    let page = browser.get("/admin/users?active=false").await;
    assert_eq!(emails(&page).len(), 1);
    assert!(emails(&page)[0].starts_with("marketing-"));
    assert!(page.body.contains("deactivated"));
    // The admin signed in: their last sign-in is known.
    let page = browser
        .get(&format!("/admin/users?q={}", ADMIN_EMAIL))
        .await;
    assert_eq!(emails(&page), vec![ADMIN_EMAIL.to_owned()]);
    assert!(page.body.contains(" UTC</td>"), "{}", page.body);
    let page = browser.get("/admin/users?role=chief").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("`chief` is not a role"));
}

both_backends!(the_users_list_filters_and_pages);

/// Signs `browser` in with the sign-in form and waits for the deals.
async fn sign_in_with_chromium(
    browser: &mut browser::Browser,
    app: &TestApp,
    email: &str,
    password: &str,
) {
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", email).await;
    browser.fill("#password", password).await;
    browser.click("#sign-in").await;
    browser
        .wait_text("h1", |t| {
            t.starts_with("My deals") || t.starts_with("Team pipeline")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_deactivates_a_signed_in_rep_and_invites_a_manager_in_the_browser() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    for (email, name, role, title) in [
        (
            "maria.schneider@northwind.example",
            "Maria Schneider",
            "manager",
            "Head of Sales",
        ),
        (
            "tom.becker@northwind.example",
            "Tom Becker",
            "marketing",
            "Brand Manager",
        ),
        (
            "lena.vogel@northwind.example",
            "Lena Vogel",
            "legal",
            "Counsel",
        ),
    ] {
        app.create(
            "/api/v1/users",
            json!({"email": email, "name": name, "role": role, "title": title,
                   "password": "a-long-password-1"}),
        )
        .await;
    }
    let rep_email = "jonas.weber@northwind.example";
    let rep = id_of(
        &app.create(
            "/api/v1/users",
            json!({"email": rep_email, "name": "Jonas Weber", "role": "rep",
                   "title": "Account Executive", "password": "jonas-password-1"}),
        )
        .await,
    );
    let token = app.login(rep_email, "jonas-password-1").await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    owned_records(&app, &token).await;

    let Some(mut rep_browser) = browser::Browser::start(1280, 900).await else {
        return;
    };
    sign_in_with_chromium(&mut rep_browser, &app, rep_email, "jonas-password-1").await;
    let Some(mut admin_browser) = browser::Browser::start(1280, 900).await else {
        return;
    };
    sign_in_with_chromium(&mut admin_browser, &app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Invite a manager; the password is on the next page.
    admin_browser.goto(&app.url("/admin/users")).await;
    admin_browser.click("#invite > summary").await;
    admin_browser
        .fill("#f-email", "sofia.keller@northwind.example")
        .await;
    admin_browser.fill("#f-name", "Sofia Keller").await;
    admin_browser.fill("#f-role", "manager").await;
    admin_browser.fill("#f-title", "Sales Manager").await;
    admin_browser.click("#invite-user").await;
    admin_browser
        .wait_text("h1", |t| t == "Sofia Keller is invited")
        .await;
    let password = admin_browser.text("#temporary-password").await;
    assert_eq!(password.len(), 23, "{password}");

    // Deactivate the rep, who is signed in in the other browser.
    admin_browser.goto(&app.url("/admin/users")).await;
    admin_browser
        .click(&format!("a[href='/admin/users/{rep}']"))
        .await;
    admin_browser
        .wait_text("h1", |t| t.starts_with("Jonas Weber"))
        .await;
    assert!(admin_browser.text("#owned").await.starts_with("1 deal,"));
    admin_browser.click("#deactivate").await;
    admin_browser
        .wait_text(".notice", |t| t.starts_with("Deactivated"))
        .await;

    // The rep's next page load is the sign-in, and their token is dead.
    rep_browser.goto(&app.url("/deals")).await;
    let url = rep_browser.current_url().await;
    assert!(url.contains("/login?next="), "{url}");
    app.request_as(Some(&token), Method::GET, "/api/v1/deals", None)
        .await
        .assert_error(401, "unauthorized", &[]);

    // The invited manager signs in there with the password shown.
    sign_in_with_chromium(
        &mut rep_browser,
        &app,
        "sofia.keller@northwind.example",
        &password,
    )
    .await;
    assert!(rep_browser.text("h1").await.starts_with("Team pipeline"));

    admin_browser.goto(&app.url("/admin/users")).await;
    admin_browser
        .wait_text("#users", |t| t.contains("Sofia Keller"))
        .await;
    assert!(
        !admin_browser.scrolls_sideways().await,
        "the users page scrolls sideways"
    );
    admin_browser
        .screenshot(&screenshot("workspace-admin"))
        .await;

    rep_browser.close().await;
    admin_browser.close().await;
    app.stop().await;
}
