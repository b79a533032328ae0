//! The import & export page and the batch pages. Over HTTP on both
//! databases, as a browser without a script talks to them: an import is
//! previewed (nothing written) before it is committed, a file that cannot
//! be read is refused naming why, a batch's segment is checked against the
//! template before it starts, a batch is followed to its end, other roles
//! and other reps are refused, and no form works without its CSRF token.
//! In a real headless Chromium: an import previewed then committed by the
//! page's script, and a batch whose progress the page follows live until
//! its ZIP is downloaded. The pages are photographed for the README
//! (`docs/screenshots/`).

#[path = "tools/browser.rs"]
mod browser;
mod common;

use std::collections::BTreeSet;
use std::io::Cursor;
use std::time::{Duration, Instant};

use browser::{Browser, screenshot_path as screenshot};
use common::web::{Page, PageClient};
use common::{Backend, TestApp, both_backends, id_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CONTACTS: &str = "/api/v1/contacts";
const BATCHES: &str = "/api/v1/batches";

/// Three good contacts and, on line 3, one whose e-mail address is not
/// one; `Notes` is a column no field takes.
const CONTACTS_CSV: &str = "First Name,Last Name,E-mail Address,Company,Notes\n\
    Ada,Lindqvist,ada@olaf.example,St. Olaf Hospital,met at MedTech\n\
    Bruno,Okafor,not-an-address,Harbor Clinic,\n\
    Carla,Mendes,carla@harbor.example,Harbor Clinic,\n\
    Dmitri,Volkov,dmitri@fjord.example,Fjord Freight,call in May\n";

/// The e-mail addresses of the good rows.
fn good_emails() -> BTreeSet<String> {
    [
        "ada@olaf.example",
        "carla@harbor.example",
        "dmitri@fjord.example",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// A user of `role`: email, password and API token.
struct User {
    email: String,
    password: String,
    token: String,
}

async fn user(app: &TestApp, role: &str) -> User {
    let (_, email, password) = app.new_user(role).await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    User {
        email,
        password,
        token,
    }
}

/// A browser without a script, signed in as `user`.
async fn signed_in(app: &TestApp, user: &User) -> PageClient {
    let mut browser = PageClient::new(app);
    let page = browser.sign_in(&user.email, &user.password).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    browser
}

async fn emails(app: &TestApp) -> BTreeSet<String> {
    app.list_all(CONTACTS)
        .await
        .iter()
        .filter_map(|c| c["email"].as_str().map(str::to_owned))
        .collect()
}

/// The value of the hidden input `name` on `page`.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in {}", page.body))
        + marker.len();
    page.body[at..].chars().take_while(|c| *c != '"').collect()
}

/// Posts the import form with `file` as `file_name`, its token, and the
/// text fields.
async fn post_import(
    browser: &mut PageClient,
    file_name: &str,
    file: &[u8],
    fields: &[(&str, &str)],
) -> Page {
    let csrf = browser.csrf.clone();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser
        .post_file("/data/import", file_name, file, &all)
        .await
}

// ---- import and export without a script -------------------------------------

async fn an_import_is_previewed_before_anything_is_written(app: &mut TestApp) {
    let rep = user(app, "rep").await;
    let mut browser = signed_in(app, &rep).await;
    let page = browser.get("/data").await;
    assert_eq!(page.status, StatusCode::OK);
    for kind in ["accounts", "contacts", "deals"] {
        assert!(
            page.body
                .contains(&format!("href=\"/api/v1/exports/{kind}.csv\"")),
            "{}",
            page.body
        );
    }
    assert!(page.body.contains("id=\"import-form\""), "{}", page.body);
    // The export links work with the page's session.
    let export = browser.get("/api/v1/exports/contacts.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export.body.starts_with("id,") && export.body.contains("email"),
        "{}",
        export.body
    );

    let preview = post_import(
        &mut browser,
        "contacts.csv",
        CONTACTS_CSV.as_bytes(),
        &[("action", "preview"), ("kind", "")],
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains("Nothing has been written yet"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("<tr><td>3</td><td>email</td><td>"),
        "the bad row's line and field: {}",
        preview.body
    );
    assert!(
        preview.body.contains("Columns left out"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("Notes"), "{}", preview.body);
    assert!(
        preview
            .body
            .contains("<dd id=\"report-created\">3 contacts, 3 accounts</dd>"),
        "{}",
        preview.body
    );
    assert!(emails(app).await.is_empty(), "a preview wrote contacts");
    assert!(app.list_all("/api/v1/accounts").await.is_empty());
    let previewed = hidden(&preview, "previewed");
    assert_eq!(previewed.len(), 64, "{previewed}");

    // Imported as previewed, the bad row refuses it all.
    let refused = post_import(
        &mut browser,
        "contacts.csv",
        CONTACTS_CSV.as_bytes(),
        &[
            ("action", "import"),
            ("kind", ""),
            ("previewed", &previewed),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Nothing was written: 1 row cannot be imported"),
        "{}",
        refused.body
    );
    assert!(emails(app).await.is_empty());

    // Another file than the one previewed is only previewed.
    let other = CONTACTS_CSV.replace("Dmitri", "Dimitri");
    let instead = post_import(
        &mut browser,
        "contacts.csv",
        other.as_bytes(),
        &[
            ("action", "import"),
            ("kind", ""),
            ("skip_bad_rows", "true"),
            ("previewed", &previewed),
        ],
    )
    .await;
    assert_eq!(instead.status, StatusCode::OK);
    assert!(
        instead.body.contains("This is not the file"),
        "{}",
        instead.body
    );
    // So is the same file as another kind.
    let as_accounts = post_import(
        &mut browser,
        "contacts.csv",
        CONTACTS_CSV.as_bytes(),
        &[
            ("action", "import"),
            ("kind", "accounts"),
            ("skip_bad_rows", "true"),
            ("previewed", &previewed),
        ],
    )
    .await;
    assert!(
        as_accounts.body.contains("This is not the file"),
        "{}",
        as_accounts.body
    );
    assert!(emails(app).await.is_empty());
    assert!(app.list_all("/api/v1/accounts").await.is_empty());

    let imported = post_import(
        &mut browser,
        "contacts.csv",
        CONTACTS_CSV.as_bytes(),
        &[
            ("action", "import"),
            ("kind", ""),
            ("skip_bad_rows", "true"),
            ("previewed", &previewed),
        ],
    )
    .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert!(
        imported
            .body
            .contains("Imported: the records below are written."),
        "{}",
        imported.body
    );
    assert_eq!(emails(app).await, good_emails());
    let contacts = app.list_all(CONTACTS).await;
    assert_eq!(contacts.len(), 3);
    let me = app
        .request_as(Some(&rep.token), Method::GET, "/api/v1/me", None)
        .await
        .expect(200);
    assert!(
        contacts.iter().all(|c| c["owner_id"] == me["id"]),
        "the importer owns what is imported: {contacts:?}"
    );
}
both_backends!(an_import_is_previewed_before_anything_is_written);

async fn a_file_that_cannot_be_read_is_refused_naming_why(app: &mut TestApp) {
    let rep = user(app, "rep").await;
    let mut browser = signed_in(app, &rep).await;
    browser.get("/data").await;
    let latin1 = b"First Name,Last Name,Email\nAda,Lindqvist,ada@olaf.example\nJ\xfcrgen,M\xfcller,jm@example.com\n";
    let cases: [(&str, &[u8], &str, &str); 5] = [
        (
            "latin1.csv",
            latin1,
            "",
            "file: the file is not UTF-8 text (line 3)",
        ),
        ("", b"", "", "file: choose a CSV or vCard file to import"),
        ("empty.csv", b"\n", "", "file: the file is empty"),
        (
            "numbers.csv",
            b"Amount,Quarter\n12,Q1\n",
            "",
            "no column is one an import understands",
        ),
        (
            "contacts.csv",
            CONTACTS_CSV.as_bytes(),
            "people",
            "kind: choose contacts or accounts",
        ),
    ];
    for (name, file, kind, problem) in cases {
        for action in ["preview", "import"] {
            let page = post_import(
                &mut browser,
                name,
                file,
                &[
                    ("action", action),
                    ("kind", kind),
                    ("skip_bad_rows", "true"),
                ],
            )
            .await;
            assert_eq!(
                page.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}: {}",
                page.body
            );
            assert!(page.body.contains(problem), "{name}: {}", page.body);
            // The form is there to try again.
            assert!(page.body.contains("id=\"import-form\""), "{name}");
        }
    }
    assert!(emails(app).await.is_empty());
    // The API says the same of an empty file.
    let (content_type, body) = common::multipart("empty.csv", b"", &[("dry_run", "true")]);
    let res = app
        .send(
            app.anonymous(Method::POST, "/api/v1/imports")
                .bearer_auth(&rep.token)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body),
            Method::POST,
            "/api/v1/imports",
            None,
        )
        .await;
    res.assert_error(422, "validation_failed", &["file"]);
}
both_backends!(a_file_that_cannot_be_read_is_refused_naming_why);

// ---- batches without a script -----------------------------------------------

/// A brochure for one contact that needs their first name; `parts`
/// sections of text make each document take a while.
fn brochure(parts: usize) -> String {
    format!(
        "---\ntitle: Ward supplies for {{{{ account.name }}}}\n---\n\
         # Ward supplies for {{{{ account.name }}}}\n\n\
         Prepared for {{{{ contact.first_name }}}} {{{{ contact.last_name }}}}.\n\n\
         {{% for i in range(end={parts}) %}}\n## Part {{{{ i + 1 }}}}\n\n\
         Nurses should care for patients, not search for supplies. One live picture of \
         stock on every ward means shortages and expiring stock are dealt with before \
         anyone notices them, and every order is placed where it is cheapest.\n\n\
         {{% endfor %}}\n"
    )
}

/// The `ward-brochure` template (published by marketing), the
/// `hospitals` segment of contacts at healthcare accounts, and a contact
/// there for each of `names` owned by `owner` (a blank first name: not
/// ready). Returns the contacts' ids.
async fn hospitals(
    app: &TestApp,
    owner: &User,
    parts: usize,
    names: &[(&str, &str)],
) -> Vec<String> {
    let marketing = user(app, "marketing").await;
    for (path, body) in [
        (
            "/api/v1/templates",
            json!({"key": "ward-brochure", "kind": "brochure", "name": "Ward brochure",
                   "formats": ["pdf", "html"], "draft": brochure(parts)}),
        ),
        ("/api/v1/templates/ward-brochure/publish", json!({})),
    ] {
        app.request_as(Some(&marketing.token), Method::POST, path, Some(&body))
            .await
            .expect_success();
    }
    app.create(
        "/api/v1/segments",
        json!({"key": "hospitals", "name": "Hospitals", "subject": "contact",
               "rule": "account.industry == \"Healthcare\""}),
    )
    .await;
    let post = |path: &'static str, body: Value| async move {
        app.request_as(Some(&owner.token), Method::POST, path, Some(&body))
            .await
            .expect(201)
    };
    let olaf = post(
        "/api/v1/accounts",
        json!({"name": "St. Olaf Hospital", "industry": "Healthcare", "country": "DE"}),
    )
    .await;
    post(
        "/api/v1/accounts",
        json!({"name": "Fjord Freight", "industry": "Logistics", "country": "NO"}),
    )
    .await;
    let mut ids = Vec::new();
    for (first, last) in names {
        let mut body = json!({"last_name": last, "account_id": id_of(&olaf)});
        if !first.is_empty() {
            body["first_name"] = json!(first);
        }
        ids.push(id_of(&post(CONTACTS, body).await));
    }
    ids
}

/// The batch page of `path` once its batch has finished (fails after 60 s).
async fn finished(browser: &mut PageClient, path: &str) -> Page {
    let began = Instant::now();
    loop {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        if page.body.contains("data-status=\"finished\"") {
            return page;
        }
        assert!(
            page.body.contains("data-status=\"running\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("id=\"refresh\""), "{}", page.body);
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "not finished: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn a_batch_is_checked_started_and_followed_to_its_end(app: &mut TestApp) {
    let rep = user(app, "rep").await;
    hospitals(
        app,
        &rep,
        1,
        &[("Ada", "Lindqvist"), ("Carla", "Mendes"), ("", "Nakamura")],
    )
    .await;
    let mut browser = signed_in(app, &rep).await;
    let page = browser.get("/batches").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<option value=\"ward-brochure\">Ward brochure (html, pdf)</option>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<option value=\"hospitals\">Hospitals (contacts)</option>")
    );
    assert!(
        !page.body.contains("id=\"start-batch\""),
        "no start before a check"
    );
    assert!(page.body.contains("No batch yet."), "{}", page.body);

    // The check: as the API's summary says.
    let check = browser
        .get("/batches?template=ward-brochure&segment=hospitals&format=html")
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    let summary = app
        .request_as(
            Some(&rep.token),
            Method::GET,
            "/api/v1/segments/hospitals/summary?template=ward-brochure",
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        (summary["ready"].as_u64(), summary["not_ready"].as_u64()),
        (Some(2), Some(1))
    );
    let label = summary["missing"][0]["label"].as_str().expect("a label");
    for text in [
        "<h3>3 contacts in Hospitals</h3>",
        "2 ready</span>",
        "1 not ready</span>",
        &format!("{label} <span class=\"muted\">(contact)</span>: blank for 1 of 3"),
        "Start: 2 documents as HTML",
    ] {
        assert!(check.body.contains(text), "{text}: {}", check.body);
    }

    let csrf = browser.csrf.clone();
    let started = browser
        .post(
            "/batches",
            &[
                ("csrf", &csrf),
                ("template", "ward-brochure"),
                ("segment", "hospitals"),
                ("format", "html"),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let location = started.location.expect("to the batch");
    let listed = app.list_all(BATCHES).await;
    assert_eq!(listed.len(), 1);
    let id = id_of(&listed[0]);
    assert_eq!(location, format!("/batches/{id}?notice=started"));
    let page = browser.get(&location).await;
    assert!(page.body.contains("The batch has started"), "{}", page.body);

    let done = finished(&mut browser, &format!("/batches/{id}")).await;
    for text in [
        "<dd id=\"done\">2</dd>",
        "<dd id=\"skipped-count\">1</dd>",
        "<dd id=\"failed-count\">0</dd>",
        "<dd id=\"open\">0</dd>",
        "<progress id=\"bar\" max=\"3\" value=\"3\"",
        &format!("href=\"/api/v1/batches/{id}/archive\""),
        "Download the documents (ZIP)",
        "<strong>Nakamura</strong>",
        &format!("{label} (contact)"),
    ] {
        assert!(done.body.contains(text), "{text}: {}", done.body);
    }
    assert!(!done.body.contains("id=\"refresh\""));
    let list = browser.get("/batches").await;
    assert!(
        list.body.contains(&format!("href=\"/batches/{id}\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("2 of 3, 1 skipped"), "{}", list.body);
    let running = browser.get("/batches?status=running").await;
    assert!(
        running.body.contains("No batch running yet."),
        "{}",
        running.body
    );

    // Another rep's batch is refused as the API refuses it; no batch is
    // not found.
    let other = user(app, "rep").await;
    let mut theirs = signed_in(app, &other).await;
    let refused = theirs.get(&format!("/batches/{id}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    app.request_as(
        Some(&other.token),
        Method::GET,
        &format!("{BATCHES}/{id}"),
        None,
    )
    .await
    .assert_error(403, "forbidden", &[]);
    let missing = theirs.get(&format!("/batches/{}", common::new_id())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        !theirs.get("/batches").await.body.contains(&id),
        "a rep lists their own"
    );
    // A manager reads everyone's.
    let manager = user(app, "manager").await;
    let mut managing = signed_in(app, &manager).await;
    assert_eq!(
        managing.get(&format!("/batches/{id}")).await.status,
        StatusCode::OK
    );
}
both_backends!(a_batch_is_checked_started_and_followed_to_its_end);

async fn a_bad_batch_is_refused_naming_the_field(app: &mut TestApp) {
    let rep = user(app, "rep").await;
    hospitals(app, &rep, 1, &[("Ada", "Lindqvist")]).await;
    app.create(
        "/api/v1/segments",
        json!({"key": "miners", "name": "Miners", "subject": "contact",
               "rule": "account.industry == \"Mining\""}),
    )
    .await;
    let mut browser = signed_in(app, &rep).await;
    browser.get("/batches").await;
    let csrf = browser.csrf.clone();
    for (template, segment, format, problem) in [
        ("no-such-template", "hospitals", "pdf", "template: "),
        ("ward-brochure", "no-such-segment", "pdf", "segment: "),
        (
            "ward-brochure",
            "miners",
            "pdf",
            "segment: the segment `miners` holds no contacts",
        ),
        ("", "hospitals", "pdf", "template: choose a template"),
        ("ward-brochure", "", "pdf", "segment: choose a segment"),
        (
            "ward-brochure",
            "hospitals",
            "odt",
            "format: `odt` is not pdf, docx, html or eml",
        ),
        ("follow-up-email", "hospitals", "pdf", "format: "),
    ] {
        let page = browser
            .post(
                "/batches",
                &[
                    ("csrf", &csrf),
                    ("template", template),
                    ("segment", segment),
                    ("format", format),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{template} {segment} {format}: {}",
            page.body
        );
        assert!(page.body.contains("id=\"problem\""), "{}", page.body);
        assert!(page.body.contains(problem), "{problem}: {}", page.body);
        // The form is shown again as it was filled in.
        assert!(page.body.contains("id=\"check-form\""));
    }
    // The check names them too.
    let page = browser
        .get("/batches?template=no-such-template&segment=hospitals")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("template: "), "{}", page.body);
    let page = browser
        .get("/batches?template=ward-brochure&segment=nope")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("segment: "), "{}", page.body);
    assert!(
        app.list_all(BATCHES).await.is_empty(),
        "a refused batch was kept"
    );
}
both_backends!(a_bad_batch_is_refused_naming_the_field);

// ---- roles and tokens -------------------------------------------------------

async fn roles_get_their_part_of_these_pages(app: &mut TestApp) {
    let rep = user(app, "rep").await;
    hospitals(app, &rep, 1, &[("Ada", "Lindqvist")]).await;
    for role in ["marketing", "legal"] {
        let someone = user(app, role).await;
        let mut browser = signed_in(app, &someone).await;
        let page = browser.get("/data").await;
        assert_eq!(page.status, StatusCode::OK, "{role}");
        assert!(
            page.body.contains("href=\"/api/v1/exports/deals.csv\""),
            "{role}"
        );
        assert!(
            !page.body.contains("id=\"import-form\""),
            "{role}: {}",
            page.body
        );
        assert!(
            page.body
                .contains("Importing is for reps, managers and admins")
        );
        let refused = post_import(
            &mut browser,
            "contacts.csv",
            CONTACTS_CSV.as_bytes(),
            &[("action", "preview")],
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{role}: {}",
            refused.body
        );
        assert!(
            refused.body.contains("Not for your role"),
            "{}",
            refused.body
        );
    }
    assert_eq!(
        app.list_all(CONTACTS).await.len(),
        1,
        "only the rep's contact"
    );

    // Legal makes no batches and is not offered the page.
    let legal = user(app, "legal").await;
    let mut browser = signed_in(app, &legal).await;
    let page = browser.get("/batches").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let deals = browser.get("/deals").await;
    // The menu offers the one and not the other.
    assert!(!deals.body.contains(">Batches</a>"), "{}", deals.body);
    assert!(deals.body.contains(">Import &amp; export</a>"));
    let csrf = browser.csrf.clone();
    let page = browser
        .post(
            "/batches",
            &[
                ("csrf", &csrf),
                ("template", "ward-brochure"),
                ("segment", "hospitals"),
                ("format", "html"),
                ("draft", "true"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);

    // Marketing makes drafts only: the form says so and sends them.
    let marketing = user(app, "marketing").await;
    let mut browser = signed_in(app, &marketing).await;
    let check = browser
        .get("/batches?template=ward-brochure&segment=hospitals&format=html")
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(
        check.body.contains("your role makes drafts only"),
        "{}",
        check.body
    );
    assert!(
        check.body.contains("Start: 1 draft as HTML"),
        "{}",
        check.body
    );
    let csrf = browser.csrf.clone();
    let not_draft = browser
        .post(
            "/batches",
            &[
                ("csrf", &csrf),
                ("template", "ward-brochure"),
                ("segment", "hospitals"),
                ("format", "html"),
            ],
        )
        .await;
    assert_eq!(
        not_draft.status,
        StatusCode::FORBIDDEN,
        "{}",
        not_draft.body
    );
    assert!(app.list_all(BATCHES).await.is_empty());
    let drafts = browser
        .post(
            "/batches",
            &[
                ("csrf", &csrf),
                ("template", "ward-brochure"),
                ("segment", "hospitals"),
                ("format", "html"),
                ("draft", "true"),
            ],
        )
        .await;
    assert_eq!(drafts.status, StatusCode::SEE_OTHER, "{}", drafts.body);
    let listed = app.list_all(BATCHES).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["draft"], true);
}
both_backends!(roles_get_their_part_of_these_pages);

async fn every_form_here_needs_its_csrf_token(app: &mut TestApp) {
    let rep = user(app, "rep").await;
    hospitals(app, &rep, 1, &[("Ada", "Lindqvist")]).await;
    let before = app.list_all(CONTACTS).await.len();
    let mut browser = signed_in(app, &rep).await;
    browser.get("/data").await;
    // A fingerprint the page gave: only the token is missing.
    let preview = post_import(
        &mut browser,
        "contacts.csv",
        CONTACTS_CSV.as_bytes(),
        &[("action", "preview")],
    )
    .await;
    let previewed = hidden(&preview, "previewed");
    let forged = "0".repeat(64);
    for token in [None, Some(forged.as_str())] {
        let mut fields = vec![
            ("action", "import"),
            ("skip_bad_rows", "true"),
            ("previewed", previewed.as_str()),
        ];
        if let Some(t) = token {
            fields.push(("csrf", t));
        }
        let page = browser
            .post_file(
                "/data/import",
                "contacts.csv",
                CONTACTS_CSV.as_bytes(),
                &fields,
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{token:?}: {}",
            page.body
        );
        assert!(
            page.body.contains("did not come from dealdraft"),
            "{}",
            page.body
        );

        let mut form = vec![
            ("template", "ward-brochure"),
            ("segment", "hospitals"),
            ("format", "html"),
        ];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let page = browser.post("/batches", &form).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{token:?}: {}",
            page.body
        );
    }
    assert_eq!(
        app.list_all(CONTACTS).await.len(),
        before,
        "a forged import wrote"
    );
    assert!(
        app.list_all(BATCHES).await.is_empty(),
        "a forged batch started"
    );
    // With it, both work.
    browser.get("/data").await;
    let page = post_import(
        &mut browser,
        "contacts.csv",
        CONTACTS_CSV.as_bytes(),
        &[
            ("action", "import"),
            ("skip_bad_rows", "true"),
            ("previewed", &previewed),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(app.list_all(CONTACTS).await.len(), before + 3);
}
both_backends!(every_form_here_needs_its_csrf_token);

// ---- in a browser -----------------------------------------------------------

async fn sign_in(browser: &mut Browser, app: &TestApp, user: &User) {
    browser.goto(&app.url("/login")).await;
    browser.fill("#email", &user.email).await;
    browser.fill("#password", &user.password).await;
    browser.click("#sign-in").await;
    browser.wait_text("h1", |t| t.starts_with("My deals")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_previewed_then_committed_in_the_browser() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let rep = user(&app, "rep").await;
    let Some(mut browser) = Browser::start(1280, 900).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("trade-fair-contacts.csv");
    std::fs::write(&file, CONTACTS_CSV).expect("written");
    sign_in(&mut browser, &app, &rep).await;
    browser.click("nav a[href=\"/data\"]").await;
    browser.wait_text("h1", |t| t == "Import & export").await;
    assert_eq!(browser.attribute("#commit", "disabled").await, "true");

    browser.choose_file("#file", &file).await;
    browser.click("#preview").await;
    let status = browser
        .wait_text("#report-status", |t| {
            t.starts_with("Nothing has been written yet")
        })
        .await;
    assert!(status.contains("1 row cannot be imported"), "{status}");
    // The bad row's line and field.
    assert_eq!(browser.text("#report-errors td:nth-child(1)").await, "3");
    assert_eq!(
        browser.text("#report-errors td:nth-child(2)").await,
        "email"
    );
    assert_eq!(
        browser.text("#report-created").await,
        "3 contacts, 3 accounts"
    );
    assert!(browser.text("#report-ignored").await.contains("Notes"));
    assert!(emails(&app).await.is_empty(), "the preview wrote contacts");
    // The form's file and buttons, and the report under them.
    browser
        .js("document.getElementById('file').scrollIntoView(); return true")
        .await;
    browser.screenshot(&screenshot("workspace-import")).await;

    // The same file, chosen once, is imported with its bad row skipped.
    browser.click("#skip").await;
    browser.click("#commit").await;
    browser
        .wait_text("#report-status", |t| t.starts_with("Imported"))
        .await;
    assert_eq!(browser.text("#report-bad").await, "1");
    assert_eq!(browser.attribute("#commit", "disabled").await, "true");
    assert_eq!(emails(&app).await, good_emails());
    assert_eq!(app.list_all(CONTACTS).await.len(), 3);
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_followed_live_then_downloaded_in_the_browser() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let rep = user(&app, "rep").await;
    let mut names: Vec<(String, String)> = [
        "Ada Lindqvist",
        "Bruno Okafor",
        "Carla Mendes",
        "Dmitri Volkov",
        "Elif Yilmaz",
        "Farid Haddad",
        "Greta Nilsson",
        "Hugo Laurent",
        "Ines Castro",
        "Jonas Weber",
        "Kemi Adeyemi",
        "Lars Berg",
        "Maya Patel",
        "Nora Quinn",
        "Oscar Reyes",
        "Priya Shah",
        "Rafael Costa",
        "Sofia Moreau",
        "Tomas Novak",
    ]
    .iter()
    .map(|n| {
        let (first, last) = n.split_once(' ').expect("two names");
        (first.to_owned(), last.to_owned())
    })
    .collect();
    // Not ready: no first name.
    names.push((String::new(), "Nakamura".to_owned()));
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(f, l)| (f.as_str(), l.as_str()))
        .collect();
    hospitals(&app, &rep, 400, &names).await;
    let Some(mut browser) = Browser::start(1280, 900).await else {
        return;
    };
    sign_in(&mut browser, &app, &rep).await;
    browser.click("nav a[href=\"/batches\"]").await;
    browser.wait_text("h1", |t| t == "Batches").await;
    browser.fill("#template", "ward-brochure").await;
    browser.fill("#segment", "hospitals").await;
    browser.fill("#format", "pdf").await;
    browser.click("#check").await;
    browser
        .wait_text("#summary h3", |t| t == "20 contacts in Hospitals")
        .await;
    browser.click("#start-batch").await;
    browser.wait_text("#progress-h", |t| t == "Progress").await;
    // Marked, to tell a reload (which drops the mark) from a live update.
    browser.js("window.stillThisPage = true; return true").await;

    let began = Instant::now();
    let mut seen_running = Vec::new();
    loop {
        let status = browser.attribute("#progress", "data-status").await;
        let done: u64 = browser.text("#done").await.parse().expect("a count");
        if status == "finished" {
            break;
        }
        seen_running.push(done);
        assert!(
            began.elapsed() < Duration::from_secs(90),
            "the batch did not finish: {seen_running:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        seen_running.first().is_some_and(|d| *d < 19),
        "the batch ended before it could be watched: {seen_running:?}"
    );
    assert_eq!(
        browser.js("return window.stillThisPage === true").await,
        json!(true),
        "the page reloaded"
    );
    assert_eq!(browser.text("#done").await, "19");
    assert_eq!(browser.text("#skipped-count").await, "1");
    assert_eq!(browser.text("#open").await, "0");
    assert_eq!(browser.attribute("#bar", "value").await, "20");
    assert!(browser.text("#state").await.starts_with("Finished"));
    assert!(browser.text("#skipped-list").await.contains("Nakamura"));
    assert_eq!(
        browser.text("#archive").await,
        "Download the documents (ZIP)"
    );
    browser.screenshot(&screenshot("workspace-batch")).await;

    browser.click("#archive").await;
    let (name, bytes) = browser.download().await;
    assert!(name.starts_with("batch-ward-brochure-hospitals-"), "{name}");
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a ZIP");
    let files: Vec<String> = archive.file_names().map(str::to_owned).collect();
    assert_eq!(files.len(), 20, "19 brochures and batch.csv: {files:?}");
    assert_eq!(
        files.iter().filter(|f| f.ends_with(".pdf")).count(),
        19,
        "{files:?}"
    );
    browser.close().await;
    app.stop().await;
}
