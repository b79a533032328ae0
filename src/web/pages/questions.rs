//! The profiling questions reps answer about deals, accounts and contacts:
//! listed by what they are asked about, in the order reps see them, with a
//! form to add one, up and down to reorder, and deactivation (a question
//! with answers is kept, and its answers with it).

use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use serde_json::{Map, Value, json};

use super::deals::every;
use super::form::{self, NoticeQuery, Posted};
use super::{PageError, Signed, view};
use crate::auth::policy::Action;
use crate::crm;
use crate::crm::profiling::{self, Question, QuestionFilter, Subject};
use crate::error::Error;
use crate::store::{Id, Store};

const NOTICES: &[(&str, &str)] = &[
    (
        "added",
        "Question added: reps see it at the end of the list.",
    ),
    ("moved", "Moved."),
    (
        "deactivated",
        "Deactivated: reps no longer see it; its answers are kept.",
    ),
    ("activated", "Active again: reps see it and its answers."),
];

/// The kinds of record questions are about, in the order the page lists
/// them.
const SUBJECTS: [(Subject, &str); 3] = [
    (Subject::Deal, "About deals"),
    (Subject::Account, "About accounts"),
    (Subject::Contact, "About contacts"),
];

/// `GET /questions`.
pub async fn list(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::WriteQuestions)?;
    let mut sections = Vec::new();
    for (subject, title) in SUBJECTS {
        let filter = QuestionFilter {
            applies_to: Some(subject),
            ..QuestionFilter::default()
        };
        let questions = every::<Question>(&store, &signed.actor, &filter, None).await?;
        sections.push(json!({"subject": subject.as_str(), "title": title, "questions": questions}));
    }
    Ok(view::render(
        "questions.html",
        &json!({"me": signed.layout(), "current": "/questions", "sections": sections,
                "notice": query.text(NOTICES)}),
    )?)
}

/// `POST /questions`: a new question, last in its list.
pub async fn add(form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteQuestions)?;
        let mut input = form.json(&["key", "label", "help_text", "kind", "applies_to"]);
        // One option a line; none at all leaves the kind to say whether
        // options are needed.
        let options: Vec<&str> = form
            .field("options")
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .collect();
        if !options.is_empty() {
            input["options"] = json!(options);
        }
        let input = crate::input::from_json_value(input)?;
        let question = crm::create::<Question>(form.store(), form.actor(), input).await?;
        Ok(form::notice(&back(question.applies_to), "added"))
    }
    .await;
    Posted::answer(done)
}

/// The page at the list of questions about `subject`.
fn back(subject: Subject) -> String {
    format!("/questions#{}", subject.as_str())
}

/// `POST /questions/{id}/move`: one place up or down its list.
pub async fn reorder(Path(id): Path<Id>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteQuestions)?;
        let up = match form.field("direction") {
            Some("up") => true,
            Some("down") => false,
            _ => return Err(Error::invalid("direction", "must be up or down")),
        };
        let version = form.version()?;
        let moved = profiling::move_question(form.store(), form.actor(), id, version, up).await?;
        Ok(form::notice(&back(moved.applies_to), "moved"))
    }
    .await;
    Posted::answer(done)
}

/// `POST /questions/{id}/active`: deactivates (`active=false`) or
/// reactivates a question.
pub async fn activate(Path(id): Path<Id>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::WriteQuestions)?;
        let active = match form.field("active") {
            Some("true") => true,
            Some("false") => false,
            _ => return Err(Error::invalid("active", "must be true or false")),
        };
        let mut patch = Map::new();
        patch.insert("active".to_owned(), Value::Bool(active));
        patch.insert("version".to_owned(), form.version()?.into());
        let question = crm::update::<Question>(form.store(), form.actor(), id, patch).await?;
        let notice = if active { "activated" } else { "deactivated" };
        Ok(form::notice(&back(question.applies_to), notice))
    }
    .await;
    Posted::answer(done)
}
