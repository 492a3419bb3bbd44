//! `exportsync sim backend|sheets`: run a loopback simulator until Ctrl-C.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    #[command(subcommand)]
    pub which: Simulator,
}

#[derive(Debug, clap::Subcommand)]
pub enum Simulator {
    /// The web admin panel: login form, export pages, xlsx downloads.
    Backend(crate::sim::backend::BackendArgs),
    /// The Google Sheets API v4 and the OAuth token endpoint.
    Sheets(crate::sim::sheets::SheetsArgs),
    /// AWS Secrets Manager's GetSecretValue, serving secrets from files.
    Secrets(crate::sim::secretsmanager::SecretsArgs),
}

pub async fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    match args.which {
        Simulator::Backend(a) => crate::sim::backend::run_cli(a).await?,
        Simulator::Sheets(a) => crate::sim::sheets::run_cli(a).await?,
        Simulator::Secrets(a) => crate::sim::secretsmanager::run_cli(a).await?,
    }
    Ok(ExitCode::SUCCESS)
}
