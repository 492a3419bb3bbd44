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
    tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .arg("upsert")
        .arg(&s.file)
        .args(["--spreadsheet", ID, "--secrets-file"])
        .arg(&s.secrets)
        .args(extra)
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
