//! Simulator of the sheets: stub, replaced by its issue.

#[derive(Debug, clap::Args)]
pub struct SheetsArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

pub async fn run_cli(_args: SheetsArgs) -> anyhow::Result<()> {
    anyhow::bail!("the sheets simulator is not implemented yet")
}
