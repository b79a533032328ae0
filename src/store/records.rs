//! One generic repository for every versioned record: insert, read, list
//! with search, filters and keyset paging, update with the version checked
//! inside the `UPDATE`, and delete that refuses while others depend on the
//! record and leaves a tombstone for sync clients.

use serde::Serialize;
use utoipa::ToSchema;

use super::search::{contains_pattern, fold};
use super::{Backend, Count, DbRow, Id, Sql, Store, StoreError, Timestamp, Tx, Value};

/// The columns every versioned record has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct Meta {
    pub id: Id,
    /// Starts at 1 and grows by one with every accepted change.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Meta {
    /// The metadata of a record about to be created.
    pub fn new(id: Option<Id>) -> Self {
        let now = Timestamp::now();
        Meta {
            id: id.unwrap_or_default(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Records of another table that keep this one from being deleted.
pub struct Dependent {
    pub table: &'static str,
    pub column: &'static str,
    /// Singular and plural, for the message.
    pub noun: (&'static str, &'static str),
}

/// A table of versioned records.
///
/// Each row keeps, beside its columns, its API JSON (`json`), written from
/// the typed record's `Serialize` on every insert and update. Reads send that
/// text as it is: a page of records is one aggregated value from the
/// database rather than a dozen values per row to decode and encode again.
/// So every write to a record table goes through [`insert`] or [`update`].
pub trait Record: DbRow + Serialize + Send + Sync + 'static {
    const TABLE: &'static str;
    /// The singular name used in messages and tombstones.
    const ENTITY: &'static str;
    /// An integer column that orders the list before the id.
    const SORT: Option<&'static str> = None;
    const DEPENDENTS: &'static [Dependent] = &[];
    /// Rows of other tables (table, column) deleted with the record.
    const CASCADES: &'static [(&'static str, &'static str)] = &[];
    /// The version of the stored JSON and search text: raise it whenever the
    /// record's `Serialize` output or `search_text` changes, and [`refresh`]
    /// renders the stored rows again at the next start.
    const RENDER_VERSION: i64 = 1;

    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
    /// The writable columns and their values.
    fn columns(&self) -> Vec<(&'static str, Value)>;
    /// The text `?q=` searches, before folding.
    fn search_text(&self) -> String;
}

fn to_json<R: Record>(record: &R) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(|e| StoreError::Database(sqlx::Error::Encode(e.into())))
}

/// One record's stored JSON.
#[derive(sqlx::FromRow)]
struct JsonRow {
    j: Option<String>,
}

/// A page of records' stored JSON and their cursors, each joined by
/// [`SEPARATOR`] in the same (unspecified) order.
#[derive(sqlx::FromRow)]
struct PageRow {
    j: Option<String>,
    c: Option<String>,
}

/// A comparison in a list filter.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Eq,
    Le,
    Ge,
}

#[derive(Clone, Debug)]
pub struct Filter {
    pub column: &'static str,
    pub op: Op,
    pub value: Value,
}

/// The filters of a list, from optional values: an absent one filters
/// nothing.
#[derive(Default)]
pub struct Filters(Vec<Filter>);

impl Filters {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn eq<V: Into<Value>>(self, column: &'static str, value: Option<V>) -> Self {
        self.op(column, Op::Eq, value)
    }

    pub fn op<V: Into<Value>>(mut self, column: &'static str, op: Op, value: Option<V>) -> Self {
        if let Some(v) = value {
            self.0.push(Filter {
                column,
                op,
                value: v.into(),
            });
        }
        self
    }

    pub fn build(self) -> Vec<Filter> {
        self.0
    }
}

/// Implements [`Record::meta`] and [`Record::meta_mut`] for a record that
/// keeps its [`Meta`] in a field named `meta`.
#[macro_export]
#[doc(hidden)]
macro_rules! meta_in_field {
    () => {
        fn meta(&self) -> &$crate::store::records::Meta {
            &self.meta
        }
        fn meta_mut(&mut self) -> &mut $crate::store::records::Meta {
            &mut self.meta
        }
    };
}

/// Where the previous page ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub sort: Option<i64>,
    pub id: Id,
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self.sort {
            Some(s) => format!("{s}_{}", self.id),
            None => self.id.to_string(),
        }
    }

    pub fn decode(text: &str, sorted: bool) -> Option<Cursor> {
        if sorted {
            let (sort, id) = text.split_once('_')?;
            Some(Cursor {
                sort: Some(sort.parse().ok()?),
                id: id.parse().ok()?,
            })
        } else {
            Some(Cursor {
                sort: None,
                id: text.parse().ok()?,
            })
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    pub search: Option<String>,
    pub updated_since: Option<Timestamp>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct Deleted {
    pub id: Id,
    pub deleted_at: Timestamp,
}

/// What an update found.
pub enum Updated {
    Done,
    Stale { current_version: i64 },
    Missing,
}

/// What a delete found.
pub enum Deletion {
    Done,
    Missing,
    /// Counts of dependent records, by noun.
    Blocked(Vec<(i64, &'static Dependent)>),
}

pub async fn get<R: Record>(store: &Store, id: Id) -> Result<Option<R>, StoreError> {
    store.fetch_optional(&select_by_id::<R>(id)).await
}

/// Like [`get`], inside a write.
pub async fn get_in<R: Record>(tx: &mut Tx, id: Id) -> Result<Option<R>, StoreError> {
    tx.fetch_optional(&select_by_id::<R>(id)).await
}

fn select_by_id<R: Record>(id: Id) -> Sql {
    let mut sql = Sql::new(format!("SELECT * FROM {} WHERE id = ", R::TABLE));
    sql.bind(id);
    sql
}

/// The record's API JSON, or `None` if there is no such record.
pub async fn get_json<R: Record>(store: &Store, id: Id) -> Result<Option<String>, StoreError> {
    let mut sql = Sql::new(format!("SELECT json AS j FROM {} WHERE id = ", R::TABLE));
    sql.bind(id);
    Ok(store
        .fetch_optional::<JsonRow>(&sql)
        .await?
        .and_then(|r| r.j))
}

/// Whether a row with this id exists in `table`, seen inside a write.
pub async fn exists(tx: &mut Tx, table: &str, id: Id) -> Result<bool, StoreError> {
    Ok(tx
        .fetch_optional::<Count>(&exists_sql(table, id))
        .await?
        .is_some())
}

/// Whether a row with this id exists in `table`.
pub async fn exists_now(store: &Store, table: &str, id: Id) -> Result<bool, StoreError> {
    Ok(store
        .fetch_optional::<Count>(&exists_sql(table, id))
        .await?
        .is_some())
}

fn exists_sql(table: &str, id: Id) -> Sql {
    let mut sql = Sql::new(format!(
        "SELECT CAST(1 AS BIGINT) AS n FROM {table} WHERE id = "
    ));
    sql.bind(id);
    sql
}

pub async fn insert<R: Record>(tx: &mut Tx, record: &R) -> Result<(), StoreError> {
    let meta = record.meta();
    let mut columns = vec![
        ("id", Value::from(meta.id)),
        ("version", meta.version.into()),
        ("created_at", meta.created_at.into()),
        ("updated_at", meta.updated_at.into()),
        ("search_text", fold(&record.search_text()).into()),
        ("json", to_json(record)?.into()),
    ];
    columns.extend(record.columns());
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let mut sql = Sql::new(format!(
        "INSERT INTO {} ({}) VALUES (",
        R::TABLE,
        names.join(", ")
    ));
    for (i, (_, value)) in columns.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(value);
    }
    sql.push(")");
    tx.execute(&sql).await?;
    Ok(())
}

/// Writes `record` over the stored row if that row's version is still
/// `record.meta().version`; on success the record carries the next version.
pub async fn update<R: Record>(tx: &mut Tx, record: &mut R) -> Result<Updated, StoreError> {
    let previous = record.meta().clone();
    let meta = record.meta_mut();
    meta.version = previous.version + 1;
    meta.updated_at = Timestamp::now();
    let written = write_update(tx, record, previous.version).await;
    if !matches!(written, Ok(Updated::Done)) {
        *record.meta_mut() = previous;
    }
    written
}

async fn write_update<R: Record>(
    tx: &mut Tx,
    record: &R,
    expected: i64,
) -> Result<Updated, StoreError> {
    let meta = record.meta();
    let mut sql = Sql::new(format!("UPDATE {} SET version = ", R::TABLE));
    sql.bind(meta.version)
        .push(", updated_at = ")
        .bind(meta.updated_at)
        .push(", search_text = ")
        .bind(fold(&record.search_text()))
        .push(", json = ")
        .bind(to_json(record)?);
    for (name, value) in record.columns() {
        sql.push(", ").push(name).push(" = ").bind(value);
    }
    sql.push(" WHERE id = ")
        .bind(meta.id)
        .push(" AND version = ")
        .bind(expected);
    if tx.execute(&sql).await? == 1 {
        return Ok(Updated::Done);
    }
    let mut current = Sql::new(format!("SELECT version AS n FROM {} WHERE id = ", R::TABLE));
    current.bind(meta.id);
    Ok(match tx.fetch_optional::<Count>(&current).await? {
        Some(c) => Updated::Stale {
            current_version: c.n,
        },
        None => Updated::Missing,
    })
}

/// Renders every row's stored JSON and search text again if they were
/// written by another [`Record::RENDER_VERSION`]; returns how many rows.
pub async fn refresh<R: Record>(store: &Store) -> Result<u64, StoreError> {
    let mut current =
        Sql::new("SELECT render_version AS n FROM record_renders WHERE table_name = ");
    current.bind(R::TABLE);
    if store.fetch_optional::<Count>(&current).await?.map(|c| c.n) == Some(R::RENDER_VERSION) {
        return Ok(0);
    }
    let mut tx = store.begin().await?;
    let mut rendered = 0;
    let mut after: Option<Id> = None;
    loop {
        let mut page = Sql::new(format!("SELECT * FROM {} WHERE 1 = 1", R::TABLE));
        if let Some(id) = after {
            page.push(" AND id > ").bind(id);
        }
        page.push(" ORDER BY id LIMIT 500");
        let rows: Vec<R> = tx.fetch_all(&page).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.meta().id);
        for row in &rows {
            let mut sql = Sql::new(format!("UPDATE {} SET json = ", R::TABLE));
            sql.bind(to_json(row)?)
                .push(", search_text = ")
                .bind(fold(&row.search_text()))
                .push(" WHERE id = ")
                .bind(row.meta().id);
            rendered += tx.execute(&sql).await?;
        }
    }
    let mut mark = Sql::new("INSERT INTO record_renders (table_name, render_version) VALUES (");
    mark.bind(R::TABLE)
        .push(", ")
        .bind(R::RENDER_VERSION)
        .push(") ON CONFLICT (table_name) DO UPDATE SET render_version = excluded.render_version");
    tx.execute(&mark).await?;
    tx.commit().await?;
    Ok(rendered)
}

pub async fn delete<R: Record>(tx: &mut Tx, id: Id) -> Result<Deletion, StoreError> {
    if !exists(tx, R::TABLE, id).await? {
        return Ok(Deletion::Missing);
    }
    let mut blocked = Vec::new();
    for dep in R::DEPENDENTS {
        let mut sql = Sql::new(format!(
            "SELECT COUNT(*) AS n FROM {} WHERE {} = ",
            dep.table, dep.column
        ));
        sql.bind(id);
        let n = tx.fetch_optional::<Count>(&sql).await?.map_or(0, |c| c.n);
        if n > 0 {
            blocked.push((n, dep));
        }
    }
    if !blocked.is_empty() {
        return Ok(Deletion::Blocked(blocked));
    }
    for (table, column) in R::CASCADES {
        let mut sql = Sql::new(format!("DELETE FROM {table} WHERE {column} = "));
        sql.bind(id);
        tx.execute(&sql).await?;
    }
    let mut sql = Sql::new(format!("DELETE FROM {} WHERE id = ", R::TABLE));
    sql.bind(id);
    // A concurrent delete may have won since the existence check above.
    if tx.execute(&sql).await? == 0 {
        return Ok(Deletion::Missing);
    }
    let mut tomb = Sql::new("INSERT INTO tombstones (entity, id, deleted_at) VALUES (");
    tomb.bind(R::ENTITY)
        .push(", ")
        .bind(id)
        .push(", ")
        .bind(Timestamp::now())
        .push(") ON CONFLICT (entity, id) DO UPDATE SET deleted_at = excluded.deleted_at");
    tx.execute(&tomb).await?;
    Ok(Deletion::Done)
}

/// Pairs the aggregated items with their cursors, puts them in list order,
/// and cuts the page to `limit`, returning the items and the next cursor.
fn assemble<'a>(
    items: &'a str,
    cursors: &str,
    sorted: bool,
    limit: u32,
) -> Result<(Vec<&'a str>, Option<Cursor>), StoreError> {
    let mut rows = Vec::new();
    let pairs = items.split(SEPARATOR).zip(cursors.split(SEPARATOR));
    for (item, cursor) in pairs.filter(|(item, _)| !item.is_empty()) {
        let cursor = Cursor::decode(cursor, sorted).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(format!("bad cursor {cursor}").into()))
        })?;
        rows.push((cursor, item));
    }
    if !rows.is_sorted_by_key(|(c, _)| (c.sort, c.id)) {
        rows.sort_by_key(|(c, _)| (c.sort, c.id));
    }
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|(c, _)| *c)
    } else {
        None
    };
    Ok((
        rows.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
    ))
}

