//! Workbooks through calamine: xlsx/xlsm streamed cell by cell (`worksheet_cells_reader`, so a
//! 100,000-row sheet never exists twice in memory), xls and ods through their whole-sheet
//! ranges. Cells keep the type the workbook gave them; nothing is guessed from strings.

use std::io::Cursor;
use std::sync::mpsc;

use calamine::{Data, DataRef, ExcelDateTime, Ods, Reader, SheetType, SheetVisible, Xls, Xlsx};
use calamine::{OdsError, XlsError, XlsxCellReader, XlsxError};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

use super::grid::{Grid, GridRow};
use super::{Cell, Format, Location, TableError};

/// Cells handed from the XML reader to the row builder at a time.
const BATCH_CELLS: usize = 4_096;
/// Full batches that may wait for the row builder (bounds the memory in flight).
const BATCHES_IN_FLIGHT: usize = 8;

type XlsxCell<'a> = calamine::Cell<DataRef<'a>>;

/// Reads the first visible worksheet of an xlsx/xlsm workbook, streaming its cells.
pub fn read_xlsx(bytes: &[u8], export: &str) -> Result<Grid, TableError> {
    let damaged = |sheet: Option<&str>, row: Option<usize>, detail: String| TableError::Damaged {
        export: export.to_owned(),
        format: Format::Xlsx,
        location: Location {
            row,
            ..Location::default()
        }
        .in_sheet(sheet),
        detail,
    };
    let mut workbook =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| damaged(None, None, e.to_string()))?;
    let sheet = first_sheet(workbook.sheets_metadata()).ok_or_else(|| TableError::NoSheet {
        export: export.to_owned(),
    })?;
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| damaged(Some(&sheet), None, e.to_string()))?;
    let mut rows = stream_rows(&mut reader)
        .map_err(|(row, e)| damaged(Some(&sheet), Some(row), e.to_string()))?;
    rows.sort_by_key(|r| r.number);
    Ok(Grid {
        format: Format::Xlsx,
        sheet: Some(sheet),
        text_source: false,
        delimiter: None,
        rows,
        warnings: Vec::new(),
        layout: None,
        text_cells: Vec::new(),
    })
}

/// Walks a worksheet's cells into rows in two stages on two threads: this one decompresses
/// and parses the XML (calamine), the other types the cells and builds the rows (the
/// allocation-heavy part), handed over in batches. Err carries the 1-based row being read.
fn stream_rows(
    reader: &mut XlsxCellReader<'_, Cursor<&[u8]>>,
) -> Result<Vec<GridRow>, (usize, XlsxError)> {
    std::thread::scope(|scope| {
        let (full, full_rx) = mpsc::sync_channel::<Vec<XlsxCell<'_>>>(BATCHES_IN_FLIGHT);
        let (empty, empty_rx) = mpsc::channel::<Vec<XlsxCell<'_>>>();
        let builder = scope.spawn(move || {
            let mut rows: Vec<GridRow> = Vec::new();
            for mut batch in full_rx {
                for cell in batch.drain(..) {
                    let (row, column) = cell.get_position();
                    let value = from_data_ref(cell.get_value());
                    if !value.is_empty() {
                        place(&mut rows, row as usize + 1, column as usize, value);
                    }
                }
                // Recycled by the reader; if it has finished, the batch is simply dropped.
                let _ = empty.send(batch);
            }
            rows
        });
        let mut batch = Vec::with_capacity(BATCH_CELLS);
        let mut last_row = 0;
        let read = loop {
            match reader.next_cell() {
                Ok(Some(cell)) => {
                    last_row = cell.get_position().0 as usize;
                    if matches!(cell.get_value(), DataRef::Empty) {
                        continue;
                    }
                    batch.push(cell);
                    if batch.len() == BATCH_CELLS {
                        let next = empty_rx
                            .try_recv()
                            .unwrap_or_else(|_| Vec::with_capacity(BATCH_CELLS));
                        // A send fails only when the builder panicked; `join` reports that.
                        if full.send(std::mem::replace(&mut batch, next)).is_err() {
                            break Ok(());
                        }
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err((last_row + 1, e)),
            }
        };
        if !batch.is_empty() {
            let _ = full.send(batch);
        }
        drop(full);
        let rows = builder
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read.map(|()| rows)
    })
}

/// Reads the first visible worksheet of a BIFF (xls) workbook.
pub fn read_xls(bytes: &[u8], export: &str) -> Result<Grid, TableError> {
    read_whole_sheet::<Xls<_>>(bytes, export, Format::Xls, |e| {
        matches!(e, XlsError::Password)
    })
}

/// Reads the first visible sheet of an OpenDocument spreadsheet.
pub fn read_ods(bytes: &[u8], export: &str) -> Result<Grid, TableError> {
    read_whole_sheet::<Ods<_>>(bytes, export, Format::Ods, |e| {
        matches!(e, OdsError::Password)
    })
}

/// Opens a workbook whose reader has no streaming API and reads its first visible sheet as a
/// whole range. `is_password` tells the reader's "password protected" error apart.
fn read_whole_sheet<'b, R>(
    bytes: &'b [u8],
    export: &str,
    format: Format,
    is_password: impl Fn(&R::Error) -> bool,
) -> Result<Grid, TableError>
where
    R: Reader<Cursor<&'b [u8]>>,
    R::Error: std::fmt::Display,
{
    let to_error = |sheet: Option<&str>, e: R::Error| {
        if is_password(&e) {
            TableError::Encrypted {
                export: export.to_owned(),
            }
        } else {
            TableError::Damaged {
                export: export.to_owned(),
                format,
                location: Location::default().in_sheet(sheet),
                detail: e.to_string(),
            }
        }
    };
    let mut workbook = R::new(Cursor::new(bytes)).map_err(|e| to_error(None, e))?;
    let sheet = first_sheet(workbook.sheets_metadata()).ok_or_else(|| TableError::NoSheet {
        export: export.to_owned(),
    })?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| to_error(Some(&sheet), e))?;
    Ok(grid_from_range(format, sheet, &range))
}

