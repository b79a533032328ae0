//! Image assets: uploaded once, checked by their content, kept for good.
//!
//! Each upload of a name is that name's next version (1, 2, …); a version
//! never changes and is never deleted (the database refuses both), so a
//! document records the versions it showed and can be made again with
//! them. Templates and themes name an asset (`![Logo](acme-logo.png)`) and
//! get its newest version.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::ListParams;
use crate::digest::sha256_hex;
use crate::document::Assets;
use crate::document::assets::{Asset, AssetError, ImageFormat, MAX_ASSET_BYTES};
use crate::error::Error;
use crate::store::records::{self, Filters, JsonPage, Meta, Record};
use crate::store::{Id, Sql, Store, StoreError, Tx, Value};

/// The longest asset name.
pub const NAME_MAX: usize = 100;

/// One uploaded version of an asset; its bytes are at `…/content`.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct StoredAsset {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// What templates and themes call it, such as `acme-logo.png`.
    pub name: String,
    /// This upload's version of the name: 1, 2, …
    pub number: i64,
    /// `image/png` or `image/jpeg`, read from the bytes.
    pub content_type: String,
    pub width_px: i64,
    pub height_px: i64,
    pub size_bytes: i64,
    /// The SHA-256 of the bytes, in hex.
    pub sha256: String,
    pub uploaded_by: Id,
}

impl Record for StoredAsset {
    const TABLE: &'static str = "assets";
    const ENTITY: &'static str = "asset";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("name", self.name.clone().into()),
            ("number", self.number.into()),
            ("content_type", self.content_type.clone().into()),
            ("width_px", self.width_px.into()),
            ("height_px", self.height_px.into()),
            ("size_bytes", self.size_bytes.into()),
            ("sha256", self.sha256.clone().into()),
            ("uploaded_by", self.uploaded_by.into()),
        ]
    }

    fn search_text(&self) -> String {
        self.name.clone()
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetFilter {
    /// Every version of this name.
    pub name: Option<String>,
}

/// Checks an asset name: letters, digits, `.`, `-` and `_`, not starting
/// with a dot, so a name is never a path.
pub fn check_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    let problem = if name.is_empty() {
        Some("required".to_owned())
    } else if name.chars().count() > NAME_MAX {
        Some(format!("must be at most {NAME_MAX} characters"))
    } else if name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Some("may hold only letters, digits, `.`, `-` and `_`, and not start with `.`".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::invalid("name", problem)),
        None => Ok(name.to_owned()),
    }
}

/// Checks and stores `bytes` as the next version of asset `name`.
pub async fn upload(
    store: &Store,
    actor: &Actor,
    name: &str,
    bytes: Vec<u8>,
) -> Result<StoredAsset, Error> {
    policy::allow(actor, Action::WriteTemplates)?;
    let name = check_name(name)?;
    let mut tx = store.begin().await?;
    let asset = match insert(&mut tx, &name, bytes, actor.user_id).await {
        Err(Error::Store(StoreError::Unique(_))) => {
            return Err(Error::conflict(format!(
                "another version of `{name}` was uploaded at the same moment; upload again"
            )));
        }
        other => other?,
    };
    audit::record_change(&mut tx, actor, None, Some(&asset), Default::default()).await?;
    tx.commit().await?;
    Ok(asset)
}

/// Checks `bytes` and stores them as the next version of `name`.
pub(super) async fn insert(
    tx: &mut Tx,
    name: &str,
    bytes: Vec<u8>,
    by: Id,
) -> Result<StoredAsset, Error> {
    let size = bytes.len();
    let checked = Asset::from_bytes(bytes).map_err(|e| match e {
        AssetError::TooLarge => Error::PayloadTooLarge(format!(
            "the image is {size} bytes; an asset may have at most {MAX_ASSET_BYTES}"
        )),
        other => Error::invalid("file", other.to_string()),
    })?;
    let mut next = Sql::new("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM assets WHERE name = ");
    next.bind(name);
    let number = tx
        .fetch_optional::<crate::store::Count>(&next)
        .await?
        .map_or(1, |c| c.n);
    let asset = StoredAsset {
        meta: Meta::new(None),
        name: name.to_owned(),
        number,
        content_type: checked.format.mime().to_owned(),
        width_px: checked.width_px as i64,
        height_px: checked.height_px as i64,
        size_bytes: size as i64,
        sha256: sha256_hex(&checked.bytes),
        uploaded_by: by,
    };
    records::insert(tx, &asset).await?;
    let mut content = Sql::new("INSERT INTO asset_contents (asset_id, bytes) VALUES (");
    content
        .bind(asset.meta.id)
        .push(", ")
        .bind(checked.bytes.to_vec())
        .push(")");
    tx.execute(&content).await?;
    Ok(asset)
}

