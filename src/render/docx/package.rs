//! The finished DOCX: docx-rs builds the parts, and three things it cannot
//! express are set in its XML before zipping.
//!
//! - A table's header row is flagged `w:tblHeader`, so Word and
//!   LibreOffice repeat it on every page.
//! - Every drawing gets its own `wp:docPr` id (docx-rs writes 1 for all,
//!   which Word may report as damaged).
//! - The core properties carry the title, author, subject, language and
//!   the document's date (docx-rs sets only dates).
//! - Relationships and media are put in a fixed order: docx-rs keeps
//!   hyperlinks in a hash set, whose order changes from one run to the
//!   next.
//!
//! The zip entries carry docx-rs's fixed timestamp, so the same document
//! always gives the same bytes.

use std::io::Cursor;

use docx_rs::Docx;

use crate::document::Metadata;
use crate::render::RenderError;

/// The DOCX file of `docx`; `repeat_header[i]` says whether the `i`-th
/// table of the body, in document order, repeats its first row.
pub fn pack(
    docx: Docx,
    repeat_header: &[bool],
    metadata: &Metadata,
) -> Result<Vec<u8>, RenderError> {
    let mut xml = docx.build();
    xml.document = flag_header_rows(&xml.document, repeat_header);
    xml.document = number_drawings(&xml.document);
    xml.doc_props.core = core_properties(metadata).into_bytes();
    xml.document_rels = sort_relationships(&xml.document_rels);
    for rels in xml.header_rels.iter_mut().chain(xml.footer_rels.iter_mut()) {
        *rels = sort_relationships(rels);
    }
    xml.media.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Cursor::new(Vec::new());
    xml.pack(&mut out)
        .map_err(|e| RenderError::Package(e.to_string()))?;
    Ok(out.into_inner())
}

const TABLE: &[u8] = b"<w:tbl>";
const CANT_SPLIT: &[u8] = b"<w:cantSplit />";
const TABLE_HEADER: &[u8] = b"<w:tblHeader />";

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Adds `w:tblHeader` to the first row of each flagged table. Every row is
/// written `cantSplit`, so the first such mark after a table's start is
/// in its first row's properties. Text cannot hold these tags: docx-rs
/// escapes `<` in text.
fn flag_header_rows(xml: &[u8], repeat_header: &[bool]) -> Vec<u8> {
    let mut out = Vec::with_capacity(xml.len() + 32 * repeat_header.len());
    let mut at = 0;
    let mut table = 0;
    while let Some(start) = find(xml, TABLE, at) {
        let flagged = repeat_header.get(table).copied().unwrap_or(false);
        table += 1;
        let after_start = start + TABLE.len();
        match find(xml, CANT_SPLIT, after_start).filter(|_| flagged) {
            Some(mark) => {
                let end = mark + CANT_SPLIT.len();
                out.extend_from_slice(&xml[at..end]);
                out.extend_from_slice(TABLE_HEADER);
                at = end;
            }
            None => {
                out.extend_from_slice(&xml[at..after_start]);
                at = after_start;
            }
        }
    }
    out.extend_from_slice(&xml[at..]);
    out
}

const DRAWING_ID: &[u8] = b"<wp:docPr id=\"1\"";

/// Numbers drawings 1, 2, 3… in document order.
fn number_drawings(xml: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(xml.len() + 64);
    let mut at = 0;
    let mut n = 0;
    while let Some(start) = find(xml, DRAWING_ID, at) {
        n += 1;
        out.extend_from_slice(&xml[at..start]);
        out.extend_from_slice(format!("<wp:docPr id=\"{n}\"").as_bytes());
        at = start + DRAWING_ID.len();
    }
    out.extend_from_slice(&xml[at..]);
    out
}