/// A page of records as API JSON, ready to send.
pub struct JsonPage {
    /// A JSON array, as the database rendered its items.
    pub items: String,
    pub next_cursor: Option<Cursor>,
    /// Present when the query asked for changes since a time.
    pub deleted: Option<Vec<Deleted>>,
}

/// Items are joined with a character JSON text never holds unescaped.
const SEPARATOR: char = '\u{1e}';

pub async fn list<R: Record>(store: &Store, query: &ListQuery) -> Result<JsonPage, StoreError> {
    let backend = store.backend();
    let (order, cursor) = match R::SORT {
        Some(col) => (
            format!("{col}, id"),
            format!("CAST({col} AS TEXT) || '_' || CAST(id AS TEXT)"),
        ),
        None => ("id".to_owned(), "CAST(id AS TEXT)".to_owned()),
    };
    // The page is aggregated into one value (a row per record would cost a
    // hand-over per row in the SQLite driver). The aggregates keep no order
    // of their own, cheaply: rows are put back in order below.
    let aggregate = match backend {
        Backend::Sqlite => "group_concat",
        Backend::Postgres => "string_agg",
    };
    let separator = match backend {
        Backend::Sqlite => "char(30)",
        Backend::Postgres => "chr(30)",
    };
    let mut sql = Sql::new(format!(
        "SELECT {aggregate}(json, {separator}) AS j, {aggregate}(c, {separator}) AS c \
         FROM (SELECT json, {cursor} AS c FROM {} WHERE 1 = 1",
        R::TABLE
    ));
    for f in &query.filters {
        let op = match f.op {
            Op::Eq => " = ",
            Op::Le => " <= ",
            Op::Ge => " >= ",
        };
        sql.push(" AND ")
            .push(f.column)
            .push(op)
            .bind(f.value.clone());
    }
    if let Some(q) = query.search.as_deref().filter(|q| !q.trim().is_empty()) {
        sql.push(" AND search_text LIKE ")
            .bind(contains_pattern(q))
            .push(" ESCAPE '\\'");
    }
    if let Some(t) = query.updated_since {
        sql.push(" AND updated_at >= ").bind(t);
    }
    match (R::SORT, query.after) {
        (Some(col), Some(Cursor { sort: Some(s), id })) => {
            sql.push(&format!(" AND ({col} > "))
                .bind(s)
                .push(&format!(" OR ({col} = "))
                .bind(s)
                .push(" AND id > ")
                .bind(id)
                .push("))");
        }
        (_, Some(c)) => {
            sql.push(" AND id > ").bind(c.id);
        }
        (_, None) => {}
    }
    // One row more than asked tells whether another page follows.
    sql.push(&format!(" ORDER BY {order} LIMIT "))
        .bind(i64::from(query.limit) + 1)
        .push(") page");
    let row = store.fetch_optional::<PageRow>(&sql).await?;
    let (items, cursors) = row
        .map(|r| (r.j.unwrap_or_default(), r.c.unwrap_or_default()))
        .unwrap_or_default();
    let (items, next_cursor) = assemble(&items, &cursors, R::SORT.is_some(), query.limit)?;
    let mut array = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    array.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            array.push(',');
        }
        array.push_str(item);
    }
    array.push(']');

    let deleted = match query.updated_since {
        Some(t) => {
            let mut sql = Sql::new("SELECT id, deleted_at FROM tombstones WHERE entity = ");
            sql.bind(R::ENTITY)
                .push(" AND deleted_at >= ")
                .bind(t)
                .push(" ORDER BY deleted_at, id");
            Some(store.fetch_all(&sql).await?)
        }
        None => None,
    };
    Ok(JsonPage {
        items: array,
        next_cursor,
        deleted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_come_out_in_list_order_whatever_order_the_aggregate_gave() {
        let ids = [
            "01a209aa-0000-7000-8000-000000000001",
            "01a209aa-0000-7000-8000-000000000002",
            "01a209aa-0000-7000-8000-000000000003",
        ];
        let sep = SEPARATOR.to_string();
        let items = [ids[2], ids[0], ids[1]]
            .map(|id| format!("{{\"id\":\"{id}\"}}"))
            .join(&sep);
        let cursors = [ids[2], ids[0], ids[1]].join(&sep);
        let (page, next) = assemble(&items, &cursors, false, 2).unwrap();
        assert_eq!(
            page,
            vec![
                format!("{{\"id\":\"{}\"}}", ids[0]),
                format!("{{\"id\":\"{}\"}}", ids[1])
            ]
        );
        assert_eq!(next.unwrap().id, ids[1].parse().unwrap());

        let cursors = format!("2_{}{sep}1_{}", ids[0], ids[1]);
        let items = format!("a{sep}b");
        let (page, next) = assemble(&items, &cursors, true, 5).unwrap();
        assert_eq!(page, vec!["b", "a"]);
        assert!(next.is_none());
    }

    #[test]
    fn an_empty_page_has_no_items_and_no_cursor() {
        let (page, next) = assemble("", "", false, 10).unwrap();
        assert!(page.is_empty() && next.is_none());
    }
}
