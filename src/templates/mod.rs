//! Templates: the sandboxed tera environment that turns a template and its
//! data into Markdown and document metadata, with the functions and the
//! escape every template uses; the store that keeps templates as published
//! versions, the built-in ones that seed it, and the readiness analysis.

pub mod builtin;
pub mod engine;
pub mod escape;
pub mod format;
pub mod front_matter;
pub mod readiness;
pub mod store;
mod tags;

pub use engine::{Engine, Rendered, TemplateError};
