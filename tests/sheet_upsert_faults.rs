//! Writes that Google carried out but answered with an error (500, 502, 503, 429) or never
//! answered (a dropped connection), through the real google-sheets4 + yup-oauth2 client
//! against the emulator: no row may be duplicated, the run must finish, and a rerun must
//! write nothing. Also a tab created by an `addSheet` whose answer was lost, whole-row keys
//! as a multiset, exact text keys, a huge `Retry-After`, and the run deadline.

use std::time::Duration;

use exportsync::secrets::GoogleSecrets;
use exportsync::sheet::{RetryPolicy, SheetClient, SheetClientOptions, SheetError, SheetTarget};
use exportsync::sim::sheets::{Fault, RequestKind, SheetsSim, SheetsSimOptions};
use exportsync::table::{Cell, Format, Table};
use serde_json::{Value, json};

struct Fixture {
    sim: SheetsSim,
    google: GoogleSecrets,
}

impl Fixture {
    async fn start() -> Fixture {
        let sim = SheetsSim::start(SheetsSimOptions::default())
            .await
            .expect("simulator starts");
        let google = GoogleSecrets::new(sim.service_account_key());
        Fixture { sim, google }
    }

    fn options(&self) -> SheetClientOptions {
        SheetClientOptions {
            base_url: Some(self.sim.base_url()),
            deadline: Duration::from_secs(30),
            retry: RetryPolicy {
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(50),
                max_attempts: 6,
                request_timeout: Duration::from_secs(10),
            },
            ..Default::default()
        }
    }

    async fn client_with(&self, options: SheetClientOptions) -> SheetClient {
        SheetClient::new(&self.google, options)
            .await
            .expect("client builds")
    }

    /// The tab's rows as the emulator holds them (empty cells are null).
    fn rows(&self, id: &str, tab: &str) -> Vec<Vec<Value>> {
        let state = self.sim.state(id).expect("spreadsheet exists");
        state.tab(tab).expect("tab exists").rows.clone()
    }
}

fn target(id: &str, tab: &str, keys: &[&str]) -> SheetTarget {
    SheetTarget {
        spreadsheet_id: id.into(),
        tab: tab.into(),
        key_columns: keys.iter().map(|k| k.to_string()).collect(),
    }
}

fn table(header: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        format: Format::Csv,
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
        warnings: vec![],
    }
}

fn t(s: &str) -> Cell {
    Cell::Text(s.into())
}

/// `n` rows keyed by a 16-digit text id, with enough text that a 4 KB batch holds ~15 rows.
fn export(n: usize) -> Table {
    table(
        &["id", "name", "note"],
        (0..n)
            .map(|i| {
                vec![
                    t(&format!("{}", 1_234_567_890_123_400u64 + i as u64)),
                    t(&format!("name {i}")),
                    t("some text so that a small batch holds only a few rows"),
                ]
            })
            .collect(),
    )
}

/// The expected tab: the header, then each export row once, in export order.
fn expected(table: &Table) -> Vec<Vec<Value>> {
    let mut rows = vec![table.header.iter().map(|h| json!(h)).collect::<Vec<_>>()];
    for row in &table.rows {
        rows.push(
            row.iter()
                .map(|c| match c {
                    Cell::Text(s) => json!(s),
                    other => panic!("text cells only here: {other:?}"),
                })
                .collect(),
        );
    }
    rows
}

