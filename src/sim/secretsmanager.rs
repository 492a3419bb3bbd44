//! A loopback fake of AWS Secrets Manager's GetSecretValue over the AWS JSON 1.1 protocol, for
//! tests and `exportsync sim secrets`: it checks `X-Amz-Target` and the SigV4 `Authorization`
//! header (verifying the signature when it knows the secret access key), answers as the real
//! service does (`ResourceNotFoundException`, `AccessDeniedException`: `__type`, `message`,
//! status 400), counts requests, and lets a test replace a secret's value (a rotation).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use super::server::LoopbackServer;

mod sigv4;

/// What the fake starts with.
#[derive(Clone, Debug, Default)]
pub struct SecretsManagerSimOptions {
    /// Secrets present from the start: name and SecretString.
    pub secrets: Vec<(String, String)>,
    /// When set, every request's SigV4 signature is verified with this secret access key
    /// (whatever the access key id); otherwise only the signature's form is checked.
    pub secret_access_key: Option<String>,
}

enum Value {
    Text(String),
    Binary(Vec<u8>),
}

struct Stored {
    value: Option<Value>,
    version_id: String,
    denied: bool,
}

struct Shared {
    secrets: Mutex<HashMap<String, Stored>>,
    secret_access_key: Option<String>,
    requests: AtomicUsize,
    versions: AtomicU64,
}

impl Shared {
    fn secrets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Stored>> {
        self.secrets.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn store(&self, id: &str, value: Option<Value>) {
        let version = self.versions.fetch_add(1, Ordering::Relaxed) + 1;
        let mut secrets = self.secrets();
        let entry = secrets.entry(id.to_owned()).or_insert(Stored {
            value: None,
            version_id: String::new(),
            denied: false,
        });
        if value.is_some() {
            entry.value = value;
            entry.version_id = format!("00000000-0000-4000-8000-{version:012}");
        }
    }
}

/// A running fake; dropped or [`SecretsManagerSim::shutdown`] stops it.
pub struct SecretsManagerSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: LoopbackServer,
}

impl SecretsManagerSim {
    /// Starts on 127.0.0.1 on a free port.
    pub async fn start(options: SecretsManagerSimOptions) -> std::io::Result<SecretsManagerSim> {
        SecretsManagerSim::start_on(0, options).await
    }

    /// Starts on 127.0.0.1:`port` (0 picks a free one).
    pub async fn start_on(
        port: u16,
        options: SecretsManagerSimOptions,
    ) -> std::io::Result<SecretsManagerSim> {
        let listener = super::server::bind(port).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            secrets: Mutex::default(),
            secret_access_key: options.secret_access_key,
            requests: AtomicUsize::new(0),
            versions: AtomicU64::new(0),
        });
        for (id, text) in options.secrets {
            shared.store(&id, Some(Value::Text(text)));
        }
        let app = axum::Router::new()
            .route("/", axum::routing::post(answer))
            .with_state(shared.clone());
        let server = LoopbackServer::serve("secrets manager fake", listener, app)?;
        Ok(SecretsManagerSim {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates the secret or replaces its value (a new VersionId, as a rotation gives).
    pub fn put(&self, id: &str, secret_string: impl Into<String>) {
        self.shared
            .store(id, Some(Value::Text(secret_string.into())));
    }

    /// Creates the secret or replaces its value with binary data (no SecretString).
    pub fn put_binary(&self, id: &str, bytes: &[u8]) {
        self.shared.store(id, Some(Value::Binary(bytes.to_vec())));
    }

    /// Makes GetSecretValue on `id` answer AccessDeniedException, as for a role without
    /// `secretsmanager:GetSecretValue` on it.
    pub fn deny(&self, id: &str) {
        self.shared.store(id, None);
        if let Some(entry) = self.shared.secrets().get_mut(id) {
            entry.denied = true;
        }
    }

    /// Requests received, answered with success or not.
    pub fn calls(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

const TARGET: &str = "secretsmanager.GetSecretValue";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const ACCOUNT: &str = "123456789012";

async fn answer(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("x-amz-target") != Some(TARGET) {
        return error(
            "UnknownOperationException",
            "this fake serves only X-Amz-Target: secretsmanager.GetSecretValue",
        );
    }
    if !text("content-type").is_some_and(|t| t.starts_with(CONTENT_TYPE)) {
        return error(
            "SerializationException",
            "Content-Type must be application/x-amz-json-1.1",
        );
    }
    let region = match sigv4::check(&headers, &uri, &body, shared.secret_access_key.as_deref()) {
        Ok(region) => region,
        Err((kind, message)) => return error(kind, &message),
    };
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(id) = request.get("SecretId").and_then(|v| v.as_str()) else {
        return error(
            "ValidationException",
            "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: \
             Member must not be null",
        );
    };
    // A secret is named by its name or by its ARN.
    let name = id.rsplit_once(":secret:").map_or(id, |(_, rest)| {
        rest.rsplit_once('-').map_or(rest, |(name, _)| name)
    });
    let arn = format!("arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf");
    let secrets = shared.secrets();
    let stored = secrets.get(name);
    if stored.is_some_and(|s| s.denied) {
        return error(
            "AccessDeniedException",
            &format!(
                "User: arn:aws:sts::{ACCOUNT}:assumed-role/exportsync/fn is not authorized to \
                 perform: secretsmanager:GetSecretValue on resource: {id} because no \
                 identity-based policy allows the secretsmanager:GetSecretValue action"
            ),
        );
    }
    let Some((value, version_id)) = stored.and_then(|s| Some((s.value.as_ref()?, &s.version_id)))
    else {
        return error(
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
        );
    };
    let mut body = json!({
        "ARN": arn,
        "Name": name,
        "VersionId": version_id,
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": 1.767225600e9,
    });
    match value {
        Value::Text(text) => body["SecretString"] = json!(text),
        Value::Binary(bytes) => {
            body["SecretBinary"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
    }
    reply(StatusCode::OK, body)
}

fn error(kind: &str, message: &str) -> Response {
    reply(
        StatusCode::BAD_REQUEST,
        json!({ "__type": kind, "message": message }),
    )
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE",
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `exportsync sim secrets`: serve secrets from files until Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct SecretsArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A secret to serve: its name, `=`, a file holding its SecretString (repeatable).
    #[arg(long = "secret", value_name = "ID=FILE")]
    pub secrets: Vec<String>,
}

pub async fn run_cli(args: SecretsArgs) -> anyhow::Result<()> {
    let mut secrets = Vec::new();
    for spec in &args.secrets {
        let (id, path) = spec
            .split_once('=')
            .filter(|(id, path)| !id.is_empty() && !path.is_empty())
            .with_context(|| format!("--secret {spec:?}: expected ID=FILE"))?;
        let path = PathBuf::from(path);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("--secret {id}: cannot read {}", path.display()))?;
        secrets.push((id.to_owned(), text));
    }
    let options = SecretsManagerSimOptions {
        secrets,
        secret_access_key: None,
    };
    let sim = SecretsManagerSim::start_on(args.port, options)
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    println!("Secrets Manager fake: {}", sim.endpoint_url());
    for spec in &args.secrets {
        println!(
            "secret:               {}",
            spec.split('=').next().unwrap_or("")
        );
    }
    if args.secrets.is_empty() {
        println!("no secrets: pass --secret ID=FILE to serve one");
    }
    println!(
        "use it with AWS_ENDPOINT_URL_SECRETS_MANAGER={} AWS_REGION=ap-southeast-1 \
         AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing and --secret-id ID; Ctrl-C stops",
        sim.endpoint_url()
    );
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}
