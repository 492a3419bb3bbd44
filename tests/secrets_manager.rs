//! Secrets from AWS Secrets Manager through `SecretsProvider` and the real aws-sdk-secretsmanager
//! client, against the loopback fake (`exportsync::sim::secretsmanager`) and against moto
//! (`moto_server`, installed by `.ci/run`): both `google` forms, every error (no value in any),
//! the TTL cache and `invalidate`, and the real binary configured by environment variables.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::Credentials;
use exportsync::secrets::{SecretsError, SecretsProvider};
use exportsync::sim::secretsmanager::{SecretsManagerSim, SecretsManagerSimOptions};
use serde_json::{Value, json};

#[path = "support/moto.rs"]
mod moto;
use moto::Moto;

const REGION: &str = "ap-southeast-1";
const PRIVATE_KEY: &str =
    "not-a-key: private-key-material-7f3e9a41c2 (a marker the tests look for)";
const PASSWORD: &str = "pw-hunter2-rotating";
const BOT_TOKEN: &str = "123456789:AAHbotTokenSecretPart";
/// Values that must never appear in an error.
const VALUES: [&str; 4] = [
    "private-key-material-7f3e9a41",
    PASSWORD,
    "AAHbotTokenSecretPart",
    "hunter2",
];
const HOUR: Duration = Duration::from_secs(3600);

fn key() -> Value {
    json!({
        "type": "service_account",
        "project_id": "exportsync-test",
        "private_key_id": "k1",
        "private_key": PRIVATE_KEY,
        "client_email": "sync@exportsync-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token"
    })
}

fn document(google: Value, password: &str) -> String {
    json!({
        "backend": { "email": "ops@example.com", "password": password },
        "google": google,
        "telegram": { "bot_token": BOT_TOKEN, "chat_id": -100123 }
    })
    .to_string()
}

/// Region, test credentials and endpoint set on the loader, not in the process environment
/// (tests run in parallel).
async fn sdk_config(endpoint: &str) -> SdkConfig {
    exportsync::tls::install_crypto_provider();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

async fn provider(endpoint: &str, id: &str, ttl: Duration) -> SecretsProvider {
    SecretsProvider::secrets_manager(id.to_owned(), ttl, &sdk_config(endpoint).await).unwrap()
}

async fn fake(secrets: &[(&str, String)]) -> SecretsManagerSim {
    SecretsManagerSim::start(SecretsManagerSimOptions {
        secrets: secrets
            .iter()
            .map(|(id, text)| (id.to_string(), text.clone()))
            .collect(),
        secret_access_key: Some("testing".into()),
    })
    .await
    .unwrap()
}

/// The error's text, after checking that no secret value is in it (Display or Debug).
fn without_values(err: &SecretsError) -> String {
    let shown = format!("{err} {err:?}");
    for value in VALUES {
        assert!(!shown.contains(value), "a secret value leaked: {shown}");
    }
    err.to_string()
}

/// moto's Secrets Manager, through the real SDK.
trait MotoSecrets {
    async fn client(&self) -> aws_sdk_secretsmanager::Client;
    async fn create(&self, id: &str, text: &str);
}

impl MotoSecrets for Moto {
    async fn client(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&sdk_config(&self.endpoint).await)
    }

    async fn create(&self, id: &str, text: &str) {
        self.client()
            .await
            .create_secret()
            .name(id)
            .secret_string(text)
            .send()
            .await
            .expect("moto creates the secret");
    }
}

/// Checks one document read through the provider.
async fn assert_read(endpoint: &str, id: &str) {
    let provider = provider(endpoint, id, HOUR).await;
    assert_eq!(
        provider.origin(),
        format!("secret {id} in AWS Secrets Manager")
    );
    let secrets = provider.get().await.expect("the secret is read");
    let google = secrets.google(provider.origin()).unwrap();
    assert_eq!(google.key().private_key, PRIVATE_KEY);
    assert_eq!(
        google.client_email(),
        "sync@exportsync-test.iam.gserviceaccount.com"
    );
    let backend = secrets.backend(provider.origin()).unwrap();
    assert_eq!(backend.password.expose(), PASSWORD);
    assert_eq!(secrets.telegram().unwrap().chat_id, "-100123");
}

