//! The HTML of the simulated panel: login, dashboard, the four export pages and error pages.
//! Self-contained (inline CSS and JS, no external resources) and valid HTML5.

use super::catalog::ExportKind;
use crate::table::Cell;

/// What the Filter button asked for, and what it found.
pub(crate) struct Filter {
    pub start_raw: String,
    pub end_raw: String,
    /// The first rows of the range, or why the dates were refused.
    pub outcome: Result<Preview, String>,
}

pub(crate) struct Preview {
    pub total: usize,
    pub first: Vec<Vec<Cell>>,
}

/// Columns shown in the Filter preview.
const PREVIEW_COLUMNS: usize = 6;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f9;color:#212529}\
header{background:#343a40;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center}\
header a{color:#ddd;text-decoration:none}header .user-name{margin-left:auto}\
main{max-width:56rem;margin:1.5rem auto;background:#fff;padding:1.5rem;border-radius:.3rem}\
label{display:inline-block;margin:.3rem .6rem .3rem 0}input{padding:.35rem;margin-left:.3rem}\
.btn{display:inline-block;padding:.4rem .9rem;border:0;border-radius:.25rem;color:#fff;\
background:#6c757d;cursor:pointer;text-decoration:none;font-size:.95rem;margin:.2rem}\
.btn-primary{background:#0d6efd}.btn-success{background:#198754}.btn-danger{background:#dc3545}\
.m3{margin:.75rem}.alert-danger{background:#f8d7da;color:#842029;padding:.75rem;border-radius:.25rem}\
table{border-collapse:collapse;margin-top:1rem}td,th{border:1px solid #dee2e6;padding:.3rem .5rem}";

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A whole page. `user` is `(email, csrf)` when logged in: it adds the navigation, the user
/// name and the logout form.
fn layout(title: &str, user: Option<(&str, &str)>, body: &str) -> String {
    let header = match user {
        Some((email, csrf)) => {
            let links: String = ExportKind::ALL
                .iter()
                .map(|k| format!("<a href=\"{}\">{}</a>", k.page_path(), k.title()))
                .collect();
            format!(
                "<header><a href=\"/dashboard\"><strong>ATK Admin</strong></a><nav>{links}</nav>\
                 <span class=\"user-name\">{}</span>\
                 <form method=\"POST\" action=\"/logout\"><input type=\"hidden\" name=\"_token\" \
                 value=\"{csrf}\"><button type=\"submit\" class=\"btn\">Logout</button></form></header>",
                escape(email)
            )
        }
        None => "<header><strong>ATK Admin</strong></header>".to_owned(),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} | ATK Admin</title><style>{STYLE}</style></head>\
         <body>{header}<main>{body}</main></body></html>\n",
        escape(title)
    )
}

/// The login form, with an error above it after a failed attempt.
pub(crate) fn login(csrf: &str, old_email: &str, error: Option<&str>) -> String {
    let alert = error
        .map(|e| {
            format!(
                "<div class=\"alert alert-danger\" role=\"alert\">{}</div>",
                escape(e)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Login</h1>{alert}<form method=\"POST\" action=\"/login\">\
         <input type=\"hidden\" name=\"_token\" value=\"{csrf}\">\
         <p><label for=\"email\">Email</label><input id=\"email\" type=\"email\" name=\"email\" \
         value=\"{}\" required autofocus></p>\
         <p><label for=\"password\">Password</label><input id=\"password\" type=\"password\" \
         name=\"password\" required></p>\
         <p><button type=\"submit\" class=\"btn btn-primary\">Login</button></p></form>",
        escape(old_email)
    );
    layout("Login", None, &body)
}

pub(crate) fn dashboard(email: &str, csrf: &str) -> String {
    let cards: String = ExportKind::ALL
        .iter()
        .map(|k| {
            format!(
                "<li><a href=\"{}\">{}</a>: export <code>{}</code></li>",
                k.page_path(),
                k.title(),
                k.name()
            )
        })
        .collect();
    let body = format!("<h1>Dashboard</h1><p>Selamat datang.</p><ul>{cards}</ul>");
    layout("Dashboard", Some((email, csrf)), &body)
}

/// How the Export button behaves.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Button<'a> {
    /// Rendered without any handler: clicking it does nothing.
    pub dead: bool,
    /// The name a script-built download is given (`None`: `<export>_<start>_<end>.xlsx`).
    pub file_name: Option<&'a str>,
    /// The export answers a PDF: the users button then opens the export in a new tab
    /// (`window.open`), where the server answers it inline, instead of fetching a Blob.
    pub pdf: bool,
    /// Rendered with this text and another class ([`RENAMED_CLASS`]), as after a redesign.
    pub renamed: Option<&'a str>,
}

impl Button<'_> {
    /// The button's text, escaped.
    fn text(&self) -> String {
        escape(self.renamed.unwrap_or("Export"))
    }

    /// The class its script finds it by.
    fn hook(&self) -> &'static str {
        if self.renamed.is_some() {
            RENAMED_CLASS
        } else {
            "expot-pdf"
        }
    }

    /// Its class attribute: `usual` (`btn btn-success`, ...), or after a rename the outline
    /// variant of the same colour and [`RENAMED_CLASS`].
    fn classes(&self, usual: &str) -> String {
        match self.renamed {
            None => format!("{usual} expot-pdf"),
            Some(_) => format!("{} {RENAMED_CLASS}", usual.replace("btn-", "btn-outline-")),
        }
    }
}

/// The class a renamed Export button gets instead of `expot-pdf`.
pub(crate) const RENAMED_CLASS: &str = "unduh-data";

/// The names and ids of renamed date inputs (`rename_date_inputs`): start, then end.
pub(crate) const RENAMED_DATE_NAMES: (&str, &str) = ("tgl_awal", "tgl_akhir");
pub(crate) const RENAMED_DATE_IDS: (&str, &str) = ("tgl-awal", "tgl-akhir");

/// An export page with its date inputs and its Export button. A `filter` adds its preview.
/// `renamed_dates` gives the date inputs other names and ids ([`RENAMED_DATE_NAMES`]).
pub(crate) fn export_page(
    kind: ExportKind,
    email: &str,
    csrf: &str,
    button: Button<'_>,
    renamed_dates: bool,
    filter: Option<&Filter>,
) -> String {
    let controls = match kind {
        ExportKind::Transactions => transactions_controls(csrf, button, renamed_dates, filter),
        ExportKind::PointTransactions => point_transactions_controls(button, renamed_dates),
        ExportKind::Users | ExportKind::CoinPayments => {
            filter_controls(kind, button, renamed_dates)
        }
    };
    let preview = filter.map(|f| preview(kind, f)).unwrap_or_default();
    let body = format!("<h1>{}</h1>{controls}{preview}", kind.title());
    layout(kind.title(), Some((email, csrf)), &body)
}

/// The Filter result: a count and the first rows, or the date problem.
fn preview(kind: ExportKind, filter: &Filter) -> String {
    match &filter.outcome {
        Err(problem) => format!(
            "<div class=\"alert alert-danger\" role=\"alert\">{}</div>",
            escape(problem)
        ),
        Ok(preview) => {
            let head: String = kind
                .header()
                .iter()
                .take(PREVIEW_COLUMNS)
                .map(|h| format!("<th>{}</th>", escape(h)))
                .collect();
            let rows: String = preview
                .first
                .iter()
                .map(|row| {
                    let cells: String = row
                        .iter()
                        .take(PREVIEW_COLUMNS)
                        .map(|c| format!("<td>{}</td>", escape(&c.canonical())))
                        .collect();
                    format!("<tr>{cells}</tr>")
                })
                .collect();
            format!(
                "<p>Menampilkan {} dari {} baris ({} s/d {}).</p>\
                 <table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
                preview.first.len(),
                preview.total,
                escape(&filter.start_raw),
                escape(&filter.end_raw)
            )
        }
    }
}

/// The names of an export page's date fields, which its form or script sends: renamed ones
/// with the `rename_date_inputs` fault.
pub(crate) fn date_fields(kind: ExportKind, renamed: bool) -> (&'static str, &'static str) {
    match (kind, renamed) {
        (ExportKind::Transactions, true) => RENAMED_DATE_NAMES,
        _ => kind.date_fields(),
    }
}

/// Transactions: DD/MM/YYYY text inputs; Export submits the form by POST (classic download).
fn transactions_controls(
    csrf: &str,
    button: Button<'_>,
    renamed_dates: bool,
    filter: Option<&Filter>,
) -> String {
    let (start, end) = filter
        .map(|f| (escape(&f.start_raw), escape(&f.end_raw)))
        .unwrap_or_default();
    let (start_name, end_name) = date_fields(ExportKind::Transactions, renamed_dates);
    let class = match button.renamed {
        None => "btn btn-success".to_owned(),
        Some(_) => format!("btn btn-outline-success {RENAMED_CLASS}"),
    };
    let text = button.text();
    let export = if button.dead {
        format!("<button type=\"button\" class=\"{class}\">{text}</button>")
    } else {
        format!(
            "<button type=\"submit\" class=\"{class}\" formaction=\"/transaction/export\" \
             formmethod=\"post\">{text}</button>"
        )
    };
    format!(
        "<form id=\"filter-form\" method=\"GET\" action=\"/transaction\">\
         <input type=\"hidden\" name=\"_token\" value=\"{csrf}\">\
         <label>Dari <input type=\"text\" name=\"{start_name}\" placeholder=\"DD/MM/YYYY\" \
         value=\"{start}\" autocomplete=\"off\"></label>\
         <label>Sampai <input type=\"text\" name=\"{end_name}\" placeholder=\"DD/MM/YYYY\" \
         value=\"{end}\" autocomplete=\"off\"></label>\
         <button type=\"submit\" class=\"btn btn-primary\">Filter</button>\
         <button type=\"reset\" class=\"btn\">Reset</button>\
         {export}</form>"
    )
}

/// Point transactions: HTML5 date inputs; Export is a `target=_blank` link whose href is built
/// from the inputs when it is clicked, so the download happens in a new tab.
fn point_transactions_controls(button: Button<'_>, renamed_dates: bool) -> String {
    let (start_name, end_name) = if renamed_dates {
        RENAMED_DATE_NAMES
    } else {
        ("start", "end")
    };
    let inputs = format!(
        "<label>Dari <input type=\"date\" name=\"{start_name}\"></label>\
         <label>Sampai <input type=\"date\" name=\"{end_name}\"></label>"
    );
    let (class, text, hook) = (
        button.classes("btn btn-danger"),
        button.text(),
        button.hook(),
    );
    if button.dead {
        return format!("{inputs}<a class=\"{class}\" role=\"button\">{text}</a>");
    }
    format!(
        "{inputs}<a href=\"/point_transaction/export\" target=\"_blank\" \
         class=\"{class}\">{text}</a>\
         <script>\
         document.querySelector('.{hook}').addEventListener('click', function () {{\
           var start = document.querySelector('input[name=\"{start_name}\"]').value;\
           var end = document.querySelector('input[name=\"{end_name}\"]').value;\
           this.href = '/point_transaction/export?start=' + encodeURIComponent(start) +\
             '&end=' + encodeURIComponent(end);\
         }});\
         </script>"
    )
}

/// Users and coin payments: `#filter-start` / `#filter-end` date inputs. Users download through
/// `fetch` + a Blob + a temporary `<a download>` (xlsx) or open the export URL in a new tab with
/// `window.open` (PDF); coin payments navigate to the export URL.
fn filter_controls(kind: ExportKind, button_kind: Button<'_>, renamed_dates: bool) -> String {
    let ((start_id, end_id), (start_name, end_name)) = if renamed_dates {
        (RENAMED_DATE_IDS, RENAMED_DATE_NAMES)
    } else {
        (("filter-start", "filter-end"), ("start", "end"))
    };
    let inputs = format!(
        "<label>Dari <input type=\"date\" id=\"{start_id}\" name=\"{start_name}\"></label>\
         <label>Sampai <input type=\"date\" id=\"{end_id}\" name=\"{end_name}\"></label>\
         <div id=\"export-error\" class=\"alert-danger\" hidden></div>"
    );
    let button = format!(
        "<button type=\"button\" class=\"{}\">{}</button>",
        button_kind.classes("btn btn-success m3"),
        button_kind.text()
    );
    let hook = button_kind.hook();
    if button_kind.dead {
        return format!("{inputs}{button}");
    }
    let path = kind.page_path();
    let file_name = match button_kind.file_name {
        // A JavaScript string literal that cannot close the script element.
        Some(name) => serde_json::to_string(name)
            .expect("a string serializes")
            .replace('<', "\\u003c"),
        None => format!("'{}_' + start + '_' + end + '.xlsx'", kind.name()),
    };
    let action = match kind {
        ExportKind::Users if button_kind.pdf => "window.open(url, '_blank');".to_owned(),
        ExportKind::Users => format!(
            "fetch(url, {{ credentials: 'same-origin' }}).then(function (resp) {{\
               if (resp.redirected && new URL(resp.url).pathname === '/login') {{\
                 window.location.href = resp.url; return null;\
               }}\
               if (!resp.ok) {{\
                 return resp.text().then(function (text) {{\
                   var box = document.getElementById('export-error');\
                   box.textContent = 'Export gagal (HTTP ' + resp.status + ')';\
                   box.hidden = false;\
                 }});\
               }}\
               return resp.blob().then(function (blob) {{\
                 var href = URL.createObjectURL(blob);\
                 var a = document.createElement('a');\
                 a.href = href; a.download = {file_name};\
                 document.body.appendChild(a); a.click(); a.remove();\
                 setTimeout(function () {{ URL.revokeObjectURL(href); }}, 60000);\
               }});\
             }});"
        ),
        _ => "window.location.href = url;".to_owned(),
    };
    format!(
        "{inputs}{button}<script>\
         document.querySelector('.{hook}').addEventListener('click', function () {{\
           var start = document.getElementById('{start_id}').value;\
           var end = document.getElementById('{end_id}').value;\
           var url = '{path}/export?start=' + encodeURIComponent(start) +\
             '&end=' + encodeURIComponent(end);\
           {action}\
         }});\
         </script>"
    )
}

/// A plain error page (419, 422, 500, 404).
pub(crate) fn error(status: u16, title: &str, message: &str) -> String {
    let body = format!(
        "<h1>{status} | {}</h1><div class=\"alert alert-danger\">{}</div>\
         <p><a href=\"/dashboard\">Kembali</a></p>",
        escape(title),
        escape(message)
    );
    layout(title, None, &body)
}
