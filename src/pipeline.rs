//! The document pipeline without the CRM: a template (or plain Markdown)
//! and its data → Markdown → document model → rendered bytes, with the
//! theme the front matter or the caller chose.

use serde_json::Value;

use crate::document::{Assets, Document, Theme, markdown};
use crate::render::{self, Format, RenderError};
use crate::templates::{Engine, TemplateError};

/// What to render and how.
pub struct Job<'a> {
    /// The template's name, for messages.
    pub name: &'a str,
    pub source: &'a str,
    /// With data the source is a template; without, plain Markdown.
    pub data: Option<&'a Value>,
    /// The theme by name; else the front matter's; else `classic`.
    pub theme: Option<&'a str>,
    pub format: Format,
    /// Images beyond the built-in themes' own.
    pub assets: Assets,
    /// A missing image is an error rather than a warning.
    pub strict: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PipelineError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("there is no theme `{0}`; the built-in themes are classic and modern")]
    UnknownTheme(String),
}

/// The document and its rendering.
pub struct Produced {
    pub document: Document,
    pub bytes: Vec<u8>,
    /// The reader's and the renderer's warnings, for the author.
    pub warnings: Vec<String>,
}

pub fn run(job: Job<'_>) -> Result<Produced, PipelineError> {
    let rendered = match job.data {
        Some(data) => {
            let mut engine = Engine::new();
            engine.add(job.name, job.source)?;
            engine.render(job.name, data)?
        }
        None => crate::templates::engine::plain(job.name, job.source)?,
    };
    let theme_name = job.theme.or(rendered.theme.as_deref()).unwrap_or("classic");
    let mut theme = Theme::builtin(theme_name)
        .ok_or_else(|| PipelineError::UnknownTheme(theme_name.to_owned()))?;
    if let Some(paper) = rendered.paper {
        theme.paper = paper;
    }
    let read = markdown::read(&rendered.markdown, rendered.metadata);
    let mut assets = Theme::builtin_assets();
    assets.extend(job.assets);
    let output = match job.format {
        Format::Html => render::html::html(&read.document, &theme, &assets, job.strict)?,
        Format::Pdf => render::pdf::pdf(&read.document, &theme, &assets, job.strict)?,
        Format::Docx => render::docx::docx(&read.document, &theme, &assets, job.strict)?,
    };
    let mut warnings = read.warnings;
    warnings.extend(output.warnings);
    Ok(Produced {
        document: read.document,
        bytes: output.bytes,
        warnings,
    })
}
