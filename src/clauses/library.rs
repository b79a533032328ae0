//! The library as legal and marketing browse it: clauses by key, a page at
//! a time, each with its versions grouped by variant; found by the text of
//! the clause or of any of its versions, and by where versions stand.

use std::collections::HashMap;

use serde::Serialize;

use super::Clause;
use super::versions::{ClauseStatus, ClauseVersion, DEFAULT_VARIANT};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::error::Error;
use crate::store::search::contains_pattern;
use crate::store::{Id, Sql, Store};

/// Clauses a page when none is asked for.
pub const PAGE: u32 = 50;
/// The most clauses a page holds.
pub const PAGE_MAX: u32 = 200;

/// What to show of the library.
#[derive(Clone, Debug, Default)]
pub struct LibraryQuery {
    /// Text in the clause (key, title, category, description) or in any of
    /// its versions (variant, text).
    pub q: Option<String>,
    /// Only clauses with a version in this state, and only those versions.
    pub status: Option<ClauseStatus>,
    /// The key of the last clause of the previous page.
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// One variant of a clause and its versions.
#[derive(Clone, Debug, Serialize)]
pub struct Variant {
    pub name: String,
    /// The rule of its approved version, else of its newest one.
    pub rule: Option<String>,
    /// Newest first.
    pub versions: Vec<ClauseVersion>,
}

impl Variant {
    /// The version in `status`, newest first.
    pub fn in_status(&self, status: ClauseStatus) -> Option<&ClauseVersion> {
        self.versions.iter().find(|v| v.status == status)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub clause: Clause,
    /// `default` first, then by name.
    pub variants: Vec<Variant>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LibraryPage {
    pub entries: Vec<Entry>,
    /// The `after` of the next page, if there is one.
    pub next_after: Option<String>,
}

/// A page of the library.
pub async fn page(
    store: &Store,
    actor: &Actor,
    query: &LibraryQuery,
) -> Result<LibraryPage, Error> {
    policy::allow(actor, Action::ReadCatalog)?;
    let limit = query.limit.unwrap_or(PAGE).clamp(1, PAGE_MAX);
    let mut sql = Sql::new("SELECT c.* FROM clauses c WHERE 1 = 1");
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = contains_pattern(q);
        sql.push(" AND (c.search_text LIKE ")
            .bind(pattern.as_str())
            .push(
                " ESCAPE '\\' OR EXISTS (SELECT 1 FROM clause_versions v \
                 WHERE v.clause_id = c.id AND v.search_text LIKE ",
            )
            .bind(pattern)
            .push(" ESCAPE '\\'))");
    }
    if let Some(status) = query.status {
        sql.push(
            " AND EXISTS (SELECT 1 FROM clause_versions v \
             WHERE v.clause_id = c.id AND v.status = ",
        )
        .bind(status)
        .push(")");
    }
    if let Some(after) = &query.after {
        sql.push(" AND c.key > ").bind(after.as_str());
    }
    // One more than asked tells whether another page follows.
    sql.push(" ORDER BY c.key LIMIT ")
        .bind(i64::from(limit) + 1);
    let mut clauses = store.fetch_all::<Clause>(&sql).await?;
    let next_after = if clauses.len() > limit as usize {
        clauses.truncate(limit as usize);
        clauses.last().map(|c| c.key.clone())
    } else {
        None
    };
    let mut versions = versions_of(store, &clauses, query.status).await?;
    let entries = clauses
        .into_iter()
        .map(|clause| {
            let mine = versions.remove(&clause.meta.id).unwrap_or_default();
            Entry {
                clause,
                variants: by_variant(mine),
            }
        })
        .collect();
    Ok(LibraryPage {
        entries,
        next_after,
    })
}

/// The versions of `clauses` (in `status`, when given), by clause.
async fn versions_of(
    store: &Store,
    clauses: &[Clause],
    status: Option<ClauseStatus>,
) -> Result<HashMap<Id, Vec<ClauseVersion>>, Error> {
    let mut by_clause: HashMap<Id, Vec<ClauseVersion>> = HashMap::new();
    if clauses.is_empty() {
        return Ok(by_clause);
    }
    let mut sql = Sql::new("SELECT * FROM clause_versions WHERE clause_id IN (");
    sql.bind_list(clauses.iter().map(|c| c.meta.id)).push(")");
    if let Some(status) = status {
        sql.push(" AND status = ").bind(status);
    }
    for version in store.fetch_all::<ClauseVersion>(&sql).await? {
        by_clause
            .entry(version.clause_id)
            .or_default()
            .push(version);
    }
    Ok(by_clause)
}

/// `versions` of one clause grouped by variant: `default` first, then by
/// name, each newest first.
pub fn by_variant(mut versions: Vec<ClauseVersion>) -> Vec<Variant> {
    versions.sort_by(|a, b| {
        (a.variant != DEFAULT_VARIANT, &a.variant, -a.number).cmp(&(
            b.variant != DEFAULT_VARIANT,
            &b.variant,
            -b.number,
        ))
    });
    let mut variants: Vec<Variant> = Vec::new();
    for version in versions {
        match variants.last_mut() {
            Some(last) if last.name == version.variant => last.versions.push(version),
            _ => variants.push(Variant {
                name: version.variant.clone(),
                rule: None,
                versions: vec![version],
            }),
        }
    }
    for variant in &mut variants {
        variant.rule = variant
            .in_status(ClauseStatus::Approved)
            .or(variant.versions.first())
            .and_then(|v| v.rule.clone());
    }
    variants
}
