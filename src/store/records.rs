//! One generic repository for every versioned record: insert, read, list
//! with search, filters and keyset paging, update with the version checked
//! inside the `UPDATE`, and delete that refuses while others depend on the
//! record and leaves a tombstone for sync clients.

use serde::Serialize;
use utoipa::ToSchema;

use super::search::{contains_pattern, fold};
use super::{Count, DbRow, Id, Sql, Store, StoreError, Timestamp, Tx, Value};

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
pub trait Record: DbRow + Serialize + Send + Sync + 'static {
    const TABLE: &'static str;
    /// The singular name used in messages and tombstones.
    const ENTITY: &'static str;
    /// An integer column that orders the list before the id.
    const SORT: Option<&'static str> = None;
    const DEPENDENTS: &'static [Dependent] = &[];
    /// Rows of other tables (table, column) deleted with the record.
    const CASCADES: &'static [(&'static str, &'static str)] = &[];

    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
    /// The writable columns and their values.
    fn columns(&self) -> Vec<(&'static str, Value)>;
    /// The text `?q=` searches, before folding.
    fn search_text(&self) -> String;
    fn sort_value(&self) -> Option<i64> {
        None
    }
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

impl Filter {
    pub fn eq(column: &'static str, value: impl Into<Value>) -> Self {
        Filter {
            column,
            op: Op::Eq,
            value: value.into(),
        }
    }
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

pub struct Page<R> {
    pub items: Vec<R>,
    pub next_cursor: Option<Cursor>,
    /// Present when the query asked for changes since a time.
    pub deleted: Option<Vec<Deleted>>,
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

pub async fn get_in<R: Record>(tx: &mut Tx, id: Id) -> Result<Option<R>, StoreError> {
    tx.fetch_optional(&select_by_id::<R>(id)).await
}

fn select_by_id<R: Record>(id: Id) -> Sql {
    let mut sql = Sql::new(format!("SELECT * FROM {} WHERE id = ", R::TABLE));
    sql.bind(id);
    sql
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
    let expected = record.meta().version;
    let updated_at = Timestamp::now();
    let mut sql = Sql::new(format!(
        "UPDATE {} SET version = version + 1, updated_at = ",
        R::TABLE
    ));
    sql.bind(updated_at)
        .push(", search_text = ")
        .bind(fold(&record.search_text()));
    for (name, value) in record.columns() {
        sql.push(", ").push(name).push(" = ").bind(value);
    }
    sql.push(" WHERE id = ")
        .bind(record.meta().id)
        .push(" AND version = ")
        .bind(expected);
    if tx.execute(&sql).await? == 1 {
        let meta = record.meta_mut();
        meta.version = expected + 1;
        meta.updated_at = updated_at;
        return Ok(Updated::Done);
    }
    let mut current = Sql::new(format!("SELECT version AS n FROM {} WHERE id = ", R::TABLE));
    current.bind(record.meta().id);
    Ok(match tx.fetch_optional::<Count>(&current).await? {
        Some(c) => Updated::Stale {
            current_version: c.n,
        },
        None => Updated::Missing,
    })
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

pub async fn list<R: Record>(store: &Store, query: &ListQuery) -> Result<Page<R>, StoreError> {
    let mut sql = Sql::new(format!("SELECT * FROM {} WHERE 1 = 1", R::TABLE));
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
    match R::SORT {
        Some(col) => sql.push(&format!(" ORDER BY {col}, id LIMIT ")),
        None => sql.push(" ORDER BY id LIMIT "),
    };
    // One row more than asked tells whether another page follows.
    sql.bind(i64::from(query.limit) + 1);
    let mut items: Vec<R> = store.fetch_all(&sql).await?;
    let next_cursor = if items.len() > query.limit as usize {
        items.truncate(query.limit as usize);
        items.last().map(|r| Cursor {
            sort: r.sort_value(),
            id: r.meta().id,
        })
    } else {
        None
    };
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
    Ok(Page {
        items,
        next_cursor,
        deleted,
    })
}
