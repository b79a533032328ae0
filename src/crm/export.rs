//! Accounts, contacts and deals as CSV: one row per record, a column per
//! field as the API names it (`id` first, then the fields a create takes,
//! then `created_at`, `updated_at` and `version`), read a page at a time
//! so an export of any size holds one page in memory.

use serde_json::Value as Json;
use tokio::sync::mpsc;

use super::{ListParams, Resource};
use crate::auth::Actor;
use crate::error::Error;

/// Rows read and sent at a time.
const PAGE: u32 = 200;

/// What can be exported, as the export's path names it.
pub const EXPORTS: [&str; 3] = ["accounts", "contacts", "deals"];

/// The columns of `R`'s export.
pub fn columns<R: Resource>() -> Vec<String>
where
    R::Input: Default,
{
    let mut columns = vec!["id".to_owned()];
    if let Ok(Json::Object(fields)) = serde_json::to_value(R::Input::default()) {
        columns.extend(fields.keys().filter(|k| *k != "id").cloned());
    }
    columns.extend(["created_at", "updated_at", "version"].map(str::to_owned));
    columns
}

/// A value as a CSV cell: text as it is, numbers and booleans written out,
/// nothing for `null`, lists and objects as JSON.
fn cell(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Writes every `R` record `actor` may read as CSV to `out`, chunk by
/// chunk, oldest first; returns how many. Stops quietly when the receiver
/// goes away.
pub async fn write<R: Resource>(
    store: &crate::store::Store,
    actor: &Actor,
    out: mpsc::Sender<Vec<u8>>,
) -> Result<usize, Error>
where
    R::Input: Default,
{
    let columns = columns::<R>();
    let csv_error = |e: csv::Error| Error::Internal(format!("writing CSV: {e}"));
    let mut params = ListParams {
        limit: Some(PAGE),
        ..ListParams::default()
    };
    let mut rows = 0;
    loop {
        let page = super::list::<R>(store, actor, &params, &Default::default()).await?;
        let items: Vec<Json> = serde_json::from_str(&page.items)
            .map_err(|e| Error::Internal(format!("a page of {}: {e}", R::TABLE)))?;
        let mut writer = csv::Writer::from_writer(Vec::new());
        if rows == 0 {
            writer.write_record(&columns).map_err(csv_error)?;
        }
        for item in &items {
            writer
                .write_record(columns.iter().map(|c| cell(&item[c.as_str()])))
                .map_err(csv_error)?;
        }
        rows += items.len();
        let chunk = writer
            .into_inner()
            .map_err(|e| Error::Internal(format!("writing CSV: {e}")))?;
        if out.send(chunk).await.is_err() {
            return Ok(rows);
        }
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor.encode()),
            None => return Ok(rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::contacts::Contact;

    #[test]
    fn the_id_comes_first_and_the_bookkeeping_last() {
        let columns = columns::<Contact>();
        assert_eq!(columns.first().map(String::as_str), Some("id"));
        assert_eq!(
            &columns[columns.len() - 3..],
            ["created_at", "updated_at", "version"]
        );
        for field in [
            "first_name",
            "last_name",
            "email",
            "phone",
            "account_id",
            "owner_id",
        ] {
            assert!(columns.iter().any(|c| c == field), "{field}");
        }
    }

    #[test]
    fn cells_are_plain_text() {
        assert_eq!(cell(&Json::Null), "");
        assert_eq!(cell(&serde_json::json!("a, \"b\"")), "a, \"b\"");
        assert_eq!(cell(&serde_json::json!(12)), "12");
        assert_eq!(cell(&serde_json::json!(["x"])), "[\"x\"]");
    }
}
