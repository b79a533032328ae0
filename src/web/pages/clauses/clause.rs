//! `/clauses/{key}`: one clause. Each variant with its rule and its whole
//! history, who wrote, submitted, decided and retired each version and
//! what legal said; the forms to write a new version, change a draft and
//! submit it, and (legal) to retire the approved one; and where each
//! approved version is used: the templates that print the clause and the
//! documents that carried the version, linked.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Failure, FormState, People, gate, path_id, retire_form, typed};
use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::clauses::library::{self, Variant};
use crate::clauses::usage;
use crate::clauses::versions::{
    self, ClauseStatus, ClauseVersion, DEFAULT_VARIANT, NewVersion, VersionFilter, VersionPatch,
};
use crate::clauses::workflow::{self, Review};
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::{Id, Store};
use crate::templates::store as template_store;
use crate::web::pages::form::{self, NoticeQuery, Posted};
use crate::web::pages::{PageError, Signed, error_page, view};

/// What a form's success says on the clause page.
const NOTICES: &[(&str, &str)] = &[
    ("created", "Clause created: write its first version below."),
    ("drafted", "Saved as a draft."),
    ("submitted", "Submitted: legal sees it in the review queue."),
    (
        "retired",
        "Retired: documents no longer print this version.",
    ),
];

/// Documents listed a page at a time under a version.
const DOCUMENTS_PAGE: u32 = 20;

