//! Templates as data: stored, versioned and published.
//!
//! A template record holds the editable draft. Publishing copies the draft
//! into a numbered version that never changes (the database refuses to
//! update or delete one) and clears the draft; generation and readiness
//! only ever use the published version, so a rep never sees a half-edited
//! draft. Content blocks and layouts are templates too, and
//! `{% include "KEY.md" %}` / `{% extends "KEY.md" %}` resolve to their
//! published versions in the store — never the file system.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use sha2::{Digest, Sha256};

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::engine::{self, Engine, TemplateError};
use super::tags;
use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::clauses;
use crate::crm::validate::{Check, LINE_MAX, TEXT_MAX};
use crate::crm::{self, Resource};
use crate::error::{Error, FieldErrors};
use crate::store::records::{self, Filter, Filters, Meta, Record, Updated};
use crate::store::{Id, JsonText, Sql, Store, Timestamp, Tx, Value};

crate::text_enum! {
    /// What a template makes. Blocks and layouts are only included or
    /// extended by other templates.
    TemplateKind {
        Proposal = "proposal",
        Quote = "quote",
        Brochure = "brochure",
        Email = "email",
        Report = "report",
        Block = "block",
        Layout = "layout",
    }
}

/// The formats a template may declare.
const FORMATS: &[&str] = &["pdf", "docx", "html", "eml"];

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Template {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// What other templates include it by (`KEY.md`) and documents name;
    /// never changes.
    pub key: String,
    pub kind: TemplateKind,
    pub name: String,
    pub description: Option<String>,
    /// Formats the template is written for: pdf, docx, html, eml.
    #[schema(value_type = Vec<String>)]
    pub formats: JsonText<Vec<String>>,
    /// The source being edited; `null` when there is nothing unpublished.
    pub draft: Option<String>,
    /// The number of the version documents use; `null` until published.
    pub published_version: Option<i64>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub id: Option<Id>,
    pub key: Option<String>,
    pub kind: Option<TemplateKind>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub formats: Option<Vec<String>>,
    pub draft: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateFilter {
    pub kind: Option<TemplateKind>,
    pub key: Option<String>,
}

impl Record for Template {
    const TABLE: &'static str = "templates";
    const ENTITY: &'static str = "template";
    const DEPENDENTS: &'static [records::Dependent] = &[records::Dependent {
        table: "template_versions",
        column: "template_id",
        noun: (
            "published version (published templates are kept)",
            "published versions (published templates are kept)",
        ),
    }];

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("key", self.key.clone().into()),
            ("kind", self.kind.into()),
            ("name", self.name.clone().into()),
            ("description", self.description.clone().into()),
            ("formats", Value::from(&self.formats)),
            ("draft", self.draft.clone().into()),
            ("published_version", self.published_version.into()),
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

impl Resource for Template {
    type Input = TemplateInput;
    type Filter = TemplateFilter;

    const READ: Action = Action::ReadCatalog;
    const CREATE: Action = Action::WriteTemplates;
    const CHANGE: Action = Action::WriteTemplates;

    fn input_id(input: &TemplateInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: TemplateInput,
        meta: Meta,
        current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let current_key = current.map(|t| t.key.as_str());
        let why = "documents and other templates name the template by it";
        let key = c.fixed_slug("key", input.key, current_key, why);
        let kind = c
            .required("kind", input.kind)
            .unwrap_or(TemplateKind::Block);
        if current.is_some_and(|current| current.kind != kind) {
            c.errors.add("kind", "cannot be changed");
        }
        let mut formats = input.formats.unwrap_or_else(|| {
            FORMATS
                .iter()
                .filter(|f| **f != "eml" || kind == TemplateKind::Email)
                .map(|f| (*f).to_owned())
                .collect()
        });
        formats.sort();
        formats.dedup();
        if let Some(bad) = formats.iter().find(|f| !FORMATS.contains(&f.as_str())) {
            c.errors.add(
                "formats",
                format!("`{bad}` is not a format; the formats are pdf, docx, html, eml"),
            );
        } else if formats.is_empty() {
            c.errors.add("formats", "name at least one format");
        }
        let draft = input.draft;
        if let Some(source) = &draft
            && let Err(e) = engine::check(&key, source)
        {
            c.errors.add("draft", e.to_string());
        }
        let template = Template {
            key,
            kind,
            name: c.required_text("name", input.name, LINE_MAX),
            description: c.text("description", input.description, TEXT_MAX),
            formats: JsonText(formats),
            draft,
            published_version: current.and_then(|t| t.published_version),
            meta,
        };
        c.finish()?;
        Ok(template)
    }

