//! The PDF writer: positioned pages → bytes, with printpdf.
//!
//! Output is a pure function of its input: fonts and images get ids from
//! their names rather than printpdf's process-wide counter, dates come from
//! the document, and the file identifier is a hash of the file itself.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{
    Actions, BorderArray, Color, ColorArray, FontId, HighlightingMode, Line, LineDashPattern,
    LinePoint, LinkAnnotation, Op, PaintMode, PdfDocument, PdfFont, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix, XObjectId, XObjectTransform,
};
use sha2::{Digest, Sha256};

use super::deflate::Deflater;
use super::fonts::{Face, Metrics, loaded};
use super::images;
use super::layout::MM;
use super::page::{Item, OutlineEntry, Pages, Rgb};
use crate::document::{Assets, Metadata};

/// What the file's dates are when the document has none.
const DEFAULT_DATE: (i32, u8, u8) = (2000, 1, 1);

/// Writes `pages` as a PDF.
pub fn write(
    pages: &Pages,
    metadata: &Metadata,
    assets: &Assets,
    metrics: &dyn Metrics,
) -> Vec<u8> {
    let title = metadata.title.clone().unwrap_or_default();
    let mut doc = PdfDocument::new(&title);
    set_info(&mut doc, metadata);
    let (width, height) = pages.size;

    let mut faces = BTreeSet::new();
    let mut sources = BTreeSet::new();
    for item in pages.pages.iter().flat_map(|p| &p.items) {
        match item {
            Item::Text { face, .. } | Item::Turned { face, .. } => {
                faces.insert(*face);
            }
            Item::Image { source, .. } => {
                sources.insert(source.as_str());
            }
            _ => {}
        }
    }
    for face in &faces {
        if let Some(font) = loaded(*face) {
            let font = PdfFont::new(font.parsed.clone());
            doc.resources
                .fonts
                .map
                .insert(FontId(face.resource_name()), font);
        }
    }
    // Image ids in name order, so the same images always get the same ids.
    let mut deflater = Deflater::default();
    let mut placed = BTreeMap::new();
    for (i, name) in sources.into_iter().enumerate() {
        let Some(asset) = assets.get(name) else {
            continue;
        };
        if let Some(xobject) = images::xobject(asset, &mut deflater) {
            let id = XObjectId(format!("IM{i}"));
            doc.resources.xobjects.map.insert(id.clone(), xobject);
            placed.insert(name.to_owned(), (id, asset.width_px, asset.height_px));
        }
    }

    doc.pages = pages
        .pages
        .iter()
        .map(|page| {
            let mut ops = Vec::with_capacity(page.items.len() * 3);
            let mut state = TextState::default();
            for item in &page.items {
                draw(&mut ops, &mut state, item, height, &placed, metrics);
            }
            if state.open {
                ops.push(Op::EndTextSection);
            }
            PdfPage::new(printpdf::Mm(width / MM), printpdf::Mm(height / MM), ops)
        })
        .collect();

    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        // Images are built by `images`, never re-encoded by printpdf.
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&options, &mut warnings);
    outline(&mut pdf, &pages.outline, height);
    tidy_info(&mut pdf);
    // A placeholder identifier, replaced by the hash of the whole file.
    let placeholder = Object::String(vec![0; 16], StringFormat::Hexadecimal);
    pdf.trailer
        .set("ID", Object::Array(vec![placeholder.clone(), placeholder]));
    compress(&mut pdf, &mut deflater);
    let mut bytes = Vec::new();
    if pdf.save_to(&mut bytes).is_err() {
        return Vec::new();
    }
    stamp_id(bytes)
}

fn set_info(doc: &mut PdfDocument, metadata: &Metadata) {
    let date = metadata
        .date
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d").ok())
        .map(|d| {
            use chrono::Datelike;
            (d.year().clamp(1, 9999), d.month() as u8, d.day() as u8)
        })
        .unwrap_or(DEFAULT_DATE);
    let date = printpdf::date::DateTime::new_in_offset(
        printpdf::date::Date {
            year: date.0,
            month: date.1,
            day: date.2,
        },
        printpdf::date::Time {
            hour: 0,
            minute: 0,
            second: 0,
            millisecond: 0,
        },
        printpdf::date::Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    );
    let info = &mut doc.metadata.info;
    info.document_title = metadata.title.clone().unwrap_or_default();
    info.author = metadata.author.clone().unwrap_or_default();
    info.subject = metadata.subject.clone().unwrap_or_default();
    info.creator = "dealdraft".to_owned();
    info.producer = format!("dealdraft {}", env!("CARGO_PKG_VERSION"));
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    info.identifier = String::new();
}

