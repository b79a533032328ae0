//! Brand material over HTTP on both databases: the built-in themes and
//! logos a new workspace starts with; image uploads checked by content
//! and size, each a new version that never changes; themes validated,
//! versioned, and refused when their logo is not an uploaded asset.

mod common;

use common::{TestApp, both_backends, id_of, same_value};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

const ASSETS: &str = "/api/v1/assets";
const THEMES: &str = "/api/v1/themes";
const CLASSIC_LOGO: &[u8] = include_bytes!("../assets/themes/classic-logo.png");

/// A part of an upload: its name, file name (for a file) and bytes.
type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

/// A `multipart/form-data` body of `parts` (name, file name, bytes) and its
/// content type.
fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "dealdraft-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file_name {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, token: &str, parts: &[Part<'_>]) -> common::Res {
    let (content_type, body) = multipart(parts);
    let req = app
        .anonymous(Method::POST, ASSETS)
        .bearer_auth(token)
        .header(CONTENT_TYPE, content_type)
        .body(body);
    app.send(req, Method::POST, ASSETS, None).await
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 8) as u8, (y * 8) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("a JPEG is written");
    out.into_inner()
}

fn sha256_hex(bytes: &[u8]) -> String {
    dealdraft::digest::sha256_hex(bytes)
}

// ---- the built-ins -----------------------------------------------------------

async fn a_new_workspace_has_the_builtin_themes_and_their_logos(app: &mut TestApp) {
    let rep = app.signed_in("rep").await.1;
    let themes = app
        .request_as(Some(&rep), Method::GET, THEMES, None)
        .await
        .expect(200);
    let keys: Vec<&str> = themes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["classic", "modern"]);
    let classic = &themes["items"][0];
    assert_eq!(classic["theme"]["logo"], "classic-logo.png");
    assert_eq!(classic["theme"]["paper"], "a4");

    let logos = app
        .request_as(
            Some(&rep),
            Method::GET,
            &format!("{ASSETS}?name=classic-logo.png"),
            None,
        )
        .await
        .expect(200);
    let logo = &logos["items"][0];
    assert_eq!(logos["items"].as_array().unwrap().len(), 1);
    assert_eq!(logo["number"], 1);
    assert_eq!(logo["content_type"], "image/png");
    assert_eq!(logo["size_bytes"], CLASSIC_LOGO.len());
    assert_eq!(logo["sha256"], sha256_hex(CLASSIC_LOGO));
    let logo_file = app
        .download(&rep, &format!("{ASSETS}/{}/content", id_of(logo)))
        .await;
    assert_eq!(
        (logo_file.status, logo_file.content_type.as_str()),
        (200, "image/png")
    );
    assert_eq!(logo_file.bytes, CLASSIC_LOGO);

    // Seeded once: a restart adds nothing.
    app.restart().await;
    let again = app.fetch(ASSETS).await;
    assert_eq!(again["items"].as_array().unwrap().len(), 2, "{again}");
    assert_eq!(
        app.fetch(THEMES).await["items"].as_array().unwrap().len(),
        2
    );
}
both_backends!(a_new_workspace_has_the_builtin_themes_and_their_logos);

// ---- uploads -----------------------------------------------------------------

