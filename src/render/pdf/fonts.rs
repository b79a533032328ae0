//! The faces documents are set in (DejaVu, from the `dejavu` crate: Latin,
//! Greek, Cyrillic and many symbols) and their metrics, with a fallback face
//! for any glyph the chosen one lacks.
//!
//! Faces are parsed once per process, on first use. Advances are kept in
//! the thousandths of an em the PDF's width table holds, so what the layout
//! measures is what a viewer draws; kerning comes from the faces' GPOS
//! tables through allsorts.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock, RwLock};

use allsorts::binary::read::ReadScope;
use allsorts::font::MatchingPresentation;
use allsorts::font_data::{DynamicFontTableProvider, FontData};
use allsorts::gsub::FeatureMask;
use allsorts::tag;
use printpdf::ParsedFont;
use rustc_hash::FxHashMap;

use crate::document::theme::Family;

/// A face: family, weight and slant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Face {
    pub family: Family,
    pub bold: bool,
    pub italic: bool,
}

impl Face {
    pub fn new(family: Family) -> Face {
        Face {
            family,
            bold: false,
            italic: false,
        }
    }

    /// A stable index, 0 to 11.
    pub fn index(self) -> usize {
        let family = match self.family {
            Family::Sans => 0,
            Family::Serif => 1,
            Family::Mono => 2,
        };
        family * 4 + usize::from(self.bold) * 2 + usize::from(self.italic)
    }

    /// The PDF resource name: six capitals, which PDF tools read as the
    /// subset tag of the embedded font.
    pub fn resource_name(self) -> String {
        let family = match self.family {
            Family::Sans => 'S',
            Family::Serif => 'R',
            Family::Mono => 'M',
        };
        let style = match (self.bold, self.italic) {
            (false, false) => "REG",
            (true, false) => "BLD",
            (false, true) => "ITA",
            (true, true) => "BIT",
        };
        format!("DV{family}{style}")
    }

    fn bytes(self) -> &'static [u8] {
        use dejavu::{sans, sans_mono, serif};
        match (self.family, self.bold, self.italic) {
            (Family::Sans, false, false) => sans::regular(),
            (Family::Sans, true, false) => sans::bold(),
            (Family::Sans, false, true) => sans::oblique(),
            (Family::Sans, true, true) => sans::bold_oblique(),
            (Family::Serif, false, false) => serif::regular(),
            (Family::Serif, true, false) => serif::bold(),
            (Family::Serif, false, true) => serif::italic(),
            (Family::Serif, true, true) => serif::bold_italic(),
            (Family::Mono, false, false) => sans_mono::regular(),
            (Family::Mono, true, false) => sans_mono::bold(),
            (Family::Mono, false, true) => sans_mono::oblique(),
            (Family::Mono, true, true) => sans_mono::bold_oblique(),
        }
    }
}

/// What the layout needs to know about faces; lengths are in em.
pub trait Metrics {
    /// The face that draws `c` for text set in `want`: `want` itself, or a
    /// fallback that has the glyph.
    fn face_for(&self, want: Face, c: char) -> Face;
    /// The advance of `c` in `face`.
    fn advance(&self, face: Face, c: char) -> f32;
    /// The kerning between `left` and `right` in `face` (negative closer).
    fn kern(&self, face: Face, left: char, right: char) -> f32;
    /// How far the face rises above the baseline.
    fn ascent(&self, face: Face) -> f32;
}

/// The characters below this (Latin, Greek, Cyrillic) have their glyph and
/// advance remembered on first use: the font's own lookups cost more than
/// the rest of measuring.
const REMEMBERED: usize = 0x530;
/// A remembered entry: looked up, glyph id in the low 16 bits (0: none),
/// advance in thousandths of an em above them.
const LOOKED_UP: u32 = 1 << 31;

/// One parsed face.
pub struct Loaded {
    pub parsed: ParsedFont,
    units_per_em: f32,
    ascent: f32,
    remembered: Box<[AtomicU32]>,
    shaper: Mutex<Option<allsorts::Font<DynamicFontTableProvider<'static>>>>,
    kerning: RwLock<FxHashMap<(char, char), f32>>,
}

