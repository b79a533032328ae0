//! Markdown → [`Document`]: the one place pulldown-cmark is configured.
//!
//! CommonMark with GitHub's tables, strikethrough, task lists, footnotes and
//! alerts (`> [!NOTE]` becomes a callout), plus directives written as HTML
//! comments, which other Markdown tools simply hide:
//!
//! | directive | effect |
//! |---|---|
//! | `<!-- pagebreak -->` | a page break |
//! | `<!-- keep -->` … `<!-- /keep -->` | keep the blocks between on one page |
//! | `<!-- signature -->` … `<!-- /signature -->` | a signature block: each item of the list between is a party, its lines party, name, title |
//! | `<!-- table widths=50,30,20 no-repeat-header -->` | options of the next table: column widths in percent; the header repeats on every page unless `no-repeat-header` |
//! | `<!-- group -->`, `<!-- subtotal -->` in a table row | the row opens a group, or closes it with its subtotal |
//!
//! Images name assets (`![Logo](logo.png "width=40mm")`, width in `mm` or
//! `%`). Any other HTML is shown as the text it is, never as markup; other
//! comments are dropped.

use std::collections::HashMap;

use pulldown_cmark::{
    Alignment, BlockQuoteKind, CodeBlockKind, Event, Options, Parser, Tag, TagEnd,
};

use super::model::*;

/// Written by the template escape for a line break inside a value.
pub const LINE_SEPARATOR: char = '\u{2028}';

/// Containers nested deeper than this are flattened into their parent, so
/// no input can exhaust the stack of the reader or of a renderer.
pub const MAX_DEPTH: usize = 24;

/// A read document and what was wrong with the input, for the author.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Read {
    pub document: Document,
    pub warnings: Vec<String>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM
}

/// Reads `markdown` into a document with `metadata`.
pub fn read(markdown: &str, metadata: Metadata) -> Read {
    let mut reader = Reader::default();
    reader.stack.push(Frame::new(Node::Root));
    for event in Parser::new_ext(markdown, options()) {
        reader.event(event);
    }
    reader.close_open_directives(true);
    while reader.stack.len() > 1 {
        reader.close_top();
    }
    let root = reader
        .stack
        .pop()
        .map(|mut f| f.take_blocks())
        .unwrap_or_default();
    let mut footnotes = vec![Vec::new(); reader.footnote_numbers.len()];
    for (label, blocks) in reader.footnote_bodies {
        if let Some(&n) = reader.footnote_numbers.get(&label) {
            footnotes[n - 1] = blocks;
        }
    }
    Read {
        document: Document {
            metadata,
            blocks: root,
            footnotes,
        },
        warnings: reader.warnings,
    }
}

/// What a frame of the reader's stack is building.
#[derive(Debug)]
enum Node {
    Root,
    Quote(Option<CalloutKind>),
    List(Option<u64>),
    Item,
    Footnote(String),
    Keep,
    Signature,
    Table(Box<TableBuild>),
    Code(Option<String>),
    Html,
    // Inline-level frames:
    Paragraph,
    Heading(u8),
    Cell,
    Emphasis,
    Strong,
    Strike,
    Link(Option<String>),
    Image { source: String, title: String },
}

impl Node {
    fn is_inline(&self) -> bool {
        matches!(
            self,
            Node::Paragraph
                | Node::Heading(_)
                | Node::Cell
                | Node::Emphasis
                | Node::Strong
                | Node::Strike
                | Node::Link(_)
                | Node::Image { .. }
        )
    }
}

#[derive(Debug, Default)]
struct TableBuild {
    aligns: Vec<Align>,
    header: Option<Row>,
    rows: Vec<Row>,
    row: Vec<Vec<Inline>>,
    style: RowStyle,
    options: TableOptions,
}

#[derive(Clone, Debug, Default)]
struct TableOptions {
    widths: Option<Vec<f32>>,
    no_repeat_header: bool,
}

#[derive(Debug)]
struct Frame {
    node: Node,
    blocks: Vec<Block>,
    inlines: Vec<Inline>,
    /// List items, for a list.
    items: Vec<ListItem>,
    /// A task list item's mark.
    checked: Option<bool>,
    /// Text of code and HTML blocks.
    text: String,
    /// Images met inside this paragraph, placed after it.
    hoisted: Vec<Block>,
    /// Options for the next table among this frame's blocks.
    table_options: Option<TableOptions>,
}

