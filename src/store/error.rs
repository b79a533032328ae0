use thiserror::Error;

/// What can go wrong below the domain: the domain turns the first two into
/// answers the user can act on and treats the rest as internal.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("a unique value is already used ({0})")]
    Unique(String),
    #[error("a referenced record does not exist or is still referenced ({message})")]
    ForeignKey {
        message: String,
        /// The constraint's name where the backend reports it (PostgreSQL
        /// names them `{table}_{column}_fkey`).
        constraint: Option<String>,
    },
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// The task running a transaction's start or commit stopped (a panic).
    #[error("a transaction was interrupted: {0}")]
    Interrupted(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return StoreError::Unique(db.message().to_owned());
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::ForeignKey {
                        message: db.message().to_owned(),
                        constraint: db.constraint().map(str::to_owned),
                    };
                }
                _ => {}
            }
        }
        StoreError::Database(e)
    }
}

impl StoreError {
    /// The column of `table` whose reference was refused, if this is a
    /// foreign-key violation the backend named.
    pub fn foreign_key_column(&self, table: &str) -> Option<&str> {
        match self {
            StoreError::ForeignKey {
                constraint: Some(c),
                ..
            } => c
                .strip_prefix(table)?
                .strip_prefix('_')?
                .strip_suffix("_fkey"),
            _ => None,
        }
    }
}
