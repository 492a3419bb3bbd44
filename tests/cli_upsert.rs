//! `exportsync upsert` driven as a user runs it: the real binary, a real xlsx file written with
//! rust_xlsxwriter, a secrets file holding the emulator's service-account key (in a temporary
//! directory), and `SHEETS_API_BASE_URL` pointing at the Sheets API emulator.

use std::path::{Path, PathBuf};
use std::process::Output;

use exportsync::sim::sheets::{SIM_CLIENT_EMAIL, SheetsSim, SheetsSimOptions};
use rust_xlsxwriter::{Format, Workbook};
use serde_json::{Value, json};

const ID: &str = "cli-spreadsheet";

struct Setup {
    sim: SheetsSim,
    dir: tempfile::TempDir,
    secrets: PathBuf,
    file: PathBuf,
}

async fn setup() -> Setup {
    let sim = SheetsSim::start(SheetsSimOptions {
        spreadsheets: vec![ID.into()],
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    let document = json!({ "google": sim.service_account_key() });
    std::fs::write(&secrets, serde_json::to_vec(&document).unwrap()).unwrap();
    let file = dir.path().join("transactions.xlsx");
    write_export(&file);
    Setup {
        sim,
        dir,
        secrets,
        file,
    }
}

/// Seven transactions: 16-digit text IDs, phone numbers with leading zeros, totals, dates.
fn write_export(path: &Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    for (column, name) in ["Transaksi ID", "Member", "Total", "Tanggal"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    for row in 0..7u32 {
        let r = row + 1;
        let id = format!("{}", 1_234_567_890_123_400u64 + u64::from(row));
        sheet.write_string(r, 0, id).unwrap();
        sheet.write_string(r, 1, format!("0812{row:04}")).unwrap();
        sheet.write_number(r, 2, f64::from(row) * 1000.0).unwrap();
        sheet
            .write_number_with_format(r, 3, 45_000.0 + f64::from(row), &day)
            .unwrap();
    }
    workbook.save(path).unwrap();
}

async fn upsert(s: &Setup, extra: &[&str]) -> Output {
    let mut args = vec!["--spreadsheet", ID];
    args.extend_from_slice(extra);
    exportsync_upsert(s, &s.file, &args).await
}

/// `exportsync upsert FILE --secrets-file S ARGS...`.
async fn exportsync_upsert(s: &Setup, file: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .arg("upsert")
        .arg(file)
        .arg("--secrets-file")
        .arg(&s.secrets)
        .args(args)
        .env("SHEETS_API_BASE_URL", s.sim.base_url())
        .env("RUST_LOG", "warn")
        .current_dir(s.dir.path())
        .output()
        .await
        .expect("run exportsync")
}

fn json_report(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

#[tokio::test]
async fn first_load_then_a_second_run_writes_nothing() {
    let s = setup().await;
    let args = ["--tab", "Data #1", "--key", "Transaksi ID", "--json"];
    let first = json_report(&upsert(&s, &args).await);
    assert_eq!(first["inserted"], 7, "{first}");
    assert_eq!(first["tab_created"], true);
    assert_eq!(
        (
            first["read_requests"].clone(),
            first["write_requests"].clone()
        ),
        (json!(1), json!(2))
    );
    for key in ["updated", "unchanged", "duplicates", "empty_keys"] {
        assert_eq!(first[key], 0, "{key}: {first}");
    }
    let state = s.sim.state(ID).unwrap();
    let rows = &state.tab("Data #1").unwrap().rows;
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[1][0], json!("1234567890123400"), "IDs stay text");
    assert_eq!(rows[1][1], json!("08120000"), "leading zeros stay");
    assert_eq!(rows[7][3], json!(45006), "dates are serials");

    s.sim.reset_counts();
    let second = json_report(&upsert(&s, &args).await);
    assert_eq!(
        (
            second["unchanged"].clone(),
            second["write_requests"].clone()
        ),
        (json!(7), json!(0))
    );
    assert_eq!(s.sim.counts().writes(), 0);
}

#[tokio::test]
async fn dry_run_prints_the_plan_and_writes_nothing() {
    let s = setup().await;
    let output = upsert(&s, &["--key", "Transaksi ID", "--dry-run"]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("DRY RUN") && text.contains("7 inserted"),
        "{text}"
    );
    assert_eq!(s.sim.counts().writes(), 0);
    assert!(
        s.sim
            .state(ID)
            .unwrap()
            .tab("Sheet1")
            .unwrap()
            .rows
            .is_empty()
    );
}

#[tokio::test]
async fn a_spreadsheet_not_shared_fails_naming_the_email() {
    let s = setup().await;
    s.sim.deny_access(ID);
    let output = upsert(&s, &["--key", "Transaksi ID"]).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("share it with {SIM_CLIENT_EMAIL} as Editor"))
            && stderr.contains(ID),
        "{stderr}"
    );
    assert!(!stderr.contains("PRIVATE KEY"), "{stderr}");
}

#[tokio::test]
async fn an_unknown_key_column_fails_before_any_request() {
    let s = setup().await;
    let output = upsert(&s, &["--key", "Order No"]).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`Order No`") && stderr.contains("Transaksi ID"),
        "{stderr}"
    );
    let counts = s.sim.counts();
    assert_eq!((counts.token, counts.reads(), counts.writes()), (0, 0, 0));
}