impl Frame {
    fn new(node: Node) -> Frame {
        Frame {
            node,
            blocks: Vec::new(),
            inlines: Vec::new(),
            items: Vec::new(),
            checked: None,
            text: String::new(),
            hoisted: Vec::new(),
            table_options: None,
        }
    }

    fn is_inline(&self) -> bool {
        self.node.is_inline()
    }

    /// The blocks, with loose text (a tight list item's) as a paragraph.
    fn take_blocks(&mut self) -> Vec<Block> {
        self.flush_inlines();
        std::mem::take(&mut self.blocks)
    }

    fn flush_inlines(&mut self) {
        let content = normalize(std::mem::take(&mut self.inlines));
        if !content.is_empty() {
            self.blocks.push(Block::Paragraph { content });
        }
    }

    fn push_block(&mut self, block: Block) {
        self.flush_inlines();
        if self.table_options.is_some() && !matches!(block, Block::Table(_)) {
            self.table_options = None;
        }
        self.blocks.push(block);
    }
}

#[derive(Default)]
struct Reader {
    stack: Vec<Frame>,
    warnings: Vec<String>,
    footnote_numbers: HashMap<String, usize>,
    footnote_bodies: Vec<(String, Vec<Block>)>,
    /// Elements opened past [`MAX_DEPTH`], which get no frame: their
    /// content joins the deepest frame, and their ends are only counted.
    flattened: usize,
}

