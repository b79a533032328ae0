//! Readiness: which blank fields a document for this subject would print,
//! each named with the record that holds it, the API path that writes it,
//! and whether the caller may.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Built, Sources, Subject, build};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::clauses;
use crate::crm::profiling::Subject as AnswerSubject;
use crate::error::Error;
use crate::store::{Id, JsonText, Sql, Store};
use crate::templates::Engine;
use crate::templates::store::{self, Published};

/// A blank field a document needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Missing {
    /// `account`, `contact`, `deal`, `user` or `settings`.
    pub entity: &'static str,
    /// The record; `null` for settings.
    pub id: Option<Id>,
    /// The field as the API names it: `phone`, `answers.<question_key>`,
    /// or `company.<field>` in the settings.
    pub field: String,
    pub label: String,
    /// `text`, `number`, `date`, `bool`, `choice`, `multi`, `email`,
    /// `phone` or `money`: what input fills it.
    pub kind: String,
    /// The choices of a `choice` or `multi` field.
    pub options: Option<Vec<String>>,
    /// Whether the caller may write it.
    pub editable: bool,
    /// The API path that writes it: PATCH the record (PUT for answers).
    pub href: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// The template checked, and its published version.
    pub template: String,
    pub template_version: i64,
    pub ready: bool,
    pub missing: Vec<Missing>,
}

/// What template `key` (its published version) would print blank for
/// `subject`.
pub async fn check(
    store: &Store,
    actor: &Actor,
    subject: Subject,
    key: &str,
) -> Result<Readiness, Error> {
    let built = build(store, actor, subject).await?;
    let loaded = store::load_sources(store, key).await?;
    let missing = missing(store, actor, &built, &loaded).await?;
    Ok(Readiness {
        template: loaded.template.key,
        template_version: loaded.template.published_version.unwrap_or_default(),
        ready: missing.is_empty(),
        missing,
    })
}

/// The blank fields the published template `loaded` would print for the
/// context `built`.
pub async fn missing(
    store: &Store,
    actor: &Actor,
    built: &Built,
    loaded: &Published,
) -> Result<Vec<Missing>, Error> {
    let engine = loaded.engine(true)?;
    let paths = engine
        .blank_fields(&loaded.template.key, &built.value)
        .map_err(|e| Error::invalid("template", e.to_string()))?;
    fields_of(store, actor, built, &engine, paths).await
}