/// A configuration whose `transactions` export goes to tab "Orders" of the test spreadsheet,
/// keyed on "Transaksi ID", with "Total" read as text and "Grand total" rows left out.
fn write_config(dir: &Path) -> PathBuf {
    let sim = include_str!("../examples/sim.toml");
    let config = sim.replacen(
        "spreadsheet_id = \"sim-transactions\"",
        &format!(
            "spreadsheet_id = \"{ID}\"\ntab = \"Orders\"\ntext_columns = [\"Transaksi ID\", \"Total\"]\nfooter_prefixes = [\"Grand total\"]"
        ),
        1,
    );
    let config = config.replacen("text_columns = [\"Transaksi ID\"]\n", "", 1);
    assert_ne!(config, sim, "examples/sim.toml changed: update this test");
    let path = dir.join("exports.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// The export file of `write_export` with a footer row.
fn write_export_with_footer(path: &Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, name) in ["Transaksi ID", "Member", "Total"].iter().enumerate() {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    for row in 0..3u32 {
        let r = row + 1;
        sheet
            .write_string(
                r,
                0,
                format!("{}", 1_234_567_890_123_400u64 + u64::from(row)),
            )
            .unwrap();
        sheet.write_string(r, 1, format!("0812{row:04}")).unwrap();
        sheet
            .write_number(r, 2, f64::from(row) * 1000.0 + 0.5)
            .unwrap();
    }
    sheet.write_string(4, 0, "Grand total").unwrap();
    sheet.write_number(4, 2, 3001.5).unwrap();
    workbook.save(path).unwrap();
}

#[tokio::test]
async fn the_exports_configuration_gives_spreadsheet_tab_key_and_reading_options() {
    let s = setup().await;
    let config = write_config(s.dir.path());
    let file = s.dir.path().join("with-footer.xlsx");
    write_export_with_footer(&file);
    let config_arg = config.to_str().unwrap();
    let args = ["--export", "transactions", "--config", config_arg, "--json"];
    let report = json_report(&exportsync_upsert(&s, &file, &args).await);
    assert_eq!(
        (report["tab"].clone(), report["inserted"].clone()),
        (json!("Orders"), json!(3)),
        "{report}"
    );
    let state = s.sim.state(ID).unwrap();
    let rows = &state.tab("Orders").unwrap().rows;
    assert_eq!(rows.len(), 4, "the footer row is left out: {rows:?}");
    assert!(rows[1][2].is_string(), "Total is a text column: {rows:?}");
    let again = json_report(&exportsync_upsert(&s, &file, &args).await);
    assert_eq!(again["unchanged"], 3, "keyed on Transaksi ID: {again}");

    // Flags override the configuration: another tab, another key.
    let args = [
        "--export",
        "transactions",
        "--config",
        config_arg,
        "--tab",
        "By member",
        "--key",
        "Member",
        "--json",
    ];
    let report = json_report(&exportsync_upsert(&s, &file, &args).await);
    assert_eq!(report["tab"], "By member", "{report}");
    assert_eq!(report["inserted"], 3, "{report}");
    let state = s.sim.state(ID).unwrap();
    assert_eq!(state.tab("By member").unwrap().rows.len(), 4);
}

#[tokio::test]
async fn an_unknown_export_fails_naming_the_known_ones_before_any_request() {
    let s = setup().await;
    let config = write_config(s.dir.path());
    let args = ["--export", "orders", "--config", config.to_str().unwrap()];
    let output = exportsync_upsert(&s, &s.file, &args).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("\"orders\"") && stderr.contains("transactions, point_transactions"),
        "{stderr}"
    );
    let counts = s.sim.counts();
    assert_eq!((counts.token, counts.reads(), counts.writes()), (0, 0, 0));
    // Without --export, --spreadsheet is required.
    let output = exportsync_upsert(&s, &s.file, &["--key", "Transaksi ID"]).await;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--spreadsheet"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
