//! Image assets as PDF image XObjects, built without printpdf's image path
//! (which decodes every image and deflates it again at the best level).
//!
//! A JPEG is embedded as it is. A PNG without transparency is embedded as
//! its own compressed data, which PDF reads with the PNG predictors; any
//! other PNG is decoded once, its alpha channel becoming a soft mask.

use std::collections::BTreeMap;

use printpdf::{DictItem, ExternalStream, ExternalXObject, Px, XObject};

use super::deflate::Deflater;
use crate::document::assets::{Asset, ImageFormat};

/// `asset` as an image XObject; `None` if it cannot be embedded (assets are
/// checked when they come in, so only a damaged one).
pub fn xobject(asset: &Asset, deflater: &mut Deflater) -> Option<XObject> {
    let (width, height) = (asset.width_px, asset.height_px);
    let image = match asset.format {
        ImageFormat::Jpeg => jpeg(&asset.bytes, width, height)?,
        ImageFormat::Png => match png_as_is(&asset.bytes) {
            Some(image) => image,
            None => png_decoded(&asset.bytes, deflater)?,
        },
    };
    Some(XObject::External(ExternalXObject {
        stream: image,
        width: Some(Px(width)),
        height: Some(Px(height)),
        dpi: None,
    }))
}

/// An image stream's dictionary, without its data's filter.
fn image_dict(width: usize, height: usize, space: &str) -> BTreeMap<String, DictItem> {
    let mut dict = BTreeMap::new();
    dict.insert("Type".to_owned(), DictItem::Name(b"XObject".to_vec()));
    dict.insert("Subtype".to_owned(), DictItem::Name(b"Image".to_vec()));
    dict.insert("Width".to_owned(), DictItem::Int(width as i64));
    dict.insert("Height".to_owned(), DictItem::Int(height as i64));
    dict.insert(
        "ColorSpace".to_owned(),
        DictItem::Name(space.as_bytes().to_vec()),
    );
    dict.insert("BitsPerComponent".to_owned(), DictItem::Int(8));
    dict
}

fn stream(mut dict: BTreeMap<String, DictItem>, filter: &str, content: Vec<u8>) -> ExternalStream {
    dict.insert(
        "Filter".to_owned(),
        DictItem::Name(filter.as_bytes().to_vec()),
    );
    ExternalStream {
        dict,
        content,
        compress: false,
    }
}

/// A JPEG embedded as it is (DCT), neither decoded nor compressed again.
fn jpeg(bytes: &[u8], width: usize, height: usize) -> Option<ExternalStream> {
    let space = match jpeg_components(bytes)? {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        4 => "DeviceCMYK",
        _ => return None,
    };
    Some(stream(
        image_dict(width, height, space),
        "DCTDecode",
        bytes.to_vec(),
    ))
}

/// The number of colour components of a JPEG, from its frame header.
fn jpeg_components(b: &[u8]) -> Option<u8> {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return Some(b[i + 9]);
        }
        i += 2 + len;
    }
    None
}

/// An 8-bit, non-interlaced grey or RGB PNG with no transparent colour,
/// embedded with its own zlib data: PDF's FlateDecode with predictor 15
/// reads PNG's filtered scanlines directly.
fn png_as_is(bytes: &[u8]) -> Option<ExternalStream> {
    let mut rest = bytes.strip_prefix(b"\x89PNG\r\n\x1a\n")?;
    let mut header = None;
    let mut data = Vec::new();
    while rest.len() >= 12 {
        let len = u32::from_be_bytes(rest[..4].try_into().ok()?) as usize;
        let kind = &rest[4..8];
        let body = rest.get(8..8 + len)?;
        match kind {
            b"IHDR" if body.len() == 13 => header = Some(body.to_vec()),
            b"IDAT" => data.extend_from_slice(body),
            // A transparent colour key needs a mask: decode instead.
            b"tRNS" => return None,
            b"IEND" => break,
            _ => {}
        }
        rest = rest.get(12 + len..)?;
    }
    let header = header?;
    let width = u32::from_be_bytes(header[0..4].try_into().ok()?) as usize;
    let height = u32::from_be_bytes(header[4..8].try_into().ok()?) as usize;
    let (depth, color_type, interlace) = (header[8], header[9], header[12]);
    let (space, colors) = match color_type {
        0 => ("DeviceGray", 1),
        2 => ("DeviceRGB", 3),
        _ => return None,
    };
    if depth != 8 || interlace != 0 || data.is_empty() {
        return None;
    }
    let mut dict = image_dict(width, height, space);
    let mut parms = BTreeMap::new();
    parms.insert("Predictor".to_owned(), DictItem::Int(15));
    parms.insert("Colors".to_owned(), DictItem::Int(colors));
    parms.insert("BitsPerComponent".to_owned(), DictItem::Int(8));
    parms.insert("Columns".to_owned(), DictItem::Int(width as i64));
    dict.insert("DecodeParms".to_owned(), DictItem::Dict { map: parms });
    Some(stream(dict, "FlateDecode", data))
}

/// Any other PNG, decoded to 8-bit grey or RGB, its alpha (unless wholly
/// opaque) a soft mask.
fn png_decoded(bytes: &[u8], deflater: &mut Deflater) -> Option<ExternalStream> {
    let image = image::load_from_memory_with_format(bytes, image::ImageFormat::Png).ok()?;
    let (width, height) = (image.width() as usize, image.height() as usize);
    let grey = !image.color().has_color();
    let (space, colors, alpha) = match (grey, image.color().has_alpha()) {
        (true, false) => ("DeviceGray", image.into_luma8().into_raw(), None),
        (false, false) => ("DeviceRGB", image.into_rgb8().into_raw(), None),
        (true, true) => ("DeviceGray", image.into_luma_alpha8().into_raw(), Some(1)),
        (false, true) => ("DeviceRGB", image.into_rgba8().into_raw(), Some(3)),
    };
    // Pixels with alpha are split into colour and alpha planes.
    let (colors, alpha) = match alpha {
        None => (colors, None),
        Some(n) => {
            let mut plain = Vec::with_capacity(colors.len() / (n + 1) * n);
            let mut alpha = Vec::with_capacity(colors.len() / (n + 1));
            for pixel in colors.chunks_exact(n + 1) {
                plain.extend_from_slice(&pixel[..n]);
                alpha.push(pixel[n]);
            }
            (plain, Some(alpha))
        }
    };
    let mut dict = image_dict(width, height, space);
    if let Some(alpha) = alpha.filter(|a| a.iter().any(|&v| v != u8::MAX)) {
        let mask = stream(
            image_dict(width, height, "DeviceGray"),
            "FlateDecode",
            deflater.deflate(&alpha)?,
        );
        dict.insert("SMask".to_owned(), DictItem::Stream { stream: mask });
    }
    Some(stream(dict, "FlateDecode", deflater.deflate(&colors)?))
}