/// The record fields behind `paths`, the context paths a template of the
/// marking `engine` printed blank for `built` (see
/// [`Engine::blank_fields`]), with the blank fields the rules of its
/// clauses read.
pub async fn fields_of(
    store: &Store,
    actor: &Actor,
    built: &Built,
    engine: &Engine,
    mut paths: Vec<String>,
) -> Result<Vec<Missing>, Error> {
    // Which variant of a clause applies depends on the fields its rules
    // read.
    for path in
        clauses::resolve::blank_rule_paths(store, &engine.clause_keys(), &built.value).await?
    {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    let mut missing = Vec::new();
    // Whether the caller may write each record, asked once per record.
    let mut editable = HashMap::new();
    for path in paths {
        for item in items(store, actor, &built.sources, &mut editable, &path).await? {
            if !missing.contains(&item) {
                missing.push(item);
            }
        }
    }
    Ok(missing)
}

/// The record fields behind context path `path` (`contact.name` is two).
async fn items(
    store: &Store,
    actor: &Actor,
    sources: &Sources,
    writable: &mut HashMap<Id, bool>,
    path: &str,
) -> Result<Vec<Missing>, Error> {
    let Some((root, rest)) = path.split_once('.') else {
        return Ok(Vec::new());
    };
    // `contacts.N.field` is the deal's Nth contact.
    let (root, rest) = match root {
        "contacts" => match rest.split_once('.') {
            Some((n, rest)) => (n, rest),
            None => return Ok(Vec::new()),
        },
        _ => (root, rest),
    };
    let (field, rest) = match rest.split_once('.') {
        Some((field, rest)) => (field, Some(rest)),
        None => (rest, None),
    };
    let contact = match root.parse::<usize>() {
        Ok(n) => sources.contacts.get(n),
        Err(_) => sources.contact.as_ref().filter(|_| root == "contact"),
    };
    let record = match root {
        "deal" => sources
            .deal
            .as_ref()
            .map(|d| (d.meta.id, d.owner_id, "deals", AnswerSubject::Deal)),
        "account" => sources
            .account
            .as_ref()
            .map(|a| (a.meta.id, a.owner_id, "accounts", AnswerSubject::Account)),
        "rep" => {
            let Some(rep) = &sources.rep else {
                return Ok(Vec::new());
            };
            let own = rep.meta.id == actor.user_id;
            return Ok(vec![Missing {
                entity: "user",
                id: Some(rep.meta.id),
                field: field.to_owned(),
                label: label(field),
                kind: kind(field).to_owned(),
                options: None,
                editable: own || policy::allow(actor, Action::Administer).is_ok(),
                href: if own {
                    "/api/v1/me".to_owned()
                } else {
                    format!("/api/v1/users/{}", rep.meta.id)
                },
            }]);
        }
        "seller" => {
            return Ok(vec![Missing {
                entity: "settings",
                id: None,
                field: format!("company.{field}"),
                label: format!("Company {}", label(field).to_lowercase()),
                kind: kind(field).to_owned(),
                options: None,
                editable: policy::allow(actor, Action::Administer).is_ok(),
                href: "/api/v1/settings".to_owned(),
            }]);
        }
        _ => contact.map(|c| (c.meta.id, c.owner_id, "contacts", AnswerSubject::Contact)),
    };
    let Some((id, owner, table, answer_subject)) = record else {
        return Ok(Vec::new());
    };
    let editable = match writable.get(&id) {
        Some(known) => *known,
        None => {
            let may = may_change(store, actor, sources, table, id, owner).await?;
            writable.insert(id, may);
            may
        }
    };
    let entity = &table[..table.len() - 1];
    if field == "answers" {
        let Some(key) = rest.and_then(|r| r.split('.').next()) else {
            return Ok(Vec::new());
        };
        let question = question(store, key, answer_subject).await?;
        return Ok(vec![Missing {
            entity,
            id: Some(id),
            field: format!("answers.{key}"),
            label: question
                .as_ref()
                .map_or_else(|| label(key), |q| q.label.clone()),
            kind: question
                .as_ref()
                .map_or("text".to_owned(), |q| q.kind.clone()),
            options: question.and_then(|q| q.options.map(|o| o.0)),
            editable,
            href: format!("/api/v1/{table}/{id}/answers"),
        }]);
    }
    // A contact's name is its first and last name.
    let fields: Vec<&str> = match (contact, field) {
        (Some(c), "name") => [
            ("first_name", c.first_name.as_ref()),
            ("last_name", c.last_name.as_ref()),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_none_or(|v| v.trim().is_empty()))
        .map(|(f, _)| f)
        .collect(),
        _ => vec![field],
    };
    Ok(fields
        .into_iter()
        .map(|field| Missing {
            entity,
            id: Some(id),
            field: field.to_owned(),
            label: label(field),
            kind: kind(field).to_owned(),
            options: None,
            editable,
            href: format!("/api/v1/{table}/{id}"),
        })
        .collect())
}

/// Whether `actor` may write the record: by the policy, or as the owner of
/// the deal whose account or contact it is (a blank field named by
/// readiness).
async fn may_change(
    store: &Store,
    actor: &Actor,
    sources: &Sources,
    table: &str,
    id: Id,
    owner: Id,
) -> Result<bool, Error> {
    if policy::require_on(actor, Action::ChangeCrm, Some(owner)).is_ok() {
        return Ok(true);
    }
    if table == "deals" || policy::require(actor, Action::FillBlank).is_err() {
        return Ok(false);
    }
    if sources
        .deal
        .as_ref()
        .is_some_and(|d| d.owner_id == actor.user_id)
    {
        return Ok(true);
    }
    let mut tx = store.begin().await?;
    let own = crate::crm::on_own_deal(&mut tx, table, id, actor).await?;
    tx.commit().await?;
    Ok(own)
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    label: String,
    kind: String,
    options: Option<JsonText<Vec<String>>>,
}

async fn question(
    store: &Store,
    key: &str,
    subject: AnswerSubject,
) -> Result<Option<QuestionRow>, Error> {
    let mut sql = Sql::new("SELECT label, kind, options FROM profile_questions WHERE key = ");
    sql.bind(key).push(" AND applies_to = ").bind(subject);
    Ok(store.fetch_optional::<QuestionRow>(&sql).await?)
}

/// `employee_count` as `Employee count`.
fn label(field: &str) -> String {
    let text = field.replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The input a record field takes.
fn kind(field: &str) -> &'static str {
    match field {
        "email" => "email",
        "phone" => "phone",
        "amount" => "money",
        "employee_count" | "probability" => "number",
        "stage" | "credit_status" => "choice",
        f if f.ends_with("_date") => "date",
        _ => "text",
    }
}
