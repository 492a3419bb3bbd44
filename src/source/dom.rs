//! Small page helpers on top of chromiumoxide: waiting for an element against a deadline,
//! filling inputs the way Playwright's `fill` does, reading page state, screenshots.
//! There is no `wait_for_selector` in chromiumoxide: everything here polls against a deadline.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::browser_protocol::target::{
    CloseTargetParams, GetTargetsParams, TargetId, TargetInfo,
};
use chromiumoxide::element::Element;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, Page};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::config::FillMethod;

/// How often page state is re-read while waiting for it.
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// The first element matching `selector`, waiting until `deadline` for it to appear. A page
/// that stops answering (a script in an endless loop) does not hold it past the deadline.
pub async fn wait_element(page: &Page, selector: &str, deadline: Instant) -> Option<Element> {
    loop {
        match tokio::time::timeout_at(deadline, page.find_element(selector)).await {
            Ok(Ok(element)) => return Some(element),
            Ok(Err(_)) => {}
            Err(_) => return None,
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Evaluates a JavaScript expression and decodes its JSON value; `None` while the page is
/// navigating (no execution context) or when the value does not decode.
pub async fn eval<T: DeserializeOwned>(page: &Page, expression: &str) -> Option<T> {
    page.evaluate(expression).await.ok()?.into_value().ok()
}

/// [`eval`], giving up (`None`) at `deadline` if the page does not answer.
pub async fn eval_until<T: DeserializeOwned>(
    page: &Page,
    expression: &str,
    deadline: Instant,
) -> Option<T> {
    tokio::time::timeout_at(deadline, eval(page, expression))
        .await
        .ok()
        .flatten()
}

/// The page's current URL, or an empty string while it has none.
pub async fn url(page: &Page) -> String {
    page.url().await.ok().flatten().unwrap_or_default()
}

/// JavaScript that produces `value` at run time. Ordinary values are JSON literals; `masked`
/// values travel XOR-ed with a random key so that they never appear verbatim in a CDP message
/// (chromiumoxide traces every message it sends).
fn js_value(value: &str, masked: bool) -> String {
    if !masked {
        return serde_json::to_string(value).expect("a string serializes");
    }
    let units: Vec<u16> = value.encode_utf16().collect();
    let key: Vec<u16> = units.iter().map(|_| rand::random::<u16>()).collect();
    let data: Vec<u16> = units.iter().zip(&key).map(|(u, k)| u ^ k).collect();
    format!(
        "String.fromCharCode(...{data:?}.map((c, i) => c ^ {key:?}[i]))",
        data = data,
        key = key
    )
}

/// Fills an input and returns what it holds afterwards. Masked values are compared inside the
/// page instead: the result is `""` when the value stuck and `"not accepted"` otherwise.
pub async fn fill(
    element: &Element,
    value: &str,
    method: FillMethod,
    masked: bool,
) -> Result<String, String> {
    let js = js_value(value, masked);
    let readback = if masked {
        "return this.value === v ? '' : 'not accepted';"
    } else {
        "return this.value;"
    };
    match method {
        FillMethod::SetValue => {
            let function = format!(
                "function() {{ const v = {js}; this.focus(); this.value = v; \
                 this.dispatchEvent(new Event('input', {{ bubbles: true, composed: true }})); \
                 this.dispatchEvent(new Event('change', {{ bubbles: true }})); {readback} }}"
            );
            call_returning_text(element, function).await
        }
        FillMethod::Type => {
            element
                .call_js_fn("function() { this.focus(); this.value = ''; }", false)
                .await
                .map_err(|e| e.to_string())?;
            element.type_str(value).await.map_err(|e| e.to_string())?;
            let function = format!(
                "function() {{ const v = {js}; this.dispatchEvent(new Event('change', {{ bubbles: true }})); {readback} }}"
            );
            call_returning_text(element, function).await
        }
    }
}

/// Calls `function` on `element` and returns the string it returns ("" for anything else).
async fn call_returning_text(element: &Element, function: String) -> Result<String, String> {
    let result = element
        .call_js_fn(function, false)
        .await
        .map_err(|e| e.to_string())?;
    Ok(result
        .result
        .value
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default())
}

/// Waits (at most `limit`) until the page has a loaded document, e.g. an error page still
/// arriving after its response was seen.
pub async fn settle(page: &Page, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if eval_until::<String>(page, "document.readyState", deadline)
            .await
            .as_deref()
            == Some("complete")
        {
            return;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// A PNG of what the page shows now; `None` if the browser cannot make one within `limit`.
pub async fn screenshot(page: &Page, limit: Duration) -> Option<Vec<u8>> {
    settle(page, limit / 2).await;
    let params = ScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .build();
    match tokio::time::timeout(limit, page.screenshot(params)).await {
        Ok(Ok(png)) => Some(png),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot take a screenshot");
            None
        }
        Err(_) => {
            tracing::warn!(seconds = limit.as_secs(), "screenshot timed out");
            None
        }
    }
}

/// Joins the base URL and a page path (absolute URLs, `scheme://...`, are kept).
pub fn page_url(base_url: &str, page: &str) -> String {
    if page.contains("://") {
        page.to_owned()
    } else {
        format!(
            "{}/{}",
            base_url.trim_end_matches('/'),
            page.trim_start_matches('/')
        )
    }
}

/// The tab that shows the problem: a tab opened by `main` (an Export link with
/// `target=_blank`) that holds a real page, else `main`. Tabs of other exports running at the
/// same time are never considered.
pub async fn problem_page(browser: &Browser, main: &Page) -> Page {
    for id in opened_by(browser, main).await {
        if let Ok(Ok(page)) = tokio::time::timeout(TAB_LIMIT, browser.get_page(id)).await {
            let url = url(&page).await;
            if !url.is_empty() && url != "about:blank" {
                return page;
            }
        }
    }
    main.clone()
}

/// Closes the tabs `main` opened (new tabs of Export links), leaving every other tab alone.
pub async fn close_opened_tabs(browser: &Browser, main: &Page) {
    for id in opened_by(browser, main).await {
        close_target(browser, id).await;
    }
}

/// Closes every page but `keep` (the blank tab Chromium starts with). Only while no export runs.
pub async fn close_other_pages(browser: &Browser, keep: &[&TargetId]) {
    for info in targets(browser).await {
        if info.r#type == "page" && !keep.contains(&&info.target_id) {
            close_target(browser, info.target_id).await;
        }
    }
}

/// Closes one tab by its id (also a crashed one, whose page no longer answers).
pub async fn close_target(browser: &Browser, id: TargetId) {
    let _ = tokio::time::timeout(TAB_LIMIT, browser.execute(CloseTargetParams::new(id))).await;
}

/// The live tabs opened by `main`, directly or through a tab it opened, oldest first.
pub async fn opened_by(browser: &Browser, main: &Page) -> Vec<TargetId> {
    descendants(main.target_id(), &targets(browser).await)
}

async fn targets(browser: &Browser) -> Vec<TargetInfo> {
    match tokio::time::timeout(TAB_LIMIT, browser.execute(GetTargetsParams::default())).await {
        Ok(Ok(answer)) => answer.result.target_infos,
        _ => Vec::new(),
    }
}

/// The targets whose chain of openers leads to `root` (not `root` itself), in list order.
pub(crate) fn descendants(root: &TargetId, targets: &[TargetInfo]) -> Vec<TargetId> {
    let mut family = vec![root.clone()];
    let mut found = Vec::new();
    loop {
        let before = found.len();
        for t in targets {
            if let Some(opener) = &t.opener_id
                && family.contains(opener)
                && !family.contains(&t.target_id)
            {
                family.push(t.target_id.clone());
                found.push(t.target_id.clone());
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

/// Deadline for listing or closing tabs.
const TAB_LIMIT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    fn target(id: &str, opener: Option<&str>) -> TargetInfo {
        TargetInfo {
            target_id: TargetId::new(id),
            r#type: "page".into(),
            title: String::new(),
            url: String::new(),
            attached: false,
            opener_id: opener.map(TargetId::new),
            can_access_opener: false,
            opener_frame_id: None,
            parent_frame_id: None,
            browser_context_id: None,
            subtype: None,
        }
    }

    #[test]
    fn descendants_follow_openers_and_skip_other_tabs() {
        // b and c are tabs of two parallel exports; c opened d, d opened e; b opened f.
        let all = [
            target("a", None),
            target("e", Some("d")),
            target("b", None),
            target("c", None),
            target("d", Some("c")),
            target("f", Some("b")),
        ];
        let ids = |v: Vec<TargetId>| v.iter().map(|t| t.as_ref().to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(descendants(&TargetId::new("c"), &all)), ["d", "e"]);
        assert_eq!(ids(descendants(&TargetId::new("b"), &all)), ["f"]);
        assert!(descendants(&TargetId::new("a"), &all).is_empty());
    }
}
