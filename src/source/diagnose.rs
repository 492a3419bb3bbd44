//! Selector diagnosis: when a date input or the Export button is not found, one JavaScript
//! evaluation reads what the page offers (the login page or not, title, URL, clickables or
//! inputs, each with a selector the page confirmed matches it), and pure functions rank the
//! nearest candidates and write one compact line that ends the error.

use std::time::Duration;

use chromiumoxide::Page;
use serde::Deserialize;
use tokio::time::Instant;

use super::dom;
use super::error::SourceError;
use crate::config::{ExportConfig, LoginConfig};

/// How long the page gets to answer the diagnosis (the wait before it used up the page's
/// deadline); the caller clips it to the run's deadline.
pub const DIAGNOSIS_LIMIT: Duration = Duration::from_secs(2);

/// The advice of an [`SourceError::ElementMissing`] without a diagnosis.
pub const CHECK_SELECTOR: &str = "check the selector in the configuration";

/// Longest error message (base and diagnosis), in characters: what a report line keeps.
pub const MAX_MESSAGE_CHARS: usize = crate::text::ERROR_LINE_CHARS;

/// At most this many candidates are named, best first.
pub const MAX_CANDIDATES: usize = 4;

/// Candidates scoring below this are not named.
const MIN_SCORE: f64 = 0.35;
const MAX_TEXT_CHARS: usize = 40;
const MAX_TITLE_CHARS: usize = 60;
const MAX_SELECTOR_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 100;

/// What the configuration looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted<'a> {
    /// The Export button: a selector, optionally narrowed by a text it contains.
    Button {
        selector: &'a str,
        text: Option<&'a str>,
    },
    /// A date input; `end` for the end of the range.
    DateInput { selector: &'a str, end: bool },
}

impl<'a> Wanted<'a> {
    /// The element an [`SourceError::ElementMissing`] of `export` is about (`what` as
    /// `export::fill_dates` and `export::find_button` name it).
    pub fn of(what: &str, export: &'a ExportConfig) -> Wanted<'a> {
        if what.contains("button") {
            Wanted::Button {
                selector: &export.button.selector,
                text: export.button.text.as_deref(),
            }
        } else if what.starts_with("end") {
            Wanted::DateInput {
                selector: &export.end_selector,
                end: true,
            }
        } else {
            Wanted::DateInput {
                selector: &export.start_selector,
                end: false,
            }
        }
    }

    fn is_button(&self) -> bool {
        matches!(self, Wanted::Button { .. })
    }
}

/// What the page showed when the element was not found (decoded from the page's answer).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct PageFacts {
    pub title: String,
    pub url: String,
    /// The URL's path is the configured login path.
    pub login_path: bool,
    /// The page has the configured login form's password field.
    pub login_form: bool,
    /// Clickables (for a button) or text-like inputs (for a date), in document order.
    pub elements: Vec<Found>,
}

impl PageFacts {
    pub fn is_login_page(&self) -> bool {
        self.login_path || self.login_form
    }
}

/// One element of the page: only what is safe to quote (never an input's value).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Found {
    pub tag: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
    pub classes: Vec<String>,
    /// The visible text: a clickable's label, an input's `<label>`.
    pub text: String,
    pub placeholder: String,
    pub visible: bool,
    /// A selector the page confirmed matches exactly this element; `None` when none did.
    pub selector: Option<String>,
}

/// A ranked element.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate<'a> {
    pub found: &'a Found,
    pub score: f64,
}

