//! PDF: a layout step (document → positioned pages) and a writer (pages →
//! bytes with printpdf), each testable on its own.

mod deflate;
pub mod fonts;
mod images;
pub mod layout;
pub mod page;
pub mod text;
pub mod writer;

use crate::document::{Assets, Document, Theme};
use crate::render::{Output, RenderError};

/// Renders `doc` as a PDF: layout, then writing.
pub fn pdf(
    doc: &Document,
    theme: &Theme,
    assets: &Assets,
    strict: bool,
) -> Result<Output, RenderError> {
    let metrics = fonts::DejaVu;
    let (pages, warnings) = layout::layout(doc, theme, assets, &metrics, strict)?;
    let bytes = writer::write(&pages, &doc.metadata, assets, &metrics);
    Ok(Output { bytes, warnings })
}
