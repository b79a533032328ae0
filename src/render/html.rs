//! HTML: one self-contained page from the document model — the theme as
//! inline CSS with a print stylesheet, images embedded as data URIs, every
//! text escaped.

use std::fmt::Write as _;

use base64::Engine as _;

use super::{Output, RenderError, image_of};
use crate::document::theme::{Family, PagePart, Paper, Rgb, page_parts};
use crate::document::{
    Align, Assets, Block, Document, Image, Inline, Length, List, RowStyle, Table, Theme,
};

/// Renders `doc` as an HTML page.
pub fn html(
    doc: &Document,
    theme: &Theme,
    assets: &Assets,
    strict: bool,
) -> Result<Output, RenderError> {
    let mut page = Page {
        out: String::with_capacity(16 * 1024),
        assets,
        strict,
        warnings: Vec::new(),
    };
    let lang = doc.metadata.language.as_deref().unwrap_or("en");
    let title = doc.metadata.title.as_deref().unwrap_or("Document");
    let out = &mut page.out;
    out.push_str("<!DOCTYPE html>\n<html lang=\"");
    escape_into(out, lang);
    out.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
    );
    escape_into(out, title);
    out.push_str("</title>\n");
    for (name, value) in [
        ("author", &doc.metadata.author),
        ("description", &doc.metadata.subject),
    ] {
        if let Some(value) = value {
            let _ = write!(out, "<meta name=\"{name}\" content=\"");
            escape_into(out, value);
            out.push_str("\">\n");
        }
    }
    out.push_str("<style>\n");
    out.push_str(&stylesheet(doc, theme));
    out.push_str("</style>\n</head>\n<body>\n");
    if doc.metadata.draft {
        // Fixed, so a printed draft shows it on every page.
        let _ = writeln!(
            out,
            "<div class=\"draft-mark\">{}</div>",
            crate::document::DRAFT_MARK
        );
    }
    if let Some(logo) = &theme.logo {
        match assets.get(logo) {
            Some(asset) => {
                let _ = writeln!(
                    out,
                    "<img class=\"logo\" alt=\"\" src=\"{}\">",
                    data_uri(asset)
                );
            }
            None => page
                .warnings
                .push(format!("the theme's logo `{logo}` is not among the assets")),
        }
    }
    page.out.push_str("<main>\n");
    page.blocks(&doc.blocks)?;
    page.out.push_str("</main>\n");
    if !doc.footnotes.is_empty() {
        page.out
            .push_str("<section class=\"footnotes\">\n<hr>\n<ol>\n");
        for (i, body) in doc.footnotes.iter().enumerate() {
            let n = i + 1;
            let _ = write!(page.out, "<li id=\"fn-{n}\">");
            page.blocks(body)?;
            let _ = writeln!(page.out, "<a class=\"back\" href=\"#fnref-{n}\">↩</a></li>");
        }
        page.out.push_str("</ol>\n</section>\n");
    }
    page.out.push_str("</body>\n</html>\n");
    Ok(Output {
        bytes: page.out.into_bytes(),
        warnings: page.warnings,
    })
}

struct Page<'a> {
    out: String,
    assets: &'a Assets,
    strict: bool,
    warnings: Vec<String>,
}