impl Reader {
    fn top(&mut self) -> &mut Frame {
        // The root frame is never popped while events arrive.
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// Opens an element's frame, unless the nesting is too deep.
    fn push(&mut self, node: Node) {
        if self.stack.len() >= MAX_DEPTH {
            self.flattened += 1;
        } else {
            self.stack.push(Frame::new(node));
        }
    }

    /// Opens a directive's frame; too deep, the directive is ignored (it
    /// has no end event to count).
    fn push_directive(&mut self, node: Node, name: &str) {
        if self.stack.len() >= MAX_DEPTH {
            self.warnings
                .push(format!("`<!-- {name} -->` is nested too deeply; ignored"));
        } else {
            self.top().flush_inlines();
            self.stack.push(Frame::new(node));
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(end) => self.end(end),
            Event::Text(text) => self.text(&text),
            Event::Code(text) => self.inline(Inline::Code {
                text: text.into_string(),
            }),
            Event::InlineMath(text) | Event::DisplayMath(text) => self.text(&text),
            Event::Html(html) => self.top().text.push_str(&html),
            Event::InlineHtml(html) => self.inline_html(&html),
            Event::FootnoteReference(label) => {
                let next = self.footnote_numbers.len() + 1;
                let number = *self
                    .footnote_numbers
                    .entry(label.into_string())
                    .or_insert(next);
                self.inline(Inline::FootnoteRef { number });
            }
            // A soft break is a space, except between a signatory's lines.
            Event::SoftBreak => {
                if self.stack.iter().any(|f| matches!(f.node, Node::Signature)) {
                    self.inline(Inline::LineBreak);
                } else {
                    self.text(" ");
                }
            }
            Event::HardBreak => self.inline(Inline::LineBreak),
            Event::Rule => self.top().push_block(Block::Rule),
            Event::TaskListMarker(checked) => {
                if let Some(item) = self
                    .stack
                    .iter_mut()
                    .rev()
                    .find(|f| matches!(f.node, Node::Item))
                {
                    item.checked = Some(checked);
                }
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let node = match tag {
            Tag::Paragraph => Node::Paragraph,
            Tag::Heading { level, .. } => Node::Heading(level as u8),
            Tag::BlockQuote(kind) => Node::Quote(kind.map(callout_kind)),
            Tag::CodeBlock(CodeBlockKind::Fenced(lang)) => {
                let lang = lang
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                Node::Code((!lang.is_empty()).then_some(lang))
            }
            Tag::CodeBlock(CodeBlockKind::Indented) => Node::Code(None),
            Tag::HtmlBlock => Node::Html,
            Tag::List(start) => Node::List(start),
            Tag::Item => Node::Item,
            Tag::FootnoteDefinition(label) => Node::Footnote(label.into_string()),
            Tag::Table(aligns) => {
                let options = self.top().table_options.take().unwrap_or_default();
                Node::Table(Box::new(TableBuild {
                    aligns: aligns.into_iter().map(align).collect(),
                    options,
                    ..TableBuild::default()
                }))
            }
            Tag::TableHead | Tag::TableRow => return,
            Tag::TableCell => Node::Cell,
            Tag::Emphasis => Node::Emphasis,
            Tag::Strong => Node::Strong,
            Tag::Strikethrough => Node::Strike,
            Tag::Link { dest_url, .. } => Node::Link(safe_url(&dest_url)),
            Tag::Image {
                dest_url, title, ..
            } => Node::Image {
                source: dest_url.into_string(),
                title: title.into_string(),
            },
            // Not enabled; should they come, their content reads as text.
            Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::Superscript
            | Tag::Subscript
            | Tag::MetadataBlock(_) => {
                self.flattened += 1;
                return;
            }
        };
        // A block ends the loose text before it (a tight list item's);
        // inline formatting continues it.
        if !node.is_inline() && !self.top().is_inline() {
            self.top().flush_inlines();
        }
        self.push(node);
    }

    fn end(&mut self, end: TagEnd) {
        if self.flattened > 0 {
            // A flattened table's head and rows were never counted.
            if !matches!(end, TagEnd::TableHead | TagEnd::TableRow) {
                self.flattened -= 1;
            }
            return;
        }
        match end {
            TagEnd::TableHead => {
                if let Some(Node::Table(t)) = self.stack.last_mut().map(|f| &mut f.node) {
                    let cells = std::mem::take(&mut t.row);
                    // A style mark in the header row means nothing.
                    t.style = RowStyle::Normal;
                    t.header = Some(Row {
                        style: RowStyle::Normal,
                        cells,
                    });
                }
                return;
            }
            TagEnd::TableRow => {
                if let Some(Node::Table(t)) = self.stack.last_mut().map(|f| &mut f.node) {
                    let cells = std::mem::take(&mut t.row);
                    let style = std::mem::take(&mut t.style);
                    t.rows.push(Row { style, cells });
                }
                return;
            }
            _ => {}
        }
        self.close_open_directives(false);
        if self.stack.len() > 1 {
            self.close_top();
        }
    }

    /// Closes, with a warning, directive containers left open at the end
    /// of the element that is ending, or of the input (`at_end`).
    fn close_open_directives(&mut self, at_end: bool) {
        while self.stack.len() > 1 && matches!(self.top().node, Node::Keep | Node::Signature) {
            let name = if matches!(self.top().node, Node::Keep) {
                "keep"
            } else {
                "signature"
            };
            let where_ = if at_end {
                "the end of the document"
            } else {
                "the end of the enclosing element"
            };
            self.warnings.push(format!(
                "`<!-- {name} -->` is not closed where it was opened; closed at {where_}"
            ));
            self.close_top();
        }
    }

    /// Pops the top frame and hands what it built to its parent.
    fn close_top(&mut self) {
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        let node = std::mem::replace(&mut frame.node, Node::Root);
        match node {
            Node::Root => {}
            Node::Paragraph => {
                let content = normalize(std::mem::take(&mut frame.inlines));
                if !content.is_empty() {
                    self.top().push_block(Block::Paragraph { content });
                }
                for image in frame.hoisted {
                    self.top().push_block(image);
                }
            }
            Node::Heading(level) => {
                let content = normalize(std::mem::take(&mut frame.inlines));
                self.top().push_block(Block::Heading { level, content });
                for image in frame.hoisted {
                    self.top().push_block(image);
                }
            }
            Node::Quote(kind) => {
                let blocks = frame.take_blocks();
                self.top().push_block(match kind {
                    Some(kind) => Block::Callout { kind, blocks },
                    None => Block::Quote { blocks },
                });
            }
            Node::List(start) => {
                let mut items = std::mem::take(&mut frame.items);
                // Content of items flattened past the depth limit.
                let loose = frame.take_blocks();
                if !loose.is_empty() {
                    items.push(ListItem {
                        checked: None,
                        blocks: loose,
                    });
                }
                self.top().push_block(Block::List(List { start, items }));
            }
            Node::Item => {
                let item = ListItem {
                    checked: frame.checked,
                    blocks: frame.take_blocks(),
                };
                match self.top().node {
                    Node::List(_) => self.top().items.push(item),
                    _ => {
                        for block in item.blocks {
                            self.top().push_block(block);
                        }
                    }
                }
            }
            Node::Footnote(label) => {
                let blocks = frame.take_blocks();
                self.footnote_bodies.push((label, blocks));
            }
            Node::Keep => {
                let blocks = frame.take_blocks();
                if !blocks.is_empty() {
                    self.top().push_block(Block::KeepTogether { blocks });
                }
            }
            Node::Signature => {
                let blocks = frame.take_blocks();
                let parties = signatories(&blocks);
                if parties.is_empty() {
                    self.warnings.push(
                        "`<!-- signature -->` holds no list of parties; nothing was drawn"
                            .to_owned(),
                    );
                } else {
                    self.top().push_block(Block::Signature { parties });
                }
            }
            Node::Table(table) => {
                let table = self.finish_table(*table);
                // Content of cells flattened past the depth limit.
                let loose = frame.take_blocks();
                self.top().push_block(Block::Table(table));
                for block in loose {
                    self.top().push_block(block);
                }
            }
            Node::Code(language) => {
                let mut text = std::mem::take(&mut frame.text);
                if text.ends_with('\n') {
                    text.pop();
                }
                self.top().push_block(Block::Code { language, text });
            }
            Node::Html => {
                let text = std::mem::take(&mut frame.text);
                self.html_block(&text);
            }
            Node::Cell => {
                let content = normalize(std::mem::take(&mut frame.inlines));
                if let Node::Table(t) = &mut self.top().node {
                    t.row.push(content);
                }
            }
            Node::Emphasis | Node::Strong | Node::Strike | Node::Link(_) => {
                let content = merge_text(std::mem::take(&mut frame.inlines));
                let inline = match node {
                    Node::Emphasis => Some(Inline::Emphasis { content }),
                    Node::Strong => Some(Inline::Strong { content }),
                    Node::Strike => Some(Inline::Strikethrough { content }),
                    Node::Link(Some(url)) => Some(Inline::Link { url, content }),
                    _ => {
                        // A link with a target we do not keep: its text.
                        self.top().inlines.extend(content);
                        None
                    }
                };
                if let Some(inline) = inline {
                    self.top().inlines.push(inline);
                }
                self.hoist(frame.hoisted);
            }
            Node::Image { source, title } => {
                let alt = plain_text(&frame.inlines);
                // An image naming no asset is only its alt text.
                if source.trim().is_empty() {
                    self.warnings.push(format!(
                        "the image `{alt}` names no asset; its alt text is shown"
                    ));
                    self.top().inlines.push(Inline::text(alt));
                    return;
                }
                let image = Block::Image(Image {
                    width: image_width(&title, &mut self.warnings),
                    source,
                    alt,
                });
                self.hoist(vec![image]);
            }
        }
    }

    /// Images are blocks: one met inside text goes after the paragraph (or
    /// heading) it was in; inside a table cell only its alt text stays.
    fn hoist(&mut self, images: Vec<Block>) {
        if images.is_empty() {
            return;
        }
        let in_cell = self.stack.iter().any(|f| matches!(f.node, Node::Cell));
        if in_cell {
            for image in images {
                if let Block::Image(Image { alt, .. }) = image {
                    self.top().inlines.push(Inline::text(alt));
                }
            }
            return;
        }
        match self
            .stack
            .iter_mut()
            .rev()
            .find(|f| !f.is_inline() || matches!(f.node, Node::Paragraph | Node::Heading(_)))
        {
            Some(frame) if frame.is_inline() => frame.hoisted.extend(images),
            Some(frame) => {
                for image in images {
                    frame.push_block(image);
                }
            }
            None => {}
        }
    }

    fn text(&mut self, text: &str) {
        let top = self.top();
        match top.node {
            Node::Code(_) | Node::Html => top.text.push_str(text),
            _ => {
                // A line separator (how the template escape writes a line
                // break inside a value) is a line break that cannot end a
                // block or a table row.
                for (i, part) in text.split(LINE_SEPARATOR).enumerate() {
                    if i > 0 {
                        top.inlines.push(Inline::LineBreak);
                    }
                    if !part.is_empty() {
                        top.inlines.push(Inline::text(part));
                    }
                }
            }
        }
    }

    fn inline(&mut self, inline: Inline) {
        self.top().inlines.push(inline);
    }

    fn inline_html(&mut self, html: &str) {
        match comment_body(html) {
            Some(body) => {
                let word = body.split_whitespace().next().unwrap_or_default();
                if matches!(word, "group" | "subtotal") {
                    let style = if word == "group" {
                        RowStyle::Group
                    } else {
                        RowStyle::Subtotal
                    };
                    match self.stack.iter_mut().rev().find_map(|f| match &mut f.node {
                        Node::Table(t) => Some(t),
                        _ => None,
                    }) {
                        Some(table) => table.style = style,
                        None => self.warnings.push(format!(
                            "`<!-- {word} -->` is only meaningful in a table row"
                        )),
                    }
                }
            }
            // Raw HTML is text, shown as typed.
            None => self.text(html),
        }
    }

    /// An HTML block: directives act, other comments vanish, the rest is
    /// shown as text.
    fn html_block(&mut self, html: &str) {
        let mut rest = html;
        while let Some(start) = rest.find("<!--") {
            let before = &rest[..start];
            self.literal_html(before);
            let after = &rest[start..];
            let end = after.find("-->").map_or(after.len(), |i| i + 3);
            if let Some(body) = comment_body(&after[..end]) {
                self.directive(body.trim());
            }
            rest = &after[end..];
        }
        self.literal_html(rest);
    }

    fn literal_html(&mut self, text: &str) {
        let text = text.trim();
        if !text.is_empty() {
            self.top().push_block(Block::Paragraph {
                content: vec![Inline::text(text)],
            });
        }
    }

    fn directive(&mut self, body: &str) {
        let mut words = body.split_whitespace();
        match words.next().unwrap_or_default() {
            "pagebreak" => self.top().push_block(Block::PageBreak),
            "keep" => self.push_directive(Node::Keep, "keep"),
            "signature" => self.push_directive(Node::Signature, "signature"),
            closing @ ("/keep" | "/signature") => {
                let open = matches!(
                    (closing, &self.top().node),
                    ("/keep", Node::Keep) | ("/signature", Node::Signature)
                );
                if open {
                    self.close_top();
                } else {
                    self.warnings.push(format!(
                        "`<!-- {closing} -->` closes nothing opened at the same level; ignored"
                    ));
                }
            }
            "table" => {
                let mut options = TableOptions::default();
                for word in words {
                    if word == "no-repeat-header" {
                        options.no_repeat_header = true;
                    } else if let Some(list) = word.strip_prefix("widths=") {
                        match list
                            .split(',')
                            .map(|w| w.trim_end_matches('%').parse::<f32>())
                            .collect()
                        {
                            Ok(widths) => options.widths = Some(widths),
                            Err(_) => self
                                .warnings
                                .push(format!("table widths `{list}` are not numbers; ignored")),
                        }
                    } else {
                        self.warnings
                            .push(format!("unknown table option `{word}`; ignored"));
                    }
                }
                self.top().flush_inlines();
                self.top().table_options = Some(options);
            }
            "group" | "subtotal" => self.warnings.push(format!(
                "`<!-- {body} -->` is only meaningful in a table row"
            )),
            // Any other comment is a comment.
            _ => {}
        }
    }

    fn finish_table(&mut self, t: TableBuild) -> Table {
        let columns_n = t
            .aligns
            .len()
            .max(t.header.as_ref().map_or(0, |h| h.cells.len()))
            .max(t.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0));
        let mut columns: Vec<Column> = (0..columns_n)
            .map(|i| Column {
                align: t.aligns.get(i).copied().unwrap_or_default(),
                width_percent: None,
            })
            .collect();
        if let Some(widths) = &t.options.widths {
            let sum: f32 = widths.iter().sum();
            if widths.len() != columns_n {
                self.warnings.push(format!(
                    "table widths name {} columns, the table has {columns_n}; ignored",
                    widths.len()
                ));
            } else if widths.iter().any(|w| !w.is_finite() || *w <= 0.0) || sum > 100.5 {
                self.warnings.push(format!(
                    "table widths must be positive percentages adding up to at most 100 (they add up to {sum}); ignored"
                ));
            } else {
                for (column, width) in columns.iter_mut().zip(widths) {
                    column.width_percent = Some(*width);
                }
            }
        }
        let pad = |mut row: Row| {
            row.cells.resize_with(columns_n, Vec::new);
            row
        };
        Table {
            columns: std::mem::take(&mut columns),
            header: t
                .header
                .map(pad)
                .filter(|h| h.cells.iter().any(|c| !c.is_empty())),
            rows: t.rows.into_iter().map(pad).collect(),
            repeat_header: !t.options.no_repeat_header,
        }
    }
}

fn callout_kind(kind: BlockQuoteKind) -> CalloutKind {
    match kind {
        BlockQuoteKind::Note => CalloutKind::Note,
        BlockQuoteKind::Tip => CalloutKind::Tip,
        BlockQuoteKind::Important => CalloutKind::Important,
        BlockQuoteKind::Warning => CalloutKind::Warning,
        BlockQuoteKind::Caution => CalloutKind::Caution,
    }
}

fn align(a: Alignment) -> Align {
    match a {
        Alignment::None | Alignment::Left => Align::Left,
        Alignment::Center => Align::Center,
        Alignment::Right => Align::Right,
    }
}

/// Link targets a document may carry; anything else (`javascript:`, file
/// paths) loses its link and keeps its text.
fn safe_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:", "tel:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        .then(|| url.trim().to_owned())
}

/// The inside of `<!-- … -->`, if `html` is exactly one comment.
fn comment_body(html: &str) -> Option<&str> {
    let body = html.trim().strip_prefix("<!--")?;
    Some(body.strip_suffix("-->").unwrap_or(body))
}

/// `width=40mm` or `width=50%` in an image's title.
fn image_width(title: &str, warnings: &mut Vec<String>) -> Option<Length> {
    let value = title
        .split_whitespace()
        .find_map(|w| w.strip_prefix("width="))?;
    let parsed = if let Some(mm) = value.strip_suffix("mm") {
        mm.parse()
            .ok()
            .filter(|v: &f32| *v > 0.0 && *v <= 1000.0)
            .map(Length::Mm)
    } else if let Some(pct) = value.strip_suffix('%') {
        pct.parse()
            .ok()
            .filter(|v: &f32| *v > 0.0 && *v <= 100.0)
            .map(Length::Percent)
    } else {
        None
    };
    if parsed.is_none() {
        warnings.push(format!(
            "image width `{value}` is not a width such as 40mm or 50%; the image keeps its own size"
        ));
    }
    parsed
}

/// The parties of a signature block: each list item, its lines party,
/// name and title.
fn signatories(blocks: &[Block]) -> Vec<Signatory> {
    let mut parties = Vec::new();
    for block in blocks {
        let Block::List(list) = block else {
            continue;
        };
        for item in &list.items {
            let text: String = item
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Paragraph { content } => Some(plain_text(content)),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n");
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            if let Some(party) = lines.next() {
                parties.push(Signatory {
                    party: party.to_owned(),
                    name: lines.next().map(str::to_owned),
                    title: lines.next().map(str::to_owned),
                });
            }
        }
    }
    parties
}

/// Joins neighbouring text runs, without the spaces that start or end
/// them all.
fn normalize(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out = merge_text(inlines);
    if let Some(Inline::Text { text }) = out.first_mut() {
        let start = text.len() - text.trim_start_matches(' ').len();
        text.drain(..start);
        if text.is_empty() {
            out.remove(0);
        }
    }
    if let Some(Inline::Text { text }) = out.last_mut() {
        let end = text.trim_end_matches(' ').len();
        text.truncate(end);
        if text.is_empty() {
            out.pop();
        }
    }
    out
}

/// Joins neighbouring text runs.
fn merge_text(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Text { text } => {
                if let Some(Inline::Text { text: last }) = out.last_mut() {
                    last.push_str(&text);
                } else if !text.is_empty() {
                    out.push(Inline::Text { text });
                }
            }
            other => out.push(other),
        }
    }
    out
}
