//! Profiling: short questionnaire answers about an account, a contact or a
//! deal, remembered from one session to the next.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

use super::validate::{Check, LINE_MAX, TEXT_MAX};
use super::{Resource, Target, check_change};
use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::error::{Error, FieldErrors};
use crate::store::records::{self, Dependent, Filter, Filters, Meta, Record};
use crate::store::{Count, Id, JsonText, Sql, Store, Timestamp, Tx, Value};

crate::text_enum! {
    QuestionKind {
        Text = "text",
        Number = "number",
        Date = "date",
        Bool = "bool",
        Choice = "choice",
        Multi = "multi",
    }
}

crate::text_enum! {
    /// The kind of record a question is asked about.
    Subject { Account = "account", Contact = "contact", Deal = "deal" }
}

impl Subject {
    fn audit_entity(self) -> audit::AuditEntity {
        match self {
            Subject::Account => audit::AuditEntity::Account,
            Subject::Contact => audit::AuditEntity::Contact,
            Subject::Deal => audit::AuditEntity::Deal,
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Subject::Account => "accounts",
            Subject::Contact => "contacts",
            Subject::Deal => "deals",
        }
    }
}

/// Longest text answer accepted.
const ANSWER_TEXT_MAX: usize = 2_000;

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Question {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// Stable name used by templates and answers; never changes.
    pub key: String,
    pub label: String,
    pub help_text: Option<String>,
    pub kind: QuestionKind,
    /// The choices of a `choice` or `multi` question.
    #[schema(value_type = Option<Vec<String>>)]
    pub options: Option<JsonText<Vec<String>>>,
    pub applies_to: Subject,
    pub position: i64,
    pub active: bool,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    pub id: Option<Id>,
    pub key: Option<String>,
    pub label: Option<String>,
    pub help_text: Option<String>,
    pub kind: Option<QuestionKind>,
    pub options: Option<Vec<String>>,
    pub applies_to: Option<Subject>,
    /// Defaults to after the last question.
    pub position: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuestionFilter {
    pub applies_to: Option<Subject>,
    #[serde(default, deserialize_with = "crate::input::bool_param")]
    pub active: Option<bool>,
}

impl Record for Question {
    const TABLE: &'static str = "profile_questions";
    const ENTITY: &'static str = "profile question";
    const SORT: Option<&'static str> = Some("position");
    const DEPENDENTS: &'static [Dependent] = &[Dependent {
        table: "profile_answers",
        column: "question_id",
        noun: (
            "answer (deactivate the question instead)",
            "answers (deactivate the question instead)",
        ),
    }];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("key", self.key.clone().into()),
            ("label", self.label.clone().into()),
            ("help_text", self.help_text.clone().into()),
            ("kind", self.kind.into()),
            (
                "options",
                self.options.as_ref().map_or(Value::Text(None), Value::from),
            ),
            ("applies_to", self.applies_to.into()),
            ("position", self.position.into()),
            ("active", self.active.into()),
        ]
    }

    fn search_text(&self) -> String {
        format!(
            "{} {} {}",
            self.key,
            self.label,
            self.help_text.as_deref().unwrap_or_default()
        )
    }
}

impl Resource for Question {
    type Input = QuestionInput;
    type Filter = QuestionFilter;

    const READ: Action = Action::ReadCatalog;
    const CREATE: Action = Action::WriteQuestions;
    const CHANGE: Action = Action::WriteQuestions;

