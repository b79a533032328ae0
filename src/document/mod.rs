//! Documents without the CRM: the model every renderer draws, the Markdown
//! reader that builds it, the themes that style it and the image assets it
//! names.

pub mod assets;
pub mod markdown;
pub mod model;
pub mod theme;

pub use assets::{Asset, AssetError, Assets};
pub use model::*;
pub use theme::Theme;