/// Every fault after the write landed, on the first write and on the third of several
/// batches: the upsert succeeds, each row is in the tab once, and a rerun writes nothing.
#[tokio::test]
async fn a_write_that_landed_but_was_answered_with_an_error_duplicates_no_row() {
    let f = Fixture::start().await;
    let faults = [
        ("500", Fault::write_applied_then(500)),
        ("502", Fault::write_applied_then(502)),
        ("503", Fault::write_applied_then(503)),
        ("429", Fault::write_applied_then(429)),
        ("drop", Fault::write_applied_then_dropped()),
    ];
    for (name, fault) in faults {
        for (place, batches_before) in [("first", 0usize), ("later", 2)] {
            let id = format!("faults-{name}-{place}");
            f.sim.add_spreadsheet(&id);
            let mut options = f.options();
            options.max_batch_bytes = 4_000;
            let client = f.client_with(options).await;
            let data = export(60);
            let target = target(&id, "Sheet1", &["id"]);
            f.sim.inject(fault.clone().after(batches_before));
            let report = client
                .upsert(&target, &data, false)
                .await
                .unwrap_or_else(|e| panic!("{name} on the {place} write: {e}"));
            assert_eq!(
                f.sim.pending_faults(),
                0,
                "{name} {place}: the fault struck"
            );
            assert_eq!(report.inserted, 60, "{name} {place}: {report:?}");
            assert_eq!(
                f.rows(&id, "Sheet1"),
                expected(&data),
                "{name} on the {place} write: every row once, in order"
            );
            f.sim.reset_counts();
            let again = client.upsert(&target, &data, false).await.unwrap();
            assert_eq!(
                (again.unchanged, again.inserted, f.sim.counts().writes()),
                (60, 0, 0),
                "{name} {place}: the rerun converged"
            );
        }
    }
}

/// Whole-row keys: the same write faults, on an export holding identical rows twice.
#[tokio::test]
async fn whole_row_writes_answered_with_an_error_keep_exactly_the_exports_copies() {
    let f = Fixture::start().await;
    for (name, fault) in [
        ("500", Fault::write_applied_then(500)),
        ("drop", Fault::write_applied_then_dropped()),
    ] {
        let id = format!("whole-row-{name}");
        f.sim.add_spreadsheet(&id);
        let client = f.client_with(f.options()).await;
        let row = vec![t("top-up"), t("500")];
        let data = table(&["what", "points"], vec![row.clone(), row.clone(), row]);
        f.sim.inject(fault);
        client
            .upsert(&target(&id, "Sheet1", &[]), &data, false)
            .await
            .unwrap();
        assert_eq!(f.rows(&id, "Sheet1"), expected(&data), "{name}");
    }
}

/// An `addSheet` that Google carried out but answered 500 (or never answered): the tab
/// exists, which is success, not "already exists".
#[tokio::test]
async fn an_add_sheet_that_landed_but_was_answered_with_an_error_is_success() {
    let f = Fixture::start().await;
    for (name, fault) in [
        ("500", Fault::write_applied_then(500)),
        ("502", Fault::write_applied_then(502)),
        ("503", Fault::write_applied_then(503)),
        ("429", Fault::write_applied_then(429)),
        ("drop", Fault::write_applied_then_dropped()),
    ] {
        let id = format!("add-sheet-{name}");
        f.sim.add_spreadsheet(&id);
        let client = f.client_with(f.options()).await;
        let data = export(5);
        let target = target(&id, "Orders", &["id"]);
        f.sim.inject(fault);
        let report = client
            .upsert(&target, &data, false)
            .await
            .unwrap_or_else(|e| panic!("addSheet answered {name}: {e}"));
        assert!(report.tab_created, "{name}");
        let state = f.sim.state(&id).unwrap();
        let titles: Vec<&str> = state.tabs.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["Sheet1", "Orders"], "{name}");
        assert_eq!(f.rows(&id, "Orders"), expected(&data), "{name}");
        f.sim.reset_counts();
        client.upsert(&target, &data, false).await.unwrap();
        assert_eq!(f.sim.counts().writes(), 0, "{name}");
    }
}

