//! The deal page: the deal's data (credit status up front), its contacts,
//! activities with a quick log form, profiling questions, and the document
//! panel: a template and format picker, the readiness checklist whose
//! blank fields are filled right there, a preview, the big generate
//! button, sending, and the documents made so far.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::deals::{every, money};
use super::form::{self, Fields, field, values_of};
use super::{PageError, Signed, view};
use crate::auth::users::User;
use crate::context::Subject;
use crate::context::readiness;
use crate::crm::accounts::Account;
use crate::crm::activities::{Activity, ActivityFilter};
use crate::crm::contacts::Contact;
use crate::crm::deals::Deal;
use crate::crm::profiling::{self, Question, QuestionFilter, Subject as AnswerSubject};
use crate::crm::{self, ListParams, Permission, deal_contacts};
use crate::documents::generate::{self, GenerateRequest};
use crate::documents::{self, DocumentFilter, DocumentFormat, send};
use crate::error::Error;
use crate::quotes::{self, QuoteFilter};
use crate::settings;
use crate::store::Id;
use crate::templates::store::{Template, TemplateFilter};
use crate::web::AppState;

/// Which document the panel is about.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Choice {
    template: Option<String>,
    format: Option<String>,
    notice: Option<String>,
}

impl Choice {
    fn template(&self) -> &str {
        self.template
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("proposal")
    }

    fn format(&self) -> &str {
        self.format
            .as_deref()
            .filter(|f| !f.is_empty())
            .unwrap_or("pdf")
    }

    /// The deal page showing this choice, at `section`.
    fn back(&self, deal: Id, section: &str) -> String {
        let query =
            serde_urlencoded::to_string([("template", self.template()), ("format", self.format())])
                .unwrap_or_default();
        format!("/deals/{deal}?{query}#{section}")
    }
}

/// `GET /deals/{id}`.
pub async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Id>,
    Query(choice): Query<Choice>,
) -> Result<Html<String>, PageError> {
    render(&state, &signed, id, &choice, None).await
}

