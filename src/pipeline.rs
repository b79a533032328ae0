//! The document pipeline without the CRM: a template (or plain Markdown)
//! and its data → Markdown → document model → rendered bytes, with the
//! theme the front matter or the caller chose.

use serde_json::Value;

use crate::document::theme::Paper;
use crate::document::{Assets, Document, Theme, markdown};
use crate::render::{self, Format, RenderError};
use crate::templates::{Engine, Rendered, TemplateError};

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
    let theme = Theme::builtin(theme_name)
        .ok_or_else(|| PipelineError::UnknownTheme(theme_name.to_owned()))?;
    let mut assets = Theme::builtin_assets();
    assets.extend(job.assets);
    let read = read(rendered);
    let output = render(
        &read.document,
        theme,
        read.paper,
        &assets,
        job.format,
        job.strict,
    )?;
    let mut warnings = read.warnings;
    warnings.extend(output.warnings);
    Ok(Produced {
        document: read.document,
        bytes: output.bytes,
        warnings,
    })
}

/// A rendered template read into the document model.
pub struct Read {
    pub document: Document,
    /// The paper the front matter asks for, over the theme's.
    pub paper: Option<Paper>,
    pub warnings: Vec<String>,
}

pub fn read(rendered: Rendered) -> Read {
    let read = markdown::read(&rendered.markdown, rendered.metadata);
    Read {
        document: read.document,
        paper: rendered.paper,
        warnings: read.warnings,
    }
}

/// `document` rendered as `format` with `theme` (on `paper` when the
/// document asks for one) and `assets`.
pub fn render(
    document: &Document,
    mut theme: Theme,
    paper: Option<Paper>,
    assets: &Assets,
    format: Format,
    strict: bool,
) -> Result<render::Output, RenderError> {
    if let Some(paper) = paper {
        theme.paper = paper;
    }
    match format {
        Format::Html => render::html::html(document, &theme, assets, strict),
        Format::Pdf => render::pdf::pdf(document, &theme, assets, strict),
        Format::Docx => render::docx::docx(document, &theme, assets, strict),
    }
}
