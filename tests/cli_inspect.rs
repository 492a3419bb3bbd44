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
        stderr.contains("error: export users.xlsx: the file is a PDF; PDF tables are not read yet"),
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
