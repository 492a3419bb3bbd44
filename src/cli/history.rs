//! `exportsync history`: the recent runs per export from the run store (to be written).

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {}

pub async fn run(_args: HistoryArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("exportsync history is not written yet")
}
