//! The layout step: document model → positioned pages.
//!
//! Blocks first become a flow of *chunks* — a line of a paragraph, a table
//! row, an image — each with its height, its items placed relative to its
//! own top-left corner, and whether it must stay on the page of the chunk
//! after it. Pagination then fills pages with chunks: a run of chunks tied
//! together moves to the next page whole when it fits there, a table's
//! header row is repeated at the top of every page the table continues on,
//! and the page header and footer are drawn once the page count is known.

use super::fonts::{Face, Metrics};
use super::page::{Item, OutlineEntry, Page, Pages, Rgb};
use super::text::{self, Alignment, Line, Style};
use crate::document::theme::{Family, PageFields, fill_fields};
use crate::document::{
    Align, Assets, Block, CalloutKind, DRAFT_MARK, Document, Image, Inline, Length, List, RowStyle,
    Signatory, Table, Theme, plain_text,
};
use crate::render::{RenderError, image_of};

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;

/// A horizontal slice of the flow.
#[derive(Clone, Debug, Default)]
struct Chunk {
    height: f32,
    /// Space above, dropped at the top of a page.
    space_before: f32,
    items: Vec<Item>,
    keep_with_next: bool,
    break_before: bool,
    /// The table this chunk is a row of.
    table: Option<usize>,
    is_table_header: bool,
    outline: Option<(u8, String)>,
}

/// Where blocks are being set: their left edge and width, and what the
/// enclosing quotes and callouts draw beside every chunk.
#[derive(Clone, Debug)]
struct Frame {
    x: f32,
    width: f32,
    color: Option<Rgb>,
    scale: f32,
    decorations: Vec<Decoration>,
}

#[derive(Clone, Copy, Debug)]
enum Decoration {
    /// A quote's bar at this x.
    Bar { x: f32, color: Rgb },
    /// A callout's shaded box from `x` over `width`, with its accent bar.
    Shade {
        x: f32,
        width: f32,
        color: Rgb,
        bar: Rgb,
    },
}

struct Layout<'a> {
    metrics: &'a dyn Metrics,
    theme: &'a Theme,
    assets: &'a Assets,
    strict: bool,
    warnings: Vec<String>,
    chunks: Vec<Chunk>,
    headers: Vec<Option<Chunk>>,
    page_break_pending: bool,
    /// How many chunks still to come must stay with the one before (the
    /// line after a heading).
    keep_next: usize,
    content_width: f32,
    content_height: f32,
    colors: Colors,
}

#[derive(Clone, Copy)]
struct Colors {
    text: Rgb,
    heading: Rgb,
    accent: Rgb,
    muted: Rgb,
    on_accent: Rgb,
    shade: Rgb,
}

fn color(text: &str) -> Rgb {
    Rgb::parse(text).unwrap_or(Rgb(0, 0, 0))
}

/// Lays out `doc` on the theme's paper.
pub fn layout(
    doc: &Document,
    theme: &Theme,
    assets: &Assets,
    metrics: &dyn Metrics,
    strict: bool,
) -> Result<(Pages, Vec<String>), RenderError> {
    let (w_mm, h_mm) = theme.paper.size_mm();
    let m = theme.margins_mm;
    let c = &theme.colors;
    let mut layout = Layout {
        metrics,
        theme,
        assets,
        strict,
        warnings: Vec::new(),
        chunks: Vec::new(),
        headers: Vec::new(),
        page_break_pending: false,
        keep_next: 0,
        content_width: (w_mm - m.left - m.right) * MM,
        content_height: (h_mm - m.top - m.bottom) * MM,
        colors: Colors {
            text: color(&c.text),
            heading: color(&c.heading),
            accent: color(&c.accent),
            muted: color(&c.muted),
            on_accent: color(&c.on_accent),
            shade: color(&c.shade),
        },
    };
    let frame = Frame {
        x: 0.0,
        width: layout.content_width,
        color: None,
        scale: 1.0,
        decorations: Vec::new(),
    };
    if let Some(logo) = &theme.logo {
        layout.logo(logo);
    }
    layout.blocks(&doc.blocks, &frame)?;
    layout.footnotes(&doc.footnotes, &frame)?;
    let mut pages = layout.paginate();
    layout.furniture(&mut pages, doc);
    if doc.metadata.draft {
        layout.watermark(&mut pages);
    }
    Ok((pages, layout.warnings))
}

