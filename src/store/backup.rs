//! Backups of the embedded SQLite database: a consistent copy taken while
//! the server runs (`VACUUM INTO` reads one snapshot, so every write
//! committed before it began is in the copy and none half-made), and a
//! restore that checks a copy before putting it in place. PostgreSQL has
//! its own tools (`pg_dump`, `pg_restore`): the README gives the route.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use super::{Backend, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backup and restore are for the embedded SQLite database; for PostgreSQL use \
         pg_dump and pg_restore (see the README)"
    )]
    Postgres,
    #[error("{0} exists already: name a new file")]
    Exists(PathBuf),
    #[error(
        "{0} holds a database: pass --replace to put the backup in its place (its data is lost)"
    )]
    WouldReplace(PathBuf),
    #[error("{path} is not a usable dealdraft backup: {why}")]
    Unusable { path: PathBuf, why: String },
    #[error(
        "{path} comes from a newer dealdraft (database version {found}; this one knows up to {known}): restore it with that version"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// The last migration applied to it.
    pub version: i64,
    pub accounts: i64,
    pub contacts: i64,
    pub deals: i64,
    pub documents: i64,
}

/// Writes a consistent copy of `store`'s SQLite database to `to`, which
/// must not exist, and checks it.
pub async fn backup(store: &Store, to: &Path) -> Result<Contents, BackupError> {
    if store.backend() == Backend::Postgres {
        return Err(BackupError::Postgres);
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    // Written beside the target and renamed, so a file of that name is
    // always a whole backup.
    let partial = sibling(to, "partial");
    let _ = std::fs::remove_file(&partial);
    let text = partial.to_str().ok_or_else(|| BackupError::Unusable {
        path: to.to_owned(),
        why: "the path is not valid UTF-8".to_owned(),
    })?;
    store.vacuum_into(text).await?;
    let contents = check(&partial, i64::MAX).await;
    let contents = match contents {
        Ok(contents) => contents,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, to).map_err(|source| BackupError::Io {
        path: to.to_owned(),
        source,
    })?;
    Ok(contents)
}

/// Puts the backup `from` in place of the SQLite database of `url` after
/// checking it (integrity, a dealdraft database, not from a newer
/// version). An existing database is replaced only when `replace` says
/// so; stop the servers using it first.
pub async fn restore(
    from: &Path,
    url: &str,
    replace: bool,
    known_version: i64,
) -> Result<Contents, BackupError> {
    if !url.starts_with("sqlite:") {
        return Err(BackupError::Postgres);
    }
    let contents = check(from, known_version).await?;
    let options = SqliteConnectOptions::from_str(url).map_err(StoreError::from)?;
    let target = options.get_filename().to_owned();
    if target.exists() && !replace {
        return Err(BackupError::WouldReplace(target));
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::Io { path, source }
    };
    let incoming = sibling(&target, "restoring");
    std::fs::copy(from, &incoming).map_err(io(&incoming))?;
    // The old database's write-ahead log would be replayed into the new
    // file: it goes first.
    for stale in [sibling(&target, "wal"), sibling(&target, "shm")] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&stale)(e)),
        }
    }
    std::fs::rename(&incoming, &target).map_err(io(&target))?;
    Ok(contents)
}

/// `path` with `-suffix` added to its file name: SQLite's own
/// `db-wal`, `db-shm`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("-{suffix}"));
    path.with_file_name(name)
}

/// Opens `path` read-only and checks it is a whole dealdraft database no
/// newer than `known_version`.
pub async fn check(path: &Path, known_version: i64) -> Result<Contents, BackupError> {
    let unusable = |why: String| BackupError::Unusable {
        path: path.to_owned(),
        why,
    };
    if !path.is_file() {
        return Err(unusable("there is no such file".to_owned()));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| unusable(format!("it does not open as SQLite ({e})")))?;
    let checked = async {
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| unusable(format!("it is not an SQLite database ({e})")))?;
        let report: Vec<String> = rows.iter().filter_map(|r| r.try_get(0).ok()).collect();
        if report != ["ok"] {
            return Err(unusable(format!(
                "the integrity check failed: {}",
                report.join("; ")
            )));
        }
        let version: i64 = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .and_then(|r| r.try_get::<Option<i64>, _>(0))
            .map_err(|_| unusable("it holds no dealdraft data".to_owned()))?
            .ok_or_else(|| unusable("it holds no dealdraft data".to_owned()))?;
        if version > known_version {
            return Err(BackupError::Newer {
                path: path.to_owned(),
                found: version,
                known: known_version,
            });
        }
        let mut counts = Vec::new();
        for table in ["accounts", "contacts", "deals", "documents"] {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut conn)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(|_| unusable(format!("it has no {table} table")))?;
            counts.push(n);
        }
        Ok(Contents {
            version,
            accounts: counts[0],
            contacts: counts[1],
            deals: counts[2],
            documents: counts[3],
        })
    }
    .await;
    let _ = conn.close().await;
    checked
}