impl Page<'_> {
    fn blocks(&mut self, blocks: &[Block]) -> Result<(), RenderError> {
        for block in blocks {
            self.block(block)?;
        }
        Ok(())
    }

    fn block(&mut self, block: &Block) -> Result<(), RenderError> {
        match block {
            Block::Heading { level, content } => {
                let level = (*level).clamp(1, 6);
                let _ = write!(self.out, "<h{level}>");
                self.inlines(content);
                let _ = writeln!(self.out, "</h{level}>");
            }
            Block::Paragraph { content } => {
                self.out.push_str("<p>");
                self.inlines(content);
                self.out.push_str("</p>\n");
            }
            Block::List(list) => self.list(list)?,
            Block::Table(table) => self.table(table),
            Block::Quote { blocks } => {
                self.out.push_str("<blockquote>\n");
                self.blocks(blocks)?;
                self.out.push_str("</blockquote>\n");
            }
            Block::Code { language, text } => {
                self.out.push_str("<pre><code");
                if let Some(language) = language {
                    self.out.push_str(" class=\"language-");
                    escape_into(&mut self.out, language);
                    self.out.push('"');
                }
                self.out.push('>');
                escape_into(&mut self.out, text);
                self.out.push_str("</code></pre>\n");
            }
            Block::Image(image) => self.image(image)?,
            Block::Rule => self.out.push_str("<hr>\n"),
            Block::PageBreak => self.out.push_str("<div class=\"page-break\"></div>\n"),
            Block::KeepTogether { blocks } => {
                self.out.push_str("<div class=\"keep\">\n");
                self.blocks(blocks)?;
                self.out.push_str("</div>\n");
            }
            Block::Signature { parties } => {
                self.out.push_str("<div class=\"signatures\">\n");
                for party in parties {
                    self.out.push_str("<div class=\"signatory\">\n<div class=\"sign-line\"></div>\n<p class=\"party\">");
                    escape_into(&mut self.out, &party.party);
                    self.out.push_str("</p>\n");
                    for line in [&party.name, &party.title].into_iter().flatten() {
                        self.out.push_str("<p>");
                        escape_into(&mut self.out, line);
                        self.out.push_str("</p>\n");
                    }
                    self.out
                        .push_str("<p class=\"date-line\">Date:</p>\n</div>\n");
                }
                self.out.push_str("</div>\n");
            }
            Block::Callout { kind, blocks } => {
                let _ = writeln!(
                    self.out,
                    "<aside class=\"callout callout-{}\">\n<p class=\"callout-title\">{}</p>",
                    kind.label().to_lowercase(),
                    kind.label()
                );
                self.blocks(blocks)?;
                self.out.push_str("</aside>\n");
            }
        }
        Ok(())
    }

    fn list(&mut self, list: &List) -> Result<(), RenderError> {
        let tag = match list.start {
            Some(1) => {
                self.out.push_str("<ol>\n");
                "ol"
            }
            Some(start) => {
                let _ = writeln!(self.out, "<ol start=\"{start}\">");
                "ol"
            }
            None => {
                self.out.push_str("<ul>\n");
                "ul"
            }
        };
        for item in &list.items {
            match item.checked {
                Some(checked) => {
                    let mark = if checked { "☑" } else { "☐" };
                    let _ = write!(
                        self.out,
                        "<li class=\"task\"><span class=\"check\">{mark}</span> "
                    );
                }
                None => self.out.push_str("<li>"),
            }
            // A one-paragraph item reads as a line, not a spaced paragraph.
            match item.blocks.as_slice() {
                [Block::Paragraph { content }] => self.inlines(content),
                blocks => self.blocks(blocks)?,
            }
            self.out.push_str("</li>\n");
        }
        let _ = writeln!(self.out, "</{tag}>");
        Ok(())
    }

    fn table(&mut self, table: &Table) {
        let class = if table.repeat_header {
            ""
        } else {
            " class=\"no-repeat\""
        };
        let _ = writeln!(self.out, "<table{class}>");
        if table.columns.iter().any(|c| c.width_percent.is_some()) {
            self.out.push_str("<colgroup>");
            for column in &table.columns {
                match column.width_percent {
                    Some(w) => {
                        let _ = write!(self.out, "<col style=\"width:{w}%\">");
                    }
                    None => self.out.push_str("<col>"),
                }
            }
            self.out.push_str("</colgroup>\n");
        }
        if let Some(header) = &table.header {
            self.out.push_str("<thead><tr>");
            for (cell, column) in header.cells.iter().zip(&table.columns) {
                let _ = write!(self.out, "<th{}>", align_attr(column.align));
                self.inlines(cell);
                self.out.push_str("</th>");
            }
            self.out.push_str("</tr></thead>\n");
        }
        self.out.push_str("<tbody>\n");
        for row in &table.rows {
            match row.style {
                RowStyle::Normal => self.out.push_str("<tr>"),
                RowStyle::Group => self.out.push_str("<tr class=\"group\">"),
                RowStyle::Subtotal => self.out.push_str("<tr class=\"subtotal\">"),
            }
            for (cell, column) in row.cells.iter().zip(&table.columns) {
                let _ = write!(self.out, "<td{}>", align_attr(column.align));
                self.inlines(cell);
                self.out.push_str("</td>");
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n");
    }

    fn image(&mut self, image: &Image) -> Result<(), RenderError> {
        match image_of(self.assets, image, self.strict, &mut self.warnings)? {
            Some(asset) => {
                let _ = write!(
                    self.out,
                    "<p class=\"image\"><img src=\"{}\" alt=\"",
                    data_uri(asset)
                );
                escape_into(&mut self.out, &image.alt);
                self.out.push('"');
                match image.width {
                    Some(Length::Mm(mm)) => {
                        let _ = write!(self.out, " style=\"width:{mm}mm\"");
                    }
                    Some(Length::Percent(p)) => {
                        let _ = write!(self.out, " style=\"width:{p}%\"");
                    }
                    None => {}
                }
                self.out.push_str("></p>\n");
            }
            None => {
                self.out.push_str("<p class=\"missing-image\">[");
                escape_into(&mut self.out, &image.alt);
                self.out.push_str("]</p>\n");
            }
        }
        Ok(())
    }

    fn inlines(&mut self, inlines: &[Inline]) {
        for inline in inlines {
            match inline {
                Inline::Text { text } => escape_into(&mut self.out, text),
                Inline::Strong { content } => self.wrap("strong", content),
                Inline::Emphasis { content } => self.wrap("em", content),
                Inline::Strikethrough { content } => self.wrap("del", content),
                Inline::Code { text } => {
                    self.out.push_str("<code>");
                    escape_into(&mut self.out, text);
                    self.out.push_str("</code>");
                }
                Inline::Link { url, content } => {
                    self.out.push_str("<a href=\"");
                    escape_into(&mut self.out, url);
                    self.out.push_str("\">");
                    self.inlines(content);
                    self.out.push_str("</a>");
                }
                Inline::LineBreak => self.out.push_str("<br>"),
                Inline::FootnoteRef { number } => {
                    let _ = write!(
                        self.out,
                        "<sup class=\"footnote-ref\"><a href=\"#fn-{number}\" id=\"fnref-{number}\">{number}</a></sup>"
                    );
                }
            }
        }
    }

    fn wrap(&mut self, tag: &str, content: &[Inline]) {
        let _ = write!(self.out, "<{tag}>");
        self.inlines(content);
        let _ = write!(self.out, "</{tag}>");
    }
}

fn align_attr(align: Align) -> &'static str {
    match align {
        Align::Left => "",
        Align::Center => " class=\"center\"",
        Align::Right => " class=\"right\"",
    }
}

