//! `exportsync inspect FILE [--export NAME [--config FILE]]`: shows what exportsync reads from
//! an export file (format, header, each column's type and why, first rows), so a user can pick
//! key and text columns for the configuration. With `--export`, the file is read with that
//! export's table options (flags override them).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::table::{self, Cell, DecimalMark, Explained, TableOptions};

/// How many rows `inspect` shows.
const SAMPLE_ROWS: usize = 5;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The export file (xlsx, xls, ods, csv, tsv or an HTML table), whatever its name says.
    pub file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// 1-based row number of the header (default: detected).
    #[arg(long, value_name = "N")]
    pub header_row: Option<usize>,
    /// A column to read as text whatever its cells look like (repeatable).
    #[arg(long = "text-column", value_name = "C")]
    pub text_columns: Vec<String>,
    /// Leave out trailing rows whose first cell is this, e.g. "Total" (repeatable).
    #[arg(long = "footer-prefix", value_name = "P")]
    pub footer_prefixes: Vec<String>,
    /// Text formats: the strftime pattern of the file's dates, e.g. "%d/%m/%Y".
    #[arg(long, value_name = "PATTERN")]
    pub file_date_format: Option<String>,
    /// Text formats: the decimal mark, "," or ".".
    #[arg(long, value_name = "MARK")]
    pub decimal: Option<DecimalMark>,
    #[command(flatten)]
    pub configured: super::ConfiguredExportArgs,
}

