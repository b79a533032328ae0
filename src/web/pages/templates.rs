//! Marketing's templates: the document templates and the content blocks
//! and layouts they include, with a form to create one; and the editor:
//! the source tried out live on a sample deal (`assets/web/editor.js`
//! over `POST /api/v1/templates/{key}/preview`), its problem shown at its
//! line, the sample's blank fields, saving, publishing and discarding the
//! draft, and the published versions with what changed in each.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::deals::every;
use super::form::{self, Posted};
use super::{PageError, Signed, view};
use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::auth::users::User;
use crate::clauses::diff;
use crate::crm;
use crate::crm::deals;
use crate::documents::tryout::{self, Tryout};
use crate::error::Error;
use crate::store::{Id, Store};
use crate::templates::store::{
    self as template_store, Template, TemplateFilter, TemplateKind, TemplateVersion,
};
use crate::web::AppState;

const NOTICES: &[(&str, &str)] = &[
    (
        "created",
        "Created. Write its source, save it, and publish it when it is ready.",
    ),
    (
        "saved",
        "Draft saved. Documents keep using the published version until you publish.",
    ),
    ("published", "Published: new documents use this version."),
    (
        "discarded",
        "Draft discarded: the editor shows the published version again.",
    ),
];

/// The kinds a new template may have, as the form offers them.
const KINDS: [TemplateKind; 7] = [
    TemplateKind::Proposal,
    TemplateKind::Quote,
    TemplateKind::Brochure,
    TemplateKind::Email,
    TemplateKind::Report,
    TemplateKind::Block,
    TemplateKind::Layout,
];

/// How many deals the editor offers as samples.
const SAMPLE_DEALS: u32 = 200;

/// Published versions listed on one page of the history.
const VERSIONS_PER_PAGE: usize = 20;

/// `GET /templates`: document templates apart from the blocks and layouts
/// they are made of.
pub async fn list(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<form::NoticeQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::WriteTemplates)?;
    let templates =
        every::<Template>(&store, &signed.actor, &TemplateFilter::default(), None).await?;
    let is_part = |t: &Value| {
        [TemplateKind::Block, TemplateKind::Layout]
            .iter()
            .any(|k| t["kind"] == k.as_str())
    };
    let (parts, documents): (Vec<Value>, Vec<Value>) = templates.into_iter().partition(is_part);
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.as_str()).collect();
    Ok(view::render(
        "templates.html",
        &json!({"me": signed.layout(), "current": "/templates", "kinds": kinds,
                "sections": [
                    {"id": "documents", "title": "Document templates", "items": documents},
                    {"id": "blocks", "title": "Content blocks and layouts", "items": parts},
                ],
                "notice": query.text(NOTICES)}),
    )?)
}

/// `POST /templates`: a new template or block, opened in the editor.
pub async fn create(form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteTemplates)?;
        let mut input = form.json(&["key", "name", "kind", "description"]);
        input["formats"] = json!(form.values("formats"));
        let source = typed_source(&form);
        input["draft"] = match source.trim() {
            "" => Value::Null,
            _ => source.into(),
        };
        let input = crate::input::from_json_value(input)?;
        let template = crm::create::<Template>(form.store(), form.actor(), input).await?;
        Ok(form::notice(
            &format!("/templates/{}", template.key),
            "created",
        ))
    }
    .await;
    Posted::answer(done)
}

/// The source a form sent, its line breaks as the editor's (browsers send
/// a textarea's as CRLF).
fn typed_source(form: &Posted) -> String {
    form.field("source")
        .unwrap_or_default()
        .replace("\r\n", "\n")
}

/// What the editor was asked to show.
#[derive(Debug, Default, Deserialize)]
pub struct EditorQuery {
    /// The sample deal's id; the most recently changed deal without it.
    deal: Option<String>,
    /// The number of a published version to compare with the one before.
    diff: Option<String>,
    /// The page of the version history, from 1.
    page: Option<String>,
    notice: Option<String>,
}

/// What a form sent back to the editor when it failed: the source as
/// typed, so nothing is lost, and the problem.
struct Unsaved<'a> {
    source: Option<String>,
    problem: &'a Error,
}

/// `GET /templates/{key}`: the editor.
pub async fn editor(
    State(state): State<AppState>,
    signed: Signed,
    Path(key): Path<String>,
    Query(query): Query<EditorQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::WriteTemplates)?;
    Ok(render_editor(&state.store, &signed, &key, &query, None).await?)
}