/// The address of a clause page: which version's documents to page
/// through, and from where.
#[derive(Debug, Default, Deserialize)]
pub struct ClauseParams {
    used: Option<String>,
    after: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

/// `GET /clauses/{key}`.
pub async fn page(
    State(store): State<Store>,
    signed: Signed,
    Path(key): Path<String>,
    Query(params): Query<ClauseParams>,
) -> Result<Response, PageError> {
    render(&store, &signed, &key, &params, None).await
}

async fn render(
    store: &Store,
    signed: &Signed,
    key: &str,
    params: &ClauseParams,
    failure: Option<Failure>,
) -> Result<Response, PageError> {
    gate(signed)?;
    let paged: Option<Id> = match params.used.as_deref().filter(|u| !u.is_empty()) {
        Some(text) => Some(
            text.parse()
                .map_err(|_| Error::bad_request("used", "not the id of a version"))?,
        ),
        None => None,
    };
    let (clause, versions) = versions::list(store, key, &VersionFilter::default()).await?;
    let key = clause.key.as_str();
    let people = People::of(store, &signed.actor, &versions.iter().collect::<Vec<_>>()).await?;
    let may_draft = signed.may(Action::DraftClauses);
    let may_decide = signed.may(Action::ApproveClauses);
    let failure = failure.as_ref();
    let variants = library::by_variant(versions);
    let mut shown = Vec::with_capacity(variants.len());
    for variant in &variants {
        let mut history = Vec::with_capacity(variant.versions.len());
        for v in &variant.versions {
            let mut row = people.version(v)?;
            if may_draft && v.status == ClauseStatus::Draft {
                row["edit"] = edit_form(key, v, failure);
            }
            if may_decide && v.status == ClauseStatus::Approved {
                row["retire"] = retire_form(key, v, "clause", failure);
            }
            // Only approved versions are printed, so only they and retired
            // ones have documents; a retired one's list no longer grows and
            // old versions pile up, so it is fetched when asked for.
            let carried = matches!(v.status, ClauseStatus::Approved | ClauseStatus::Retired);
            if v.status == ClauseStatus::Approved || (carried && paged == Some(v.meta.id)) {
                let after = params.after.clone().filter(|_| paged == Some(v.meta.id));
                row["used"] = documents(store, &signed.actor, key, v, after).await?;
            } else if carried {
                row["used_link"] =
                    format!("/clauses/{key}?used={}#used-{}", v.meta.id, v.meta.id).into();
            }
            history.push(row);
        }
        shown.push(json!({
            "name": variant.name,
            "is_default": variant.name == DEFAULT_VARIANT,
            "rule": variant.rule,
            "versions": history,
            "write": may_draft.then(|| new_version_form(key, variant, failure)),
        }));
    }
    let has_default = variants.iter().any(|v| v.name == DEFAULT_VARIANT);
    let add_variant = FormState::new("add-variant", format!("/clauses/{key}/versions"))
        .field("variant", (!has_default).then_some(DEFAULT_VARIANT))
        .field("rule", None)
        .field("body", None)
        .after(failure);
    let templates = template_store::using_clause(store, key).await?;
    let status = failure.map_or(StatusCode::OK, Failure::status);
    let html = view::render(
        "clause.html",
        &json!({
            "me": signed.layout(),
            "current": "/clauses",
            "notice": params.notice.text(NOTICES),
            "clause": clause,
            "variants": shown,
            "templates": templates,
            "may_draft": may_draft,
            "may_decide": may_decide,
            "add_variant": may_draft.then(|| add_variant.json()),
            "failure": Failure::banner(failure),
        }),
    )?;
    Ok((status, html).into_response())
}

/// A page of the documents that carried `v`, linked to their file and
/// deal; not `readable` for a role that does not read documents.
async fn documents(
    store: &Store,
    actor: &Actor,
    key: &str,
    v: &ClauseVersion,
    after: Option<String>,
) -> Result<Value, Error> {
    let params = ListParams {
        limit: Some(DOCUMENTS_PAGE),
        cursor: after.clone(),
        ..ListParams::default()
    };
    let page = match usage::documents(store, actor, v.meta.id, &params).await {
        Ok(page) => page,
        Err(Error::Forbidden(_)) => return Ok(json!({"readable": false})),
        Err(e) => return Err(e),
    };
    let id = v.meta.id;
    let documents: Vec<Value> = page
        .documents
        .iter()
        .map(|d| {
            json!({
                "id": d.document_id,
                "file_name": d.file_name,
                "template": d.template,
                "format": d.format,
                "draft": d.draft,
                "made": super::when(Some(d.created_at)),
                "sent": super::when(d.sent_at),
                "deal_id": d.deal_id,
                "deal_name": d.deal_name,
                "rep_name": d.rep_name,
            })
        })
        .collect();
    let next = page.next_cursor.map(|cursor| {
        let query = serde_urlencoded::to_string([("used", id.to_string()), ("after", cursor)])
            .unwrap_or_default();
        format!("/clauses/{key}?{query}#used-{id}")
    });
    Ok(json!({
        "readable": true,
        "documents": documents,
        "next": next,
        "first": after.is_some().then(|| format!("/clauses/{key}?used={id}#used-{id}")),
    }))
}

/// The form that writes a new version of `variant`, starting from its
/// newest text and rule.
fn new_version_form(key: &str, variant: &Variant, failure: Option<&Failure>) -> Value {
    let newest = variant.versions.first();
    let mut form = FormState::new(
        format!("new-{}", variant.name),
        format!("/clauses/{key}/versions"),
    )
    .field("variant", Some(&variant.name));
    if variant.name != DEFAULT_VARIANT {
        form = form.field("rule", variant.rule.as_deref());
    }
    form.field("body", newest.map(|v| v.body.as_str()))
        .after(failure)
        .json()
}

/// The form that changes draft `v` and may submit it.
fn edit_form(key: &str, v: &ClauseVersion, failure: Option<&Failure>) -> Value {
    let mut form = FormState::new(
        format!("edit-{}", v.meta.id),
        format!("/clauses/{key}/versions/{}", v.meta.id),
    );
    if v.variant != DEFAULT_VARIANT {
        form = form.field("rule", v.rule.as_deref());
    }
    let mut form = form
        .field("body", Some(&v.body))
        .field("version", Some(&v.meta.version.to_string()))
        .after(failure)
        .json();
    // A failed save is sent again against the record as it is now.
    form["values"]["version"] = v.meta.version.to_string().into();
    form
}

/// Where a form sends the user once done: the version on its clause's
/// page, with `notice`.
fn to_version(key: &str, id: Id, notice: &str) -> Response {
    form::notice(&format!("/clauses/{key}#version-{id}"), notice)
}

/// The clause page again with `failure` shown at its form, or the error
/// page when there is nothing in the form to correct.
async fn again(posted: &Posted, key: &str, form: String, error: Error) -> Response {
    match Failure::of(form, posted, error) {
        Ok(failure) => render(
            posted.store(),
            &posted.signed,
            key,
            &ClauseParams::default(),
            Some(failure),
        )
        .await
        .into_response(),
        Err(e) => error_page(&e),
    }
}

/// Whether the form asked to submit the version once saved.
fn then_submit(posted: &Posted) -> bool {
    posted.field("then") == Some("submit")
}

/// `POST /clauses/{key}/versions`: a new draft of a variant (or of a new
/// one), submitted for review at once when asked.
pub async fn write(Path(key): Path<String>, posted: Posted) -> Response {
    // The form that sent it, to show its problem at; only these two kinds.
    let form_id = match posted.field("form") {
        Some(id) if id.starts_with("new-") || id == "add-variant" => id.to_owned(),
        _ => "add-variant".to_owned(),
    };
    if let Err(e) = posted.signed.require(Action::DraftClauses) {
        return error_page(&e);
    }
    let input = NewVersion {
        variant: posted.text("variant").map(str::to_owned),
        rule: posted.field("rule").map(str::to_owned),
        body: typed(&posted, "body"),
    };
    let version = match versions::create(posted.store(), posted.actor(), &key, input).await {
        Ok(version) => version,
        Err(e) => return again(&posted, &key, form_id, e).await,
    };
    submit_if_asked(&posted, &version).await
}

/// The draft just saved, submitted when the form asked; a submission
/// refused leaves the draft saved and says why at its form.
async fn submit_if_asked(posted: &Posted, version: &ClauseVersion) -> Response {
    let (key, id) = (version.clause_key.as_str(), version.meta.id);
    if !then_submit(posted) {
        return to_version(key, id, "drafted");
    }
    match workflow::submit(posted.store(), posted.actor(), id).await {
        Ok(_) => to_version(key, id, "submitted"),
        Err(e) => again(posted, key, format!("edit-{id}"), e).await,
    }
}

/// The version `id` of clause `key`: one of another clause is not found
/// here.
async fn version_of(store: &Store, key: &str, id: &str) -> Result<ClauseVersion, Error> {
    let version = versions::get(store, path_id(id, "clause version")?).await?;
    if version.clause_key != key && version.clause_id.to_string() != key {
        return Err(Error::NotFound(format!(
            "version {id} is not one of the clause `{key}`"
        )));
    }
    Ok(version)
}

/// `POST /clauses/{key}/versions/{id}`: changes a draft's text and rule,
/// then submits it when asked.
pub async fn save_draft(Path((key, id)): Path<(String, String)>, posted: Posted) -> Response {
    if let Err(e) = posted.signed.require(Action::DraftClauses) {
        return error_page(&e);
    }
    let form_id = format!("edit-{id}");
    let current = match version_of(posted.store(), &key, &id).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let body = typed(&posted, "body");
    let rule = posted.field("rule").map(str::to_owned);
    let unchanged = body.as_deref().is_none_or(|b| b.trim() == current.body)
        && rule
            .as_deref()
            .is_none_or(|r| Some(r.trim()) == current.rule.as_deref());
    // Saving an unchanged draft would only add an empty entry to the log.
    let saved = if unchanged {
        Ok(current)
    } else {
        match posted.text("version").map(str::parse::<i64>) {
            Some(Ok(version)) => {
                let patch = VersionPatch {
                    rule,
                    body,
                    version,
                };
                versions::update(posted.store(), posted.actor(), current.meta.id, patch).await
            }
            _ => Err(Error::bad_request(
                "version",
                "the form lacks the draft's record version: open the clause again",
            )),
        }
    };
    match saved {
        Ok(version) => submit_if_asked(&posted, &version).await,
        Err(e) => again(&posted, &key, form_id, e).await,
    }
}

/// `POST /clauses/{key}/versions/{id}/retire`: legal takes an approved
/// version out of use, saying why; back to the page the form was on.
pub async fn retire(Path((key, id)): Path<(String, String)>, posted: Posted) -> Response {
    if let Err(e) = posted.signed.require(Action::ApproveClauses) {
        return error_page(&e);
    }
    let from_reviews = posted.field("from") == Some("reviews");
    let version = match version_of(posted.store(), &key, &id).await {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let review = Review {
        comment: typed(&posted, "comment"),
    };
    let form_id = format!("retire-{}", version.meta.id);
    match workflow::retire(posted.store(), posted.actor(), version.meta.id, review).await {
        Ok(_) if from_reviews => form::notice("/reviews", "retired"),
        Ok(v) => to_version(&v.clause_key, v.meta.id, "retired"),
        Err(e) if from_reviews => super::reviews::again(&posted, form_id, e).await,
        Err(e) => again(&posted, &key, form_id, e).await,
    }
}
