//! HTTP-level tests of the simulated backend panel: a real server on 127.0.0.1:0 and a real
//! HTTP client (reqwest, redirects not followed, the session cookie carried by hand as a
//! browser would), xlsx answers parsed with calamine, PDF answers read with poppler's
//! `pdftotext`.

use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use exportsync::sim::backend::{
    BackendOptions, BackendSim, DEMO_EMAIL, EXPORTS, ExportFormats, Faults, export_file,
    export_rows, served_file,
};
use exportsync::table::Cell;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, LOCATION, SET_COOKIE};

const PASSWORD: &str = "demo-password";
const BAD_CREDENTIALS: &str = "These credentials do not match our records.";

/// A browser-like client: keeps the `laravel_session` cookie, never follows redirects.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(sim: &BackendSim) -> Browser {
        exportsync::tls::install_crypto_provider();
        Browser {
            http: {
                exportsync::tls::install_crypto_provider();
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("reqwest client")
            },
            base: sim.base_url(),
            cookie: None,
        }
    }

    fn remember_cookie(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let value = value.to_str().expect("ascii cookie");
            if let Some(pair) = value.split(';').next()
                && pair.starts_with("laravel_session=")
            {
                self.cookie = Some(pair.to_owned());
            }
        }
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("GET reaches the simulator");
        self.remember_cookie(&response);
        response
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(k, NON_ALPHANUMERIC),
                    utf8_percent_encode(v, NON_ALPHANUMERIC)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("POST reaches the simulator");
        self.remember_cookie(&response);
        response
    }

    /// The CSRF token of the page at `path` (its first hidden `_token` input).
    async fn token(&mut self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let html = response.text().await.expect("page body");
        csrf_in(&html)
    }

    async fn log_in(&mut self, email: &str, password: &str) -> reqwest::Response {
        let token = self.token("/login").await;
        self.post_form(
            "/login",
            &[("_token", &token), ("email", email), ("password", password)],
        )
        .await
    }
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"_token\" value=\"";
    let start = html.find(marker).expect("page has a _token input") + marker.len();
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end].to_owned()
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

async fn logged_in(sim: &BackendSim) -> Browser {
    let mut browser = Browser::new(sim);
    let response = browser.log_in(DEMO_EMAIL, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), "/dashboard");
    browser
}

/// Downloads one export the way its page does (form POST with the CSRF token in DD/MM/YYYY
/// for transactions, a GET with ISO dates for the others).
async fn download(browser: &mut Browser, export: &str, from: &str, to: &str) -> reqwest::Response {
    match export {
        "transactions" => {
            let token = browser.token("/transaction").await;
            let (from, to) = (dmy(from), dmy(to));
            browser
                .post_form(
                    "/transaction/export",
                    &[("_token", &token), ("start_date", &from), ("end_date", &to)],
                )
                .await
        }
        "point_transactions" => {
            browser
                .get(&format!("/point_transaction/export?start={from}&end={to}"))
                .await
        }
        "users" => {
            browser
                .get(&format!("/user-front/export?start={from}&end={to}"))
                .await
        }
        "coin_payments" => {
            browser
                .get(&format!("/koin_pay/export?start={from}&end={to}"))
                .await
        }
        other => panic!("no such export {other}"),
    }
}

/// The simulator serving every export as xlsx, whatever its default: for the tests of the
/// xlsx answers and of the pages that download them.
fn xlsx_options() -> BackendOptions {
    BackendOptions {
        formats: ExportFormats::Xlsx,
        ..BackendOptions::default()
    }
}

fn dmy(iso: &str) -> String {
    date(iso).format("%d/%m/%Y").to_string()
}

/// The sheet of an xlsx answer: its header and its rows as typed cells.
fn read_xlsx(bytes: &[u8]) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("a valid xlsx");
    let range = workbook.worksheet_range("Export").expect("sheet Export");
    let mut rows = range.rows();
    let header = rows
        .next()
        .expect("a header row")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let rows = rows
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => Cell::Empty,
                    Data::String(s) => Cell::Text(s.clone()),
                    Data::Float(f) if f.fract() == 0.0 => Cell::Int(*f as i64),
                    Data::Float(f) => Cell::Decimal(*f),
                    Data::Int(i) => Cell::Int(*i),
                    Data::Bool(b) => Cell::Bool(*b),
                    Data::DateTime(dt) => Cell::from_serial(dt.as_f64()).expect("valid serial"),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect();
    (header, rows)
}

