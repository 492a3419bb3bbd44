//! Unit tests of the secrets document checks: both `google` forms, and that no error ever
//! carries a value.

use serde_json::json;

use super::parse;
use crate::secrets::{Secrets, SecretsError};

const ORIGIN: &str = "secrets file s.json";
const PRIVATE_KEY: &str =
    "not-a-key: private-key-material-7f3e9a41c2 (a marker the tests look for)";
const BOT_TOKEN: &str = "123456789:AAHsecretBotTokenValue";
const PASSWORD: &str = "hunter2-very-secret";

fn key() -> serde_json::Value {
    json!({
        "type": "service_account",
        "project_id": "p",
        "private_key_id": "abc",
        "private_key": PRIVATE_KEY,
        "client_email": "bot@p.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
        "universe_domain": "googleapis.com"
    })
}

fn error_of(doc: serde_json::Value) -> String {
    let err = parse(&doc.to_string(), ORIGIN).expect_err("the document is refused");
    let shown = format!("{err} {err:?}");
    for value in [
        PRIVATE_KEY,
        "private-key-material-7f3e9a41",
        BOT_TOKEN,
        "AAHsecret",
        PASSWORD,
    ] {
        assert!(!shown.contains(value), "a value leaked: {shown}");
    }
    assert!(shown.contains(ORIGIN), "{shown}");
    err.to_string()
}

#[test]
fn a_section_of_the_wrong_type_names_it_and_never_prints_its_value() {
    // The defect: serde printed `invalid type: string "<the whole key JSON>"`.
    let e = error_of(json!({ "google": [key().to_string()] }));
    assert!(
        e.contains("section \"google\"") && e.contains("it is an array"),
        "{e}"
    );
    let e = error_of(json!({ "telegram": BOT_TOKEN }));
    assert!(
        e.contains("section \"telegram\" must be a JSON object with \"bot_token\" and \"chat_id\"; it is a string"),
        "{e}"
    );
    let e = error_of(json!({ "backend": PASSWORD }));
    assert!(
        e.contains("section \"backend\"") && e.contains("it is a string"),
        "{e}"
    );
}

#[test]
fn a_google_string_that_is_not_a_key_is_refused_without_its_text() {
    // The key's text, cut short: not JSON.
    let text = key().to_string();
    let e = error_of(json!({ "google": &text[..text.len() / 2] }));
    assert!(
        e.contains("section \"google\" is a string but not the JSON text of a service-account key (EOF while parsing"),
        "{e}"
    );
    let e = error_of(json!({ "google": json!([PRIVATE_KEY]).to_string() }));
    assert!(e.contains("is a string holding an array"), "{e}");
}

#[test]
fn a_field_of_the_wrong_type_names_section_and_field() {
    let e = error_of(json!({ "backend": { "email": "a@b", "password": 12345678 } }));
    assert!(
        e.contains("field \"backend.password\" must be a non-empty string; it is a number"),
        "{e}"
    );
    assert!(!e.contains("12345678"), "{e}");
    let mut bad = key();
    bad["private_key"] = json!({ "pem": PRIVATE_KEY });
    let e = error_of(json!({ "google": bad }));
    assert!(
        e.contains("field \"google.private_key\" must be a non-empty string; it is an object"),
        "{e}"
    );
    let e = error_of(json!({ "telegram": { "bot_token": [BOT_TOKEN], "chat_id": "1" } }));
    assert!(e.contains("field \"telegram.bot_token\""), "{e}");
    let e = error_of(json!({ "telegram": { "bot_token": BOT_TOKEN, "chat_id": 1.5 } }));
    assert!(
        e.contains("field \"telegram.chat_id\" must be a string or an integer; it is a number"),
        "{e}"
    );
}