    fn to_input(&self) -> TemplateInput {
        TemplateInput {
            id: Some(self.meta.id),
            key: Some(self.key.clone()),
            kind: Some(self.kind),
            name: Some(self.name.clone()),
            description: self.description.clone(),
            formats: Some(self.formats.0.clone()),
            draft: self.draft.clone(),
        }
    }

    fn filters(f: &TemplateFilter) -> Vec<Filter> {
        Filters::new()
            .eq("kind", f.kind)
            .eq("key", f.key.clone())
            .build()
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        crm::check_unique(
            tx,
            "templates",
            "key",
            &self.key,
            self.meta.id,
            "a template",
        )
        .await
    }
}

/// One published version: what a document was made from.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct TemplateVersion {
    pub id: Id,
    pub template_id: Id,
    pub number: i64,
    pub source: String,
    pub published_at: Timestamp,
    pub published_by: Id,
}

/// The template with key (or id) `key`.
pub async fn by_key(store: &Store, key: &str) -> Result<Template, Error> {
    crate::crm::by_key(store, key).await
}

/// The published versions of template `key`, newest first.
pub async fn versions(
    store: &Store,
    actor: &Actor,
    key: &str,
) -> Result<Vec<TemplateVersion>, Error> {
    policy::allow(actor, Template::READ)?;
    let template = by_key(store, key).await?;
    let mut sql = Sql::new("SELECT * FROM template_versions WHERE template_id = ");
    sql.bind(template.meta.id).push(" ORDER BY number DESC");
    Ok(store.fetch_all::<TemplateVersion>(&sql).await?)
}

/// The published source of every template, by key: one query, a few
/// kilobytes each, whatever a template reaches.
async fn all_published(store: &Store) -> Result<BTreeMap<String, (i64, String)>, Error> {
    let rows: Vec<SourceRow> = store
        .fetch_all(&Sql::new(
            "SELECT t.key AS key, v.number AS number, v.source AS source FROM templates t \
             JOIN template_versions v ON v.template_id = t.id AND v.number = t.published_version",
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.key, (r.number, r.source)))
        .collect())
}

#[derive(sqlx::FromRow)]
struct SourceRow {
    key: String,
    number: i64,
    source: String,
}

/// A template version a document was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceVersion {
    pub key: String,
    pub number: i64,
}

/// The sources of exactly these versions, by key: a document made again.
pub async fn sources_of(
    store: &Store,
    versions: &[SourceVersion],
) -> Result<BTreeMap<String, String>, Error> {
    let mut sources = BTreeMap::new();
    for version in versions {
        let mut sql = Sql::new(
            "SELECT t.key AS key, v.number AS number, v.source AS source FROM templates t \
             JOIN template_versions v ON v.template_id = t.id WHERE t.key = ",
        );
        sql.bind(version.key.as_str())
            .push(" AND v.number = ")
            .bind(version.number);
        let row = store
            .fetch_optional::<SourceRow>(&sql)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!(
                    "version {} of the template `{}` is missing",
                    version.number, version.key
                ))
            })?;
        sources.insert(row.key, row.source);
    }
    Ok(sources)
}

/// A template's published version and every published template it
/// includes or extends, by key: what a document is generated from.
pub struct Published {
    pub template: Template,
    pub sources: BTreeMap<String, String>,
    /// The version of each of them (an unsaved source has none).
    pub versions: Vec<SourceVersion>,
}

/// Engines already made from a set of sources, by their digest: parsing
/// costs far more than rendering, and published sources never change.
static ENGINES: LazyLock<Mutex<HashMap<[u8; 32], Arc<Engine>>>> = LazyLock::new(Default::default);
/// Engines kept at most; the cache starts afresh beyond it.
const ENGINES_KEPT: usize = 64;

impl Published {
    /// An engine holding them all: a marking one for readiness (see
    /// [`Engine::marking`]), else one to generate with.
    pub fn engine(&self, marking: bool) -> Result<Arc<Engine>, Error> {
        engine_for(&self.sources, marking)
    }
}

