//! How long the simulated backend takes to build one export file of 1,000 rows (the benchmark
//! of the browser source downloads four of them): rows plus xlsx, per export.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use exportsync::sim::backend::{EXPORTS, export_file};

fn xlsx_of_1000_rows(c: &mut Criterion) {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("valid date");
    let mut group = c.benchmark_group("sim_backend_xlsx_1000_rows");
    group.sample_size(20);
    for export in EXPORTS {
        group.bench_function(export, |b| {
            b.iter(|| export_file(black_box(export), day, day, 1000).expect("xlsx builds"))
        });
    }
    group.finish();
}

criterion_group!(benches, xlsx_of_1000_rows);
criterion_main!(benches);