#[test]
fn missing_empty_and_unknown_fields_are_named() {
    let e = error_of(json!({ "backend": { "email": "a@b" } }));
    assert!(e.ends_with("field \"backend.password\" is missing"), "{e}");
    let e = error_of(json!({ "backend": { "email": " ", "password": PASSWORD } }));
    assert!(e.ends_with("field \"backend.email\" is empty"), "{e}");
    let e = error_of(json!({ "backend": { "email": "a", "password": PASSWORD, "pasword": "x" } }));
    assert!(e.contains("section \"backend\" has an unknown field \"pasword\"; its fields are \"base_url\", \"email\" and \"password\""), "{e}");
    // A value pasted where a name goes is not echoed.
    let e = error_of(json!({ "backend": { "email": "a", "password": PASSWORD, BOT_TOKEN: 1 } }));
    assert!(e.contains("unknown field (name not shown)"), "{e}");
    let e = error_of(json!({ "slack": {} }));
    assert!(e.contains("section \"slack\" is not known"), "{e}");
    let e = error_of(json!([PASSWORD]));
    assert!(e.contains("the document must be a JSON object"), "{e}");
}

#[test]
fn malformed_json_gives_a_position_and_no_text() {
    let text = format!("{{\"backend\": {{\"email\": \"a\", \"password\": \"{PASSWORD}\" }}");
    let err = parse(&text, ORIGIN).unwrap_err();
    assert!(matches!(err, SecretsError::Malformed { .. }), "{err:?}");
    let e = err.to_string();
    assert!(
        e.starts_with(
            "secrets file s.json is not valid JSON: EOF while parsing an object at line 1 column"
        ),
        "{e}"
    );
    assert!(!e.contains(PASSWORD), "{e}");
    let e = parse(&format!("{{\"backend\": '{PASSWORD}'}}"), ORIGIN)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expected value at line 1 column 13") && !e.contains("hunter2"),
        "{e}"
    );
}

#[test]
fn google_is_read_as_an_object_or_as_a_string_holding_one() {
    let as_object = parse(&json!({ "google": key() }).to_string(), ORIGIN).unwrap();
    let as_string = parse(&json!({ "google": key().to_string() }).to_string(), ORIGIN).unwrap();
    for secrets in [&as_object, &as_string] {
        let google = secrets.google(ORIGIN).unwrap();
        assert_eq!(google.key().private_key, PRIVATE_KEY);
        assert_eq!(google.client_email(), "bot@p.iam.gserviceaccount.com");
        assert_eq!(google.token_uri(), "https://oauth2.googleapis.com/token");
    }
}

#[test]
fn a_numeric_chat_id_reads_as_text_and_null_sections_as_absent() {
    let doc = json!({
        "backend": { "email": "ops@example.com", "password": PASSWORD, "base_url": null },
        "telegram": { "bot_token": BOT_TOKEN, "chat_id": -1001234567890i64 },
        "google": null
    });
    let secrets = parse(&doc.to_string(), ORIGIN).unwrap();
    assert_eq!(secrets.telegram().unwrap().chat_id, "-1001234567890");
    assert_eq!(secrets.backend(ORIGIN).unwrap().base_url, None);
    assert!(secrets.google.is_none());
}

#[test]
fn debug_never_prints_secret_values() {
    let doc = json!({
        "backend": { "email": "ops@example.com", "password": PASSWORD },
        "google": key(),
        "telegram": { "bot_token": BOT_TOKEN, "chat_id": "42" }
    });
    let shown = format!("{:?}", parse(&doc.to_string(), ORIGIN).unwrap());
    assert!(
        shown.contains("ops@example.com") && shown.contains("[redacted]"),
        "{shown}"
    );
    for value in [PASSWORD, BOT_TOKEN, "private-key-material-7f3e9a41"] {
        assert!(!shown.contains(value), "{shown}");
    }
}

#[test]
fn a_missing_section_names_the_origin_and_the_section() {
    let e = Secrets::default().backend(ORIGIN).unwrap_err().to_string();
    assert!(
        e.contains("secrets file s.json has no `backend` section"),
        "{e}"
    );
    let e = Secrets::default()
        .google("secret prod/exportsync in AWS Secrets Manager")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("secret prod/exportsync in AWS Secrets Manager has no `google` section"),
        "{e}"
    );
}
