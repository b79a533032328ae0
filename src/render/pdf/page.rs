//! Positioned pages: what the layout step produces and the PDF writer
//! draws. Lengths are points; `x` runs right from the page's left edge and
//! `y` down from its top edge (the writer turns that into PDF's upward y).

use super::fonts::Face;

pub use crate::document::theme::Rgb;

/// Everything on one page.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// Text on one baseline in one face; `width` is as measured, kerning
    /// included.
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        color: Rgb,
        text: String,
        width: f32,
    },
    /// Text turned `angle` degrees anticlockwise about its start (`x`,
    /// `y` on the baseline).
    Turned {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        color: Rgb,
        text: String,
        angle: f32,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
    /// An image asset scaled into the box.
    Image {
        source: String,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    /// A clickable area that opens `url`.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        url: String,
    },
}

impl Item {
    /// A copy moved by `dx`, `dy`.
    pub fn shifted(&self, dx: f32, dy: f32) -> Item {
        let mut item = self.clone();
        match &mut item {
            Item::Text { x, y, .. }
            | Item::Turned { x, y, .. }
            | Item::Rect { x, y, .. }
            | Item::Image { x, y, .. }
            | Item::Link { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
            Item::Line { x1, y1, x2, y2, .. } => {
                *x1 += dx;
                *x2 += dx;
                *y1 += dy;
                *y2 += dy;
            }
        }
        item
    }
}

/// A heading in the PDF's outline (bookmarks).
#[derive(Clone, Debug, PartialEq)]
pub struct OutlineEntry {
    pub level: u8,
    pub title: String,
    /// 0-based.
    pub page: usize,
    pub y: f32,
}

/// A laid-out document.
#[derive(Clone, Debug, Default)]
pub struct Pages {
    /// Width and height in points.
    pub size: (f32, f32),
    pub pages: Vec<Page>,
    pub outline: Vec<OutlineEntry>,
}
