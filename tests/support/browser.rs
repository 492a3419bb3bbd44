//! Checks shared by the browser tests: a downloaded file holds exactly the simulator's rows (an
//! xlsx read back, a PDF compared byte for byte with what was served), and a browser session
//! leaves no Chromium process or temporary directory behind.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use exportsync::sim::backend::{ExportFormats, export_rows, served_file};
use exportsync::source::{DateWindow, procs};
use exportsync::table::Cell;

fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The downloaded file holds exactly the simulator's rows of `export` for `window`. An xlsx:
/// same header, same number of rows, same first-column IDs in the same order. A PDF (until the
/// PDF reader reads it): the very bytes the simulator serves for those rows.
pub fn assert_file_matches_simulator(
    path: &Path,
    export: &str,
    window: DateWindow,
    rows_per_day: usize,
) {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(b"%PDF") {
        let served = served_file(
            export,
            ExportFormats::Pdf,
            window.from,
            window.to,
            rows_per_day,
        );
        assert!(
            bytes == served.bytes,
            "{export}: {} ({} bytes) is not the PDF the simulator served ({} bytes)",
            path.display(),
            bytes.len(),
            served.bytes.len()
        );
        return;
    }
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a valid xlsx");
    let range = book
        .worksheet_range_at(0)
        .expect("one sheet")
        .expect("readable sheet");
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .expect("a header row")
        .iter()
        .map(cell_text)
        .collect();
    let (want_header, want_rows) = export_rows(export, window.from, window.to, rows_per_day);
    assert_eq!(
        header,
        want_header,
        "{export}: header of {}",
        path.display()
    );
    let ids: Vec<String> = rows.map(|r| cell_text(&r[0])).collect();
    let want_ids: Vec<String> = want_rows
        .iter()
        .map(|r| match &r[0] {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            other => other.canonical().into_owned(),
        })
        .collect();
    assert!(!want_ids.is_empty());
    assert_eq!(
        ids,
        want_ids,
        "{export}: first-column IDs of {}",
        path.display()
    );
}

/// The name the simulator's default formats give `export`'s file for `window` (e.g.
/// `users_2024-11-20_2024-11-22.xlsx`, or `users.pdf` when it serves PDFs).
#[allow(dead_code)]
pub fn served_name(export: &str, window: DateWindow, rows_per_day: usize) -> String {
    served_file(
        export,
        ExportFormats::DEFAULT,
        window.from,
        window.to,
        rows_per_day,
    )
    .file_name
}

/// No Chromium or crashpad process descends from this test process or mentions our private
/// temp root, and the browser's temporary directories are gone.
pub fn assert_nothing_left(temp_root: &Path) {
    let me = std::process::id();
    let root = temp_root.display().to_string();
    let all = procs::list();
    let descends_from_me = |mut pid: u32| {
        for _ in 0..64 {
            let Some(p) = all.iter().find(|p| p.pid == pid) else {
                return false;
            };
            if p.ppid == me {
                return true;
            }
            if p.ppid <= 1 {
                return false;
            }
            pid = p.ppid;
        }
        false
    };
    let left: Vec<_> = all
        .iter()
        .filter(|p| p.cmdline.contains(&root) || (p.is_chromium() && descends_from_me(p.pid)))
        .collect();
    assert!(left.is_empty(), "browser processes left behind: {left:#?}");
    let dirs: Vec<_> = std::fs::read_dir(temp_root).unwrap().collect();
    assert!(
        dirs.is_empty(),
        "temporary directories left behind: {dirs:?}"
    );
}