fn color(c: Rgb) -> Color {
    let Rgb(r, g, b) = c;
    Color::Rgb(printpdf::Rgb::new(
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
        None,
    ))
}

/// The text state a page's ops are in: runs share one text section until a
/// drawing interrupts it, and font and colour are set only when they change
/// (drawings save and restore the graphics state, so they keep both).
#[derive(Default)]
struct TextState {
    open: bool,
    font: Option<(Face, f32)>,
    color: Option<Rgb>,
}

/// The ops that draw one item on a page `height` points tall.
fn draw(
    ops: &mut Vec<Op>,
    state: &mut TextState,
    item: &Item,
    height: f32,
    images: &BTreeMap<String, (XObjectId, usize, usize)>,
    metrics: &dyn Metrics,
) {
    if state.open && !matches!(item, Item::Text { .. } | Item::Turned { .. }) {
        ops.push(Op::EndTextSection);
        state.open = false;
    }
    match item {
        Item::Text {
            x,
            y,
            face,
            size,
            color: c,
            text,
            ..
        }
        | Item::Turned {
            x,
            y,
            face,
            size,
            color: c,
            text,
            ..
        } => {
            if !state.open {
                ops.push(Op::StartTextSection);
                state.open = true;
            }
            if state.font != Some((*face, *size)) {
                ops.push(Op::SetFont {
                    font: PdfFontHandle::External(FontId(face.resource_name())),
                    size: Pt(*size),
                });
                state.font = Some((*face, *size));
            }
            if state.color != Some(*c) {
                ops.push(Op::SetFillColor { col: color(*c) });
                state.color = Some(*c);
            }
            let matrix = match item {
                Item::Turned { angle, .. } => {
                    TextMatrix::TranslateRotate(Pt(*x), Pt(height - y), *angle)
                }
                _ => TextMatrix::Translate(Pt(*x), Pt(height - y)),
            };
            ops.push(Op::SetTextMatrix { matrix });
            ops.push(Op::ShowText {
                items: kerned(*face, text, metrics),
            });
        }
        Item::Rect {
            x,
            y,
            w,
            h,
            color: c,
        } => {
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetFillColor { col: color(*c) });
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(*x),
                    y: Pt(height - y - h),
                    width: Pt(*w),
                    height: Pt(*h),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            });
            ops.push(Op::RestoreGraphicsState);
        }
        Item::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color: c,
        } => {
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetOutlineColor { col: color(*c) });
            ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
            ops.push(Op::SetLineDashPattern {
                dash: LineDashPattern::default(),
            });
            let point = |x: f32, y: f32| LinePoint {
                p: Point {
                    x: Pt(x),
                    y: Pt(height - y),
                },
                bezier: false,
            };
            ops.push(Op::DrawLine {
                line: Line {
                    points: vec![point(*x1, *y1), point(*x2, *y2)],
                    is_closed: false,
                },
            });
            ops.push(Op::RestoreGraphicsState);
        }
        Item::Image { source, x, y, w, h } => {
            let Some((id, px_w, px_h)) = images.get(source) else {
                return;
            };
            ops.push(Op::UseXobject {
                id: id.clone(),
                transform: XObjectTransform {
                    translate_x: Some(Pt(*x)),
                    translate_y: Some(Pt(height - y - h)),
                    rotate: None,
                    scale_x: Some(w / (*px_w).max(1) as f32),
                    scale_y: Some(h / (*px_h).max(1) as f32),
                    dpi: Some(72.0),
                    no_auto_scale: false,
                },
            });
        }
        Item::Link { x, y, w, h, url } => {
            ops.push(Op::LinkAnnotation {
                link: LinkAnnotation::new(
                    Rect::from_xywh(Pt(*x), Pt(height - y - h), Pt(*w), Pt(*h)),
                    Actions::Uri(url.clone()),
                    Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                    Some(ColorArray::Transparent),
                    Some(HighlightingMode::Invert),
                ),
            });
        }
    }
}

/// The text with the face's kerning as TJ offsets between glyph pairs.
fn kerned(face: Face, text: &str, metrics: &dyn Metrics) -> Vec<TextItem> {
    let mut items = Vec::new();
    let mut run = String::new();
    let mut previous = None;
    for c in text.chars() {
        let c = if c == '\t' { ' ' } else { c };
        if let Some(p) = previous {
            let k = metrics.kern(face, p, c);
            if k != 0.0 {
                items.push(TextItem::Text(std::mem::take(&mut run)));
                // TJ numbers are thousandths of an em, positive moving left.
                items.push(TextItem::Offset(-k * 1000.0));
            }
        }
        run.push(c);
        previous = Some(c);
    }
    if !run.is_empty() {
        items.push(TextItem::Text(run));
    }
    items
}

