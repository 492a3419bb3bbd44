//! The Telegram summary end to end: the real reqwest client against the Bot API fake over
//! loopback (messages, splitting, escaping, photos, 429, Telegram down, Telegram hanging), the
//! job's own `run::notify` (`[telegram] notify`, dry runs, the budget's Telegram deadline), and a
//! scan proving the bot token reaches no log line, error or report.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant as StdInstant};

use chrono::{NaiveDate, TimeZone, Utc};
use exportsync::config::{Config, Notify};
use exportsync::report::telegram::{MAX_MESSAGE_LEN, TelegramClient, render_summary};
use exportsync::report::{
    ExportReport, ExportStatus, FailedStage, RunReport, Screenshot, TelegramOutcome,
    TelegramStatus, Window, should_notify,
};
use exportsync::run::{Budget, Endpoints, Services};
use exportsync::secrets::{Secret, Secrets, TelegramSecrets};
use exportsync::sim::telegram::{TelegramSim, TelegramSimOptions};
use tokio::time::Instant;

const TOKEN: &str = "7310042:AAF-SeCrEt_bot_token_9f8e7d6c5b4a";
const CHAT: &str = "-1001234567";

/// Every log line of this test binary, at trace level (reqwest's and hyper's included).
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

fn setup() -> reqwest::Client {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(|| LogWriter)
        .try_init();
    exportsync::tls::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

fn secrets(token: &str) -> TelegramSecrets {
    TelegramSecrets {
        bot_token: Secret::new(token.to_owned()),
        chat_id: CHAT.to_owned(),
    }
}

async fn sim(fail_429: u32, retry_after: u64, fail_500: u32) -> TelegramSim {
    TelegramSim::start(TelegramSimOptions {
        token: TOKEN.to_owned(),
        fail_429,
        retry_after,
        fail_500,
    })
    .await
    .expect("telegram fake starts")
}

fn client(http: &reqwest::Client, base_url: String) -> TelegramClient {
    TelegramClient::new(&secrets(TOKEN), Some(base_url), http.clone())
}

fn in_secs(s: u64) -> Instant {
    Instant::now() + Duration::from_secs(s)
}

fn ok_export(name: &str, rows: usize) -> ExportReport {
    let mut e = ExportReport::new(name, Some(format!("sheet-{name}")), "Sheet1");
    e.status = ExportStatus::Ok;
    e.rows = Some(rows);
    e.inserted = rows;
    e.seconds = 1.5;
    e
}

fn failed_export(name: &str, error: &str, png: Option<Vec<u8>>) -> ExportReport {
    let mut e = ExportReport::new(name, Some(format!("sheet-{name}")), "Sheet1");
    e.status = ExportStatus::Failed;
    e.stage = Some(FailedStage::Download);
    e.error = Some(error.to_owned());
    e.screenshot = png.map(|png| Screenshot {
        bytes: png.len(),
        png,
        ..Screenshot::default()
    });
    e
}

fn report(exports: Vec<ExportReport>) -> RunReport {
    let mut r = RunReport::new(
        Window {
            from: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            timezone: "Asia/Jakarta".into(),
        },
        Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap(),
        exports,
    );
    r.seconds = 9.0;
    r.launch_seconds = 1.0;
    r.login_seconds = 2.0;
    r.finish();
    r
}

/// A valid grayscale PNG of `width` x `height` (zlib stored blocks, real CRCs), as a
/// screenshot would be.
fn png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        raw.extend((0..width).map(|x| ((x + y) % 256) as u8));
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "the bot token leaked: {text}");
    assert!(
        !text.contains("SeCrEt_bot_token"),
        "part of the bot token leaked: {text}"
    );
}

