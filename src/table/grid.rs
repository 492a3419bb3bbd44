//! The raw grid every reader produces before the header is found: rows of cells with their
//! row numbers in the file, so later errors and warnings can point at them.

use super::{Cell, Format};

/// What a reader found, before header detection and typing.
#[derive(Debug)]
pub struct Grid {
    pub format: Format,
    /// The worksheet read, for spreadsheet formats.
    pub sheet: Option<String>,
    /// True when cells are still the file's raw text (CSV, TSV, HTML) and are typed by
    /// inference once the header is known; false when the reader already typed them.
    pub text_source: bool,
    /// The delimiter of delimited text (`;` files use decimal commas); `None` otherwise.
    pub delimiter: Option<u8>,
    /// Rows in file order. Rows that hold nothing may be absent (spreadsheets) or present with
    /// no or empty cells; rows may be ragged.
    pub rows: Vec<GridRow>,
    pub warnings: Vec<String>,
    /// How a reader that lays text out (PDF) found the table: one sentence for `inspect`.
    pub layout: Option<String>,
    /// Cells the file itself formats as text (`(row number, column index)`; HTML's
    /// `mso-number-format:"\\@"`): they stay text whatever their column becomes.
    pub text_cells: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GridRow {
    /// 1-based row number as a spreadsheet application shows it.
    pub number: usize,
    pub cells: Vec<Cell>,
}

impl GridRow {
    pub fn non_empty_count(&self) -> usize {
        self.cells.iter().filter(|c| !c.is_empty()).count()
    }
}