/// Escapes text for HTML content and attribute values alike.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn data_uri(asset: &crate::document::Asset) -> String {
    format!(
        "data:{};base64,{}",
        asset.format.mime(),
        base64::engine::general_purpose::STANDARD.encode(&asset.bytes)
    )
}

/// A theme colour as CSS; anything but `#rrggbb` is black, so no theme can
/// put text of its own into the stylesheet.
fn css_color(text: &str) -> String {
    let Rgb(r, g, b) = Rgb::parse(text).unwrap_or(Rgb(0, 0, 0));
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn font_stack(family: Family) -> &'static str {
    match family {
        Family::Sans => "\"DejaVu Sans\", \"Helvetica Neue\", Arial, sans-serif",
        Family::Serif => "\"DejaVu Serif\", Georgia, \"Times New Roman\", serif",
        Family::Mono => "\"DejaVu Sans Mono\", Menlo, Consolas, monospace",
    }
}

/// A CSS string literal; `<` is escaped too, so no text can close the
/// `<style>` element.
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\A "),
            '<' => out.push_str("\\3C "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Header or footer text as the `content` of a page margin box, with the
/// page fields as CSS counters.
fn margin_content(text: &str, doc: &Document) -> String {
    let title = doc.metadata.title.as_deref().unwrap_or_default();
    let date = doc.metadata.date.as_deref().unwrap_or_default();
    let parts: Vec<String> = page_parts(text, title, date)
        .into_iter()
        .map(|part| match part {
            PagePart::Page => "counter(page)".to_owned(),
            PagePart::Pages => "counter(pages)".to_owned(),
            PagePart::Text(text) => css_string(&text),
        })
        .collect();
    if parts.is_empty() {
        "\"\"".to_owned()
    } else {
        parts.join(" ")
    }
}

fn stylesheet(doc: &Document, theme: &Theme) -> String {
    let c = &theme.colors;
    let m = theme.margins_mm;
    let size = match theme.paper {
        Paper::A4 => "A4",
        Paper::Letter => "letter",
    };
    let base = theme.base_size_pt;
    let mut css = String::with_capacity(4096);
    let _ = write!(
        css,
        ":root {{ color: {text}; font-family: {body}; font-size: {base}pt; line-height: 1.45; }}
body {{ max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }}
h1, h2, h3, h4, h5, h6 {{ font-family: {heading}; color: {heading_color}; line-height: 1.2; break-after: avoid; }}
h1 {{ font-size: 2em; }} h2 {{ font-size: 1.5em; }} h3 {{ font-size: 1.25em; }}
a {{ color: {accent}; }}
code, pre {{ font-family: {mono}; font-size: 0.9em; }}
pre {{ background: {shade}; padding: 0.75em; white-space: pre-wrap; overflow-wrap: anywhere; }}
blockquote {{ margin-left: 0; padding-left: 1em; border-left: 3px solid {muted}; color: {muted}; }}
hr {{ border: 0; border-top: 1px solid {muted}; }}
table {{ border-collapse: collapse; width: 100%; margin: 1em 0; }}
th, td {{ padding: 0.35em 0.5em; border-bottom: 1px solid {shade}; vertical-align: top; text-align: left; }}
th {{ background: {accent}; color: {on_accent}; font-family: {heading}; }}
th.right, td.right {{ text-align: right; font-variant-numeric: tabular-nums; }}
th.center, td.center {{ text-align: center; }}
thead {{ display: table-header-group; }}
table.no-repeat thead {{ display: table-row-group; }}
tr {{ break-inside: avoid; }}
tr.group td {{ background: {shade}; font-weight: bold; }}
tr.subtotal td {{ font-weight: bold; border-top: 1px solid {muted}; }}
img {{ max-width: 100%; }}
.logo {{ display: block; max-height: 18mm; margin-bottom: 1.5em; }}
.keep {{ break-inside: avoid; }}
.page-break {{ break-after: page; }}
.callout {{ background: {shade}; border-left: 4px solid {accent}; padding: 0.5em 1em; margin: 1em 0; break-inside: avoid; }}
.callout-title {{ font-weight: bold; color: {accent}; margin: 0.25em 0; }}
.callout-warning, .callout-caution {{ border-left-color: #b3261e; }}
.signatures {{ display: flex; flex-wrap: wrap; gap: 2em; margin-top: 3em; break-inside: avoid; }}
.signatory {{ flex: 1 1 14em; }}
.signatory p {{ margin: 0.2em 0; }}
.sign-line {{ border-bottom: 1px solid {text}; height: 3em; margin-bottom: 0.4em; }}
.party {{ font-weight: bold; }}
.date-line {{ margin-top: 1.2em !important; color: {muted}; }}
.missing-image {{ color: {muted}; font-style: italic; }}
.task {{ list-style: none; }}
.footnotes {{ font-size: 0.9em; color: {muted}; }}
.footnotes .back {{ margin-left: 0.3em; text-decoration: none; }}
.draft-mark {{ position: fixed; top: 50%; left: 50%; transform: translate(-50%, -50%) rotate(-35deg); font-family: {heading}; font-size: 9rem; font-weight: bold; letter-spacing: 0.1em; color: rgba(200, 150, 150, 0.3); pointer-events: none; z-index: 1; }}
@media print {{
  body {{ max-width: none; margin: 0; padding: 0; }}
  a {{ color: inherit; text-decoration: none; }}
}}
@page {{
  size: {size};
  margin: {top}mm {right}mm {bottom}mm {left}mm;
",
        text = css_color(&c.text),
        body = font_stack(theme.fonts.body),
        heading = font_stack(theme.fonts.heading),
        heading_color = css_color(&c.heading),
        mono = font_stack(theme.fonts.code),
        accent = css_color(&c.accent),
        on_accent = css_color(&c.on_accent),
        muted = css_color(&c.muted),
        shade = css_color(&c.shade),
        top = m.top,
        right = m.right,
        bottom = m.bottom,
        left = m.left,
    );
    for (area, text) in [
        ("top-center", &theme.header),
        ("bottom-center", &theme.footer),
    ] {
        if let Some(text) = text {
            let _ = writeln!(
                css,
                "  @{area} {{ content: {}; color: {}; font-family: {}; font-size: 8pt; }}",
                margin_content(text, doc),
                css_color(&c.muted),
                font_stack(theme.fonts.body)
            );
        }
    }
    css.push_str("}\n");
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_cannot_close_the_style_element() {
        assert_eq!(css_string("a\"b</style>"), "\"a\\\"b\\3C /style>\"");
    }

    #[test]
    fn page_fields_become_counters() {
        let doc = Document {
            metadata: crate::document::Metadata {
                title: Some("Offer".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            margin_content("{title} · {page}/{pages}", &doc),
            "\"Offer · \" counter(page) \"/\" counter(pages)"
        );
    }
}
