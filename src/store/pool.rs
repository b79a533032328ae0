use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use super::{DbRow, Sql, StoreError};

/// Migrations are compiled into the binary, one list per backend; a new
/// migration is a new file in both folders and a new line in both lists.
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "crm",
        include_str!("../../migrations/sqlite/0001_crm.sql"),
    ),
    (
        2,
        "settings_audit",
        include_str!("../../migrations/sqlite/0002_settings_audit.sql"),
    ),
    (
        3,
        "templates",
        include_str!("../../migrations/sqlite/0003_templates.sql"),
    ),
    (
        4,
        "brand",
        include_str!("../../migrations/sqlite/0004_brand.sql"),
    ),
    (
        5,
        "documents",
        include_str!("../../migrations/sqlite/0005_documents.sql"),
    ),
    (
        6,
        "sendings",
        include_str!("../../migrations/sqlite/0006_sendings.sql"),
    ),
    (
        7,
        "catalog",
        include_str!("../../migrations/sqlite/0007_catalog.sql"),
    ),
    (
        8,
        "quotes",
        include_str!("../../migrations/sqlite/0008_quotes.sql"),
    ),
    (
        9,
        "clauses",
        include_str!("../../migrations/sqlite/0009_clauses.sql"),
    ),
    (
        10,
        "batches",
        include_str!("../../migrations/sqlite/0010_batches.sql"),
    ),
    (
        11,
        "forecast",
        include_str!("../../migrations/sqlite/0011_forecast.sql"),
    ),
    (
        12,
        "clause_retire_comment",
        include_str!("../../migrations/sqlite/0012_clause_retire_comment.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "crm",
        include_str!("../../migrations/postgres/0001_crm.sql"),
    ),
    (
        2,
        "settings_audit",
        include_str!("../../migrations/postgres/0002_settings_audit.sql"),
    ),
    (
        3,
        "templates",
        include_str!("../../migrations/postgres/0003_templates.sql"),
    ),
    (
        4,
        "brand",
        include_str!("../../migrations/postgres/0004_brand.sql"),
    ),
    (
        5,
        "documents",
        include_str!("../../migrations/postgres/0005_documents.sql"),
    ),
    (
        6,
        "sendings",
        include_str!("../../migrations/postgres/0006_sendings.sql"),
    ),
    (
        7,
        "catalog",
        include_str!("../../migrations/postgres/0007_catalog.sql"),
    ),
    (
        8,
        "quotes",
        include_str!("../../migrations/postgres/0008_quotes.sql"),
    ),
    (
        9,
        "clauses",
        include_str!("../../migrations/postgres/0009_clauses.sql"),
    ),
    (
        10,
        "batches",
        include_str!("../../migrations/postgres/0010_batches.sql"),
    ),
    (
        11,
        "forecast",
        include_str!("../../migrations/postgres/0011_forecast.sql"),
    ),
    (
        12,
        "clause_retire_comment",
        include_str!("../../migrations/postgres/0012_clause_retire_comment.sql"),
    ),
];

/// The newest migration this program knows: a database past it was made
/// by a newer release.
pub fn schema_version() -> i64 {
    SQLITE_MIGRATIONS
        .last()
        .map_or(0, |(version, _, _)| *version)
}

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pools {
    /// SQLite allows one writer at a time; a single writer connection queues
    /// writes in-process instead of failing them with `SQLITE_BUSY`.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// The database handle every domain function takes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pools: Pools,
}

