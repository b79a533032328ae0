//! DOCX: the document model as a Word file someone can edit — real styles
//! and list numbering, tables whose header repeats, the theme's page and
//! fonts, header and footer with page fields.
//!
//! docx-rs numbers paragraphs, pictures and links from process-wide
//! counters; every id here is assigned by the writer instead, so the same
//! document gives the same bytes however many renders a process has done.

mod package;
mod styles;

use std::borrow::Cow;

use docx_rs::{
    AlignmentType, BorderType, BreakType, Docx, Footer, Header, Hyperlink, HyperlinkData,
    HyperlinkType, IndentLevel, LevelOverride, LineSpacing, NumPages, Numbering, NumberingId,
    PageMargin, PageNum, Paragraph, ParagraphBorder, ParagraphBorderPosition, Pic, Run, Shading,
    Table, TableCell, TableCellBorder, TableCellBorderPosition, TableCellBorders, TableLayoutType,
    TableRow, VertAlignType, WidthType,
};

use super::{Output, RenderError, image_of};
use crate::document::assets::ImageFormat;
use crate::document::theme::{PagePart, page_parts};
use crate::document::{
    Align, Asset, Assets, Block, CalloutKind, Document, Image, Inline, Length, List, ListItem,
    RowStyle, Signatory, Table as ModelTable, Theme, plain_text,
};
use styles::{hex, twips};

/// English Metric Units, in which drawings are sized.
const EMU_PER_MM: f32 = 36_000.0;
/// Pictures wider than this are scaled down before embedding: more would
/// only make the file larger.
const MAX_PICTURE_PX: u32 = 2_400;

/// Renders `doc` as a DOCX file.
pub fn docx(
    doc: &Document,
    theme: &Theme,
    assets: &Assets,
    strict: bool,
) -> Result<Output, RenderError> {
    let (w_mm, h_mm) = theme.paper.size_mm();
    let m = theme.margins_mm;
    let mut writer = Writer {
        theme,
        assets,
        strict,
        warnings: Vec::new(),
        text_width_mm: w_mm - m.left - m.right,
        paragraphs: 0,
        pictures: 0,
        links: 0,
        numberings: Vec::new(),
        repeat_header: Vec::new(),
        headed: false,
    };
    let mut body = Vec::new();
    if let Some(logo) = &theme.logo {
        writer.logo(logo, &mut body);
    }
    for block in &doc.blocks {
        // The document's first heading, when of level 1, is its title.
        let context = match block {
            Block::Heading { level, .. } if !writer.headed => Context {
                title: *level == 1,
                ..Context::body()
            },
            _ => Context::body(),
        };
        writer.block(block, context, &mut body)?;
    }
    writer.footnotes(&doc.footnotes, &mut body)?;

    let mut docx = styles::apply(Docx::new(), theme)
        .page_size(twips(w_mm) as u32, twips(h_mm) as u32)
        .page_margin(
            PageMargin::new()
                .top(twips(m.top))
                .bottom(twips(m.bottom))
                .left(twips(m.left))
                .right(twips(m.right))
                .header(twips(m.top / 2.0))
                .footer(twips(m.bottom / 2.0))
                .gutter(0),
        );
    let mut header = None;
    if doc.metadata.draft {
        // At the head of every page, small enough to stay within the top
        // margin; the PDF's diagonal needs a drawing docx-rs does not write.
        let word = Run::new()
            .add_text(crate::document::DRAFT_MARK)
            .bold()
            .size(32)
            .color("B05050")
            .character_spacing(80);
        let p = writer
            .paragraph(styles::HEADER)
            .align(AlignmentType::Center)
            .add_run(word);
        header = Some(Header::new().add_paragraph(p));
    }
    if let Some(text) = &theme.header {
        let p = writer.furniture(text, doc, styles::HEADER);
        header = Some(header.unwrap_or_default().add_paragraph(p));
    }
    if let Some(header) = header {
        docx = docx.header(header);
    }
    if let Some(text) = &theme.footer {
        let p = writer.furniture(text, doc, styles::FOOTER);
        docx = docx.footer(Footer::new().add_paragraph(p));
    }
    for numbering in std::mem::take(&mut writer.numberings) {
        docx = docx.add_numbering(numbering);
    }
    for part in body {
        docx = match part {
            Part::Paragraph(p) => docx.add_paragraph(*p),
            Part::Table(t) => docx.add_table(*t),
        };
    }
    let bytes = package::pack(docx, &writer.repeat_header, &doc.metadata)?;
    Ok(Output {
        bytes,
        warnings: writer.warnings,
    })
}