/// The first visible worksheet, else the first worksheet of any visibility.
fn first_sheet(sheets: &[calamine::Sheet]) -> Option<String> {
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
}

fn grid_from_range(format: Format, sheet: String, range: &calamine::Range<Data>) -> Grid {
    let mut rows = Vec::new();
    if let Some((first_row, first_column)) = range.start() {
        for (offset, cells) in range.rows().enumerate() {
            for (column, value) in cells.iter().enumerate() {
                let value = from_data(value);
                if !value.is_empty() {
                    let number = first_row as usize + offset + 1;
                    place(&mut rows, number, first_column as usize + column, value);
                }
            }
        }
    }
    Grid {
        format,
        sheet: Some(sheet),
        text_source: false,
        delimiter: None,
        rows,
        warnings: Vec::new(),
        layout: None,
        text_cells: Vec::new(),
    }
}

/// Puts a non-empty value at (1-based row `number`, 0-based `column`), opening a new row when
/// the row number changes. Cells arrive in row order, usually left to right.
fn place(rows: &mut Vec<GridRow>, number: usize, column: usize, value: Cell) {
    if rows.last().is_none_or(|r| r.number != number) {
        let capacity = rows.last().map_or(0, |r| r.cells.len());
        rows.push(GridRow {
            number,
            cells: Vec::with_capacity(capacity),
        });
    }
    let cells = &mut rows.last_mut().expect("a row was just ensured").cells;
    if column >= cells.len() {
        cells.resize(column, Cell::Empty);
        cells.push(value);
    } else {
        cells[column] = value;
    }
}

/// One streamed xlsx value as a typed cell.
pub fn from_data_ref(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => excel_date_time(dt),
        DataRef::DateTimeIso(s) => iso_date_time(s),
        DataRef::DurationIso(s) => iso_duration(s),
        DataRef::Error(e) => Cell::Text(e.to_string()),
    }
}

/// One xls/ods value as a typed cell.
pub fn from_data(value: &Data) -> Cell {
    match value {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => number(*f),
        Data::String(s) => text(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => excel_date_time(dt),
        Data::DateTimeIso(s) => iso_date_time(s),
        Data::DurationIso(s) => iso_duration(s),
        Data::Error(e) => Cell::Text(e.to_string()),
    }
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_owned())
    }
}

/// Integer-valued numbers that an i64 holds exactly become [`Cell::Int`]; others stay decimal.
pub fn number(f: f64) -> Cell {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && f.abs() < TWO_POW_63 {
        Cell::Int(f as i64)
    } else {
        Cell::Decimal(f)
    }
}

/// A date-formatted number. calamine's `ExcelDateTime` carries the workbook's epoch (1900 or
/// 1904) and converts with it, so this works for both. Whole days become dates, others
/// date-times rounded to the second; a serial below 1 under a date/time format is a time of
/// day ([`Cell::Time`]). Durations (`[h]:mm:ss`) become text such as `36:00:00`: Sheets has no
/// duration type that reads back the same. See docs/tables.md.
pub fn excel_date_time(dt: &ExcelDateTime) -> Cell {
    let serial = dt.as_f64();
    if dt.is_duration() {
        return duration_text((serial * 86_400.0).round());
    }
    if (0.0..1.0).contains(&serial) {
        return Cell::time_from_serial(serial)
            .unwrap_or_else(|| duration_text((serial * 86_400.0).round()));
    }
    let (year, month, day, hour, minute, second, milli) = dt.to_ymd_hms_milli();
    let Some(date) = NaiveDate::from_ymd_opt(year.into(), month.into(), day.into()) else {
        // Excel's phantom 1900-02-29 and other impossible dates: keep the serial.
        return number(serial);
    };
    let time = NaiveTime::from_hms_opt(hour.into(), minute.into(), second.into())
        .unwrap_or(NaiveTime::MIN);
    let date_time = NaiveDateTime::new(date, time)
        + if milli >= 500 {
            TimeDelta::seconds(1)
        } else {
            TimeDelta::zero()
        };
    if date_time.time() == NaiveTime::MIN {
        Cell::Date(date_time.date())
    } else {
        Cell::DateTime(date_time)
    }
}