async fn uploads_are_checked_by_content_and_size_and_never_change(app: &mut TestApp) {
    let marketing = app.signed_in("marketing").await.1;
    let rep = app.signed_in("rep").await.1;

    // The file's own name names the asset; the same name again is version 2.
    let first = upload(
        app,
        &marketing,
        &[("file", Some("acme-logo.png"), CLASSIC_LOGO)],
    )
    .await
    .expect(201);
    assert_eq!(
        (first["name"].as_str(), first["number"].as_i64()),
        (Some("acme-logo.png"), Some(1))
    );
    assert!(first["width_px"].as_i64().unwrap() > 0);
    let photo = jpeg(40, 30);
    let second = upload(
        app,
        &marketing,
        &[
            ("name", None, b"acme-logo.png"),
            ("file", Some("whatever.bin"), &photo),
        ],
    )
    .await
    .expect(201);
    assert_eq!(second["number"], 2);
    assert_eq!(second["content_type"], "image/jpeg");
    assert_eq!(
        (second["width_px"].as_i64(), second["height_px"].as_i64()),
        (Some(40), Some(30))
    );
    let versions = app.fetch(&format!("{ASSETS}?name=acme-logo.png")).await;
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2]);
    // Version 1 still serves its own bytes.
    let first_file = app
        .download(&rep, &format!("{ASSETS}/{}/content", id_of(&first)))
        .await;
    assert_eq!(
        (
            first_file.content_type.as_str(),
            first_file.bytes.as_slice()
        ),
        ("image/png", CLASSIC_LOGO)
    );
    assert_eq!(
        app.request_as(
            Some(&rep),
            Method::GET,
            &format!("{ASSETS}/{}", id_of(&second)),
            None
        )
        .await
        .expect(200)["sha256"],
        sha256_hex(&photo)
    );

    // Uploaded versions never change and never go.
    for method in [Method::PATCH, Method::DELETE, Method::PUT] {
        app.request_as(
            Some(&marketing),
            method,
            &format!("{ASSETS}/{}", id_of(&first)),
            Some(&json!({"version": 1})),
        )
        .await
        .assert_error(405, "method_not_allowed", &[]);
    }

    // Refusals, each naming what is wrong.
    let truncated = &CLASSIC_LOGO[..CLASSIC_LOGO.len() / 2];
    let too_large = vec![0u8; 5 * 1024 * 1024 + 1];
    let cases: Vec<(Vec<Part>, u16, &str, &str)> = vec![
        (
            vec![("file", Some("notes.png"), b"just some text")],
            422,
            "validation_failed",
            "file",
        ),
        (
            vec![("file", Some("half.png"), truncated)],
            422,
            "validation_failed",
            "file",
        ),
        (
            vec![("name", None, b"no-file.png")],
            422,
            "validation_failed",
            "file",
        ),
        (
            vec![("file", Some("../../etc/logo.png"), CLASSIC_LOGO)],
            422,
            "validation_failed",
            "name",
        ),
        (
            vec![("file", None, CLASSIC_LOGO)],
            422,
            "validation_failed",
            "name",
        ),
        (
            vec![
                ("file", Some("a.png"), CLASSIC_LOGO),
                ("colour", None, b"red"),
            ],
            422,
            "validation_failed",
            "colour",
        ),
        (
            vec![("file", Some("huge.png"), &too_large)],
            413,
            "payload_too_large",
            "",
        ),
    ];
    for (parts, status, code, field) in cases {
        let fields: &[&str] = if field.is_empty() { &[] } else { &[field] };
        upload(app, &marketing, &parts)
            .await
            .assert_error(status, code, fields);
    }
    app.request_as(
        Some(&marketing),
        Method::POST,
        ASSETS,
        Some(&json!({"file": "x"})),
    )
    .await
    .assert_error(415, "unsupported_media_type", &[]);
    // Only marketing and admins upload.
    upload(app, &rep, &[("file", Some("rep.png"), CLASSIC_LOGO)])
        .await
        .assert_error(403, "forbidden", &[]);
    // Nothing refused was kept.
    assert_eq!(
        app.fetch(ASSETS).await["items"].as_array().unwrap().len(),
        4
    );
}
both_backends!(uploads_are_checked_by_content_and_size_and_never_change);

// ---- themes ------------------------------------------------------------------

async fn create_theme(app: &TestApp, token: &str, body: Value) -> common::Res {
    app.request_as(Some(token), Method::POST, THEMES, Some(&body))
        .await
}

fn acme_theme() -> Value {
    json!({
        "name": "Acme",
        "paper": "a4",
        "margins_mm": {"top": 20, "right": 18, "bottom": 20, "left": 18},
        "fonts": {"body": "sans", "heading": "serif", "code": "mono"},
        "base_size_pt": 10.5,
        "justify": false,
        "colors": {"text": "#222222", "heading": "#0b3d91", "accent": "#fc3d21",
                   "muted": "#666666", "on_accent": "#ffffff", "shade": "#f2f2f2"},
        "logo": "acme-mark.png",
        "header": "{title}",
        "footer": "Page {page} of {pages}"
    })
}

