//! Plain text from the document model: the text part of an e-mail, for
//! readers that show no HTML. Headings are underlined, lists keep their
//! bullets and numbers, tables become one line per row, and links show
//! their address after their text.

use super::Output;
use crate::document::{Block, Document, Inline, List};

/// The width paragraphs are wrapped to, as e-mail text customarily is.
const WIDTH: usize = 72;

pub fn text(doc: &Document) -> Output {
    let mut out = String::with_capacity(8 * 1024);
    if doc.metadata.draft {
        out.push_str(&format!("*** {} ***\n\n", crate::document::DRAFT_MARK));
    }
    blocks(&mut out, &doc.blocks, "");
    if !doc.footnotes.is_empty() {
        out.push_str("--\n");
        for (i, note) in doc.footnotes.iter().enumerate() {
            let mut body = String::new();
            blocks(&mut body, note, "");
            out.push_str(&format!("[{}] {}\n", i + 1, body.trim()));
        }
    }
    Output {
        bytes: out.trim_end().to_owned().into_bytes(),
        warnings: Vec::new(),
    }
}

fn blocks(out: &mut String, blocks: &[Block], indent: &str) {
    for block in blocks {
        match block {
            Block::Heading { level, content } => {
                let text = inline_text(content);
                out.push_str(&text);
                out.push('\n');
                let rule = if *level <= 1 { '=' } else { '-' };
                out.push_str(&rule.to_string().repeat(text.chars().count().min(WIDTH)));
                out.push_str("\n\n");
            }
            Block::Paragraph { content } => {
                wrap(out, &inline_text(content), indent);
                out.push('\n');
            }
            Block::List(list) => {
                self::list(out, list, indent);
                out.push('\n');
            }
            Block::Table(table) => {
                for row in table.header.iter().chain(&table.rows) {
                    let cells: Vec<String> = row.cells.iter().map(|c| inline_text(c)).collect();
                    out.push_str(indent);
                    out.push_str(&cells.join(" | "));
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Quote { blocks: inner } => {
                self::blocks(out, inner, &format!("{indent}> "));
            }
            Block::Code { text, .. } => {
                for line in text.lines() {
                    out.push_str(indent);
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Image(image) => {
                if !image.alt.is_empty() {
                    out.push_str(&format!("{indent}[{}]\n\n", image.alt));
                }
            }
            Block::Rule => out.push_str(&format!("{indent}{}\n\n", "-".repeat(WIDTH / 2))),
            Block::PageBreak => {}
            Block::KeepTogether { blocks: inner } | Block::Callout { blocks: inner, .. } => {
                self::blocks(out, inner, indent);
            }
            Block::Signature { parties } => {
                for party in parties {
                    out.push_str(&format!("{indent}{}\n", party.party));
                    for line in [&party.name, &party.title].into_iter().flatten() {
                        out.push_str(&format!("{indent}{line}\n"));
                    }
                    out.push('\n');
                }
            }
        }
    }
}

fn list(out: &mut String, list: &List, indent: &str) {
    for (i, item) in list.items.iter().enumerate() {
        let marker = match (list.start, item.checked) {
            (_, Some(true)) => "[x] ".to_owned(),
            (_, Some(false)) => "[ ] ".to_owned(),
            (Some(start), None) => format!("{}. ", start + i as u64),
            (None, None) => "- ".to_owned(),
        };
        let mut body = String::new();
        let inner = format!("{indent}{}", " ".repeat(marker.len()));
        blocks(&mut body, &item.blocks, &inner);
        let body = body.trim_end();
        out.push_str(indent);
        out.push_str(&marker);
        out.push_str(body.strip_prefix(inner.as_str()).unwrap_or(body));
        out.push('\n');
    }
}

/// Words of `text` in lines of at most [`WIDTH`] characters (a longer
/// word stands alone), each starting with `indent`; line breaks kept.
fn wrap(out: &mut String, text: &str, indent: &str) {
    for line in text.split('\n') {
        let mut length = 0;
        out.push_str(indent);
        for (i, word) in line.split_whitespace().enumerate() {
            let n = word.chars().count();
            if i > 0 && length + 1 + n > WIDTH {
                out.push('\n');
                out.push_str(indent);
                length = 0;
            } else if i > 0 {
                out.push(' ');
                length += 1;
            }
            out.push_str(word);
            length += n;
        }
        out.push('\n');
    }
}

fn inline_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text { text } | Inline::Code { text } => out.push_str(text),
            Inline::Strong { content }
            | Inline::Emphasis { content }
            | Inline::Strikethrough { content } => out.push_str(&inline_text(content)),
            Inline::Link { url, content } => {
                let text = inline_text(content);
                let shown = url.strip_prefix("mailto:").unwrap_or(url);
                if text.trim() == shown || text.trim() == url {
                    out.push_str(&text);
                } else {
                    out.push_str(&format!("{text} <{shown}>"));
                }
            }
            Inline::LineBreak => out.push('\n'),
            Inline::FootnoteRef { number } => out.push_str(&format!("[{number}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Metadata, markdown};

    fn plain(source: &str) -> String {
        let doc = markdown::read(source, Metadata::default()).document;
        String::from_utf8(text(&doc).bytes).unwrap()
    }

    #[test]
    fn headings_lists_tables_and_links_read_as_plain_text() {
        let out = plain(
            "# Offer\n\nDear **Ada**, see [our site](https://n.example).\n\n\
             1. One\n2. Two\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\nMail [me](mailto:r@n.example).",
        );
        assert_eq!(
            out,
            "Offer\n=====\n\nDear Ada, see our site <https://n.example>.\n\n1. One\n2. Two\n\n\
             A | B\n1 | 2\n\nMail me <r@n.example>."
        );
    }

    #[test]
    fn paragraphs_wrap_at_seventy_two_characters() {
        let out = plain(&"word ".repeat(40));
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
        assert_eq!(out.split_whitespace().count(), 40);
    }
}
