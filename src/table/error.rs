//! Why an export file could not be read: every message names the export, says what is wrong
//! and where (sheet, row, column) and, where there is one, what to do about it.

use super::Format;

/// Where in the file a problem sits. Rows and columns are 1-based, as a spreadsheet shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub sheet: Option<String>,
    pub row: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn row(row: usize) -> Self {
        Location {
            row: Some(row),
            ..Location::default()
        }
    }

    pub fn cell(row: usize, column: usize) -> Self {
        Location {
            row: Some(row),
            column: Some(column),
            ..Location::default()
        }
    }

    pub fn in_sheet(mut self, sheet: Option<&str>) -> Self {
        self.sheet = sheet.map(str::to_owned);
        self
    }

    /// " at sheet \"Data\", row 5" for a message, or nothing when the place is unknown.
    pub fn suffix(&self) -> String {
        if *self == Location::default() {
            String::new()
        } else {
            format!(" at {self}")
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(sheet) = &self.sheet {
            parts.push(format!("sheet \"{sheet}\""));
        }
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if let Some(column) = self.column {
            parts.push(format!("column {}", column_letters(column)));
        }
        if parts.is_empty() {
            f.write_str("the file")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Spreadsheet column letters for a 1-based column number: 1 -> A, 27 -> AA.
pub fn column_letters(column: usize) -> String {
    let mut n = column;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(
        "export {export}: the file is empty (0 bytes); the backend sent nothing, try the export again"
    )]
    EmptyFile { export: String },

    #[error(
        "export {export}: the PDF has no text layer on any of its {pages} page(s) (a scan or a picture of the table); exportsync reads PDFs whose text can be selected, so ask the panel for a PDF made from the page or an Excel/CSV export"
    )]
    PdfNoText { export: String, pages: usize },

    #[error(
        "export {export}: the PDF's {pages} page(s) hold text but no table (no line with two or more columns); check that the export's button downloads the report and not another document"
    )]
    PdfNoTable { export: String, pages: usize },

    #[error(
        "export {export}: the PDF is encrypted with a password that must be typed to open it; exportsync reads only PDFs that open without one, so turn the password off in the panel's export settings"
    )]
    PdfPassword { export: String },

    #[error(
        "export {export}: the file is password-protected (encrypted); exportsync cannot read encrypted workbooks, export it without a password"
    )]
    Encrypted { export: String },

    #[error("export {export}: exportsync does not read this file: {what}")]
    UnknownFormat { export: String, what: String },

    #[error(
        "export {export}: the HTML file has no <table> (it may be a login or error page); check the export's page and button"
    )]
    HtmlWithoutTable { export: String },

    #[error(
        "export {export}: the {format} file is damaged or truncated{}: {detail}; download it again",
        location.suffix()
    )]
    Damaged {
        export: String,
        format: Format,
        location: Location,
        detail: String,
    },

    #[error("export {export}: the workbook has no worksheet")]
    NoSheet { export: String },

    #[error("export {export}: no header row found in {location}: every row is empty")]
    NoHeader { export: String, location: Location },

    #[error(
        "export {export}: header_row = {header_row} is not a non-empty row of {location} (its last row is {last_row}); fix header_row in the export's configuration"
    )]
    HeaderRowNotFound {
        export: String,
        header_row: usize,
        last_row: usize,
        location: Location,
    },

    #[error(
        "export {export}: {location} holds {value:?} beyond the {width} header columns; the row is ragged or the header is not where it was looked for (set header_row in the export's configuration)"
    )]
    RaggedRow {
        export: String,
        location: Location,
        width: usize,
        value: String,
    },

    #[error(
        "export {export}: a quoted field opened at {location} is never closed; the CSV file is truncated or malformed"
    )]
    UnclosedQuote { export: String, location: Location },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_spreadsheet_naming() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(702), "ZZ");
        assert_eq!(column_letters(703), "AAA");
    }

    #[test]
    fn location_names_sheet_row_and_column() {
        let at = Location::cell(7, 28).in_sheet(Some("Data"));
        assert_eq!(at.to_string(), "sheet \"Data\", row 7, column AB");
        assert_eq!(Location::default().to_string(), "the file");
        assert_eq!(Location::default().suffix(), "");
        assert_eq!(Location::row(3).suffix(), " at row 3");
    }
}
