//! Brand material marketing keeps in the database: image assets and
//! themes. Documents take their look and their pictures from here, never
//! from files; what they used is recorded by version, and neither ever
//! changes once saved, so a document can be made again exactly.

pub mod assets;
pub mod themes;

use crate::auth::SYSTEM_USER_ID;
use crate::document::Theme;
use crate::error::Error;
use crate::store::records::Meta;
use crate::store::{JsonText, Store};

/// Gives a new database the built-in themes and their logos.
pub async fn seed(store: &Store) -> Result<(), Error> {
    if store.is_empty("assets").await? {
        let mut tx = store.begin().await?;
        for (name, bytes) in Theme::BUILTIN_LOGOS {
            assets::insert(&mut tx, name, bytes.to_vec(), SYSTEM_USER_ID).await?;
        }
        tx.commit().await?;
    }
    if store.is_empty("themes").await? {
        let mut tx = store.begin().await?;
        for key in Theme::BUILTIN {
            let theme = Theme::builtin(key)
                .ok_or_else(|| Error::Internal(format!("the built-in theme {key} is broken")))?;
            let stored = themes::StoredTheme {
                meta: Meta::new(None),
                key: key.to_owned(),
                theme: JsonText(theme),
            };
            themes::insert(&mut tx, &stored, SYSTEM_USER_ID).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
