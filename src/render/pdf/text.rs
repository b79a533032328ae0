//! Lines of text: inlines are cut into styled words, measured glyph by
//! glyph (with the fallback face for any glyph the chosen face lacks, and
//! kerning), and filled into lines of a given width.

use super::fonts::{Face, Metrics};
use super::page::{Item, Rgb};
use crate::document::Inline;
use crate::document::theme::Family;

/// How a run of text looks.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    pub face: Face,
    pub size: f32,
    pub color: Rgb,
    pub link: Option<String>,
    pub strike: bool,
}

/// How the lines of a paragraph sit between its margins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alignment {
    Left,
    Right,
    Center,
    /// Both edges straight, but the last line (and a line before a forced
    /// break) left.
    Justify,
}

/// A piece of a word in one style.
#[derive(Clone, Debug)]
struct Piece {
    text: String,
    style: Style,
    width: f32,
}

#[derive(Clone, Debug)]
enum Atom {
    /// Pieces with no break between them.
    Word(Vec<Piece>),
    /// A breakable space, as wide as a space of this style.
    Space(f32),
    Break,
}

/// One laid-out line: its items relative to the line's top-left corner.
#[derive(Clone, Debug, Default)]
pub struct Line {
    pub height: f32,
    pub items: Vec<Item>,
    /// How wide the text is (for shrink-to-fit table columns).
    pub width: f32,
}

/// The space a line of text in `size` takes, as a multiple of the size.
pub const LEADING: f32 = 1.35;

/// Styled text of `inlines`, laid out in lines at most `width` wide.
pub fn lines(
    metrics: &dyn Metrics,
    inlines: &[Inline],
    base: &Style,
    accent: Rgb,
    width: f32,
    align: Alignment,
) -> Vec<Line> {
    let mut atoms = Vec::new();
    collect(metrics, inlines, base, accent, &mut atoms);
    fill(metrics, atoms, base, width.max(1.0), align)
}

/// The widest single word and the whole unbroken width of `inlines`: the
/// least and the most a table column holding them wants.
pub fn extent(metrics: &dyn Metrics, inlines: &[Inline], base: &Style, accent: Rgb) -> (f32, f32) {
    let mut atoms = Vec::new();
    collect(metrics, inlines, base, accent, &mut atoms);
    let (mut widest, mut line, mut longest) = (0f32, 0f32, 0f32);
    for atom in &atoms {
        match atom {
            Atom::Word(pieces) => {
                let w: f32 = pieces.iter().map(|p| p.width).sum();
                widest = widest.max(w);
                line += w;
            }
            Atom::Space(w) => line += w,
            Atom::Break => {
                longest = longest.max(line);
                line = 0.0;
            }
        }
    }
    (widest, longest.max(line))
}

fn collect(
    metrics: &dyn Metrics,
    inlines: &[Inline],
    style: &Style,
    accent: Rgb,
    out: &mut Vec<Atom>,
) {
    for inline in inlines {
        match inline {
            Inline::Text { text } => push_text(metrics, text, style, out),
            Inline::Strong { content } => {
                let mut s = style.clone();
                s.face.bold = true;
                collect(metrics, content, &s, accent, out);
            }
            Inline::Emphasis { content } => {
                let mut s = style.clone();
                s.face.italic = true;
                collect(metrics, content, &s, accent, out);
            }
            Inline::Strikethrough { content } => {
                let mut s = style.clone();
                s.strike = true;
                collect(metrics, content, &s, accent, out);
            }
            Inline::Code { text } => {
                let mut s = style.clone();
                s.face.family = Family::Mono;
                s.size = style.size * 0.92;
                push_text(metrics, text, &s, out);
            }
            Inline::Link { url, content } => {
                let mut s = style.clone();
                s.link = Some(url.clone());
                s.color = accent;
                collect(metrics, content, &s, accent, out);
            }
            Inline::LineBreak => out.push(Atom::Break),
            Inline::FootnoteRef { number } => {
                let mut s = style.clone();
                s.size = style.size * 0.7;
                s.color = accent;
                push_piece(metrics, &number.to_string(), &s, out);
            }
        }
    }
}

/// Splits text at spaces into words and spaces; a word joins the word
/// before it when no space came between (`**bold**ness`).
fn push_text(metrics: &dyn Metrics, text: &str, style: &Style, out: &mut Vec<Atom>) {
    let mut first = true;
    for part in text.split(' ') {
        if !first {
            out.push(Atom::Space(measure(metrics, " ", style)));
        }
        first = false;
        if !part.is_empty() {
            push_piece(metrics, part, style, out);
        }
    }
}

fn push_piece(metrics: &dyn Metrics, text: &str, style: &Style, out: &mut Vec<Atom>) {
    let piece = Piece {
        text: text.to_owned(),
        style: style.clone(),
        width: measure(metrics, text, style),
    };
    match out.last_mut() {
        Some(Atom::Word(pieces)) => pieces.push(piece),
        _ => out.push(Atom::Word(vec![piece])),
    }
}

