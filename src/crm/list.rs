//! The query parameters every list takes: paging, search and sync.

use utoipa::IntoParams;

use crate::error::Error;
use crate::store::Timestamp;
use crate::store::records::{Cursor, ListQuery};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// Paging, search and sync parameters, validated.
#[derive(Clone, Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Text to find; case and accents are folded.
    pub q: Option<String>,
    /// Only records changed at or after this time (RFC 3339); adds `deleted`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<Timestamp>,
}

impl ListParams {
    /// Takes the common parameters out of `map`, leaving the filters.
    pub fn take_from(
        map: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<ListParams, Error> {
        let mut take = |name: &str| match map.remove(name) {
            Some(serde_json::Value::String(s)) => Some(s),
            _ => None,
        };
        let limit = match take("limit") {
            None => None,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Some(n),
                _ => {
                    return Err(Error::bad_request(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        let cursor = take("cursor");
        let q = take("q");
        let updated_since = match take("updated_since") {
            None => None,
            Some(s) => Some(
                chrono::DateTime::parse_from_rfc3339(&s)
                    .map(|t| Timestamp::from(t.to_utc()))
                    .map_err(|_| {
                        Error::bad_request(
                            "updated_since",
                            "must be an RFC 3339 time such as 2026-01-31T09:00:00Z",
                        )
                    })?,
            ),
        };
        Ok(ListParams {
            limit,
            cursor,
            q,
            updated_since,
        })
    }

    /// The store query; `sorted` says whether the list's cursors carry a
    /// sort value before the id.
    pub fn query(&self, sorted: bool) -> Result<ListQuery, Error> {
        let after = match &self.cursor {
            None => None,
            Some(s) => Some(Cursor::decode(s, sorted).ok_or_else(|| {
                Error::bad_request("cursor", "is not a cursor this list returned")
            })?),
        };
        Ok(ListQuery {
            filters: Vec::new(),
            search: self.q.clone(),
            updated_since: self.updated_since,
            after,
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
        })
    }
}
