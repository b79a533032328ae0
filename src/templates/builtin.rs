//! The built-in templates in `templates/`, compiled into the program: a new
//! database starts with each published as version 1, so the first
//! proposal needs no set-up. `templates/builtin.json` says what each file
//! is, in the order a database creates them (blocks before the documents
//! that include them).

use serde::Deserialize;

use super::store::{self, Template, TemplateKind};
use crate::auth::SYSTEM_USER_ID;
use crate::error::Error;
use crate::store::records::{self, Meta};
use crate::store::{JsonText, Sql, Store};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    kind: TemplateKind,
    name: String,
    description: String,
    formats: Vec<String>,
    file: String,
}

const MANIFEST: &str = include_str!("../../templates/builtin.json");

macro_rules! embedded {
    ($($file:literal),+ $(,)?) => {
        &[$(($file, include_str!(concat!("../../templates/", $file)))),+]
    };
}

/// Every file of `templates/` the manifest names, by file name.
const FILES: &[(&str, &str)] = embedded!(
    "company-profile.md",
    "case-study-manufacturing.md",
    "case-study-healthcare.md",
    "case-study-logistics.md",
    "security.md",
    "quote-table.md",
    "proposal.md",
    "quote.md",
    "brochure.md",
    "follow-up-email.md",
    "pipeline-report.md",
);

/// The built-in templates: key, kind, name, description, formats, source.
fn builtins() -> Result<Vec<(Entry, &'static str)>, Error> {
    let entries: Vec<Entry> = serde_json::from_str(MANIFEST)
        .map_err(|e| Error::Internal(format!("templates/builtin.json: {e}")))?;
    entries
        .into_iter()
        .map(|entry| {
            let source = FILES
                .iter()
                .find(|(file, _)| *file == entry.file)
                .map(|(_, source)| *source)
                .ok_or_else(|| {
                    Error::Internal(format!("templates/{} is not embedded", entry.file))
                })?;
            Ok((entry, source))
        })
        .collect()
}

/// Publishes each built-in template this database has not had yet: all of
/// them into a new one, and into an older one those a release added. One
/// that was deleted stays deleted, and a template of the same key made by
/// someone is left alone.
pub async fn seed(store: &Store) -> Result<(), Error> {
    #[derive(sqlx::FromRow)]
    struct Key {
        key: String,
    }
    let seeded: std::collections::HashSet<String> = store
        .fetch_all::<Key>(&Sql::new("SELECT key FROM seeded_templates"))
        .await?
        .into_iter()
        .map(|k| k.key)
        .collect();
    let pending: Vec<_> = builtins()?
        .into_iter()
        .filter(|(entry, _)| !seeded.contains(&entry.key))
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for (entry, source) in pending {
        let mut mark = Sql::new("INSERT INTO seeded_templates (key) VALUES (");
        mark.bind(entry.key.as_str()).push(")");
        tx.execute(&mark).await?;
        let mut taken = Sql::new("SELECT key FROM templates WHERE key = ");
        taken.bind(entry.key.as_str());
        if tx.fetch_optional::<Key>(&taken).await?.is_some() {
            continue;
        }
        let template = Template {
            meta: Meta::new(None),
            key: entry.key,
            kind: entry.kind,
            name: entry.name,
            description: Some(entry.description),
            formats: JsonText(entry.formats),
            draft: None,
            published_version: Some(1),
        };
        records::insert(&mut tx, &template).await?;
        store::insert_version(&mut tx, &template, 1, source, SYSTEM_USER_ID).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::engine::{self, Engine};

    #[test]
    fn the_manifest_names_every_embedded_file_once() {
        let entries = builtins().expect("the manifest reads");
        let mut files: Vec<&str> = entries.iter().map(|(e, _)| e.file.as_str()).collect();
        files.sort_unstable();
        let mut embedded: Vec<&str> = FILES.iter().map(|(f, _)| *f).collect();
        embedded.sort_unstable();
        assert_eq!(files, embedded);
    }

    #[test]
    fn every_builtin_loads_with_what_it_includes() {
        let entries = builtins().expect("the manifest reads");
        let all: Vec<(&str, &str)> = entries.iter().map(|(e, s)| (e.key.as_str(), *s)).collect();
        Engine::new()
            .add_all(&all)
            .expect("the built-in templates load");
        // Blocks come before the documents that include them.
        for (i, (entry, source)) in entries.iter().enumerate() {
            for name in crate::templates::tags::references(source) {
                let key = name.trim_end_matches(engine::BODY_SUFFIX);
                let at = entries.iter().position(|(e, _)| e.key == key);
                assert!(
                    at.is_some_and(|at| at < i),
                    "{} uses {key} before it is made",
                    entry.key
                );
            }
        }
    }
}
