//! Renderers: pure functions from a [`Document`](crate::document::Document),
//! a theme and its assets to the bytes of one format. They know nothing of
//! templates or the CRM.

pub mod docx;
pub mod email;
pub mod html;
pub mod pdf;
pub mod text;

use crate::document::{Asset, Assets, Image};

/// The formats documents are rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Html,
    Pdf,
    Docx,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            "docx" => Some(Format::Docx),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }
}

/// A rendered document and what the author should know about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub bytes: Vec<u8>,
    /// Missing images and the like; empty when all went well.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("the image `{0}` is not among the assets")]
    MissingImage(String),
    /// Writing the file's container failed (an in-memory zip: not expected).
    #[error("the file could not be written: {0}")]
    Package(String),
    /// An e-mail message could not be made (an address it cannot use).
    #[error("the e-mail could not be made: {0}")]
    Message(String),
}

/// The asset an image names; a missing one is a warning (its alt text is
/// shown instead) or, when `strict`, an error.
pub(crate) fn image_of<'a>(
    assets: &'a Assets,
    image: &Image,
    strict: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<&'a Asset>, RenderError> {
    match assets.get(&image.source) {
        Some(asset) => Ok(Some(asset)),
        None if strict => Err(RenderError::MissingImage(image.source.clone())),
        None => {
            warnings.push(format!(
                "the image `{}` is not among the assets; its alt text `{}` is shown instead",
                image.source, image.alt
            ));
            Ok(None)
        }
    }
}
