//! `exportsync sim backend|sheets|telegram`: run a loopback simulator until Ctrl-C.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::sim::telegram::{Received, TelegramSim, TelegramSimOptions};

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    #[command(subcommand)]
    pub which: Simulator,
}

#[derive(Debug, clap::Subcommand)]
pub enum Simulator {
    /// The web admin panel: login form, export pages, xlsx downloads.
    Backend(Box<crate::sim::backend::BackendArgs>),
    /// The Google Sheets API v4 and the OAuth token endpoint.
    Sheets(crate::sim::sheets::SheetsArgs),
    /// The Telegram Bot API: prints every message and photo it receives.
    Telegram(TelegramArgs),
    /// AWS Secrets Manager's GetSecretValue, serving secrets from files.
    Secrets(crate::sim::secretsmanager::SecretsArgs),
}

#[derive(Debug, clap::Args)]
pub struct TelegramArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The bot token it accepts (the `telegram.bot_token` of your secrets file); others get 401.
    #[arg(long, value_name = "TOKEN")]
    pub token: String,
    /// Answer the first N requests with 429 Too Many Requests.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fail_429: u32,
    /// The `retry_after` seconds of those 429 answers.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub retry_after: u64,
    /// Answer the first N requests (after any 429s) with 500.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fail_500: u32,
}

pub async fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    match args.which {
        Simulator::Backend(a) => crate::sim::backend::run_cli(*a).await?,
        Simulator::Sheets(a) => crate::sim::sheets::run_cli(a).await?,
        Simulator::Telegram(a) => run_telegram(a).await?,
        Simulator::Secrets(a) => crate::sim::secretsmanager::run_cli(a).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `exportsync sim telegram`: serve until Ctrl-C, printing what arrives.
async fn run_telegram(args: TelegramArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.token.trim().is_empty(),
        "--token is empty; give the bot token your secrets file uses"
    );
    let sim = TelegramSim::start_on(
        args.port,
        TelegramSimOptions {
            token: args.token,
            fail_429: args.fail_429,
            retry_after: args.retry_after,
            fail_500: args.fail_500,
        },
    )
    .await
    .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    let mut received = sim.subscribe();
    println!("Telegram Bot API fake: {}", sim.base_url());
    println!(
        "use it with TELEGRAM_API_BASE_URL={}; Ctrl-C stops",
        sim.base_url()
    );
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            stop = &mut ctrl_c => {
                stop.context("cannot wait for Ctrl-C")?;
                break;
            }
            item = received.recv() => match item {
                Ok(Received::Message(m)) => {
                    println!("--- message to chat {} ---\n{}", m.chat_id, m.plain);
                }
                Ok(Received::Photo(p)) => {
                    println!(
                        "--- {} to chat {} ({} bytes) ---\n{}",
                        if p.as_document { "document" } else { "photo" },
                        p.chat_id,
                        p.bytes.len(),
                        p.caption
                    );
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    println!("--- {n} more not shown ---");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    sim.shutdown().await;
    Ok(())
}
