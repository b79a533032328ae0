//! The audit log for managers, legal and admins: every change, newest
//! first, filtered by the kind of record, the record, who made it, what
//! they did and when, with each field's value before and after.

use std::str::FromStr;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeDelta};
use serde::Deserialize;
use serde_json::{Value, json};

use super::form::{self, given};
use super::{PageError, Signed, view};
use crate::audit::{self, AuditAction, AuditEntity, AuditEntry, AuditFilter};
use crate::auth::policy::Action;
use crate::crm::ListParams;
use crate::error::FieldErrors;
use crate::store::{Id, Store, Timestamp};

/// Entries on a page.
const PAGE_SIZE: u32 = 50;

/// How much of a long value (a template's source) an entry shows.
const VALUE_MAX: usize = 200;

/// The filters and place in the log, as the address gives them.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// The first day shown (UTC).
    from: Option<String>,
    /// The last day shown (UTC).
    to: Option<String>,
    cursor: Option<String>,
}

/// `value` read as a `T`, unless blank; a problem under `name` when it
/// is not one.
fn parsed<T: FromStr>(
    problems: &mut FieldErrors,
    name: &str,
    value: &Option<String>,
    problem: &str,
) -> Option<T> {
    let value = given(value)?;
    let parsed = value.parse().ok();
    if parsed.is_none() {
        problems.add(name, problem);
    }
    parsed
}

impl AuditQuery {
    /// The filter the query names; problems by the filter's input.
    fn filter(&self) -> Result<AuditFilter, FieldErrors> {
        let mut problems = FieldErrors::new();
        let p = &mut problems;
        let entity: Option<AuditEntity> = parsed(
            p,
            "entity",
            &self.entity,
            "is not a kind of record the log keeps",
        );
        let entity_id: Option<Id> = parsed(
            p,
            "entity_id",
            &self.entity_id,
            "must be a record's id, such as 0190a5c4-7f3e-7b2a-9c1d-2e4f6a8b0c1d",
        );
        let actor_id: Option<Id> = parsed(p, "actor", &self.actor, "is not a user");
        let action: Option<AuditAction> = parsed(p, "action", &self.action, "is not an action");
        let day = "must be a date such as 2026-03-31";
        let from: Option<NaiveDate> = parsed(p, "from", &self.from, day);
        let to: Option<NaiveDate> = parsed(p, "to", &self.to, day);
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            problems.add("to", "is before the first day");
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let midnight = |day: NaiveDate| {
            day.and_hms_opt(0, 0, 0)
                .map(|t| Timestamp::from(t.and_utc()))
        };
        Ok(AuditFilter {
            entity,
            entity_id,
            actor_id,
            action,
            since: from.and_then(midnight),
            // The last day is shown whole.
            until: to
                .and_then(|d| d.checked_add_signed(TimeDelta::days(1)))
                .and_then(midnight),
        })
    }

    /// The log with these filters, from `cursor` on (the newest entries
    /// without one).
    fn link(&self, cursor: Option<&str>) -> String {
        form::address(
            "/audit",
            &[
                ("entity", given(&self.entity)),
                ("entity_id", given(&self.entity_id)),
                ("actor", given(&self.actor)),
                ("action", given(&self.action)),
                ("from", given(&self.from)),
                ("to", given(&self.to)),
                ("cursor", cursor),
            ],
        )
    }
}

/// `GET /audit`: managers, legal and admins. Filters that cannot be read
/// are shown beside their inputs (400), with no entries.
pub async fn log(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    signed.require(Action::ReadAudit)?;
    let actors = audit::actors(&store, &signed.actor).await?;
    let (status, entries, next, problems) = match query.filter() {
        Ok(filter) => {
            let params = ListParams {
                limit: Some(PAGE_SIZE),
                cursor: given(&query.cursor).map(str::to_owned),
                ..ListParams::default()
            };
            let page = audit::list(&store, &signed.actor, &params, &filter).await?;
            let admin = signed.may(Action::Administer);
            let entries: Vec<Value> = page.items.iter().map(|e| shown(e, admin)).collect();
            let next = page.next_cursor.map(|c| query.link(Some(&c)));
            (StatusCode::OK, entries, next, FieldErrors::new())
        }
        Err(problems) => (StatusCode::BAD_REQUEST, Vec::new(), None, problems),
    };
    let problem = |name: &str| problems.get(name);
    let page = view::render(
        "audit.html",
        &json!({
            "me": signed.layout(),
            "current": "/audit",
            "entries": entries,
            "next": next,
            "newest": given(&query.cursor).map(|_| query.link(None)),
            "actors": actors,
            "entities": AuditEntity::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            "actions": AuditAction::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            "filter": {
                "entity": given(&query.entity), "entity_id": given(&query.entity_id),
                "actor": given(&query.actor), "action": given(&query.action),
                "from": given(&query.from), "to": given(&query.to),
            },
            "problems": {
                "entity": problem("entity"), "entity_id": problem("entity_id"),
                "actor": problem("actor"), "action": problem("action"),
                "from": problem("from"), "to": problem("to"),
            },
            "filtered": problems.is_empty() && query.link(None) != "/audit",
        }),
    )?;
    Ok((status, page).into_response())
}

/// An entry as the page shows it: when, the record's page where it has
/// one (for `admin`, the users' and the settings' too), and each field's
/// values before and after.
fn shown(entry: &AuditEntry, admin: bool) -> Value {
    let id = entry.entity_id.map(|id| id.to_string());
    let page = match (entry.entity.as_str(), &id) {
        ("deal", Some(id)) => Some(format!("/deals/{id}")),
        ("user", Some(id)) if admin => Some(format!("/admin/users/{id}")),
        ("settings", _) if admin => Some("/admin/settings".to_owned()),
        _ => None,
    };
    let history = id.as_deref().map(|id| {
        let filter = [
            ("entity", Some(entry.entity.as_str())),
            ("entity_id", Some(id)),
        ];
        form::address("/audit", &filter)
    });
    let changes: Vec<Value> = entry
        .changes
        .iter()
        .map(|(field, change)| {
            json!({"field": field, "before": value(&change.before), "after": value(&change.after)})
        })
        .collect();
    json!({
        "id": entry.id,
        "when": view::moment(&entry.at),
        "actor": entry.actor,
        "via": entry.via,
        "entity": entry.entity.replace('_', " "),
        "entity_id": id,
        "action": entry.action.as_str(),
        "page": page,
        "history": history,
        "changes": changes,
        "request_id": entry.request_id,
    })
}

/// A field's value as text; `null` (no value) as none.
fn value(v: &Value) -> Option<String> {
    let text = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(if text.chars().count() > VALUE_MAX {
        let cut: String = text.chars().take(VALUE_MAX).collect();
        format!("{cut}…")
    } else {
        text
    })
}
