//! PDF exports (laravel-dompdf, wkhtmltopdf, Chromium's print to PDF, pdfmake, mPDF, TCPDF,
//! reportlab): the table printed on the pages, read back as raw text cells. [`extract`] reads
//! the positioned glyphs and rules with the `pdf-extract` crate; [`lines`] makes text lines and
//! segments; [`layout`] finds the header, columns, rows and page furniture; [`furniture`] knows
//! page numbers, print dates and "no data" lines. Cells are typed later, by column, exactly as
//! CSV cells are (docs/tables.md, "PDF").

pub mod extract;
pub mod furniture;
pub mod layout;
pub mod lines;
pub mod page;

use super::grid::{Grid, GridRow};
use super::{Cell, Format, Location, TableError};
use extract::ExtractError;
use layout::{ColumnSource, Layout, LayoutError, RowSource};

/// Reads the table of a PDF into a grid of raw text cells: the header first, then the data
/// rows in page order, with what was left out as page furniture in the warnings.
pub fn read(bytes: &[u8], export: &str) -> Result<Grid, TableError> {
    let pages = extract::pages(bytes).map_err(|error| match error {
        ExtractError::Password => TableError::PdfPassword {
            export: export.to_owned(),
        },
        ExtractError::Damaged(detail) => TableError::Damaged {
            export: export.to_owned(),
            format: Format::Pdf,
            location: Location::default(),
            detail,
        },
    })?;
    if pages.is_empty() {
        return Err(TableError::Damaged {
            export: export.to_owned(),
            format: Format::Pdf,
            location: Location::default(),
            detail: "no page could be read".to_owned(),
        });
    }
    let found = layout::layout(&pages).map_err(|error| match error {
        LayoutError::NoText { pages } => TableError::PdfNoText {
            export: export.to_owned(),
            pages,
        },
        LayoutError::NoTable { pages } => TableError::PdfNoTable {
            export: export.to_owned(),
            pages,
        },
    })?;
    Ok(grid_of(found))
}

fn grid_of(found: Layout) -> Grid {
    let mut warnings = Vec::new();
    if !found.dropped.is_empty() {
        let shown: Vec<&str> = found.dropped.iter().take(8).map(String::as_str).collect();
        let more = found.dropped.len().saturating_sub(shown.len());
        warnings.push(format!(
            "Left out {} line(s) of page furniture: {}{}.",
            found.dropped.len(),
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let layout = describe(&found);
    let rows = std::iter::once(found.header)
        .chain(found.rows)
        .enumerate()
        .map(|(index, texts)| GridRow {
            number: index + 1,
            cells: texts.into_iter().map(Cell::raw_text).collect(),
        })
        .collect();
    Grid {
        format: Format::Pdf,
        sheet: None,
        text_source: true,
        delimiter: None,
        rows,
        warnings,
        layout: Some(layout),
        text_cells: Vec::new(),
    }
}

fn describe(found: &Layout) -> String {
    let columns = match found.columns_from {
        ColumnSource::Rules => "columns from the ruling lines",
        ColumnSource::Gaps => "columns from the gaps that run down the page",
        ColumnSource::HeaderPositions => {
            "columns from the gaps that run down the page and the header's cell positions"
        }
    };
    let rows = match found.rows_from {
        RowSource::Rules => "rows from the ruling lines or stripes",
        RowSource::Spacing => "rows from the line spacing",
    };
    let repeated = match found.repeated_headers {
        0 => String::new(),
        n => format!("; the header repeated on {n} later page(s) was left out"),
    };
    format!(
        "PDF of {} page(s): {} column(s), {columns}; {} row(s), {rows}{repeated}",
        found.pages,
        found.header.len(),
        found.rows.len()
    )
}
