//! The checks a parsed export passes before it is written (pure): its header against the last
//! stored run that wrote it (header drift), its row count against the usual, and the
//! `min_rows` floor. Warnings go in the report line; a check that fails the export returns why.

use crate::config::{ExportConfig, OnHeaderChange};
use crate::report::ExportReport;
use crate::report::header_change::describe_changes;
use crate::store::ExportBaseline;
use crate::store::baseline::{header_changes, row_count_warning};

/// Runs the checks on a table of `header` and `rows` data rows. `baseline` is the export's
/// stored history (`None`: no store, or nothing stored yet). Returns the error that fails the
/// export, when one does (nothing may be written then).
pub fn check_table(
    export: &ExportConfig,
    header: &[String],
    rows: usize,
    baseline: Option<&ExportBaseline>,
    accept_header_changes: bool,
    line: &mut ExportReport,
) -> Result<(), String> {
    line.header = header.to_vec();
    let mut failure = None;
    if let Some(previous) = baseline.and_then(|b| b.header.as_ref()) {
        let changes = header_changes(previous, header);
        if !changes.is_empty() {
            let since = baseline
                .and_then(|b| b.header_run.as_deref())
                .map(|run| format!(" (run {run})"))
                .unwrap_or_default();
            let described = describe_changes(&changes);
            line.warnings.push(format!(
                "the header changed since the last run that wrote this export{since}: {described}"
            ));
            if export.on_header_change == OnHeaderChange::Fail && !accept_header_changes {
                failure = Some(format!(
                    "export {}: the header changed since the last run that wrote it{since}: {described}; nothing was written (on_header_change = \"fail\"); if the panel changed on purpose, run once with --accept-header-changes, or set on_header_change = \"warn\"",
                    export.name
                ));
            }
            line.header_changes = changes;
        }
    }
    if let Some(warning) = baseline.and_then(|b| row_count_warning(rows, &b.ok_rows)) {
        line.warnings.push(warning.clone());
        line.row_count_warning = Some(warning);
    }
    if failure.is_none()
        && let Some(min) = export.min_rows
        && rows < min
    {
        failure = Some(format!(
            "export {}: {rows} rows, fewer than min_rows = {min}; nothing was written; check the export's filters and the panel, or lower min_rows",
            export.name
        ));
    }
    failure.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn export(extra: &str) -> ExportConfig {
        let text = format!(
            r##"
[backend]
base_url = "http://127.0.0.1:1"
[[export]]
name = "users"
page = "/user"
start_selector = "#start"
end_selector = "#end"
date_format = "html5"
button = {{ selector = "button" }}
spreadsheet_id = "sheet"
tab = "Users"
key_columns = ["ID"]
{extra}
"##
        );
        Config::from_str(&text, "exports.toml").unwrap().exports[0].clone()
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn baseline(header: &[&str], rows: &[usize]) -> ExportBaseline {
        ExportBaseline {
            header: Some(cols(header)),
            header_run: Some("20261202T230000Z-abcdef".into()),
            ok_rows: rows.to_vec(),
        }
    }

    #[test]
    fn a_renamed_column_warns_by_default_and_fails_when_asked() {
        let base = baseline(&["ID", "Phone"], &[]);
        let now = cols(&["ID", "No HP"]);
        let mut line = ExportReport::new("users", None, "Users");
        check_table(&export(""), &now, 10, Some(&base), false, &mut line).unwrap();
        assert_eq!(line.header_changes.len(), 1);
        assert!(
            line.warnings[0].contains("renamed \"Phone\" -> \"No HP\""),
            "{:?}",
            line.warnings
        );
        assert!(line.warnings[0].contains("20261202T230000Z-abcdef"));
        assert_eq!(line.header, now);

        let strict = export("on_header_change = \"fail\"");
        let mut line = ExportReport::new("users", None, "Users");
        let err = check_table(&strict, &now, 10, Some(&base), false, &mut line).unwrap_err();
        assert!(err.starts_with("export users: the header changed"), "{err}");
        assert!(err.contains("nothing was written") && err.contains("--accept-header-changes"));
        let mut line = ExportReport::new("users", None, "Users");
        check_table(&strict, &now, 10, Some(&base), true, &mut line).unwrap();
        assert_eq!(line.header_changes.len(), 1, "accepted, still reported");
    }

    #[test]
    fn no_history_means_no_drift_and_no_anomaly() {
        let mut line = ExportReport::new("users", None, "Users");
        check_table(&export(""), &cols(&["ID"]), 0, None, false, &mut line).unwrap();
        assert!(line.warnings.is_empty() && line.header_changes.is_empty());
        assert_eq!(line.row_count_warning, None);
    }

    #[test]
    fn few_rows_warn_and_min_rows_fails() {
        let base = baseline(&["ID"], &[100, 120, 90]);
        let mut line = ExportReport::new("users", None, "Users");
        check_table(
            &export(""),
            &cols(&["ID"]),
            3,
            Some(&base),
            false,
            &mut line,
        )
        .unwrap();
        assert!(
            line.row_count_warning
                .as_deref()
                .unwrap()
                .contains("only 3 rows")
        );

        let floor = export("min_rows = 10");
        let mut line = ExportReport::new("users", None, "Users");
        let err = check_table(&floor, &cols(&["ID"]), 3, None, false, &mut line).unwrap_err();
        assert!(err.contains("3 rows, fewer than min_rows = 10"), "{err}");
        let mut line = ExportReport::new("users", None, "Users");
        check_table(&floor, &cols(&["ID"]), 10, None, false, &mut line).unwrap();
    }
}
