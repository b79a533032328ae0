//! A segment's records, and how ready they are for a template: the count
//! and the fields most often blank, before a batch runs.

use std::collections::HashMap;

use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Segment, SegmentSubject};
use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::context::readiness::{self, Missing};
use crate::context::rules::Rule;
use crate::context::{self, Built};
use crate::error::Error;
use crate::store::{Id, Sql, Store};
use crate::templates::store::{self as template_store, Published};

/// How many contexts are built at once: enough to keep both the database
/// and the cores busy.
const CONCURRENCY: usize = 8;
/// How many records to fill a summary names for each field.
const RECORDS_NAMED: usize = 20;

/// A record of a segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Member {
    pub id: Id,
    /// The contact's, account's or deal's name.
    pub name: Option<String>,
}

/// `look` at each record of `segment` that `actor` may generate documents
/// for, with its context, in the order of their ids (a rep's own;
/// everyone's for the other roles). Contexts are built a few at a time and
/// dropped once looked at, so memory stays flat however big the segment.
async fn each_member<T, F, Fut>(
    store: &Store,
    actor: &Actor,
    segment: &Segment,
    look: F,
) -> Result<Vec<T>, Error>
where
    F: Fn(Member, Built) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let scope = policy::require(actor, Action::GenerateDocuments)?;
    let rule = segment
        .rule
        .as_deref()
        .map(Rule::parse)
        .transpose()
        .map_err(|e| Error::Internal(format!("segment `{}`'s rule: {e}", segment.key)))?;
    let mut sql = Sql::new(format!("SELECT id FROM {}", segment.subject.table()));
    if scope.grant() == Grant::Own {
        sql.push(" WHERE owner_id = ").bind(actor.user_id);
    }
    sql.push(" ORDER BY id");
    let ids: Vec<IdRow> = store.fetch_all(&sql).await?;
    let builder = context::Builder::new(store).await?;
    let subject = segment.subject;
    let looked: Vec<Option<T>> = stream::iter(ids)
        .map(|row| {
            let (builder, rule, look) = (&builder, &rule, &look);
            async move {
                let built = builder.build(store, actor, subject.subject(row.id)).await?;
                if rule.as_ref().is_some_and(|r| !r.evaluate(&built.value)) {
                    return Ok(None);
                }
                let member = Member {
                    id: row.id,
                    name: name_of(subject, &built.value),
                };
                look(member, built).await.map(Some)
            }
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(looked.into_iter().flatten().collect())
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: Id,
}

/// The records of `segment` that `actor` may generate documents for.
pub async fn members(
    store: &Store,
    actor: &Actor,
    segment: &Segment,
) -> Result<Vec<Member>, Error> {
    each_member(store, actor, segment, |member, _| async { Ok(member) }).await
}

fn name_of(subject: SegmentSubject, context: &serde_json::Value) -> Option<String> {
    context[subject.as_str()]["name"]
        .as_str()
        .map(str::to_owned)
}

/// A segment's size and, for a template, how many of its records a
/// document could be made for now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub segment: String,
    pub subject: SegmentSubject,
    /// How many records the segment holds (for a rep: of their own).
    pub count: usize,
    /// The template checked, its published version, and how many records
    /// are ready for it and how many not; `null` without a template.
    pub template: Option<String>,
    pub template_version: Option<i64>,
    pub ready: Option<usize>,
    pub not_ready: Option<usize>,
    /// The blank fields, the most often blank first.
    pub missing: Vec<MissingField>,
}

/// A field blank for some of a segment's records.
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingField {
    /// As a readiness item names it: `account`, `contact`, `deal`, `user`
    /// or `settings`, the field, its label and input kind.
    pub entity: &'static str,
    pub field: String,
    pub label: String,
    pub kind: String,
    pub options: Option<Vec<String>>,
    /// How many of the segment's records it keeps from being ready.
    pub members: usize,
    /// The records that hold it blank, to fill (the first twenty).
    pub records: Vec<ToFill>,
    /// How many more records hold it blank.
    pub more_records: usize,
}