/// What `inspect --json` prints.
#[derive(Debug, Serialize, PartialEq)]
pub struct Report {
    pub format: table::Format,
    /// How a PDF's table was found on its pages (columns, rows, repeated headers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    pub columns: Vec<ColumnReport>,
    pub rows: usize,
    pub sample: Vec<Vec<String>>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ColumnReport {
    pub name: String,
    /// The type of the column's non-empty cells: `text`, `int`, `decimal`, `bool`, `date`,
    /// `datetime`; `mixed` when they differ, `empty` when there are none. Integers among
    /// decimals count as `decimal`, dates among date-times as `datetime`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// How many non-empty cells have each type.
    pub counts: BTreeMap<&'static str, usize>,
    /// What was decided about the column's type and why (text formats are typed by column).
    pub decision: String,
}

pub async fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = tokio::fs::read(&args.file)
        .await
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let options = options(&args, &file)?;
    let explained = table::parse_explained(&bytes, &options)?;
    let report = report(&explained);
    let output = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        render_text(&file, &report)
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The table options: the export's from the configuration when `--export` names one (errors
/// name the file and the export), then each flag given overrides its option.
fn options(args: &InspectArgs, file: &str) -> anyhow::Result<TableOptions> {
    let mut options = match args.configured.load()? {
        Some(export) => export.table_options(),
        None => TableOptions {
            export: file.to_owned(),
            ..TableOptions::default()
        },
    };
    if args.header_row.is_some() {
        options.header_row = args.header_row;
    }
    if !args.text_columns.is_empty() {
        options.text_columns = args.text_columns.clone();
    }
    if !args.footer_prefixes.is_empty() {
        options.footer_prefixes = args.footer_prefixes.clone();
    }
    if let Some(pattern) = &args.file_date_format {
        match crate::config::parse_date_format(pattern) {
            Ok(crate::config::DateFormat::Pattern(_)) => {}
            _ => anyhow::bail!(
                "--file-date-format \"{pattern}\" is not a strftime pattern of a full date such as \"%d/%m/%Y\""
            ),
        }
        options.file_date_format = Some(pattern.clone());
    }
    if args.decimal.is_some() {
        options.decimal = args.decimal;
    }
    Ok(options)
}

pub fn report(explained: &Explained) -> Report {
    let table = &explained.table;
    let columns = table
        .header
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let counts = type_counts(table.rows.iter().map(|row| &row[index]));
            ColumnReport {
                name: name.clone(),
                kind: column_kind(&counts),
                counts,
                decision: explained
                    .column_decisions
                    .get(index)
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect();
    Report {
        format: table.format,
        layout: explained.layout.clone(),
        columns,
        rows: table.rows.len(),
        sample: table
            .rows
            .iter()
            .take(SAMPLE_ROWS)
            .map(|row| row.iter().map(|c| c.canonical().into_owned()).collect())
            .collect(),
        warnings: table.warnings.clone(),
    }
}

pub fn type_name(cell: &Cell) -> Option<&'static str> {
    Some(match cell {
        Cell::Empty => return None,
        Cell::Text(s) if s.is_empty() => return None,
        Cell::Text(_) => "text",
        Cell::Int(_) => "int",
        Cell::Decimal(_) => "decimal",
        Cell::Bool(_) => "bool",
        Cell::Date(_) => "date",
        Cell::DateTime(_) => "datetime",
        Cell::Time(_) => "time",
    })
}

fn type_counts<'a>(cells: impl Iterator<Item = &'a Cell>) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for name in cells.filter_map(type_name) {
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

fn column_kind(counts: &BTreeMap<&'static str, usize>) -> &'static str {
    let kinds: Vec<&str> = counts.keys().copied().collect();
    match kinds.as_slice() {
        [] => "empty",
        [only] => only,
        ["decimal", "int"] => "decimal",
        ["date", "datetime"] => "datetime",
        _ => "mixed",
    }
}

pub fn render_text(file: &str, report: &Report) -> String {
    let mut out = format!(
        "file:    {file}\nformat:  {}\nrows:    {}\ncolumns: {}\n",
        report.format,
        report.rows,
        report.columns.len()
    );
    if let Some(layout) = &report.layout {
        out.push_str(&format!("layout:  {layout}\n"));
    }
    let name_width = report
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    for (index, column) in report.columns.iter().enumerate() {
        let counts: Vec<String> = column
            .counts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        out.push_str(&format!(
            "  {:>3}  {:<name_width$}  {:<8}  {}\n",
            index + 1,
            column.name,
            column.kind,
            counts.join(", ")
        ));
        if !column.decision.is_empty() {
            out.push_str(&format!(
                "       {:<name_width$}  why: {}\n",
                "", column.decision
            ));
        }
    }
    for warning in &report.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    if !report.sample.is_empty() {
        out.push_str(&format!("first {} row(s):\n", report.sample.len()));
        for row in &report.sample {
            out.push_str(&format!("  {}\n", row.join(" | ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Format, Table};

    fn table() -> Explained {
        Explained {
            layout: None,
            column_decisions: vec![
                "text: \"0812\" has a leading zero".into(),
                String::new(),
                String::new(),
                "empty: no values".into(),
            ],
            table: Table {
                format: Format::Csv,
                header: vec!["id".into(), "amount".into(), "note".into(), "blank".into()],
                rows: vec![
                    vec![
                        Cell::Text("0812".into()),
                        Cell::Int(5),
                        Cell::Int(1),
                        Cell::Empty,
                    ],
                    vec![
                        Cell::Text("0813".into()),
                        Cell::Decimal(2.5),
                        Cell::Text("x".into()),
                        Cell::Empty,
                    ],
                ],
                warnings: vec!["w".into()],
            },
        }
    }

    #[test]
    fn column_types_sample_and_counts() {
        let report = report(&table());
        let kinds: Vec<&str> = report.columns.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, ["text", "decimal", "mixed", "empty"]);
        assert_eq!(report.rows, 2);
        assert_eq!(report.sample[1], ["0813", "2.5", "x", ""]);
        assert_eq!(
            report.columns[2].counts,
            BTreeMap::from([("int", 1), ("text", 1)])
        );
    }

    #[test]
    fn text_rendering_lists_columns_warnings_and_rows() {
        let text = render_text("f.csv", &report(&table()));
        assert!(text.contains("format:  csv\n"), "{text}");
        assert!(
            text.contains("    2  amount  decimal   decimal 1, int 1\n"),
            "{text}"
        );
        assert!(text.contains("warning: w\n"), "{text}");
        assert!(
            text.contains("    1  id      text      text 2\n               why: text: \"0812\" has a leading zero\n"),
            "{text}"
        );
        assert!(text.contains("  0812 | 5 | 1 | \n"), "{text}");
    }
}
