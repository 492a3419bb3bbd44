//! PDF exports made by the real producers (dompdf, wkhtmltopdf, Chromium's printToPDF, pdfmake,
//! reportlab; tests/fixtures/pdf/README.md) read back cell by cell against the data each was
//! made from, and typed by column like CSV.

use std::path::{Path, PathBuf};

use exportsync::table::{self, Cell, Format, TableError, TableOptions};
use serde::Deserialize;

const FIXTURES: &str = "tests/fixtures/pdf";

#[derive(Deserialize)]
struct Expected {
    #[serde(default)]
    header: Vec<String>,
    #[serde(default)]
    rows: Vec<Vec<String>>,
    #[serde(default)]
    footer: Option<Vec<String>>,
    #[serde(default)]
    error: Option<String>,
}

fn fixtures() -> Vec<(PathBuf, Expected)> {
    let mut found: Vec<(PathBuf, Expected)> = std::fs::read_dir(FIXTURES)
        .expect("the PDF fixtures folder")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".expected.json"))
        .map(|path| {
            let expected: Expected = serde_json::from_slice(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let pdf = PathBuf::from(path.to_string_lossy().replace(".expected.json", ".pdf"));
            (pdf, expected)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn options(path: &Path) -> TableOptions {
    TableOptions {
        export: path.file_stem().unwrap().to_string_lossy().into_owned(),
        footer_prefixes: vec!["Total".into()],
        ..TableOptions::default()
    }
}

/// Every fixture's header and rows, cell by cell, as the text a person reads; the Total row
/// is read as a row and then left out by `footer_prefixes`, exactly as for xlsx.
#[test]
fn every_fixture_reads_back_cell_by_cell() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 25,
        "only {} fixtures found",
        fixtures.len()
    );
    let mut failures = Vec::new();
    let (mut cells_total, mut cells_right) = (0usize, 0usize);
    for (pdf, expected) in &fixtures {
        let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(pdf).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(kind) = &expected.error {
            let error = table::parse(&bytes, &options(pdf)).expect_err(&name);
            let right = match kind.as_str() {
                "no_text" => matches!(error, TableError::PdfNoText { .. }),
                "no_table" => matches!(error, TableError::PdfNoTable { .. }),
                "password" => matches!(error, TableError::PdfPassword { .. }),
                other => panic!("{name}: unknown expected error {other}"),
            };
            if !right {
                failures.push(format!("{name}: expected {kind}, got {error}"));
            }
            println!("{name}: {kind} error as expected: {}", right);
            continue;
        }
        let grid = match table::pdf::read(&bytes, &name) {
            Ok(grid) => grid,
            Err(error) => {
                failures.push(format!("{name}: {error}"));
                continue;
            }
        };
        let text = |cell: &Cell| cell.canonical().into_owned();
        let mut got: Vec<Vec<String>> = grid
            .rows
            .iter()
            .map(|row| row.cells.iter().map(text).collect())
            .collect();
        let mut want = vec![expected.header.clone()];
        want.extend(expected.rows.iter().cloned());
        want.extend(expected.footer.iter().cloned());
        for row in &mut got {
            row.resize(expected.header.len().max(row.len()), String::new());
        }
        let (mut total, mut right) = (0, 0);
        for (index, wanted) in want.iter().enumerate() {
            for (column, cell) in wanted.iter().enumerate() {
                total += 1;
                let actual = got.get(index).and_then(|r| r.get(column));
                if actual == Some(cell) {
                    right += 1;
                } else if failures.len() < 60 {
                    failures.push(format!(
                        "{name}: row {index} column {column}: want {cell:?}, got {actual:?}"
                    ));
                }
            }
        }
        if got.len() != want.len() {
            failures.push(format!("{name}: {} rows, want {}", got.len(), want.len()));
        }
        println!(
            "{name}: {right}/{total} cells, {} rows; {}",
            got.len(),
            grid.layout.as_deref().unwrap_or("")
        );
        cells_total += total;
        cells_right += right;

        // Through the whole parser: the Total row left out, the rows as expected.
        let table = match table::parse(&bytes, &options(pdf)) {
            Ok(table) => table,
            Err(error) => {
                failures.push(format!("{name}: parse: {error}"));
                continue;
            }
        };
        assert_eq!(table.format, Format::Pdf);
        if table.header != expected.header {
            failures.push(format!("{name}: parse gives the header {:?}", table.header));
        }
        if table.rows.len() != expected.rows.len() {
            failures.push(format!(
                "{name}: parse gives {} rows, want {}",
                table.rows.len(),
                expected.rows.len()
            ));
        }
    }
    println!("all fixtures: {cells_right}/{cells_total} cells");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Typed by column with the CSV rules: the PDF's table is exactly the table of a CSV file
/// holding the same text. IDs and leading-zero phone numbers stay text, `1.250` and `-9.500`
/// are numbers.
#[test]
fn pdf_cells_are_typed_by_column_like_csv() {
    for name in [
        "dompdf-ruled-points-multipage",
        "pdfmake-noborders-users",
        "reportlab-grid-coin",
    ] {
        let path = Path::new(FIXTURES).join(format!("{name}.pdf"));
        let expected: Expected = serde_json::from_slice(
            &std::fs::read(Path::new(FIXTURES).join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let from_pdf = table::parse(&std::fs::read(&path).unwrap(), &options(&path)).unwrap();
        let quote = |cell: &String| format!("\"{}\"", cell.replace('"', "\"\""));
        let mut csv = String::new();
        for row in std::iter::once(&expected.header)
            .chain(&expected.rows)
            .chain(expected.footer.iter())
        {
            csv.push_str(&row.iter().map(quote).collect::<Vec<_>>().join(","));
            csv.push('\n');
        }
        let from_csv = table::parse(csv.as_bytes(), &options(&path)).unwrap();
        assert_eq!(from_pdf.header, from_csv.header, "{name}");
        assert_eq!(from_pdf.rows, from_csv.rows, "{name}");
    }
    // With the export's `decimal = ","`, `-9.500` is minus nine thousand five hundred.
    let path = Path::new(FIXTURES).join("dompdf-ruled-points-multipage.pdf");
    let mut options = options(&path);
    options.decimal = Some(table::DecimalMark::Comma);
    let table = table::parse(&std::fs::read(&path).unwrap(), &options).unwrap();
    let column = |name: &str| table.column(name).unwrap_or_else(|| panic!("no {name}"));
    let first = &table.rows[0];
    assert!(matches!(&first[column("Transaksi ID")], Cell::Text(id) if id.len() == 16));
    assert!(matches!(&first[column("No HP")], Cell::Text(phone) if phone.starts_with('0')));
    assert_eq!(first[column("Poin")], Cell::Int(-9500));
    assert_eq!(first[column("Saldo Poin")], Cell::Int(16774));
}

#[test]
fn a_pdf_is_detected_by_content_whatever_its_name() {
    let bytes = std::fs::read(Path::new(FIXTURES).join("reportlab-grid-coin.pdf")).unwrap();
    let options = TableOptions {
        export: "coin_payments.xlsx".into(),
        ..TableOptions::default()
    };
    assert_eq!(table::parse(&bytes, &options).unwrap().format, Format::Pdf);
}

#[test]
fn a_truncated_pdf_is_damaged_and_names_the_export() {
    let bytes = std::fs::read(Path::new(FIXTURES).join("reportlab-grid-coin.pdf")).unwrap();
    let options = TableOptions {
        export: "coin_payments".into(),
        ..TableOptions::default()
    };
    let error = table::parse(&bytes[..bytes.len() / 3], &options).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("coin_payments"), "{message}");
    assert!(
        matches!(
            error,
            TableError::Damaged { .. }
                | TableError::PdfNoTable { .. }
                | TableError::PdfNoText { .. }
        ),
        "{message}"
    );
}
