//! Batches: one document for each record of a segment. The list of
//! batches; the form that starts one once its segment is checked against
//! the template (how many records, how many ready, the fields most often
//! blank); and each batch's progress, followed live by
//! `assets/web/batch.js` (without a script the page shows the state it
//! was loaded in, and a link to look again).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::deals::every;
use super::form::{self, NoticeQuery, Posted};
use super::{PageError, Signed, describe, error_page, view};
use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::auth::users::User;
use crate::batches::{
    self, BatchFilter, BatchRequest, BatchStatus, ItemFilter, ItemStatus, Progress,
};
use crate::crm::{self, ListParams};
use crate::documents::DocumentFormat;
use crate::error::Error;
use crate::segments::{self, Segment, SegmentFilter, members};
use crate::store::{Id, Store};
use crate::templates::store::{Template, TemplateFilter};
use crate::web::AppState;

/// Batches a page of the list shows.
const BATCHES_PER_PAGE: u32 = 20;
/// Skipped or failed records a batch's page shows at once.
const PROBLEMS_PER_PAGE: u32 = 50;
/// Blank fields a check names, the most often blank first.
const MISSING_SHOWN: usize = 10;

const NOTICES: &[(&str, &str)] = &[(
    "started",
    "The batch has started: its documents are being made.",
)];

/// The batch chosen in the start form.
#[derive(Debug, Default, Deserialize)]
pub struct Picked {
    template: Option<String>,
    segment: Option<String>,
    format: Option<String>,
    draft: Option<String>,
}

