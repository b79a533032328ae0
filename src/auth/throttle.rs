//! Slowing down, then locking out, repeated failed sign-ins for one email.

use std::time::Duration;

use chrono::Utc;

use crate::error::Error;
use crate::store::{Count, Sql, Store, Timestamp};

/// Failures in a row after which every attempt waits [`PAUSE`] first.
pub const SLOW_AFTER: i64 = 5;
/// Failures in a row after which the email is locked for [`LOCK`].
pub const LOCK_AFTER: i64 = 10;
pub const PAUSE: Duration = Duration::from_secs(1);
pub const LOCK: Duration = Duration::from_secs(15 * 60);

#[derive(sqlx::FromRow)]
struct Throttle {
    failures: i64,
    locked_until: Option<Timestamp>,
}

/// Refuses a locked email, and makes an email with many failures wait.
pub async fn before_attempt(store: &Store, email: &str) -> Result<(), Error> {
    let mut sql = Sql::new("SELECT failures, locked_until FROM login_throttle WHERE email = ");
    sql.bind(email.to_owned());
    let Some(state) = store.fetch_optional::<Throttle>(&sql).await? else {
        return Ok(());
    };
    if let Some(until) = state.locked_until {
        let left = until.0 - Utc::now();
        if left > chrono::TimeDelta::zero() {
            return Err(Error::TooManyAttempts {
                message: format!(
                    "too many failed sign-ins for {email}: try again after {} UTC",
                    until.0.format("%Y-%m-%d %H:%M")
                ),
                retry_after_secs: left.num_seconds().max(1) as u64,
            });
        }
        // The lock has run out: a fresh start.
        succeeded(store, email).await?;
        return Ok(());
    }
    if state.failures >= SLOW_AFTER {
        tokio::time::sleep(PAUSE).await;
    }
    Ok(())
}

/// Counts a failure, locking the email when there have been too many.
pub async fn failed(store: &Store, email: &str) -> Result<(), Error> {
    let mut tx = store.begin().await?;
    let mut sql = Sql::new("INSERT INTO login_throttle (email, failures) VALUES (");
    sql.bind(email.to_owned()).push(
        ", 1) ON CONFLICT (email) DO UPDATE SET failures = login_throttle.failures + 1 \
         RETURNING failures AS n",
    );
    let failures = tx.fetch_optional::<Count>(&sql).await?.map_or(1, |c| c.n);
    if failures >= LOCK_AFTER {
        let until = Timestamp::from(Utc::now() + LOCK);
        let mut lock = Sql::new("UPDATE login_throttle SET locked_until = ");
        lock.bind(until)
            .push(" WHERE email = ")
            .bind(email.to_owned());
        tx.execute(&lock).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets the failures of an email.
pub async fn succeeded(store: &Store, email: &str) -> Result<(), Error> {
    let mut tx = store.begin().await?;
    let mut sql = Sql::new("DELETE FROM login_throttle WHERE email = ");
    sql.bind(email.to_owned());
    tx.execute(&sql).await?;
    tx.commit().await?;
    Ok(())
}