    fn input_id(input: &QuestionInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: QuestionInput,
        meta: Meta,
        current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let key = c.key("key", input.key);
        if let Some(current) = current
            && current.key != key
        {
            c.errors.add("key", "cannot be changed");
        }
        let kind = c.required("kind", input.kind).unwrap_or(QuestionKind::Text);
        let applies_to = c.required("applies_to", input.applies_to);
        if let (Some(current), Some(applies_to)) = (current, applies_to)
            && current.applies_to != applies_to
        {
            c.errors.add("applies_to", "cannot be changed");
        }
        let options = match (kind, input.options) {
            (QuestionKind::Choice | QuestionKind::Multi, None) => {
                c.errors
                    .add("options", "required for choice and multi questions");
                None
            }
            (QuestionKind::Choice | QuestionKind::Multi, Some(options)) => {
                Some(JsonText(clean_options(&mut c, options)))
            }
            (_, Some(_)) => {
                c.errors
                    .add("options", "only choice and multi questions have options");
                None
            }
            (_, None) => None,
        };
        let question = Question {
            key,
            label: c.required_text("label", input.label, LINE_MAX),
            help_text: c.text("help_text", input.help_text, TEXT_MAX),
            kind,
            options,
            applies_to: applies_to.unwrap_or(Subject::Account),
            // 0 asks `prepare` for the place after the last question.
            position: c
                .range("position", input.position, 1, 1_000_000)
                .unwrap_or(0),
            active: input.active.unwrap_or(true),
            meta,
        };
        c.finish()?;
        Ok(question)
    }

    fn to_input(&self) -> QuestionInput {
        QuestionInput {
            id: Some(self.meta.id),
            key: Some(self.key.clone()),
            label: Some(self.label.clone()),
            help_text: self.help_text.clone(),
            kind: Some(self.kind),
            options: self.options.as_ref().map(|o| o.0.clone()),
            applies_to: Some(self.applies_to),
            position: Some(self.position),
            active: Some(self.active),
        }
    }

    fn filters(f: &QuestionFilter) -> Vec<Filter> {
        Filters::new()
            .eq("applies_to", f.applies_to)
            .eq("active", f.active)
            .build()
    }

    async fn prepare(&mut self, tx: &mut Tx, current: Option<&Self>) -> Result<(), Error> {
        crate::crm::check_unique(
            tx,
            "profile_questions",
            "key",
            &self.key,
            self.meta.id,
            "a profile question",
        )
        .await?;
        if current.is_some_and(|c| c.kind != self.kind) {
            let mut answered =
                Sql::new("SELECT COUNT(*) AS n FROM profile_answers WHERE question_id = ");
            answered.bind(self.meta.id);
            if tx
                .fetch_optional::<Count>(&answered)
                .await?
                .is_some_and(|c| c.n > 0)
            {
                return Err(Error::invalid(
                    "kind",
                    "cannot change once the question has answers",
                ));
            }
        }
        if self.position == 0 {
            let last =
                Sql::new("SELECT COALESCE(MAX(position), 0) + 1 AS n FROM profile_questions");
            self.position = tx.fetch_optional::<Count>(&last).await?.map_or(1, |c| c.n);
        }
        Ok(())
    }
}

/// Moves question `id` (read at `version`) one place up or down among the
/// questions about the same kind of record, trading places with its
/// neighbour, in one transaction; at either end it stays where it is.
pub async fn move_question(
    store: &Store,
    actor: &Actor,
    id: Id,
    version: i64,
    up: bool,
) -> Result<Question, Error> {
    let scope = policy::require(actor, Action::WriteQuestions)?;
    let question: Question = super::get(store, id).await?;
    let mut sql = Sql::new("SELECT * FROM profile_questions WHERE applies_to = ");
    sql.bind(question.applies_to).push(" ORDER BY position, id");
    let siblings: Vec<Question> = store.fetch_all(&sql).await?;
    let at = siblings
        .iter()
        .position(|q| q.meta.id == id)
        .ok_or_else(|| Error::not_found(Question::ENTITY, id))?;
    let to = match up {
        true => at.checked_sub(1),
        false => Some(at + 1).filter(|n| *n < siblings.len()),
    };
    let Some(to) = to else {
        return Ok(question);
    };
    // The places the questions hold now, each after the one before, so
    // that questions given the same position by hand are pulled apart.
    let mut places: Vec<i64> = siblings.iter().map(|q| q.position).collect();
    for i in 1..places.len() {
        places[i] = places[i].max(places[i - 1] + 1);
    }
    let mut order = siblings;
    order.swap(at, to);
    let mut tx = store.begin().await?;
    for (question, place) in order.into_iter().zip(places) {
        if question.position == place {
            continue;
        }
        let read = match question.meta.id == id {
            true => version,
            false => question.meta.version,
        };
        let mut patch = serde_json::Map::new();
        patch.insert("position".to_owned(), place.into());
        super::update_in(&mut tx, actor, Some(scope), question, read, patch).await?;
    }
    tx.commit().await?;
    super::get(store, id).await
}

