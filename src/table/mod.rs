//! Turns the bytes of an export file into a typed [`Table`]: format sniffed by content, header
//! found, cells typed. Pure: no I/O beyond the bytes it is given.

pub mod cell;

pub use cell::Cell;

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
    /// Rows whose first non-empty cell starts with one of these (case-insensitive) are footers
    /// and left out, e.g. "Total".
    pub footer_prefixes: Vec<String>,
    /// Columns always read as text whatever their cells look like.
    pub text_columns: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("export {export}: {message}")]
    Invalid { export: String, message: String },
}

/// Parses an export file. Stub: replaced by the tables work (issue 4).
pub fn parse(bytes: &[u8], options: &TableOptions) -> Result<Table, TableError> {
    let _ = bytes;
    Err(TableError::Invalid {
        export: options.export.clone(),
        message: "file parsing is not implemented yet".into(),
    })
}