/// The width of `text` in `style`, glyph by glyph, with kerning between
/// neighbours drawn by the same face.
pub fn measure(metrics: &dyn Metrics, text: &str, style: &Style) -> f32 {
    let mut width = 0.0;
    let mut previous: Option<(Face, char)> = None;
    for c in text.chars() {
        let face = metrics.face_for(style.face, c);
        if let Some((pf, pc)) = previous
            && pf == face
        {
            width += metrics.kern(face, pc, c);
        }
        width += metrics.advance(face, c);
        previous = Some((face, c));
    }
    width * style.size
}

/// Greedy filling: as many words as fit; a word wider than a line is cut
/// after a `/`, `-`, `.`, `_`, `?`, `&` or `=` where possible, else between
/// any two characters.
fn fill(
    metrics: &dyn Metrics,
    atoms: Vec<Atom>,
    base: &Style,
    width: f32,
    align: Alignment,
) -> Vec<Line> {
    let end_line = |atoms: Vec<Atom>, last: bool| finish(metrics, atoms, base, width, align, last);
    let mut lines = Vec::new();
    let mut current: Vec<Atom> = Vec::new();
    let mut used = 0.0;
    let mut queue: std::collections::VecDeque<Atom> = atoms.into();
    while let Some(atom) = queue.pop_front() {
        match atom {
            Atom::Break => {
                lines.push(end_line(std::mem::take(&mut current), true));
                used = 0.0;
            }
            Atom::Space(w) => {
                if !current.is_empty() {
                    current.push(Atom::Space(w));
                    used += w;
                }
            }
            Atom::Word(pieces) => {
                let w: f32 = pieces.iter().map(|p| p.width).sum();
                if used + w <= width + 0.01 {
                    current.push(Atom::Word(pieces));
                    used += w;
                    continue;
                }
                let has_words = current.iter().any(|a| matches!(a, Atom::Word(_)));
                if has_words && w <= width {
                    lines.push(end_line(std::mem::take(&mut current), false));
                    current.push(Atom::Word(pieces));
                    used = w;
                    continue;
                }
                // Too wide for any line: cut it to what is left of this one.
                let room = if has_words { width - used } else { width };
                let (head, tail) = cut(metrics, pieces, room);
                if head.is_empty() {
                    lines.push(end_line(std::mem::take(&mut current), false));
                    used = 0.0;
                    queue.push_front(Atom::Word(tail));
                    continue;
                }
                current.push(Atom::Word(head));
                lines.push(end_line(std::mem::take(&mut current), false));
                used = 0.0;
                if !tail.is_empty() {
                    queue.push_front(Atom::Word(tail));
                }
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(end_line(current, true));
    }
    lines
}

/// Splits a word so its head fits in `room`, preferring a cut after a
/// punctuation mark; the head is empty when not even that fits on a line
/// that already holds words.
fn cut(metrics: &dyn Metrics, pieces: Vec<Piece>, room: f32) -> (Vec<Piece>, Vec<Piece>) {
    // Where the head may end: (piece index, byte offset, width so far).
    let mut fits: Option<(usize, usize)> = None;
    let mut preferred: Option<(usize, usize)> = None;
    let mut used = 0.0;
    'outer: for (i, piece) in pieces.iter().enumerate() {
        for (offset, c) in piece.text.char_indices() {
            let end = offset + c.len_utf8();
            let w = measure(metrics, &piece.text[offset..end], &piece.style);
            if used + w > room {
                break 'outer;
            }
            used += w;
            fits = Some((i, end));
            if matches!(c, '/' | '-' | '.' | '_' | '?' | '&' | '=' | ',' | ';' | ':') {
                preferred = Some((i, end));
            }
        }
    }
    // At least one character goes on an empty line, so filling always ends.
    let at = match preferred.or(fits) {
        Some(at) => at,
        None if room < f32::MAX && used == 0.0 => {
            let first = pieces
                .first()
                .and_then(|p| p.text.chars().next())
                .map_or(0, char::len_utf8);
            (0, first)
        }
        None => (0, 0),
    };
    split_pieces(metrics, pieces, at)
}

fn split_pieces(
    metrics: &dyn Metrics,
    pieces: Vec<Piece>,
    (index, offset): (usize, usize),
) -> (Vec<Piece>, Vec<Piece>) {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        if i < index {
            head.push(piece);
        } else if i > index {
            tail.push(piece);
        } else {
            let (a, b) = piece.text.split_at(offset.min(piece.text.len()));
            for (text, side) in [(a, &mut head), (b, &mut tail)] {
                if !text.is_empty() {
                    side.push(Piece {
                        width: measure(metrics, text, &piece.style),
                        text: text.to_owned(),
                        style: piece.style.clone(),
                    });
                }
            }
        }
    }
    (head, tail)
}

