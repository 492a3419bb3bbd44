//! Benchmark: a 100,000-row x 27-column xlsx of mixed types (16-digit text IDs, names, phone
//! numbers with leading zeros, integers, decimals, dates, date-times, booleans, blanks) from
//! bytes to a typed table. Prints the median wall time over several runs, and the peak memory
//! of one parse measured in a child process (VmHWM from /proc/self/status, which includes the
//! file's bytes and the program itself) and by a counting allocator (heap bytes only).
//!
//! Run: `cargo bench --bench table_parse`. Targets (issue 4): median <= 1.3 s, peak <= 200 MB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use exportsync::table::{TableOptions, parse};
use rust_xlsxwriter::{Format, Workbook};

const ROWS: u32 = 100_000;
const COLUMNS: u16 = 27;
const RUNS: usize = 9;

/// Counts live heap bytes and their high-water mark.
struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn options() -> TableOptions {
    TableOptions {
        export: "bench".into(),
        ..TableOptions::default()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|a| a == "--child-parse") {
        child_parse(Path::new(&args[position + 1]));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // in a debug build: then only check, quickly, that the measured path works.
    if !args.iter().any(|a| a == "--bench") {
        smoke_test();
        return;
    }
    let path = fixture();
    let bytes = std::fs::read(&path).expect("read the fixture");
    println!(
        "table_parse: {} rows x {} columns, xlsx of {:.1} MB",
        ROWS,
        COLUMNS,
        bytes.len() as f64 / 1e6
    );

    // Runs alternate with calamine's bare streaming walk of the same sheet, so the two medians
    // are taken under the same machine load and can be compared.
    let mut times = Vec::with_capacity(RUNS);
    let mut walk_times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let cells = calamine_walk(&bytes);
        walk_times.push(start.elapsed());
        assert!(cells > 2_000_000);

        let start = Instant::now();
        let table = parse(&bytes, &options()).expect("the fixture parses");
        times.push(start.elapsed());
        assert_eq!(table.rows.len(), ROWS as usize);
        assert_eq!(table.header.len(), COLUMNS as usize);
        drop(table);
    }
    report(
        "table_parse/xlsx_100k_x_27 (bytes to typed Table)",
        &mut times,
    );
    report(
        "calamine/worksheet_cells_reader walk (baseline)",
        &mut walk_times,
    );

    let csv = csv_fixture();
    let mut csv_times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let table = parse(csv.as_bytes(), &options()).expect("the CSV parses");
        csv_times.push(start.elapsed());
        assert_eq!(table.rows.len(), ROWS as usize);
    }
    report(
        &format!(
            "table_parse/csv_100k_x_27 ({:.1} MB of text)",
            csv.len() as f64 / 1e6
        ),
        &mut csv_times,
    );

    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let table = parse(&bytes, &options()).expect("the fixture parses");
    let heap_peak = PEAK.load(Ordering::Relaxed) - baseline;
    let heap_table = LIVE.load(Ordering::Relaxed) - baseline;
    drop(table);
    println!(
        "table_parse/xlsx_100k_x_27: heap peak during parse {:.1} MB (table kept: {:.1} MB), \
         not counting the file's bytes",
        heap_peak as f64 / 1e6,
        heap_table as f64 / 1e6
    );

    let output = Command::new(std::env::current_exe().expect("own path"))
        .arg("--child-parse")
        .arg(&path)
        .output()
        .expect("run the child parse");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

/// One small workbook of the benchmark's kind through `parse`, with the row count checked.
fn smoke_test() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    write_rows(sheet, 200);
    let bytes = workbook.save_to_buffer().expect("save");
    let table = parse(&bytes, &options()).expect("the smoke workbook parses");
    assert_eq!(table.rows.len(), 200);
    assert_eq!(table.header.len(), COLUMNS as usize);
    // Every cell but the blanks of columns 8, 17 and 26 on every third row, plus the header.
    assert_eq!(calamine_walk(&bytes), 27 + 200 * 27 - (200 / 3) * 3);
    println!("table_parse: smoke test passed (run `cargo bench --bench table_parse` to measure)");
}

