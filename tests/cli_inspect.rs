//! `exportsync inspect` driven as a user runs it: the real binary on real files.

use std::path::Path;
use std::process::{Command, Output};

use rust_xlsxwriter::{Format, Workbook};

fn inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .arg("inspect")
        .args(args)
        .output()
        .expect("run exportsync")
}

fn write_transactions_xlsx(path: &Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    sheet.write_string(0, 0, "Laporan Transaksi").unwrap();
    for (column, name) in ["Transaksi ID", "Member", "Total", "Tanggal", "Total"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, column as u16, *name).unwrap();
    }
    for row in 0..7u32 {
        let r = row + 3;
        sheet
            .write_string(
                r,
                0,
                format!("{}", 1_234_567_890_123_400u64 + u64::from(row)),
            )
            .unwrap();
        sheet.write_string(r, 1, format!("0812{row:04}")).unwrap();
        sheet.write_number(r, 2, f64::from(row) * 1000.0).unwrap();
        sheet
            .write_number_with_format(r, 3, 45_000.0 + f64::from(row), &day)
            .unwrap();
        if row % 2 == 0 {
            sheet.write_number(r, 4, 0.5 + f64::from(row)).unwrap();
        } else {
            sheet.write_string(r, 4, "n/a").unwrap();
        }
    }
    workbook.save(path).unwrap();
}