/// Text as XML 1.0 allows it: control characters other than tab and line
/// breaks would make the file unreadable, so they are dropped.
pub(crate) fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
    }
}

/// One piece of a body or table cell, in order.
enum Part {
    Paragraph(Box<Paragraph>),
    Table(Box<Table>),
}

impl From<Paragraph> for Part {
    fn from(p: Paragraph) -> Part {
        Part::Paragraph(Box::new(p))
    }
}

impl From<Table> for Part {
    fn from(t: Table) -> Part {
        Part::Table(Box::new(t))
    }
}

/// Where blocks are being written: which paragraph style plain text takes,
/// and how deep in lists.
#[derive(Clone, Copy)]
struct Context {
    style: &'static str,
    depth: usize,
    title: bool,
}

impl Context {
    fn body() -> Context {
        Context {
            style: styles::BODY,
            depth: 0,
            title: false,
        }
    }
}

/// How runs look: the marks inline markup has put on them.
#[derive(Clone, Copy, Default)]
struct Marks<'c> {
    bold: bool,
    italic: bool,
    strike: bool,
    code: bool,
    link: bool,
    /// A colour of the text's own (a link keeps the accent).
    color: Option<&'c str>,
}

enum Piece {
    Run(Box<Run>),
    Link(Hyperlink),
}

impl From<Run> for Piece {
    fn from(run: Run) -> Piece {
        Piece::Run(Box::new(run))
    }
}

struct Writer<'a> {
    theme: &'a Theme,
    assets: &'a Assets,
    strict: bool,
    warnings: Vec<String>,
    text_width_mm: f32,
    paragraphs: u32,
    pictures: u32,
    links: u32,
    numberings: Vec<Numbering>,
    /// For each table of the body in document order: whether its first row
    /// repeats on every page.
    repeat_header: Vec<bool>,
    /// Whether a heading has been written.
    headed: bool,
}