/// The page, with `problem` shown over the document panel when an action
/// failed.
async fn render(
    state: &AppState,
    signed: &Signed,
    id: Id,
    choice: &Choice,
    problem: Option<&Error>,
) -> Result<Html<String>, PageError> {
    let store = &state.store;
    let actor = &signed.actor;
    let deal_record = crm::get_checked::<Deal>(store, actor, id).await?;
    let mut deal = to_value(&deal_record)?;
    deal["money"] = money(&deal["amount"], &deal["currency"]).into();
    let account = to_value(&crm::get::<Account>(store, deal_record.account_id).await?)?;
    let roles = deal_contacts::list(store, actor, id).await?;
    // The primary contact is shown even when no role names it.
    let primary = match deal_record.primary_contact_id {
        Some(p) if !roles.iter().any(|r| r.contact_id == p) => {
            Some(to_value(&crm::get::<Contact>(store, p).await?)?)
        }
        _ => None,
    };
    let contacts = to_value(&roles)?;
    let mut activities = every::<Activity>(
        store,
        actor,
        &ActivityFilter {
            deal_id: Some(id),
            ..ActivityFilter::default()
        },
        None,
    )
    .await?;
    activities.reverse();
    activities.truncate(10);
    for a in &mut activities {
        a["day"] = a["occurred_at"]
            .as_str()
            .map(|t| t.chars().take(10).collect::<String>())
            .into();
    }
    let questions = questions_with_answers(state, signed, id).await?;

    let templates: Vec<Value> = every::<Template>(store, actor, &TemplateFilter::default(), None)
        .await?
        .into_iter()
        .filter(|t| {
            t["published_version"].is_number()
                && !matches!(t["kind"].as_str(), Some("block" | "layout" | "email"))
        })
        .collect();
    let chosen = templates
        .iter()
        .find(|t| t["key"] == choice.template())
        .cloned();
    let readiness = match &chosen {
        Some(_) => Some(to_value(
            &readiness::check(store, actor, Subject::Deal(id), choice.template()).await?,
        )?),
        None => None,
    };
    let quote_list = quotes::list(
        store,
        actor,
        &ListParams::default(),
        &QuoteFilter {
            deal_id: Some(id),
            ..QuoteFilter::default()
        },
    )
    .await?;
    let mut quotes: Vec<Value> =
        serde_json::from_str(&quote_list.items).map_err(|e| Error::Internal(e.to_string()))?;
    for q in &mut quotes {
        q["money"] = money(&q["totals"]["total"], &q["currency"]).into();
    }
    quotes.reverse();
    // Roles that do not read documents see the panel without the list.
    let documents = match documents::list(
        store,
        actor,
        &ListParams::default(),
        &DocumentFilter {
            deal_id: Some(id),
            ..DocumentFilter::default()
        },
    )
    .await
    {
        Ok(page) => {
            let mut listed: Vec<Value> =
                serde_json::from_str(&page.items).map_err(|e| Error::Internal(e.to_string()))?;
            listed.reverse();
            for d in &mut listed {
                let sent = match d["id"].as_str().and_then(|i| i.parse().ok()) {
                    Some(doc) => send::list(store, actor, doc)
                        .await?
                        .into_iter()
                        .filter(|s| s.status.as_str() == "sent")
                        .map(|s| json!({"to": s.to_email, "at": s.meta.created_at}))
                        .collect(),
                    None => Vec::new(),
                };
                d["sent"] = Value::Array(sent);
                d["when"] = d["created_at"]
                    .as_str()
                    .map(|t| t.chars().take(16).collect::<String>().replace('T', " "))
                    .into();
            }
            listed
        }
        Err(Error::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let problem = problem.map(|e| {
        let (status, code) = e.status_and_code();
        json!({"status": status.as_u16(), "code": code, "message": super::describe(e)})
    });
    let notice = match choice.notice.as_deref() {
        Some("sent") => Some("The document was sent."),
        Some("logged") => Some("Logged."),
        Some("saved") => Some("Saved."),
        _ => None,
    };
    Ok(view::render(
        "deal.html",
        &json!({
            "me": signed.layout(),
            "deal": deal,
            "account": account,
            "contacts": contacts,
            "primary": primary,
            "activities": activities,
            "questions": questions,
            "templates": templates,
            "chosen": chosen,
            "template": choice.template(),
            "format": choice.format(),
            "formats": chosen.as_ref().map_or(Value::Null, |t| t["formats"].clone()),
            "readiness": readiness,
            "quotes": quotes,
            "documents": documents,
            "problem": problem,
            "notice": notice,
        }),
    )?)
}

fn to_value(v: &impl serde::Serialize) -> Result<Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// The deal's active profiling questions, each with its answer.
async fn questions_with_answers(
    state: &AppState,
    signed: &Signed,
    id: Id,
) -> Result<Vec<Value>, Error> {
    let filter = QuestionFilter {
        applies_to: Some(AnswerSubject::Deal),
        active: Some(true),
    };
    let answers = profiling::answers(&state.store, &signed.actor, AnswerSubject::Deal, id).await?;
    Ok(
        every::<Question>(&state.store, &signed.actor, &filter, None)
            .await?
            .into_iter()
            .map(|mut q| {
                let key = q["key"].as_str().unwrap_or_default().to_owned();
                q["answer"] = answers
                    .answers
                    .get(&key)
                    .map_or(Value::Null, |a| a.value.clone());
                q
            })
            .collect(),
    )
}

fn choice_of(fields: &Fields) -> Choice {
    Choice {
        template: field(fields, "template").map(str::to_owned),
        format: field(fields, "format").map(str::to_owned),
        notice: None,
    }
}

/// The JSON value of an answer or field of `kind` from the form's `values`
/// (several for a multi-choice); an empty answer clears.
fn typed(kind: &str, values: &[&str]) -> Value {
    let first = values.first().map(|v| v.trim()).unwrap_or_default();
    match kind {
        "multi" => {
            let chosen: Vec<Value> = values
                .iter()
                .filter(|v| !v.is_empty())
                .map(|v| json!(v))
                .collect();
            if chosen.is_empty() {
                Value::Null
            } else {
                Value::Array(chosen)
            }
        }
        _ if first.is_empty() => Value::Null,
        "bool" => match first {
            "true" => json!(true),
            "false" => json!(false),
            other => json!(other),
        },
        // A number the form could not read goes on as text, for the
        // validation to name.
        "number" => first
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| first.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| json!(first)),
        _ => json!(first),
    }
}

/// What a failed form action shows: the deal page with the problem, or a
/// page of its own when even the deal cannot be shown.
async fn failed(state: &AppState, signed: &Signed, id: Id, choice: &Choice, e: Error) -> Response {
    let (status, _) = e.status_and_code();
    match render(state, signed, id, choice, Some(&e)).await {
        Ok(page) => (status, page).into_response(),
        Err(page) => page.into_response(),
    }
}

/// A form posted from the deal page, its CSRF token checked: who sent it,
/// the id in its path, its fields, and the document choice to return to.
pub struct Posted {
    state: AppState,
    signed: Signed,
    id: Id,
    fields: Fields,
    choice: Choice,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(id) = Path::<Id>::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| super::not_found())?;
        let form::Posted {
            state,
            signed,
            fields,
        } = form::Posted::from_request(Request::from_parts(parts, body), state).await?;
        let choice = choice_of(&fields);
        Ok(Posted {
            state,
            signed,
            id,
            fields,
            choice,
        })
    }
}

