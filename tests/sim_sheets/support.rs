//! Helpers for the Sheets simulator tests: a google-sheets4 hub wired the way the product wires
//! it, builders for the typed requests, and small wire-level recorders.

use std::sync::{Arc, Mutex};

use exportsync::sim::sheets::{SheetsSim, SheetsSimOptions};
use google_sheets4::api::{
    AddSheetRequest, BatchUpdateSpreadsheetRequest, CellData, ExtendedValue, GridCoordinate,
    Request, RowData, Scope, SheetProperties, UpdateCellsRequest,
};
use google_sheets4::{Error, FieldMask, Sheets, hyper_rustls, hyper_util, yup_oauth2};
use serde_json::Value;

pub type Connector =
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;
pub type Hub = Sheets<Connector>;

pub const ID: &str = "1sim-spreadsheet-A";

pub async fn start() -> SheetsSim {
    SheetsSim::start(SheetsSimOptions {
        spreadsheets: vec![ID.to_string()],
    })
    .await
    .expect("simulator starts")
}

/// A hub the way the product builds it: service-account auth, HTTP allowed, base URL moved.
pub async fn hub_at(base_url: String, key: yup_oauth2::ServiceAccountKey) -> Hub {
    // ring and aws-lc-rs are both linked (google-sheets4, the AWS SDK): choose, as main does.
    exportsync::tls::install_crypto_provider();
    let auth = yup_oauth2::ServiceAccountAuthenticator::builder(key)
        .build()
        .await
        .expect("authenticator");
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native roots")
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let mut hub = Sheets::new(client, auth);
    hub.base_url(base_url);
    hub
}

pub async fn hub_with_key(sim: &SheetsSim, key: yup_oauth2::ServiceAccountKey) -> Hub {
    hub_at(sim.base_url(), key).await
}

pub async fn hub(sim: &SheetsSim) -> Hub {
    hub_with_key(sim, sim.service_account_key()).await
}

pub fn text(s: &str) -> CellData {
    cell(ExtendedValue {
        string_value: Some(s.into()),
        ..Default::default()
    })
}

pub fn number(n: f64) -> CellData {
    cell(ExtendedValue {
        number_value: Some(n),
        ..Default::default()
    })
}

pub fn boolean(b: bool) -> CellData {
    cell(ExtendedValue {
        bool_value: Some(b),
        ..Default::default()
    })
}

pub fn cell(value: ExtendedValue) -> CellData {
    CellData {
        user_entered_value: Some(value),
        ..Default::default()
    }
}

pub fn rows(cells: Vec<Vec<CellData>>) -> Vec<RowData> {
    cells
        .into_iter()
        .map(|values| RowData {
            values: Some(values),
        })
        .collect()
}

pub fn update_cells(sheet_id: i32, row: i32, col: i32, data: Vec<Vec<CellData>>) -> Request {
    Request {
        update_cells: Some(UpdateCellsRequest {
            start: Some(GridCoordinate {
                sheet_id: Some(sheet_id),
                row_index: Some(row),
                column_index: Some(col),
            }),
            rows: Some(rows(data)),
            fields: Some(FieldMask::new(&["userEnteredValue"])),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn add_sheet(title: &str) -> Request {
    Request {
        add_sheet: Some(AddSheetRequest {
            properties: Some(SheetProperties {
                title: Some(title.into()),
                ..Default::default()
            }),
        }),
        ..Default::default()
    }
}

pub async fn batch_update(
    hub: &Hub,
    requests: Vec<Request>,
) -> google_sheets4::Result<google_sheets4::api::BatchUpdateSpreadsheetResponse> {
    let request = BatchUpdateSpreadsheetRequest {
        requests: Some(requests),
        ..Default::default()
    };
    hub.spreadsheets()
        .batch_update(request, ID)
        .add_scope(Scope::Spreadsheet)
        .doit()
        .await
        .map(|(_, body)| body)
}

pub async fn batch_get(hub: &Hub, ranges: &[&str], render: &str) -> Vec<Vec<Vec<Value>>> {
    let mut call = hub
        .spreadsheets()
        .values_batch_get(ID)
        .value_render_option(render)
        .add_scope(Scope::Spreadsheet);
    for r in ranges {
        call = call.add_ranges(r);
    }
    let (_, body) = call.doit().await.expect("values.batchGet");
    body.value_ranges
        .unwrap_or_default()
        .into_iter()
        .map(|vr| vr.values.unwrap_or_default())
        .collect()
}

/// The Google error JSON inside the client's error.
pub fn google_error(error: Error) -> Value {
    match error {
        Error::BadRequest(body) => body["error"].clone(),
        other => panic!("expected a Google error body, got {other:?}"),
    }
}

/// Records what a call's failures looked like on the wire.
#[derive(Default)]
pub struct Recorder {
    pub retry_after: Arc<Mutex<Vec<Option<String>>>>,
}

impl google_sheets4::Delegate for Recorder {
    fn http_failure(
        &mut self,
        response: &google_sheets4::common::Response,
        _: Option<&Value>,
    ) -> google_sheets4::common::Retry {
        let header = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        self.retry_after.lock().unwrap().push(header);
        google_sheets4::common::Retry::Abort
    }
}

/// Stops the child process when the test ends, whatever happens.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
