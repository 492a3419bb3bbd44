//! The Sheets API simulator driven by the real google-sheets4 hub and the real yup-oauth2
//! service-account flow over loopback HTTP: auth, reads, writes, grid limits, atomic batches,
//! faults, error shapes and counts.

#[path = "sim_sheets/support.rs"]
mod support;

use std::time::Duration;

use exportsync::sim::sheets::{Fault, RequestKind, SIM_CLIENT_EMAIL};
use google_sheets4::api::{
    AppendCellsRequest, AppendDimensionRequest, BatchUpdateSpreadsheetRequest, CellData, Request,
    Scope,
};
use google_sheets4::{Error, FieldMask, yup_oauth2};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn token_grant_checks_the_signature() {
    let sim = start().await;
    let hub = hub(&sim).await;
    let (_, sheet) = hub
        .spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .expect("get with a key the simulator issued");
    assert_eq!(sheet.spreadsheet_id.as_deref(), Some(ID));
    assert_eq!(sim.counts().token, 1);

    // A well-formed key the simulator never issued, pointed at its token endpoint.
    let other = start().await;
    let mut stranger = other.service_account_key();
    stranger.token_uri = sim.token_uri();
    assert_eq!(stranger.client_email, SIM_CLIENT_EMAIL);
    let forged = hub_with_key(&sim, stranger).await;
    let error = forged
        .spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .expect_err("a foreign key must be refused");
    assert!(matches!(error, Error::MissingToken(_)), "{error:?}");
    assert!(
        format!("{error:?}").contains("Invalid JWT Signature"),
        "{error:?}"
    );
    let counts = sim.counts();
    assert_eq!((counts.token, counts.get, counts.rejected), (2, 1, 1));

    // Without a token, or with one the simulator did not grant: 401 in Google's shape.
    let http = reqwest::Client::new();
    let url = format!("{}v4/spreadsheets/{ID}", sim.base_url());
    for auth in [None, Some("Bearer ya29.made-up")] {
        let mut request = http.get(&url);
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 401);
        assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    }
    other.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn get_describes_tabs_and_grids() {
    let sim = start().await;
    let hub = hub(&sim).await;
    let (_, sheet) = hub
        .spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    let sheets = sheet.sheets.unwrap();
    assert_eq!(sheets.len(), 1);
    let props = sheets[0].properties.clone().unwrap();
    assert_eq!(props.title.as_deref(), Some("Sheet1"));
    assert_eq!((props.sheet_id, props.index), (Some(0), Some(0)));
    let grid = props.grid_properties.unwrap();
    assert_eq!((grid.row_count, grid.column_count), (Some(1000), Some(26)));
    assert!(sheet.properties.unwrap().title.is_some());

    // With ranges and includeGridData the real client decodes the GridData it gets back.
    sim.set_rows(
        ID,
        "Data #1",
        vec![vec![json!("id"), json!(7)], vec![], vec![json!(true)]],
    );
    let (_, sheet) = hub
        .spreadsheets()
        .get(ID)
        .add_ranges("'Data #1'!A1:B3")
        .include_grid_data(true)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    let sheets = sheet.sheets.unwrap();
    assert_eq!(sheets.len(), 1, "only the tab the range names");
    let data = sheets[0].data.clone().unwrap();
    let rows = data[0].row_data.clone().unwrap();
    let first = rows[0].values.clone().unwrap();
    assert_eq!(first[0].formatted_value.as_deref(), Some("id"));
    let entered = first[1].user_entered_value.clone().unwrap();
    assert_eq!(entered.number_value, Some(7.0));
    assert!(rows[1].values.is_none(), "an empty row has no values");
    let flag = rows[2].values.clone().unwrap()[0]
        .effective_value
        .clone()
        .unwrap();
    assert_eq!(flag.bool_value, Some(true));
    sim.shutdown().await;
}

