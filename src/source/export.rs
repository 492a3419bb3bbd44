//! Driving one export page: open it, fill the two date inputs in the page's format, find the
//! Export button (a CSS selector, optionally narrowed by the visible text it contains).

use chromiumoxide::Page;
use chromiumoxide::element::Element;
use chrono::NaiveDate;
use serde::Deserialize;
use tokio::time::Instant;

use super::dom;
use super::error::{SourceError, browser_error};
use crate::config::{ButtonConfig, ExportConfig};

/// Opens `url` in `page`, waiting at most until `deadline` for it to load.
pub async fn open(
    page: &Page,
    export: &str,
    url: &str,
    deadline: Instant,
    waited: std::time::Duration,
) -> Result<(), SourceError> {
    match tokio::time::timeout_at(deadline, page.goto(url)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.to_string().starts_with("net::") => Err(SourceError::Unreachable {
            url: url.to_owned(),
            message: e.to_string(),
        }),
        Ok(Err(e)) => Err(browser_error(export, &format!("opening {url}"), e)),
        Err(_) => Err(browser_error(
            export,
            &format!("opening {url}"),
            format!("the page did not load within {}s", waited.as_secs()),
        )),
    }
}

/// Fills the start and end date inputs and checks that they hold what was written.
pub async fn fill_dates(
    page: &Page,
    export: &ExportConfig,
    from: NaiveDate,
    to: NaiveDate,
    deadline: Instant,
    waited: std::time::Duration,
) -> Result<(), SourceError> {
    for (what, selector, date) in [
        ("start-date input", &export.start_selector, from),
        ("end-date input", &export.end_selector, to),
    ] {
        let Some(input) = dom::wait_element(page, selector, deadline).await else {
            return Err(SourceError::ElementMissing {
                export: export.name.clone(),
                what,
                selector: selector.clone(),
                url: dom::url(page).await,
                waited,
                hint: Box::default(),
            });
        };
        let value = export.date_format.format(date);
        let actual =
            tokio::time::timeout_at(deadline, dom::fill(&input, &value, export.fill, false))
                .await
                .map_err(|_| {
                    browser_error(
                        &export.name,
                        &format!("filling {selector}"),
                        format!("the page did not answer within {}s", waited.as_secs()),
                    )
                })?
                .map_err(|e| browser_error(&export.name, &format!("filling {selector}"), e))?;
        if actual != value {
            return Err(SourceError::DateRejected {
                export: export.name.clone(),
                selector: selector.clone(),
                value,
                actual,
            });
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct ButtonSearch {
    found: bool,
    matched: usize,
    texts: Vec<String>,
}

const MARK: &str = "data-exportsync-button";

/// Finds the Export button, waiting until `deadline`: the first visible element matching the
/// selector whose text (whitespace-normalised, case-insensitive) contains `button.text`.
pub async fn find_button(
    page: &Page,
    export: &str,
    button: &ButtonConfig,
    deadline: Instant,
    waited: std::time::Duration,
) -> Result<Element, SourceError> {
    let text = button.text.as_ref().map_or("null".to_owned(), |t| {
        serde_json::to_string(&normalise(t)).expect("string")
    });
    let search = format!(
        "(() => {{
            const text = {text};
            const norm = s => (s || '').replace(/\\s+/g, ' ').trim().toLowerCase();
            const visible = e => {{ const r = e.getBoundingClientRect(); const st = getComputedStyle(e);
                return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none'; }};
            document.querySelectorAll('[{MARK}]').forEach(e => e.removeAttribute('{MARK}'));
            const all = Array.from(document.querySelectorAll({selector}));
            const hit = all.find(e => visible(e) && (text === null || norm(e.innerText || e.value).includes(text)));
            if (hit) hit.setAttribute('{MARK}', '1');
            return {{ found: !!hit, matched: all.length, texts: all.slice(0, 8).map(e => norm(e.innerText || e.value)) }};
        }})()",
        selector = serde_json::to_string(&button.selector).expect("string"),
    );
    let mut last = None;
    loop {
        if let Some(result) = dom::eval_until::<ButtonSearch>(page, &search, deadline).await {
            if result.found
                && let Ok(Ok(element)) =
                    tokio::time::timeout_at(deadline, page.find_element(format!("[{MARK}]"))).await
            {
                return Ok(element);
            }
            last = Some(result);
        }
        if Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(dom::POLL_INTERVAL).await;
    }
    let mut described = button.selector.clone();
    if let Some(t) = &button.text {
        described.push_str(&format!(" with text \"{t}\""));
    }
    if let Some(r) = last.filter(|r| r.matched > 0) {
        described.push_str(&format!(
            " ({} elements match the selector, texts: {:?})",
            r.matched, r.texts
        ));
    }
    Err(SourceError::ElementMissing {
        export: export.to_owned(),
        what: "Export button",
        selector: described,
        url: dom::url(page).await,
        waited,
        hint: Box::default(),
    })
}

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