/// An engine holding `sources` (template key → source), made once per set
/// of sources.
pub fn engine_for(sources: &BTreeMap<String, String>, marking: bool) -> Result<Arc<Engine>, Error> {
    {
        let mut digest = Sha256::new();
        digest.update([u8::from(marking)]);
        for (key, source) in sources {
            for part in [key.as_bytes(), source.as_bytes()] {
                digest.update((part.len() as u64).to_le_bytes());
                digest.update(part);
            }
        }
        let digest: [u8; 32] = digest.finalize().into();
        if let Some(engine) = ENGINES.lock().ok().and_then(|e| e.get(&digest).cloned()) {
            return Ok(engine);
        }
        let engine = if marking {
            Engine::marking()
        } else {
            Engine::new()
        };
        let engine = Arc::new(
            add_sources(engine, sources).map_err(|e| Error::invalid("template", e.to_string()))?,
        );
        if let Ok(mut engines) = ENGINES.lock() {
            if engines.len() >= ENGINES_KEPT {
                engines.clear();
            }
            engines.insert(digest, Arc::clone(&engine));
        }
        Ok(engine)
    }
}

/// The published version of `key` with everything it reaches.
pub async fn load_sources(store: &Store, key: &str) -> Result<Published, Error> {
    let template = by_key(store, key).await?;
    if template.published_version.is_none() {
        return Err(Error::conflict(format!(
            "the template `{}` has no published version yet",
            template.key
        )));
    }
    let published = all_published(store).await?;
    let (_, source) = published
        .get(&template.key)
        .cloned()
        .ok_or_else(|| Error::Internal(format!("the published `{}` is missing", template.key)))?;
    assemble(template, source, &published, true)
}

/// `template` with `source` in place of its published version, and the
/// published templates that source includes or extends: an unsaved or
/// unpublished source, loaded as generation would load it once published.
/// Its own version is not among the versions: it has none yet.
pub async fn with_source(
    store: &Store,
    template: Template,
    source: &str,
) -> Result<Published, Error> {
    let published = all_published(store).await?;
    assemble(template, source.to_owned(), &published, false)
}

/// `template` with `source` and what it reaches of `published`; `own`
/// says whether `source` is the template's published version.
fn assemble(
    template: Template,
    source: String,
    published: &BTreeMap<String, (i64, String)>,
    own: bool,
) -> Result<Published, Error> {
    let mut sources = BTreeMap::new();
    gather(&template.key, source, published, &mut sources)?;
    let versions = sources
        .keys()
        .filter(|key| own || **key != template.key)
        .filter_map(|key| {
            published.get(key).map(|(number, _)| SourceVersion {
                key: key.clone(),
                number: *number,
            })
        })
        .collect();
    Ok(Published {
        template,
        sources,
        versions,
    })
}

/// Adds `source` (of `key`) and, depth first, the published templates it
/// names to `sources`. Cycles are left for the engine to refuse.
fn gather(
    key: &str,
    source: String,
    published: &BTreeMap<String, (i64, String)>,
    sources: &mut BTreeMap<String, String>,
) -> Result<(), Error> {
    let names = tags::references(&source);
    sources.insert(key.to_owned(), source);
    for name in names {
        let dependency = name.strip_suffix(engine::BODY_SUFFIX).unwrap_or(&name);
        if sources.contains_key(dependency) {
            continue;
        }
        let Some((_, found)) = published.get(dependency) else {
            return Err(Error::invalid(
                "template",
                format!("`{key}` uses `{name}`, which has no published version"),
            ));
        };
        gather(dependency, found.clone(), published, sources)?;
    }
    Ok(())
}

/// `engine` with `sources` added.
fn add_sources(
    mut engine: Engine,
    sources: &BTreeMap<String, String>,
) -> Result<Engine, TemplateError> {
    let all: Vec<(&str, &str)> = sources
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    engine.add_all(&all)?;
    Ok(engine)
}

/// A template that prints a clause.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClauseUse {
    pub key: String,
    pub name: String,
    pub kind: TemplateKind,
    pub published_version: Option<i64>,
    /// Its published version prints the clause, itself or through a
    /// template it includes; documents made from it do.
    pub published: bool,
    /// Its unpublished draft prints it.
    pub draft: bool,
}

/// The templates that print clause `clause`, by key.
pub async fn using_clause(store: &Store, clause: &str) -> Result<Vec<ClauseUse>, Error> {
    let published = all_published(store).await?;
    let mut memo = HashMap::new();
    let mut uses = Vec::new();
    let templates: Vec<Template> = store
        .fetch_all(&Sql::new("SELECT * FROM templates ORDER BY key"))
        .await?;
    for template in templates {
        let mut prints = |source: &str| {
            prints_clause(
                &template.key,
                source,
                &published,
                &mut memo,
                &mut Vec::new(),
            )
            .contains(clause)
        };
        let in_published = published
            .get(&template.key)
            .is_some_and(|(_, source)| prints(source));
        let in_draft = template.draft.as_deref().is_some_and(&mut prints);
        if in_published || in_draft {
            uses.push(ClauseUse {
                key: template.key,
                name: template.name,
                kind: template.kind,
                published_version: template.published_version,
                published: in_published,
                draft: in_draft,
            });
        }
    }
    Ok(uses)
}