#[tokio::test]
async fn the_summary_is_sent_in_html_and_reads_as_written() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let r = report(vec![ok_export("transactions", 27), ok_export("users", 16)]);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    assert_eq!(
        (outcome.messages, outcome.photos, outcome.error),
        (1, 0, None)
    );
    let messages = sim.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.chat_id, CHAT);
    assert_eq!(m.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(m.text, render_summary(&r)[0]);
    assert!(
        m.plain.starts_with("✅ exportsync OK: 2 exports synced\n"),
        "{}",
        m.plain
    );
    assert!(m.plain.contains("28 Nov 2026 08:00 WIB"), "{}", m.plain);
    assert!(
        m.plain
            .contains("✅ users ok\n   16 rows: 16 inserted, 0 updated, 0 unchanged, 1.5 s")
    );
    assert!(m.plain.contains("Total: 2 ok, 0 failed, 0 skipped of 2"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_long_report_goes_as_several_messages_each_under_the_limit() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let exports = (0..80)
        .map(|i| failed_export(&format!("export_{i:02}"), &"timeout ".repeat(45), None))
        .collect();
    let r = report(exports);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    let messages = sim.messages();
    assert!(messages.len() >= 3, "{} messages", messages.len());
    assert_eq!(outcome.messages, messages.len());
    for m in &messages {
        assert!(m.text.encode_utf16().count() < MAX_MESSAGE_LEN);
    }
    let all: String = messages.iter().map(|m| m.plain.as_str()).collect();
    for i in 0..80 {
        assert_eq!(all.matches(&format!("❌ export_{i:02} FAILED")).count(), 1);
    }
    assert!(
        messages[0]
            .plain
            .starts_with("🚨 exportsync FAILED: export_00, export_01")
    );
    assert!(
        messages
            .last()
            .unwrap()
            .plain
            .contains("Total: 0 ok, 80 failed")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn names_and_errors_are_escaped_so_telegram_accepts_them() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let error = "<script>alert(1)</script> & \"quoted\" </b>";
    let r = report(vec![failed_export("<script>&", error, Some(png(40, 30)))]);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    let m = &sim.messages()[0];
    assert!(m.text.contains("&lt;script&gt;&amp;"), "{}", m.text);
    assert!(!m.text.contains("<script>"), "{}", m.text);
    assert!(
        m.plain.starts_with("🚨 exportsync FAILED: <script>&"),
        "{}",
        m.plain
    );
    assert!(m.plain.contains(error), "{}", m.plain);
    let photo = &sim.photos()[0];
    assert!(
        photo
            .caption
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp;")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failed_exports_screenshot_goes_as_a_photo_captioned_with_its_error() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let shot = png(320, 200);
    let tall = png(100, 2_500); // ratio 25: Telegram refuses it as a photo
    let r = report(vec![
        ok_export("transactions", 3),
        failed_export(
            "users",
            "login failed: These credentials do not match",
            Some(shot.clone()),
        ),
        failed_export(
            "coin_payments",
            "no download within 60 s",
            Some(tall.clone()),
        ),
        failed_export("point_transactions", "parse failed", None),
    ]);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    assert_eq!((outcome.messages, outcome.photos), (1, 2));
    let photos = sim.photos();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0].chat_id, CHAT);
    assert!(!photos[0].as_document);
    assert_eq!(photos[0].bytes, shot);
    assert_eq!(photos[0].file_name.as_deref(), Some("users.png"));
    assert_eq!(
        photos[0].caption,
        "❌ <b>users</b> (download): login failed: These credentials do not match"
    );
    assert!(
        photos[1].as_document,
        "a 1:25 screenshot must go as a document"
    );
    assert_eq!(photos[1].bytes, tall);
    assert!(photos[1].caption.contains("no download within 60 s"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after() {
    let http = setup();
    let sim = sim(1, 1, 0).await;
    let started = StdInstant::now();
    let r = report(vec![ok_export("users", 1)]);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    assert_eq!(sim.messages().len(), 1);
    let answers = sim.answers();
    assert_eq!(
        answers.iter().map(|a| a.status).collect::<Vec<_>>(),
        [429, 200]
    );
    let waited = answers[1].at - answers[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_429_whose_wait_would_pass_the_deadline_gives_up_at_once() {
    let http = setup();
    let sim = sim(1, 30, 0).await;
    let started = StdInstant::now();
    let r = report(vec![ok_export("users", 1)]);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(5))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(outcome.status, TelegramStatus::Failed);
    assert_eq!(outcome.messages, 0);
    let error = outcome.error.unwrap();
    assert!(
        error.contains("sendMessage: rate limited (429), asked to wait 30 s"),
        "{error}"
    );
    assert_eq!(sim.answers().len(), 1);
    assert!(sim.messages().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn telegram_answering_500_is_tried_three_times_then_reported() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    sim.set_down(true);
    let r = report(vec![failed_export("users", "x", Some(png(10, 10)))]);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Failed);
    assert_eq!((outcome.messages, outcome.photos), (0, 0));
    let error = outcome.error.unwrap();
    assert!(
        error.contains("sendMessage: server error 500 (Internal Server Error), attempt 3 of 3"),
        "{error}"
    );
    assert_no_token(&error);
    assert_eq!(
        sim.answers().len(),
        3,
        "no photo is tried once Telegram is down"
    );

    // Back up: the next report goes through.
    sim.set_down(false);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    assert_eq!((outcome.messages, outcome.photos), (1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn telegram_unreachable_is_reported_without_the_token() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let base = sim.base_url();
    let host = base.trim_start_matches("http://").to_owned();
    sim.shutdown().await;
    let r = report(vec![ok_export("users", 1)]);
    let outcome = client(&http, base).send_report(&r, in_secs(30)).await;
    assert_eq!(outcome.status, TelegramStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(
        error.starts_with(&format!("Telegram sendMessage: cannot reach {host}: ")),
        "{error}"
    );
    assert!(error.to_lowercase().contains("connect"), "{error}");
    assert_no_token(&error);
}

#[tokio::test]
async fn a_wrong_token_says_which_secret_to_fix() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let wrong = "999:WRONG-token-value";
    let telegram = TelegramClient::new(&secrets(wrong), Some(sim.base_url()), http.clone());
    let outcome = telegram
        .send_report(&report(vec![ok_export("users", 1)]), in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(
        error.contains("the bot token was refused (401 Unauthorized); check `telegram.bot_token`"),
        "{error}"
    );
    assert!(
        !error.contains(wrong) && !error.contains("WRONG-token"),
        "{error}"
    );
    assert!(!format!("{telegram:?}").contains("WRONG-token"));
    assert_eq!(sim.answers().len(), 1, "a refused token is not retried");
    sim.shutdown().await;
}

#[tokio::test]
async fn nothing_is_sent_once_the_deadline_has_passed() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let outcome = client(&http, sim.base_url())
        .send_report(&report(vec![ok_export("users", 1)]), Instant::now())
        .await;
    assert_eq!(outcome.status, TelegramStatus::Failed);
    assert!(outcome.error.unwrap().contains("deadline"));
    assert!(sim.answers().is_empty());
    sim.shutdown().await;
}

const CONFIG: &str = r##"
[[export]]
name = "users"
page = "/user-front"
start_selector = "#filter-start"
end_selector = "#filter-end"
date_format = "html5"
button = { selector = ".expot-pdf" }
spreadsheet_id = "sheet-users"
"##;

/// What the job calls after a run: `run::notify` with the secrets' `telegram` section pointed
/// at `base_url`.
async fn notify(
    config: &Config,
    base_url: String,
    r: &RunReport,
    budget: Budget,
) -> TelegramOutcome {
    let secrets = Secrets {
        telegram: Some(secrets(TOKEN)),
        ..Secrets::default()
    };
    let services = Services::new(Endpoints {
        telegram: Some(base_url),
        sheets: None,
    })
    .expect("services");
    exportsync::run::notify(config, &secrets, &services, r, &budget).await
}

#[tokio::test]
async fn notify_failures_sends_nothing_for_an_all_ok_run() {
    setup();
    let sim = sim(0, 0, 0).await;
    let config = Config::from_str(
        &format!("[telegram]\nnotify = \"failures\"\n{CONFIG}"),
        "t.toml",
    )
    .expect("valid");
    assert_eq!(config.telegram.notify, Notify::Failures);

    let all_ok = report(vec![ok_export("users", 1)]);
    let outcome = notify(
        &config,
        sim.base_url(),
        &all_ok,
        Budget::after(Duration::from_secs(30)),
    )
    .await;
    assert_eq!(outcome.status, TelegramStatus::NotNeeded);
    let failed = report(vec![
        ok_export("users", 1),
        failed_export("coin", "boom", None),
    ]);
    let outcome = notify(
        &config,
        sim.base_url(),
        &failed,
        Budget::after(Duration::from_secs(30)),
    )
    .await;
    assert_eq!(outcome.status, TelegramStatus::Sent);
    let messages = sim.messages();
    assert_eq!(messages.len(), 1, "only the failed run is told");
    assert!(messages[0].plain.starts_with("🚨 exportsync FAILED: coin"));

    let mut skipped = report(vec![
        ok_export("users", 1),
        ExportReport::new("coin", None, "Sheet1"),
    ]);
    skipped.finish();
    assert!(
        should_notify(Notify::Failures, &skipped),
        "skipped is not ok"
    );
    assert!(should_notify(
        Notify::Always,
        &report(vec![ok_export("users", 1)])
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_is_sent_and_says_so() {
    setup();
    let sim = sim(0, 0, 0).await;
    let config = Config::from_str(CONFIG, "t.toml").expect("valid");
    let mut dry = report(vec![ok_export("users", 1)]);
    dry.dry_run = true;
    let outcome = notify(
        &config,
        sim.base_url(),
        &dry,
        Budget::after(Duration::from_secs(30)),
    )
    .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    assert!(sim.messages()[0].plain.contains("DRY RUN"));
    // Without the secrets' telegram section nothing is sent.
    let services = Services::new(Endpoints {
        telegram: Some(sim.base_url()),
        sheets: None,
    })
    .unwrap();
    let outcome = exportsync::run::notify(
        &config,
        &Secrets::default(),
        &services,
        &dry,
        &Budget::after(Duration::from_secs(30)),
    )
    .await;
    assert_eq!(outcome.status, TelegramStatus::NotConfigured);
    assert_eq!(sim.messages().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_telegram_that_never_answers_is_given_up_before_the_runs_deadline() {
    setup();
    // Accepts connections and never answers a byte.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let config = Config::from_str(CONFIG, "t.toml").expect("valid");
    let budget = Budget::after(Duration::from_secs(5));
    let r = report(vec![failed_export("users", "boom", Some(png(10, 10)))]);
    let outcome = notify(&config, base, &r, budget).await;
    let left = budget.deadline().saturating_duration_since(Instant::now());
    assert!(
        left >= Duration::from_secs(2),
        "Telegram gave up {left:?} before the deadline: too late to answer Lambda"
    );
    assert_eq!(outcome.status, TelegramStatus::Failed, "{outcome:?}");
    hold.abort();
}

#[tokio::test]
async fn a_huge_retry_after_gives_up_without_panicking() {
    let http = setup();
    let sim = sim(1, u64::MAX, 0).await;
    let outcome = client(&http, sim.base_url())
        .send_report(&report(vec![ok_export("users", 1)]), in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Failed);
    let error = outcome.error.unwrap();
    assert!(error.contains("rate limited (429)"), "{error}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_screenshot_shared_by_several_exports_is_sent_once() {
    let http = setup();
    let sim = sim(0, 0, 0).await;
    let login = png(30, 20);
    let r = report(vec![
        failed_export("users", "login failed: wrong password", Some(login.clone())),
        failed_export("coins", "login failed: wrong password", Some(login.clone())),
        failed_export(
            "points",
            "login failed: wrong password",
            Some(login.clone()),
        ),
        failed_export("orders", "no download within 60 s", Some(png(40, 20))),
    ]);
    let outcome = client(&http, sim.base_url())
        .send_report(&r, in_secs(30))
        .await;
    assert_eq!(outcome.status, TelegramStatus::Sent, "{outcome:?}");
    let photos = sim.photos();
    assert_eq!(photos.len(), 2, "each distinct screenshot once");
    assert_eq!(outcome.photos, 2);
    assert_eq!(photos[0].bytes, login);
    assert!(
        photos[0].caption.contains("users") && photos[0].caption.contains("also coins, points"),
        "{}",
        photos[0].caption
    );
    assert!(
        photos[1].caption.contains("orders"),
        "{}",
        photos[1].caption
    );
    sim.shutdown().await;
}

#[test]
fn notify_defaults_to_always_and_bad_values_are_named() {
    let config = Config::from_str(CONFIG, "t.toml").expect("valid");
    assert_eq!(config.telegram.notify, Notify::Always);
    let config = Config::from_str(
        &format!("[telegram]\nnotify = \"always\"\n{CONFIG}"),
        "t.toml",
    )
    .expect("valid");
    assert_eq!(config.telegram.notify, Notify::Always);

    let bad = Config::from_str(
        &format!("[telegram]\nnotify = \"sometimes\"\n{CONFIG}"),
        "t.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains(r#"t.toml: [telegram]: field "notify": "sometimes" is not one of "always""#),
        "{bad}"
    );
    let bad = Config::from_str(
        &format!("[telegram]\nnotfy = \"always\"\n{CONFIG}"),
        "t.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains(r#"t.toml: [telegram]: field "notfy": unknown field"#),
        "{bad}"
    );
    let bad = Config::from_str(&format!("[telegram]\nnotify = 1\n{CONFIG}"), "t.toml")
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains(r#"t.toml: [telegram]: field "notify": "#),
        "{bad}"
    );

    for (file, text) in [
        ("exports.toml", include_str!("../exports.toml")),
        ("examples/sim.toml", include_str!("../examples/sim.toml")),
    ] {
        let config = Config::from_str(text, file).expect("shipped config is valid");
        assert_eq!(config.telegram.notify, Notify::Always, "{file}");
    }
}

#[tokio::test]
async fn the_bot_token_reaches_no_log_error_or_report() {
    let http = setup();
    let sim = sim(1, 1, 1).await;
    let telegram = client(&http, sim.base_url());
    let r = report(vec![
        ok_export("users", 1),
        failed_export("coin", "boom", Some(png(20, 20))),
    ]);
    // 429, then 500, then delivered; then Telegram down; then unreachable.
    let mut outcomes = vec![telegram.send_report(&r, in_secs(30)).await];
    assert_eq!(
        outcomes[0].status,
        TelegramStatus::Sent,
        "{:?}",
        outcomes[0]
    );
    sim.set_down(true);
    outcomes.push(telegram.send_report(&r, in_secs(30)).await);
    let base = sim.base_url();
    sim.shutdown().await;
    outcomes.push(client(&http, base).send_report(&r, in_secs(30)).await);
    assert_eq!(outcomes[2].status, TelegramStatus::Failed);

    let mut everything = logs();
    for outcome in &outcomes {
        everything.push_str(&serde_json::to_string(outcome).unwrap());
        everything.push_str(&format!("{outcome:?}"));
    }
    everything.push_str(&format!("{telegram:?}"));
    // The capture works: the retries and failures above were logged.
    for expected in [
        "telegram: rate limited (429); waiting as asked",
        "telegram: request failed; retrying",
        "telegram summary not fully delivered",
        "cannot reach",
    ] {
        assert!(everything.contains(expected), "no {expected:?} in the logs");
    }
    assert_no_token(&everything);
}