impl Store {
    /// Connects to `sqlite://PATH` (the file is created if missing) or
    /// `postgres://…`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let pools = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // A local file needs no liveness ping before each use; the ping
            // would be one more hand-over to the connection's thread.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(
                    options
                        .clone()
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal),
                )
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(options.read_only(true))
                .await?;
            Pools::Sqlite { read, write }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        Ok(Store { pools })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations; safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { write, .. } => migrator(SQLITE_MIGRATIONS).run(write).await?,
            Pools::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes can
    /// not fail half-way when another process writes.
    ///
    /// The `BEGIN` runs on a task of its own: a request dropped while it ran
    /// (a client that went away) would otherwise hand the connection back
    /// inside a transaction nobody owns, and on SQLite's one writer every
    /// later write would fail.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let begun = match &self.pools {
            Pools::Sqlite { write, .. } => {
                let pool = write.clone();
                tokio::spawn(
                    async move { pool.begin_with("BEGIN IMMEDIATE").await.map(Tx::Sqlite) },
                )
                .await
            }
            Pools::Postgres(pool) => {
                let pool = pool.clone();
                tokio::spawn(async move { pool.begin().await.map(Tx::Postgres) }).await
            }
        };
        Ok(begun.map_err(|e| StoreError::Interrupted(e.to_string()))??)
    }

    pub async fn fetch_all<T: DbRow>(&self, sql: &Sql) -> Result<Vec<T>, StoreError> {
        self.reader().await?.conn().fetch_all(sql).await
    }

    pub async fn fetch_optional<T: DbRow>(&self, sql: &Sql) -> Result<Option<T>, StoreError> {
        self.reader().await?.conn().fetch_optional(sql).await
    }

    /// Whether `table` has no rows: seeding fills only empty tables.
    pub async fn is_empty(&self, table: &str) -> Result<bool, StoreError> {
        let sql = Sql::new(format!("SELECT COUNT(*) AS n FROM {table}"));
        Ok(self
            .fetch_optional::<super::Count>(&sql)
            .await?
            .is_none_or(|c| c.n == 0))
    }

    /// Writes a consistent snapshot of the SQLite database to `path`
    /// (`VACUUM INTO`), from a reading connection: writers go on meanwhile.
    pub(super) async fn vacuum_into(&self, path: &str) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                sqlx::query("VACUUM INTO ?")
                    .bind(path)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
            Pools::Postgres(_) => Err(StoreError::UnsupportedUrl(
                "VACUUM INTO is for SQLite".to_owned(),
            )),
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let sql = Sql::new("SELECT CAST(1 AS BIGINT) AS n");
        self.fetch_optional::<super::Count>(&sql).await?;
        Ok(())
    }

    /// Closes every connection, checkpointing SQLite's WAL.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    async fn reader(&self) -> Result<Pooled, StoreError> {
        Ok(match &self.pools {
            Pools::Sqlite { read, .. } => Pooled::Sqlite(read.acquire().await?),
            Pools::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
        })
    }
}

fn migrator(list: &[(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = list
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A write transaction; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Commits, on a task of its own for the reason [`Store::begin`] gives:
    /// once asked for, a commit finishes even if the request is dropped.
    pub async fn commit(self) -> Result<(), StoreError> {
        let committed = tokio::spawn(async move {
            match self {
                Tx::Sqlite(tx) => tx.commit().await,
                Tx::Postgres(tx) => tx.commit().await,
            }
        })
        .await;
        committed.map_err(|e| StoreError::Interrupted(e.to_string()))??;
        Ok(())
    }

    pub async fn fetch_all<T: DbRow>(&mut self, sql: &Sql) -> Result<Vec<T>, StoreError> {
        self.conn().fetch_all(sql).await
    }

    pub async fn fetch_optional<T: DbRow>(&mut self, sql: &Sql) -> Result<Option<T>, StoreError> {
        self.conn().fetch_optional(sql).await
    }

    /// Runs a statement; returns the number of rows it changed.
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64, StoreError> {
        self.conn().execute(sql).await
    }

    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

/// One connection of either backend; the only place that knows both drivers'
/// argument types.
enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Conn<'_> {
    fn sqlite_args(sql: &Sql) -> Result<sqlx::sqlite::SqliteArguments<'static>, StoreError> {
        let mut args = sqlx::sqlite::SqliteArguments::default();
        for v in &sql.args {
            v.add_sqlite(&mut args).map_err(sqlx::Error::Encode)?;
        }
        Ok(args)
    }

    fn postgres_args(sql: &Sql) -> Result<sqlx::postgres::PgArguments, StoreError> {
        let mut args = sqlx::postgres::PgArguments::default();
        for v in &sql.args {
            v.add_postgres(&mut args).map_err(sqlx::Error::Encode)?;
        }
        Ok(args)
    }

    async fn fetch_all<T: DbRow>(self, sql: &Sql) -> Result<Vec<T>, StoreError> {
        Ok(match self {
            Conn::Sqlite(c) => {
                sqlx::query_as_with(&sql.text, Self::sqlite_args(sql)?)
                    .fetch_all(c)
                    .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as_with(&sql.text, Self::postgres_args(sql)?)
                    .fetch_all(c)
                    .await?
            }
        })
    }

    async fn fetch_optional<T: DbRow>(self, sql: &Sql) -> Result<Option<T>, StoreError> {
        Ok(match self {
            Conn::Sqlite(c) => {
                sqlx::query_as_with(&sql.text, Self::sqlite_args(sql)?)
                    .fetch_optional(c)
                    .await?
            }
            Conn::Postgres(c) => {
                sqlx::query_as_with(&sql.text, Self::postgres_args(sql)?)
                    .fetch_optional(c)
                    .await?
            }
        })
    }

    async fn execute(self, sql: &Sql) -> Result<u64, StoreError> {
        Ok(match self {
            Conn::Sqlite(c) => sqlx::query_with(&sql.text, Self::sqlite_args(sql)?)
                .execute(c)
                .await?
                .rows_affected(),
            Conn::Postgres(c) => sqlx::query_with(&sql.text, Self::postgres_args(sql)?)
                .execute(c)
                .await?
                .rows_affected(),
        })
    }
}