fn clean_options(c: &mut Check, options: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(options.len());
    for (i, option) in options.into_iter().enumerate() {
        let field = format!("options[{i}]");
        match c.text(&field, Some(option), LINE_MAX) {
            None => c.errors.add(field, "must not be blank"),
            Some(o) if !seen.insert(o.clone()) => c.errors.add(field, "is listed twice"),
            Some(o) => out.push(o),
        }
    }
    if out.is_empty() {
        c.errors.add("options", "must list at least one choice");
    }
    out
}

/// One stored answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Answer {
    #[schema(value_type = Object)]
    pub value: Json,
    pub updated_at: Timestamp,
    pub updated_by: Id,
}

/// A record's answers, by question key.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Answers {
    pub answers: BTreeMap<String, Answer>,
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    key: String,
    value: JsonText<Json>,
    updated_at: Timestamp,
    updated_by: Id,
}

pub async fn answers(
    store: &Store,
    actor: &Actor,
    subject: Subject,
    id: Id,
) -> Result<Answers, Error> {
    policy::allow(actor, Action::ReadCrm)?;
    if !records::exists_now(store, subject.table(), id).await? {
        return Err(Error::not_found(subject.as_str(), id));
    }
    stored_answers(store, id).await
}

/// The answers of record `id`, for callers that have read the record.
pub(crate) async fn stored_answers(store: &Store, id: Id) -> Result<Answers, Error> {
    let mut sql = Sql::new(
        "SELECT q.key AS key, a.value AS value, a.updated_at AS updated_at, a.updated_by AS updated_by \
         FROM profile_answers a JOIN profile_questions q ON q.id = a.question_id WHERE a.subject_id = ",
    );
    sql.bind(id).push(" ORDER BY q.position, q.id");
    let rows: Vec<AnswerRow> = store.fetch_all(&sql).await?;
    Ok(Answers {
        answers: rows
            .into_iter()
            .map(|r| {
                (
                    r.key,
                    Answer {
                        value: r.value.0,
                        updated_at: r.updated_at,
                        updated_by: r.updated_by,
                    },
                )
            })
            .collect(),
    })
}