impl Writer<'_> {
    /// A paragraph with the next id: ids are per document, never the
    /// library's thread-wide counter.
    fn paragraph(&mut self, style: &str) -> Paragraph {
        self.paragraphs += 1;
        Paragraph::new()
            .id(format!("{:08X}", self.paragraphs))
            .style(style)
    }

    fn blocks(
        &mut self,
        blocks: &[Block],
        context: Context,
        out: &mut Vec<Part>,
    ) -> Result<(), RenderError> {
        for block in blocks {
            self.block(block, context, out)?;
        }
        Ok(())
    }

    fn block(
        &mut self,
        block: &Block,
        context: Context,
        out: &mut Vec<Part>,
    ) -> Result<(), RenderError> {
        // Each kind is written by a method of its own: this frame stays
        // small however deeply quotes, lists and callouts nest.
        match block {
            Block::Heading { level, content } => self.heading(*level, content, context, out),
            Block::Paragraph { content } => {
                let p = self.paragraph(context.style);
                out.push(Part::from(self.inlines_into(p, content, Marks::default())));
            }
            Block::List(list) => self.list(list, context, out)?,
            Block::Table(table) => self.table(table, out),
            Block::Quote { blocks } => {
                let quote = Context {
                    style: styles::QUOTE,
                    ..context
                };
                self.blocks(blocks, quote, out)?;
            }
            Block::Code { text, .. } => self.code(text, out),
            Block::Image(image) => self.image(image, context, out)?,
            Block::Rule => {
                let p = self.rule();
                out.push(Part::from(p));
            }
            Block::PageBreak => {
                let p = self
                    .paragraph(context.style)
                    .add_run(Run::new().add_break(BreakType::Page));
                out.push(Part::from(p));
            }
            Block::KeepTogether { blocks } => self.keep_together(blocks, context, out)?,
            Block::Signature { parties } => self.signature(parties, out),
            Block::Callout { kind, blocks } => self.callout(*kind, blocks, context, out)?,
        }
        Ok(())
    }

    fn heading(&mut self, level: u8, content: &[Inline], context: Context, out: &mut Vec<Part>) {
        self.headed = true;
        let style = if context.title {
            styles::TITLE.to_owned()
        } else {
            styles::heading_id(level)
        };
        let p = self.paragraph(&style).keep_next(true).keep_lines(true);
        out.push(Part::from(self.inlines_into(p, content, Marks::default())));
    }

    fn code(&mut self, text: &str, out: &mut Vec<Part>) {
        let mut p = self.paragraph(styles::CODE);
        p.property = p
            .property
            .shading(Shading::new().fill(hex(&self.theme.colors.shade)));
        for (i, line) in text.trim_end_matches('\n').split('\n').enumerate() {
            let mut run = Run::new();
            if i > 0 {
                run = run.add_break(BreakType::TextWrapping);
            }
            p = p.add_run(run.add_text(xml_safe(line)));
        }
        out.push(Part::from(p));
    }

    /// Every paragraph but the last kept with the next.
    fn keep_together(
        &mut self,
        blocks: &[Block],
        context: Context,
        out: &mut Vec<Part>,
    ) -> Result<(), RenderError> {
        let first = out.len();
        self.blocks(blocks, context, out)?;
        let last = out.len().saturating_sub(1);
        for part in out.iter_mut().take(last).skip(first) {
            if let Part::Paragraph(p) = part {
                p.property = std::mem::take(&mut p.property)
                    .keep_next(true)
                    .keep_lines(true);
            }
        }
        Ok(())
    }

    /// A one-cell table: shaded, with the accent rule on its left.
    fn callout(
        &mut self,
        kind: CalloutKind,
        blocks: &[Block],
        context: Context,
        out: &mut Vec<Part>,
    ) -> Result<(), RenderError> {
        // Flagged before the blocks inside: in the file the callout's table
        // comes before any table within it.
        self.repeat_header.push(false);
        let mut inner = Vec::new();
        self.callout_label(kind, context, &mut inner);
        self.blocks(blocks, context, &mut inner)?;
        self.callout_box(inner, out);
        Ok(())
    }

    fn callout_label(&mut self, kind: CalloutKind, context: Context, out: &mut Vec<Part>) {
        let label = self.paragraph(context.style).keep_next(true).add_run(
            Run::new()
                .add_text(kind.label())
                .bold()
                .color(hex(&self.theme.colors.accent)),
        );
        out.push(Part::from(label));
    }

    fn callout_box(&mut self, inner: Vec<Part>, out: &mut Vec<Part>) {
        let width = twips(self.text_width_mm) as usize;
        let borders = TableCellBorders::with_empty().set(
            TableCellBorder::new(TableCellBorderPosition::Left)
                .border_type(BorderType::Single)
                .size(24)
                .color(hex(&self.theme.colors.accent)),
        );
        let cell = fill_cell(TableCell::new(), inner)
            .width(width, WidthType::Dxa)
            .set_borders(borders)
            .shading(Shading::new().fill(hex(&self.theme.colors.shade)));
        let table = Table::without_borders(vec![TableRow::new(vec![cell]).cant_split()])
            .set_grid(vec![width])
            .width(width, WidthType::Dxa)
            .layout(TableLayoutType::Fixed);
        out.push(Part::from(table));
    }

    fn rule(&mut self) -> Paragraph {
        let mut p = self.paragraph(styles::BODY);
        p.property = p.property.set_border(
            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                .val(BorderType::Single)
                .size(6)
                .color(hex(&self.theme.colors.muted)),
        );
        p
    }

    /// `p` with runs for `inlines`.
    fn inlines_into(
        &mut self,
        mut p: Paragraph,
        inlines: &[Inline],
        marks: Marks<'_>,
    ) -> Paragraph {
        let mut pieces = Vec::new();
        self.pieces(inlines, marks, &mut pieces);
        for piece in pieces {
            p = match piece {
                Piece::Run(run) => p.add_run(*run),
                Piece::Link(link) => p.add_hyperlink(link),
            };
        }
        p
    }

    fn pieces(&mut self, inlines: &[Inline], marks: Marks<'_>, out: &mut Vec<Piece>) {
        for inline in inlines {
            match inline {
                Inline::Text { text } => out.push(Piece::from(self.run(text, marks))),
                Inline::Code { text } => out.push(Piece::from(self.run(
                    text,
                    Marks {
                        code: true,
                        ..marks
                    },
                ))),
                Inline::Strong { content } => {
                    self.pieces(
                        content,
                        Marks {
                            bold: true,
                            ..marks
                        },
                        out,
                    );
                }
                Inline::Emphasis { content } => {
                    self.pieces(
                        content,
                        Marks {
                            italic: true,
                            ..marks
                        },
                        out,
                    );
                }
                Inline::Strikethrough { content } => {
                    self.pieces(
                        content,
                        Marks {
                            strike: true,
                            ..marks
                        },
                        out,
                    );
                }
                Inline::Link { url, content } if !marks.link => {
                    let mut runs = Vec::new();
                    self.pieces(
                        content,
                        Marks {
                            link: true,
                            ..marks
                        },
                        &mut runs,
                    );
                    self.links += 1;
                    let mut link = Hyperlink::new(xml_safe(url), HyperlinkType::External);
                    if let HyperlinkData::External { rid, .. } = &mut link.link {
                        *rid = format!("rIdLink{}", self.links);
                    }
                    for piece in runs {
                        if let Piece::Run(run) = piece {
                            link = link.add_run(*run);
                        }
                    }
                    out.push(Piece::Link(link));
                }
                // A link inside a link (which Markdown cannot make) is text.
                Inline::Link { content, .. } => self.pieces(content, marks, out),
                Inline::LineBreak => {
                    out.push(Piece::from(Run::new().add_break(BreakType::TextWrapping)));
                }
                Inline::FootnoteRef { number } => {
                    let mut run = self.run(&number.to_string(), marks);
                    run.run_property = run.run_property.vert_align(VertAlignType::SuperScript);
                    out.push(Piece::from(run));
                }
            }
        }
    }

    fn run(&self, text: &str, marks: Marks<'_>) -> Run {
        let mut run = Run::new().add_text(xml_safe(text));
        if marks.bold {
            run = run.bold();
        }
        if marks.italic {
            run = run.italic();
        }
        if marks.strike {
            run = run.strike();
        }
        if marks.code {
            run = run
                .fonts(styles::font(self.theme.fonts.code))
                .shading(Shading::new().fill(hex(&self.theme.colors.shade)));
        }
        if marks.link {
            run = run
                .color(hex(&self.theme.colors.accent))
                .underline("single");
        } else if let Some(color) = marks.color {
            run = run.color(color);
        }
        run
    }

    fn list(
        &mut self,
        list: &List,
        context: Context,
        out: &mut Vec<Part>,
    ) -> Result<(), RenderError> {
        // Each list is its own numbering instance, so numbers restart.
        let id = self.numberings.len() + 1;
        let (abstract_id, start) = match list.start {
            Some(start) => (styles::NUMBERS, start),
            None => (styles::BULLETS, 1),
        };
        let level = styles::level(context.depth);
        let start = usize::try_from(start).unwrap_or(usize::MAX);
        self.numberings.push(
            Numbering::new(id, abstract_id).add_override(LevelOverride::new(level).start(start)),
        );
        let indent = styles::LIST_INDENT_TWIPS * (level as i32 + 1);
        let inner = Context {
            style: styles::LIST,
            depth: context.depth + 1,
            title: false,
        };
        for item in &list.items {
            let rest = self.list_item(item, id, level, indent, out);
            let first = out.len();
            self.blocks(rest, inner, out)?;
            // The item's further blocks line up with its text; deeper lists
            // have set their own.
            for part in out.iter_mut().skip(first) {
                if let Part::Paragraph(p) = part
                    && !p.has_numbering
                    && p.property.indent.is_none()
                {
                    p.property =
                        std::mem::take(&mut p.property).indent(Some(indent), None, None, None);
                }
            }
        }
        Ok(())
    }

    /// The numbered (or ticked) paragraph of a list item; the item's blocks
    /// after its first paragraph are returned.
    fn list_item<'i>(
        &mut self,
        item: &'i ListItem,
        id: usize,
        level: usize,
        indent: i32,
        out: &mut Vec<Part>,
    ) -> &'i [Block] {
        let (first, rest) = match item.blocks.split_first() {
            Some((Block::Paragraph { content }, rest)) => (content.as_slice(), rest),
            _ => (&[][..], item.blocks.as_slice()),
        };
        let p = self.paragraph(styles::LIST);
        let p = match item.checked {
            // A task is ticked or not; a number would say nothing.
            Some(checked) => p
                .indent(Some(indent), None, None, None)
                .add_run(Run::new().add_text(if checked { "☑ " } else { "☐ " })),
            None => p.numbering(NumberingId::new(id), IndentLevel::new(level)),
        };
        let p = self.inlines_into(p, first, Marks::default());
        out.push(Part::from(p));
        rest
    }

    fn table(&mut self, table: &ModelTable, out: &mut Vec<Part>) {
        self.repeat_header
            .push(table.header.is_some() && table.repeat_header);
        let widths = column_widths(table, twips(self.text_width_mm) as usize);
        let colors = &self.theme.colors;
        let (accent, on_accent, shade, muted) = (
            hex(&colors.accent),
            hex(&colors.on_accent),
            hex(&colors.shade),
            hex(&colors.muted),
        );
        let mut rows = Vec::new();
        if let Some(header) = &table.header {
            let cells = header
                .cells
                .iter()
                .zip(&table.columns)
                .zip(&widths)
                .map(|((cell, column), &w)| {
                    // Bold, in the colour that reads on the accent fill.
                    let marks = Marks {
                        bold: true,
                        color: Some(&on_accent),
                        ..Marks::default()
                    };
                    let p = self.cell_text(cell, column.align, marks, true);
                    TableCell::new()
                        .add_paragraph(p)
                        .width(w, WidthType::Dxa)
                        .shading(Shading::new().fill(accent.clone()))
                })
                .collect();
            rows.push(TableRow::new(cells).cant_split());
        }
        for (r, row) in table.rows.iter().enumerate() {
            // A group row stays with the line after it, and the line before
            // a subtotal with the subtotal.
            let keep = row.style == RowStyle::Group
                || table
                    .rows
                    .get(r + 1)
                    .is_some_and(|next| next.style == RowStyle::Subtotal);
            let cells = row
                .cells
                .iter()
                .zip(&table.columns)
                .zip(&widths)
                .map(|((cell, column), &w)| {
                    let marks = Marks {
                        bold: row.style != RowStyle::Normal,
                        ..Marks::default()
                    };
                    let p = self.cell_text(cell, column.align, marks, keep);
                    let mut cell = TableCell::new().add_paragraph(p).width(w, WidthType::Dxa);
                    match row.style {
                        RowStyle::Group => cell = cell.shading(Shading::new().fill(shade.clone())),
                        RowStyle::Subtotal => {
                            cell = cell.set_borders(
                                TableCellBorders::with_empty().set(
                                    TableCellBorder::new(TableCellBorderPosition::Top)
                                        .border_type(BorderType::Single)
                                        .size(6)
                                        .color(muted.clone()),
                                ),
                            );
                        }
                        RowStyle::Normal => {}
                    }
                    cell
                })
                .collect();
            rows.push(TableRow::new(cells).cant_split());
        }
        let total = widths.iter().sum();
        out.push(Part::from(
            // docx-rs gives every table a full grid, which would hide the
            // style's rules: the table repeats them.
            Table::new(rows)
                .style(styles::TABLE)
                .set_borders(styles::row_rules(self.theme))
                .set_grid(widths)
                .width(total, WidthType::Dxa)
                .layout(TableLayoutType::Fixed),
        ));
    }

    /// A table cell's text, aligned, bold for headers, groups and
    /// subtotals, kept with the next row where the row must be.
    fn cell_text(
        &mut self,
        content: &[Inline],
        align: Align,
        marks: Marks<'_>,
        keep: bool,
    ) -> Paragraph {
        let p = self
            .paragraph(styles::TABLE_TEXT)
            .keep_next(keep)
            .align(match align {
                Align::Left => AlignmentType::Left,
                Align::Center => AlignmentType::Center,
                Align::Right => AlignmentType::Right,
            });
        self.inlines_into(p, content, marks)
    }

    /// Parties side by side, two to a row where the page is wide enough,
    /// each with a line to sign on, name, title and a date line.
    fn signature(&mut self, parties: &[Signatory], out: &mut Vec<Part>) {
        if parties.is_empty() {
            return;
        }
        self.repeat_header.push(false);
        let columns = if self.text_width_mm > 120.0 { 2 } else { 1 };
        let width = twips(self.text_width_mm) as usize;
        let gap = twips(12.0) as usize;
        let column = (width - gap * (columns - 1)) / columns;
        let mut grid = Vec::new();
        for i in 0..columns {
            if i > 0 {
                grid.push(gap);
            }
            grid.push(column);
        }
        let line_color = hex(&self.theme.colors.text);
        let muted = hex(&self.theme.colors.muted);
        let mut rows = Vec::new();
        for group in parties.chunks(columns) {
            let mut cells = Vec::new();
            for (i, party) in group.iter().enumerate() {
                if i > 0 {
                    cells.push(self.empty_cell(gap));
                }
                let mut sign = self.paragraph(styles::BODY).keep_next(true);
                sign.property = sign.property.set_border(
                    ParagraphBorder::new(ParagraphBorderPosition::Top)
                        .val(BorderType::Single)
                        .size(6)
                        .color(line_color.clone()),
                );
                // The space above the line is room to sign.
                let sign = sign
                    .add_run(Run::new().add_text(xml_safe(&party.party)).bold())
                    .line_spacing(LineSpacing::new().before(twips(14.0) as u32).after(40));
                let mut cell = TableCell::new()
                    .width(column, WidthType::Dxa)
                    .add_paragraph(sign);
                for line in [&party.name, &party.title].into_iter().flatten() {
                    let p = self
                        .paragraph(styles::BODY)
                        .keep_next(true)
                        .add_run(Run::new().add_text(xml_safe(line)));
                    cell = cell.add_paragraph(p);
                }
                let date = self
                    .paragraph(styles::BODY)
                    .add_run(Run::new().add_text("Date:").color(muted.clone()));
                cells.push(cell.add_paragraph(date));
            }
            // A short last row is filled out so every row has the grid's cells.
            while cells.len() < grid.len() {
                let w = grid[cells.len()];
                cells.push(self.empty_cell(w));
            }
            rows.push(TableRow::new(cells).cant_split());
        }
        out.push(Part::from(
            Table::without_borders(rows)
                .set_grid(grid)
                .width(width, WidthType::Dxa)
                .layout(TableLayoutType::Fixed),
        ));
    }

    fn empty_cell(&mut self, width: usize) -> TableCell {
        let p = self.paragraph(styles::BODY);
        TableCell::new()
            .width(width, WidthType::Dxa)
            .add_paragraph(p)
    }

    fn image(
        &mut self,
        image: &Image,
        context: Context,
        out: &mut Vec<Part>,
    ) -> Result<(), RenderError> {
        let Some(asset) = image_of(self.assets, image, self.strict, &mut self.warnings)? else {
            let p = self.paragraph(styles::CAPTION);
            let p = p.add_run(Run::new().add_text(xml_safe(&format!("[{}]", image.alt))));
            out.push(Part::from(p));
            return Ok(());
        };
        let max_mm = self.text_width_mm - context.depth as f32 * 6.35;
        let natural_mm = asset.width_px as f32 * 25.4 / 96.0;
        let width_mm = match image.width {
            Some(Length::Mm(mm)) => mm,
            Some(Length::Percent(p)) => self.text_width_mm * p / 100.0,
            None => natural_mm,
        }
        .clamp(1.0, max_mm.max(1.0));
        if let Some(pic) = self.picture(asset, width_mm, &image.source) {
            let p = self
                .paragraph(context.style)
                .add_run(Run::new().add_image(pic));
            out.push(Part::from(p));
        }
        Ok(())
    }

    /// The theme's logo at the top of the first page, as in the PDF: at
    /// most 18 mm high and half the text width.
    fn logo(&mut self, name: &str, out: &mut Vec<Part>) {
        let Some(asset) = self.assets.get(name) else {
            self.warnings
                .push(format!("the theme's logo `{name}` is not among the assets"));
            return;
        };
        let w = asset.width_px as f32 * 25.4 / 96.0;
        let h = asset.height_px as f32 * 25.4 / 96.0;
        let scale = (18.0 / h).min(self.text_width_mm * 0.5 / w).min(1.0);
        if let Some(pic) = self.picture(asset, w * scale, name) {
            let p = self
                .paragraph(styles::BODY)
                .line_spacing(LineSpacing::new().after(twips(6.0) as u32));
            out.push(Part::from(p.add_run(Run::new().add_image(pic))));
        }
    }

    /// A picture `width_mm` wide. docx-rs embeds PNG only: a JPEG is
    /// converted (and very large images scaled down) first.
    fn picture(&mut self, asset: &Asset, width_mm: f32, name: &str) -> Option<Pic> {
        let (bytes, w, h) = match asset.format {
            ImageFormat::Png => (
                asset.bytes.to_vec(),
                asset.width_px as u32,
                asset.height_px as u32,
            ),
            ImageFormat::Jpeg => match jpeg_as_png(&asset.bytes) {
                Some(converted) => converted,
                None => {
                    self.warnings.push(format!(
                        "the image `{name}` could not be converted for DOCX"
                    ));
                    return None;
                }
            },
        };
        self.pictures += 1;
        let width_emu = (width_mm * EMU_PER_MM).round();
        let height_emu = (width_emu * h as f32 / w.max(1) as f32).round();
        Some(
            Pic::new_with_dimensions(bytes, w, h)
                .id(format!("rIdImage{}", self.pictures))
                .size(width_emu as u32, height_emu.max(1.0) as u32),
        )
    }

    /// Header or footer text with its fields: page and page count as Word
    /// fields, so they stay right when someone edits the file.
    fn furniture(&mut self, text: &str, doc: &Document, style: &str) -> Paragraph {
        let title = doc.metadata.title.as_deref().unwrap_or_default();
        let date = doc.metadata.date.as_deref().unwrap_or_default();
        let mut p = self.paragraph(style);
        for part in page_parts(text, title, date) {
            p = match part {
                PagePart::Page => p.add_page_num(PageNum::new()),
                PagePart::Pages => p.add_num_pages(NumPages::new()),
                PagePart::Text(text) => p.add_run(Run::new().add_text(xml_safe(&text))),
            };
        }
        p
    }

    /// Footnotes as the PDF sets them: after a rule, a numbered list in a
    /// smaller, muted style.
    fn footnotes(
        &mut self,
        footnotes: &[Vec<Block>],
        out: &mut Vec<Part>,
    ) -> Result<(), RenderError> {
        if footnotes.is_empty() {
            return Ok(());
        }
        let rule = self.rule();
        out.push(Part::from(rule));
        let list = List {
            start: Some(1),
            items: footnotes
                .iter()
                .map(|blocks| ListItem {
                    checked: None,
                    blocks: blocks.clone(),
                })
                .collect(),
        };
        let first = out.len();
        self.list(&list, Context::body(), out)?;
        for part in out.iter_mut().skip(first) {
            if let Part::Paragraph(p) = part {
                p.property = std::mem::take(&mut p.property).style(styles::NOTE);
            }
        }
        Ok(())
    }
}

