//! Rendering of the Telegram summary: content, escaping, splitting, captions.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::report::model::{Screenshot, Window};

fn ok_export(name: &str) -> ExportReport {
    let mut e = ExportReport::new(name, Some("sheet-id".into()), "Sheet1");
    e.status = ExportStatus::Ok;
    e.rows = Some(27);
    e.inserted = 3;
    e.updated = 1;
    e.unchanged = 23;
    e.seconds = 4.25;
    e
}

fn failed_export(name: &str, error: &str) -> ExportReport {
    let mut e = ExportReport::new(name, Some("sheet-id".into()), "Sheet1");
    e.status = ExportStatus::Failed;
    e.stage = Some(FailedStage::Download);
    e.error = Some(error.to_owned());
    e.seconds = 3.1;
    e.screenshot = Some(Screenshot {
        bytes: 3,
        png: vec![1, 2, 3],
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
        // 01:00 UTC is 08:00 in Jakarta (UTC+7).
        Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap(),
        exports,
    );
    r.seconds = 12.34;
    r.launch_seconds = 1.0;
    r.login_seconds = 2.0;
    r.finish();
    r
}

/// Each message as Telegram reads it: well-formed HTML, under the limit; returns the plain text.
fn check(messages: &[String]) -> Vec<String> {
    assert!(!messages.is_empty());
    messages
        .iter()
        .map(|m| {
            assert!(
                telegram_len(m) < MAX_MESSAGE_LEN,
                "{} long",
                telegram_len(m)
            );
            plain(m)
        })
        .collect()
}

#[cfg(feature = "sim")]
fn plain(html: &str) -> String {
    crate::sim::telegram::html::parse(html).unwrap_or_else(|e| panic!("{e}\n{html}"))
}

/// Without the simulator's parser: strip tags, decode the four entities.
#[cfg(not(feature = "sim"))]
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn an_all_ok_run_says_ok_with_time_window_counts_and_totals() {
    let r = report(vec![ok_export("transactions"), ok_export("users")]);
    let messages = render_summary(&r);
    assert_eq!(messages.len(), 1);
    let text = &check(&messages)[0];
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("✅ exportsync OK"), "{first}");
    assert!(!text.contains("FAILED"));
    assert!(!text.contains("DRY RUN"));
    assert!(text.contains("28 Nov 2026 08:00 WIB"), "{text}");
    assert!(
        text.contains("window 2026-11-27 to 2026-11-28 (Asia/Jakarta)"),
        "{text}"
    );
    assert!(
        text.contains("✅ transactions ok\n   27 rows: 3 inserted, 1 updated, 23 unchanged, 4.2 s"),
        "{text}"
    );
    assert!(text.contains("Total: 2 ok, 0 failed, 0 skipped of 2\n   54 rows: 6 inserted, 2 updated, 46 unchanged, 12.3 s"), "{text}");
}

#[test]
fn a_failed_run_is_loud_on_the_first_line_and_quotes_the_error() {
    let mut skipped = ExportReport::new("coin_payments", None, "Sheet1");
    skipped.stage = Some(FailedStage::Deadline);
    let r = report(vec![
        ok_export("transactions"),
        failed_export("users", "export \"users\": no download within 60 s"),
        skipped,
    ]);
    let text = &check(&render_summary(&r))[0];
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "🚨 exportsync FAILED: users, coin_payments (2 of 3 not ok)"
    );
    assert!(text.contains("❌ users FAILED (download)"), "{text}");
    assert!(
        text.contains("export \"users\": no download within 60 s"),
        "{text}"
    );
    assert!(text.contains("⏭️ coin_payments skipped"), "{text}");
    assert!(
        text.contains("Total: 1 ok, 1 failed, 1 skipped of 3"),
        "{text}"
    );
}

#[test]
fn a_dry_run_is_marked() {
    let mut r = report(vec![ok_export("users")]);
    r.dry_run = true;
    let text = &check(&render_summary(&r))[0];
    assert!(text.lines().nth(1).unwrap().contains("DRY RUN"), "{text}");
}

#[test]
fn every_value_is_escaped() {
    let mut r = report(vec![failed_export(
        "<script>&",
        "bad <b>html</b> & \"quotes\"",
    )]);
    r.window.timezone = "<tz>".into();
    let messages = render_summary(&r);
    assert!(messages[0].contains("&lt;script&gt;&amp;"));
    assert!(!messages[0].contains("<script>"));
    let text = &check(&messages)[0];
    assert!(text.contains("FAILED: <script>&"), "{text}");
    assert!(text.contains("bad <b>html</b> & \"quotes\""), "{text}");
    assert!(text.contains("(<tz>)"), "{text}");
}

#[test]
fn a_long_report_is_split_into_messages_under_the_limit() {
    let exports: Vec<ExportReport> = (0..60)
        .map(|i| failed_export(&format!("export_{i:02}"), &"x".repeat(390)))
        .collect();
    let r = report(exports);
    let messages = render_summary(&r);
    assert!(messages.len() >= 3, "{} messages", messages.len());
    let texts = check(&messages);
    let all = texts.join("\n");
    for i in 0..60 {
        assert_eq!(
            all.matches(&format!("❌ export_{i:02} FAILED")).count(),
            1,
            "export_{i:02}"
        );
    }
    let n = messages.len();
    assert!(texts[0].starts_with("🚨 exportsync FAILED"));
    assert!(texts[0].ends_with(&format!("(1/{n}, continued below)")));
    assert!(texts[1].starts_with(&format!("exportsync summary, continued (2/{n})")));
    assert!(texts[n - 1].contains("Total: 0 ok, 60 failed, 0 skipped of 60"));
}

#[test]
fn hostile_names_and_errors_still_fit() {
    let name = "\"<&".repeat(500);
    let error = "\"".repeat(5000);
    let exports = (0..8).map(|_| failed_export(&name, &error)).collect();
    let r = report(exports);
    check(&render_summary(&r));
    let caption = render_caption(&r.exports[0]);
    assert!(
        telegram_len(&caption) < MAX_CAPTION_LEN,
        "{}",
        telegram_len(&caption)
    );
    assert!(plain(&caption).ends_with('…'));
}

#[test]
fn a_caption_is_the_exports_one_line_error() {
    let e = failed_export("users", "login failed:\n  wrong <password>");
    let caption = render_caption(&e);
    assert_eq!(
        caption,
        "❌ <b>users</b> (download): login failed: wrong &lt;password&gt;"
    );
    plain(&caption);
}

#[test]
fn the_time_is_shown_in_the_configured_zone() {
    // 01:00 UTC: 09:00 in Makassar (WITA, UTC+8), 01:00 in London (GMT).
    for (zone, shown) in [
        ("Asia/Makassar", "28 Nov 2026 09:00 WITA"),
        ("Europe/London", "28 Nov 2026 01:00 GMT"),
        ("Asia/Jakarta", "28 Nov 2026 08:00 WIB"),
    ] {
        let mut r = report(vec![ok_export("users")]);
        r.window.timezone = zone.into();
        let text = &check(&render_summary(&r))[0];
        assert!(text.contains(shown), "{zone}: {text}");
        assert!(!zone.contains("Jakarta") || text.contains("WIB"));
        if zone != "Asia/Jakarta" {
            assert!(!text.contains("WIB"), "{zone}: {text}");
        }
    }
}
