//! The run report as a plain-text table for a terminal (`exportsync run`, `exportsync demo`).

use std::fmt::Write;

use super::{ExportStatus, RunReport, RunStatus, StoreStatus, TelegramStatus};

/// A table with one line per export, a totals line, and each problem spelled out below.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}window {} .. {} ({}){}",
        if report.dry_run {
            "DRY RUN (nothing written)  "
        } else {
            ""
        },
        report.window.from,
        report.window.to,
        report.window.timezone,
        if report.launch_seconds > 0.0 {
            format!(
                ", browser launch {:.2} s, login {:.2} s",
                report.launch_seconds, report.login_seconds
            )
        } else {
            String::new()
        }
    );
    let width = report
        .exports
        .iter()
        .map(|e| e.name.len())
        .chain(["export".len(), "total".len()])
        .max()
        .unwrap_or(6);
    let _ = writeln!(
        out,
        "{:width$}  {:7}  {:>7}  {:>8}  {:>7}  {:>9}  {:>4}  {:>6}  {:>7}",
        "export", "status", "rows", "inserted", "updated", "unchanged", "dup", "writes", "seconds"
    );
    for e in &report.exports {
        let status = match e.status {
            ExportStatus::Ok => "ok",
            ExportStatus::Failed => "FAILED",
            ExportStatus::Skipped => "skipped",
        };
        let _ = writeln!(
            out,
            "{:width$}  {:7}  {:>7}  {:>8}  {:>7}  {:>9}  {:>4}  {:>6}  {:>7.2}",
            e.name,
            status,
            e.rows.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            e.inserted,
            e.updated,
            e.unchanged,
            e.duplicates,
            e.write_requests,
            e.seconds
        );
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "{:width$}  {:7}  {:>7}  {:>8}  {:>7}  {:>9}  {:>4}  {:>6}  {:>7.2}",
        "total",
        match report.status {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "FAILED",
        },
        t.rows,
        t.inserted,
        t.updated,
        t.unchanged,
        t.duplicates,
        t.write_requests,
        report.seconds
    );
    for e in &report.exports {
        if let Some(error) = &e.error {
            let _ = writeln!(out, "{}: {}", e.name, error);
        }
        if let Some(shot) = &e.screenshot
            && let Some(path) = &shot.saved_to
        {
            let _ = writeln!(out, "{}: screenshot {}", e.name, path);
        }
        if e.empty_keys > 0 {
            let _ = writeln!(
                out,
                "{}: {} rows without a key were not written",
                e.name, e.empty_keys
            );
        }
        for w in &e.warnings {
            let _ = writeln!(out, "{}: {}", e.name, w);
        }
    }
    if let Some(replay) = &report.replay {
        let _ = writeln!(out, "replay of {}", replay.runs.join(", "));
    }
    if let Some(store) = &report.store {
        let _ = writeln!(
            out,
            "store: {} run {}: {}",
            store.url,
            report.run_id.as_deref().unwrap_or("-"),
            match store.status {
                StoreStatus::Ok => format!("ok ({} files)", store.files),
                StoreStatus::Failed => format!("FAILED ({} files stored)", store.files),
            }
        );
        for e in &store.errors {
            let _ = writeln!(out, "store: {e}");
        }
    }
    let tg = &report.telegram;
    let _ = writeln!(
        out,
        "telegram: {}{}",
        match tg.status {
            TelegramStatus::Sent =>
                format!("sent ({} messages, {} photos)", tg.messages, tg.photos),
            TelegramStatus::NotNeeded =>
                "not needed (notify = \"failures\" and nothing failed)".into(),
            TelegramStatus::NotConfigured =>
                "not configured (no `telegram` section in the secrets)".into(),
            TelegramStatus::Failed => "FAILED".into(),
            TelegramStatus::Pending => "not attempted".into(),
        },
        tg.error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default()
    );
    out
}