/// The clauses `source` (of `key`) prints, itself and through the
/// published templates it includes; `memo` keeps what each published one
/// prints, `path` the includes being followed, against cycles.
fn prints_clause(
    key: &str,
    source: &str,
    published: &BTreeMap<String, (i64, String)>,
    memo: &mut HashMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
) -> BTreeSet<String> {
    let mut clauses = engine::clauses_of(key, source).unwrap_or_default();
    path.push(key.to_owned());
    for name in tags::references(source) {
        let dependency = name.strip_suffix(engine::BODY_SUFFIX).unwrap_or(&name);
        if path.iter().any(|p| p == dependency) {
            continue;
        }
        let reached = match memo.get(dependency) {
            Some(known) => known.clone(),
            None => {
                let Some((_, found)) = published.get(dependency) else {
                    continue;
                };
                let reached = prints_clause(dependency, found, published, memo, path);
                memo.insert(dependency.to_owned(), reached.clone());
                reached
            }
        };
        clauses.extend(reached);
    }
    path.pop();
    clauses
}

/// Publishes template `key`'s draft as its next version.
pub async fn publish(store: &Store, actor: &Actor, key: &str) -> Result<Template, Error> {
    policy::allow(actor, Action::WriteTemplates)?;
    let current = by_key(store, key).await?;
    let Some(draft) = current.draft.clone() else {
        return Err(Error::conflict(format!(
            "the template `{key}` has no draft to publish"
        )));
    };
    // The draft must load with what it uses, as generation will load it.
    let sources = with_source(store, current.clone(), &draft).await?.sources;
    let engine =
        add_sources(Engine::new(), &sources).map_err(|e| Error::invalid("draft", e.to_string()))?;
    // No customer may get language legal has not approved.
    let unapproved = clauses::resolve::unapproved(store, &engine.clause_keys()).await?;
    if !unapproved.is_empty() {
        return Err(Error::invalid(
            "draft",
            format!(
                "the template prints clauses legal has not approved: {}; \
                 publish it once each has an approved version",
                unapproved.join(", ")
            ),
        ));
    }

    let mut tx = store.begin().await?;
    let mut template = current.clone();
    let number = current.published_version.unwrap_or(0) + 1;
    template.published_version = Some(number);
    template.draft = None;
    match records::update(&mut tx, &mut template).await? {
        Updated::Done => {}
        Updated::Stale { current_version } => {
            return Err(Error::Conflict {
                message: format!("the template `{key}` changed meanwhile; publish again"),
                current_version: Some(current_version),
                fields: FieldErrors::default(),
            });
        }
        Updated::Missing => return Err(Error::NotFound(format!("there is no template `{key}`"))),
    }
    insert_version(&mut tx, &template, number, &draft, actor.user_id).await?;
    audit::record_change(
        &mut tx,
        actor,
        Some(&current),
        Some(&template),
        audit::Changes::new(),
    )
    .await?;
    tx.commit().await?;
    Ok(template)
}

pub(super) async fn insert_version(
    tx: &mut Tx,
    template: &Template,
    number: i64,
    source: &str,
    by: Id,
) -> Result<(), Error> {
    let mut sql = Sql::new(
        "INSERT INTO template_versions (id, template_id, number, source, published_at, published_by) VALUES (",
    );
    sql.bind(Id::new())
        .push(", ")
        .bind(template.meta.id)
        .push(", ")
        .bind(number)
        .push(", ")
        .bind(source)
        .push(", ")
        .bind(Timestamp::now())
        .push(", ")
        .bind(by)
        .push(")");
    tx.execute(&sql).await?;
    Ok(())
}

/// Starts a new draft of template `key` from its published version, unless
/// it has one already.
pub async fn new_draft(store: &Store, actor: &Actor, key: &str) -> Result<Template, Error> {
    policy::allow(actor, Action::WriteTemplates)?;
    let template = by_key(store, key).await?;
    if template.draft.is_some() {
        return Err(Error::conflict(format!(
            "the template `{key}` has a draft already; change it with PATCH"
        )));
    }
    let source = load_sources(store, key)
        .await?
        .sources
        .remove(&template.key)
        .ok_or_else(|| Error::Internal(format!("the published `{key}` is missing")))?;
    let mut patch = serde_json::Map::new();
    patch.insert("draft".into(), source.into());
    patch.insert("version".into(), template.meta.version.into());
    crm::update::<Template>(store, actor, template.meta.id, patch).await
}