impl Picked {
    fn template(&self) -> Option<&str> {
        self.template
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    fn segment(&self) -> Option<&str> {
        self.segment
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn format(&self) -> &str {
        self.format
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .unwrap_or("pdf")
    }

    fn draft(&self) -> bool {
        self.draft.as_deref() == Some("true")
    }

    fn shown(&self) -> Value {
        json!({"template": self.template().unwrap_or_default(),
               "segment": self.segment().unwrap_or_default(),
               "format": self.format(), "draft": self.draft()})
    }

    /// The template and segment, or the field left blank.
    fn both(&self) -> Result<(&str, &str), Error> {
        let template = self
            .template()
            .ok_or_else(|| Error::invalid("template", "choose a template"))?;
        let segment = self
            .segment()
            .ok_or_else(|| Error::invalid("segment", "choose a segment"))?;
        Ok((template, segment))
    }

    fn request(&self) -> Result<BatchRequest, Error> {
        let (template, segment) = self.both()?;
        let format = self.format().parse::<DocumentFormat>().map_err(|_| {
            Error::invalid(
                "format",
                format!("`{}` is not pdf, docx, html or eml", self.format()),
            )
        })?;
        Ok(BatchRequest {
            template: template.to_owned(),
            segment: segment.to_owned(),
            format,
            draft: self.draft(),
        })
    }
}

/// A template the form names that does not exist is a problem of the
/// form's field, as a segment that does not is already.
fn on_template_field(e: Error) -> Error {
    match e {
        Error::NotFound(message) => Error::invalid("template", message),
        other => other,
    }
}

/// The query of the list: the start form's choice, the list's filter and
/// page, and a notice.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    picked: Picked,
    status: Option<String>,
    cursor: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

/// `GET /batches`: the list, and the start form; with a template and a
/// segment chosen, the segment checked against the template.
pub async fn list(
    State(store): State<Store>,
    signed: Signed,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    // The domain functions hold each record to the scope.
    signed.require(Action::GenerateDocuments)?;
    let checked = if query.picked.template().is_some() || query.picked.segment().is_some() {
        Some(check(&store, &signed.actor, &query.picked).await)
    } else {
        None
    };
    let (summary, problem) = match checked {
        Some(Ok(summary)) => (Some(summary), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    Ok(render_list(&store, &signed, &query, summary, problem.as_ref()).await?)
}

/// How the picked segment's records stand for the picked template.
async fn check(store: &Store, actor: &Actor, picked: &Picked) -> Result<Value, Error> {
    let (template, segment) = picked.both()?;
    let segment = segments::by_key(store, segment)
        .await
        .map_err(|e| match e {
            Error::NotFound(message) => Error::invalid("segment", message),
            other => other,
        })?;
    let summary = members::summary(store, actor, &segment, Some(template))
        .await
        .map_err(on_template_field)?;
    let mut shown = serde_json::to_value(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    shown["records"] = segment.subject.table().into();
    shown["segment_name"] = segment.name.into();
    if let Some(missing) = shown["missing"].as_array_mut() {
        missing.truncate(MISSING_SHOWN);
    }
    Ok(shown)
}

/// `POST /batches`: starts the picked batch and goes to its page.
pub async fn start(form: Posted) -> Response {
    let picked = Picked {
        template: form.field("template").map(str::to_owned),
        segment: form.field("segment").map(str::to_owned),
        format: form.field("format").map(str::to_owned),
        draft: form.field("draft").map(str::to_owned),
    };
    let started = async {
        form.signed.require(Action::GenerateDocuments)?;
        let request = picked.request()?;
        batches::create(form.store(), form.actor(), request)
            .await
            .map_err(on_template_field)
    }
    .await;
    match started {
        Ok(batch) => {
            form.state.batches.notify_one();
            form::notice(&format!("/batches/{}", batch.meta.id), "started")
        }
        Err(e @ Error::Forbidden(_)) => error_page(&e),
        Err(e) => {
            let query = ListQuery {
                picked,
                ..ListQuery::default()
            };
            render_list(form.store(), &form.signed, &query, None, Some(&e))
                .await
                .unwrap_or_else(|e| error_page(&e))
        }
    }
}

/// The list page, with the start form showing `picked`, its check
/// `summary` or the `problem` of the check or the start.
async fn render_list(
    store: &Store,
    signed: &Signed,
    query: &ListQuery,
    summary: Option<Value>,
    problem: Option<&Error>,
) -> Result<Response, Error> {
    let actor = &signed.actor;
    // Whether the form offers only drafts, or only the rep's own records.
    let scope = policy::require(&signed.actor, Action::GenerateDocuments)?;
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<BatchStatus>().map_err(|_| {
            Error::bad_request("status", format!("`{s}` is not running or finished"))
        })?),
    };
    let params = ListParams {
        limit: Some(BATCHES_PER_PAGE),
        cursor: query.cursor.clone().filter(|c| !c.is_empty()),
        ..ListParams::default()
    };
    let filter = BatchFilter {
        status,
        ..BatchFilter::default()
    };
    let page = batches::list(store, actor, &params, &filter).await?;
    let mut listed: Vec<Value> =
        serde_json::from_str(&page.items).map_err(|e| Error::Internal(e.to_string()))?;
    let mut names: HashMap<Id, String> = HashMap::new();
    for b in &mut listed {
        let Some(id) = b["id"].as_str().and_then(|i| i.parse::<Id>().ok()) else {
            continue;
        };
        let counts = batches::counts(store, id).await?;
        b["ended"] = counts.ended().into();
        b["counts"] = to_value(&counts)?;
        b["when"] = minutes(&b["created_at"]).into();
        if let Some(by) = b["created_by"].as_str().and_then(|i| i.parse::<Id>().ok()) {
            if let Entry::Vacant(slot) = names.entry(by) {
                slot.insert(crm::get::<User>(store, by).await?.name);
            }
            b["by"] = names.get(&by).cloned().into();
        }
    }
    // Templates a document is made from alone: not blocks and layouts.
    let templates: Vec<Value> = every::<Template>(store, actor, &TemplateFilter::default(), None)
        .await?
        .into_iter()
        .filter(|t| {
            t["published_version"].is_number()
                && !matches!(t["kind"].as_str(), Some("block" | "layout"))
        })
        .collect();
    let segments = every::<Segment>(store, actor, &SegmentFilter::default(), None).await?;
    let status_code = problem.map_or(StatusCode::OK, |e| e.status_and_code().0);
    let html = view::render(
        "batches.html",
        &json!({
            "me": signed.layout(),
            "current": "/batches",
            "notice": query.notice.text(NOTICES),
            "batches": listed,
            "status": status.map_or("", BatchStatus::as_str),
            "statuses": BatchStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "next": page.next_cursor.map(|c| c.encode()),
            "templates": templates,
            "segments": segments,
            "formats": DocumentFormat::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            "picked": query.picked.shown(),
            "drafts_only": scope.grant() == Grant::Previews,
            "own_only": scope.grant() == Grant::Own,
            "summary": summary,
            "problem": problem.map(describe),
        }),
    )?;
    Ok((status_code, html).into_response())
}

/// Which skipped and failed records a batch's page shows: a page of each.
#[derive(Debug, Default, Deserialize)]
pub struct ProblemsQuery {
    skipped: Option<String>,
    failed: Option<String>,
    #[serde(flatten)]
    notice: NoticeQuery,
}

/// `GET /batches/{id}`: the batch's progress, its skipped and failed
/// records and its documents as a ZIP. Readable by whom the API lets read
/// the batch.
pub async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Id>,
    Query(query): Query<ProblemsQuery>,
) -> Result<Html<String>, PageError> {
    // Whether this batch may be read is the domain's to say (403 or 404).
    signed.require(Action::GenerateDocuments)?;
    let store = &state.store;
    let progress = batches::progress(store, &signed.actor, id).await?;
    let skipped = problems(
        store,
        &signed.actor,
        id,
        ItemStatus::Skipped,
        &query.skipped,
    )
    .await?;
    let failed = problems(store, &signed.actor, id, ItemStatus::Failed, &query.failed).await?;
    let by = crm::get::<User>(store, progress.batch.created_by)
        .await?
        .name;
    Ok(view::render(
        "batch.html",
        &json!({
            "me": signed.layout(),
            "current": "/batches",
            "notice": query.notice.text(NOTICES),
            "batch": progress_view(&progress)?,
            "by": by,
            "skipped": skipped,
            "failed": failed,
        }),
    )?)
}

/// A page of batch `id`'s items that ended `status`, after `cursor`.
async fn problems(
    store: &Store,
    actor: &Actor,
    id: Id,
    status: ItemStatus,
    cursor: &Option<String>,
) -> Result<Value, Error> {
    let params = ListParams {
        limit: Some(PROBLEMS_PER_PAGE),
        cursor: cursor.clone().filter(|c| !c.is_empty()),
        ..ListParams::default()
    };
    let filter = ItemFilter {
        status: Some(status),
    };
    let page = batches::items(store, actor, id, &params, &filter).await?;
    Ok(json!({"items": page.items, "next": page.next_cursor, "from": params.cursor}))
}

/// The progress as the page shows it: the API's fields, and what is still
/// open, the rate and the time left in words.
fn progress_view(progress: &Progress) -> Result<Value, Error> {
    let mut shown = to_value(progress)?;
    let counts = &progress.counts;
    shown["ended"] = counts.ended().into();
    shown["open"] = (counts.pending + counts.working).into();
    shown["rate"] = progress
        .rate_per_second
        .map(|r| format!("{r:.1} a second"))
        .into();
    shown["eta"] = progress.eta_seconds.map(time_left).into();
    shown["when"] = minutes(&shown["created_at"]).into();
    shown["finished_when"] = minutes(&shown["finished_at"]).into();
    Ok(shown)
}

/// `seconds` as a reader takes it in at a glance (as `batch.js` writes it).
fn time_left(seconds: u64) -> String {
    match seconds {
        0..60 => format!("about {seconds} s"),
        60..3600 => format!("about {} min", seconds.div_ceil(60)),
        _ => format!("about {} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

/// An RFC 3339 time to the minute, as the pages show times.
fn minutes(time: &Value) -> Option<String> {
    time.as_str()
        .map(|t| t.chars().take(16).collect::<String>().replace('T', " "))
}

fn to_value(v: &impl serde::Serialize) -> Result<Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::time_left;

    #[test]
    fn time_left_reads_in_seconds_minutes_then_hours() {
        assert_eq!(time_left(42), "about 42 s");
        assert_eq!(time_left(61), "about 2 min");
        assert_eq!(time_left(3 * 3600 + 5 * 60), "about 3 h 5 min");
    }
}
