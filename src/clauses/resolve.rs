//! Which text of each clause a document prints: for every clause its
//! templates name, the latest approved version of the variant whose rule
//! holds for the document's context, else of the `default` variant. A
//! clause with nothing approved that applies stops the document.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json, json};

use super::Clause;
use super::versions::{ClauseStatus, ClauseVersion, DEFAULT_VARIANT};
use crate::context::rules::{self, Rule};
use crate::error::Error;
use crate::store::{Id, Sql, Store};

/// The clauses a document prints.
#[derive(Debug, Default)]
pub struct Resolved {
    /// `{KEY: {key, title, category, variant, number, version_id, text}}`:
    /// what the context's `clauses` holds, and `clause(key=…)` prints.
    pub value: Json,
    /// The approved versions printed.
    pub versions: Vec<Id>,
}

/// The clauses named `keys` and their approved versions.
struct Library {
    clauses: BTreeMap<String, Clause>,
    approved: Vec<ClauseVersion>,
}

impl Library {
    async fn load(store: &Store, keys: &BTreeSet<String>) -> Result<Library, Error> {
        if keys.is_empty() {
            return Ok(Library {
                clauses: BTreeMap::new(),
                approved: Vec::new(),
            });
        }
        let mut sql = Sql::new("SELECT * FROM clauses WHERE key IN (");
        sql.bind_list(keys.iter().map(String::as_str)).push(")");
        let clauses = store
            .fetch_all::<Clause>(&sql)
            .await?
            .into_iter()
            .map(|c| (c.key.clone(), c))
            .collect();
        let mut sql = Sql::new("SELECT * FROM clause_versions WHERE status = ");
        sql.bind(ClauseStatus::Approved)
            .push(" AND clause_key IN (")
            .bind_list(keys.iter().map(String::as_str))
            .push(") ORDER BY clause_key, variant");
        let approved = store.fetch_all::<ClauseVersion>(&sql).await?;
        Ok(Library { clauses, approved })
    }

    fn approved_of<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a ClauseVersion> {
        self.approved.iter().filter(move |v| v.clause_key == key)
    }

    /// The version of clause `key` that applies in `context`, or why none
    /// does.
    fn choose<'a>(&'a self, key: &'a str, context: &Json) -> Result<&'a ClauseVersion, String> {
        if !self.clauses.contains_key(key) {
            return Err(format!("`{key}`: there is no such clause"));
        }
        let mut matching = Vec::new();
        let mut default = None;
        for version in self.approved_of(key) {
            match version.rule.as_deref() {
                None => default = Some(version),
                Some(text) => {
                    // A stored rule was checked when written; one that no
                    // longer parses applies nowhere rather than everywhere.
                    if Rule::parse(text).is_ok_and(|rule| rule.evaluate(context)) {
                        matching.push(version);
                    }
                }
            }
        }
        match (matching.as_slice(), default) {
            ([one], _) => Ok(one),
            ([], Some(default)) => Ok(default),
            ([], None) if self.approved_of(key).next().is_none() => {
                Err(format!("`{key}` has no approved version"))
            }
            ([], None) => Err(format!(
                "`{key}`: no approved variant applies to this document ({}), and it has no approved `{DEFAULT_VARIANT}` variant",
                self.approved_of(key)
                    .map(|v| format!("{}: {}", v.variant, v.rule.as_deref().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            (many, _) => Err(format!(
                "`{key}`: the rules of more than one approved variant hold ({}); legal must make them exclusive",
                many.iter()
                    .map(|v| v.variant.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The clauses `keys` for a document with `context`. A draft shows a
/// clause it cannot print as a marked placeholder; any other document is
/// refused, naming each such clause.
pub async fn resolve(
    store: &Store,
    keys: &BTreeSet<String>,
    context: &Json,
    draft: bool,
) -> Result<Resolved, Error> {
    let library = Library::load(store, keys).await?;
    let mut value = Map::new();
    let mut versions = Vec::new();
    let mut problems = Vec::new();
    for key in keys {
        match library.choose(key, context) {
            Ok(version) => {
                let clause = &library.clauses[key];
                versions.push(version.meta.id);
                value.insert(
                    key.clone(),
                    json!({
                        "key": key,
                        "title": clause.title,
                        "category": clause.category,
                        "variant": version.variant,
                        "number": version.number,
                        "version_id": version.meta.id,
                        "text": version.body.trim(),
                    }),
                );
            }
            Err(problem) => {
                value.insert(
                    key.clone(),
                    json!({
                        "key": key,
                        "text": format!("**MISSING: clause {key}, not approved**"),
                    }),
                );
                problems.push(problem);
            }
        }
    }
    if !problems.is_empty() && !draft {
        return Err(Error::ClauseUnavailable(format!(
            "the document would print contract language legal has not approved: {}",
            problems.join("; ")
        )));
    }
    versions.sort();
    Ok(Resolved {
        value: Json::Object(value),
        versions,
    })
}

/// Of the clauses `keys`, those with no approved version (or that do not
/// exist), for a template about to be published.
pub async fn unapproved(store: &Store, keys: &BTreeSet<String>) -> Result<Vec<String>, Error> {
    let library = Library::load(store, keys).await?;
    Ok(keys
        .iter()
        .filter(|key| library.approved_of(key).next().is_none())
        .map(|key| match library.clauses.contains_key(key) {
            true => format!("`{key}` (no approved version)"),
            false => format!("`{key}` (no such clause)"),
        })
        .collect())
}

/// The context paths that the rules of the approved variants of clauses
/// `keys` read and that are blank in `context`: without them a document
/// cannot tell which variant applies.
pub async fn blank_rule_paths(
    store: &Store,
    keys: &BTreeSet<String>,
    context: &Json,
) -> Result<Vec<String>, Error> {
    let library = Library::load(store, keys).await?;
    let mut paths = Vec::new();
    for version in &library.approved {
        let Some(rule) = version.rule.as_deref().and_then(|r| Rule::parse(r).ok()) else {
            continue;
        };
        for path in rule.paths() {
            if rules::is_blank(rules::lookup(context, &path)) && !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    Ok(paths)
}