/// Merges `changes` into the record's answers: a key not named is kept,
/// `null` clears. All or nothing: one invalid value and nothing is written.
pub async fn put_answers(
    store: &Store,
    actor: &Actor,
    subject: Subject,
    id: Id,
    changes: serde_json::Map<String, Json>,
) -> Result<Answers, Error> {
    let scope = policy::require(actor, Action::ChangeCrm)?;
    let mut tx = store.begin().await?;
    let target = Target::load(&mut tx, subject.as_str(), subject.table(), id).await?;
    let before = answer_values(&mut tx, id).await?;
    let named: Vec<String> = changes.keys().cloned().collect();
    check_change(&mut tx, actor, scope, &target, &named, |key| {
        !before.contains_key(key)
    })
    .await?;
    let mut errors = FieldErrors::new();
    let mut writes = Vec::with_capacity(changes.len());
    for (key, value) in changes {
        let mut sql = Sql::new("SELECT * FROM profile_questions WHERE key = ");
        sql.bind(key.clone());
        let Some(question) = tx.fetch_optional::<Question>(&sql).await? else {
            errors.add(key, "no such profile question");
            continue;
        };
        if question.applies_to != subject {
            errors.add(
                key,
                format!(
                    "is asked about a {}, not a {}",
                    question.applies_to.as_str(),
                    subject.as_str()
                ),
            );
            continue;
        }
        match answer_value(&question, value) {
            Ok(v) if v.is_some() && !question.active => {
                errors.add(key, "the question is no longer active");
            }
            Ok(v) => writes.push((question.meta.id, v)),
            Err(problem) => errors.add(key, problem),
        }
    }
    errors.check()?;
    let now = Timestamp::now();
    for (question, value) in writes {
        let mut sql = Sql::new("");
        match value {
            Some(value) => {
                sql.push("INSERT INTO profile_answers (subject_id, question_id, value, updated_at, updated_by) VALUES (")
                    .bind(id)
                    .push(", ")
                    .bind(question)
                    .push(", ")
                    .bind(value.to_string())
                    .push(", ")
                    .bind(now)
                    .push(", ")
                    .bind(actor.user_id)
                    .push(
                        ") ON CONFLICT (subject_id, question_id) DO UPDATE SET value = excluded.value, \
                         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    );
            }
            None => {
                sql.push("DELETE FROM profile_answers WHERE subject_id = ")
                    .bind(id)
                    .push(" AND question_id = ")
                    .bind(question);
            }
        }
        tx.execute(&sql).await?;
    }
    let after = answer_values(&mut tx, id).await?;
    let entry = audit::Entry {
        entity: subject.audit_entity(),
        entity_id: Some(id),
        action: audit::AuditAction::Update,
        changes: audit::diff(
            Some(&serde_json::json!({ "answers": before })),
            Some(&serde_json::json!({ "answers": after })),
        ),
    };
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    answers(store, actor, subject, id).await
}

#[derive(sqlx::FromRow)]
struct AnswerValue {
    key: String,
    value: JsonText<Json>,
}

/// The record's answers by question key, as a write sees them.
async fn answer_values(tx: &mut Tx, id: Id) -> Result<BTreeMap<String, Json>, Error> {
    let mut sql = Sql::new(
        "SELECT q.key AS key, a.value AS value \
         FROM profile_answers a JOIN profile_questions q ON q.id = a.question_id WHERE a.subject_id = ",
    );
    sql.bind(id);
    let rows: Vec<AnswerValue> = tx.fetch_all(&sql).await?;
    Ok(rows.into_iter().map(|r| (r.key, r.value.0)).collect())
}

/// The value to store for an answer (`None` clears it), or the problem.
fn answer_value(question: &Question, value: Json) -> Result<Option<Json>, String> {
    let options = question
        .options
        .as_ref()
        .map(|o| o.0.as_slice())
        .unwrap_or_default();
    let value = match (question.kind, value) {
        (_, Json::Null) => return Ok(None),
        (QuestionKind::Text, Json::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            if s.chars().count() > ANSWER_TEXT_MAX {
                return Err(format!("must be at most {ANSWER_TEXT_MAX} characters"));
            }
            Json::String(s.to_owned())
        }
        (QuestionKind::Number, Json::Number(n)) => Json::Number(n),
        (QuestionKind::Date, Json::String(s)) => {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| "must be a date YYYY-MM-DD".to_owned())?;
            Json::String(s.trim().to_owned())
        }
        (QuestionKind::Bool, Json::Bool(b)) => Json::Bool(b),
        (QuestionKind::Choice, Json::String(s)) if options.contains(&s) => Json::String(s),
        (QuestionKind::Choice, Json::String(_)) => {
            return Err(format!("must be one of: {}", options.join(", ")));
        }
        (QuestionKind::Multi, Json::Array(items)) => {
            let mut seen = HashSet::new();
            for item in &items {
                match item {
                    Json::String(s) if !options.contains(s) => {
                        return Err(format!("`{s}` is not one of: {}", options.join(", ")));
                    }
                    Json::String(s) if !seen.insert(s.clone()) => {
                        return Err(format!("`{s}` is listed twice"));
                    }
                    Json::String(_) => {}
                    _ => return Err("must be an array of option strings".to_owned()),
                }
            }
            Json::Array(items)
        }
        (kind, _) => {
            return Err(match kind {
                QuestionKind::Text => "must be a string",
                QuestionKind::Number => "must be a number",
                QuestionKind::Date => "must be a date YYYY-MM-DD",
                QuestionKind::Bool => "must be true or false",
                QuestionKind::Choice => "must be one of the options, as a string",
                QuestionKind::Multi => "must be an array of options",
            }
            .to_owned());
        }
    };
    Ok(Some(value))
}
