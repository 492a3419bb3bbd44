//! Loopback simulators of the outside services, started by tests (port 0) and by the CLI.

pub mod backend;
pub mod secretsmanager;
pub mod server;
pub mod sheets;
pub mod telegram;

use crate::secrets::{Secrets, SecretsError};

/// The secrets document (Secrets Manager's JSON) of a run against the simulators: the backend's
/// demo login, a service-account key the Sheets emulator accepts, and the Telegram fake's bot
/// token and a chat id.
pub fn secrets_document(
    sheets: &sheets::SheetsSim,
    bot_token: &str,
    chat_id: &str,
) -> serde_json::Value {
    serde_json::json!({
        "backend": {"email": backend::DEMO_EMAIL, "password": backend::DEMO_PASSWORD},
        "google": sheets.service_account_key(),
        "telegram": {"bot_token": bot_token, "chat_id": chat_id},
    })
}

/// [`secrets_document`] read by the secrets parser, as a run reads its secret.
pub fn secrets(
    sheets: &sheets::SheetsSim,
    bot_token: &str,
    chat_id: &str,
) -> Result<Secrets, SecretsError> {
    crate::secrets::parse(
        &secrets_document(sheets, bot_token, chat_id).to_string(),
        "the simulators' secrets",
    )
}
