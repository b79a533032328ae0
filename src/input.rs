//! Decoding request input into typed values, with every problem named by the
//! field it is about.

use serde::de::DeserializeOwned;

use crate::error::{Error, FieldErrors};

/// Decodes a JSON body; malformed JSON is a 400, a well-formed body with a
/// field of the wrong shape a 422 naming that field.
pub fn from_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    // Syntax first: a truncated body must read as malformed, not as a body
    // with a wrong field that happened to come before the break.
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::bad_request("body", format!("the body is not valid JSON: {e}")))?;
    from_json_value(value)
}

/// Decodes an already parsed JSON value (a merged PATCH) into `T`.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        field_error(&path, &e.into_inner().to_string())
    })
}

/// Decodes query parameters (all strings) into `T`; a problem is a 400
/// naming the parameter.
pub fn from_query_map<T: DeserializeOwned>(
    map: serde_json::Map<String, serde_json::Value>,
) -> Result<T, Error> {
    from_json_value(serde_json::Value::Object(map)).map_err(|e| match e {
        Error::Validation(fields) => {
            let (field, problem) = fields.first();
            Error::bad_request(field, problem)
        }
        other => other,
    })
}

/// A query parameter holding a whole number (query values arrive as text).
pub fn int_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match <Option<String> as serde::Deserialize>::deserialize(d)? {
        None => Ok(None),
        Some(text) => {
            text.trim().parse().map(Some).map_err(|_| {
                serde::de::Error::custom(format!("must be a whole number, not `{text}`"))
            })
        }
    }
}

/// A query parameter `true` or `false` (query values arrive as text).
pub fn bool_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match <Option<String> as serde::Deserialize>::deserialize(d)?.as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "must be true or false, not `{other}`"
        ))),
    }
}

fn field_error(path: &str, message: &str) -> Error {
    let message = strip_position(message);
    // serde reports a missing or unknown field at the level of the object
    // that should (not) hold it; the field's name is in the message.
    let named = backticked(&message)
        .filter(|_| message.starts_with("missing field") || message.starts_with("unknown field"));
    let field = match named {
        Some(name) if path == "." || path.is_empty() => name.to_owned(),
        Some(name) if path.ends_with(name) => path.to_owned(),
        Some(name) => format!("{path}.{name}"),
        None if !path.is_empty() && path != "." => path.to_owned(),
        None => "body".to_owned(),
    };
    let message = if message.starts_with("missing field") {
        "required".to_owned()
    } else {
        message
    };
    Error::Validation(FieldErrors::one(field, message))
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Takes the `version` a write names out of a PATCH body: required, a
/// positive integer.
pub fn take_version(patch: &mut serde_json::Map<String, serde_json::Value>) -> Result<i64, Error> {
    match patch.remove("version") {
        Some(serde_json::Value::Number(n)) if n.as_i64().is_some_and(|v| v >= 1) => {
            Ok(n.as_i64().unwrap_or_default())
        }
        Some(_) => Err(Error::invalid("version", "must be a positive integer")),
        None => Err(Error::invalid("version", "required")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        name: String,
        count: Option<i64>,
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::Validation(f) => f.first().0,
            Error::BadRequest { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn problems_name_their_field() {
        let e = from_json_bytes::<Probe>(br#"{"name": "x", "count": "many"}"#).unwrap_err();
        assert_eq!(field_of(e), "count");
        let e = from_json_bytes::<Probe>(br#"{"count": 1}"#).unwrap_err();
        assert_eq!(field_of(e), "name");
        let e = from_json_bytes::<Probe>(br#"{"name": "x", "colour": 1}"#).unwrap_err();
        assert_eq!(field_of(e), "colour");
        let e = from_json_bytes::<Probe>(br#"{"name": "#).unwrap_err();
        assert!(matches!(e, Error::BadRequest { .. }));
        assert_eq!(field_of(e), "body");
    }
}
