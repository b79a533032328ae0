//! The web app over HTTP on both databases, as a browser would talk to it
//! but without one: signing in and out with the session cookie, CSRF on
//! every form, the security headers, CRM text that stays text on every
//! page, pages for other roles refused, helpful 404 and 403 pages, and the
//! deal page's inline fill writing where the field lives.

mod common;

use common::web::{Page, PageClient as Browser, unescape};
use common::{TestApp, both_backends, id_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A rep who can sign in, with a deal on an account named `account`.
async fn rep_with_deal(app: &TestApp, account: &str) -> (String, String, String) {
    let (id, email, password) = app.new_user("rep").await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let account = app
        .request_as(
            Some(&token),
            Method::POST,
            "/api/v1/accounts",
            Some(&json!({"name": account, "country": "DE"})),
        )
        .await
        .expect(201);
    let contact = app
        .request_as(
            Some(&token),
            Method::POST,
            "/api/v1/contacts",
            Some(
                &json!({"first_name": "Ada", "last_name": "Lindqvist", "email": "ada@example.com",
                         "account_id": id_of(&account)}),
            ),
        )
        .await
        .expect(201);
    let deal = app
        .request_as(
            Some(&token),
            Method::POST,
            "/api/v1/deals",
            Some(
                &json!({"name": "Supply visibility", "account_id": id_of(&account),
                         "primary_contact_id": id_of(&contact), "owner_id": id}),
            ),
        )
        .await
        .expect(201);
    (email, password, id_of(&deal))
}

async fn signing_in_and_out_goes_through_the_session_cookie(app: &mut TestApp) {
    let (email, password, _) = rep_with_deal(app, "Brightwater").await;
    let mut browser = Browser::new(app);
    // Signed out, a page sends the browser to sign in and back.
    let page = browser.get("/deals?x=1").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=%2Fdeals%3Fx%3D1")
    );
    let wrong = browser.sign_in(&email, "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("role=\"alert\""), "{}", wrong.body);
    let signed = browser.sign_in(&email, &password).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location.as_deref(), Some("/deals"));
    let deals = browser.get("/deals").await;
    assert_eq!(deals.status, StatusCode::OK);
    assert!(deals.body.contains("Supply visibility"));
    // Only local places to go after signing in.
    browser.get("/login").await;
    let csrf = browser.csrf.clone();
    let away = browser
        .post(
            "/login",
            &[
                ("email", &email),
                ("password", &password),
                ("next", "//evil.example/x"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(away.location.as_deref(), Some("/deals"));
    // A new session means a new token: the page gives it.
    browser.get("/deals").await;
    let csrf = browser.csrf.clone();
    let out = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(browser.get("/deals").await.status, StatusCode::SEE_OTHER);
}

both_backends!(signing_in_and_out_goes_through_the_session_cookie);

async fn every_form_needs_its_csrf_token(app: &mut TestApp) {
    let (email, password, deal) = rep_with_deal(app, "Brightwater").await;
    let mut browser = Browser::new(app);
    // Even signing in.
    browser.get("/login").await;
    let page = browser
        .post("/login", &[("email", &email), ("password", &password)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    browser.sign_in(&email, &password).await;
    let path = format!("/deals/{deal}/activities");
    for token in [None, Some("0".repeat(64))] {
        let mut form = vec![("kind", "call"), ("subject", "Forged call")];
        if let Some(t) = &token {
            form.push(("csrf", t));
        }
        let page = browser.post(&path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(
            page.body.contains("did not come from dealdraft"),
            "{}",
            page.body
        );
    }
    let listed = app
        .fetch(&format!("/api/v1/activities?deal_id={deal}"))
        .await;
    assert_eq!(listed["items"], json!([]));
    // With it, the call is logged.
    browser.get(&format!("/deals/{deal}")).await;
    let csrf = browser.csrf.clone();
    let page = browser
        .post(
            &path,
            &[("kind", "call"), ("subject", "Real call"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let listed = app
        .fetch(&format!("/api/v1/activities?deal_id={deal}"))
        .await;
    assert_eq!(listed["items"][0]["subject"], "Real call");
}

both_backends!(every_form_needs_its_csrf_token);

async fn crm_text_is_text_on_every_page(app: &mut TestApp) {
    let hostile = "<script>alert(1)</script> & \"quotes\"";
    let (email, password, deal) = rep_with_deal(app, hostile).await;
    let mut browser = Browser::new(app);
    browser.sign_in(&email, &password).await;
    for path in [
        "/deals".to_owned(),
        format!("/deals/{deal}"),
        format!("/search?q={}", "%3Cscript%3E"),
        format!("/deals/{deal}/quote"),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        if !path.ends_with("/quote") {
            assert!(
                page.body
                    .contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
                "{path}: {}",
                page.body
            );
        }
        assert!(!page.body.contains("<script>alert"), "{path}");
        let csp = page.csp.expect("a content security policy");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        // No inline script at all: only this server's files.
        assert!(!page.body.contains("<script>"), "{path}");
    }
}

both_backends!(crm_text_is_text_on_every_page);

async fn other_roles_pages_and_unknown_pages_are_helpful(app: &mut TestApp) {
    let (email, password, deal) = rep_with_deal(app, "Brightwater").await;
    let mut browser = Browser::new(app);
    browser.sign_in(&email, &password).await;
    let page = browser.get("/approvals").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Not for your role"), "{}", page.body);
    assert!(page.body.contains("href=\"/deals\""));
    // Another rep's deal.
    let (other_email, other_password, _) = rep_with_deal(app, "Elsewhere").await;
    let mut other = Browser::new(app);
    other.sign_in(&other_email, &other_password).await;
    let csrf = other.csrf.clone();
    let page = other
        .post(
            &format!("/deals/{deal}/activities"),
            &[("kind", "note"), ("subject", "x"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let page = browser.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);
    let page = browser.get(&format!("/deals/{}", common::new_id())).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // The API keeps answering in JSON.
    let api = app.get("/api/v1/nothing").await;
    assert_eq!(api.status, 404);
    assert_eq!(api.body["error"]["code"], "not_found");
    // A manager reaches the approvals.
    let (_, manager_email, manager_password) = app.new_user("manager").await;
    let mut manager = Browser::new(app);
    manager.sign_in(&manager_email, &manager_password).await;
    assert_eq!(manager.get("/approvals").await.status, StatusCode::OK);
}

both_backends!(other_roles_pages_and_unknown_pages_are_helpful);

async fn a_blank_field_is_filled_in_place(app: &mut TestApp) {
    let (email, password, deal) = rep_with_deal(app, "Brightwater").await;
    app.create(
        "/api/v1/templates",
        json!({"key": "call-sheet", "kind": "proposal", "name": "Call sheet", "formats": ["pdf", "html"],
               "draft": "# {{ contact.name }}\n\nPhone: {{ contact.phone }}\n"}),
    )
    .await;
    let marketing = app.signed_in("marketing").await.1;
    app.request_as(
        Some(&marketing),
        Method::POST,
        "/api/v1/templates/call-sheet/publish",
        Some(&json!({})),
    )
    .await
    .expect(200);
    let mut browser = Browser::new(app);
    browser.sign_in(&email, &password).await;
    let page = browser
        .get(&format!("/deals/{deal}?template=call-sheet"))
        .await;
    assert!(page.body.contains("data-fill=\"phone\""), "{}", page.body);
    let contact = app.fetch(&format!("/api/v1/deals/{deal}")).await["primary_contact_id"]
        .as_str()
        .expect("a contact")
        .to_owned();
    let csrf = browser.csrf.clone();
    let saved = browser
        .post(
            &format!("/deals/{deal}/fill"),
            &[
                ("csrf", &csrf),
                ("entity", "contact"),
                ("id", &contact),
                ("field", "phone"),
                ("kind", "phone"),
                ("value", "+49 30 1234"),
                ("template", "call-sheet"),
                ("format", "pdf"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.fetch(&format!("/api/v1/contacts/{contact}")).await["phone"],
        "+49 30 1234"
    );
    let page = browser
        .get(&format!("/deals/{deal}?template=call-sheet"))
        .await;
    assert!(page.body.contains("Ready: every field"), "{}", page.body);
    // A bad value comes back on the deal page, naming the field.
    let csrf = browser.csrf.clone();
    let bad = browser
        .post(
            &format!("/deals/{deal}/fill"),
            &[
                ("csrf", &csrf),
                ("entity", "contact"),
                ("id", &contact),
                ("field", "email"),
                ("kind", "email"),
                ("value", "not an address"),
                ("template", "call-sheet"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"problem\""), "{}", bad.body);
    assert!(bad.body.contains("email"), "{}", bad.body);
    let _: Value = app.fetch(&format!("/api/v1/deals/{deal}")).await;
}

both_backends!(a_blank_field_is_filled_in_place);

async fn the_deal_page_warns_of_credit_remembers_answers_and_previews(app: &mut TestApp) {
    let (email, password, deal) = rep_with_deal(app, "Brightwater").await;
    app.create(
        "/api/v1/profile-questions",
        json!({"key": "pilot_wanted", "label": "Do they want a pilot first?", "kind": "bool",
               "applies_to": "deal"}),
    )
    .await;
    app.create(
        "/api/v1/profile-questions",
        json!({"key": "regions", "label": "Regions", "kind": "multi", "options": ["EU", "US"],
               "applies_to": "deal"}),
    )
    .await;
    let record = app.fetch(&format!("/api/v1/deals/{deal}")).await;
    let account = record["account_id"]
        .as_str()
        .expect("an account")
        .to_owned();
    let stored = app.fetch(&format!("/api/v1/accounts/{account}")).await;
    app.patch_json(
        &format!("/api/v1/accounts/{account}"),
        &json!({"credit_status": "hold", "credit_note": "Unpaid invoices since June",
                "version": stored["version"]}),
    )
    .await
    .expect(200);
    let mut browser = Browser::new(app);
    browser.sign_in(&email, &password).await;
    let page = browser.get(&format!("/deals/{deal}")).await;
    assert!(
        page.body.contains("class=\"credit credit-hold\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Unpaid invoices since June"));

    let csrf = browser.csrf.clone();
    let saved = browser
        .post(
            &format!("/deals/{deal}/answers"),
            &[
                ("csrf", &csrf),
                ("answer.pilot_wanted", "true"),
                ("answer.regions", "EU"),
                ("answer.regions", "US"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let answers = app.fetch(&format!("/api/v1/deals/{deal}/answers")).await;
    assert_eq!(answers["answers"]["pilot_wanted"]["value"], true);
    assert_eq!(answers["answers"]["regions"]["value"], json!(["EU", "US"]));
    let page = browser.get(&format!("/deals/{deal}")).await;
    assert!(
        page.body
            .contains("<option value=\"true\" selected>Yes</option>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"US\" checked"), "{}", page.body);

    // The preview is the document as HTML, blanks marked, kept nowhere,
    // framed only by this site.
    let preview = browser
        .get(&format!("/deals/{deal}/preview?template=brochure"))
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("DRAFT"), "{}", preview.body);
    let csp = preview.csp.expect("a policy");
    assert!(
        csp.contains("frame-ancestors 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(app.fetch("/api/v1/documents").await["items"], json!([]));
}

both_backends!(the_deal_page_warns_of_credit_remembers_answers_and_previews);

/// Every workspace page, and the roles it is for: the policy's table, as
/// a user meets it.
const WORKSPACES: &[(&str, &[&str])] = &[
    ("/deals", &["rep", "manager", "marketing", "legal", "admin"]),
    ("/approvals", &["manager", "admin"]),
    ("/forecast", &["rep", "manager", "admin"]),
    ("/templates", &["marketing", "admin"]),
    ("/themes", &["marketing", "admin"]),
    ("/questions", &["manager", "marketing", "admin"]),
    ("/clauses", &["marketing", "legal"]),
    ("/reviews", &["legal"]),
    ("/batches", &["rep", "manager", "marketing", "admin"]),
    ("/data", &["rep", "manager", "marketing", "legal", "admin"]),
    ("/admin/users", &["admin"]),
    ("/admin/settings", &["admin"]),
    ("/audit", &["manager", "legal", "admin"]),
];

/// Each role reaches its own workspaces and gets the 403 page on every
/// other; the menu offers exactly the pages that open.
async fn each_role_reaches_its_workspaces_and_no_other(app: &mut TestApp) {
    for role in ["rep", "manager", "marketing", "legal", "admin"] {
        let (_, email, password) = app.new_user(role).await;
        let mut browser = Browser::new(app);
        browser.sign_in(&email, &password).await;
        let menu = unescape(&browser.get("/deals").await.body);
        let menu = &menu[menu.find("<nav").expect("a menu")..menu.find("</nav>").expect("its end")];
        for (path, roles) in WORKSPACES {
            let page = browser.get(path).await;
            let allowed = roles.contains(&role);
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(page.status, expected, "{role} {path}");
            if !allowed {
                assert!(page.body.contains("Not for your role"), "{role} {path}");
            }
            assert_eq!(
                menu.contains(&format!("href=\"{path}\"")),
                allowed,
                "{role}'s menu and {path}"
            );
        }
    }
}

both_backends!(each_role_reaches_its_workspaces_and_no_other);

/// The post forms of `html`: their action and whether they send files.
fn post_forms(html: &str) -> Vec<(String, bool)> {
    let attribute = |tag: &str, name: &str| {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(unescape(tag[at..].split('"').next()?))
    };
    html.match_indices("<form")
        .filter_map(|(at, _)| {
            let tag = &html[at..at + html[at..].find('>')?];
            let post = attribute(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("post"));
            let multipart = attribute(tag, "enctype").is_some_and(|e| e.contains("multipart"));
            Some((attribute(tag, "action")?, multipart)).filter(|_| post)
        })
        .collect()
}

/// The pages one step into a workspace from its first page (an editor, a
/// clause, a user), a few of each.
fn inner_links(page: &Page, workspace: &str) -> Vec<String> {
    let inside = format!("{workspace}/");
    let mut links: Vec<String> = page
        .links()
        .into_iter()
        .filter(|link| link.starts_with(&inside))
        .collect();
    links.dedup();
    links.truncate(3);
    links
}

/// Every post form of every workspace, and of the pages one step in,
/// refuses a post without its CSRF token with the 403 page — before it
/// reads anything else, so nothing is written.
async fn every_workspace_form_needs_its_csrf_token(app: &mut TestApp) {
    // Something to open in each workspace.
    app.new_question("budget", "number", "deal").await;
    let (_, legal) = app.signed_in("legal").await;
    app.request_as(
        Some(&legal),
        Method::POST,
        "/api/v1/clauses",
        Some(&json!({"key": "warranty", "title": "Warranty", "category": "warranty"})),
    )
    .await
    .expect(201);
    let mut checked = 0;
    for role in ["manager", "marketing", "legal", "admin"] {
        let (_, email, password) = app.new_user(role).await;
        let mut browser = Browser::new(app);
        browser.sign_in(&email, &password).await;
        for (workspace, roles) in WORKSPACES {
            if !roles.contains(&role) {
                continue;
            }
            let first = browser.get(workspace).await;
            let mut pages = vec![first.body.clone()];
            for link in inner_links(&first, workspace) {
                pages.push(browser.get(&link).await.body);
            }
            for (action, multipart) in pages.iter().flat_map(|p| post_forms(p)) {
                let page = if multipart {
                    browser
                        .post_file(&action, "x.csv", b"a", &[("kind", "contacts")])
                        .await
                } else {
                    browser.post(&action, &[("name", "x")]).await
                };
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {action}");
                assert!(
                    page.body.contains("did not come from dealdraft"),
                    "{role} {action}: {}",
                    page.body
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} forms were found");
}

both_backends!(every_workspace_form_needs_its_csrf_token);

/// Every user changes their own password on `/account`: the current one
/// is asked, the new one twice; nothing typed into a password input is
/// ever sent back; the session the change is made from stays signed in
/// and every other one ends.
async fn a_user_changes_their_password_on_their_account_page(app: &mut TestApp) {
    let (_, email, password) = app.new_user("marketing").await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let mut browser = Browser::new(app);
    browser.sign_in(&email, &password).await;
    let page = browser.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&email), "{}", page.body);
    let csrf = browser.csrf.clone();
    let new = "a much longer passphrase";
    for (old, new_password, repeat, field) in [
        ("not my password", new, new, "old_password"),
        (
            password.as_str(),
            new,
            "a different one entirely",
            "repeat_password",
        ),
        (password.as_str(), "short", "short", "new_password"),
    ] {
        let page = browser
            .post(
                "/account/password",
                &[
                    ("old_password", old),
                    ("new_password", new_password),
                    ("repeat_password", repeat),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            page.body.contains(&format!("id=\"p-{field}\"")),
            "{field} is named beside its input: {}",
            page.body
        );
        for typed in [old, new_password, repeat] {
            assert!(!page.body.contains(typed), "{typed:?} was sent back");
        }
    }
    let forged = browser
        .post(
            "/account/password",
            &[
                ("old_password", &password),
                ("new_password", new),
                ("repeat_password", new),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Nothing was changed so far: the API session still works.
    app.request_as(Some(&token), Method::GET, "/api/v1/me", None)
        .await
        .expect(200);
    let page = browser
        .post(
            "/account/password",
            &[
                ("old_password", &password),
                ("new_password", new),
                ("repeat_password", new),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/account?notice=password"));
    let page = browser.get("/account?notice=password").await;
    assert_eq!(page.status, StatusCode::OK, "this session goes on");
    assert!(page.body.contains("Your password is changed"));
    let other = app
        .request_as(Some(&token), Method::GET, "/api/v1/me", None)
        .await;
    assert_eq!(other.status, 401, "the other session ended");
    assert_eq!(app.login(&email, &password).await.status, 401);
    app.login(&email, new).await.expect(200);
}

both_backends!(a_user_changes_their_password_on_their_account_page);
