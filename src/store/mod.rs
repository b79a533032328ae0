//! Storage: one store type over SQLite (the embedded default) or PostgreSQL,
//! picked from the URL scheme. Queries are plain SQL with `$N` placeholders,
//! which both backends accept; values are bound through [`Value`].

pub mod backup;
mod error;
mod pool;
pub mod records;
pub mod search;
mod types;

pub use error::StoreError;
pub use pool::{Backend, Store, Tx, schema_version};
pub use types::{Amount, Date, Id, JsonText, Timestamp, Value};

/// A statement and the values for its placeholders, in order.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Value>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder (`$N`) for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends a placeholder for each of `values`, comma separated: the
    /// inside of an `IN (…)`. The caller keeps the list from being empty.
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self
    }
}

/// A row type that decodes from either backend.
pub trait DbRow:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
{
}

impl<T> DbRow for T where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
{
}

/// A single `count` column.
#[derive(sqlx::FromRow)]
pub struct Count {
    pub n: i64,
}
