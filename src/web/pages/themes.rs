//! Marketing's themes and images: the themes documents are laid out with,
//! each edited field by field (every save is a new theme version, kept for
//! the documents made with it), new ones copied from an existing one; and
//! the images templates and themes show, uploaded here and listed with
//! thumbnails.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::deals::every;
use super::form::{self, NoticeQuery, Posted};
use super::{PageError, Signed, csrf, view};
use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::auth::users::User;
use crate::brand::assets::{self, AssetFilter};
use crate::brand::themes::{self, StoredTheme, ThemeFilter, ThemeVersion};
use crate::crm::{self, ListParams};
use crate::error::Error;
use crate::store::{Id, Store};
use crate::web::extract::Upload;

const NOTICES: &[(&str, &str)] = &[
    ("created", "Theme created: change it below."),
    (
        "saved",
        "Saved as a new version: new documents use it; documents made before keep theirs.",
    ),
    (
        "uploaded",
        "Image uploaded: templates and themes that name it use this version from now on.",
    ),
];

/// A theme's colours, and what the form calls them.
const COLOURS: [(&str, &str); 6] = [
    ("text", "Text"),
    ("heading", "Headings"),
    ("accent", "Accent"),
    ("muted", "Header and footer"),
    ("on_accent", "Text on the accent"),
    ("shade", "Shading"),
];

/// Images listed on one page, and theme versions.
const PER_PAGE: u32 = 48;
const VERSIONS_PER_PAGE: usize = 20;

/// Which page of the images (and of a theme's versions) to show.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// The images from this cursor on.
    images: Option<String>,
    /// The page of a theme's versions, from 1.
    page: Option<String>,
    notice: Option<String>,
}

impl PageQuery {
    fn notice(&self) -> Option<&'static str> {
        NoticeQuery {
            notice: self.notice.clone(),
        }
        .text(NOTICES)
    }
}

/// `GET /themes`: the themes, a form to copy one, and the images.
pub async fn list(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::WriteTemplates)?;
    let themes = every::<StoredTheme>(&store, &signed.actor, &ThemeFilter::default(), None).await?;
    let images = images(&store, &signed.actor, query.images.clone()).await?;
    Ok(view::render(
        "themes.html",
        &json!({"me": signed.layout(), "current": "/themes", "themes": themes,
                "images": images, "notice": query.notice()}),
    )?)
}

/// One page of the uploaded images, oldest first, and where the next
/// page starts.
async fn images(store: &Store, actor: &Actor, cursor: Option<String>) -> Result<Value, Error> {
    let params = ListParams {
        limit: Some(PER_PAGE),
        cursor,
        ..ListParams::default()
    };
    let page = assets::list(store, actor, &params, &AssetFilter::default()).await?;
    let mut items: Vec<Value> =
        serde_json::from_str(&page.items).map_err(|e| Error::Internal(e.to_string()))?;
    let mut names: Vec<String> = Vec::new();
    for item in &mut items {
        let bytes = item["size_bytes"].as_u64().unwrap_or_default();
        item["kb"] = bytes.div_ceil(1024).into();
        if let Some(name) = item["name"].as_str()
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    Ok(json!({"items": items, "names": names, "next": page.next_cursor.map(|c| c.encode())}))
}

/// `POST /themes`: a new theme, a copy of an existing one under a new key
/// and name.
pub async fn create(form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteTemplates)?;
        let from = form
            .text("from")
            .ok_or_else(|| Error::invalid("from", "choose the theme to start from"))?;
        let mut theme = crm::by_key::<StoredTheme>(form.store(), from)
            .await?
            .theme
            .0;
        theme.name = form.text("name").unwrap_or_default().to_owned();
        let input = crate::input::from_json_value(json!({
            "key": form.text("key"),
            "theme": theme,
        }))?;
        let created = crm::create::<StoredTheme>(form.store(), form.actor(), input).await?;
        Ok(form::notice(&format!("/themes/{}", created.key), "created"))
    }
    .await;
    Posted::answer(done)
}