/// A duration of `seconds` as text `[-]HH:MM:SS` (hours may exceed 24).
fn duration_text(seconds: f64) -> Cell {
    if !seconds.is_finite() || seconds.abs() > 1e15 {
        return Cell::Text(format!("{seconds}s"));
    }
    let seconds = seconds as i64;
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    Cell::Text(format!(
        "{sign}{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    ))
}

/// An ods `time-value` (ISO 8601 duration such as `PT13H45M30S`): a time of day when it is
/// below 24 hours, else duration text like an xlsx duration; unreadable values stay text.
fn iso_duration(s: &str) -> Cell {
    match iso_duration_seconds(s) {
        Some(seconds) if (0.0..86_400.0).contains(&seconds) => {
            Cell::time_from_serial(seconds / 86_400.0).unwrap_or_else(|| duration_text(seconds))
        }
        Some(seconds) => duration_text(seconds.round()),
        None => text(s),
    }
}

/// Seconds in `[-]P[nD]T[nH][nM][n[.n]S]` (also `PnD` alone).
fn iso_duration_seconds(s: &str) -> Option<f64> {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s),
    };
    let rest = rest.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((days, time)) => (days, time),
        None => (rest, ""),
    };
    let mut total = 0.0;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let factor = units.iter().find(|(u, _)| *u == c)?.1;
                total += number.parse::<f64>().ok()? * factor;
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    read(days, &[('D', 86_400.0)])?;
    read(time, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])?;
    Some(sign * total)
}

/// An ISO 8601 value (ods dates, xlsx `t="d"` cells): date, or date-time with optional
/// fraction; anything else is kept as text.
fn iso_date_time(s: &str) -> Cell {
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Cell::Date(date);
    }
    match NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        Ok(dt) if dt.time() == NaiveTime::MIN => Cell::Date(dt.date()),
        Ok(dt) => {
            let rounded = dt.with_nanosecond_rounded();
            Cell::DateTime(rounded)
        }
        Err(_) => text(s),
    }
}

trait RoundToSecond {
    fn with_nanosecond_rounded(self) -> Self;
}

impl RoundToSecond for NaiveDateTime {
    fn with_nanosecond_rounded(self) -> Self {
        use chrono::Timelike;
        let nanos = self.nanosecond();
        let whole = self.with_nanosecond(0).unwrap_or(self);
        if nanos >= 500_000_000 {
            // The last representable second stays as it is rather than overflow.
            whole
                .checked_add_signed(TimeDelta::seconds(1))
                .unwrap_or(whole)
        } else {
            whole
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    fn date_time(serial: f64, is_1904: bool) -> Cell {
        excel_date_time(&ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            is_1904,
        ))
    }

    #[test]
    fn integral_floats_are_exact_ints() {
        assert_eq!(
            number(1_234_567_890_123_456.0),
            Cell::Int(1_234_567_890_123_456)
        );
        assert_eq!(number(-3.0), Cell::Int(-3));
        assert_eq!(number(2.5), Cell::Decimal(2.5));
        assert_eq!(number(1e300), Cell::Decimal(1e300));
    }

    #[test]
    fn serials_honour_the_epoch() {
        assert_eq!(date_time(45_000.0, false).canonical(), "2023-03-15");
        // The same day in the 1904 system is 1,462 days smaller.
        assert_eq!(date_time(43_538.0, true).canonical(), "2023-03-15");
        assert_eq!(
            date_time(45_000.75, false).canonical(),
            "2023-03-15 18:00:00"
        );
        assert_eq!(date_time(0.5, false).canonical(), "12:00:00");
        assert!(matches!(date_time(0.5, false), Cell::Time(_)));
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(excel_date_time(&duration), Cell::Text("36:00:00".into()));
    }

    #[test]
    fn iso_values() {
        assert_eq!(iso_date_time("2024-05-06").canonical(), "2024-05-06");
        assert_eq!(
            iso_date_time("2024-05-06T07:08:09.6").canonical(),
            "2024-05-06 07:08:10"
        );
        assert_eq!(iso_date_time("PT1H"), Cell::Text("PT1H".into()));
        assert_eq!(iso_duration("PT13H45M30S").canonical(), "13:45:30");
        assert!(matches!(iso_duration("PT13H45M30S"), Cell::Time(_)));
        assert_eq!(iso_duration("PT08H05M00.6S").canonical(), "08:05:01");
        assert_eq!(iso_duration("P1DT12H"), Cell::Text("36:00:00".into()));
        assert_eq!(iso_duration("-PT1H"), Cell::Text("-01:00:00".into()));
        assert_eq!(iso_duration("PT1X"), Cell::Text("PT1X".into()));
        // Rounding up at the last representable second must not overflow (and panic).
        let last = format!("{}T23:59:59.9", NaiveDate::MAX.format("%Y-%m-%d"));
        let _ = iso_date_time(&last);
    }

    #[test]
    fn extreme_serials_do_not_panic() {
        let huge = ExcelDateTime::new(-1e300, ExcelDateTimeType::TimeDelta, false);
        let _ = excel_date_time(&huge);
        let _ = date_time(1e300, false);
        let _ = date_time(f64::NAN, false);
    }
}
