//! Requests are dropped when their client goes away, at any await. A write
//! transaction dropped while it was starting or committing must leave the
//! database usable: on SQLite's single writer connection, a transaction
//! left open would fail every later write.

use std::time::Duration;

use dealdraft::store::{Sql, Store};

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}/cancel.db", dir.path().display());
    let store = dealdraft::open(&url).await.expect("the database opens");
    (dir, store)
}

/// A write that must work after whatever was dropped before it.
async fn write(store: &Store) {
    let mut tx = store.begin().await.expect("a transaction starts");
    tx.execute(&Sql::new("SELECT 1")).await.expect("it runs");
    tx.commit().await.expect("it commits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_dropped_at_any_point_leave_the_writer_usable() {
    let (_dir, store) = store().await;
    for attempt in 0..200u64 {
        // Dropped after a varying sliver of its work.
        let slice = Duration::from_micros(attempt % 50);
        let _ = tokio::time::timeout(slice, store.begin()).await;
        write(&store).await;
        let mut tx = store.begin().await.expect("a transaction starts");
        tx.execute(&Sql::new("SELECT 1")).await.expect("it runs");
        let _ = tokio::time::timeout(slice, tx.commit()).await;
        write(&store).await;
    }
}