#[tokio::test]
async fn google_as_an_object_or_as_a_string_is_read_from_the_fake_and_from_moto() {
    let object = document(key(), PASSWORD);
    let string = document(json!(key().to_string()), PASSWORD);
    let sim = fake(&[
        ("prod/object", object.clone()),
        ("prod/string", string.clone()),
    ])
    .await;
    assert_read(&sim.endpoint_url(), "prod/object").await;
    assert_read(&sim.endpoint_url(), "prod/string").await;
    assert_eq!(sim.calls(), 2);
    sim.shutdown().await;

    let moto = Moto::start().await;
    moto.create("prod/object", &object).await;
    moto.create("prod/string", &string).await;
    assert_read(&moto.endpoint, "prod/object").await;
    assert_read(&moto.endpoint, "prod/string").await;
}

#[tokio::test]
async fn a_missing_secret_names_the_id_and_the_region() {
    let sim = fake(&[]).await;
    let moto = Moto::start().await;
    for endpoint in [sim.endpoint_url(), moto.endpoint.clone()] {
        let err = provider(&endpoint, "prod/absent", HOUR)
            .await
            .get()
            .await
            .unwrap_err();
        assert!(matches!(err, SecretsError::NotFound { .. }), "{err:?}");
        let e = without_values(&err);
        assert!(
            e.starts_with(
                "secret prod/absent was not found in AWS Secrets Manager (region ap-southeast-1)"
            ) && e.contains("EXPORTSYNC_SECRET_ID"),
            "{e}"
        );
    }
    assert_eq!(sim.calls(), 1, "a missing secret is not retried");
    sim.shutdown().await;
}

