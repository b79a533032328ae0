//! A template's source tried out before it is saved: rendered for a
//! sample deal as generation renders a draft (DRAFT marks, each blank
//! field named where it prints), with the published templates it includes,
//! and kept nowhere. What the template editor shows as the author types:
//! the document, the problem with the source at its line, and the fields
//! of the sample deal the source would print blank.

use serde::Serialize;
use utoipa::ToSchema;

use super::generate;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::clauses;
use crate::context::{self, Subject, readiness};
use crate::error::Error;
use crate::store::{Id, Store};
use crate::templates::engine::{self, BODY_SUFFIX, CLAUSES_KEY};
use crate::templates::store as template_store;
use crate::templates::{Engine, TemplateError};

/// The source tried out: the document, or what stopped it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Tryout {
    /// The draft document as HTML; `null` when the source failed.
    pub html: Option<String>,
    /// Why the source failed; `null` when it rendered.
    pub error: Option<SourceProblem>,
    /// The sample's blank fields the source prints (empty when it failed).
    pub missing: Vec<readiness::Missing>,
}

/// What is wrong with a source, and where when that is known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SourceProblem {
    /// The line of the source (1-based); `null` when the problem is not
    /// in one place of this source (a limit, or a template it includes).
    pub line: Option<usize>,
    /// The column (1-based, in characters); `null` when unknown.
    pub column: Option<usize>,
    pub message: String,
}

/// Renders `source` as template `key` for deal `deal`, as `actor` (who
/// must be one who writes templates) sees the deal.
pub async fn try_source(
    store: &Store,
    actor: &Actor,
    key: &str,
    source: &str,
    deal: Id,
) -> Result<Tryout, Error> {
    policy::allow(actor, Action::WriteTemplates)?;
    let template = template_store::by_key(store, key).await?;
    let key = template.key.clone();
    let mut built = context::build(store, actor, Subject::Deal(deal)).await?;
    let failed = |problem: SourceProblem| Tryout {
        html: None,
        error: Some(problem),
        missing: Vec::new(),
    };
    // Checked alone first: its syntax errors point into the author's text,
    // before any marking moves a column.
    if let Err(e) = engine::check(&key, source) {
        return Ok(failed(problem(&key, source, &e)));
    }
    let loaded = match template_store::with_source(store, template, source).await {
        Ok(loaded) => loaded,
        // A template it uses that has no published version.
        Err(Error::Validation(fields)) => {
            return Ok(failed(located(&key, source, fields.first().1)));
        }
        Err(e) => return Err(e),
    };
    // Made afresh rather than cached: every keystroke is another source.
    let mut engine = Engine::marking();
    let all: Vec<(&str, &str)> = loaded
        .sources
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Err(e) = engine.add_all(&all) {
        return Ok(failed(problem(&key, source, &e)));
    }
    // As generation does: readiness before the clauses join the context.
    let paths = match engine.blank_fields(&key, &built.value) {
        Ok(paths) => paths,
        Err(e) => return Ok(failed(problem(&key, source, &e))),
    };
    let missing = readiness::fields_of(store, actor, &built, &engine, paths).await?;
    let resolved =
        clauses::resolve::resolve(store, &engine.clause_keys(), &built.value, true).await?;
    built.value[CLAUSES_KEY] = resolved.value;
    let rendered = match engine.render_draft(&key, &built.value) {
        Ok(rendered) => rendered,
        Err(e) => return Ok(failed(problem(&key, source, &e))),
    };
    match generate::draft_html(store, rendered, &key, &built.value).await {
        Ok(bytes) => Ok(Tryout {
            html: Some(String::from_utf8_lossy(&bytes).into_owned()),
            error: None,
            missing,
        }),
        // The front matter asks for a theme or an image that is not there.
        Err(Error::Validation(fields)) => Ok(failed(located(&key, source, fields.first().1))),
        Err(e) => Err(e),
    }
}

/// `e` as the author of `source` (template `key`) reads it: at its line
/// and column when it is in this source.
fn problem(key: &str, source: &str, e: &TemplateError) -> SourceProblem {
    let body = format!("{key}{BODY_SUFFIX}");
    // Front matter fields are parsed as templates named after the body,
    // padded to their place in the source.
    let ours = |template: &str| template.starts_with(&body);
    match e {
        TemplateError::Syntax {
            template,
            line,
            column,
            message,
        } if ours(template) => SourceProblem {
            line: Some(*line),
            column: Some(*column),
            message: message.clone(),
        },
        TemplateError::FrontMatter { template, source } if ours(template) => SourceProblem {
            line: Some(source.line),
            column: None,
            message: source.message.clone(),
        },
        TemplateError::Runtime { template, message }
        | TemplateError::Limit { template, message }
            if ours(template) =>
        {
            located(key, source, message.clone())
        }
        // In a published template this one includes: its name says where.
        other => SourceProblem {
            line: None,
            column: None,
            message: other.to_string(),
        },
    }
}

/// `message` placed where `source` (template `key`) first writes a name
/// the message quotes: tera gives no position for a failure while
/// rendering, but names the variable, filter or template that failed.
fn located(key: &str, source: &str, message: String) -> SourceProblem {
    let body = format!("{key}{BODY_SUFFIX}");
    let place = quoted(&message)
        .into_iter()
        .filter(|name| *name != key && *name != body)
        .find_map(|name| position_of(source, name));
    SourceProblem {
        line: place.map(|(line, _)| line),
        column: place.map(|(_, column)| column),
        message,
    }
}

/// The names `message` quotes with backticks or single quotes.
fn quoted(message: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for mark in ['`', '\''] {
        let parts = message.split(mark).skip(1).step_by(2);
        names.extend(parts.filter(|n| !n.trim().is_empty()));
    }
    names
}

/// The line and column (1-based, in characters) where `name` first stands
/// as a whole word in `source`.
fn position_of(source: &str, name: &str) -> Option<(usize, usize)> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    let at = source.match_indices(name).map(|(at, _)| at).find(|&at| {
        let before = source[..at].chars().next_back();
        let after = source[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })?;
    let line_start = source[..at].rfind('\n').map_or(0, |n| n + 1);
    let line = source[..at].matches('\n').count() + 1;
    let column = source[line_start..at].chars().count() + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendering_failure_is_placed_where_the_source_names_it() {
        let source = "# Offer\n\nFor {{ deal.name }}, {{ deal.nme }}.\n";
        let found = located(
            "offer",
            source,
            "Variable `deal.nme` not found in context while rendering 'offer.md'".to_owned(),
        );
        assert_eq!((found.line, found.column), (Some(3), Some(25)));
        // A longer name holding it is not it.
        assert_eq!(
            position_of("{{ deal.nmex }} {{ deal.nme }}", "deal.nme"),
            Some((1, 20))
        );
        assert_eq!(
            located("offer", source, "the template ran too long".to_owned()).line,
            None
        );
    }

    #[test]
    fn syntax_errors_keep_their_place_and_others_templates_are_named() {
        let source = "---\ntitle: Offer\n---\n# Offer\n\n{{ deal.name }\n";
        let e = engine::check("offer", source).unwrap_err();
        let found = problem("offer", source, &e);
        assert_eq!((found.line, found.column), (Some(6), Some(14)), "{found:?}");
        let elsewhere = TemplateError::Runtime {
            template: "terms.md".to_owned(),
            message: "Variable `x` not found".to_owned(),
        };
        let found = problem("offer", source, &elsewhere);
        assert_eq!(found.line, None);
        assert!(found.message.starts_with("terms.md"), "{found:?}");
    }
}
