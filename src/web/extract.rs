//! Extractors that answer every rejection in the API's JSON error shape,
//! naming the field, instead of axum's plain-text defaults.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Multipart, RawPathParams, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::auth::{Actor, sessions};
use crate::crm::ListParams;
use crate::error::Error;
use crate::input;
use crate::store::{Id, Store};

/// Bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A JSON body decoded into `T`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let bytes = body_of(req, state, |mime| {
            mime == "application/json" || mime.ends_with("+json")
        })
        .await
        .map_err(|e| {
            e.unwrap_or_else(|| {
                Error::UnsupportedMediaType(
                    "send the body as JSON with `Content-Type: application/json`".to_owned(),
                )
            })
        })?;
        input::from_json_bytes(&bytes).map(ApiJson)
    }
}

/// A CSV body (`text/csv`), as UTF-8 text.
pub struct CsvBody(pub String);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let bytes = body_of(req, state, |mime| mime == "text/csv")
            .await
            .map_err(|e| {
                e.unwrap_or_else(|| {
                    Error::UnsupportedMediaType(
                        "send the file as CSV with `Content-Type: text/csv`".to_owned(),
                    )
                })
            })?;
        String::from_utf8(bytes.to_vec())
            .map(CsvBody)
            .map_err(|_| Error::bad_request("body", "the file is not UTF-8 text"))
    }
}

/// The body of `req` if its content type passes `accepts`; `Err(None)`
/// when it does not.
async fn body_of<S: Send + Sync>(
    req: Request,
    state: &S,
    accepts: impl Fn(&str) -> bool,
) -> Result<Bytes, Option<Error>> {
    let accepted = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| accepts(&mime.trim().to_ascii_lowercase()));
    if !accepted {
        return Err(None);
    }
    Bytes::from_request(req, state).await.map_err(|e| {
        Some(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge(format!("the body is larger than {BODY_LIMIT} bytes"))
        } else {
            Error::bad_request("body", e.body_text())
        })
    })
}

/// Bodies of image uploads may be this large: room for the largest image
/// and the form around it.
pub const UPLOAD_LIMIT: usize = crate::document::assets::MAX_ASSET_BYTES + 64 * 1024;

/// A `multipart/form-data` upload: the one `file` part, its file name, and
/// the text parts by name.
pub struct Upload {
    pub file: Vec<u8>,
    pub file_name: Option<String>,
    pub fields: std::collections::BTreeMap<String, String>,
}

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let limit = |e: &dyn std::fmt::Display| {
            Error::PayloadTooLarge(format!("the upload is too large: {e}"))
        };
        let mut multipart = Multipart::from_request(req, state).await.map_err(|_| {
            Error::UnsupportedMediaType(
                "send the upload as `multipart/form-data` with a `file` part".to_owned(),
            )
        })?;
        let mut file = None;
        let mut fields = std::collections::BTreeMap::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(limit(&e)),
                Err(e) => return Err(Error::bad_request("body", e.body_text())),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        limit(&e)
                    } else {
                        Error::bad_request("file", e.body_text())
                    }
                })?;
                if file.replace((bytes.to_vec(), file_name)).is_some() {
                    return Err(Error::invalid("file", "send one file"));
                }
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| Error::bad_request(name.clone(), e.body_text()))?;
                fields.insert(name, text);
            }
        }
        let (file, file_name) = file.ok_or_else(|| Error::invalid("file", "required"))?;
        Ok(Upload {
            file,
            file_name,
            fields,
        })
    }
}

/// The parameters of the request path, as they came.
async fn path_params<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<RawPathParams, Error> {
    RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| Error::bad_request("path", e.body_text()))
}

/// The ids in the request path, in order, each checked to be a UUID.
pub struct PathIds(pub Vec<Id>);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        path_params(parts, state)
            .await?
            .iter()
            .map(|(name, value)| {
                value
                    .parse::<Id>()
                    .map_err(|_| Error::bad_request(name, format!("`{value}` is not a UUID")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(PathIds)
    }
}

/// The one id in the request path.
pub struct PathId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let PathIds(ids) = PathIds::from_request_parts(parts, state).await?;
        ids.first()
            .copied()
            .map(PathId)
            .ok_or_else(|| Error::bad_request("id", "missing"))
    }
}

/// The one parameter in the request path as text: a key where a record
/// may be named by key or id.
pub struct PathText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        path_params(parts, state)
            .await?
            .iter()
            .next()
            .map(|(_, value)| PathText(value.to_owned()))
            .ok_or_else(|| Error::bad_request("id", "missing"))
    }
}

/// A list's paging, search and sync parameters, and its filters `F`. An
/// unknown parameter is refused, so a typo never silently widens a list.
pub struct ListArgs<F> {
    pub params: ListParams,
    pub filter: F,
}

impl<S: Send + Sync, F: DeserializeOwned> FromRequestParts<S> for ListArgs<F> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let mut map = query_map(parts)?;
        let params = ListParams::take_from(&mut map)?;
        let filter = input::from_query_map(map)?;
        Ok(ListArgs { params, filter })
    }
}

/// The query parameters, each at most once.
fn query_map(parts: &Parts) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map_err(|e| Error::bad_request("query", e.to_string()))?;
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        if map.contains_key(&k) {
            return Err(Error::bad_request(k, "is given more than once"));
        }
        map.insert(k, serde_json::Value::String(v));
    }
    Ok(map)
}

/// Query parameters decoded into `T`; a missing, unknown or malformed one
/// is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        Ok(ApiQuery(input::from_query_map(query_map(parts)?)?))
    }
}

/// The signed-in user, from `Authorization: Bearer TOKEN` or the session
/// cookie; anything else is 401.
impl<S: Send + Sync> FromRequestParts<S> for Actor
where
    Store: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let cookie = || cookie(&parts.headers, sessions::COOKIE);
        match bearer.or_else(cookie) {
            Some(token) if !token.is_empty() => {
                let mut actor = sessions::authenticate(&Store::from_ref(state), token).await?;
                // A client may bring its own id; the log keeps a sane one.
                actor.request_id = parts
                    .headers
                    .get(crate::web::REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .filter(|id| id.len() <= 128)
                    .map(str::to_owned);
                Ok(actor)
            }
            _ => Err(Error::Unauthorized(
                "sign in first: send `Authorization: Bearer TOKEN` or the session cookie"
                    .to_owned(),
            )),
        }
    }
}

/// The value of cookie `name` in a request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}
