//! `exportsync upsert FILE (--export NAME [--config FILE] | --spreadsheet ID --key COL...)
//! [--tab NAME] [--whole-row] (--secrets-file S | --secret-id ID) [--dry-run] [--json]`: loads an export file a
//! user already has (a backfill, an archived file) into a Google Sheets tab with the same
//! keyed upsert a scheduled run uses. With `--export`, the export's configuration gives the
//! spreadsheet, tab, key columns and how the file is read (text columns, header row,
//! footers); the flags override it. `SHEETS_API_BASE_URL` points the client at another server
//! (an emulator).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::ExportConfig;
use crate::secrets::{SecretSourceArgs, SecretsProvider};
use crate::sheet::{SheetClient, SheetClientOptions, SheetTarget, UpsertReport};
use crate::table::{self, TableOptions};

#[derive(Debug, clap::Args)]
pub struct UpsertArgs {
    /// The export file (xlsx, xls, ods, csv, tsv or html; detected by content).
    pub file: PathBuf,
    #[command(flatten)]
    pub configured: super::ConfiguredExportArgs,
    /// The spreadsheet id (the long id in the sheet's URL).
    #[arg(long, required_unless_present = "export")]
    pub spreadsheet: Option<String>,
    /// The tab to upsert into; created when missing. Default: the export's, else "Sheet1".
    #[arg(long)]
    pub tab: Option<String>,
    /// The column(s) that identify a row (repeat the flag or list several after it).
    #[arg(long, num_args = 1.., required_unless_present_any = ["whole_row", "export"])]
    pub key: Vec<String>,
    /// Identify rows by all their columns instead of by key columns.
    #[arg(long, conflicts_with = "key")]
    pub whole_row: bool,
    /// The secrets document; its `google` section is the service-account key.
    #[command(flatten)]
    pub secrets: SecretSourceArgs,
    /// Read the tab and report what would change, without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Where the table goes and how the file is read: the export's configuration (if named)
/// with the flags over it.
fn resolve(args: &UpsertArgs) -> anyhow::Result<(SheetTarget, TableOptions)> {
    let export = args.configured.load()?;
    let spreadsheet_id = match (&args.spreadsheet, &export) {
        (Some(id), _) => id.clone(),
        (None, Some(e)) => e.spreadsheet_id.clone().with_context(|| {
            format!(
                "{}: export {:?} has no spreadsheet_id yet; set it there or pass --spreadsheet",
                args.configured.config.display(),
                e.name
            )
        })?,
        (None, None) => anyhow::bail!("--spreadsheet is required without --export"),
    };
    let tab = args
        .tab
        .clone()
        .or_else(|| export.as_ref().map(|e| e.tab.clone()))
        .unwrap_or_else(|| "Sheet1".to_owned());
    let key_columns = if args.whole_row {
        Vec::new()
    } else if !args.key.is_empty() {
        args.key.clone()
    } else {
        export
            .as_ref()
            .map(|e| e.key_columns.clone())
            .unwrap_or_default()
    };
    let mut options = export
        .as_ref()
        .map(ExportConfig::table_options)
        .unwrap_or_default();
    options.export = export.map_or_else(|| args.file.display().to_string(), |e| e.name);
    Ok((
        SheetTarget {
            spreadsheet_id,
            tab,
            key_columns,
        },
        options,
    ))
}

pub async fn run(args: UpsertArgs) -> anyhow::Result<ExitCode> {
    // Everything that can be checked locally is checked before the first request.
    let (target, options) = resolve(&args)?;
    let provider =
        SecretsProvider::new(args.secrets.source()?, crate::secrets::DEFAULT_TTL).await?;
    let secrets = provider.get().await?;
    let google = secrets.google(provider.origin())?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read export file {}", args.file.display()))?;
    let table = table::parse(&bytes, &options)?;
    for warning in &table.warnings {
        tracing::warn!(file = %args.file.display(), "{warning}");
    }
    crate::sheet::plan::check_key_columns(&table, &target.key_columns)
        .with_context(|| format!("export file {}", args.file.display()))?;

    let client = SheetClient::new(google, SheetClientOptions::default()).await?;
    let report = client.upsert(&target, &table, args.dry_run).await?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", summary(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// One human-readable paragraph.
fn summary(r: &UpsertReport) -> String {
    let mut s = format!(
        "{}spreadsheet {} tab {:?}: {} inserted, {} updated, {} unchanged, {} duplicate keys \
         ({} in the export, {} in the sheet), {} rows without a key",
        if r.dry_run {
            "DRY RUN (nothing written) "
        } else {
            ""
        },
        r.spreadsheet_id,
        r.tab,
        r.inserted,
        r.updated,
        r.unchanged,
        r.duplicates,
        r.duplicate_keys_in_export,
        r.duplicate_keys_in_sheet,
        r.empty_keys,
    );
    if r.tab_created {
        s.push_str("; tab created");
    }
    if !r.added_columns.is_empty() {
        s.push_str(&format!("; columns added: {}", r.added_columns.join(", ")));
    }
    s.push_str(&format!(
        "; {} read and {} write requests",
        r.read_requests, r.write_requests
    ));
    s
}