/// A page of uploaded versions, oldest first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
    filter: &AssetFilter,
) -> Result<JsonPage, Error> {
    policy::allow(actor, Action::ReadCatalog)?;
    let mut query = params.query(false)?;
    query.filters = Filters::new().eq("name", filter.name.clone()).build();
    Ok(records::list::<StoredAsset>(store, &query).await?)
}

pub async fn get(store: &Store, actor: &Actor, id: Id) -> Result<StoredAsset, Error> {
    policy::allow(actor, Action::ReadCatalog)?;
    records::get::<StoredAsset>(store, id)
        .await?
        .ok_or_else(|| Error::not_found("asset", id))
}

#[derive(sqlx::FromRow)]
struct Content {
    bytes: Vec<u8>,
}

/// An uploaded version and its bytes.
pub async fn content(
    store: &Store,
    actor: &Actor,
    id: Id,
) -> Result<(StoredAsset, Vec<u8>), Error> {
    let asset = get(store, actor, id).await?;
    let mut sql = Sql::new("SELECT bytes FROM asset_contents WHERE asset_id = ");
    sql.bind(id);
    let content = store
        .fetch_optional::<Content>(&sql)
        .await?
        .ok_or_else(|| Error::Internal(format!("asset {id} has no content")))?;
    Ok((asset, content.bytes))
}

/// Whether an asset of this name exists.
pub(super) async fn exists(tx: &mut Tx, name: &str) -> Result<bool, Error> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM assets WHERE name = ");
    sql.bind(name);
    Ok(tx
        .fetch_optional::<crate::store::Count>(&sql)
        .await?
        .is_some_and(|c| c.n > 0))
}

/// An asset version a document showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UsedAsset {
    pub id: Id,
    pub name: String,
    pub number: i64,
    pub sha256: String,
}

#[derive(sqlx::FromRow)]
struct WithBytes {
    id: Id,
    name: String,
    number: i64,
    sha256: String,
    content_type: String,
    width_px: i64,
    height_px: i64,
    bytes: Vec<u8>,
}

const WITH_BYTES: &str = "SELECT a.id AS id, a.name AS name, a.number AS number, \
     a.sha256 AS sha256, a.content_type AS content_type, a.width_px AS width_px, \
     a.height_px AS height_px, c.bytes AS bytes \
     FROM assets a JOIN asset_contents c ON c.asset_id = a.id WHERE ";

/// The newest version of each asset of `names` that exists, for the
/// renderers, and which versions they are.
pub async fn newest(
    store: &Store,
    names: impl IntoIterator<Item = &str>,
) -> Result<(Assets, Vec<UsedAsset>), Error> {
    let mut rows = Vec::new();
    for name in names {
        let mut sql = Sql::new(WITH_BYTES);
        sql.push("a.name = ")
            .bind(name)
            .push(" ORDER BY a.number DESC LIMIT 1");
        rows.extend(store.fetch_optional::<WithBytes>(&sql).await?);
    }
    loaded(rows)
}

/// Exactly the asset versions `used`, for the renderers.
pub async fn exactly(store: &Store, used: &[UsedAsset]) -> Result<Assets, Error> {
    let mut rows = Vec::new();
    for asset in used {
        let mut sql = Sql::new(WITH_BYTES);
        sql.push("a.id = ").bind(asset.id);
        rows.push(
            store
                .fetch_optional::<WithBytes>(&sql)
                .await?
                .ok_or_else(|| Error::Internal(format!("asset {} is missing", asset.id)))?,
        );
    }
    Ok(loaded(rows)?.0)
}

fn loaded(rows: Vec<WithBytes>) -> Result<(Assets, Vec<UsedAsset>), Error> {
    let mut assets = Assets::default();
    let mut used = Vec::new();
    for row in rows {
        // Checked in full when uploaded, and never changed since.
        let format = ImageFormat::from_mime(&row.content_type).ok_or_else(|| {
            Error::Internal(format!("stored asset {} is {}", row.id, row.content_type))
        })?;
        assets.insert_checked(
            &row.name,
            Asset {
                format,
                width_px: usize::try_from(row.width_px).unwrap_or_default(),
                height_px: usize::try_from(row.height_px).unwrap_or_default(),
                bytes: row.bytes.into(),
            },
        );
        used.push(UsedAsset {
            id: row.id,
            name: row.name,
            number: row.number,
            sha256: row.sha256,
        });
    }
    Ok((assets, used))
}