fn fill_cell(mut cell: TableCell, parts: Vec<Part>) -> TableCell {
    for part in parts {
        cell = match part {
            Part::Paragraph(p) => cell.add_paragraph(*p),
            Part::Table(t) => cell.add_table(*t),
        };
    }
    cell
}

/// Column widths in twips that add up to `total`: a column's share where
/// the document gives one, the rest by the length of the longest text in
/// each remaining column (within limits, so no column is starved).
fn column_widths(table: &ModelTable, total: usize) -> Vec<usize> {
    let n = table.columns.len().max(1);
    let mut fixed = 0.0;
    let mut weights = vec![0.0f32; n];
    for (i, column) in table.columns.iter().enumerate() {
        match column.width_percent {
            Some(p) => fixed += p.clamp(0.0, 100.0),
            None => {
                let longest = table
                    .header
                    .iter()
                    .chain(&table.rows)
                    .filter_map(|row| row.cells.get(i))
                    .map(|cell| plain_text(cell).chars().count())
                    .max()
                    .unwrap_or(0);
                weights[i] = (longest as f32).clamp(4.0, 40.0);
            }
        }
    }
    let rest = (100.0 - fixed).max(0.0);
    let weight_sum: f32 = weights.iter().sum();
    let mut widths: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let percent = match column.width_percent {
                Some(p) => p.clamp(0.0, 100.0),
                None if weight_sum > 0.0 => rest * weights[i] / weight_sum,
                None => 0.0,
            };
            ((total as f32 * percent / 100.0) as usize).max(200)
        })
        .collect();
    if widths.is_empty() {
        widths.push(total);
    }
    widths
}

/// A JPEG as PNG bytes and its size, scaled down to at most
/// [`MAX_PICTURE_PX`] a side.
fn jpeg_as_png(bytes: &[u8]) -> Option<(Vec<u8>, u32, u32)> {
    let mut image = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).ok()?;
    if image.width().max(image.height()) > MAX_PICTURE_PX {
        image = image.resize(
            MAX_PICTURE_PX,
            MAX_PICTURE_PX,
            image::imageops::FilterType::Triangle,
        );
    }
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .to_rgb8()
        .write_to(&mut png, image::ImageFormat::Png)
        .ok()?;
    Some((png.into_inner(), image.width(), image.height()))
}