/// Reads the file, parses it once and prints the process's peak resident memory.
fn child_parse(path: &Path) {
    let bytes = std::fs::read(path).expect("read the fixture");
    let table = parse(&bytes, &options()).expect("the fixture parses");
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .expect("VmHWM in /proc/self/status")
        .trim();
    println!(
        "table_parse/xlsx_100k_x_27: peak resident memory of a process that reads and parses \
         the file: {hwm} ({} rows)",
        table.rows.len()
    );
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{name}: median {:.3} s (min {:.3} s, max {:.3} s, {} runs)",
        secs(times[times.len() / 2]),
        secs(times[0]),
        secs(times[times.len() - 1]),
        times.len()
    );
}

/// calamine's own streaming reader over the first sheet, values untouched: the floor.
fn calamine_walk(bytes: &[u8]) -> usize {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
    let sheet = workbook.sheet_names()[0].clone();
    let mut reader = workbook.worksheet_cells_reader(&sheet).expect("sheet");
    let mut cells = 0;
    while let Some(cell) = reader.next_cell().expect("cell") {
        if !matches!(cell.get_value(), calamine::DataRef::Empty) {
            cells += 1;
        }
    }
    cells
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The same kind of content as CSV text (typed by inference instead of by the workbook).
fn csv_fixture() -> String {
    let mut out = (0..COLUMNS)
        .map(|c| format!("Column {c}"))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for row in 1..=u64::from(ROWS) {
        let fields: Vec<String> = (0..u64::from(COLUMNS))
            .map(|column| match column % 9 {
                0 => format!("{}", 1_000_000_000_000_000 + row * 7 + column),
                1 => format!("\"Name, {}\"", row % 1000),
                2 => format!("08{:010}", row * 13 + column),
                3 => format!("{}", row * 3 + column),
                4 => format!("{}.25", row),
                5 => "2024-03-01".to_owned(),
                6 => "2024-03-01 08:30:00".to_owned(),
                7 => "TRUE".to_owned(),
                _ if row % 3 == 0 => String::new(),
                _ => "status: paid".to_owned(),
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// The benchmark workbook, generated once and cached next to the build.
fn fixture() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("table_parse_100k_x_27_v1.xlsx");
    if path.exists() {
        return path;
    }
    let start = Instant::now();
    let mut workbook = Workbook::new();
    write_rows(workbook.add_worksheet(), ROWS);
    workbook.save(&path).expect("save the fixture");
    println!(
        "generated {} in {:.1} s",
        path.display(),
        start.elapsed().as_secs_f64()
    );
    path
}

/// The header and `rows` rows of mixed types: 16-digit text IDs, names, phone numbers with
/// leading zeros, integers, decimals, dates, date-times, booleans, and a column with blanks.
fn write_rows(sheet: &mut rust_xlsxwriter::Worksheet, rows: u32) {
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let moment = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for column in 0..COLUMNS {
        sheet
            .write_string(0, column, format!("Column {column}"))
            .expect("write header");
    }
    let names = [
        "Andi", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hadi",
    ];
    for row in 1..=rows {
        let r = f64::from(row);
        for column in 0..COLUMNS {
            let result = match column % 9 {
                0 => sheet.write_string(
                    row,
                    column,
                    format!(
                        "{}",
                        1_000_000_000_000_000u64 + u64::from(row) * 7 + u64::from(column)
                    ),
                ),
                1 => sheet.write_string(
                    row,
                    column,
                    format!(
                        "{} {}",
                        names[(row as usize + column as usize) % names.len()],
                        row % 1000
                    ),
                ),
                2 => sheet.write_string(
                    row,
                    column,
                    format!("08{:010}", u64::from(row) * 13 + u64::from(column)),
                ),
                3 => sheet.write_number(row, column, r * 3.0 + f64::from(column)),
                4 => sheet.write_number(row, column, r * 0.25 + 0.5),
                5 => sheet.write_number_with_format(row, column, 45_000.0 + (r % 365.0), &day),
                6 => sheet.write_number_with_format(row, column, 45_000.0 + r / 1_000.0, &moment),
                7 => sheet.write_boolean(row, column, row % 2 == 0),
                _ if row % 3 == 0 => continue,
                _ => sheet.write_string(row, column, "status: paid"),
            };
            result.expect("write cell");
        }
    }
}