#[tokio::test]
async fn access_denied_names_the_iam_action_needed() {
    let sim = fake(&[("prod/locked", document(key(), PASSWORD))]).await;
    sim.deny("prod/locked");
    let err = provider(&sim.endpoint_url(), "prod/locked", HOUR)
        .await
        .get()
        .await
        .unwrap_err();
    assert!(matches!(err, SecretsError::AccessDenied { .. }), "{err:?}");
    let e = without_values(&err);
    assert!(
        e.contains("secret prod/locked")
            && e.contains("secretsmanager:GetSecretValue on that secret's ARN"),
        "{e}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_and_wrongly_typed_documents_are_refused_without_their_values() {
    let cases = [
        (
            "bad/json",
            document(key(), PASSWORD).replace("\"backend\":", "\"backend\""),
            "secret bad/json in AWS Secrets Manager is not valid JSON: expected `:` at line 1 column",
        ),
        (
            "bad/google",
            json!({ "google": [key().to_string()] }).to_string(),
            "section \"google\" must be the service-account key",
        ),
        (
            "bad/google-text",
            json!({ "google": format!("{{\"private_key\": \"{PRIVATE_KEY}") }).to_string(),
            "section \"google\" is a string but not the JSON text of a service-account key",
        ),
        (
            "bad/telegram",
            json!({ "telegram": BOT_TOKEN }).to_string(),
            "section \"telegram\" must be a JSON object with \"bot_token\" and \"chat_id\"; it is a string",
        ),
        (
            "bad/password",
            json!({ "backend": { "email": "a", "password": [PASSWORD] } }).to_string(),
            "field \"backend.password\" must be a non-empty string; it is an array",
        ),
    ];
    let sim = fake(
        &cases
            .iter()
            .map(|(id, text, _)| (*id, text.clone()))
            .collect::<Vec<_>>(),
    )
    .await;
    let moto = Moto::start().await;
    for (id, text, _) in &cases {
        moto.create(id, text).await;
    }
    for endpoint in [sim.endpoint_url(), moto.endpoint.clone()] {
        for (id, _, expected) in &cases {
            let err = provider(&endpoint, id, HOUR).await.get().await.unwrap_err();
            let e = without_values(&err);
            assert!(
                e.contains(&format!("secret {id} in AWS Secrets Manager")) && e.contains(expected),
                "{endpoint} {id}: {e}"
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_binary_secret_is_refused_with_what_to_store_instead() {
    let sim = fake(&[]).await;
    sim.put_binary("prod/binary", document(key(), PASSWORD).as_bytes());
    let moto = Moto::start().await;
    moto.client()
        .await
        .create_secret()
        .name("prod/binary")
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(
            document(key(), PASSWORD).into_bytes(),
        ))
        .send()
        .await
        .unwrap();
    for endpoint in [sim.endpoint_url(), moto.endpoint.clone()] {
        let err = provider(&endpoint, "prod/binary", HOUR)
            .await
            .get()
            .await
            .unwrap_err();
        assert!(matches!(err, SecretsError::NotText { .. }), "{err:?}");
        assert!(
            without_values(&err).contains("holds no SecretString"),
            "{err}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_document_is_cached_for_the_ttl_and_fetched_again_after_invalidate() {
    let id = "prod/exportsync";
    let sim = fake(&[(id, document(key(), PASSWORD))]).await;
    let cached = provider(&sim.endpoint_url(), id, HOUR).await;
    let password =
        |s: &exportsync::secrets::Secrets| s.backend("t").unwrap().password.expose().clone();
    assert_eq!(password(&cached.get().await.unwrap()), PASSWORD);
    assert_eq!(password(&cached.get().await.unwrap()), PASSWORD);
    assert_eq!(sim.calls(), 1, "two gets within the TTL: one call");

    sim.put(id, document(key(), "rotated-password"));
    assert_eq!(
        password(&cached.get().await.unwrap()),
        PASSWORD,
        "still cached"
    );
    assert_eq!(sim.calls(), 1);
    cached.invalidate();
    assert_eq!(password(&cached.get().await.unwrap()), "rotated-password");
    assert_eq!(sim.calls(), 2, "invalidate: fetched again");

    // A TTL that has passed: fetched again.
    let short = provider(&sim.endpoint_url(), id, Duration::from_millis(50)).await;
    short.get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    short.get().await.unwrap();
    assert_eq!(sim.calls(), 4, "after the TTL: a second call");
    sim.shutdown().await;

    // The same rotation with moto's PutSecretValue.
    let moto = Moto::start().await;
    moto.create(id, &document(key(), PASSWORD)).await;
    let cached = provider(&moto.endpoint, id, HOUR).await;
    assert_eq!(password(&cached.get().await.unwrap()), PASSWORD);
    moto.client()
        .await
        .put_secret_value()
        .secret_id(id)
        .secret_string(document(key(), "rotated-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(password(&cached.get().await.unwrap()), PASSWORD);
    cached.invalidate();
    assert_eq!(password(&cached.get().await.unwrap()), "rotated-password");
}

#[tokio::test]
async fn the_fake_refuses_unsigned_and_wrongly_signed_requests() {
    let id = "prod/exportsync";
    let sim = fake(&[(id, document(key(), PASSWORD))]).await;
    let http = reqwest::Client::new();
    let unsigned = http
        .post(sim.endpoint_url())
        .header("x-amz-target", "secretsmanager.GetSecretValue")
        .header("content-type", "application/x-amz-json-1.1")
        .body(json!({ "SecretId": id }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    let body: Value = unsigned.json().await.unwrap();
    assert_eq!(body["__type"], "MissingAuthenticationTokenException");

    // Signed with another secret access key: the SDK's request, refused by the signature check.
    let config = sdk_config(&sim.endpoint_url())
        .await
        .to_builder()
        .credentials_provider(
            aws_sdk_secretsmanager::config::SharedCredentialsProvider::new(Credentials::new(
                "testing",
                "not-the-key",
                None,
                None,
                "test",
            )),
        )
        .build();
    let wrong = SecretsProvider::secrets_manager(id.into(), HOUR, &config).unwrap();
    let e = without_values(&wrong.get().await.unwrap_err());
    assert!(
        e.starts_with("cannot read secret prod/exportsync from AWS Secrets Manager: InvalidSignatureException (HTTP 400)"),
        "{e}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_endpoint_and_a_missing_region_are_one_line_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = provider(&endpoint, "prod/exportsync", HOUR)
        .await
        .get()
        .await
        .unwrap_err();
    assert!(matches!(err, SecretsError::Service { .. }), "{err:?}");
    let e = err.to_string();
    assert!(
        e.starts_with("cannot read secret prod/exportsync from AWS Secrets Manager: ")
            && e.contains("Connection refused")
            && !e.contains("DispatchFailure {")
            && !e.contains('\n'),
        "{e}"
    );

    let no_region = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .build();
    let err =
        SecretsProvider::secrets_manager("prod/exportsync".into(), HOUR, &no_region).unwrap_err();
    assert!(
        err.to_string().contains("no AWS region is configured")
            && err.to_string().contains("AWS_REGION"),
        "{err}"
    );
}

/// The real binary, configured only by environment variables, as in Lambda.
fn exportsync(dir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"));
    for name in [
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "EXPORTSYNC_SECRET_ID",
    ] {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("RUST_LOG", "warn");
    command
}

#[tokio::test]
async fn the_binary_reads_the_secret_named_by_the_environment_and_ignores_an_empty_endpoint_variable()
 {
    use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
    let sheets = SheetsSim::start(SheetsSimOptions {
        spreadsheets: vec!["book".into()],
    })
    .await
    .unwrap();
    let id = "prod/exportsync";
    // The key in its string form, as often pasted into the Secrets Manager console.
    let key = serde_json::to_string(&sheets.service_account_key()).unwrap();
    let sim = fake(&[(id, json!({ "google": key }).to_string())]).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rows.csv"), "id,name\n1,Ani\n2,Budi\n").unwrap();

    // `sam local` fills a declared but unset variable with "": the SDK must not take it as
    // the endpoint (it panicked), and AWS_ENDPOINT_URL still applies.
    let output = exportsync(dir.path())
        .args(["upsert", "rows.csv", "--spreadsheet", "book", "--key", "id"])
        .env("EXPORTSYNC_SECRET_ID", id)
        .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", "")
        .env("AWS_ENDPOINT_URL", sim.endpoint_url())
        .env("SHEETS_API_BASE_URL", sheets.base_url())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(sim.calls(), 1);
    let rows = sheets
        .state("book")
        .unwrap()
        .tab("Sheet1")
        .unwrap()
        .rows
        .clone();
    assert_eq!(rows.len(), 3, "{rows:?}");

    // The flag, and a secret without the section the command needs.
    sim.put(
        "prod/backend-only",
        json!({ "backend": { "email": "a", "password": PASSWORD } }).to_string(),
    );
    let output = exportsync(dir.path())
        .args(["upsert", "rows.csv", "--spreadsheet", "book", "--key", "id"])
        .args(["--secret-id", "prod/backend-only"])
        .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", sim.endpoint_url())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("secret prod/backend-only in AWS Secrets Manager has no `google` section")
            && !stderr.contains(PASSWORD),
        "{stderr}"
    );
    sim.shutdown().await;
    sheets.shutdown().await;
}

#[tokio::test]
async fn the_commands_take_one_secrets_source_and_a_flag_wins_over_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let upsert = ["upsert", "rows.csv", "--spreadsheet", "book", "--key", "id"];
    let neither = exportsync(dir.path()).args(upsert).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&neither.stderr);
    assert_eq!(neither.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "no secrets given: pass --secrets-file FILE (a local JSON file) or --secret-id ID"
        ) && stderr.contains("or set EXPORTSYNC_SECRET_ID"),
        "{stderr}"
    );
    let both = exportsync(dir.path())
        .args([
            "export",
            "--out",
            "out",
            "--secrets-file",
            "s.json",
            "--secret-id",
            "x",
        ])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&both.stderr);
    assert_eq!(both.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    // The variable is a default: the file on the command line is used, no AWS call is made.
    let file_wins = exportsync(dir.path())
        .args(upsert)
        .args(["--secrets-file", "absent.json"])
        .env("EXPORTSYNC_SECRET_ID", "prod/exportsync")
        .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&file_wins.stderr);
    assert_eq!(file_wins.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read secrets file absent.json"),
        "{stderr}"
    );
}