/// `<Relationship … />` elements sorted by their text (so by `Id`, the
/// first attribute docx-rs writes); the rest of the part unchanged.
fn sort_relationships(xml: &[u8]) -> Vec<u8> {
    const OPEN: &[u8] = b"<Relationship ";
    const END: &[u8] = b"</Relationships>";
    let (Some(first), Some(end)) = (find(xml, OPEN, 0), find(xml, END, 0)) else {
        return xml.to_vec();
    };
    let mut elements: Vec<&[u8]> = Vec::new();
    let mut at = first;
    while at < end {
        let next = find(xml, OPEN, at + 1).filter(|n| *n < end).unwrap_or(end);
        elements.push(&xml[at..next]);
        at = next;
    }
    elements.sort_unstable();
    let mut out = Vec::with_capacity(xml.len());
    out.extend_from_slice(&xml[..first]);
    elements.iter().for_each(|e| out.extend_from_slice(e));
    out.extend_from_slice(&xml[end..]);
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in super::xml_safe(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The document's date as W3CDTF, midnight UTC; 2000-01-01 when it has none
/// (the PDF's rule), never the clock.
fn date_time(metadata: &Metadata) -> String {
    let date = metadata
        .date
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d").ok())
        .unwrap_or(chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default());
    format!("{}T00:00:00Z", date.format("%Y-%m-%d"))
}

fn core_properties(metadata: &Metadata) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
    );
    for (tag, value) in [
        ("dc:title", &metadata.title),
        ("dc:subject", &metadata.subject),
        ("dc:creator", &metadata.author),
        ("dc:language", &metadata.language),
    ] {
        if let Some(value) = value {
            xml.push_str(&format!("<{tag}>{}</{tag}>", escape(value)));
        }
    }
    let when = date_time(metadata);
    xml.push_str(&format!(
        "<cp:lastModifiedBy>dealdraft</cp:lastModifiedBy><cp:revision>1</cp:revision>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:created>\
         <dcterms:modified xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:modified>\
         </cp:coreProperties>"
    ));
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_flagged_tables_get_a_repeating_first_row() {
        let row = "<w:tr><w:trPr><w:cantSplit /></w:trPr></w:tr>";
        let table = format!("<w:tbl>{row}{row}</w:tbl>");
        let xml = format!("{table}<w:p/>{table}");
        let out = String::from_utf8(flag_header_rows(xml.as_bytes(), &[false, true])).unwrap();
        assert_eq!(out.matches("<w:tblHeader />").count(), 1);
        let second = out.rfind("<w:tbl>").unwrap();
        assert!(
            out[second..]
                .starts_with("<w:tbl><w:tr><w:trPr><w:cantSplit /><w:tblHeader /></w:trPr></w:tr>")
        );
    }

    #[test]
    fn relationships_come_in_one_order() {
        let xml = b"<?xml?><Relationships x=\"1\"><Relationship Id=\"rIdLink2\" /><Relationship Id=\"rId1\" /></Relationships>";
        assert_eq!(
            String::from_utf8(sort_relationships(xml)).unwrap(),
            "<?xml?><Relationships x=\"1\"><Relationship Id=\"rId1\" /><Relationship Id=\"rIdLink2\" /></Relationships>"
        );
    }

    #[test]
    fn drawings_are_numbered_in_order() {
        let xml = "<wp:docPr id=\"1\" name=\"Figure\" /><wp:docPr id=\"1\" name=\"Figure\" />";
        let out = String::from_utf8(number_drawings(xml.as_bytes())).unwrap();
        assert_eq!(
            out,
            "<wp:docPr id=\"1\" name=\"Figure\" /><wp:docPr id=\"2\" name=\"Figure\" />"
        );
    }

    #[test]
    fn core_properties_escape_and_date_from_the_document() {
        let metadata = Metadata {
            title: Some("R&D <offer>".into()),
            author: Some("Jana Nováková".into()),
            date: Some("2026-11-23".into()),
            ..Default::default()
        };
        let xml = core_properties(&metadata);
        assert!(xml.contains("<dc:title>R&amp;D &lt;offer&gt;</dc:title>"));
        assert!(xml.contains("<dc:creator>Jana Nováková</dc:creator>"));
        assert!(xml.contains(">2026-11-23T00:00:00Z</dcterms:created>"));
        assert!(core_properties(&Metadata::default()).contains(">2000-01-01T00:00:00Z<"));
    }
}
