//! `exportsync export`: stub, replaced by its issue.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {}

pub async fn run(_args: ExportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`export` is not implemented yet")
}
