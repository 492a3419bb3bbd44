//! Turns the bytes of an export file into a typed [`Table`]: format sniffed by content
//! ([`detect`]), cells read ([`xlsx`] for workbooks, [`csv`], [`html`], [`pdf`] for the tables
//! laid out on PDF pages), header found and
//! footers dropped ([`header`]), text cells typed by column ([`columns`], [`infer`], [`cell`]).
//! Pure: no I/O beyond the bytes it is given. The rules are in docs/tables.md.

pub mod cell;
pub mod columns;
pub mod csv;
pub mod detect;
pub mod error;
pub mod grid;
pub mod header;
pub mod html;
pub mod infer;
pub mod pdf;
pub mod xlsx;

pub use cell::Cell;
pub use error::{Location, TableError};

use detect::Sniffed;

/// The file formats exportsync reads, detected by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
    Csv,
    Tsv,
    Html,
    Pdf,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Html => "html",
            Format::Pdf => "pdf",
        })
    }
}

/// A parsed export: a header of unique column names and rows of typed cells, each row exactly
/// as long as the header.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub format: Format,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Things a user should know that did not stop the parse (renamed duplicate headers,
    /// dropped footer rows), each a full sentence.
    pub warnings: Vec<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// Per-export reading options, from the export's configuration.
#[derive(Clone, Debug, Default)]
pub struct TableOptions {
    /// The export's name, for error messages.
    pub export: String,
    /// 1-based row number of the header; `None` detects it.
    pub header_row: Option<usize>,
    /// Footer markers, e.g. "Total": trailing rows (after the data) whose first non-empty cell
    /// is one of these as a whole (case-insensitive, surrounding spaces and a trailing colon
    /// ignored) are left out. A row in the middle of the table is always data.
    pub footer_prefixes: Vec<String>,
    /// Columns always read as text whatever their cells look like.
    pub text_columns: Vec<String>,
    /// Text formats: the strftime pattern of the file's dates (e.g. `%d/%m/%Y`); a column whose
    /// every value matches it (optionally followed by `HH:MM[:SS]`) is dates.
    pub file_date_format: Option<String>,
    /// Text formats: the decimal mark of the file's numbers; `None` detects it per column.
    pub decimal: Option<DecimalMark>,
}

/// The decimal mark of the numbers in a text export (`decimal = "," | "."`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum DecimalMark {
    /// `1.234,56`: a decimal comma, dots group thousands.
    #[serde(rename = ",")]
    Comma,
    /// `1,234.56`: a decimal point, commas group thousands.
    #[serde(rename = ".")]
    Dot,
}

impl std::str::FromStr for DecimalMark {
    type Err = String;

    fn from_str(s: &str) -> Result<DecimalMark, String> {
        match s {
            "," => Ok(DecimalMark::Comma),
            "." => Ok(DecimalMark::Dot),
            other => Err(format!("\"{other}\" is not \",\" or \".\"")),
        }
    }
}

impl std::fmt::Display for DecimalMark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DecimalMark::Comma => ",",
            DecimalMark::Dot => ".",
        })
    }
}

/// A parsed table with, for each column, what was decided about its type and why (what
/// `inspect` shows).
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    pub table: Table,
    /// One sentence per header column, in header order.
    pub column_decisions: Vec<String>,
    /// How the table was found on the pages (PDF only): columns, rows, pages, repeated headers.
    pub layout: Option<String>,
}

/// Parses an export file: sniffs its format from the bytes, reads the first visible worksheet
/// (or the text, or the largest HTML table), finds the header and types the cells.
///
/// Rules: a header with no rows is an empty table; rows shorter than the header are padded
/// with [`Cell::Empty`]; a row with a non-empty cell beyond the header is an error naming it.
pub fn parse(bytes: &[u8], options: &TableOptions) -> Result<Table, TableError> {
    parse_explained(bytes, options).map(|explained| explained.table)
}

/// [`parse`], keeping the reason for each column's type.
pub fn parse_explained(bytes: &[u8], options: &TableOptions) -> Result<Explained, TableError> {
    let export = options.export.as_str();
    let grid = match detect::sniff(bytes) {
        Sniffed::Empty => {
            return Err(TableError::EmptyFile {
                export: export.to_owned(),
            });
        }
        Sniffed::EncryptedOle => {
            return Err(TableError::Encrypted {
                export: export.to_owned(),
            });
        }
        Sniffed::Xlsb => {
            return Err(unknown(
                export,
                "it is an xlsb (binary) workbook; export as xlsx instead",
            ));
        }
        Sniffed::SpreadsheetMl => {
            return Err(unknown(
                export,
                "it is an Excel 2003 XML workbook (SpreadsheetML); export as xlsx or CSV instead",
            ));
        }
        Sniffed::OtherZip => {
            return Err(unknown(
                export,
                "it is a zip archive that holds no xlsx or ods workbook",
            ));
        }
        Sniffed::Json => {
            return Err(unknown(
                export,
                "it is a JSON document, not a table (often an error answer from the backend); check the export's page and button",
            ));
        }
        Sniffed::Binary => {
            return Err(unknown(
                export,
                &format!(
                    "binary data starting {}, not a spreadsheet, CSV or HTML table",
                    hex_head(bytes)
                ),
            ));
        }
        Sniffed::MarkupWithoutTable => {
            return Err(TableError::HtmlWithoutTable {
                export: export.to_owned(),
            });
        }
        Sniffed::Xlsx => xlsx::read_xlsx(bytes, export)?,
        Sniffed::Xls => xlsx::read_xls(bytes, export)?,
        Sniffed::Ods => xlsx::read_ods(bytes, export)?,
        Sniffed::Html => html::read(bytes, export)?,
        Sniffed::Pdf => pdf::read(bytes, export)?,
        Sniffed::Text => csv::read(bytes, export)?,
    };
    header::into_table_explained(grid, options)
}

fn unknown(export: &str, what: &str) -> TableError {
    TableError::UnknownFormat {
        export: export.to_owned(),
        what: what.to_owned(),
    }
}

fn hex_head(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}