/// Positions a line's words: runs of one face become text items, links
/// become link areas, struck text gets its line.
fn finish(
    metrics: &dyn Metrics,
    mut atoms: Vec<Atom>,
    base: &Style,
    width: f32,
    align: Alignment,
    last: bool,
) -> Line {
    while matches!(atoms.last(), Some(Atom::Space(_))) {
        atoms.pop();
    }
    let natural: f32 = atoms
        .iter()
        .map(|a| match a {
            Atom::Word(p) => p.iter().map(|p| p.width).sum(),
            Atom::Space(w) => *w,
            Atom::Break => 0.0,
        })
        .sum();
    let spaces = atoms.iter().filter(|a| matches!(a, Atom::Space(_))).count();
    let (mut x, stretch) = match align {
        Alignment::Left => (0.0, 0.0),
        Alignment::Right => ((width - natural).max(0.0), 0.0),
        Alignment::Center => (((width - natural) / 2.0).max(0.0), 0.0),
        Alignment::Justify if last || spaces == 0 => (0.0, 0.0),
        Alignment::Justify => (0.0, ((width - natural) / spaces as f32).max(0.0)),
    };
    let size = atoms
        .iter()
        .filter_map(|a| match a {
            Atom::Word(p) => p.iter().map(|p| p.style.size).reduce(f32::max),
            _ => None,
        })
        .fold(base.size, f32::max);
    let ascent = metrics.ascent(base.face) * size;
    let height = size * LEADING;
    // The baseline sits so the leading is shared above and below.
    let baseline = (height - size) / 2.0 + ascent;
    let mut items = Vec::new();
    for atom in atoms {
        match atom {
            Atom::Space(w) => x += w + stretch,
            Atom::Break => {}
            Atom::Word(pieces) => {
                for piece in pieces {
                    place_piece(metrics, &piece, x, baseline, &mut items);
                    x += piece.width;
                }
            }
        }
    }
    merge_runs(metrics, &mut items);
    Line {
        height,
        items,
        width: natural,
    }
}

fn place_piece(metrics: &dyn Metrics, piece: &Piece, x: f32, baseline: f32, items: &mut Vec<Item>) {
    let style = &piece.style;
    let mut run_start = x;
    let mut run = String::new();
    let mut run_face: Option<Face> = None;
    let mut cursor = x;
    let mut previous: Option<(Face, char)> = None;
    let flush =
        |run: &mut String, face: Option<Face>, start: f32, end: f32, items: &mut Vec<Item>| {
            if let Some(face) = face
                && !run.is_empty()
            {
                items.push(Item::Text {
                    x: start,
                    y: baseline,
                    face,
                    size: style.size,
                    color: style.color,
                    text: std::mem::take(run),
                    width: end - start,
                });
            }
        };
    for c in piece.text.chars() {
        let face = metrics.face_for(style.face, c);
        if run_face != Some(face) {
            flush(&mut run, run_face, run_start, cursor, items);
            run_start = cursor;
            run_face = Some(face);
        }
        if let Some((pf, pc)) = previous
            && pf == face
        {
            cursor += metrics.kern(face, pc, c) * style.size;
        }
        cursor += metrics.advance(face, c) * style.size;
        run.push(c);
        previous = Some((face, c));
    }
    flush(&mut run, run_face, run_start, cursor, items);
    if style.strike {
        let y = baseline - style.size * 0.3;
        items.push(Item::Line {
            x1: x,
            y1: y,
            x2: x + piece.width,
            y2: y,
            width: style.size * 0.06,
            color: style.color,
        });
    }
    if let Some(url) = &style.link {
        items.push(Item::Link {
            x,
            y: baseline - metrics.ascent(style.face) * style.size,
            w: piece.width,
            h: style.size * LEADING * 0.9,
            url: url.clone(),
        });
    }
}

/// Joins neighbouring text items of one face, size and colour that touch
/// or are one space apart (the words of a line that is not justified), so
/// the PDF holds fewer, longer runs.
fn merge_runs(metrics: &dyn Metrics, items: &mut Vec<Item>) {
    let mut merged: Vec<Item> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        if let (
            Some(Item::Text {
                x: lx,
                y: ly,
                face: lf,
                size: ls,
                color: lc,
                text: lt,
                width: lw,
            }),
            Item::Text {
                x,
                y,
                face,
                size,
                color,
                text,
                width,
            },
        ) = (merged.last_mut(), &item)
            && (*lf, *ls, *lc, *ly) == (*face, *size, *color, *y)
        {
            let gap = *x - (*lx + *lw);
            let space = metrics.advance(*face, ' ') * *size;
            let joined = if gap.abs() < 0.01 {
                Some("")
            } else if (gap - space).abs() < 0.01 {
                Some(" ")
            } else {
                None
            };
            if let Some(joint) = joined {
                lt.push_str(joint);
                lt.push_str(text);
                *lw = *x + *width - *lx;
                continue;
            }
        }
        merged.push(item);
    }
    *items = merged;
}