async fn render_editor(
    store: &Store,
    signed: &Signed,
    key: &str,
    query: &EditorQuery,
    unsaved: Option<Unsaved<'_>>,
) -> Result<Html<String>, Error> {
    let actor = &signed.actor;
    let template = template_store::by_key(store, key).await?;
    let versions = template_store::versions(store, actor, key).await?;
    let published = published_source(&template, &versions);
    let saved = saved_source(&template, &versions);
    let (source, problem) = match unsaved {
        Some(u) => (
            u.source.unwrap_or_else(|| saved.clone()),
            Some(super::describe(u.problem)),
        ),
        None => (saved.clone(), None),
    };
    let samples = deals::recently_updated(store, actor, SAMPLE_DEALS).await?;
    let chosen: Option<Id> = form::param("deal", query.deal.as_deref())?;
    let deal = chosen.or_else(|| samples.first().map(|d| d.id));
    let tried = match deal {
        Some(deal) => Some(tryout::try_source(store, actor, &template.key, &source, deal).await?),
        None => None,
    };
    let error_line = tried
        .as_ref()
        .and_then(|t| t.error.as_ref())
        .and_then(|e| e.line);
    let draft_diff = match (&template.draft, published) {
        (Some(draft), Some(published)) => Some(diff::lines(published, draft)),
        _ => None,
    };
    let history = history(store, actor, &versions, query).await?;
    let lines: Vec<usize> = (1..=source.split('\n').count()).collect();
    let notice = form::NoticeQuery {
        notice: query.notice.clone(),
    };
    view::render(
        "template_editor.html",
        &json!({
            "me": signed.layout(),
            "current": "/templates",
            "template": template,
            "source": source,
            "lines": lines,
            "error_line": error_line,
            "problem": problem,
            "samples": samples,
            "deal": deal,
            "tried": tried.as_ref().map(without_html),
            "draft_diff": draft_diff,
            "history": history,
            "notice": notice.text(NOTICES),
        }),
    )
}

/// The published version's source, if the template has one.
fn published_source<'a>(template: &Template, versions: &'a [TemplateVersion]) -> Option<&'a str> {
    versions
        .iter()
        .find(|v| Some(v.number) == template.published_version)
        .map(|v| v.source.as_str())
}

/// What the editor opens with: the draft, else the published version.
fn saved_source(template: &Template, versions: &[TemplateVersion]) -> String {
    template
        .draft
        .clone()
        .or_else(|| published_source(template, versions).map(str::to_owned))
        .unwrap_or_default()
}

/// The try-out for the page's panels; the document itself goes to the
/// frame.
fn without_html(tried: &Tryout) -> Value {
    json!({"error": tried.error, "missing": tried.missing})
}

/// One page of the published versions, newest first, with who published
/// each, and the changes of the version asked for against the one before.
async fn history(
    store: &Store,
    actor: &Actor,
    versions: &[TemplateVersion],
    query: &EditorQuery,
) -> Result<Value, Error> {
    let page = form::param::<usize>("page", query.page.as_deref())?
        .unwrap_or(1)
        .max(1);
    let shown: Vec<&TemplateVersion> = versions
        .iter()
        .skip((page - 1) * VERSIONS_PER_PAGE)
        .take(VERSIONS_PER_PAGE)
        .collect();
    let ids: Vec<Id> = shown.iter().map(|v| v.published_by).collect();
    let names = crm::names::<User>(store, actor, &ids).await?;
    let items: Vec<Value> = shown
        .iter()
        .map(|v| {
            json!({"number": v.number, "published_at": v.published_at,
                   "by": names.get(&v.published_by)})
        })
        .collect();
    let compared = match form::param::<i64>("diff", query.diff.as_deref())? {
        Some(number) => {
            let after = versions
                .iter()
                .find(|v| v.number == number)
                .ok_or_else(|| Error::NotFound(format!("there is no version {number}")))?;
            let before = versions.iter().find(|v| v.number == number - 1);
            let before_source = before.map_or("", |v| v.source.as_str());
            Some(json!({
                "number": number,
                "segments": diff::lines(before_source, &after.source),
            }))
        }
        None => None,
    };
    Ok(json!({
        "items": items,
        "page": page,
        "newer": page > 1,
        "older": versions.len() > page * VERSIONS_PER_PAGE,
        "compared": compared,
    }))
}