impl Posted {
    fn field(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }

    /// `done` as the answer, or the deal page `deal` showing why not.
    async fn answer(&self, deal: Id, done: Result<Response, Error>) -> Response {
        match done {
            Ok(response) => response,
            Err(e) => failed(&self.state, &self.signed, deal, &self.choice, e).await,
        }
    }
}

/// `POST /deals/{id}/activities`: logs a call, meeting or note.
pub async fn log_activity(p: Posted) -> Response {
    let done = async {
        let input = crate::input::from_json_value(json!({
            "kind": p.field("kind"),
            "subject": p.field("subject"),
            "body": p.field("body").filter(|b| !b.trim().is_empty()),
            "deal_id": p.id,
        }))?;
        crm::create::<Activity>(&p.state.store, &p.signed.actor, input).await?;
        Ok(form::notice(&p.choice.back(p.id, "activities"), "logged"))
    }
    .await;
    p.answer(p.id, done).await
}

/// `POST /deals/{id}/answers`: the profiling form, all questions at once.
pub async fn save_answers(p: Posted) -> Response {
    let done = async {
        let mut changes = Map::new();
        for question in questions_with_answers(&p.state, &p.signed, p.id).await? {
            let key = question["key"].as_str().unwrap_or_default();
            let name = format!("answer.{key}");
            let values = values_of(&p.fields, &name);
            let value = typed(question["kind"].as_str().unwrap_or("text"), &values);
            if value != question["answer"] {
                changes.insert(key.to_owned(), value);
            }
        }
        if !changes.is_empty() {
            let (store, actor) = (&p.state.store, &p.signed.actor);
            profiling::put_answers(store, actor, AnswerSubject::Deal, p.id, changes).await?;
        }
        Ok(form::notice(&p.choice.back(p.id, "profile"), "saved"))
    }
    .await;
    p.answer(p.id, done).await
}

/// Every value the form gave for `name` (several for check boxes).
/// `POST /deals/{id}/fill`: one blank field named by the readiness
/// checklist, written where it lives (the deal, its account or contact,
/// the rep's profile, or an answer).
pub async fn fill(p: Posted) -> Response {
    let done = async {
        let name = p.field("field").unwrap_or_default();
        let value = typed(
            p.field("kind").unwrap_or("text"),
            &values_of(&p.fields, "value"),
        );
        if value.is_null() {
            return Err(Error::invalid(name, "fill it in first"));
        }
        let entity = p.field("entity").unwrap_or_default();
        let record = p.field("id").and_then(|r| r.parse::<Id>().ok());
        write_field(&p.state, &p.signed, entity, record, name, value).await?;
        Ok(Redirect::to(&p.choice.back(p.id, "readiness")).into_response())
    }
    .await;
    p.answer(p.id, done).await
}

