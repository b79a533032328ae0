//! The document model: what every renderer draws and nothing more.
//!
//! A [`Document`] is metadata plus a tree of [`Block`]s whose text lives in
//! [`Inline`]s. It is semantic, not visual: it says "a heading of level 2",
//! "a table whose header repeats", "keep these blocks on one page", and the
//! [`Theme`](super::Theme) and each renderer decide how that looks. It knows
//! nothing of the CRM, templates or file formats, and it serialises to JSON,
//! so a document can be inspected, stored and rendered again.
//!
//! Text in the model is always literal: a renderer escapes it for its
//! format and never interprets it as markup.

use serde::{Deserialize, Serialize};

/// A whole document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub metadata: Metadata,
    pub blocks: Vec<Block>,
    /// Footnote bodies, in the order of their first reference; an
    /// [`Inline::FootnoteRef`] holds the index into this list plus one.
    pub footnotes: Vec<Vec<Block>>,
}

impl Document {
    /// The asset names its images ask for, each once.
    pub fn image_sources(&self) -> std::collections::BTreeSet<String> {
        fn walk(blocks: &[Block], out: &mut std::collections::BTreeSet<String>) {
            for block in blocks {
                match block {
                    Block::Image(image) => {
                        out.insert(image.source.clone());
                    }
                    Block::Quote { blocks }
                    | Block::KeepTogether { blocks }
                    | Block::Callout { blocks, .. } => walk(blocks, out),
                    Block::List(list) => list.items.iter().for_each(|i| walk(&i.blocks, out)),
                    _ => {}
                }
            }
        }
        let mut out = std::collections::BTreeSet::new();
        walk(&self.blocks, &mut out);
        self.footnotes.iter().for_each(|f| walk(f, &mut out));
        out
    }
}

/// The word every page of a draft carries.
pub const DRAFT_MARK: &str = "DRAFT";

/// What a document is, for its properties and its page header and footer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    /// As written by the author (usually `YYYY-MM-DD`); shown in headers
    /// and footers and used as the document date in file properties.
    pub date: Option<String>,
    /// A BCP 47 tag such as `en` or `de-CH`, for hyphenation and the HTML
    /// `lang` attribute.
    pub language: Option<String>,
    /// A draft is marked as one on every page, in every format: it is not
    /// for the customer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
}

/// A block-level element.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Levels 1 to 6. Renderers keep a heading on the page of what follows.
    Heading {
        level: u8,
        content: Vec<Inline>,
    },
    Paragraph {
        content: Vec<Inline>,
    },
    List(List),
    Table(Table),
    Quote {
        blocks: Vec<Block>,
    },
    /// Preformatted text, never wrapped into one line.
    Code {
        language: Option<String>,
        text: String,
    },
    Image(Image),
    /// A horizontal rule.
    Rule,
    /// Start a new page here (in HTML: when printing).
    PageBreak,
    /// Blocks that must not be split across pages unless they are taller
    /// than one page.
    KeepTogether {
        blocks: Vec<Block>,
    },
    /// Lines to sign on, one per party, side by side when they fit.
    Signature {
        parties: Vec<Signatory>,
    },
    /// A highlighted box: a note, tip, warning…
    Callout {
        kind: CalloutKind,
        blocks: Vec<Block>,
    },
}

/// A list, bulleted or numbered, whose items hold blocks (and so nested
/// lists).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct List {
    /// The number of the first item of a numbered list; `None` for bullets.
    pub start: Option<u64>,
    pub items: Vec<ListItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    /// `Some` for a task list item: whether it is ticked.
    pub checked: Option<bool>,
    pub blocks: Vec<Block>,
}

/// A table: an optional header row, body rows, and per-column layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<Column>,
    pub header: Option<Row>,
    pub rows: Vec<Row>,
    /// Repeat the header row at the top of every page the table spans.
    pub repeat_header: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub align: Align,
    /// A share of the table's width, percent; `None` sizes the column by
    /// its content.
    pub width_percent: Option<f32>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// One row; every row has as many cells as the table has columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub style: RowStyle,
    pub cells: Vec<Vec<Inline>>,
}

/// How a body row is set apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStyle {
    #[default]
    Normal,
    /// Opens a group of rows (a section of a quote): kept with the rows
    /// after it.
    Group,
    /// Closes a group with its total: kept with the rows before it.
    Subtotal,
}

/// An image, by the name of an asset the renderer is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// The asset's name (`logo.png`); resolved by the renderer, never read
    /// from a file system path or a URL.
    pub source: String,
    /// Shown, with a warning, when the asset is missing.
    pub alt: String,
    pub width: Option<Length>,
}

/// A width: millimetres, or percent of the text width.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Length {
    Mm(f32),
    Percent(f32),
}

/// One party of a signature block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    /// Whom the signer signs for, e.g. "For Acme GmbH".
    pub party: String,
    pub name: Option<String>,
    pub title: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalloutKind {
    Note,
    Tip,
    Important,
    Warning,
    Caution,
}

impl CalloutKind {
    /// The label a renderer shows at the top of the box.
    pub fn label(self) -> &'static str {
        match self {
            CalloutKind::Note => "Note",
            CalloutKind::Tip => "Tip",
            CalloutKind::Important => "Important",
            CalloutKind::Warning => "Warning",
            CalloutKind::Caution => "Caution",
        }
    }
}

/// Text-level content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
    },
    Strong {
        content: Vec<Inline>,
    },
    Emphasis {
        content: Vec<Inline>,
    },
    Strikethrough {
        content: Vec<Inline>,
    },
    Code {
        text: String,
    },
    /// Only `http`, `https`, `mailto` and `tel` targets; the reader turns
    /// any other link into its text.
    Link {
        url: String,
        content: Vec<Inline>,
    },
    /// A forced line break within a paragraph.
    LineBreak,
    /// The number of a footnote in [`Document::footnotes`] (1-based).
    FootnoteRef {
        number: usize,
    },
}

impl Inline {
    pub fn text(text: impl Into<String>) -> Inline {
        Inline::Text { text: text.into() }
    }
}

/// The plain text of inlines, as a search index or a document property
/// would want it.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(&mut out, inlines);
    out
}

fn push_plain(out: &mut String, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text { text } | Inline::Code { text } => out.push_str(text),
            Inline::Strong { content }
            | Inline::Emphasis { content }
            | Inline::Strikethrough { content }
            | Inline::Link { content, .. } => push_plain(out, content),
            Inline::LineBreak => out.push('\n'),
            Inline::FootnoteRef { number } => out.push_str(&format!("[{number}]")),
        }
    }
}
