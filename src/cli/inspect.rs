//! `exportsync inspect`: stub, replaced by its issue.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {}

pub async fn run(_args: InspectArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`inspect` is not implemented yet")
}