fn canonical(rows: &[Vec<Cell>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.canonical().into_owned()).collect())
        .collect()
}

#[tokio::test]
async fn login_with_csrf_opens_the_dashboard_and_pages_require_it() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = Browser::new(&sim);

    let root = browser.get("/").await;
    assert_eq!(
        (root.status(), location(&root)),
        (StatusCode::FOUND, "/login")
    );
    for page in [
        "/dashboard",
        "/transaction",
        "/point_transaction",
        "/user-front",
        "/koin_pay",
    ] {
        let response = browser.get(page).await;
        assert_eq!(
            (response.status(), location(&response)),
            (StatusCode::FOUND, "/login"),
            "{page}"
        );
    }

    let login_page = browser.get("/login").await;
    let cookie = login_page
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("laravel_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let html = login_page.text().await.unwrap();
    for needle in [
        "name=\"email\"",
        "name=\"password\"",
        "type=\"submit\"",
        "name=\"_token\"",
    ] {
        assert!(html.contains(needle), "login page lacks {needle}");
    }
    let anonymous_cookie = browser.cookie.clone();

    let response = browser
        .post_form(
            "/login",
            &[
                ("_token", &csrf_in(&html)),
                ("email", DEMO_EMAIL),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (response.status(), location(&response)),
        (StatusCode::FOUND, "/dashboard")
    );
    assert_ne!(
        browser.cookie, anonymous_cookie,
        "login regenerates the session id"
    );

    let dashboard = browser.get("/dashboard").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains(&format!("<span class=\"user-name\">{DEMO_EMAIL}</span>")));
    for link in [
        "/transaction\"",
        "/point_transaction\"",
        "/user-front\"",
        "/koin_pay\"",
    ] {
        assert!(
            html.contains(&format!("href=\"{link}")),
            "dashboard lacks a link to {link}"
        );
    }
    let root = browser.get("/").await;
    assert_eq!(location(&root), "/dashboard");

    let stats = sim.stats();
    assert_eq!((stats.login_attempts, stats.logins_ok), (1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_missing_or_wrong_csrf_token_gives_419() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = Browser::new(&sim);
    let no_session = browser
        .post_form(
            "/login",
            &[
                ("_token", "x"),
                ("email", DEMO_EMAIL),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(no_session.status().as_u16(), 419);

    browser.token("/login").await;
    let missing = browser
        .post_form("/login", &[("email", DEMO_EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(missing.status().as_u16(), 419);
    let wrong = browser
        .post_form(
            "/login",
            &[
                ("_token", "0000"),
                ("email", DEMO_EMAIL),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 419);
    assert!(wrong.text().await.unwrap().contains("Page Expired"));
    assert_eq!(sim.stats().logins_ok, 0);
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::FOUND);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_re_renders_the_login_with_the_error() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = Browser::new(&sim);
    let response = browser.log_in(DEMO_EMAIL, "not-the-password").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("alert-danger\" role=\"alert\">{BAD_CREDENTIALS}")),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{DEMO_EMAIL}\"")),
        "the email is kept"
    );
    assert!(
        !html.contains("not-the-password"),
        "the password is never echoed"
    );
    let dashboard = browser.get("/dashboard").await;
    assert_eq!(location(&dashboard), "/login");
    let stats = sim.stats();
    assert_eq!((stats.login_attempts, stats.logins_ok), (1, 0));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_reject_logins_fault_refuses_the_right_password_until_lifted() {
    let sim = BackendSim::start(BackendOptions {
        faults: Faults {
            reject_all_logins: true,
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut browser = Browser::new(&sim);
    let refused = browser.log_in(DEMO_EMAIL, PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::OK);
    assert!(refused.text().await.unwrap().contains(BAD_CREDENTIALS));

    sim.set_faults(Faults::default());
    let accepted = browser.log_in(DEMO_EMAIL, PASSWORD).await;
    assert_eq!(location(&accepted), "/dashboard");
    let stats = sim.stats();
    assert_eq!((stats.login_attempts, stats.logins_ok), (2, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_session_expires_after_its_budget_and_a_new_login_gets_a_fresh_one() {
    let sim = BackendSim::start(BackendOptions {
        faults: Faults {
            expire_session_after: Some(3),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut browser = logged_in(&sim).await;
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(browser.get("/user-front").await.status(), StatusCode::OK);
    let export = browser
        .get("/user-front/export?start=2026-01-01&end=2026-01-01")
        .await;
    assert_eq!(
        export.status(),
        StatusCode::OK,
        "the third request is still within budget"
    );

    let expired = browser
        .get("/koin_pay/export?start=2026-01-01&end=2026-01-01")
        .await;
    assert_eq!(
        (expired.status(), location(&expired)),
        (StatusCode::FOUND, "/login")
    );
    let still_out = browser.get("/dashboard").await;
    assert_eq!(location(&still_out), "/login");
    assert_eq!(sim.stats().sessions_expired, 1);
    assert_eq!(
        sim.stats().exports.len(),
        1,
        "the refused download never reached the handler"
    );

    let again = browser.log_in(DEMO_EMAIL, PASSWORD).await;
    assert_eq!(location(&again), "/dashboard");
    for _ in 0..3 {
        assert_eq!(browser.get("/koin_pay").await.status(), StatusCode::OK);
    }
    assert_eq!(location(&browser.get("/koin_pay").await), "/login");
    assert_eq!(sim.stats().sessions_expired, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn every_export_file_holds_exactly_the_rows_of_the_requested_range() {
    let rows_per_day = 4;
    let sim = BackendSim::start(BackendOptions {
        rows_per_day,
        ..xlsx_options()
    })
    .await
    .unwrap();
    let mut browser = logged_in(&sim).await;
    let (from, to) = ("2026-02-27", "2026-03-02");
    for export in EXPORTS {
        let response = download(&mut browser, export, from, to).await;
        assert_eq!(response.status(), StatusCode::OK, "{export}");
        let disposition = response
            .headers()
            .get(CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            disposition,
            format!("attachment; filename=\"{export}_{from}_{to}.xlsx\"")
        );
        let bytes = response.bytes().await.unwrap();
        let served = export_file(export, date(from), date(to), rows_per_day).unwrap();
        assert!(
            bytes[..] == served[..],
            "{export}: the download is export_file's bytes"
        );

        let (header, rows) = read_xlsx(&bytes);
        let (want_header, want_rows) = export_rows(export, date(from), date(to), rows_per_day);
        assert_eq!(header, want_header, "{export}");
        assert_eq!(canonical(&rows), canonical(&want_rows), "{export}");

        // Every row is dated inside the range, and every day of the range has rows.
        let date_column = match export {
            "transactions" => "Tanggal Transaksi",
            "users" => "Tanggal Daftar",
            _ => "Tanggal",
        };
        let date_col = header.iter().position(|h| h == date_column).unwrap();
        let days: std::collections::BTreeSet<NaiveDate> = rows
            .iter()
            .map(|r| match &r[date_col] {
                Cell::DateTime(dt) => dt.date(),
                other => panic!("{export}: date column holds {other:?}"),
            })
            .collect();
        let expected_days: std::collections::BTreeSet<NaiveDate> = date(from)
            .iter_days()
            .take_while(|d| *d <= date(to))
            .collect();
        assert_eq!(days, expected_days, "{export}");
        if export == "coin_payments" {
            assert!(
                rows.len() >= 4 && rows.len() <= 8,
                "coin payments: 1-2 a day, got {}",
                rows.len()
            );
        } else {
            assert_eq!(rows.len(), 4 * rows_per_day, "{export}");
        }
    }

    let requests = sim.stats().exports;
    assert_eq!(
        requests
            .iter()
            .map(|r| r.export.as_str())
            .collect::<Vec<_>>(),
        EXPORTS
    );
    assert_eq!(
        (requests[0].start_raw.as_str(), requests[0].end_raw.as_str()),
        ("27/02/2026", "02/03/2026")
    );
    assert_eq!(
        (requests[1].start_raw.as_str(), requests[1].end_raw.as_str()),
        (from, to)
    );
    for request in &requests {
        assert_eq!(
            (request.start, request.end),
            (Some(date(from)), Some(date(to)))
        );
        assert_eq!(request.status, 200);
        assert!(request.rows > 0);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn ids_and_phones_stay_text_in_the_file() {
    let sim = BackendSim::start(xlsx_options()).await.unwrap();
    let mut browser = logged_in(&sim).await;
    let response = download(&mut browser, "transactions", "2026-05-01", "2026-05-01").await;
    let (header, rows) = read_xlsx(&response.bytes().await.unwrap());
    let id = header.iter().position(|h| h == "Transaksi ID").unwrap();
    let phone = header.iter().position(|h| h == "No HP").unwrap();
    assert_eq!(header.len(), 27);
    for row in &rows {
        match (&row[id], &row[phone]) {
            (Cell::Text(id), Cell::Text(phone)) => {
                assert!(
                    id.len() == 16 && id.bytes().all(|b| b.is_ascii_digit()),
                    "{id}"
                );
                assert!(phone.starts_with('0'), "{phone}");
            }
            other => panic!("id and phone must be text cells, got {other:?}"),
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_dates_get_422_naming_the_field_and_format() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = logged_in(&sim).await;

    let token = browser.token("/transaction").await;
    let iso_on_transactions = browser
        .post_form(
            "/transaction/export",
            &[
                ("_token", &token),
                ("start_date", "2026-01-01"),
                ("end_date", "02/01/2026"),
            ],
        )
        .await;
    assert_eq!(
        iso_on_transactions.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let text = iso_on_transactions.text().await.unwrap();
    assert!(
        text.contains("start_date") && text.contains("DD/MM/YYYY"),
        "{text}"
    );

    let dmy_on_users = browser
        .get("/user-front/export?start=01/01/2026&end=2026-01-02")
        .await;
    assert_eq!(dmy_on_users.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = dmy_on_users.text().await.unwrap();
    assert!(
        text.contains("start field") && text.contains("YYYY-MM-DD"),
        "{text}"
    );

    let unpadded = browser
        .get("/koin_pay/export?start=2026-1-1&end=2026-01-02")
        .await;
    assert_eq!(unpadded.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let missing = browser
        .get("/point_transaction/export?start=2026-01-01")
        .await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("The end field is required")
    );
    let reversed = browser
        .get("/user-front/export?start=2026-01-05&end=2026-01-01")
        .await;
    assert_eq!(reversed.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let requests = sim.stats().exports;
    assert_eq!(requests.len(), 5);
    assert!(requests.iter().all(|r| r.status == 422 && r.rows == 0));
    assert_eq!(requests[0].start, None);
    assert_eq!(requests[0].end, Some(date("2026-01-02")));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_transactions_export_checks_the_csrf_token() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = logged_in(&sim).await;
    let response = browser
        .post_form(
            "/transaction/export",
            &[
                ("_token", "forged"),
                ("start_date", "01/01/2026"),
                ("end_date", "01/01/2026"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 419);
    assert_eq!(sim.stats().exports[0].status, 419);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failing_export_answers_500_and_the_others_still_work() {
    let sim = BackendSim::start(BackendOptions {
        faults: Faults {
            fail_export: Some("users".into()),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut browser = logged_in(&sim).await;
    let failed = download(&mut browser, "users", "2026-01-01", "2026-01-01").await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(failed.headers().get(CONTENT_DISPOSITION).is_none());
    assert!(failed.text().await.unwrap().contains("Server Error"));
    let fine = download(&mut browser, "coin_payments", "2026-01-01", "2026-01-01").await;
    assert_eq!(fine.status(), StatusCode::OK);

    sim.set_faults(Faults::default());
    let recovered = download(&mut browser, "users", "2026-01-01", "2026-01-01").await;
    assert_eq!(recovered.status(), StatusCode::OK);
    let statuses: Vec<u16> = sim.stats().exports.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 200, 200]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_slow_export_answers_only_after_its_delay() {
    let delay = Duration::from_millis(400);
    let sim = BackendSim::start(BackendOptions {
        faults: Faults {
            slow_export: Some(("point_transactions".into(), delay)),
            ..Faults::default()
        },
        ..xlsx_options()
    })
    .await
    .unwrap();
    let mut browser = logged_in(&sim).await;
    let started = Instant::now();
    let slow = download(
        &mut browser,
        "point_transactions",
        "2026-01-01",
        "2026-01-01",
    )
    .await;
    assert_eq!(slow.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= delay,
        "answered after {:?}",
        started.elapsed()
    );
    // The request is recorded on arrival, before the delay.
    assert_eq!(sim.stats().exports[0].status, 200);
    let (_, rows) = read_xlsx(&slow.bytes().await.unwrap());
    assert_eq!(rows.len(), 5);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dead_button_has_no_handler_and_the_fault_can_be_changed_at_run_time() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = logged_in(&sim).await;
    let pages = [
        (
            "transactions",
            "/transaction",
            "formaction=\"/transaction/export\"",
        ),
        (
            "point_transactions",
            "/point_transaction",
            "/point_transaction/export",
        ),
        ("users", "/user-front", "/user-front/export"),
        ("coin_payments", "/koin_pay", "/koin_pay/export"),
    ];
    for (export, page, wiring) in pages {
        let live = browser.get(page).await.text().await.unwrap();
        assert!(
            live.contains(wiring),
            "{export}: live button wired to {wiring}"
        );
        assert!(
            live.contains(">Export</"),
            "{export}: a button labelled Export"
        );

        sim.set_faults(Faults {
            dead_button: Some(export.into()),
            ..Faults::default()
        });
        let dead = browser.get(page).await.text().await.unwrap();
        assert!(
            !dead.contains(wiring),
            "{export}: dead button must not be wired"
        );
        assert!(
            !dead.contains("<script"),
            "{export}: dead page has no handler"
        );
        assert!(
            dead.contains(">Export</"),
            "{export}: the dead button is still shown"
        );
        sim.set_faults(Faults::default());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn pages_carry_the_selectors_of_the_design() {
    let sim = BackendSim::start(xlsx_options()).await.unwrap();
    let mut browser = logged_in(&sim).await;
    let expectations = [
        (
            "/transaction",
            vec![
                "name=\"start_date\"",
                "name=\"end_date\"",
                "class=\"btn btn-primary\">Filter",
                "class=\"btn\">Reset",
            ],
        ),
        (
            "/point_transaction",
            vec![
                "type=\"date\" name=\"start\"",
                "type=\"date\" name=\"end\"",
                "target=\"_blank\"",
                "expot-pdf",
            ],
        ),
        (
            "/user-front",
            vec![
                "id=\"filter-start\"",
                "id=\"filter-end\"",
                "class=\"btn btn-success m3 expot-pdf\"",
                "createObjectURL",
                "download",
            ],
        ),
        (
            "/koin_pay",
            vec![
                "id=\"filter-start\"",
                "id=\"filter-end\"",
                "class=\"btn btn-success m3 expot-pdf\"",
                "window.location.href = url",
            ],
        ),
    ];
    for (page, needles) in expectations {
        let html = browser.get(page).await.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{page} loads nothing external"
        );
        for needle in needles {
            assert!(html.contains(needle), "{page} lacks {needle}");
        }
    }
    // The Export button is not the first .btn of the transactions page.
    let html = browser.get("/transaction").await.text().await.unwrap();
    assert!(html.find(">Filter<").unwrap() < html.find(">Export<").unwrap());
    assert_eq!(browser.get("/nope").await.status(), StatusCode::NOT_FOUND);
    sim.shutdown().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = logged_in(&sim).await;
    let token = browser.token("/dashboard").await;
    let response = browser.post_form("/logout", &[("_token", &token)]).await;
    assert_eq!(location(&response), "/login");
    assert_eq!(location(&browser.get("/dashboard").await), "/login");
    sim.shutdown().await;
}

/// `exportsync sim backend` prints its URL and demo login, serves with the faults it was
/// given, and stops cleanly on Ctrl-C (SIGINT).
#[tokio::test]
async fn the_cli_prints_its_url_and_login_and_stops_on_ctrl_c() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
        .args([
            "sim",
            "backend",
            "--port",
            "0",
            "--fail-export",
            "users",
            "--rows-per-day",
            "2",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the exportsync binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the simulator prints its URL within 20 s")
        .unwrap()
        .expect("a first line");
    assert!(
        line.contains(&format!("login: {DEMO_EMAIL} / {PASSWORD}")),
        "{line}"
    );
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("a base URL")
        .to_owned();

    exportsync::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = login.headers().get(SET_COOKIE).unwrap().to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let token = csrf_in(&login.text().await.unwrap());
    let body = format!("_token={token}&email=demo%40example.com&password={PASSWORD}");
    let logged_in = http
        .post(format!("{base}/login"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let session = logged_in
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    let session = session.split(';').next().unwrap().to_owned();
    let failed = http
        .get(format!(
            "{base}/user-front/export?start=2026-01-01&end=2026-01-01"
        ))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        failed.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "--fail-export users applies"
    );

    let pid = child.id().expect("still running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the simulator stops within 10 s of Ctrl-C")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn the_cli_refuses_a_bad_fault_spec_naming_the_problem() {
    for (args, expected) in [
        (&["--slow-export", "users"][..], "NAME=MS"),
        (&["--slow-export", "users=soon"][..], "milliseconds"),
        (
            &["--fail-export", "orders"][..],
            "unknown export \"orders\"",
        ),
        (&["--dead-button", "user"][..], "unknown export \"user\""),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_exportsync"))
            .args(["sim", "backend"])
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn the_transactions_filter_previews_the_range_without_exporting() {
    let sim = BackendSim::start(BackendOptions::default()).await.unwrap();
    let mut browser = logged_in(&sim).await;
    let html = browser
        .get("/transaction?start_date=01%2F03%2F2026&end_date=02%2F03%2F2026")
        .await
        .text()
        .await
        .unwrap();
    let (_, rows) = export_rows("transactions", date("2026-03-01"), date("2026-03-02"), 5);
    assert!(html.contains("Menampilkan 10 dari 10 baris"), "{html}");
    assert!(html.contains(&format!("<td>{}</td>", rows[0][0].canonical())));
    assert!(
        html.contains("value=\"01/03/2026\""),
        "the inputs keep the chosen dates"
    );

    let refused = browser
        .get("/transaction?start_date=2026-03-01&end_date=02%2F03%2F2026")
        .await
        .text()
        .await
        .unwrap();
    assert!(refused.contains("alert-danger") && refused.contains("DD/MM/YYYY"));
    assert!(sim.stats().exports.is_empty(), "a filter is not an export");
    sim.shutdown().await;
}

#[tokio::test]
async fn export_delays_apply_per_export_and_a_fixed_file_name_names_every_file() {
    let delay = Duration::from_millis(400);
    let sim = BackendSim::start(BackendOptions {
        faults: Faults {
            export_delay: [("users".to_owned(), delay)].into_iter().collect(),
            fixed_file_name: Some("export.xlsx".into()),
            ..Faults::default()
        },
        ..xlsx_options()
    })
    .await
    .unwrap();
    let mut browser = logged_in(&sim).await;
    let started = Instant::now();
    let quick = download(&mut browser, "coin_payments", "2026-01-01", "2026-01-01").await;
    assert_eq!(quick.status(), StatusCode::OK);
    assert!(started.elapsed() < delay, "{:?}", started.elapsed());
    let disposition = |r: &reqwest::Response| {
        r.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(disposition(&quick), "attachment; filename=\"export.xlsx\"");
    let started = Instant::now();
    let slow = download(&mut browser, "users", "2026-01-01", "2026-01-01").await;
    assert_eq!(slow.status(), StatusCode::OK);
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(disposition(&slow), "attachment; filename=\"export.xlsx\"");
    // The users page names its script-built download the same way.
    let page = browser.get("/user-front").await.text().await.unwrap();
    assert!(page.contains("a.download = \"export.xlsx\""), "{page}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_session_can_answer_419_or_401_and_expire_only_so_often() {
    let sim = BackendSim::start(BackendOptions {
        faults: Faults {
            expire_session_after: Some(1),
            expire_at_most: Some(1),
            expired_status: Some(419),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    // The login's dashboard spends the budget of one request: the export finds it expired.
    let mut browser = logged_in(&sim).await;
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
    let expired = browser
        .get("/user-front/export?start=2026-01-01&end=2026-01-01")
        .await;
    assert_eq!(expired.status().as_u16(), 419);
    assert!(expired.text().await.unwrap().contains("Page Expired"));
    assert_eq!(sim.stats().sessions_expired, 1);
    // The one expiry allowed has happened: a new session serves past its budget.
    let mut browser = logged_in(&sim).await;
    for _ in 0..3 {
        assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
    }
    assert_eq!(sim.stats().sessions_expired, 1);

    sim.set_faults(Faults {
        expired_status: Some(401),
        ..Faults::default()
    });
    let mut anonymous = Browser::new(&sim);
    let refused = anonymous
        .get("/user-front/export?start=2026-01-01&end=2026-01-01")
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    // Pages still redirect to the login form, as Laravel's auth middleware does for documents.
    let page = anonymous.get("/user-front").await;
    assert_eq!(
        (page.status(), location(&page)),
        (StatusCode::FOUND, "/login")
    );
    sim.shutdown().await;
}

// ---- PDF exports ---------------------------------------------------------------------------

/// What poppler's `pdftotext -layout` reads in a PDF.
fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

#[tokio::test]
async fn the_pdf_exports_are_pdfs_of_their_rows_sent_inline_or_as_attachments() {
    let rows_per_day = 20;
    let sim = BackendSim::start(BackendOptions {
        rows_per_day,
        formats: ExportFormats::Pdf,
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut browser = logged_in(&sim).await;
    let (from, to) = ("2026-02-27", "2026-03-01");
    let expected = [
        (
            "transactions",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("attachment; filename=\"transactions_{from}_{to}.xlsx\""),
        ),
        (
            "point_transactions",
            "application/pdf",
            format!("attachment; filename=\"point_transactions_{from}_{to}.pdf\""),
        ),
        (
            "users",
            "application/pdf",
            "inline; filename=\"users.pdf\"".to_owned(),
        ),
        (
            "coin_payments",
            "application/pdf",
            format!(
                "inline; filename=\"coin_payments.pdf\"; filename*=UTF-8''coin_payments_{from}_{to}.pdf"
            ),
        ),
    ];
    for (export, content_type, disposition) in expected {
        let response = download(&mut browser, export, from, to).await;
        assert_eq!(response.status(), StatusCode::OK, "{export}");
        let header = |name| response.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(
            header(reqwest::header::CONTENT_TYPE),
            content_type,
            "{export}"
        );
        assert_eq!(header(CONTENT_DISPOSITION), disposition, "{export}");
        let bytes = response.bytes().await.unwrap();
        let served = served_file(
            export,
            ExportFormats::Pdf,
            date(from),
            date(to),
            rows_per_day,
        );
        assert!(
            bytes[..] == served.bytes[..],
            "{export}: the download is served_file's bytes"
        );
        assert_eq!(served.disposition, disposition);
        if export == "transactions" {
            let xlsx = export_file(export, date(from), date(to), rows_per_day).unwrap();
            assert!(bytes[..] == xlsx[..], "transactions stays the same xlsx");
            continue;
        }
        assert!(bytes.starts_with(b"%PDF-"), "{export}");

        // What a person sees: the title and period, every row, page numbers, wrapped cells.
        let text = pdftotext(&bytes);
        assert!(
            text.contains("Periode: 27-02-2026 s/d 01-03-2026"),
            "{export}:\n{text}"
        );
        let pages = text.matches("Halaman ").count();
        let (header, rows) = export_rows(export, date(from), date(to), rows_per_day);
        assert!(rows.len() >= 3, "{export}");
        if export != "coin_payments" {
            assert!(
                pages >= 2,
                "{export}: {} rows over several pages",
                rows.len()
            );
        }
        for n in 1..=pages {
            assert!(
                text.contains(&format!("Halaman {n} dari {pages}")),
                "{export}: page {n}"
            );
        }
        for row in &rows {
            let first = row[0].canonical();
            assert_eq!(
                text.matches(first.as_ref()).count(),
                1,
                "{export}: {first} once"
            );
        }
        // A header longer than its column wraps onto two lines: its first word is on a line
        // of headers, its second on the next line (pdftotext keeps them apart).
        let wrapped = match export {
            "point_transactions" => "Saldo Akhir",
            "users" => "Total Poin",
            _ => "Jumlah Koin",
        };
        assert!(header.iter().any(|h| h == wrapped));
        assert!(
            !text.contains(wrapped),
            "{export}: {wrapped} is wrapped:\n{text}"
        );
        let (first, second) = wrapped.split_once(' ').unwrap();
        let line = text.lines().position(|l| l.contains(first)).unwrap();
        assert!(
            text.lines().nth(line + 1).unwrap().contains(second),
            "{export}:\n{text}"
        );
    }

    // Accented names are read back exactly through WinAnsiEncoding.
    let (_, users) = export_rows("users", date(from), date(to), rows_per_day);
    let accented: Vec<String> = users
        .iter()
        .map(|r| r[1].canonical().into_owned())
        .filter(|n| !n.is_ascii())
        .collect();
    assert!(
        !accented.is_empty(),
        "some users have é, ë or ü in their names"
    );
    let text = pdftotext(
        &served_file(
            "users",
            ExportFormats::Pdf,
            date(from),
            date(to),
            rows_per_day,
        )
        .bytes,
    );
    for name in &accented {
        let first = name.split(' ').next().unwrap();
        assert!(text.contains(first), "{first}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn pdf_pages_open_the_users_export_in_a_new_tab_and_xlsx_pages_fetch_a_blob() {
    for (formats, wanted, unwanted) in [
        (
            ExportFormats::Pdf,
            "window.open(url, '_blank')",
            "createObjectURL",
        ),
        (ExportFormats::Xlsx, "createObjectURL", "window.open"),
    ] {
        let sim = BackendSim::start(BackendOptions {
            formats,
            ..BackendOptions::default()
        })
        .await
        .unwrap();
        let mut browser = logged_in(&sim).await;
        let html = browser.get("/user-front").await.text().await.unwrap();
        assert!(
            html.contains(wanted) && !html.contains(unwanted),
            "{formats:?}: {html}"
        );
        // The other two pages are the same in both formats.
        let point = browser
            .get("/point_transaction")
            .await
            .text()
            .await
            .unwrap();
        assert!(point.contains("target=\"_blank\""));
        let coins = browser.get("/koin_pay").await.text().await.unwrap();
        assert!(coins.contains("window.location.href = url"));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn an_empty_range_is_a_one_page_pdf_that_says_so_and_faults_still_apply() {
    let sim = BackendSim::start(BackendOptions {
        rows_per_day: 0,
        formats: ExportFormats::Pdf,
        faults: Faults {
            fixed_file_name: Some("laporan.pdf".into()),
            fail_export: Some("coin_payments".into()),
            ..Faults::default()
        },
        ..BackendOptions::default()
    })
    .await
    .unwrap();
    let mut browser = logged_in(&sim).await;
    let response = download(&mut browser, "users", "2026-01-01", "2026-01-01").await;
    assert_eq!(
        response.headers()[CONTENT_DISPOSITION],
        "inline; filename=\"laporan.pdf\""
    );
    let text = pdftotext(&response.bytes().await.unwrap());
    assert!(text.contains("Tidak ada data untuk periode ini."), "{text}");
    assert!(text.contains("Halaman 1 dari 1"), "{text}");
    let failed = download(&mut browser, "coin_payments", "2026-01-01", "2026-01-01").await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    sim.shutdown().await;
}