/// `GET /themes/{key}`: the theme's fields, its versions and the images.
pub async fn edit(
    State(store): State<Store>,
    signed: Signed,
    Path(key): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::WriteTemplates)?;
    let actor = &signed.actor;
    let theme = crm::by_key::<StoredTheme>(&store, &key).await?;
    let versions = themes::versions(&store, actor, theme.meta.id).await?;
    let page = form::param::<usize>("page", query.page.as_deref())?
        .unwrap_or(1)
        .max(1);
    let history = history(&store, actor, &versions, page).await?;
    let images = images(&store, actor, query.images.clone()).await?;
    Ok(view::render(
        "theme.html",
        &json!({
            "me": signed.layout(),
            "current": "/themes",
            "theme": theme,
            "history": history,
            "page": page,
            "newer": page > 1,
            "older": versions.len() > page * VERSIONS_PER_PAGE,
            "images": images,
            "colours": COLOURS.iter().map(|(field, label)| json!({"field": field, "label": label})).collect::<Vec<_>>(),
            "notice": query.notice(),
        }),
    )?)
}

/// A page of a theme's versions, newest first, with who saved each.
async fn history(
    store: &Store,
    actor: &Actor,
    versions: &[ThemeVersion],
    page: usize,
) -> Result<Value, Error> {
    let shown: Vec<&ThemeVersion> = versions
        .iter()
        .skip((page - 1) * VERSIONS_PER_PAGE)
        .take(VERSIONS_PER_PAGE)
        .collect();
    let ids: Vec<Id> = shown.iter().map(|v| v.saved_by).collect();
    let names = crm::names::<User>(store, actor, &ids).await?;
    Ok(shown
        .iter()
        .map(|v| {
            json!({"number": v.number, "saved_at": v.saved_at, "by": names.get(&v.saved_by),
                   "name": v.theme.0.name})
        })
        .collect())
}

/// `POST /themes/{key}`: saves the fields as the theme's next version.
pub async fn save(Path(key): Path<String>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteTemplates)?;
        let stored = crm::by_key::<StoredTheme>(form.store(), &key).await?;
        let version = form.version()?;
        let mut patch = Map::new();
        patch.insert("theme".to_owned(), theme_of(&form)?);
        patch.insert("version".to_owned(), version.into());
        crm::update::<StoredTheme>(form.store(), form.actor(), stored.meta.id, patch).await?;
        Ok(form::notice(&format!("/themes/{key}"), "saved"))
    }
    .await;
    Posted::answer(done)
}

/// The theme the form describes, as the domain reads it; a number that is
/// not one is named by its field.
fn theme_of(form: &Posted) -> Result<Value, Error> {
    let number = |field: &str| -> Result<Value, Error> {
        let text = form.text(field).unwrap_or_default();
        text.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| Error::invalid(format!("theme.{field}"), "must be a number"))
    };
    let text = |field: &str| form.text(field).map_or(Value::Null, Value::from);
    let group = |names: &[&str], prefix: &str, read: &dyn Fn(&str) -> Result<Value, Error>| {
        names
            .iter()
            .map(|name| Ok(((*name).to_owned(), read(&format!("{prefix}.{name}"))?)))
            .collect::<Result<Map<String, Value>, Error>>()
    };
    let as_text = |field: &str| Ok(text(field));
    Ok(json!({
        "name": form.text("name").unwrap_or_default(),
        "paper": text("paper"),
        "margins_mm": group(&["top", "right", "bottom", "left"], "margins_mm", &number)?,
        "fonts": group(&["body", "heading", "code"], "fonts", &as_text)?,
        "base_size_pt": number("base_size_pt")?,
        "justify": form.field("justify").is_some(),
        "colors": group(&COLOURS.map(|(field, _)| field), "colors", &as_text)?,
        "logo": text("logo"),
        "header": text("header"),
        "footer": text("footer"),
    }))
}

/// `POST /images`: an image uploaded as the next version of its name (a
/// multipart form with `file`, and `name` to name it otherwise than the
/// file; the same checks as `POST /api/v1/assets`).
pub async fn upload(
    State(store): State<Store>,
    signed: Signed,
    headers: HeaderMap,
    upload: Result<Upload, Error>,
) -> Response {
    let done = async {
        let mut upload = upload?;
        let mut field = |name: &str| upload.fields.remove(name).filter(|v| !v.trim().is_empty());
        // The form is checked before anything is kept.
        csrf::check(&headers, field("csrf").as_deref())?;
        signed.require(Action::WriteTemplates)?;
        let back = match field("theme").filter(|t| is_key(t)) {
            Some(theme) => format!("/themes/{theme}#images"),
            None => "/themes#images".to_owned(),
        };
        let name = field("name").or(upload.file_name).unwrap_or_default();
        assets::upload(&store, &signed.actor, &name, upload.file).await?;
        Ok(form::notice(&back, "uploaded"))
    }
    .await;
    Posted::answer(done)
}

/// Whether `text` can be a theme's key, so it can go in an address as it
/// is.
fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
