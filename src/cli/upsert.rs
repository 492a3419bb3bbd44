//! `exportsync upsert`: stub, replaced by its issue.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct UpsertArgs {}

pub async fn run(_args: UpsertArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`upsert` is not implemented yet")
}
