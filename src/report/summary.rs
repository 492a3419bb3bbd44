//! The Telegram summary of a run as HTML parse-mode messages: every value escaped, loud on the
//! first line when something failed, split into messages that each stay under Telegram's
//! 4,096-character limit. Pure text; sending is [`super::telegram`].

use std::fmt::Write as _;

use chrono_tz::Tz;

use crate::text::one_line;

use super::model::{ExportReport, ExportStatus, FailedStage, RunReport, RunStatus};

/// Telegram's limit on a message's text (it counts UTF-16 code units after entity parsing; the
/// raw HTML is always at least as long, so keeping the HTML under it is enough).
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Telegram's limit on a photo caption, counted like [`MAX_MESSAGE_LEN`].
pub const MAX_CAPTION_LEN: usize = 1024;

/// Longest error text quoted per export in the summary (in characters, before escaping; an
/// escaped character is at most 6 long), so that one export's block always fits in a message.
const MAX_ERROR_CHARS: usize = 400;

/// Longest export name quoted (names from the configuration are short; this bounds the rest).
const MAX_NAME_CHARS: usize = 100;

/// The first line names at most this many exports that were not ok, each cut to
/// [`HEADLINE_NAME_CHARS`].
const HEADLINE_NAMES: usize = 5;
const HEADLINE_NAME_CHARS: usize = 40;

/// Room kept in every message for the "(continued 2/3)" line.
const CONTINUATION_ROOM: usize = 64;

/// Escapes text for Telegram's HTML parse mode: `&`, `<`, `>` and `"` become entities.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Length as Telegram counts it (UTF-16 code units).
pub fn telegram_len(text: &str) -> usize {
    text.encode_utf16().count()
}

fn mark(status: ExportStatus) -> &'static str {
    match status {
        ExportStatus::Ok => "✅",
        ExportStatus::Failed => "❌",
        ExportStatus::Skipped => "⏭️",
    }
}

fn stage_name(stage: FailedStage) -> &'static str {
    match stage {
        FailedStage::Download => "download",
        FailedStage::Parse => "parse",
        FailedStage::Upsert => "upsert",
        FailedStage::Deadline => "deadline",
    }
}

/// When the run started, in the run's time zone (the configured `[defaults] timezone`, which
/// the report's window names): `28 Nov 2026 08:00 WIB`. A zone name that is not IANA's (only a
/// hand-made report has one) gives UTC.
pub fn local_time(report: &RunReport) -> String {
    let tz: Tz = report.window.timezone.parse().unwrap_or(Tz::UTC);
    report
        .started_at
        .with_timezone(&tz)
        .format("%-d %b %Y %H:%M %Z")
        .to_string()
}

fn window_text(report: &RunReport) -> String {
    let w = &report.window;
    let dates = if w.from == w.to {
        w.from.format("%Y-%m-%d").to_string()
    } else {
        format!(
            "{} to {}",
            w.from.format("%Y-%m-%d"),
            w.to.format("%Y-%m-%d")
        )
    };
    format!("{dates} ({})", one_line(&w.timezone, MAX_NAME_CHARS))
}

/// The opening lines: status (naming what failed), dry-run marker, time and window.
fn header(report: &RunReport) -> String {
    let mut h = String::new();
    let not_ok = report.not_ok();
    if report.status == RunStatus::Failed || !not_ok.is_empty() {
        let names: Vec<String> = not_ok
            .iter()
            .map(|n| escape_html(&one_line(n, HEADLINE_NAME_CHARS)))
            .collect();
        let shown = names
            .iter()
            .take(HEADLINE_NAMES)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if names.len() > HEADLINE_NAMES {
            format!(" and {} more", names.len() - HEADLINE_NAMES)
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "🚨 <b>exportsync FAILED</b>: {shown}{more} ({} of {} not ok)",
            names.len(),
            report.exports.len()
        );
    } else {
        let _ = write!(
            h,
            "✅ <b>exportsync OK</b>: {} export{} synced",
            report.exports.len(),
            if report.exports.len() == 1 { "" } else { "s" }
        );
    }
    if report.dry_run {
        h.push_str("\n🧪 <b>DRY RUN</b>: nothing was written to the sheets");
    }
    if let Some(replay) = &report.replay {
        let runs = &replay.runs;
        let _ = write!(
            h,
            "\n🔁 <b>REPLAY</b> of {} stored run{}{}: files re-read, not downloaded",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            match (runs.first(), runs.last()) {
                (Some(first), Some(last)) if first == last =>
                    format!(" ({})", escape_html(&one_line(first, MAX_NAME_CHARS))),
                (Some(first), Some(last)) => format!(
                    " ({} to {})",
                    escape_html(&one_line(first, MAX_NAME_CHARS)),
                    escape_html(&one_line(last, MAX_NAME_CHARS))
                ),
                _ => String::new(),
            }
        );
    }
    let _ = write!(
        h,
        "\n🕗 {}\n📅 window {}",
        local_time(report),
        escape_html(&window_text(report))
    );
    h
}

