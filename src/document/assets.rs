//! Image assets: validated once when they come in, then handed to the
//! renderers by name. A document never reads a file or a URL itself.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The largest image accepted.
pub const MAX_ASSET_BYTES: usize = 5 * 1024 * 1024;
/// The largest width or height accepted, in pixels.
pub const MAX_ASSET_PIXELS: usize = 10_000;

/// The image formats every renderer can embed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
}

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }

    pub fn from_mime(mime: &str) -> Option<ImageFormat> {
        match mime {
            "image/png" => Some(ImageFormat::Png),
            "image/jpeg" => Some(ImageFormat::Jpeg),
            _ => None,
        }
    }
}

/// A checked image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    pub format: ImageFormat,
    pub width_px: usize,
    pub height_px: usize,
    pub bytes: Arc<[u8]>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AssetError {
    #[error("the image is larger than {MAX_ASSET_BYTES} bytes")]
    TooLarge,
    #[error("not a PNG or JPEG image")]
    UnsupportedFormat,
    #[error("the image is damaged: {0}")]
    Damaged(String),
    #[error("the image is {0}×{1} pixels; at most {MAX_ASSET_PIXELS} a side")]
    TooManyPixels(usize, usize),
}

impl Asset {
    /// Checks `bytes` are a PNG or JPEG of sane size, by content, not name.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Asset, AssetError> {
        if bytes.len() > MAX_ASSET_BYTES {
            return Err(AssetError::TooLarge);
        }
        let format = match imagesize::image_type(&bytes) {
            Ok(imagesize::ImageType::Png) => ImageFormat::Png,
            Ok(imagesize::ImageType::Jpeg) => ImageFormat::Jpeg,
            Ok(_) | Err(imagesize::ImageError::NotSupported) => {
                return Err(AssetError::UnsupportedFormat);
            }
            Err(e) => return Err(AssetError::Damaged(e.to_string())),
        };
        let size = imagesize::blob_size(&bytes).map_err(|e| AssetError::Damaged(e.to_string()))?;
        if size.width == 0 || size.height == 0 {
            return Err(AssetError::Damaged("it has no pixels".to_owned()));
        }
        if size.width > MAX_ASSET_PIXELS || size.height > MAX_ASSET_PIXELS {
            return Err(AssetError::TooManyPixels(size.width, size.height));
        }
        // Decoded once in full: a truncated or corrupt file is refused here,
        // not discovered by a renderer.
        let image_format = match format {
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        };
        image::load_from_memory_with_format(&bytes, image_format)
            .map_err(|e| AssetError::Damaged(e.to_string()))?;
        Ok(Asset {
            format,
            width_px: size.width,
            height_px: size.height,
            bytes: bytes.into(),
        })
    }
}

/// Images by name.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    by_name: BTreeMap<String, Asset>,
}

impl Assets {
    /// Checks and adds an image; a name given twice keeps the later image.
    pub fn insert(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), AssetError> {
        let asset = Asset::from_bytes(bytes)?;
        self.by_name.insert(name.to_owned(), asset);
        Ok(())
    }

    /// Adds an image checked before (a stored asset, checked on upload).
    pub fn insert_checked(&mut self, name: &str, asset: Asset) {
        self.by_name.insert(name.to_owned(), asset);
    }

    pub fn get(&self, name: &str) -> Option<&Asset> {
        self.by_name.get(name)
    }

    /// Adds every asset of `other`, which win over ones of the same name.
    pub fn extend(&mut self, other: Assets) {
        self.by_name.extend(other.by_name);
    }
}
