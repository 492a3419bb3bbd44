//! Benchmark: a 2,000-row, 12-column PDF export (the simulator's ruled point-transactions
//! report, about 50 pages, wrapped cells, page numbers, a header repeated on every page) from
//! bytes to a typed table. Prints the median wall time over several runs, the share of it
//! spent in the PDF crate (positioned text and rules, `table::pdf::extract::pages`), and the
//! peak memory of one parse measured in a child process (VmHWM from /proc/self/status, which
//! includes the file's bytes and the program itself).
//!
//! With `EXPORTSYNC_BENCH_PDF=FILE` (for example the 2,000-row Chromium print that
//! `tests/fixtures/pdf/make.sh bench` writes), that file is measured as well.
//!
//! Run: `cargo bench --bench pdf_parse`. Targets (issue 14): median <= 1 s, peak <= 200 MB.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use exportsync::sim::backend::{ExportFormats, served_file};
use exportsync::table::{self, TableOptions};

const ROWS_PER_DAY: usize = 1_000;
const RUNS: usize = 7;

fn main() {
    if let Ok(path) = std::env::var("PDF_PARSE_CHILD") {
        let bytes = std::fs::read(&path).expect("the bench file");
        let table = table::parse(&bytes, &options()).expect("the bench file parses");
        println!("rows={} peak_kb={}", table.rows.len(), peak_kb());
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let start = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let file = served_file(
        "point_transactions",
        ExportFormats::Pdf,
        start,
        start.succ_opt().unwrap(),
        ROWS_PER_DAY,
    );
    let simulated = dir.path().join("points-2000.pdf");
    std::fs::write(&simulated, &file.bytes).expect("write the bench file");
    measure("simulator (pdf-writer), 2,000 x 12", &simulated);
    if let Some(extra) = std::env::var_os("EXPORTSYNC_BENCH_PDF") {
        measure("EXPORTSYNC_BENCH_PDF", &PathBuf::from(extra));
    }
}

fn options() -> TableOptions {
    TableOptions {
        export: "point_transactions".into(),
        footer_prefixes: vec!["Total".into()],
        ..TableOptions::default()
    }
}

fn measure(label: &str, path: &Path) {
    let bytes = std::fs::read(path).expect("the bench file");
    let table = table::parse(&bytes, &options()).expect("the bench file parses");
    let pages = table::pdf::extract::pages(&bytes).expect("pages").len();
    let mut totals = Vec::new();
    let mut extracts = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let pages = table::pdf::extract::pages(&bytes).expect("pages");
        extracts.push(started.elapsed());
        std::hint::black_box(pages);
        let started = Instant::now();
        let parsed = table::parse(&bytes, &options()).expect("parses");
        totals.push(started.elapsed());
        std::hint::black_box(parsed);
    }
    let (total, extract) = (median(&mut totals), median(&mut extracts));
    let child = Command::new(std::env::current_exe().expect("this bench"))
        .env("PDF_PARSE_CHILD", path)
        .output()
        .expect("run the child");
    let child_out = String::from_utf8_lossy(&child.stdout);
    let peak_mb = child_out
        .split_whitespace()
        .find_map(|w| w.strip_prefix("peak_kb="))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0);
    println!(
        "pdf_parse {label}: {} bytes, {pages} pages, {} rows x {} columns",
        bytes.len(),
        table.rows.len(),
        table.header.len()
    );
    println!(
        "  median of {RUNS}: {:.3} s (target <= 1 s); pdf_oxide's share (positioned text and rules): {:.3} s = {:.0}%",
        total.as_secs_f64(),
        extract.as_secs_f64(),
        100.0 * extract.as_secs_f64() / total.as_secs_f64()
    );
    println!(
        "  peak memory of one parse (VmHWM, whole process): {peak_mb:.0} MB (target <= 200 MB)"
    );
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