impl Layout<'_> {
    fn base_style(&self, frame: &Frame) -> Style {
        Style {
            face: Face::new(self.theme.fonts.body),
            size: self.theme.base_size_pt * frame.scale,
            color: frame.color.unwrap_or(self.colors.text),
            link: None,
            strike: false,
        }
    }

    fn push(&mut self, mut chunk: Chunk, frame: &Frame) {
        if std::mem::take(&mut self.page_break_pending) {
            chunk.break_before = true;
        }
        if self.keep_next > 0 {
            chunk.keep_with_next = true;
            self.keep_next -= 1;
        }
        // Decorations go under the chunk's own items.
        let mut items = Vec::with_capacity(chunk.items.len() + frame.decorations.len());
        for d in &frame.decorations {
            match *d {
                Decoration::Shade {
                    x,
                    width,
                    color,
                    bar,
                } => {
                    items.push(Item::Rect {
                        x,
                        y: 0.0,
                        w: width,
                        h: chunk.height,
                        color,
                    });
                    items.push(Item::Rect {
                        x,
                        y: 0.0,
                        w: 3.0,
                        h: chunk.height,
                        color: bar,
                    });
                }
                Decoration::Bar { x, color } => items.push(Item::Rect {
                    x,
                    y: 0.0,
                    w: 2.0,
                    h: chunk.height,
                    color,
                }),
            }
        }
        items.append(&mut chunk.items);
        chunk.items = items;
        self.chunks.push(chunk);
    }

    /// Pushes lines as chunks, each at `frame.x`; the first gets
    /// `space_before`; no single line is left alone at either end of a
    /// page when the paragraph has more.
    fn push_lines(
        &mut self,
        lines: Vec<Line>,
        frame: &Frame,
        space_before: f32,
        keep_all: bool,
    ) -> usize {
        let n = lines.len();
        let first = self.chunks.len();
        for (i, line) in lines.into_iter().enumerate() {
            let items = line
                .items
                .iter()
                .map(|it| it.shifted(frame.x, 0.0))
                .collect();
            let keep = keep_all || (n > 1 && (i == 0 || i + 2 == n));
            self.push(
                Chunk {
                    height: line.height,
                    space_before: if i == 0 { space_before } else { 0.0 },
                    items,
                    keep_with_next: keep,
                    ..Chunk::default()
                },
                frame,
            );
        }
        first
    }

    fn text_lines(
        &self,
        inlines: &[Inline],
        style: &Style,
        width: f32,
        align: Alignment,
    ) -> Vec<Line> {
        text::lines(
            self.metrics,
            inlines,
            style,
            self.colors.accent,
            width,
            align,
        )
    }

    /// How the theme sets paragraphs.
    fn paragraph_align(&self) -> Alignment {
        if self.theme.justify {
            Alignment::Justify
        } else {
            Alignment::Left
        }
    }

    fn paragraph_space(&self, frame: &Frame) -> f32 {
        self.theme.base_size_pt * frame.scale * 0.6
    }

    fn blocks(&mut self, blocks: &[Block], frame: &Frame) -> Result<(), RenderError> {
        for block in blocks {
            self.block(block, frame)?;
        }
        Ok(())
    }

    fn block(&mut self, block: &Block, frame: &Frame) -> Result<(), RenderError> {
        let space = self.paragraph_space(frame);
        match block {
            Block::Heading { level, content } => {
                let factor = match level {
                    1 => 1.9,
                    2 => 1.45,
                    3 => 1.2,
                    4 => 1.05,
                    _ => 1.0,
                };
                let mut style = self.base_style(frame);
                style.face = Face {
                    family: self.theme.fonts.heading,
                    bold: true,
                    italic: false,
                };
                style.size *= factor;
                style.color = self.colors.heading;
                let lines = self.text_lines(content, &style, frame.width, Alignment::Left);
                let first = self.push_lines(lines, frame, style.size * 0.8, true);
                if *level <= 3 {
                    self.chunks[first].outline = Some((*level, plain_text(content)));
                }
                // A heading stays with the next two lines: its own chunks
                // keep with the first, and that with the second.
                self.keep_next = 1;
            }
            Block::Paragraph { content } => {
                let align = self.paragraph_align();
                let style = self.base_style(frame);
                let lines = self.text_lines(content, &style, frame.width, align);
                self.push_lines(lines, frame, space, false);
            }
            Block::List(list) => self.list(list, frame, 0)?,
            Block::Table(table) => self.table(table, frame),
            Block::Quote { blocks } => {
                let mut inner = frame.clone();
                inner.decorations.push(Decoration::Bar {
                    x: frame.x,
                    color: self.colors.muted,
                });
                inner.x += 12.0;
                inner.width -= 12.0;
                inner.color = Some(self.colors.muted);
                self.blocks(blocks, &inner)?;
            }
            Block::Code { text: code, .. } => self.code(code, frame),
            Block::Image(image) => self.image(image, frame)?,
            Block::Rule => {
                let h = self.theme.base_size_pt;
                self.push(
                    Chunk {
                        height: h,
                        space_before: space,
                        items: vec![Item::Line {
                            x1: frame.x,
                            y1: h / 2.0,
                            x2: frame.x + frame.width,
                            y2: h / 2.0,
                            width: 0.6,
                            color: self.colors.muted,
                        }],
                        ..Chunk::default()
                    },
                    frame,
                );
            }
            Block::PageBreak => self.page_break_pending = true,
            Block::KeepTogether { blocks } => {
                let first = self.chunks.len();
                self.blocks(blocks, frame)?;
                let last = self.chunks.len();
                if last > first {
                    for chunk in &mut self.chunks[first..last - 1] {
                        chunk.keep_with_next = true;
                    }
                }
            }
            Block::Signature { parties } => self.signature(parties, frame),
            Block::Callout { kind, blocks } => self.callout(*kind, blocks, frame)?,
        }
        Ok(())
    }

    fn list(&mut self, list: &List, frame: &Frame, depth: usize) -> Result<(), RenderError> {
        let style = self.base_style(frame);
        let markers: Vec<String> = list
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| match (item.checked, list.start) {
                (Some(true), _) => "☑".to_owned(),
                (Some(false), _) => "☐".to_owned(),
                (None, Some(start)) => format!("{}.", start + i as u64),
                (None, None) => ["•", "◦", "▪"][depth % 3].to_owned(),
            })
            .collect();
        let marker_width = markers
            .iter()
            .map(|m| text::measure(self.metrics, m, &style))
            .fold(0.0, f32::max);
        let indent = marker_width + style.size * 0.6;
        let mut inner = frame.clone();
        inner.x += indent;
        inner.width = (inner.width - indent).max(style.size * 4.0);
        for (item, marker) in list.items.iter().zip(markers) {
            let first = self.chunks.len();
            for (i, block) in item.blocks.iter().enumerate() {
                match block {
                    Block::List(nested) => self.list(nested, &inner, depth + 1)?,
                    // An item's first paragraph follows the marker without
                    // extra space; later ones are spaced as paragraphs.
                    Block::Paragraph { content } if i == 0 => {
                        let align = self.paragraph_align();
                        let lines = self.text_lines(content, &style, inner.width, align);
                        self.push_lines(lines, &inner, style.size * 0.25, false);
                    }
                    other => self.block(other, &inner)?,
                }
            }
            if let Some(chunk) = self.chunks.get_mut(first) {
                let baseline = chunk
                    .items
                    .iter()
                    .find_map(|it| match it {
                        Item::Text { y, .. } => Some(*y),
                        _ => None,
                    })
                    .unwrap_or(style.size);
                let face = self
                    .metrics
                    .face_for(style.face, marker.chars().next().unwrap_or('•'));
                let width = text::measure(self.metrics, &marker, &style);
                chunk.items.push(Item::Text {
                    x: frame.x + marker_width - width,
                    y: baseline,
                    face,
                    size: style.size,
                    color: style.color,
                    text: marker,
                    width,
                });
            }
        }
        Ok(())
    }

    fn code(&mut self, code: &str, frame: &Frame) {
        let mut style = self.base_style(frame);
        style.face = Face::new(self.theme.fonts.code);
        style.size *= 0.88;
        let pad = 4.0;
        let mut first = true;
        let lines: Vec<Line> = code
            .split('\n')
            .flat_map(|line| {
                let inlines = [Inline::text(line.replace('\t', "    "))];
                self.text_lines(&inlines, &style, frame.width - 2.0 * pad, Alignment::Left)
            })
            .collect();
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            let mut items = vec![Item::Rect {
                x: frame.x,
                y: 0.0,
                w: frame.width,
                h: line.height,
                color: self.colors.shade,
            }];
            items.extend(line.items.iter().map(|it| it.shifted(frame.x + pad, 0.0)));
            self.push(
                Chunk {
                    height: line.height,
                    space_before: if first {
                        self.paragraph_space(frame)
                    } else {
                        0.0
                    },
                    items,
                    keep_with_next: n > 1 && (i == 0 || i + 2 == n),
                    ..Chunk::default()
                },
                frame,
            );
            first = false;
        }
    }

    fn logo(&mut self, name: &str) {
        let Some(asset) = self.assets.get(name) else {
            self.warnings
                .push(format!("the theme's logo `{name}` is not among the assets"));
            return;
        };
        let max_h = 18.0 * MM;
        let mut w = asset.width_px as f32 * 0.75;
        let mut h = asset.height_px as f32 * 0.75;
        let scale = (max_h / h).min(self.content_width * 0.5 / w).min(1.0);
        w *= scale;
        h *= scale;
        self.chunks.push(Chunk {
            height: h + 6.0 * MM,
            items: vec![Item::Image {
                source: name.to_owned(),
                x: 0.0,
                y: 0.0,
                w,
                h,
            }],
            ..Chunk::default()
        });
    }

    fn image(&mut self, image: &Image, frame: &Frame) -> Result<(), RenderError> {
        let space = self.paragraph_space(frame);
        let Some(asset) = image_of(self.assets, image, self.strict, &mut self.warnings)? else {
            let mut style = self.base_style(frame);
            style.face.italic = true;
            style.color = self.colors.muted;
            let inlines = [Inline::text(format!("[{}]", image.alt))];
            let lines = self.text_lines(&inlines, &style, frame.width, Alignment::Left);
            self.push_lines(lines, frame, space, false);
            return Ok(());
        };
        let natural = asset.width_px as f32 * 0.75;
        let mut w = match image.width {
            Some(Length::Mm(mm)) => mm * MM,
            Some(Length::Percent(p)) => frame.width * p / 100.0,
            None => natural,
        }
        .min(frame.width);
        let mut h = w * asset.height_px as f32 / asset.width_px as f32;
        let max_h = self.content_height * 0.9;
        if h > max_h {
            w *= max_h / h;
            h = max_h;
        }
        let source = image.source.clone();
        self.push(
            Chunk {
                height: h,
                space_before: space,
                items: vec![Item::Image {
                    source,
                    x: frame.x,
                    y: 0.0,
                    w,
                    h,
                }],
                ..Chunk::default()
            },
            frame,
        );
        Ok(())
    }

    fn signature(&mut self, parties: &[Signatory], frame: &Frame) {
        let style = self.base_style(frame);
        let gap = 12.0 * MM;
        let columns = if frame.width > 120.0 * MM { 2 } else { 1 };
        let col_w = (frame.width - gap * (columns as f32 - 1.0)) / columns as f32;
        let first = self.chunks.len();
        for row in parties.chunks(columns) {
            let cells: Vec<Vec<Line>> = row
                .iter()
                .map(|party| self.signatory_lines(party, col_w, &style))
                .collect();
            // Parties side by side; a party longer than a page (which only
            // very long text makes) continues on the next.
            for (p, part) in split_tall(cells, self.content_height * 0.8)
                .into_iter()
                .enumerate()
            {
                let mut items = Vec::new();
                let mut height: f32 = 0.0;
                for (i, lines) in part.iter().enumerate() {
                    let x = frame.x + i as f32 * (col_w + gap);
                    let mut y = 0.0;
                    for line in lines {
                        items.extend(line.items.iter().map(|it| it.shifted(x, y)));
                        y += line.height;
                    }
                    height = height.max(y);
                }
                self.push(
                    Chunk {
                        height,
                        space_before: if p == 0 { style.size * 2.0 } else { 0.0 },
                        items,
                        keep_with_next: true,
                        ..Chunk::default()
                    },
                    frame,
                );
            }
        }
        if self.chunks.len() > first
            && let Some(last) = self.chunks.last_mut()
        {
            last.keep_with_next = false;
        }
    }

    /// One party's lines: the line to sign on, then party, name, title and
    /// a date line.
    fn signatory_lines(&self, party: &Signatory, width: f32, style: &Style) -> Vec<Line> {
        let sign_space = style.size * 3.0;
        let mut lines = vec![Line {
            height: sign_space + 3.0,
            items: vec![Item::Line {
                x1: 0.0,
                y1: sign_space,
                x2: width,
                y2: sign_space,
                width: 0.7,
                color: self.colors.text,
            }],
            width,
        }];
        let mut bold = style.clone();
        bold.face.bold = true;
        let mut date = style.clone();
        date.color = self.colors.muted;
        let date_line = "Date: ____________________".to_owned();
        let rows = [
            (Some(&party.party), &bold),
            (party.name.as_ref(), style),
            (party.title.as_ref(), style),
            (Some(&date_line), &date),
        ];
        for (text_line, line_style) in rows {
            let Some(text_line) = text_line else { continue };
            let inlines = [Inline::text(text_line.clone())];
            lines.extend(self.text_lines(&inlines, line_style, width, Alignment::Left));
        }
        lines
    }

    fn callout(
        &mut self,
        kind: CalloutKind,
        blocks: &[Block],
        frame: &Frame,
    ) -> Result<(), RenderError> {
        let bar = match kind {
            CalloutKind::Warning | CalloutKind::Caution => Rgb(0xb3, 0x26, 0x1e),
            _ => self.colors.accent,
        };
        let mut inner = frame.clone();
        inner.decorations.push(Decoration::Shade {
            x: frame.x,
            width: frame.width,
            color: self.colors.shade,
            bar,
        });
        inner.x += 10.0;
        inner.width -= 20.0;
        let mut style = self.base_style(&inner);
        style.face.bold = true;
        style.color = bar;
        let label = [Inline::text(kind.label())];
        let lines = self.text_lines(&label, &style, inner.width, Alignment::Left);
        let first = self.chunks.len();
        // Padding above the label, inside the box.
        self.push(
            Chunk {
                height: 4.0,
                space_before: self.paragraph_space(frame),
                keep_with_next: true,
                ..Chunk::default()
            },
            &inner,
        );
        self.push_lines(lines, &inner, 0.0, true);
        self.blocks(blocks, &inner)?;
        self.push(
            Chunk {
                height: 4.0,
                ..Chunk::default()
            },
            &inner,
        );
        // The box's blocks sit flush: their own space is the box's padding.
        for chunk in &mut self.chunks[first + 2..] {
            if chunk.space_before > 0.0 {
                chunk.space_before = 0.0;
                chunk.height += self.theme.base_size_pt * 0.3;
                for item in &mut chunk.items {
                    if !matches!(item, Item::Rect { y, .. } if *y == 0.0) {
                        *item = item.shifted(0.0, self.theme.base_size_pt * 0.3);
                    }
                }
            }
        }
        for chunk in &mut self.chunks[first..] {
            for item in &mut chunk.items {
                if let Item::Rect { y, h, .. } = item
                    && *y == 0.0
                {
                    *h = h.max(chunk.height);
                }
            }
        }
        Ok(())
    }

    fn footnotes(&mut self, footnotes: &[Vec<Block>], frame: &Frame) -> Result<(), RenderError> {
        if footnotes.is_empty() {
            return Ok(());
        }
        self.block(&Block::Rule, frame)?;
        let mut inner = frame.clone();
        inner.scale = 0.85;
        inner.color = Some(self.colors.muted);
        let list = List {
            start: Some(1),
            items: footnotes
                .iter()
                .map(|blocks| crate::document::ListItem {
                    checked: None,
                    blocks: blocks.clone(),
                })
                .collect(),
        };
        self.list(&list, &inner, 0)
    }

    fn table(&mut self, table: &Table, frame: &Frame) {
        let index = self.headers.len();
        let pad = 4.0;
        let body = {
            let mut s = self.base_style(frame);
            s.size *= 0.95;
            s
        };
        let mut head = body.clone();
        head.face = Face {
            family: self.theme.fonts.heading,
            bold: true,
            italic: false,
        };
        head.color = self.colors.on_accent;
        let widths = self.column_widths(table, frame.width, &body, pad);
        let align = |a: Align| match a {
            Align::Left => Alignment::Left,
            Align::Center => Alignment::Center,
            Align::Right => Alignment::Right,
        };
        let cell_lines = |layout: &Self, cells: &[Vec<Inline>], style: &Style| -> Vec<Vec<Line>> {
            cells
                .iter()
                .zip(&widths)
                .zip(&table.columns)
                .map(|((cell, w), column)| {
                    layout.text_lines(cell, style, w - 2.0 * pad, align(column.align))
                })
                .collect()
        };
        let header_chunk = table.header.as_ref().map(|header| {
            let lines = cell_lines(self, &header.cells, &head);
            let mut chunk = self.row_chunk(
                &lines,
                &widths,
                frame.x,
                pad,
                Some(self.colors.accent),
                None,
            );
            chunk.is_table_header = true;
            chunk.table = Some(index);
            chunk.keep_with_next = true;
            chunk.space_before = self.paragraph_space(frame);
            chunk
        });
        self.headers
            .push(header_chunk.clone().filter(|_| table.repeat_header));
        if let Some(chunk) = header_chunk {
            self.push(chunk, frame);
        }
        let max_row = self.content_height * 0.8;
        for (r, row) in table.rows.iter().enumerate() {
            let mut style = body.clone();
            let mut background = None;
            let mut rule = None;
            match row.style {
                RowStyle::Normal => {}
                RowStyle::Group => {
                    style.face.bold = true;
                    background = Some(self.colors.shade);
                }
                RowStyle::Subtotal => {
                    style.face.bold = true;
                    rule = Some(self.colors.muted);
                }
            }
            let lines = cell_lines(self, &row.cells, &style);
            // A row taller than a page is cut into parts that each fit.
            for part in split_tall(lines, max_row) {
                let mut chunk = self.row_chunk(&part, &widths, frame.x, pad, background, rule);
                chunk.table = Some(index);
                if table.header.is_none() && r == 0 {
                    chunk.space_before = self.paragraph_space(frame);
                }
                let next_is_subtotal = table
                    .rows
                    .get(r + 1)
                    .is_some_and(|n| n.style == RowStyle::Subtotal);
                chunk.keep_with_next = row.style == RowStyle::Group || next_is_subtotal;
                self.push(chunk, frame);
            }
        }
        // Space after the table.
        if let Some(last) = self.chunks.last_mut() {
            last.height += self.theme.base_size_pt * 0.4;
        }
    }

    fn row_chunk(
        &self,
        cells: &[Vec<Line>],
        widths: &[f32],
        x0: f32,
        pad: f32,
        background: Option<Rgb>,
        rule: Option<Rgb>,
    ) -> Chunk {
        let height = cells
            .iter()
            .map(|lines| lines.iter().map(|l| l.height).sum::<f32>())
            .fold(0.0, f32::max)
            + 2.0 * pad;
        let total: f32 = widths.iter().sum();
        let mut items = Vec::new();
        if let Some(color) = background {
            items.push(Item::Rect {
                x: x0,
                y: 0.0,
                w: total,
                h: height,
                color,
            });
        }
        if let Some(color) = rule {
            items.push(Item::Line {
                x1: x0,
                y1: 0.0,
                x2: x0 + total,
                y2: 0.0,
                width: 0.8,
                color,
            });
        }
        let mut x = x0;
        for (lines, w) in cells.iter().zip(widths) {
            let mut y = pad;
            for line in lines {
                items.extend(line.items.iter().map(|it| it.shifted(x + pad, y)));
                y += line.height;
            }
            x += w;
        }
        items.push(Item::Line {
            x1: x0,
            y1: height,
            x2: x0 + total,
            y2: height,
            width: 0.4,
            color: self.colors.shade,
        });
        Chunk {
            height,
            items,
            ..Chunk::default()
        }
    }

    /// Column widths: the table's own percentages when given, else by
    /// content — every column its longest word at least, the rest shared by
    /// how much more each would like.
    fn column_widths(&self, table: &Table, width: f32, style: &Style, pad: f32) -> Vec<f32> {
        let n = table.columns.len().max(1);
        if table.columns.iter().all(|c| c.width_percent.is_some()) {
            return table
                .columns
                .iter()
                .map(|c| width * c.width_percent.unwrap_or(0.0) / 100.0)
                .collect();
        }
        let mut min = vec![2.0 * pad + style.size; n];
        let mut max = min.clone();
        let mut head = style.clone();
        head.face.bold = true;
        let rows = table
            .header
            .iter()
            .map(|r| (r, &head))
            .chain(table.rows.iter().map(|r| (r, style)));
        for (row, s) in rows {
            for (i, cell) in row.cells.iter().enumerate().take(n) {
                let (word, line) = text::extent(self.metrics, cell, s, self.colors.accent);
                min[i] = min[i].max(word + 2.0 * pad);
                max[i] = max[i].max(line + 2.0 * pad);
            }
        }
        let min_total: f32 = min.iter().sum();
        let max_total: f32 = max.iter().sum();
        if max_total <= width {
            // Everything fits unbroken: share the spare width by content.
            return max
                .iter()
                .map(|m| m + (width - max_total) * m / max_total)
                .collect();
        }
        if min_total >= width {
            return min.iter().map(|m| m * width / min_total).collect();
        }
        let spare = width - min_total;
        let wants: f32 = max.iter().zip(&min).map(|(a, b)| a - b).sum();
        min.iter()
            .zip(&max)
            .map(|(lo, hi)| {
                lo + if wants > 0.0 {
                    spare * (hi - lo) / wants
                } else {
                    spare / n as f32
                }
            })
            .collect()
    }

    /// Pages from the flow.
    fn paginate(&mut self) -> Pages {
        let (w_mm, h_mm) = self.theme.paper.size_mm();
        let m = self.theme.margins_mm;
        let (left, top) = (m.left * MM, m.top * MM);
        let avail = self.content_height;
        let mut pages = vec![Page::default()];
        let mut outline = Vec::new();
        let mut y = 0.0f32;
        let mut empty = true;
        let mut last_table: Option<usize> = None;
        let chunks = std::mem::take(&mut self.chunks);
        let mut i = 0;
        while i < chunks.len() {
            let chunk = &chunks[i];
            let mut new_page = chunk.break_before && !empty;
            if !new_page && !empty {
                // The chunks tied to this one move with it when they fit on
                // a page of their own.
                let mut need = chunk.space_before + chunk.height;
                let mut j = i;
                while chunks[j].keep_with_next && j + 1 < chunks.len() && need <= avail {
                    j += 1;
                    need += chunks[j].space_before + chunks[j].height;
                }
                let group_fits_a_page = need - chunk.space_before <= avail;
                new_page = (y + need > avail && group_fits_a_page)
                    || y + chunk.space_before + chunk.height > avail;
            }
            if new_page {
                pages.push(Page::default());
                y = 0.0;
                empty = true;
                // A table that goes on starts the page with its header.
                if let (Some(t), Some(table)) = (last_table, chunk.table)
                    && t == table
                    && !chunk.is_table_header
                    && let Some(Some(header)) = self.headers.get(table)
                {
                    let page = pages.last_mut().map(|p| &mut p.items);
                    if let Some(items) = page {
                        items.extend(header.items.iter().map(|it| it.shifted(left, top)));
                    }
                    y += header.height;
                    empty = false;
                }
            }
            let space = if empty { 0.0 } else { chunk.space_before };
            y += space;
            if let Some((level, title)) = &chunk.outline {
                outline.push(OutlineEntry {
                    level: *level,
                    title: title.clone(),
                    page: pages.len() - 1,
                    y: top + y,
                });
            }
            if let Some(page) = pages.last_mut() {
                page.items
                    .extend(chunk.items.iter().map(|it| it.shifted(left, top + y)));
            }
            y += chunk.height;
            empty = false;
            last_table = chunk.table;
            i += 1;
        }
        Pages {
            size: (w_mm * MM, h_mm * MM),
            pages,
            outline,
        }
    }

    /// "DRAFT" across each page from corner to corner, pale, under
    /// everything else on it; and, as text readers break diagonal words
    /// into letters, once more along the top edge.
    fn watermark(&self, pages: &mut Pages) {
        let (w, h) = pages.size;
        let angle = (h / w).atan();
        let mut style = Style {
            face: Face {
                bold: true,
                ..Face::new(Family::Sans)
            },
            size: 1.0,
            color: Rgb(0xE6, 0xC8, 0xC8),
            link: None,
            strike: false,
        };
        let unit = text::measure(self.metrics, DRAFT_MARK, &style);
        // Half the diagonal long, centred on the page's middle; the
        // baseline a third of the type size below the centre line, so the
        // capitals' middle is on it.
        let size = 0.5 * w.hypot(h) / unit;
        let half = 0.5 * size * unit;
        let drop = size / 3.0;
        let turned = Item::Turned {
            x: w / 2.0 - half * angle.cos() + drop * angle.sin(),
            y: h / 2.0 + half * angle.sin() + drop * angle.cos(),
            face: style.face,
            size,
            color: style.color,
            text: DRAFT_MARK.to_owned(),
            angle: angle.to_degrees(),
        };
        style.size = 7.0;
        style.color = Rgb(0xB0, 0x50, 0x50);
        let label = Item::Text {
            x: self.theme.margins_mm.left * MM,
            y: self.theme.margins_mm.top * MM / 4.0 + style.size,
            face: style.face,
            size: style.size,
            color: style.color,
            text: DRAFT_MARK.to_owned(),
            width: text::measure(self.metrics, DRAFT_MARK, &style),
        };
        for page in &mut pages.pages {
            page.items.insert(0, turned.clone());
            page.items.push(label.clone());
        }
    }

    /// The header and footer of every page, now that the count is known.
    fn furniture(&mut self, pages: &mut Pages, doc: &Document) {
        let m = self.theme.margins_mm;
        let count = pages.pages.len().to_string();
        let mut style = Style {
            face: Face::new(self.theme.fonts.body),
            size: 8.0,
            color: self.colors.muted,
            link: None,
            strike: false,
        };
        if self.theme.fonts.body == Family::Mono {
            style.size = 7.5;
        }
        let page_h = pages.size.1;
        for (i, page) in pages.pages.iter_mut().enumerate() {
            let number = (i + 1).to_string();
            let fields = PageFields {
                title: doc.metadata.title.as_deref().unwrap_or_default(),
                page: &number,
                pages: &count,
                date: doc.metadata.date.as_deref().unwrap_or_default(),
            };
            let places = [
                (&self.theme.header, m.top * MM / 2.0),
                (&self.theme.footer, page_h - m.bottom * MM / 2.0),
            ];
            for (text_template, middle) in places {
                let Some(text_template) = text_template else {
                    continue;
                };
                let filled = fill_fields(text_template, &fields);
                let inlines = [Inline::text(filled)];
                // Smaller type for long text, so all of it fits the margin.
                let room = (m.top.min(m.bottom) * MM - 4.0).max(8.0);
                let mut size = style.size;
                let lines = loop {
                    let mut s = style.clone();
                    s.size = size;
                    let lines =
                        self.text_lines(&inlines, &s, self.content_width, Alignment::Center);
                    let height: f32 = lines.iter().map(|l| l.height).sum();
                    if height <= room || size <= 5.0 {
                        break lines;
                    }
                    size -= 0.5;
                };
                let height: f32 = lines.iter().map(|l| l.height).sum();
                let mut y = middle - height / 2.0;
                for line in lines {
                    page.items
                        .extend(line.items.iter().map(|it| it.shifted(m.left * MM, y)));
                    y += line.height;
                }
            }
        }
    }
}

/// Cuts a row's cells into parts no taller than `max`, line by line.
fn split_tall(cells: Vec<Vec<Line>>, max: f32) -> Vec<Vec<Vec<Line>>> {
    let tallest = cells
        .iter()
        .map(|l| l.iter().map(|l| l.height).sum::<f32>())
        .fold(0.0, f32::max);
    if tallest <= max {
        return vec![cells];
    }
    let line_h = cells
        .iter()
        .flat_map(|c| c.first())
        .map(|l| l.height)
        .fold(1.0, f32::max);
    let per_part = ((max / line_h).floor() as usize).max(1);
    let parts = cells
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .div_ceil(per_part);
    (0..parts)
        .map(|p| {
            cells
                .iter()
                .map(|lines| {
                    lines
                        .iter()
                        .skip(p * per_part)
                        .take(per_part)
                        .cloned()
                        .collect()
                })
                .collect()
        })
        .collect()
}