async fn themes_are_validated_versioned_and_need_their_logo(app: &mut TestApp) {
    let marketing = app.signed_in("marketing").await.1;
    let rep = app.signed_in("rep").await.1;
    let app: &TestApp = app;

    // The logo must be an uploaded asset.
    create_theme(
        app,
        &marketing,
        json!({"key": "acme", "theme": acme_theme()}),
    )
    .await
    .assert_error(422, "validation_failed", &["theme.logo"]);
    upload(
        app,
        &marketing,
        &[("file", Some("acme-mark.png"), CLASSIC_LOGO)],
    )
    .await
    .expect(201);

    // Every problem named by its path.
    let mut bad = acme_theme();
    bad["colors"]["accent"] = json!("orange");
    bad["margins_mm"]["left"] = json!(150);
    create_theme(app, &marketing, json!({"key": "acme", "theme": bad}))
        .await
        .assert_error(
            422,
            "validation_failed",
            &["theme.colors.accent", "theme.margins_mm.left"],
        );
    let mut unknown = acme_theme();
    unknown["colours"] = json!({});
    create_theme(app, &marketing, json!({"key": "acme", "theme": unknown}))
        .await
        .assert_error(422, "validation_failed", &["theme.colours"]);
    create_theme(
        app,
        &marketing,
        json!({"key": "Acme Theme", "theme": acme_theme()}),
    )
    .await
    .assert_error(422, "validation_failed", &["key"]);
    create_theme(app, &marketing, json!({"key": "acme"}))
        .await
        .assert_error(422, "validation_failed", &["theme"]);
    create_theme(app, &rep, json!({"key": "acme", "theme": acme_theme()}))
        .await
        .assert_error(403, "forbidden", &[]);

    let theme = create_theme(
        app,
        &marketing,
        json!({"key": "acme", "theme": acme_theme()}),
    )
    .await
    .expect(201);
    assert!(same_value(&acme_theme(), &theme["theme"]), "{theme}");
    create_theme(
        app,
        &marketing,
        json!({"key": "acme", "theme": acme_theme()}),
    )
    .await
    .assert_error(409, "conflict", &["key"]);

    // Each save is a version; earlier versions stay as they were.
    let path = format!("{THEMES}/{}", id_of(&theme));
    let mut darker = acme_theme();
    darker["colors"]["accent"] = json!("#a01010");
    let patched = app
        .request_as(
            Some(&marketing),
            Method::PATCH,
            &path,
            Some(&json!({"theme": darker, "version": 1})),
        )
        .await
        .expect(200);
    assert_eq!(patched["version"], 2);
    app.request_as(
        Some(&marketing),
        Method::PATCH,
        &path,
        Some(&json!({"key": "other", "version": 2})),
    )
    .await
    .assert_error(422, "validation_failed", &["key"]);
    app.request_as(
        Some(&rep),
        Method::PATCH,
        &path,
        Some(&json!({"theme": acme_theme(), "version": 2})),
    )
    .await
    .assert_error(403, "forbidden", &[]);
    let versions = app
        .request_as(Some(&rep), Method::GET, &format!("{path}/versions"), None)
        .await
        .expect(200);
    let items = versions["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|v| v["number"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(items[0]["theme"]["colors"]["accent"], "#a01010");
    assert!(same_value(&acme_theme(), &items[1]["theme"]), "{versions}");

    // Changes are audited; a theme may be deleted.
    let audit = app
        .fetch(&format!(
            "/api/v1/audit?entity=theme&entity_id={}",
            id_of(&theme)
        ))
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");
    app.request_as(Some(&marketing), Method::DELETE, &path, None)
        .await
        .expect(204);
    app.request_as(Some(&marketing), Method::GET, &path, None)
        .await
        .assert_error(404, "not_found", &[]);
}
both_backends!(themes_are_validated_versioned_and_need_their_logo);