#[tokio::test]
async fn typed_values_round_trip_through_add_sheet_update_cells_and_batch_get() {
    let sim = start().await;
    let hub = hub(&sim).await;
    let reply = batch_update(&hub, vec![add_sheet("Data #1")])
        .await
        .unwrap();
    let props = reply.replies.unwrap()[0]
        .add_sheet
        .clone()
        .unwrap()
        .properties
        .unwrap();
    assert_eq!(props.title.as_deref(), Some("Data #1"));
    let data_id = props.sheet_id.expect("addSheet reply carries the sheetId");
    assert_ne!(data_id, 0);

    let written = vec![
        vec![
            text("Transaksi ID"),
            text("Phone"),
            text("Amount"),
            text("Paid"),
            text("Code"),
        ],
        vec![
            text("1234567890123456"),
            text("0812345678"),
            number(42.5),
            boolean(true),
            text("7e30"),
        ],
        vec![text("0001"), text(""), number(1e6), boolean(false)],
    ];
    batch_update(&hub, vec![update_cells(data_id, 0, 0, written)])
        .await
        .unwrap();

    // Ranges travel in the query string, so `#` and the space arrive intact.
    let unformatted = batch_get(&hub, &["'Data #1'!A1:Z", "Sheet1"], "UNFORMATTED_VALUE").await;
    assert_eq!(
        unformatted[0],
        vec![
            vec![
                json!("Transaksi ID"),
                json!("Phone"),
                json!("Amount"),
                json!("Paid"),
                json!("Code")
            ],
            vec![
                json!("1234567890123456"),
                json!("0812345678"),
                json!(42.5),
                json!(true),
                json!("7e30")
            ],
            vec![json!("0001"), json!(""), json!(1000000), json!(false)],
        ]
    );
    assert!(unformatted[1].is_empty(), "Sheet1 is still empty");
    let formatted = batch_get(&hub, &["'Data #1'!B2:D3"], "FORMATTED_VALUE").await;
    assert_eq!(
        formatted[0],
        vec![
            vec![json!("0812345678"), json!("42.5"), json!("TRUE")],
            vec![json!(""), json!("1000000"), json!("FALSE")]
        ]
    );

    // values.get with a plain range in the path.
    let (_, vr) = hub
        .spreadsheets()
        .values_get(ID, "Sheet1!A1:B2")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    assert_eq!(vr.range.as_deref(), Some("Sheet1!A1:B2"));
    assert_eq!(vr.values, None);

    let state = sim.state(ID).unwrap();
    assert_eq!(
        state.tab("Data #1").unwrap().rows[1][1],
        json!("0812345678")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn append_cells_writes_after_the_data_and_grows_the_grid() {
    let sim = start().await;
    let seed: Vec<Vec<Value>> = (0..998).map(|i| vec![json!(format!("row {i}"))]).collect();
    sim.set_rows(ID, "Sheet1", seed);
    let hub = hub(&sim).await;
    let appended: Vec<Vec<CellData>> = (0..5)
        .map(|i| vec![text(&format!("new {i}")), number(i as f64)])
        .collect();
    let request = Request {
        append_cells: Some(AppendCellsRequest {
            sheet_id: Some(0),
            rows: Some(rows(appended)),
            fields: Some(FieldMask::new(&["userEnteredValue"])),
            ..Default::default()
        }),
        ..Default::default()
    };
    batch_update(&hub, vec![request]).await.unwrap();
    let state = sim.state(ID).unwrap();
    let tab = state.tab("Sheet1").unwrap();
    assert_eq!(tab.row_count, 1003);
    assert_eq!(tab.rows.len(), 1003);
    assert_eq!(tab.rows[997], vec![json!("row 997")]);
    assert_eq!(tab.rows[998], vec![json!("new 0"), json!(0)]);
    assert_eq!(tab.rows[1002], vec![json!("new 4"), json!(4)]);
    let (_, sheet) = hub
        .spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    let grid = sheet.sheets.unwrap()[0]
        .properties
        .clone()
        .unwrap()
        .grid_properties
        .unwrap();
    assert_eq!(grid.row_count, Some(1003));
    sim.shutdown().await;
}

#[tokio::test]
async fn outside_the_grid_fails_and_a_failed_batch_changes_nothing() {
    let sim = start().await;
    sim.set_rows(ID, "Sheet1", vec![vec![json!("keep me")]]);
    let hub = hub(&sim).await;
    let before = serde_json::to_value(sim.state(ID).unwrap()).unwrap();

    let error = batch_update(&hub, vec![update_cells(0, 1000, 0, vec![vec![text("x")]])])
        .await
        .unwrap_err();
    let error = google_error(error);
    assert_eq!(error["code"], 400);
    assert_eq!(error["status"], "INVALID_ARGUMENT");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("exceeds grid limits"),
        "{error}"
    );

    let error = batch_update(
        &hub,
        vec![
            add_sheet("Created then undone"),
            update_cells(0, 0, 0, vec![vec![text("overwritten")]]),
            update_cells(0, 0, 26, vec![vec![text("column AA does not exist")]]),
        ],
    )
    .await
    .unwrap_err();
    let message = google_error(error)["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("Invalid requests[2].updateCells: "),
        "{message}"
    );
    assert_eq!(
        serde_json::to_value(sim.state(ID).unwrap()).unwrap(),
        before
    );

    // Growing past 10 million cells (26,000 exist) is refused like any invalid subrequest.
    let grow = Request {
        append_dimension: Some(AppendDimensionRequest {
            sheet_id: Some(0),
            dimension: Some("ROWS".into()),
            length: Some(384_000),
        }),
        ..Default::default()
    };
    let error = batch_update(&hub, vec![grow]).await.unwrap_err();
    let message = google_error(error)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("above the limit of 10000000 cells"),
        "{message}"
    );
    assert_eq!(sim.state(ID).unwrap().tabs[0].row_count, 1000);

    let error = batch_update(&hub, vec![add_sheet("sheet1")])
        .await
        .unwrap_err();
    assert!(
        google_error(error)["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    let counts = sim.counts();
    assert_eq!(
        (
            counts.batch_update,
            counts.batch_update_subrequests,
            counts.rejected
        ),
        (4, 6, 4)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_429_carries_retry_after_and_writes_nothing() {
    let sim = start().await;
    let hub = hub(&sim).await;
    sim.inject(Fault {
        retry_after: Some(3),
        ..Fault::new(Some(RequestKind::BatchUpdate), 429, 1)
    });
    // Faults of another kind do not hit writes.
    sim.inject(Fault::new(Some(RequestKind::Get), 503, 1));
    let mut recorder = Recorder::default();
    let seen = recorder.retry_after.clone();
    let request = BatchUpdateSpreadsheetRequest {
        requests: Some(vec![update_cells(0, 0, 0, vec![vec![text("once")]])]),
        ..Default::default()
    };
    let error = hub
        .spreadsheets()
        .batch_update(request.clone(), ID)
        .delegate(&mut recorder)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    let error = google_error(error);
    assert_eq!(
        (error["code"].clone(), error["status"].clone()),
        (json!(429), json!("RESOURCE_EXHAUSTED"))
    );
    assert_eq!(*seen.lock().unwrap(), vec![Some("3".to_string())]);
    assert!(sim.state(ID).unwrap().tabs[0].rows.is_empty());

    hub.spreadsheets()
        .batch_update(request, ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    assert_eq!(
        sim.state(ID).unwrap().tabs[0].rows,
        vec![vec![json!("once")]]
    );
    let error = hub
        .spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    assert_eq!(google_error(error)["status"], "UNAVAILABLE");
    assert_eq!(sim.pending_faults(), 0);
    hub.spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    sim.shutdown().await;
}

/// Faults that strike after the write was carried out: the real client sees a 500, 502, 503
/// or 429, or a connection closed without an answer, yet the batch has landed; a read that
/// follows is served normally.
#[tokio::test]
async fn faults_after_applying_answer_an_error_or_drop_the_connection_but_the_write_lands() {
    let sim = start().await;
    let hub = hub(&sim).await;
    let write = |n: usize, word: &str| BatchUpdateSpreadsheetRequest {
        requests: Some(vec![update_cells(0, n as i32, 0, vec![vec![text(word)]])]),
        ..Default::default()
    };
    for (n, status) in [500u16, 502, 503, 429].into_iter().enumerate() {
        sim.inject(Fault::write_applied_then(status));
        let error = hub
            .spreadsheets()
            .batch_update(write(n, &format!("row {n}")), ID)
            .add_scope(Scope::Spreadsheet)
            .doit()
            .await
            .unwrap_err();
        assert_eq!(google_error(error)["code"], json!(status));
        let rows = sim.state(ID).unwrap().tabs[0].rows.clone();
        assert_eq!(rows.len(), n + 1, "the write landed before the {status}");
        assert_eq!(rows[n], vec![json!(format!("row {n}"))]);
    }
    sim.inject(Fault::write_applied_then_dropped());
    let error = hub
        .spreadsheets()
        .batch_update(write(4, "dropped"), ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::HttpError(_)), "{error:?}");
    assert_eq!(
        sim.state(ID).unwrap().tabs[0].rows[4],
        vec![json!("dropped")]
    );
    assert_eq!(sim.pending_faults(), 0);
    // The simulator keeps serving after a dropped connection.
    hub.spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn denied_unknown_and_unparsable_answer_like_google() {
    let sim = start().await;
    sim.deny_access("1sim-private");
    let hub = hub(&sim).await;
    let error = hub
        .spreadsheets()
        .get("1sim-private")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    let error = google_error(error);
    assert_eq!(
        error,
        json!({"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"})
    );

    let error = hub
        .spreadsheets()
        .get("1sim-nowhere")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    let error = google_error(error);
    assert_eq!(
        error,
        json!({"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"})
    );

    let error = hub
        .spreadsheets()
        .values_batch_get(ID)
        .add_ranges("Missing!A1:B2")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    let error = google_error(error);
    assert_eq!(error["code"], 400);
    assert_eq!(error["message"], "Unable to parse range: Missing!A1:B2");
    sim.shutdown().await;
}

#[tokio::test]
async fn counts_and_sim_endpoints() {
    let sim = start().await;
    let hub = hub(&sim).await;
    hub.spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    batch_get(&hub, &["Sheet1"], "UNFORMATTED_VALUE").await;
    hub.spreadsheets()
        .values_get(ID, "Sheet1")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    batch_update(&hub, vec![add_sheet("A"), add_sheet("B")])
        .await
        .unwrap();
    let counts = sim.counts();
    assert_eq!(
        (
            counts.token,
            counts.get,
            counts.values_batch_get,
            counts.values_get
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(
        (
            counts.batch_update,
            counts.batch_update_subrequests,
            counts.rejected
        ),
        (1, 2, 0)
    );
    assert_eq!((counts.reads(), counts.writes()), (3, 1));

    let http = reqwest::Client::new();
    let base = sim.base_url();
    let remote: Value = http
        .get(format!("{base}_sim/counts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(remote["batch_update_subrequests"], 2);
    let state: Value = http
        .get(format!("{base}_sim/spreadsheets/{ID}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let titles: Vec<&str> = state["tabs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Sheet1", "A", "B"]);
    let missing = http
        .get(format!("{base}_sim/spreadsheets/none"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let posted = http
        .post(format!("{base}_sim/faults"))
        .json(&json!({"kind": "ValuesBatchGet", "status": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 204);
    let error = hub
        .spreadsheets()
        .values_batch_get(ID)
        .add_ranges("Sheet1")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    assert_eq!(google_error(error)["status"], "INTERNAL");

    sim.reset_counts();
    assert_eq!(sim.counts(), Default::default());
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_delays_answers() {
    let sim = start().await;
    let hub = hub(&sim).await;
    hub.spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    sim.set_latency(Duration::from_millis(300));
    let started = std::time::Instant::now();
    hub.spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn values_get_path_ranges_arrive_as_the_client_sends_them() {
    let sim = start().await;
    sim.set_rows(
        ID,
        "Data #1",
        vec![vec![json!("id"), json!("name")], vec![json!(7), json!("x")]],
    );
    let hub = hub(&sim).await;
    // google-sheets4 puts the range in the path unencoded: `#` starts a URL fragment, so only
    // `'Data ` reaches the server, which refuses it loudly instead of reading another range.
    let error = hub
        .spreadsheets()
        .values_get(ID, "'Data #1'!A1:B2")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    assert_eq!(
        google_error(error)["message"],
        "Unable to parse range: 'Data "
    );
    // Encoded by the caller, the same range is decoded and read.
    let (_, vr) = hub
        .spreadsheets()
        .values_get(ID, "'Data%20%231'!A1:B2")
        .value_render_option("UNFORMATTED_VALUE")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    assert_eq!(vr.range.as_deref(), Some("'Data #1'!A1:B2"));
    assert_eq!(
        vr.values,
        Some(vec![
            vec![json!("id"), json!("name")],
            vec![json!(7), json!("x")]
        ])
    );
    // Whole columns past Z are clamped to the grid, as Google does for reads.
    let (_, vr) = hub
        .spreadsheets()
        .values_get(ID, "'Data%20%231'!A:AA")
        .major_dimension("COLUMNS")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    assert_eq!(vr.range.as_deref(), Some("'Data #1'!A1:Z1000"));
    assert_eq!(vr.major_dimension.as_deref(), Some("COLUMNS"));
    assert_eq!(
        vr.values,
        Some(vec![
            vec![json!("id"), json!("7")],
            vec![json!("name"), json!("x")]
        ])
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn cli_serves_spreadsheets_and_writes_a_usable_key() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.json");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .args([
            "sim",
            "sheets",
            "--port",
            "0",
            "--spreadsheet",
            "cli-sheet",
            "--fail-429",
            "1",
        ])
        .arg("--key-out")
        .arg(&key_path)
        .arg("--secrets-out")
        .arg(dir.path().join("secrets.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // Only warnings and errors on the (unread until failure) stderr pipe.
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("exportsync binary starts");
    let mut child = ChildGuard(child);
    let stdout = child.0.stdout.take().unwrap();
    // Read the banner on a thread, with a deadline, until the base URL is printed.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(url) = line.strip_prefix("Sheets API simulator: ") {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let Ok(base_url) = rx.recv_timeout(Duration::from_secs(30)) else {
        let _ = child.0.kill();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
        panic!("the simulator did not print its URL; stderr: {stderr}");
    };
    assert!(
        base_url.starts_with("http://127.0.0.1:") && base_url.ends_with('/'),
        "{base_url}"
    );

    let key: yup_oauth2::ServiceAccountKey =
        serde_json::from_str(&std::fs::read_to_string(&key_path).unwrap()).unwrap();
    assert_eq!(key.token_uri, format!("{base_url}token"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
    let secrets = exportsync::secrets::SecretsFile::load(&dir.path().join("secrets.json"))
        .expect("the secrets document loads");
    let google = secrets.google().expect("it has a google section");
    assert_eq!(
        google.key().private_key,
        key.private_key,
        "the same key in both files"
    );
    assert_eq!(google.client_email(), SIM_CLIENT_EMAIL);
    let hub = hub_at(base_url.clone(), key).await;
    let first = hub
        .spreadsheets()
        .get("cli-sheet")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap_err();
    assert_eq!(
        google_error(first)["code"],
        429,
        "--fail-429 1 answers the first request with 429"
    );
    let (_, sheet) = hub
        .spreadsheets()
        .get("cli-sheet")
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    assert_eq!(sheet.spreadsheet_id.as_deref(), Some("cli-sheet"));
    let counts: Value = reqwest::get(format!("{base_url}_sim/counts"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (counts["get"].clone(), counts["rejected"].clone()),
        (json!(2), json!(1))
    );
}

#[tokio::test]
async fn batches_larger_than_two_megabytes_are_accepted() {
    let sim = start().await;
    let hub = hub(&sim).await;
    let filler = "x".repeat(60);
    let data: Vec<Vec<CellData>> = (0..10_000)
        .map(|i| {
            vec![
                text(&format!("key-{i}")),
                text(&filler),
                text(&filler),
                number(i as f64),
            ]
        })
        .collect();
    let payload = serde_json::to_vec(&rows(data.clone())).unwrap().len();
    assert!(payload > 2 * 1024 * 1024, "payload is {payload} bytes");
    let request = Request {
        append_cells: Some(AppendCellsRequest {
            sheet_id: Some(0),
            rows: Some(rows(data)),
            fields: Some(FieldMask::new(&["userEnteredValue"])),
            ..Default::default()
        }),
        ..Default::default()
    };
    batch_update(&hub, vec![request]).await.unwrap();
    let state = sim.state(ID).unwrap();
    let tab = state.tab("Sheet1").unwrap();
    assert_eq!((tab.rows.len(), tab.row_count), (10_000, 10_000));
    assert_eq!(tab.rows[9_999][0], json!("key-9999"));
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_get_400_and_the_simulator_keeps_serving() {
    let sim = start().await;
    let hub = hub(&sim).await;
    hub.spreadsheets()
        .get(ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .unwrap();
    // Borrow the token the hub was granted to send raw bodies the typed client cannot.
    let token = hub
        .auth
        .get_token(&[Scope::Spreadsheet.as_ref()])
        .await
        .unwrap()
        .expect("a token");
    let http = reqwest::Client::new();
    let url = format!("{}v4/spreadsheets/{ID}:batchUpdate", sim.base_url());
    for body in [
        "",
        "[1]",
        "\"text\"",
        "{\"requests\": 5}",
        "{\"requests\": [{\"frobnicate\": {}}]}",
        "{}",
    ] {
        let response = http
            .post(&url)
            .bearer_auth(&token)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "body {body:?}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(
            error["error"]["status"], "INVALID_ARGUMENT",
            "body {body:?}"
        );
    }
    batch_update(&hub, vec![add_sheet("Still working")])
        .await
        .unwrap();
    assert!(sim.state(ID).unwrap().tab("Still working").is_some());
    sim.shutdown().await;
}
