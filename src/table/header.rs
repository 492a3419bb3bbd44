//! From a raw grid to a [`Table`]: finds the header row (or takes the configured one), makes
//! the column names unique, drops empty rows and trailing footer rows, pads rows to the
//! header's width, and types text-sourced cells by column (with `text_columns` always text).
//! The rules are in docs/tables.md.

use std::collections::HashSet;

use super::columns::{TypingContext, type_columns};
use super::error::column_letters;
use super::grid::{Grid, GridRow};
use super::infer::stays_text;
use super::{Cell, Explained, Location, Table, TableError, TableOptions};

/// How many leading rows header detection looks at.
const HEADER_SCAN_ROWS: usize = 50;

pub fn into_table(grid: Grid, options: &TableOptions) -> Result<Table, TableError> {
    into_table_explained(grid, options).map(|explained| explained.table)
}

/// [`into_table`], keeping the reason for each column's type.
pub fn into_table_explained(grid: Grid, options: &TableOptions) -> Result<Explained, TableError> {
    let Grid {
        format,
        sheet,
        text_source,
        delimiter,
        rows,
        mut warnings,
        layout,
        text_cells,
    } = grid;
    let export = options.export.as_str();
    let at = |location: Location| location.in_sheet(sheet.as_deref());

    let header_index = match options.header_row {
        Some(wanted) => {
            configured_header(&rows, wanted).ok_or_else(|| TableError::HeaderRowNotFound {
                export: export.to_owned(),
                header_row: wanted,
                last_row: rows.last().map_or(0, |r| r.number),
                location: at(Location::default()),
            })?
        }
        None => detect_header(&rows, text_source).ok_or_else(|| TableError::NoHeader {
            export: export.to_owned(),
            location: at(Location::default()),
        })?,
    };
    let mut rows = rows.into_iter().skip(header_index);
    let header_row = rows.next().expect("header index is within the rows");
    let header = column_names(&header_row, &mut warnings);
    let width = header.len();
    let text_column = text_column_mask(&header, &options.text_columns, &mut warnings);

    let markers: Vec<String> = options
        .footer_prefixes
        .iter()
        .map(|p| footer_form(p))
        .filter(|p| !p.is_empty())
        .collect();
    let mut numbers = Vec::new();
    let mut table_rows = Vec::new();
    for GridRow { number, mut cells } in rows {
        if let Some((index, extra)) = cells
            .iter()
            .enumerate()
            .skip(width)
            .find(|(_, c)| !c.is_empty())
        {
            return Err(TableError::RaggedRow {
                export: export.to_owned(),
                location: at(Location::cell(number, index + 1)),
                width,
                value: extra.canonical().into_owned(),
            });
        }
        cells.truncate(width);
        for cell in &mut cells {
            if is_blank_text(cell) {
                *cell = Cell::Empty;
            }
        }
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        cells.resize(width, Cell::Empty);
        numbers.push(number);
        table_rows.push(cells);
    }
    // Footers: the run of marker rows at the very end, after the data.
    let mut footers = Vec::new();
    while table_rows
        .last()
        .is_some_and(|row| is_footer(row, &markers))
    {
        table_rows.pop();
        footers.extend(numbers.pop());
    }
    footers.reverse();

    // Cells the file formats as text keep their text; a column of only such cells is text.
    let marked = marked_text_cells(&text_cells, &numbers, &table_rows);
    let mut text_column = text_column;
    let mut marked_columns = vec![false; width];
    for (column, marked_column) in marked_columns.iter_mut().enumerate() {
        let filled = table_rows.iter().filter(|r| !r[column].is_empty()).count();
        let formatted = marked.iter().filter(|(_, c, _)| *c == column).count();
        if filled > 0 && formatted == filled && !text_column[column] {
            text_column[column] = true;
            *marked_column = true;
        }
    }
    let mut column_decisions = if text_source {
        let context = TypingContext {
            delimiter,
            decimal: options.decimal,
            file_date_format: options.file_date_format.as_deref(),
        };
        type_columns(&mut table_rows, &text_column, &context)
    } else {
        for row in &mut table_rows {
            for (cell, _) in row.iter_mut().zip(&text_column).filter(|(_, t)| **t) {
                if !matches!(cell, Cell::Text(_) | Cell::Empty) {
                    *cell = Cell::Text(cell.canonical().into_owned());
                }
            }
        }
        text_column
            .iter()
            .map(|&as_text| {
                if as_text {
                    "text: named in text_columns".to_owned()
                } else {
                    "as the workbook typed each cell".to_owned()
                }
            })
            .collect()
    };
    for (row, column, text) in marked {
        table_rows[row][column] = Cell::Text(text);
    }
    for (decision, _) in column_decisions
        .iter_mut()
        .zip(&marked_columns)
        .filter(|(_, m)| **m)
    {
        *decision = "text: the file formats the column as text (mso-number-format \\@)".to_owned();
    }
    date_times_at_midnight(&mut table_rows, width);
    if !footers.is_empty() {
        let list: Vec<String> = footers.iter().map(usize::to_string).collect();
        warnings.push(format!(
            "Left out {} footer row(s) (row {}).",
            footers.len(),
            list.join(", ")
        ));
    }
    Ok(Explained {
        table: Table {
            format,
            header,
            rows: table_rows,
            warnings,
        },
        column_decisions,
        layout,
    })
}