fn export_block(e: &ExportReport) -> String {
    let mut b = format!(
        "{} <b>{}</b> ",
        mark(e.status),
        escape_html(&one_line(&e.name, MAX_NAME_CHARS))
    );
    match e.status {
        ExportStatus::Ok => b.push_str("ok"),
        ExportStatus::Failed => match e.stage {
            Some(stage) => {
                let _ = write!(b, "<b>FAILED</b> ({})", stage_name(stage));
            }
            None => b.push_str("<b>FAILED</b>"),
        },
        ExportStatus::Skipped => b.push_str("skipped"),
    }
    if let Some(rows) = e.rows {
        let _ = write!(b, "\n   {rows} rows: ");
    } else {
        b.push_str("\n   ");
    }
    let _ = write!(
        b,
        "{} inserted, {} updated, {} unchanged",
        e.inserted, e.updated, e.unchanged
    );
    if e.duplicates > 0 {
        let _ = write!(b, ", {} duplicate keys", e.duplicates);
    }
    if e.empty_keys > 0 {
        let _ = write!(b, ", {} empty keys", e.empty_keys);
    }
    let _ = write!(b, ", {:.1} s", e.seconds);
    if let Some(error) = &e.error {
        let _ = write!(
            b,
            "\n   <code>{}</code>",
            escape_html(&one_line(error, MAX_ERROR_CHARS))
        );
    }
    if !e.header_changes.is_empty() {
        let _ = write!(
            b,
            "\n   ⚠️ header changed since the last run: {}",
            escape_html(&one_line(
                &super::header_change::describe_changes(&e.header_changes),
                MAX_ERROR_CHARS
            ))
        );
    }
    if let Some(warning) = &e.row_count_warning {
        let _ = write!(
            b,
            "\n   ⚠️ {}",
            escape_html(&one_line(warning, MAX_ERROR_CHARS))
        );
    }
    b
}

/// The run store's trouble, if any: a warning line (the run itself is not failed for it).
fn store_block(report: &RunReport) -> Option<String> {
    let store = report.store.as_ref()?;
    let first = store.errors.first()?;
    let more = store.errors.len() - 1;
    Some(format!(
        "⚠️ <b>run store</b>: {}{}",
        escape_html(&one_line(first, MAX_ERROR_CHARS)),
        if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        }
    ))
}

fn totals_block(report: &RunReport) -> String {
    let t = &report.totals;
    let mut b = format!(
        "<b>Total</b>: {} ok, {} failed, {} skipped of {}\n   {} rows: {} inserted, {} updated, {} unchanged",
        t.ok, t.failed, t.skipped, t.exports, t.rows, t.inserted, t.updated, t.unchanged
    );
    if t.duplicates > 0 {
        let _ = write!(b, ", {} duplicate keys", t.duplicates);
    }
    if t.empty_keys > 0 {
        let _ = write!(b, ", {} empty keys", t.empty_keys);
    }
    let _ = write!(b, ", {:.1} s", report.seconds);
    b
}

/// The summary messages in HTML parse mode, every value escaped, each under
/// [`MAX_MESSAGE_LEN`]. Blocks (header, one per export, totals) are never split across
/// messages; messages after the first say they continue the summary.
pub fn render_summary(report: &RunReport) -> Vec<String> {
    let mut blocks = vec![header(report)];
    blocks.extend(report.exports.iter().map(export_block));
    blocks.push(totals_block(report));
    blocks.extend(store_block(report));

    let budget = MAX_MESSAGE_LEN - 1 - CONTINUATION_ROOM;
    let mut messages: Vec<String> = Vec::new();
    let mut current = String::new();
    for block in blocks {
        // The caps on names and errors bound every block well under the budget.
        debug_assert!(telegram_len(&block) <= budget, "summary block too long");
        let joined = telegram_len(&current) + 2 + telegram_len(&block);
        if !current.is_empty() && joined > budget {
            messages.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(&block);
    }
    messages.push(current);

    let count = messages.len();
    if count > 1 {
        for (i, m) in messages.iter_mut().enumerate().skip(1) {
            *m = format!(
                "<i>exportsync summary, continued ({}/{count})</i>\n\n{m}",
                i + 1
            );
        }
        messages[0].push_str(&format!("\n\n<i>(1/{count}, continued below)</i>"));
    }
    messages
}

/// The caption of a failed export's screenshot: its name and one-line error, escaped, under
/// [`MAX_CAPTION_LEN`].
pub fn render_caption(export: &ExportReport) -> String {
    render_shared_caption(export, &[])
}

/// The caption of a screenshot that several failed exports share (one refused login fails
/// them all): the first one's name and error, then the others' names.
pub fn render_shared_caption(export: &ExportReport, also: &[&str]) -> String {
    let name = escape_html(&one_line(&export.name, MAX_NAME_CHARS));
    let stage = export.stage.map(stage_name).unwrap_or("failed");
    let mut head = format!("❌ <b>{name}</b>");
    if !also.is_empty() {
        let names: Vec<String> = also
            .iter()
            .take(HEADLINE_NAMES)
            .map(|n| escape_html(&one_line(n, HEADLINE_NAME_CHARS)))
            .collect();
        let more = also.len().saturating_sub(HEADLINE_NAMES);
        let _ = write!(head, " (also {}", names.join(", "));
        if more > 0 {
            let _ = write!(head, " and {more} more");
        }
        head.push(')');
    }
    let _ = write!(head, " ({stage}): ");
    let error = export.error.as_deref().unwrap_or("no error message");
    // Escaping can grow each character to 6 (`&quot;`); cut the plain text until it fits.
    let mut max = MAX_CAPTION_LEN;
    loop {
        let caption = format!("{head}{}", escape_html(&one_line(error, max)));
        if telegram_len(&caption) < MAX_CAPTION_LEN || max == 0 {
            return caption;
        }
        max = max.saturating_sub((telegram_len(&caption) - MAX_CAPTION_LEN) / 6 + 8);
    }
}

#[cfg(test)]
mod tests;
