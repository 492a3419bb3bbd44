//! Reads the secrets document. Every section and field is checked by hand before serde sees
//! it, because serde's own messages quote the offending value (`invalid type: string "..."`
//! would print a private key). Errors name the section, the field and the JSON type found.

use serde_json::Value;

use super::{Secrets, SecretsError};

#[derive(Clone, Copy)]
enum Kind {
    /// A non-empty string.
    Required,
    /// A string, null or absent.
    Optional,
    /// A non-empty string or an integer (read as its decimal text).
    ChatId,
}

const SECTIONS: &str = "\"backend\", \"google\" and \"telegram\"";

const BACKEND: &[(&str, Kind)] = &[
    ("base_url", Kind::Optional),
    ("email", Kind::Required),
    ("password", Kind::Required),
];

const TELEGRAM: &[(&str, Kind)] = &[("bot_token", Kind::Required), ("chat_id", Kind::ChatId)];

/// The fields yup-oauth2 reads from a service-account key. Others (Google adds some, such as
/// `universe_domain`) are allowed and ignored.
const GOOGLE: &[(&str, Kind)] = &[
    ("type", Kind::Optional),
    ("project_id", Kind::Optional),
    ("private_key_id", Kind::Optional),
    ("private_key", Kind::Required),
    ("client_email", Kind::Required),
    ("client_id", Kind::Optional),
    ("auth_uri", Kind::Optional),
    ("token_uri", Kind::Required),
    ("auth_provider_x509_cert_url", Kind::Optional),
    ("client_x509_cert_url", Kind::Optional),
];

/// Parses the document read from `origin` ("secrets file x.json", "secret ID in AWS Secrets
/// Manager"). The `google` section may be the key as a JSON object or as a string holding the
/// key's JSON text; every other section must be an object.
pub fn parse(text: &str, origin: &str) -> Result<Secrets, SecretsError> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| SecretsError::Malformed {
        origin: origin.to_owned(),
        problem: syntax_problem(&e),
    })?;
    let Value::Object(sections) = &mut doc else {
        return Err(invalid(
            origin,
            "the document".to_owned(),
            format!(
                "must be a JSON object with {SECTIONS} sections; it is {}",
                json_type(&doc)
            ),
        ));
    };
    if let Some(name) = sections
        .keys()
        .find(|k| !matches!(k.as_str(), "backend" | "google" | "telegram"))
    {
        return Err(invalid(
            origin,
            format!("section {}", shown_name(name)),
            format!("is not known; the sections are {SECTIONS}"),
        ));
    }
    if let Some(section) = sections.get_mut("backend") {
        check_section(origin, "backend", section, BACKEND, false)?;
    }
    if let Some(section) = sections.get_mut("google") {
        unwrap_google_string(origin, section)?;
        check_section(origin, "google", section, GOOGLE, true)?;
    }
    if let Some(section) = sections.get_mut("telegram") {
        check_section(origin, "telegram", section, TELEGRAM, false)?;
    }
    // Every field serde reads has been checked, so this cannot fail on a value; its message is
    // dropped anyway in case it ever does.
    serde_json::from_value(doc).map_err(|_| {
        invalid(
            origin,
            "the document".to_owned(),
            "could not be read although its fields have the expected types".to_owned(),
        )
    })
}

/// `{"google": "{\"type\": \"service_account\", ...}"}` becomes the object itself.
fn unwrap_google_string(origin: &str, section: &mut Value) -> Result<(), SecretsError> {
    let Value::String(text) = section else {
        return Ok(());
    };
    let place = || "section \"google\"".to_owned();
    let inner: Value = serde_json::from_str(text).map_err(|e| {
        invalid(
            origin,
            place(),
            format!(
                "is a string but not the JSON text of a service-account key ({}); give the key \
                 as a JSON object or as its JSON text in a string",
                syntax_problem(&e)
            ),
        )
    })?;
    if !inner.is_object() {
        return Err(invalid(
            origin,
            place(),
            format!(
                "is a string holding {}, not a service-account key object",
                json_type(&inner)
            ),
        ));
    }
    *section = inner;
    Ok(())
}

/// A null section counts as absent. `open` sections accept fields not listed.
fn check_section(
    origin: &str,
    section: &str,
    value: &mut Value,
    fields: &[(&str, Kind)],
    open: bool,
) -> Result<(), SecretsError> {
    let found = json_type(value);
    let map = match value {
        Value::Null => return Ok(()),
        Value::Object(map) => map,
        _ => {
            let expected = if section == "google" {
                "must be the service-account key, as a JSON object or as a string holding its \
                 JSON text"
                    .to_owned()
            } else {
                format!("must be a JSON object with {}", field_list(fields, false))
            };
            return Err(invalid(
                origin,
                format!("section \"{section}\""),
                format!("{expected}; it is {found}"),
            ));
        }
    };
    if !open
        && let Some(name) = map
            .keys()
            .find(|k| !fields.iter().any(|(name, _)| name == k))
    {
        return Err(invalid(
            origin,
            format!("section \"{section}\""),
            format!(
                "has an unknown field {}; its fields are {}",
                shown_name(name),
                field_list(fields, true)
            ),
        ));
    }
    for &(name, kind) in fields {
        let place = || format!("field \"{section}.{name}\"");
        let Some(field) = map.get_mut(name) else {
            if matches!(kind, Kind::Optional) {
                continue;
            }
            return Err(invalid(origin, place(), "is missing".to_owned()));
        };
        match (kind, &*field) {
            (Kind::Optional, Value::Null | Value::String(_)) => {}
            (Kind::Required | Kind::ChatId, Value::String(s)) if s.trim().is_empty() => {
                return Err(invalid(origin, place(), "is empty".to_owned()));
            }
            (Kind::Required | Kind::ChatId, Value::String(_)) => {}
            (Kind::ChatId, Value::Number(n)) if n.is_i64() || n.is_u64() => {
                *field = Value::String(n.to_string());
            }
            (_, other) => {
                let expected = match kind {
                    Kind::Required => "a non-empty string",
                    Kind::Optional => "a string",
                    Kind::ChatId => "a string or an integer",
                };
                return Err(invalid(
                    origin,
                    place(),
                    format!("must be {expected}; it is {}", json_type(other)),
                ));
            }
        }
    }
    Ok(())
}

fn invalid(origin: &str, place: String, problem: String) -> SecretsError {
    SecretsError::Invalid {
        origin: origin.to_owned(),
        place,
        problem,
    }
}

/// serde_json's syntax and end-of-input messages name a position and an expected token, never
/// the input; any other kind (none is expected when parsing into a `Value`) is not shown.
fn syntax_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => e.to_string(),
        Category::Io | Category::Data => {
            format!("unreadable at line {} column {}", e.line(), e.column())
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field or section name as written, quoted, when it looks like a name; anything else
/// (someone may have pasted a value where a name goes) is not shown.
fn shown_name(name: &str) -> String {
    let looks_like_a_name = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if looks_like_a_name {
        format!("\"{name}\"")
    } else {
        "(name not shown)".to_owned()
    }
}

/// `"email" and "password"` (required only) or every field.
fn field_list(fields: &[(&str, Kind)], all: bool) -> String {
    let names: Vec<String> = fields
        .iter()
        .filter(|(_, kind)| all || !matches!(kind, Kind::Optional))
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