/// A text cell of only spaces (`&nbsp;`, ideographic, zero-width) shows nothing: it is empty.
fn is_blank_text(cell: &Cell) -> bool {
    matches!(cell, Cell::Text(text) if !text.is_empty()
        && text.chars().all(|c| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}' | '\u{2060}')))
}

/// The file's text-formatted cells among the kept rows: `(row index, column, text)`.
fn marked_text_cells(
    text_cells: &[(usize, usize)],
    numbers: &[usize],
    rows: &[Vec<Cell>],
) -> Vec<(usize, usize, String)> {
    if text_cells.is_empty() {
        return Vec::new();
    }
    let wanted: HashSet<(usize, usize)> = text_cells.iter().copied().collect();
    let mut marked = Vec::new();
    for (index, (number, row)) in numbers.iter().zip(rows).enumerate() {
        for (column, cell) in row.iter().enumerate() {
            if let Cell::Text(text) = cell
                && wanted.contains(&(*number, column))
            {
                marked.push((index, column, text.clone()));
            }
        }
    }
    marked
}

fn configured_header(rows: &[GridRow], wanted: usize) -> Option<usize> {
    rows.iter()
        .position(|r| r.number == wanted && r.non_empty_count() > 0)
}

/// The first row that looks like a header: at least 60% as many non-empty cells as the
/// widest of the first rows, and at least 80% of them text. That skips title rows (one or two
/// cells) and blank rows above the header. When no row qualifies (a header of years such as
/// `Region, 2023, 2024`), the first row with two or more cells (a one-cell title row above
/// it is skipped; a narrower header than that is better an error than a guess).
pub fn detect_header(rows: &[GridRow], text_source: bool) -> Option<usize> {
    let window = &rows[..rows.len().min(HEADER_SCAN_ROWS)];
    let widest = window.iter().map(GridRow::non_empty_count).max()?;
    if widest == 0 {
        return None;
    }
    let is_text = |cell: &Cell| match cell {
        Cell::Text(s) => !text_source || stays_text(s),
        _ => false,
    };
    let wide = |row: &GridRow| row.non_empty_count() * 10 >= widest * 6;
    window
        .iter()
        .position(|row| {
            let filled = row.non_empty_count();
            let text = row.cells.iter().filter(|c| is_text(c)).count();
            wide(row) && text * 10 >= filled * 8
        })
        .or_else(|| {
            let cells = widest.min(2);
            window.iter().position(|r| r.non_empty_count() >= cells)
        })
}

/// Trimmed, unique column names, up to the last non-empty header cell. Unnamed columns are
/// called after their letter; repeated names get " (2)", " (3)"... Each change is a warning.
pub fn column_names(row: &GridRow, warnings: &mut Vec<String>) -> Vec<String> {
    let width = row
        .cells
        .iter()
        .rposition(|c| !c.is_empty())
        .map_or(0, |i| i + 1);
    let raw: Vec<String> = row.cells[..width]
        .iter()
        .map(|c| c.canonical().trim().to_owned())
        .collect();
    let mut taken: HashSet<String> = raw.iter().filter(|n| !n.is_empty()).cloned().collect();
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(width);
    for (index, name) in raw.into_iter().enumerate() {
        let letter = column_letters(index + 1);
        let name = if name.is_empty() {
            let fresh = unique(&format!("Column {letter}"), &mut taken);
            warnings.push(format!(
                "Column {letter} has no name in the header (row {}); it is called \"{fresh}\".",
                row.number
            ));
            fresh
        } else if !seen.insert(name.clone()) {
            let fresh = unique(&name, &mut taken);
            warnings.push(format!(
                "Column {letter} repeats the name \"{name}\"; it is called \"{fresh}\"."
            ));
            fresh
        } else {
            name
        };
        names.push(name);
    }
    names
}

/// `base` if free, else the first free `base (2)`, `base (3)`...; marks it taken.
fn unique(base: &str, taken: &mut HashSet<String>) -> String {
    let name = if taken.contains(base) {
        (2..)
            .map(|n| format!("{base} ({n})"))
            .find(|candidate| !taken.contains(candidate))
            .expect("an unbounded range yields a free name")
    } else {
        base.to_owned()
    };
    taken.insert(name.clone());
    name
}

fn text_column_mask(
    header: &[String],
    text_columns: &[String],
    warnings: &mut Vec<String>,
) -> Vec<bool> {
    let mut mask = vec![false; header.len()];
    for wanted in text_columns {
        match header.iter().position(|h| h == wanted.trim()) {
            Some(index) => mask[index] = true,
            None => warnings.push(format!(
                "text_columns names \"{wanted}\", which is not in the header; check the export's configuration."
            )),
        }
    }
    mask
}

/// Workbook readers see only "a date format", not whether it shows a time, so a date-time at
/// midnight arrives as a [`Cell::Date`] (and text files may write `20/11/2026` beside
/// `21/11/2026 08:00`). In a column that holds date-times, such dates are date-times at
/// 00:00:00, so the column keeps one type (and one Sheets number format).
fn date_times_at_midnight(rows: &mut [Vec<Cell>], width: usize) {
    // One row-major pass to find the mixed columns, a second only when there are some.
    let (mut dates, mut date_times) = (vec![false; width], vec![false; width]);
    for row in rows.iter() {
        for ((cell, date), date_time) in row.iter().zip(&mut dates).zip(&mut date_times) {
            match cell {
                Cell::Date(_) => *date = true,
                Cell::DateTime(_) => *date_time = true,
                _ => {}
            }
        }
    }
    let mixed: Vec<bool> = dates
        .iter()
        .zip(&date_times)
        .map(|(d, t)| *d && *t)
        .collect();
    if !mixed.contains(&true) {
        return;
    }
    for row in rows.iter_mut() {
        for (cell, _) in row.iter_mut().zip(&mixed).filter(|(_, m)| **m) {
            if let Cell::Date(date) = cell {
                *cell = Cell::DateTime(date.and_time(chrono::NaiveTime::MIN));
            }
        }
    }
}

/// A footer marker or cell as compared: trimmed, lower case, a trailing colon dropped.
fn footer_form(text: &str) -> String {
    let text = text.trim();
    text.strip_suffix(':')
        .unwrap_or(text)
        .trim_end()
        .to_lowercase()
}

/// Whether a row's first non-empty cell is one of the markers as a whole.
fn is_footer(cells: &[Cell], markers: &[String]) -> bool {
    if markers.is_empty() {
        return false;
    }
    match cells.iter().find(|c| !c.is_empty()) {
        Some(Cell::Text(text)) => {
            let text = footer_form(text);
            markers.contains(&text)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Format;

    fn text_row(number: usize, cells: &[&str]) -> GridRow {
        GridRow {
            number,
            cells: cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text((*c).to_owned())
                    }
                })
                .collect(),
        }
    }

    fn grid(rows: Vec<GridRow>) -> Grid {
        Grid {
            format: Format::Csv,
            sheet: None,
            text_source: true,
            delimiter: Some(b','),
            rows,
            warnings: Vec::new(),
            layout: None,
            text_cells: Vec::new(),
        }
    }

    fn options() -> TableOptions {
        TableOptions {
            export: "users".into(),
            ..TableOptions::default()
        }
    }

    #[test]
    fn skips_title_and_blank_rows_to_find_the_header() {
        let rows = vec![
            text_row(1, &["Laporan Transaksi"]),
            text_row(2, &["Periode", "2024-01-01"]),
            text_row(3, &[]),
            text_row(4, &["ID", "Name", "Amount", "Date"]),
            text_row(5, &["0812", "Ann", "12", "2024-01-02"]),
        ];
        assert_eq!(detect_header(&rows, true), Some(3));
        let table = into_table(grid(rows), &options()).unwrap();
        assert_eq!(table.header, ["ID", "Name", "Amount", "Date"]);
        assert_eq!(
            table.rows,
            vec![vec![
                Cell::Text("0812".into()),
                Cell::Text("Ann".into()),
                Cell::Int(12),
                crate::table::infer::infer("2024-01-02"),
            ]]
        );
    }

    #[test]
    fn a_numeric_row_is_not_a_header() {
        let rows = vec![text_row(1, &["1", "2", "3"]), text_row(2, &["a", "b", "c"])];
        assert_eq!(detect_header(&rows, true), Some(1));
    }

    #[test]
    fn configured_header_row_wins_and_is_checked() {
        let rows = vec![text_row(1, &["x", "y"]), text_row(2, &["a", "b"])];
        let mut opts = options();
        opts.header_row = Some(2);
        let table = into_table(grid(rows.clone()), &opts).unwrap();
        assert_eq!(table.header, ["a", "b"]);
        assert!(table.rows.is_empty());
        opts.header_row = Some(9);
        let err = into_table(grid(rows), &opts).unwrap_err().to_string();
        assert!(
            err.contains("export users") && err.contains("header_row = 9"),
            "{err}"
        );
    }

    #[test]
    fn names_are_trimmed_unique_and_unnamed_columns_named() {
        let mut warnings = Vec::new();
        let row = text_row(3, &[" Name ", "Name", "", "Name (2)", "Name", "x", ""]);
        assert_eq!(
            column_names(&row, &mut warnings),
            ["Name", "Name (3)", "Column C", "Name (2)", "Name (4)", "x"]
        );
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains("\"Name (3)\""));
        assert!(warnings[1].contains("Column C has no name"));
    }

    #[test]
    fn drops_empty_and_footer_rows_and_pads_short_rows() {
        let rows = vec![
            text_row(1, &["a", "b", "c"]),
            text_row(2, &["1", ""]),
            text_row(3, &["", "", "", ""]),
            text_row(4, &["TOTAL", "", "9"]),
            text_row(5, &[]),
        ];
        let mut opts = options();
        opts.footer_prefixes = vec!["Total".into()];
        let table = into_table(grid(rows), &opts).unwrap();
        assert_eq!(
            table.rows,
            vec![vec![Cell::Int(1), Cell::Empty, Cell::Empty]]
        );
        assert_eq!(table.warnings, ["Left out 1 footer row(s) (row 4)."]);
    }

    #[test]
    fn footer_markers_match_whole_cells_only_in_the_trailing_rows() {
        let rows = vec![
            text_row(1, &["Customer", "Amount"]),
            text_row(2, &["Total Motor", "5"]),
            text_row(3, &["Total", "6"]),
            text_row(4, &["Ann", "7"]),
            text_row(5, &["Totals", "8"]),
            text_row(6, &["  TOTAL : ", "26"]),
            text_row(7, &[]),
            text_row(8, &["grand total:", "26"]),
        ];
        let mut opts = options();
        opts.footer_prefixes = vec!["Total".into(), "Grand Total:".into()];
        let table = into_table(grid(rows), &opts).unwrap();
        let names: Vec<String> = table.rows.iter().map(|r| r[0].to_string()).collect();
        // "Total Motor" and "Totals" are not the marker; the "Total" in row 3 is followed by
        // data, so it is data too.
        assert_eq!(names, ["Total Motor", "Total", "Ann", "Totals"]);
        assert_eq!(table.warnings, ["Left out 2 footer row(s) (row 6, 8)."]);
    }

    #[test]
    fn text_columns_are_typed_by_column() {
        let rows = vec![
            text_row(
                1,
                &[
                    "id", "big", "amount", "tanggal", "jam", "aktif", "mixed", "blank",
                ],
            ),
            text_row(
                2,
                &[
                    "1234500012",
                    "5",
                    "293890,00",
                    "31/12/2025",
                    "13:45:30",
                    "TRUE",
                    "12",
                    " ",
                ],
            ),
            text_row(
                3,
                &[
                    "0098765432",
                    "123456789012345",
                    "1.234,56",
                    "01/02/2026 08:21",
                    "8:05",
                    "false",
                    "abc",
                    "",
                ],
            ),
        ];
        let explained = into_table_explained(grid(rows), &options()).unwrap();
        let t = |s: &str| Cell::Text(s.into());
        let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let time = |h, m, s| chrono::NaiveTime::from_hms_opt(h, m, s).unwrap();
        assert_eq!(
            explained.table.rows,
            vec![
                vec![
                    t("1234500012"),
                    t("5"),
                    Cell::Decimal(293_890.0),
                    Cell::DateTime(date(2025, 12, 31).and_time(time(0, 0, 0))),
                    Cell::Time(time(13, 45, 30)),
                    Cell::Bool(true),
                    Cell::Int(12),
                    Cell::Empty, // only spaces: empty, as the sheet should show it
                ],
                vec![
                    t("0098765432"),
                    t("123456789012345"),
                    Cell::Decimal(1_234.56),
                    Cell::DateTime(date(2026, 2, 1).and_time(time(8, 21, 0))),
                    Cell::Time(time(8, 5, 0)),
                    Cell::Bool(false),
                    t("abc"),
                    Cell::Empty,
                ],
            ]
        );
        let decisions = &explained.column_decisions;
        assert!(
            decisions[0].starts_with("text: \"0098765432\" has a leading zero"),
            "{decisions:?}"
        );
        assert!(decisions[1].contains("12 or more digits"), "{decisions:?}");
        assert!(
            decisions[2].starts_with("number: decimal commas"),
            "{decisions:?}"
        );
        assert!(decisions[3].starts_with("date: day-first"), "{decisions:?}");
        assert!(decisions[4].starts_with("time:"), "{decisions:?}");
        assert!(decisions[5].starts_with("bool:"), "{decisions:?}");
        assert_eq!(decisions[6], "mixed: typed value by value (1 int, 1 text)");
        assert_eq!(decisions[7], "empty: no values");
    }

    #[test]
    fn ambiguous_dates_and_commas_need_the_configuration() {
        let rows = || {
            vec![
                text_row(1, &["tanggal", "harga"]),
                text_row(2, &["01/02/2026", "1,234"]),
                text_row(3, &["03/04/2026", "5,678"]),
            ]
        };
        let plain = into_table_explained(grid(rows()), &options()).unwrap();
        assert_eq!(
            plain.table.rows[0],
            vec![Cell::Text("01/02/2026".into()), Cell::Text("1,234".into())]
        );
        assert!(
            plain.column_decisions[0].contains("set file_date_format"),
            "{:?}",
            plain.column_decisions
        );
        let mut opts = options();
        opts.file_date_format = Some("%d/%m/%Y".into());
        opts.decimal = Some(crate::table::DecimalMark::Comma);
        let configured = into_table_explained(grid(rows()), &opts).unwrap();
        assert_eq!(
            configured.table.rows[0],
            vec![
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()),
                Cell::Decimal(1.234)
            ]
        );
        let mut semicolon = grid(rows());
        semicolon.delimiter = Some(b';');
        let by_delimiter = into_table_explained(semicolon, &options()).unwrap();
        assert_eq!(by_delimiter.table.rows[1][1], Cell::Decimal(5.678));
    }

    #[test]
    fn extra_non_empty_cells_are_an_error_naming_row_and_column() {
        let rows = vec![
            text_row(1, &["a", "b"]),
            text_row(2, &["1", "2", "", "oops"]),
        ];
        let err = into_table(grid(rows), &options()).unwrap_err().to_string();
        assert!(
            err.starts_with("export users: row 2, column D holds \"oops\""),
            "{err}"
        );
    }

    #[test]
    fn text_columns_keep_raw_text_and_unknown_ones_warn() {
        let rows = vec![
            text_row(1, &["id", "n"]),
            text_row(2, &["00123", "0012"]),
            text_row(3, &["123", "5"]),
        ];
        let mut opts = options();
        opts.text_columns = vec!["id".into(), "missing".into()];
        let table = into_table(grid(rows), &opts).unwrap();
        // "0012" makes its whole column text (docs/tables.md), so 5 is text there too.
        assert_eq!(
            table.rows[1],
            vec![Cell::Text("123".into()), Cell::Text("5".into())]
        );
        assert!(table.warnings[0].contains("\"missing\""));
    }

    #[test]
    fn typed_grids_turn_text_columns_into_canonical_text() {
        let mut g = grid(vec![
            text_row(1, &["id", "n"]),
            GridRow {
                number: 2,
                cells: vec![Cell::Int(812), Cell::Int(5)],
            },
        ]);
        g.text_source = false;
        let mut opts = options();
        opts.text_columns = vec!["id".into()];
        let table = into_table(g, &opts).unwrap();
        assert_eq!(table.rows[0], vec![Cell::Text("812".into()), Cell::Int(5)]);
    }

    #[test]
    fn all_empty_grid_has_no_header() {
        let err = into_table(grid(vec![text_row(1, &["", ""])]), &options()).unwrap_err();
        assert!(matches!(err, TableError::NoHeader { .. }));
    }
}
