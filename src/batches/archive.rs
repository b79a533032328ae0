//! A batch's documents as one ZIP, written as it is read: one document in
//! memory at a time, however big the batch. Beside the documents,
//! `batch.csv` lists every record: its document's file, or why it has
//! none.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::{ItemFilter, ItemStatus, get, items};
use crate::auth::Actor;
use crate::crm::ListParams;
use crate::documents::{self, DocumentFormat};
use crate::error::Error;
use crate::store::{Id, Store};

/// The list of records inside the archive.
pub const LIST_NAME: &str = "batch.csv";

/// What the ZIP writer has written and not yet been sent.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Pending {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

impl Write for Pending {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the archive buffer was poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The archive's file name: `batch-brochure-healthcare-0193….zip`.
pub fn file_name(template: &str, segment: &str, id: Id) -> String {
    format!("batch-{template}-{segment}-{id}.zip")
}

/// Writes batch `id`'s archive to `out`, chunk by chunk. Stops quietly
/// when the receiver goes away.
pub async fn write(
    store: &Store,
    actor: &Actor,
    id: Id,
    out: mpsc::Sender<Vec<u8>>,
) -> Result<(), Error> {
    let zip_error = |e: zip::result::ZipError| Error::Internal(format!("writing the archive: {e}"));
    let io_error = |e: std::io::Error| Error::Internal(format!("writing the archive: {e}"));
    get(store, actor, id).await?;
    let pending = Pending::default();
    let mut zip = ZipWriter::new_stream(pending.clone());
    let mut list = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| Error::Internal(format!("writing {LIST_NAME}: {e}"));
    list.write_record([
        "position",
        "record_id",
        "name",
        "status",
        "file",
        "document_id",
        "reason",
    ])
    .map_err(csv_error)?;
    let mut taken = HashSet::new();
    let mut params = ListParams {
        limit: Some(200),
        ..ListParams::default()
    };
    loop {
        let page = items(store, actor, id, &params, &ItemFilter::default()).await?;
        for item in &page.items {
            let mut file = String::new();
            if let (ItemStatus::Done, Some(document_id)) = (item.status, item.document_id) {
                let (document, bytes) = documents::content(store, actor, document_id).await?;
                file = unique(&mut taken, &document.file_name);
                // PDFs and DOCX files are compressed already.
                let method = match document.format {
                    DocumentFormat::Pdf | DocumentFormat::Docx => CompressionMethod::Stored,
                    DocumentFormat::Html | DocumentFormat::Eml => CompressionMethod::Deflated,
                };
                zip.start_file(
                    file.as_str(),
                    SimpleFileOptions::default().compression_method(method),
                )
                .map_err(zip_error)?;
                zip.write_all(&bytes).map_err(io_error)?;
                if out.send(pending.take()).await.is_err() {
                    return Ok(());
                }
            }
            list.write_record([
                item.position.to_string(),
                item.subject_id.to_string(),
                item.name.clone().unwrap_or_default(),
                item.status.as_str().to_owned(),
                file,
                item.document_id.map(|d| d.to_string()).unwrap_or_default(),
                item.reason.clone().unwrap_or_default(),
            ])
            .map_err(csv_error)?;
        }
        match page.next_cursor {
            Some(cursor) => params.cursor = Some(cursor),
            None => break,
        }
    }
    let list = list
        .into_inner()
        .map_err(|e| Error::Internal(format!("writing {LIST_NAME}: {e}")))?;
    zip.start_file(
        LIST_NAME,
        SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
    )
    .map_err(zip_error)?;
    zip.write_all(&list).map_err(io_error)?;
    zip.finish().map_err(zip_error)?;
    let _ = out.send(pending.take()).await;
    Ok(())
}

/// `name`, or `name (2)`, `name (3)` … before its extension: the first not
/// yet in the archive.
fn unique(taken: &mut HashSet<String>, name: &str) -> String {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) => (stem, format!(".{extension}")),
        None => (name, String::new()),
    };
    let mut candidate = name.to_owned();
    let mut n = 1;
    while taken.contains(&candidate) || candidate == LIST_NAME {
        n += 1;
        candidate = format!("{stem} ({n}){extension}");
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_taken_get_a_number_before_the_extension() {
        let mut taken = HashSet::new();
        assert_eq!(
            unique(&mut taken, "Brochure - Ann.pdf"),
            "Brochure - Ann.pdf"
        );
        assert_eq!(
            unique(&mut taken, "Brochure - Ann.pdf"),
            "Brochure - Ann (2).pdf"
        );
        assert_eq!(
            unique(&mut taken, "Brochure - Ann.pdf"),
            "Brochure - Ann (3).pdf"
        );
        assert_eq!(unique(&mut taken, "batch.csv"), "batch (2).csv");
    }
}
