//! The proposal fixture (`tests/fixtures/proposal.md` and its data) rendered
//! by the whole pipeline, as the renderers' tests read it back.

#![allow(dead_code)]

use dealdraft::document::{Assets, Document};
use dealdraft::pipeline::{self, Job};
use dealdraft::render::Format;
use serde_json::Value;

pub const SOURCE: &str = include_str!("../fixtures/proposal.md");
pub const DATA: &str = include_str!("../fixtures/proposal.json");

pub fn data() -> Value {
    serde_json::from_str(DATA).expect("the fixture's data is JSON")
}

pub struct Rendered {
    pub document: Document,
    pub bytes: Vec<u8>,
}

/// The proposal in `format`, in `theme` (else the front matter's).
pub fn render(format: Format, theme: Option<&str>) -> Rendered {
    let data = data();
    let produced = pipeline::run(Job {
        name: "proposal.md",
        source: SOURCE,
        data: Some(&data),
        theme,
        format,
        assets: Assets::default(),
        // The fixture names only built-in images: none may be missing.
        strict: true,
    })
    .expect("the proposal renders");
    assert_eq!(
        produced.warnings,
        Vec::<String>::new(),
        "the fixture is clean"
    );
    Rendered {
        document: produced.document,
        bytes: produced.bytes,
    }
}