/// The headings as a nested outline (bookmarks) that opens with the file.
fn outline(pdf: &mut lopdf::Document, entries: &[OutlineEntry], page_height: f32) {
    if entries.is_empty() {
        return;
    }
    let pages = pdf.get_pages();
    let Some(root) = pdf
        .trailer
        .get(b"Root")
        .ok()
        .and_then(|r| r.as_reference().ok())
    else {
        return;
    };
    let outlines = pdf.new_object_id();
    let ids: Vec<_> = entries.iter().map(|_| pdf.new_object_id()).collect();
    // The parent of an entry is the nearest earlier one of a higher level.
    let parents: Vec<Option<usize>> = (0..entries.len())
        .map(|i| (0..i).rev().find(|&j| entries[j].level < entries[i].level))
        .collect();
    let children = |p: Option<usize>| -> Vec<usize> {
        (0..entries.len()).filter(|&i| parents[i] == p).collect()
    };
    for (i, entry) in entries.iter().enumerate() {
        let Some(page) = pages.get(&(entry.page as u32 + 1)) else {
            continue;
        };
        let siblings = children(parents[i]);
        let k = siblings.iter().position(|&s| s == i).unwrap_or(0);
        let mut d = Dictionary::new();
        let mut title = vec![0xFE, 0xFF];
        for unit in entry.title.encode_utf16() {
            title.extend_from_slice(&unit.to_be_bytes());
        }
        d.set("Title", Object::String(title, StringFormat::Hexadecimal));
        d.set(
            "Parent",
            Object::Reference(parents[i].map_or(outlines, |p| ids[p])),
        );
        d.set(
            "Dest",
            Object::Array(vec![
                Object::Reference(*page),
                Object::Name(b"XYZ".to_vec()),
                Object::Null,
                Object::Real(page_height - entry.y),
                Object::Null,
            ]),
        );
        if k > 0 {
            d.set("Prev", Object::Reference(ids[siblings[k - 1]]));
        }
        if let Some(next) = siblings.get(k + 1) {
            d.set("Next", Object::Reference(ids[*next]));
        }
        let kids = children(Some(i));
        if let (Some(first), Some(last)) = (kids.first(), kids.last()) {
            d.set("First", Object::Reference(ids[*first]));
            d.set("Last", Object::Reference(ids[*last]));
            d.set("Count", Object::Integer(kids.len() as i64));
        }
        pdf.objects.insert(ids[i], Object::Dictionary(d));
    }
    let top = children(None);
    let (Some(first), Some(last)) = (top.first(), top.last()) else {
        return;
    };
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Outlines".to_vec()));
    d.set("First", Object::Reference(ids[*first]));
    d.set("Last", Object::Reference(ids[*last]));
    d.set("Count", Object::Integer(entries.len() as i64));
    pdf.objects.insert(outlines, Object::Dictionary(d));
    if let Ok(catalog) = pdf.get_object_mut(root).and_then(|o| o.as_dict_mut()) {
        catalog.set("Outlines", Object::Reference(outlines));
        catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    }
}

/// Deflates every stream not yet encoded, at the fast level: lopdf's own
/// `compress` uses the best level, which makes the whole render about half
/// as fast again for a file about a sixth smaller.
fn compress(pdf: &mut lopdf::Document, deflater: &mut Deflater) {
    for object in pdf.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        if let Some(compressed) = deflater.deflate(&stream.content)
            && compressed.len() + 19 < stream.content.len()
        {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}

/// printpdf writes a PDF/X version and an empty identifier into every
/// file's info; this file claims neither.
fn tidy_info(pdf: &mut lopdf::Document) {
    let Some(info) = pdf
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|r| r.as_reference().ok())
    else {
        return;
    };
    if let Ok(dict) = pdf.get_object_mut(info).and_then(|o| o.as_dict_mut()) {
        dict.remove(b"GTS_PDFXVersion");
        dict.remove(b"Identifier");
    }
}

/// Replaces the placeholder file identifier with the first 16 bytes of the
/// file's SHA-256: the same file always has the same identifier.
fn stamp_id(mut bytes: Vec<u8>) -> Vec<u8> {
    let placeholder = b"<00000000000000000000000000000000>";
    let digest = Sha256::digest(&bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02X}")).collect();
    let stamp = format!("<{hex}>");
    let mut from = bytes.len().saturating_sub(4096);
    while let Some(at) = bytes[from..]
        .windows(placeholder.len())
        .position(|w| w == placeholder)
    {
        let at = from + at;
        bytes[at..at + placeholder.len()].copy_from_slice(stamp.as_bytes());
        from = at + placeholder.len();
    }
    bytes
}
