//! Templates: the sandboxed tera environment that turns a template and its
//! data into Markdown and document metadata, with the functions and the
//! escape every template uses.

pub mod engine;
pub mod escape;
pub mod format;
pub mod front_matter;

pub use engine::{Engine, Rendered, TemplateError};