/// A record with a blank field, and where to fill it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToFill {
    /// The record holding the field; `null` for the settings.
    pub id: Option<Id>,
    /// The API path that writes it (PATCH, or PUT for answers).
    pub href: String,
    /// Whether the caller may write it.
    pub editable: bool,
    /// A segment record whose document needs it.
    pub member: Member,
}

/// How big `segment` is and, given a template, how ready its records are.
pub async fn summary(
    store: &Store,
    actor: &Actor,
    segment: &Segment,
    template: Option<&str>,
) -> Result<Summary, Error> {
    let mut summary = Summary {
        segment: segment.key.clone(),
        subject: segment.subject,
        count: 0,
        template: None,
        template_version: None,
        ready: None,
        not_ready: None,
        missing: Vec::new(),
    };
    let Some(key) = template else {
        summary.count = members(store, actor, segment).await?.len();
        return Ok(summary);
    };
    let loaded = template_store::load_sources(store, key).await?;
    summary.template = Some(loaded.template.key.clone());
    summary.template_version = loaded.template.published_version;
    let loaded: &Published = &loaded;
    let missing: Vec<(Member, Vec<Missing>)> =
        each_member(store, actor, segment, |member, built| async move {
            let missing = readiness::missing(store, actor, &built, loaded).await?;
            Ok((member, missing))
        })
        .await?;
    let not_ready = missing.iter().filter(|(_, m)| !m.is_empty()).count();
    summary.count = missing.len();
    summary.ready = Some(missing.len() - not_ready);
    summary.not_ready = Some(not_ready);
    summary.missing = group(missing);
    Ok(summary)
}

/// The blank fields of each member, by field, the most often blank first;
/// a field of a record shared by members (their rep's phone) is named once.
fn group(missing: Vec<(Member, Vec<Missing>)>) -> Vec<MissingField> {
    let mut fields: Vec<MissingField> = Vec::new();
    let mut index: HashMap<(&'static str, String), usize> = HashMap::new();
    for (member, items) in missing {
        for item in items {
            let at = *index
                .entry((item.entity, item.field.clone()))
                .or_insert_with(|| {
                    fields.push(MissingField {
                        entity: item.entity,
                        field: item.field.clone(),
                        label: item.label.clone(),
                        kind: item.kind.clone(),
                        options: item.options.clone(),
                        members: 0,
                        records: Vec::new(),
                        more_records: 0,
                    });
                    fields.len() - 1
                });
            let field = &mut fields[at];
            field.members += 1;
            if field.records.iter().any(|r| r.id == item.id) {
                continue;
            }
            if field.records.len() < RECORDS_NAMED {
                field.records.push(ToFill {
                    id: item.id,
                    href: item.href,
                    editable: item.editable,
                    member: member.clone(),
                });
            } else {
                field.more_records += 1;
            }
        }
    }
    fields.sort_by_key(|f| std::cmp::Reverse(f.members));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(entity: &'static str, id: Id, field: &str) -> Missing {
        Missing {
            entity,
            id: Some(id),
            field: field.to_owned(),
            label: field.to_owned(),
            kind: "text".to_owned(),
            options: None,
            editable: true,
            href: format!("/api/v1/{entity}s/{id}"),
        }
    }

    fn member(id: Id) -> Member {
        Member { id, name: None }
    }

    #[test]
    fn fields_are_counted_per_member_and_a_shared_record_is_named_once() {
        let (a, b, c, rep) = (Id::new(), Id::new(), Id::new(), Id::new());
        let grouped = group(vec![
            (
                member(a),
                vec![
                    missing("contact", a, "phone"),
                    missing("user", rep, "phone"),
                ],
            ),
            (member(b), vec![missing("user", rep, "phone")]),
            (
                member(c),
                vec![
                    missing("user", rep, "phone"),
                    missing("contact", c, "phone"),
                ],
            ),
        ]);
        assert_eq!(grouped.len(), 2);
        assert_eq!((grouped[0].entity, grouped[0].members), ("user", 3));
        assert_eq!(
            grouped[0].records.len(),
            1,
            "one rep to fill, for three contacts"
        );
        assert_eq!((grouped[1].entity, grouped[1].members), ("contact", 2));
        let ids: Vec<_> = grouped[1].records.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![Some(a), Some(c)]);
    }
}