impl Loaded {
    fn load(face: Face) -> Option<Loaded> {
        let bytes = face.bytes();
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)?;
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        let ascent = f32::from(parsed.pdf_font_metrics.ascender) / units_per_em;
        let shaper = ReadScope::new(bytes)
            .read::<FontData<'static>>()
            .ok()
            .and_then(|data| data.table_provider(0).ok())
            .and_then(|provider| allsorts::Font::new(provider).ok());
        Some(Loaded {
            parsed,
            units_per_em,
            ascent,
            remembered: (0..REMEMBERED).map(|_| AtomicU32::new(0)).collect(),
            shaper: Mutex::new(shaper),
            kerning: RwLock::new(FxHashMap::default()),
        })
    }

    /// The glyph for `c` (`None` if the face lacks it) and its advance in
    /// whole thousandths of an em, as the PDF's width table holds it.
    fn lookup(&self, c: char) -> (Option<u16>, u32) {
        let Some(slot) = self.remembered.get(c as usize) else {
            return self.look_up(c);
        };
        let entry = slot.load(Ordering::Relaxed);
        if entry & LOOKED_UP != 0 {
            let glyph = (entry & 0xFFFF) as u16;
            return ((glyph != 0).then_some(glyph), (entry & !LOOKED_UP) >> 16);
        }
        let (glyph, advance) = self.look_up(c);
        // Advances of a few em fit the 15 bits; a larger one is not kept.
        if advance < 1 << 15 {
            slot.store(
                LOOKED_UP | advance << 16 | u32::from(glyph.unwrap_or(0)),
                Ordering::Relaxed,
            );
        }
        (glyph, advance)
    }

    fn look_up(&self, c: char) -> (Option<u16>, u32) {
        let Some(glyph) = self.parsed.lookup_glyph_index(c as u32).filter(|&g| g != 0) else {
            return (None, 1000);
        };
        let units = f32::from(self.parsed.get_horizontal_advance(glyph));
        (Some(glyph), (units * 1000.0 / self.units_per_em) as u32)
    }

    fn glyph(&self, c: char) -> Option<u16> {
        self.lookup(c).0
    }

    fn advance(&self, c: char) -> f32 {
        self.lookup(c).1 as f32 / 1000.0
    }

    fn kern(&self, left: char, right: char) -> f32 {
        if let Ok(cache) = self.kerning.read()
            && let Some(k) = cache.get(&(left, right))
        {
            return *k;
        }
        let k = self.shape_pair(left, right);
        if let Ok(mut cache) = self.kerning.write() {
            cache.insert((left, right), k);
        }
        k
    }

    fn shape_pair(&self, left: char, right: char) -> f32 {
        let Ok(mut shaper) = self.shaper.lock() else {
            return 0.0;
        };
        let Some(font) = shaper.as_mut() else {
            return 0.0;
        };
        let text: String = [left, right].iter().collect();
        let glyphs = font.map_glyphs(&text, tag::LATN, MatchingPresentation::NotRequired);
        let infos = match font.shape(
            glyphs,
            tag::LATN,
            Some(tag::DFLT),
            FeatureMask::empty(),
            &[],
            None,
            true,
        ) {
            Ok(infos) | Err((_, infos)) => infos,
        };
        infos
            .first()
            .map_or(0.0, |info| f32::from(info.kerning) / self.units_per_em)
    }
}

static FACES: LazyLock<Vec<OnceLock<Option<Loaded>>>> =
    LazyLock::new(|| (0..12).map(|_| OnceLock::new()).collect());

/// The face, parsed on first use; `None` only if the bundled font is
/// broken (a test holds them all whole).
pub fn loaded(face: Face) -> Option<&'static Loaded> {
    FACES
        .get(face.index())?
        .get_or_init(|| Loaded::load(face))
        .as_ref()
}

/// The DejaVu faces, measured for the layout.
pub struct DejaVu;

impl DejaVu {
    fn has(face: Face, c: char) -> bool {
        loaded(face).is_some_and(|f| f.glyph(c).is_some())
    }
}

impl Metrics for DejaVu {
    fn face_for(&self, want: Face, c: char) -> Face {
        if DejaVu::has(want, c) {
            return want;
        }
        // DejaVu Sans covers the most; its faces stand in for the others.
        let sans = Face {
            family: Family::Sans,
            ..want
        };
        if DejaVu::has(sans, c) {
            return sans;
        }
        let plain = Face::new(Family::Sans);
        if DejaVu::has(plain, c) {
            return plain;
        }
        want
    }

    fn advance(&self, face: Face, c: char) -> f32 {
        loaded(face).map_or(0.6, |f| f.advance(c))
    }

    fn kern(&self, face: Face, left: char, right: char) -> f32 {
        loaded(face).map_or(0.0, |f| f.kern(left, right))
    }

    fn ascent(&self, face: Face) -> f32 {
        loaded(face).map_or(0.8, |f| f.ascent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Family; 3] = [Family::Sans, Family::Serif, Family::Mono];

    #[test]
    fn every_face_loads_and_draws_latin_greek_and_cyrillic() {
        for family in ALL {
            for (bold, italic) in [(false, false), (true, false), (false, true), (true, true)] {
                let face = Face {
                    family,
                    bold,
                    italic,
                };
                assert!(loaded(face).is_some(), "{face:?}");
                for c in "üłø€–“”ΚαλПривет".chars() {
                    let drawn = DejaVu.face_for(face, c);
                    assert!(DejaVu::has(drawn, c), "{face:?} has no face for {c}");
                }
            }
        }
    }

    #[test]
    fn kerning_comes_from_the_font() {
        let face = Face::new(Family::Sans);
        assert!(DejaVu.kern(face, 'A', 'V') < 0.0);
        assert_eq!(DejaVu.kern(face, 'a', 'b'), 0.0);
    }

    #[test]
    fn resource_names_are_distinct_six_capitals() {
        let names: std::collections::BTreeSet<String> = ALL
            .iter()
            .flat_map(|&family| {
                [(false, false), (true, false), (false, true), (true, true)].map(
                    |(bold, italic)| {
                        Face {
                            family,
                            bold,
                            italic,
                        }
                        .resource_name()
                    },
                )
            })
            .collect();
        assert_eq!(names.len(), 12);
        assert!(
            names
                .iter()
                .all(|n| n.len() == 6 && n.chars().all(|c| c.is_ascii_uppercase()))
        );
    }
}
