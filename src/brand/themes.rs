//! Themes, stored: a key (what a template's front matter names, `theme:
//! acme`) and the look as `render --theme` reads it from JSON.
//!
//! A theme record is edited like any other; every state it is saved in is
//! also kept as a numbered theme version that never changes, even after
//! the theme is deleted, so a document made with it can be made again.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::assets;
use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::crm::validate::Check;
use crate::crm::{self, Resource};
use crate::document::Theme;
use crate::error::{Error, FieldErrors};
use crate::store::records::{self, Filter, Filters, Meta, Record};
use crate::store::{Id, JsonText, Sql, Store, Timestamp, Tx, Value};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct StoredTheme {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// What a template's front matter names; never changes.
    pub key: String,
    /// `name`, `paper`, `margins_mm`, `fonts`, `base_size_pt`, `justify`,
    /// `colors`, `logo` (an asset name), `header` and `footer`.
    #[schema(value_type = Object)]
    pub theme: JsonText<Theme>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemeInput {
    pub id: Option<Id>,
    pub key: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub theme: Option<Theme>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThemeFilter {
    pub key: Option<String>,
}

impl Record for StoredTheme {
    const TABLE: &'static str = "themes";
    const ENTITY: &'static str = "theme";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("key", self.key.clone().into()),
            ("theme", Value::from(&self.theme)),
        ]
    }

    fn search_text(&self) -> String {
        format!("{} {}", self.key, self.theme.0.name)
    }
}

impl Resource for StoredTheme {
    type Input = ThemeInput;
    type Filter = ThemeFilter;

    const READ: Action = Action::ReadCatalog;
    const CREATE: Action = Action::WriteTemplates;
    const CHANGE: Action = Action::WriteTemplates;

    fn input_id(input: &ThemeInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: ThemeInput,
        meta: Meta,
        current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let current_key = current.map(|t| t.key.as_str());
        let key = c.fixed_slug(
            "key",
            input.key,
            current_key,
            "templates name the theme by it",
        );
        let theme = c.required("theme", input.theme);
        if let Some(theme) = &theme {
            for (field, problem) in theme.problems() {
                c.errors.add(format!("theme.{field}"), problem);
            }
        }
        c.finish()?;
        Ok(StoredTheme {
            meta,
            key,
            theme: JsonText(theme.ok_or_else(|| FieldErrors::one("theme", "required"))?),
        })
    }

    fn to_input(&self) -> ThemeInput {
        ThemeInput {
            id: Some(self.meta.id),
            key: Some(self.key.clone()),
            theme: Some(self.theme.0.clone()),
        }
    }

    fn filters(f: &ThemeFilter) -> Vec<Filter> {
        Filters::new().eq("key", f.key.clone()).build()
    }

    async fn prepare(&mut self, tx: &mut Tx, _current: Option<&Self>) -> Result<(), Error> {
        crm::check_unique(tx, "themes", "key", &self.key, self.meta.id, "a theme").await?;
        if let Some(logo) = &self.theme.0.logo
            && !assets::exists(tx, logo).await?
        {
            return Err(Error::invalid(
                "theme.logo",
                format!("there is no asset `{logo}`; upload it to /api/v1/assets first"),
            ));
        }
        Ok(())
    }

    async fn after_write(
        &self,
        tx: &mut Tx,
        _previous: Option<&Self>,
        actor: &Actor,
    ) -> Result<(), Error> {
        save_version(tx, self, actor.user_id).await
    }
}

/// Stores a new theme and its first version, outside the API (seeding).
pub(super) async fn insert(tx: &mut Tx, theme: &StoredTheme, by: Id) -> Result<(), Error> {
    records::insert(tx, theme).await?;
    save_version(tx, theme, by).await
}

/// Keeps the theme as saved now as its version of the record's number.
async fn save_version(tx: &mut Tx, theme: &StoredTheme, by: Id) -> Result<(), Error> {
    let mut sql = Sql::new(
        "INSERT INTO theme_versions (id, theme_id, key, number, theme, saved_at, saved_by) VALUES (",
    );
    sql.bind(Id::new())
        .push(", ")
        .bind(theme.meta.id)
        .push(", ")
        .bind(theme.key.as_str())
        .push(", ")
        .bind(theme.meta.version)
        .push(", ")
        .bind(Value::from(&theme.theme))
        .push(", ")
        .bind(Timestamp::now())
        .push(", ")
        .bind(by)
        .push(")");
    tx.execute(&sql).await?;
    Ok(())
}

/// One saved state of a theme: what a document made with it looked like.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct ThemeVersion {
    pub id: Id,
    pub theme_id: Id,
    pub key: String,
    /// The theme record's `version` when it was saved.
    pub number: i64,
    #[schema(value_type = Object)]
    pub theme: JsonText<Theme>,
    pub saved_at: Timestamp,
    pub saved_by: Id,
}

/// Theme `id`'s saved versions, newest first.
pub async fn versions(store: &Store, actor: &Actor, id: Id) -> Result<Vec<ThemeVersion>, Error> {
    crm::get_checked::<StoredTheme>(store, actor, id).await?;
    let mut sql = Sql::new("SELECT * FROM theme_versions WHERE theme_id = ");
    sql.bind(id).push(" ORDER BY number DESC");
    Ok(store.fetch_all::<ThemeVersion>(&sql).await?)
}

/// The theme with key `key` as it is now: what a new document uses.
pub async fn current(store: &Store, key: &str) -> Result<ThemeVersion, Error> {
    let mut sql = Sql::new(
        "SELECT v.* FROM theme_versions v JOIN themes t \
         ON v.theme_id = t.id AND v.number = t.version WHERE t.key = ",
    );
    sql.bind(key);
    store
        .fetch_optional::<ThemeVersion>(&sql)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "theme",
                format!("the template asks for the theme `{key}`, which does not exist"),
            )
        })
}

/// A saved theme version by id: what a document was made with.
pub async fn version(store: &Store, id: Id) -> Result<ThemeVersion, Error> {
    let mut sql = Sql::new("SELECT * FROM theme_versions WHERE id = ");
    sql.bind(id);
    store
        .fetch_optional::<ThemeVersion>(&sql)
        .await?
        .ok_or_else(|| Error::Internal(format!("theme version {id} is missing")))
}