/// Keyed on the whole row, two identical rows (the same top-up twice in a day) are two rows:
/// the tab ends with as many copies as the export holds, never fewer, and a rerun adds none.
#[tokio::test]
async fn whole_row_keys_are_a_multiset() {
    let f = Fixture::start().await;
    let id = "multiset";
    f.sim.add_spreadsheet(id);
    let client = f.client_with(f.options()).await;
    let target = target(id, "Sheet1", &[]);
    let top_up = vec![t("2024-05-17"), t("0812"), Cell::Int(500)];
    let other = vec![t("2024-05-17"), t("0899"), Cell::Int(20)];
    let header = ["day", "member", "points"];
    let twice = table(&header, vec![top_up.clone(), other.clone(), top_up.clone()]);
    let report = client.upsert(&target, &twice, false).await.unwrap();
    assert_eq!((report.inserted, report.duplicates), (3, 0), "{report:?}");
    assert_eq!(f.rows(id, "Sheet1").len(), 4);
    f.sim.reset_counts();
    let again = client.upsert(&target, &twice, false).await.unwrap();
    assert_eq!((again.inserted, again.unchanged), (0, 3), "{again:?}");
    assert_eq!(f.sim.counts().writes(), 0);
    // A later export with a third copy adds exactly one; one with a single copy removes none.
    let thrice = table(
        &header,
        vec![top_up.clone(), top_up.clone(), top_up.clone()],
    );
    let report = client.upsert(&target, &thrice, false).await.unwrap();
    assert_eq!((report.inserted, report.unchanged), (1, 2), "{report:?}");
    let once = table(&header, vec![top_up]);
    let report = client.upsert(&target, &once, false).await.unwrap();
    assert_eq!((report.inserted, report.unchanged), (0, 1), "{report:?}");
    let members: Vec<Value> = f.rows(id, "Sheet1")[1..]
        .iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(
        members,
        [json!("0812"), json!("0899"), json!("0812"), json!("0812")]
    );
}

/// Text keys compare exactly: "1.10" and "1.1", "10" and "10.0" are four rows; only a number
/// and its integer text are one key (the sheet's 123 is the export's "123").
#[tokio::test]
async fn text_keys_compare_exactly() {
    let f = Fixture::start().await;
    let id = "exact-keys";
    f.sim.set_rows(
        id,
        "Sheet1",
        vec![
            vec![json!("code"), json!("v")],
            vec![json!(123), json!("old")],
        ],
    );
    let client = f.client_with(f.options()).await;
    let target = target(id, "Sheet1", &["code"]);
    let data = table(
        &["code", "v"],
        vec![
            vec![t("1.10"), t("a")],
            vec![t("1.1"), t("b")],
            vec![t("10"), t("c")],
            vec![t("10.0"), t("d")],
            vec![t("123"), t("new")],
        ],
    );
    let report = client.upsert(&target, &data, false).await.unwrap();
    assert_eq!(
        (report.inserted, report.updated, report.duplicates),
        (4, 1, 0),
        "{report:?}"
    );
    let rows = f.rows(id, "Sheet1");
    assert_eq!(
        rows,
        [
            vec![json!("code"), json!("v")],
            vec![json!(123), json!("new")],
            vec![json!("1.10"), json!("a")],
            vec![json!("1.1"), json!("b")],
            vec![json!("10"), json!("c")],
            vec![json!("10.0"), json!("d")],
        ]
    );
    f.sim.reset_counts();
    client.upsert(&target, &data, false).await.unwrap();
    assert_eq!(f.sim.counts().writes(), 0);
}

/// A `Retry-After` too large for any clock never panics: the call gives up at once with a
/// quota error.
#[tokio::test]
async fn a_huge_retry_after_gives_up_without_panicking() {
    let f = Fixture::start().await;
    let id = "huge-retry-after";
    f.sim.add_spreadsheet(id);
    let client = f.client_with(f.options()).await;
    f.sim.inject(Fault {
        retry_after: Some(u64::MAX),
        ..Fault::new(Some(RequestKind::Get), 429, 1)
    });
    let started = std::time::Instant::now();
    let err = client
        .upsert(&target(id, "Sheet1", &["id"]), &export(3), false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SheetError::QuotaExhausted { attempts: 1, .. }),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A server slower than the run's deadline: the upsert ends by the deadline (not a request
/// timeout later), with every attempt cut short.
#[tokio::test]
async fn an_upsert_ends_by_its_deadline() {
    let f = Fixture::start().await;
    let id = "deadline";
    f.sim.add_spreadsheet(id);
    let client = f.client_with(f.options()).await;
    // Fetch the token first so that only the API calls meet the slow server.
    client
        .upsert(&target(id, "Sheet1", &["id"]), &export(3), true)
        .await
        .unwrap();
    f.sim.set_latency(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    let err = client
        .upsert_until(
            &target(id, "Sheet1", &["id"]),
            &export(3),
            false,
            started + Duration::from_millis(700),
        )
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, SheetError::Unavailable { .. }), "{err}");
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(1_500),
        "{took:?}"
    );
    f.sim.set_latency(Duration::ZERO);
}
