//! Planning benchmark: a 100,000-row, 27-column export against a 100,000-row tab holding the
//! same rows, 1% of them changed (target: median <= 0.5 s in release). Also prints the
//! requests one export costs (reads, and writes = batches of at most 2 MB) for this update and
//! for a first load, and the memory the planner needs, measured by a counting global
//! allocator (peak above the inputs) and the process's VmHWM.
//!
//! `cargo bench --bench sheet_plan` measures; without `--bench` (as `cargo test
//! --all-targets` runs it, in a debug build) it only checks the measured path on 2,000 rows.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group};
use exportsync::sheet::plan::plan;
use exportsync::sheet::values::to_read_value;
use exportsync::sheet::write::{self, DEFAULT_MAX_BATCH_BYTES, Grid};
use exportsync::table::{Cell, Format, Table};
use serde_json::Value;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROWS: usize = 100_000;
const SMOKE_ROWS: usize = 2_000;
const COLUMNS: usize = 27;
const MB: f64 = 1024.0 * 1024.0;

/// A transactions-like export: key, phone numbers with leading zeros, amounts, dates, text.
fn export(rows: usize, changed_every: usize) -> Table {
    let header = (0..COLUMNS)
        .map(|c| match c {
            0 => "Transaksi ID".to_owned(),
            c => format!("Column {c}"),
        })
        .collect();
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let rows = (0..rows)
        .map(|r| {
            let changed = changed_every > 0 && r % changed_every == 0;
            (0..COLUMNS)
                .map(|c| match c % 9 {
                    0 if c == 0 => Cell::Text(format!("TRX-{r:08}")),
                    1 => Cell::Text(format!("08{:010}", r * 7919 % 10_000_000_000)),
                    2 => Cell::Int((r * 1000 + c) as i64 + i64::from(changed) * 5),
                    3 => Cell::Decimal(r as f64 / 4.0 + 0.5),
                    4 => Cell::Date(day + chrono::Duration::days((r % 365) as i64)),
                    5 => Cell::DateTime(
                        day.and_hms_opt(8, 0, 0).unwrap() + chrono::Duration::minutes(r as i64),
                    ),
                    6 => Cell::Text(["PAID", "PENDING", "REFUND"][r % 3].to_owned()),
                    7 => Cell::Bool(r % 2 == 0),
                    _ => Cell::Text(format!("Customer {r} of store {c}")),
                })
                .collect()
        })
        .collect();
    Table {
        format: Format::Xlsx,
        header,
        rows,
        warnings: vec![],
    }
}

/// The tab as a read returns it after an earlier run wrote `table`.
fn tab_of(table: &Table) -> Vec<Vec<Value>> {
    std::iter::once(
        table
            .header
            .iter()
            .map(|h| Value::from(h.as_str()))
            .collect(),
    )
    .chain(
        table
            .rows
            .iter()
            .map(|r| r.iter().map(to_read_value).collect()),
    )
    .collect()
}

fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Builds every batch body in turn (as the client sends them): (count, total bytes).
fn count_batches(p: &exportsync::sheet::Plan<'_>, grid: Grid) -> (usize, usize) {
    write::batches(p, grid, DEFAULT_MAX_BATCH_BYTES)
        .fold((0, 0), |(n, bytes), b| (n + 1, bytes + b.body.len()))
}

fn report_figures(tab: &[Vec<Value>], table: &Table, keys: &[String]) {
    let grid = Grid {
        sheet_id: 0,
        row_count: tab.len(),
        column_count: COLUMNS,
    };
    let inputs = CURRENT.load(Ordering::Relaxed);
    PEAK.store(inputs, Ordering::Relaxed);
    let p = plan(tab, table, keys).unwrap();
    let plan_peak = PEAK.load(Ordering::Relaxed) - inputs;
    let (writes, payload) = count_batches(&p, grid);
    let write_peak = PEAK.load(Ordering::Relaxed) - inputs;
    println!(
        "update run: {} updated, {} unchanged, {} cells; requests per export: 2 reads \
         (spreadsheets.get + values.batchGet), {} writes for {:.2} MB (ceil(payload / 2 MB) = {})",
        p.counts.updated,
        p.counts.unchanged,
        p.updates.len(),
        writes,
        payload as f64 / MB,
        payload.div_ceil(DEFAULT_MAX_BATCH_BYTES),
    );
    println!(
        "memory: inputs (export + tab as read) {:.0} MB; planning peak above inputs {:.1} MB; \
         with batch building {:.1} MB",
        inputs as f64 / MB,
        plan_peak as f64 / MB,
        write_peak as f64 / MB,
    );
    drop(p);

    let times: Vec<Duration> = (0..9)
        .map(|_| {
            let start = Instant::now();
            black_box(plan(black_box(tab), black_box(table), keys).unwrap());
            start.elapsed()
        })
        .collect();
    println!(
        "plan 100k x 27, 1% changed: median of 9 runs {:?}",
        median(times)
    );

    // A first load of the same export into an empty tab.
    let first = plan(&[], table, keys).unwrap();
    let inputs = CURRENT.load(Ordering::Relaxed);
    PEAK.store(inputs, Ordering::Relaxed);
    let (writes, payload) = count_batches(&first, grid);
    let first_peak = PEAK.load(Ordering::Relaxed) - inputs;
    println!(
        "first load: {} rows appended; requests: 2 reads (1 into a missing tab), {} writes for {:.1} MB \
         (ceil(payload / 2 MB) = {}); batch building peak above inputs and plan {:.1} MB",
        first.counts.inserted,
        writes,
        payload as f64 / MB,
        payload.div_ceil(DEFAULT_MAX_BATCH_BYTES),
        first_peak as f64 / MB,
    );
}

/// Builds the tab as an earlier run left it and the export with 1% of its rows changed.
fn inputs(rows: usize) -> (Vec<Vec<Value>>, Table) {
    let before = export(rows, 0);
    let tab = tab_of(&before);
    drop(before);
    (tab, export(rows, 100))
}

fn bench(c: &mut Criterion) {
    let (tab, table) = inputs(ROWS);
    let keys = vec!["Transaksi ID".to_owned()];
    report_figures(&tab, &table, &keys);

    let mut group = c.benchmark_group("sheet_plan");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("plan_100k_rows_27_cols_1pct_changed", |b| {
        b.iter(|| plan(black_box(&tab), black_box(&table), &keys).unwrap())
    });
    group.finish();
    if let Some(kb) = vm_hwm_kb() {
        println!(
            "process peak resident memory (VmHWM): {:.0} MB",
            kb as f64 / 1024.0
        );
    }
}

/// The measured path on a small input, with its results checked.
fn smoke_test() {
    let (tab, table) = inputs(SMOKE_ROWS);
    let keys = vec!["Transaksi ID".to_owned()];
    let p = plan(&tab, &table, &keys).unwrap();
    assert_eq!(p.counts.updated, SMOKE_ROWS / 100);
    assert_eq!(p.counts.unchanged, SMOKE_ROWS - SMOKE_ROWS / 100);
    assert_eq!(p.updates.len(), 3 * SMOKE_ROWS / 100);
    let grid = Grid {
        sheet_id: 0,
        row_count: tab.len(),
        column_count: COLUMNS,
    };
    let (writes, payload) = count_batches(&p, grid);
    assert_eq!((writes, payload.div_ceil(DEFAULT_MAX_BATCH_BYTES)), (1, 1));
    println!("sheet_plan: smoke test passed (run `cargo bench --bench sheet_plan` to measure)");
}

criterion_group!(benches, bench);

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        smoke_test();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