/// The editor again after a failed action, with its status, the source
/// as sent and the problem.
async fn failed(form: &Posted, key: &str, source: Option<String>, e: &Error) -> Response {
    let query = EditorQuery {
        deal: form.text("deal_id").map(str::to_owned),
        ..EditorQuery::default()
    };
    let unsaved = Unsaved { source, problem: e };
    let (status, _) = e.status_and_code();
    match render_editor(form.store(), &form.signed, key, &query, Some(unsaved)).await {
        Ok(page) => (status, page).into_response(),
        Err(_) => super::error_page(e),
    }
}

/// Where a form goes back to: the editor, on the sample deal it showed.
fn back(form: &Posted, key: &str, notice: &str) -> Response {
    let path = match form.text("deal_id") {
        Some(deal) if deal.parse::<Id>().is_ok() => format!("/templates/{key}?deal={deal}"),
        _ => format!("/templates/{key}"),
    };
    form::notice(&path, notice)
}

/// Sets the template's draft (`None` discards it), as
/// `PATCH /api/v1/templates/{id}` does.
async fn write_draft(form: &Posted, key: &str, draft: Option<&str>) -> Result<(), Error> {
    form.signed.require(Action::WriteTemplates)?;
    let version = form.version()?;
    let template = template_store::by_key(form.store(), key).await?;
    let mut patch = Map::new();
    patch.insert("draft".to_owned(), draft.map_or(Value::Null, Value::from));
    patch.insert("version".to_owned(), version.into());
    crm::update::<Template>(form.store(), form.actor(), template.meta.id, patch).await?;
    Ok(())
}

/// `POST /templates/{key}/draft`: saves the source as the draft.
pub async fn save(Path(key): Path<String>, form: Posted) -> Response {
    let source = typed_source(&form);
    match write_draft(&form, &key, Some(&source)).await {
        Ok(()) => back(&form, &key, "saved"),
        Err(e) => failed(&form, &key, Some(source), &e).await,
    }
}

/// `POST /templates/{key}/discard`: drops the draft; the published version
/// stays.
pub async fn discard(Path(key): Path<String>, form: Posted) -> Response {
    match write_draft(&form, &key, None).await {
        Ok(()) => back(&form, &key, "discarded"),
        Err(e) => failed(&form, &key, None, &e).await,
    }
}

/// `POST /templates/{key}/publish`: the saved draft becomes the next
/// version.
pub async fn publish(Path(key): Path<String>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteTemplates)?;
        template_store::publish(form.store(), form.actor(), &key).await
    }
    .await;
    match done {
        Ok(_) => back(&form, &key, "published"),
        Err(e) => failed(&form, &key, None, &e).await,
    }
}

/// The sample deal of the frame's address.
#[derive(Debug, Deserialize)]
pub struct SampleQuery {
    deal: Option<String>,
}

/// `GET /templates/{key}/preview?deal=`: the saved source as a draft
/// document for the deal, for the editor's frame.
pub async fn saved_preview(
    State(store): State<Store>,
    signed: Signed,
    Path(key): Path<String>,
    Query(sample): Query<SampleQuery>,
) -> Response {
    let done = async {
        signed.require(Action::WriteTemplates)?;
        let deal = form::param("deal", sample.deal.as_deref())?
            .ok_or_else(|| Error::bad_request("deal", "name the sample deal"))?;
        let template = template_store::by_key(&store, &key).await?;
        let versions = template_store::versions(&store, &signed.actor, &key).await?;
        let source = saved_source(&template, &versions);
        tryout::try_source(&store, &signed.actor, &key, &source, deal).await
    }
    .await;
    framed(done)
}

/// `POST /templates/{key}/preview`: the source as typed, unsaved, as a
/// draft document for the chosen deal: the editor's form sends it to its
/// frame (the Preview button, or the editor's script as the author types).
pub async fn typed_preview(Path(key): Path<String>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteTemplates)?;
        let deal = form::param("deal_id", form.text("deal_id"))?
            .ok_or_else(|| Error::invalid("deal_id", "choose a sample deal"))?;
        let source = typed_source(&form);
        tryout::try_source(form.store(), form.actor(), &key, &source, deal).await
    }
    .await;
    framed(done)
}

/// A try-out as the frame shows it: the document, or the problem with the
/// source in its place.
fn framed(tried: Result<Tryout, Error>) -> Response {
    let tried = match tried {
        Ok(tried) => tried,
        Err(e) => return super::error_page(&e),
    };
    match (tried.html, tried.error) {
        (Some(html), _) => view::document(html.into_bytes()),
        (None, error) => match view::render("template_problem.html", &json!({"error": error})) {
            Ok(Html(page)) => view::document(page.into_bytes()),
            Err(e) => super::error_page(&e),
        },
    }
}