/// Adds the page's diagnosis to an [`SourceError::ElementMissing`] (other errors pass through
/// unchanged). Asks the page once, until `deadline`: a page that does not answer leaves the
/// usual advice and says so.
pub async fn diagnose(
    page: &Page,
    mut error: SourceError,
    export: &ExportConfig,
    login: &LoginConfig,
    deadline: Instant,
) -> SourceError {
    let what = match &error {
        SourceError::ElementMissing { what, hint, .. } if hint.is_empty() => *what,
        _ => return error,
    };
    let wanted = Wanted::of(what, export);
    let facts = if Instant::now() < deadline {
        dom::eval_until::<PageFacts>(page, &facts_script(&wanted, login), deadline).await
    } else {
        None
    };
    // The message without any advice: the diagnosis fills the rest of the line.
    let base = error.to_string().chars().count() - CHECK_SELECTOR.chars().count();
    if let SourceError::ElementMissing { url, hint, .. } = &mut error {
        *hint = describe(
            facts.as_ref(),
            &wanted,
            url,
            MAX_MESSAGE_CHARS.saturating_sub(base),
        )
        .into();
    }
    error
}

/// The advice and diagnosis that end an [`SourceError::ElementMissing`] message, at most
/// `room` characters where possible (the title and at least the best candidate are kept).
/// `error_url` is the URL the message already names.
pub fn describe(
    facts: Option<&PageFacts>,
    wanted: &Wanted,
    error_url: &str,
    room: usize,
) -> String {
    let Some(facts) = facts else {
        return format!("{CHECK_SELECTOR} (the page did not answer a diagnosis)");
    };
    let title = quoted(&facts.title, MAX_TITLE_CHARS);
    let at = if facts.url.is_empty() || facts.url == error_url {
        String::new()
    } else {
        format!(" at {}", cut(&facts.url, MAX_URL_CHARS))
    };
    if facts.is_login_page() {
        return format!(
            "the page is the login page {title}{at}: the session was lost or the login did not stick, so the selectors are not the problem"
        );
    }
    let mut line = format!("{CHECK_SELECTOR}. The page is {title}{at} (not the login page)");
    let candidates: Vec<Candidate> = rank(wanted, &facts.elements)
        .into_iter()
        // A selector cut short would not be one: such candidates are left out.
        .filter(|c| {
            c.found
                .selector
                .as_ref()
                .is_some_and(|s| s.chars().count() <= MAX_SELECTOR_CHARS)
        })
        .take(MAX_CANDIDATES)
        .collect();
    if candidates.is_empty() {
        line.push_str(if wanted.is_button() {
            "; no button or link on it resembles the configured one"
        } else {
            "; no input on it looks like a date"
        });
        return line;
    }
    line.push_str("; nearest: ");
    for (i, c) in candidates.iter().enumerate() {
        let item = candidate_text(c.found);
        let sep = if i == 0 { "" } else { ", " };
        // The best candidate is always named; the others while the line has room.
        if i > 0 && line.chars().count() + sep.len() + item.chars().count() > room {
            break;
        }
        line.push_str(sep);
        line.push_str(&item);
    }
    line
}

/// `` `selector` "text" `` (text, else placeholder; "(hidden)" when not visible).
fn candidate_text(found: &Found) -> String {
    let selector = found.selector.as_deref().unwrap_or_default();
    let mut out = format!("`{selector}`");
    let text = if found.text.trim().is_empty() {
        &found.placeholder
    } else {
        &found.text
    };
    if !text.trim().is_empty() {
        out.push(' ');
        out.push_str(&quoted(text, MAX_TEXT_CHARS));
    }
    if !found.visible {
        out.push_str(" (hidden)");
    }
    out
}

/// Text on one line in double quotes, cut to `max` characters.
fn quoted(text: &str, max: usize) -> String {
    format!("\"{}\"", cut(text, max).replace('"', "'"))
}

/// Whitespace-normalised and cut to `max` characters (with an ellipsis).
fn cut(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The elements that resemble `wanted`, best first (document order among equals), each
/// scoring at least [`MIN_SCORE`].
pub fn rank<'a>(wanted: &Wanted, elements: &'a [Found]) -> Vec<Candidate<'a>> {
    let mut ranked: Vec<Candidate> = elements
        .iter()
        .map(|found| Candidate {
            found,
            score: match wanted {
                Wanted::Button { selector, text } => button_score(selector, *text, found),
                Wanted::DateInput { selector, end } => date_score(selector, *end, found),
            },
        })
        .filter(|c| c.score >= MIN_SCORE)
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    ranked
}