#[test]
fn json_report_of_an_xlsx_export() {
    let dir = tempfile::tempdir().unwrap();
    // The name says PDF; the content decides.
    let path = dir.path().join("transactions.pdf");
    write_transactions_xlsx(&path);
    let output = inspect(&[path.to_str().unwrap(), "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["format"], "xlsx");
    assert_eq!(report["rows"], 7);
    let columns: Vec<(String, String)> = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("Transaksi ID", "text"),
        ("Member", "text"),
        ("Total", "int"),
        ("Tanggal", "date"),
        ("Total (2)", "mixed"),
    ];
    assert_eq!(columns, expected.map(|(n, t)| (n.to_owned(), t.to_owned())));
    let sample = report["sample"].as_array().unwrap();
    assert_eq!(sample.len(), 5);
    assert_eq!(
        sample[1],
        serde_json::json!(["1234567890123401", "08120001", "1000", "2023-03-16", "n/a"])
    );
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn flags_choose_the_header_row_and_text_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xls");
    write_transactions_xlsx(&path);
    let output = inspect(&[
        path.to_str().unwrap(),
        "--json",
        "--header-row",
        "3",
        "--text-column",
        "Total",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["columns"][2]["type"], "text");
    assert_eq!(report["sample"][0][2], "0");
}

#[test]
fn text_report_of_a_csv_export() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coins.csv");
    std::fs::write(&path, "ID;Koin\n0812;5\n0813;7\n").unwrap();
    let output = inspect(&[path.to_str().unwrap()]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("format:  csv\n"), "{stdout}");
    assert!(stdout.contains("rows:    2\n"), "{stdout}");
    assert!(
        stdout.contains("    1  ID    text      text 2\n"),
        "{stdout}"
    );
    assert!(stdout.contains("  0812 | 5\n"), "{stdout}");
}

#[test]
fn unreadable_files_exit_non_zero_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.xlsx");
    std::fs::write(&path, b"%PDF-1.7\n1 0 obj\n").unwrap();
    let output = inspect(&[path.to_str().unwrap(), "--json"]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("error: export users.xlsx: the pdf file is damaged or truncated"),
        "{stderr}"
    );

    let missing = dir.path().join("missing.csv");
    let output = inspect(&[missing.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot read") && stderr.contains("missing.csv"),
        "{stderr}"
    );
}

/// A configuration with one export whose text files use day-first dates and footers.
const CONFIG: &str = r##"
[[export]]
name = "coin_payments"
enabled = false
start_selector = "#filter-start"
end_selector = "#filter-end"
date_format = "html5"
button = { selector = ".expot-pdf" }
text_columns = ["Koin"]
footer_prefixes = ["Total"]
file_date_format = "%d/%m/%Y"
decimal = ","
"##;

#[test]
fn the_export_options_come_from_the_configuration_and_flags_override_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("exports.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let path = dir.path().join("coins.csv");
    std::fs::write(
        &path,
        "Customer,Tanggal,Koin,Harga,ID\nAnn,01/02/2026,5,\"1,5\",0812\n\
         Total Motor,13/02/2026,7,2,0813\nTotal:,,12,\"3,5\",\n",
    )
    .unwrap();
    let report = |extra: &[&str]| {
        let mut args = vec![path.to_str().unwrap(), "--json"];
        args.extend_from_slice(extra);
        let output = inspect(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let configured = report(&[
        "--export",
        "coin_payments",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(configured["rows"], 2, "{configured}");
    let decisions: Vec<&str> = configured["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        [
            "text: every value read on its own is text",
            "date: every value matches file_date_format \"%d/%m/%Y\"",
            "text: named in text_columns",
            "number: decimal = \",\" in the configuration",
            "text: \"0812\" has a leading zero, so every value of the column stays text",
        ],
        "{configured}"
    );
    assert_eq!(configured["sample"][0][3], "1.5");
    assert_eq!(configured["sample"][1][1], "2026-02-13");

    // Flags override: no text column, a dot decimal.
    let overridden = report(&[
        "--export",
        "coin_payments",
        "--config",
        config.to_str().unwrap(),
        "--text-column",
        "ID",
        "--decimal",
        ".",
    ]);
    assert_eq!(overridden["columns"][2]["type"], "int", "{overridden}");
    assert_eq!(overridden["columns"][3]["type"], "mixed", "{overridden}");
    assert_eq!(overridden["columns"][4]["type"], "text", "{overridden}");

    // Without the configuration the footer stays: it is only a footer when configured.
    let plain = report(&[]);
    assert_eq!(plain["rows"], 3, "{plain}");
}

#[test]
fn a_bad_option_in_the_configuration_or_an_unknown_export_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coins.csv");
    std::fs::write(&path, "ID\n1\n").unwrap();
    let config = dir.path().join("exports.toml");
    std::fs::write(
        &config,
        CONFIG
            .replace("\"%d/%m/%Y\"", "\"%d/%m\"")
            .replace("decimal = \",\"", "decimal = \";\""),
    )
    .unwrap();
    let output = inspect(&[
        path.to_str().unwrap(),
        "--export",
        "coin_payments",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("export \"coin_payments\": field \"file_date_format\": \"%d/%m\" is not a strftime pattern of a full date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("export \"coin_payments\": field \"decimal\": \";\" is not \",\" or \".\""),
        "{stderr}"
    );

    std::fs::write(&config, CONFIG).unwrap();
    let output = inspect(&[
        path.to_str().unwrap(),
        "--export",
        "users",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "export \"users\" (given to --export): no such export; known exports: coin_payments"
        ),
        "{stderr}"
    );
}

/// A PDF export: the header, the columns with their types and why, how the table was found on
/// the pages, and a warning naming the page furniture left out.
#[test]
fn inspect_of_a_pdf_says_how_the_table_was_found() {
    let path = Path::new("tests/fixtures/pdf/dompdf-ruled-points-multipage.pdf");
    let output = inspect(&[path.to_str().unwrap(), "--footer-prefix", "Total"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("format:  pdf"), "{text}");
    assert!(text.contains("rows:    64"), "{text}");
    assert!(
        text.contains("layout:  PDF of 3 page(s): 12 column(s), columns from the ruling lines"),
        "{text}"
    );
    assert!(
        text.contains("header repeated on 2 later page(s)"),
        "{text}"
    );
    assert!(text.contains("Saldo Poin"), "{text}");
    assert!(text.contains("why: "), "{text}");
    assert!(text.contains("page furniture"), "{text}");
    assert!(text.contains("Laporan Transaksi Poin"), "{text}");
    assert!(text.contains("page 3: \"Halaman 3 dari 3\""), "{text}");

    let output = inspect(&[path.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["format"], "pdf");
    assert!(report["layout"].as_str().unwrap().contains("ruling lines"));
}

#[test]
fn inspect_of_a_scanned_pdf_says_it_has_no_text() {
    let output = inspect(&["tests/fixtures/pdf/scanned-dompdf-points.pdf"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no text layer"), "{stderr}");
}
