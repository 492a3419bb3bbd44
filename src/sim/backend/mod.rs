//! Simulator of the backend: stub, replaced by its issue.

#[derive(Debug, clap::Args)]
pub struct BackendArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

pub async fn run_cli(_args: BackendArgs) -> anyhow::Result<()> {
    anyhow::bail!("the backend simulator is not implemented yet")
}