/// Lowercase alphanumeric words.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Similarity of two words: 1 when equal, 0.85 when one contains the other (3+ letters),
/// else the normalised Levenshtein similarity.
fn word_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.chars().count() >= 3 && long.contains(short) {
        return 0.85;
    }
    strsim::normalized_levenshtein(a, b)
}

/// How well `have` covers `want`: for each wanted word its best match, averaged.
fn phrase_similarity(want: &[String], have: &[String]) -> f64 {
    if want.is_empty() || have.is_empty() {
        return 0.0;
    }
    let total: f64 = want
        .iter()
        .map(|w| {
            have.iter()
                .map(|h| word_similarity(w, h))
                .fold(0.0, f64::max)
        })
        .sum();
    total / want.len() as f64
}

/// The class names and id a CSS selector names (`.a.b#c` gives `["a", "b"]`, `Some("c")`).
fn selector_parts(selector: &str) -> (Vec<String>, Vec<String>) {
    let mut classes = Vec::new();
    let mut ids = Vec::new();
    let mut chars = selector.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '.' || c == '#' {
            let mut name = String::new();
            while let Some(&(_, n)) = chars.peek() {
                if n.is_alphanumeric() || n == '-' || n == '_' {
                    name.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            if !name.is_empty() {
                if c == '.' {
                    classes.push(name.to_lowercase());
                } else {
                    ids.push(name.to_lowercase());
                }
            }
        }
    }
    (classes, ids)
}

/// Words of a selector that say something about the element (not CSS syntax or tag names).
fn selector_words(selector: &str) -> Vec<String> {
    const NOISE: [&str; 9] = [
        "input", "button", "a", "name", "type", "id", "class", "div", "span",
    ];
    words(selector)
        .into_iter()
        .filter(|w| !NOISE.contains(&w.as_str()))
        .collect()
}

/// Words that export buttons carry (English and Indonesian panels).
const EXPORT_WORDS: [&str; 14] = [
    "export", "expot", "ekspor", "unduh", "download", "excel", "xlsx", "xls", "pdf", "csv",
    "cetak", "print", "laporan", "report",
];

fn button_score(selector: &str, text: Option<&str>, found: &Found) -> f64 {
    let text_words = words(&found.text);
    let mut own = text_words.clone();
    for class in &found.classes {
        own.extend(words(class));
    }
    own.extend(words(&found.id));
    own.extend(words(&found.name));

    // Classes (and id) of the configured selector against the element's.
    let (want_classes, want_ids) = selector_parts(selector);
    let have_classes: Vec<String> = found.classes.iter().map(|c| c.to_lowercase()).collect();
    let mut class_sim = phrase_similarity(&want_classes, &have_classes);
    if !want_ids.is_empty() && !found.id.is_empty() {
        let id_sim = phrase_similarity(&want_ids, &[found.id.to_lowercase()]);
        class_sim = if want_classes.is_empty() {
            id_sim
        } else {
            class_sim.max(id_sim)
        };
    }
    let vocabulary = if own
        .iter()
        .any(|w| EXPORT_WORDS.iter().any(|e| w.contains(e)))
    {
        1.0
    } else {
        0.0
    };
    let score = match text {
        Some(text) => {
            let want = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let want = want.to_lowercase();
            let have = found.text.to_lowercase();
            let text_sim = if !want.is_empty() && have.contains(&want) {
                1.0
            } else if !have.trim().is_empty() && want.contains(have.trim()) {
                0.8
            } else {
                phrase_similarity(&words(&want), &own)
            };
            0.45 * text_sim + 0.3 * class_sim + 0.25 * vocabulary
        }
        None => {
            let text_sim = phrase_similarity(&selector_words(selector), &own);
            0.25 * text_sim + 0.5 * class_sim + 0.25 * vocabulary
        }
    };
    if found.visible { score } else { score * 0.5 }
}

/// Words that mark a date input.
const DATE_WORDS: [&str; 14] = [
    "date",
    "tanggal",
    "tgl",
    "periode",
    "period",
    "datepicker",
    "flatpickr",
    "daterange",
    "calendar",
    "kalender",
    "day",
    "hari",
    "yyyy",
    "dd",
];
/// Words that mark the start of a range.
const START_WORDS: [&str; 9] = [
    "start", "from", "dari", "awal", "mulai", "begin", "since", "min", "first",
];
/// Words that mark the end of a range.
const END_WORDS: [&str; 9] = [
    "end", "to", "sampai", "akhir", "selesai", "hingga", "until", "max", "last",
];

/// A word of `words` is one of `marks`, or (for marks of 4+ letters) contains one.
fn marked(words: &[String], marks: &[&str]) -> bool {
    words.iter().any(|w| {
        marks
            .iter()
            .any(|m| w == m || (m.len() >= 4 && w.contains(m)))
    })
}

fn date_score(selector: &str, end: bool, found: &Found) -> f64 {
    let mut own = words(&found.id);
    own.extend(words(&found.name));
    for class in &found.classes {
        own.extend(words(class));
    }
    own.extend(words(&found.placeholder));
    own.extend(words(&found.text));
    let typed = matches!(
        found.kind.as_str(),
        "date" | "datetime-local" | "month" | "week"
    );
    let pattern = {
        let p = found.placeholder.to_lowercase();
        (p.contains("dd") && p.contains("mm")) || p.contains("yyyy") || p.contains("yy-")
    };
    let date_words = marked(&own, &DATE_WORDS);
    let starts = marked(&own, &START_WORDS);
    let ends = marked(&own, &END_WORDS);
    let date_like = if typed {
        1.0
    } else if pattern || date_words {
        0.8
    } else if starts || ends {
        0.5
    } else {
        return 0.0;
    };
    let (mine, other) = if end { (ends, starts) } else { (starts, ends) };
    let role = match (mine, other) {
        (true, false) => 1.0,
        (false, true) => 0.0,
        _ => 0.5,
    };
    let like_configured = phrase_similarity(&selector_words(selector), &own);
    let score = 0.45 * date_like + 0.3 * role + 0.25 * like_configured;
    if found.visible { score } else { score * 0.6 }
}

/// The page's answer for the diagnosis: the login checks, the title and URL, and the elements
/// that `wanted` could be, each with a selector the page confirmed. Never reads an input's
/// value (only submit, button and reset inputs' labels); never throws.
fn facts_script(wanted: &Wanted, login: &LoginConfig) -> String {
    let js = |s: &str| serde_json::to_string(s).expect("a string serializes");
    FACTS_SCRIPT
        .replace("__LOGIN_PATH__", &js(login.path.trim_end_matches('/')))
        .replace("__PASSWORD__", &js(&login.password_selector))
        .replace(
            "__WANT_BUTTON__",
            if wanted.is_button() { "true" } else { "false" },
        )
}

const FACTS_SCRIPT: &str = r#"(() => {
  const loginPath = __LOGIN_PATH__, passwordSelector = __PASSWORD__, wantButton = __WANT_BUTTON__;
  const norm = s => String(s || '').replace(/\s+/g, ' ').trim().slice(0, 80);
  const esc = s => (window.CSS && CSS.escape) ? CSS.escape(s) : String(s).replace(/[^a-zA-Z0-9_-]/g, c => '\\' + c);
  const attr = v => '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  const unique = (sel, el) => {
    try { const all = document.querySelectorAll(sel); return all.length === 1 && all[0] === el; }
    catch (_) { return false; }
  };
  const visible = e => {
    try { const r = e.getBoundingClientRect(); const st = getComputedStyle(e);
      return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none'; }
    catch (_) { return false; }
  };
  const selectorFor = el => {
    const tag = el.tagName.toLowerCase();
    const tries = [];
    if (el.id) tries.push('#' + esc(el.id));
    const name = el.getAttribute('name');
    if (name) tries.push(tag + '[name=' + attr(name) + ']');
    const classes = Array.from(el.classList);
    // Rarest first; among equals a page's own class before a framework's styling class.
    const styling = /^(btn|m[trblxy]?|p[trblxy]?|col|row|text|bg|d|float|w|h|fa|fas|shadow|rounded|border|align|justify|flex|float|pull)(-|\d|$)/;
    const rare = classes
      .map((c, i) => [c, document.getElementsByClassName(c).length, styling.test(c) ? 1 : 0, i])
      .sort((a, b) => a[1] - b[1] || a[2] - b[2] || a[3] - b[3]).map(x => x[0]).slice(0, 6);
    for (const c of rare) tries.push(tag + '.' + esc(c));
    for (let i = 0; i < rare.length; i++)
      for (let j = i + 1; j < rare.length; j++) tries.push(tag + '.' + esc(rare[i]) + '.' + esc(rare[j]));
    if (classes.length > 2) tries.push(tag + classes.map(c => '.' + esc(c)).join(''));
    for (const s of tries) if (unique(s, el)) return s;
    const parts = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const t = e.tagName.toLowerCase();
      if (e !== el && e.id && unique('#' + esc(e.id), e)) { parts.unshift('#' + esc(e.id)); break; }
      const p = e.parentElement;
      const same = p ? Array.from(p.children).filter(s => s.tagName === e.tagName) : [e];
      parts.unshift(same.length > 1 ? t + ':nth-of-type(' + (same.indexOf(e) + 1) + ')' : t);
      if (t === 'body' || t === 'html') break;
    }
    const s = parts.join(' > ');
    return unique(s, el) ? s : null;
  };
  const labelled = ['submit', 'button', 'reset'];
  const describe = (e, isInput) => {
    const type = (e.getAttribute('type') || '').toLowerCase();
    let text = '';
    if (isInput) text = e.labels && e.labels.length ? e.labels[0].innerText : (e.getAttribute('aria-label') || '');
    else text = e.innerText || (e.tagName === 'INPUT' && labelled.includes(type) ? e.value : '') || e.getAttribute('aria-label') || e.title || '';
    return { tag: e.tagName.toLowerCase(), type, id: norm(e.id), name: norm(e.getAttribute('name')),
      classes: Array.from(e.classList).slice(0, 12), text: norm(text),
      placeholder: norm(e.getAttribute('placeholder')), visible: visible(e), selector: selectorFor(e) };
  };
  const facts = { title: norm(document.title), url: String(location.href), login_path: false, login_form: false, elements: [] };
  try { facts.login_path = location.pathname.replace(/\/+$/, '') === loginPath; } catch (_) {}
  try { facts.login_form = !!document.querySelector(passwordSelector); } catch (_) {}
  try {
    if (wantButton) {
      const all = document.querySelectorAll('button, a, input[type=submit], input[type=button], input[type=reset], [role=button]');
      facts.elements = Array.from(all).slice(0, 300).map(e => describe(e, false));
    } else {
      const skip = ['hidden', 'password', 'email', 'checkbox', 'radio', 'submit', 'button', 'reset', 'file', 'image', 'color', 'range'];
      const all = Array.from(document.querySelectorAll('input')).filter(e => !skip.includes((e.getAttribute('type') || '').toLowerCase()));
      facts.elements = all.slice(0, 100).map(e => describe(e, true));
    }
  } catch (_) {}
  return facts;
})()"#;

#[cfg(test)]
mod tests;