async fn write_field(
    state: &AppState,
    signed: &Signed,
    entity: &str,
    record: Option<Id>,
    name: &str,
    value: Value,
) -> Result<(), Error> {
    let store = &state.store;
    let actor = &signed.actor;
    if let Some(key) = name.strip_prefix("answers.") {
        let subject = match entity {
            "deal" => AnswerSubject::Deal,
            "account" => AnswerSubject::Account,
            "contact" => AnswerSubject::Contact,
            other => return Err(Error::invalid("entity", format!("{other} has no answers"))),
        };
        let record = record.ok_or_else(|| Error::invalid("id", "missing"))?;
        let mut changes = Map::new();
        changes.insert(key.to_owned(), value);
        profiling::put_answers(store, actor, subject, record, changes).await?;
        return Ok(());
    }
    let patch = |version: i64| {
        let mut patch = Map::new();
        patch.insert(name.to_owned(), value.clone());
        patch.insert("version".to_owned(), version.into());
        patch
    };
    match (entity, record) {
        ("deal", Some(r)) => {
            let version = crm::get::<Deal>(store, r).await?.meta.version;
            crm::update::<Deal>(store, actor, r, patch(version)).await?;
        }
        ("account", Some(r)) => {
            let version = crm::get::<Account>(store, r).await?.meta.version;
            crm::update::<Account>(store, actor, r, patch(version)).await?;
        }
        ("contact", Some(r)) => {
            let version = crm::get::<Contact>(store, r).await?.meta.version;
            crm::update::<Contact>(store, actor, r, patch(version)).await?;
        }
        ("user", Some(r)) if r == actor.user_id && matches!(name, "name" | "title" | "phone") => {
            let version = crm::get::<User>(store, r).await?.meta.version;
            crm::update_with::<User>(store, actor, r, patch(version), Permission::OwnProfile)
                .await?;
        }
        ("user", Some(r)) => {
            let version = crm::get::<User>(store, r).await?.meta.version;
            crm::update::<User>(store, actor, r, patch(version)).await?;
        }
        ("settings", _) => {
            let company_field = name.strip_prefix("company.").unwrap_or(name);
            let current = settings::get(store).await?;
            let mut company = Map::new();
            company.insert(company_field.to_owned(), value.clone());
            let mut change = Map::new();
            change.insert("company".to_owned(), Value::Object(company));
            change.insert("version".to_owned(), current.version.into());
            settings::update(store, actor, change).await?;
        }
        (other, _) => {
            return Err(Error::invalid(
                "entity",
                format!("`{other}` cannot be filled here"),
            ));
        }
    }
    Ok(())
}

/// `GET /deals/{id}/preview`: the chosen document as HTML, a draft kept
/// nowhere, shown in a frame of the deal page.
pub async fn preview(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Id>,
    Query(choice): Query<Choice>,
) -> Response {
    let request = GenerateRequest::new(
        choice.template().to_owned(),
        Subject::Deal(id),
        DocumentFormat::Html,
        true,
    );
    match generate::preview(&state.store, &signed.actor, request).await {
        Ok(html) => view::document(html),
        Err(e) => super::error_page(&e),
    }
}

/// `POST /deals/{id}/generate`: the big button. The document is made,
/// kept and downloaded; a deal that is not ready shows what is missing.
pub async fn generate(p: Posted) -> Response {
    let done = async {
        let (store, actor) = (&p.state.store, &p.signed.actor);
        let format: DocumentFormat = crate::input::from_json_value(json!(p.choice.format()))?;
        let template = p.choice.template().to_owned();
        let mut request = GenerateRequest::new(template, Subject::Deal(p.id), format, false);
        request.quote_id = p.field("quote_id").and_then(|q| q.parse().ok());
        let document = generate::generate(store, actor, request).await?;
        super::download(store, actor, document.meta.id).await
    }
    .await;
    p.answer(p.id, done).await
}

/// `POST /documents/{id}/send`: e-mails a document to its contact, back
/// on the deal page it was sent from.
pub async fn send(p: Posted) -> Response {
    let Some(deal) = p.field("deal").and_then(|d| d.parse::<Id>().ok()) else {
        return super::error_page(&Error::invalid(
            "deal",
            "the page this came from is unknown",
        ));
    };
    let done = async {
        let credentials = p.state.options.smtp_credentials.as_ref();
        send::send(&p.state.store, &p.signed.actor, credentials, p.id).await?;
        Ok(form::notice(&p.choice.back(deal, "documents"), "sent"))
    }
    .await;
    p.answer(deal, done).await
}
