//! Segments: saved filters over accounts, contacts or deals, written in the
//! rule language over each record's document context (see
//! [`crate::context::rules`]), so a segment reads exactly what a template
//! prints: `account.industry == "Healthcare" and
//! account.answers.budget >= 50000`. A batch makes one document for each
//! of a segment's records ([`members`]).

pub mod members;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::context::{self, QuestionKeys, Subject, rules::Rule};
use crate::crm::validate::{Check, LINE_MAX, TEXT_MAX};
use crate::crm::{self, Resource};
use crate::error::{Error, FieldErrors};
use crate::store::records::{Dependent, Filter, Filters, Meta, Record};
use crate::store::{Id, Store, Tx, Value};

crate::text_enum! {
    /// The kind of record a segment holds, and so what each document of a
    /// batch is about.
    SegmentSubject {
        Contact = "contact",
        Account = "account",
        Deal = "deal",
    }
}

impl SegmentSubject {
    /// The table its records are in.
    pub fn table(self) -> &'static str {
        match self {
            SegmentSubject::Contact => "contacts",
            SegmentSubject::Account => "accounts",
            SegmentSubject::Deal => "deals",
        }
    }

    /// Record `id` of this kind, as a document subject.
    pub fn subject(self, id: Id) -> Subject {
        match self {
            SegmentSubject::Contact => Subject::Contact(id),
            SegmentSubject::Account => Subject::Account(id),
            SegmentSubject::Deal => Subject::Deal(id),
        }
    }

    /// The context roots a record of this kind leaves empty: a contact's
    /// context has no deal.
    fn absent_roots(self) -> &'static [&'static str] {
        match self {
            SegmentSubject::Contact => &["deal", "contacts", "quote"],
            SegmentSubject::Account => &["deal", "contact", "contacts", "quote"],
            SegmentSubject::Deal => &["quote"],
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Segment {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// What batches and the command line name it by; never changes: `a-z`,
    /// `0-9` and `-`.
    pub key: String,
    pub name: String,
    pub subject: SegmentSubject,
    /// Which records belong (see the README's rule language), read against
    /// each record's document context; none: every record of the kind.
    pub rule: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    pub id: Option<Id>,
    pub key: Option<String>,
    pub name: Option<String>,
    pub subject: Option<SegmentSubject>,
    pub rule: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SegmentFilter {
    pub key: Option<String>,
    pub subject: Option<SegmentSubject>,
}

impl Record for Segment {
    const TABLE: &'static str = "segments";
    const ENTITY: &'static str = "segment";
    const DEPENDENTS: &'static [Dependent] = &[Dependent {
        table: "batches",
        column: "segment_id",
        noun: ("batch", "batches"),
    }];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("key", self.key.clone().into()),
            ("name", self.name.clone().into()),
            ("subject", self.subject.into()),
            ("rule", self.rule.clone().into()),
            ("description", self.description.clone().into()),
        ]
    }

    fn search_text(&self) -> String {
        format!(
            "{} {} {}",
            self.key,
            self.name,
            self.description.as_deref().unwrap_or_default()
        )
    }
}

impl Resource for Segment {
    type Input = SegmentInput;
    type Filter = SegmentFilter;

    const CREATE: Action = Action::WriteSegments;
    const CHANGE: Action = Action::WriteSegments;

    fn input_id(input: &SegmentInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: SegmentInput,
        meta: Meta,
        current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let current_key = current.map(|c| c.key.as_str());
        let key = c.fixed_slug(
            "key",
            input.key,
            current_key,
            "batches name the segment by it",
        );
        let subject = c.required("subject", input.subject);
        let rule = c.text("rule", input.rule, context::rules::MAX_RULE_CHARS);
        if let (Some(subject), Some(rule)) = (subject, &rule)
            && let Ok(parsed) = Rule::parse(rule)
            && let Some(root) = parsed.paths().iter().find_map(|path| {
                let root = path.split('.').next().unwrap_or_default();
                subject.absent_roots().iter().find(|r| **r == root)
            })
        {
            c.errors.add(
                "rule",
                format!(
                    "a {}'s context has no `{root}`: a {} segment reads its records' own fields",
                    subject.as_str(),
                    subject.as_str()
                ),
            );
        }
        let segment = Segment {
            meta,
            key,
            name: c.required_text("name", input.name, LINE_MAX),
            subject: subject.unwrap_or(SegmentSubject::Contact),
            rule,
            description: c.text("description", input.description, TEXT_MAX),
        };
        c.finish()?;
        Ok(segment)
    }

    fn to_input(&self) -> SegmentInput {
        SegmentInput {
            id: Some(self.meta.id),
            key: Some(self.key.clone()),
            name: Some(self.name.clone()),
            subject: Some(self.subject),
            rule: self.rule.clone(),
            description: self.description.clone(),
        }
    }

    fn filters(f: &SegmentFilter) -> Vec<Filter> {
        Filters::new()
            .eq("key", f.key.clone())
            .eq("subject", f.subject)
            .build()
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        if let Some(rule) = &self.rule {
            context::checked_rule(rule, &QuestionKeys::read_in(tx).await?)?;
        }
        crm::check_unique(tx, "segments", "key", &self.key, self.meta.id, "a segment").await
    }
}

/// The segment `key` (or with that id).
pub async fn by_key(store: &Store, key: &str) -> Result<Segment, Error> {
    crate::crm::by_key(store, key).await
}
