//! Create, read, list, patch and delete for every CRM collection, from one
//! generic implementation.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, PageBody, RawJson, RawPage, created};
use crate::auth::Actor;
use crate::crm::{self, ListParams, Resource};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::{ApiJson, ListArgs, PathId};

type Patch = serde_json::Map<String, serde_json::Value>;

pub(super) async fn list<R: Resource>(
    store: Store,
    actor: Actor,
    args: ListArgs<R::Filter>,
) -> Result<RawPage, Error> {
    Ok(crm::list::<R>(&store, &actor, &args.params, &args.filter)
        .await?
        .into())
}

pub(super) async fn create<R: Resource>(
    store: Store,
    actor: Actor,
    input: R::Input,
    collection: &str,
) -> Result<(StatusCode, HeaderMap, Json<R>), Error> {
    // The typed record is what was written; reading it back could show a
    // later write. Its JSON equals what GET renders (tests hold them equal).
    let record = crm::create::<R>(&store, &actor, input).await?;
    let path = format!("{collection}/{}", record.meta().id);
    Ok(created(&path, record))
}

/// Declares the five handlers of one collection, with their OpenAPI
/// descriptions, and a `routes()` that mounts them.
macro_rules! collection {
    ($module:ident, $record:ty, $input:ty, $filter:ty, $tag:tt, $collection:tt, $item:tt) => {
        mod $module {
            use super::*;

            #[utoipa::path(get, path = $collection, tag = $tag,
                params(ListParams, $filter),
                responses((status = 200, body = PageBody<$record>), (status = 400, body = ErrorBody)))]
            pub async fn list_records(
                State(store): State<Store>,
                actor: Actor,
                args: ListArgs<$filter>,
            ) -> Result<RawPage, Error> {
                list::<$record>(store, actor, args).await
            }

            #[utoipa::path(post, path = $collection, tag = $tag, request_body = $input,
                responses((status = 201, body = $record), (status = 409, body = ErrorBody),
                          (status = 422, body = ErrorBody)))]
            pub async fn create_record(
                State(store): State<Store>,
                actor: Actor,
                ApiJson(input): ApiJson<$input>,
            ) -> Result<(StatusCode, HeaderMap, Json<$record>), Error> {
                create::<$record>(store, actor, input, $collection).await
            }

            #[utoipa::path(get, path = $item, tag = $tag,
                params(("id" = String, Path, format = Uuid)),
                responses((status = 200, body = $record), (status = 404, body = ErrorBody)))]
            pub async fn get_record(
                State(store): State<Store>,
                actor: Actor,
                PathId(id): PathId,
            ) -> Result<RawJson, Error> {
                Ok(RawJson(crm::get_json::<$record>(&store, &actor, id).await?))
            }

            /// Absent fields are unchanged, `null` clears; `version` is required.
            #[utoipa::path(patch, path = $item, tag = $tag,
                params(("id" = String, Path, format = Uuid)),
                request_body(content = $input, description = "the fields to change, plus the `version` read"),
                responses((status = 200, body = $record), (status = 404, body = ErrorBody),
                          (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
            pub async fn patch_record(
                State(store): State<Store>,
                actor: Actor,
                PathId(id): PathId,
                ApiJson(patch): ApiJson<Patch>,
            ) -> Result<Json<$record>, Error> {
                Ok(Json(crm::update::<$record>(&store, &actor, id, patch).await?))
            }

            #[utoipa::path(delete, path = $item, tag = $tag,
                params(("id" = String, Path, format = Uuid)),
                responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
            pub async fn delete_record(
                State(store): State<Store>,
                actor: Actor,
                PathId(id): PathId,
            ) -> Result<StatusCode, Error> {
                crm::delete::<$record>(&store, &actor, id).await?;
                Ok(StatusCode::NO_CONTENT)
            }

            pub fn routes() -> OpenApiRouter<AppState> {
                OpenApiRouter::new()
                    .routes(routes!(list_records, create_record))
                    .routes(routes!(get_record, patch_record, delete_record))
            }
        }
    };
}

use crate::brand::themes::{StoredTheme, ThemeFilter, ThemeInput};
use crate::catalog::price_books::{PriceBook, PriceBookFilter, PriceBookInput};
use crate::catalog::products::{Product, ProductFilter, ProductInput};
use crate::clauses::{Clause, ClauseFilter, ClauseInput};
use crate::crm::accounts::{Account, AccountFilter, AccountInput};
use crate::crm::activities::{Activity, ActivityFilter, ActivityInput};
use crate::crm::contacts::{Contact, ContactFilter, ContactInput};
use crate::crm::deals::{Deal, DealFilter, DealInput};
use crate::crm::profiling::{Question, QuestionFilter, QuestionInput};
use crate::segments::{Segment, SegmentFilter, SegmentInput};
use crate::templates::store::{Template, TemplateFilter, TemplateInput};

collection!(
    accounts,
    Account,
    AccountInput,
    AccountFilter,
    "accounts",
    "/accounts",
    "/accounts/{id}"
);
collection!(
    contacts,
    Contact,
    ContactInput,
    ContactFilter,
    "contacts",
    "/contacts",
    "/contacts/{id}"
);
collection!(
    deals,
    Deal,
    DealInput,
    DealFilter,
    "deals",
    "/deals",
    "/deals/{id}"
);
collection!(
    activities,
    Activity,
    ActivityInput,
    ActivityFilter,
    "activities",
    "/activities",
    "/activities/{id}"
);
collection!(
    questions,
    Question,
    QuestionInput,
    QuestionFilter,
    "profiling",
    "/profile-questions",
    "/profile-questions/{id}"
);

collection!(
    templates,
    Template,
    TemplateInput,
    TemplateFilter,
    "templates",
    "/templates",
    "/templates/{id}"
);

collection!(
    themes,
    StoredTheme,
    ThemeInput,
    ThemeFilter,
    "themes",
    "/themes",
    "/themes/{id}"
);

collection!(
    products,
    Product,
    ProductInput,
    ProductFilter,
    "catalog",
    "/products",
    "/products/{id}"
);

collection!(
    price_books,
    PriceBook,
    PriceBookInput,
    PriceBookFilter,
    "catalog",
    "/price-books",
    "/price-books/{id}"
);

collection!(
    clauses,
    Clause,
    ClauseInput,
    ClauseFilter,
    "clauses",
    "/clauses",
    "/clauses/{id}"
);

collection!(
    segments,
    Segment,
    SegmentInput,
    SegmentFilter,
    "batches",
    "/segments",
    "/segments/{id}"
);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(clauses::routes())
        .merge(segments::routes())
        .merge(products::routes())
        .merge(price_books::routes())
        .merge(templates::routes())
        .merge(themes::routes())
        .merge(accounts::routes())
        .merge(contacts::routes())
        .merge(deals::routes())
        .merge(activities::routes())
        .merge(questions::routes())
}
