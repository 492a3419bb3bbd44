//! Validation of the export definitions file: the shipped files load, and every kind of mistake
//! is reported with the file, the export and the field, all problems at once.

use std::time::Duration;

use exportsync::config::{BrowserMode, Config, ConfigError, DateFormat, FillMethod, LoginSuccess};

const SHIPPED: &str = include_str!("../exports.toml");
const SIM: &str = include_str!("../examples/sim.toml");

/// A small valid file; tests break one thing in it.
const BASE: &str = r##"
[backend]
base_url = "http://127.0.0.1:9"

[[export]]
name = "users"
page = "/user-front"
start_selector = "#filter-start"
end_selector = "#filter-end"
date_format = "html5"
button = { selector = ".expot-pdf" }
spreadsheet_id = "abc_DEF-123"

[[export]]
name = "transactions"
page = "/transaction"
start_selector = '[name="start_date"]'
end_selector = '[name="end_date"]'
date_format = "%d/%m/%Y"
button = { selector = ".btn", text = "Export" }
spreadsheet_id = "xyz"
key_columns = ["Transaksi ID"]
"##;

fn problems(text: &str) -> Vec<String> {
    match Config::from_str(text, "exports.toml") {
        Ok(_) => panic!("expected the configuration to be rejected"),
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

fn assert_has(problems: &[String], needle: &str) {
    assert!(
        problems
            .iter()
            .any(|p| p == needle || p.starts_with(needle)),
        "no problem starting with {needle:?} in {problems:#?}"
    );
}

#[test]
fn shipped_config_describes_the_four_exports() {
    let config = Config::from_str(SHIPPED, "exports.toml").expect("shipped exports.toml is valid");
    let names: Vec<&str> = config.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "transactions",
            "point_transactions",
            "users",
            "coin_payments"
        ]
    );
    assert_eq!(
        config.backend.base_url.as_deref(),
        Some("https://backend.andalanatk.com")
    );
    let tx = &config.exports[0];
    assert!(
        !tx.enabled,
        "transactions page and sheet are unknown, so it ships disabled"
    );
    assert!(tx.page.is_none() && tx.spreadsheet_id.is_none());
    assert_eq!(tx.date_format, DateFormat::Pattern("%d/%m/%Y".into()));
    assert_eq!(tx.button.text.as_deref(), Some("Export"));
    assert_eq!(tx.key_columns, ["Transaksi ID"]);
    let users = &config.exports[2];
    assert_eq!(users.page.as_deref(), Some("/user-front"));
    assert_eq!(users.date_format, DateFormat::Html5);
    assert_eq!(users.button.selector, ".btn.btn-success.m3.expot-pdf");
    assert_eq!(
        users.spreadsheet_id.as_deref(),
        Some("1CLKjcByabVe6-8hTTcP6JtE56WulHIEOPkyHTQ2l0e8")
    );
    assert_eq!(config.defaults.timezone, chrono_tz::Asia::Jakarta);
    assert_eq!(config.defaults.lookback_days, 1);
    assert_eq!(config.browser.mode, BrowserMode::SingleSession);
    let selected: Vec<&str> = config
        .select(&[])
        .unwrap()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(selected, ["point_transactions", "users", "coin_payments"]);
}

#[test]
fn enabling_transactions_without_its_unknown_values_names_them() {
    let text = SHIPPED.replacen("\nenabled = false\n", "\nenabled = true\n", 1);
    assert_ne!(text, SHIPPED);
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"transactions\": field \"page\": missing",
    );
    assert_has(
        &p,
        "exports.toml: export \"transactions\": field \"spreadsheet_id\": missing",
    );
    assert_eq!(p.len(), 2, "{p:#?}");
}

#[test]
fn selecting_a_disabled_export_says_what_is_missing() {
    let config = Config::from_str(SHIPPED, "exports.toml").unwrap();
    let e = config
        .select(&["transactions".into()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("exports.toml")
            && e.contains("\"transactions\"")
            && e.contains("page and spreadsheet_id"),
        "{e}"
    );
}

#[test]
fn simulator_config_enables_all_four() {
    let config = Config::from_str(SIM, "examples/sim.toml").expect("examples/sim.toml is valid");
    assert_eq!(config.select(&[]).unwrap().len(), 4);
    assert_eq!(config.exports[0].page.as_deref(), Some("/transaction"));
}

#[test]
fn defaults_apply_when_values_are_left_out() {
    let config = Config::from_str(BASE, "exports.toml").unwrap();
    assert_eq!(config.login.path, "/login");
    assert_eq!(config.login.email_selector, r#"[name="email"]"#);
    assert_eq!(
        config.login.success,
        LoginSuccess::UrlNotContains("/login".into())
    );
    assert!(config.browser.headless);
    assert!(config.browser.chromium_path.is_none());
    let users = &config.exports[0];
    assert!(users.enabled);
    assert_eq!(users.fill, FillMethod::SetValue);
    assert_eq!(users.download_timeout, Duration::from_secs(60));
    assert_eq!(users.tab, "Sheet1");
    assert!(
        users.key_columns.is_empty(),
        "no key configured: the whole row is the key"
    );
    let options = config.exports[1].table_options();
    assert_eq!(options.export, "transactions");
    assert_eq!(options.header_row, None);
}

#[test]
fn missing_field_names_file_export_and_field() {
    let text = BASE.replacen("start_selector = \"#filter-start\"\n", "", 1);
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"start_selector\": missing",
    );
    assert_eq!(p.len(), 1, "{p:#?}");
}

#[test]
fn unknown_field_names_file_export_and_field() {
    let text = BASE.replacen("date_format = \"html5\"", "date_fromat = \"html5\"", 1);
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"date_fromat\": unknown field; expected one of",
    );
}

#[test]
fn unknown_field_in_a_section_names_the_section() {
    let text = format!("[browser]\nheadles = false\n{BASE}");
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: [browser]: field \"headles\": unknown field",
    );
}

#[test]
fn bad_date_format_names_file_export_and_field() {
    let text = BASE.replacen("date_format = \"html5\"", "date_format = \"%Q\"", 1);
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"date_format\": \"%Q\" is not a valid strftime pattern",
    );
    let text = BASE.replacen("date_format = \"%d/%m/%Y\"", "date_format = \"%d/%m\"", 1);
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"transactions\": field \"date_format\": \"%d/%m\" does not write a full date",
    );
}

#[test]
fn unknown_export_name_lists_the_known_ones() {
    let config = Config::from_str(BASE, "exports.toml").unwrap();
    let e = config.select(&["user".into()]).unwrap_err().to_string();
    assert_eq!(
        e,
        "exports.toml: export \"user\" (given to --only): no such export; known exports: users, transactions"
    );
    let picked: Vec<&str> = config
        .select(&["transactions".into()])
        .unwrap()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(picked, ["transactions"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = BASE
        .replacen("date_format = \"html5\"", "date_format = \"%Q\"", 1)
        .replacen("button = { selector = \".btn\", text = \"Export\" }", "", 1)
        .replacen(
            "spreadsheet_id = \"xyz\"",
            "spreadsheet_id = \"has spaces\"",
            1,
        )
        + "\n[browser]\nmode = \"parallel\"\n[defaults]\ntimezone = \"Mars/Olympus\"\ndownload_timeout_secs = 0\n";
    let p = problems(&text);
    assert_has(&p, "exports.toml: export \"users\": field \"date_format\"");
    assert_has(
        &p,
        "exports.toml: export \"transactions\": field \"button\": missing",
    );
    assert_has(
        &p,
        "exports.toml: export \"transactions\": field \"spreadsheet_id\": \"has spaces\" is not a spreadsheet id",
    );
    assert_has(
        &p,
        "exports.toml: [browser]: field \"mode\": \"parallel\" is not one of",
    );
    assert_has(
        &p,
        "exports.toml: [defaults]: field \"timezone\": \"Mars/Olympus\"",
    );
    assert_has(
        &p,
        "exports.toml: [defaults]: field \"download_timeout_secs\": must be at least 1 second",
    );
    assert_eq!(p.len(), 6, "{p:#?}");
}

#[test]
fn duplicate_names_bad_urls_and_types_are_caught() {
    let text = BASE
        .replacen("name = \"transactions\"", "name = \"users\"", 1)
        .replacen("page = \"/user-front\"", "page = \"user-front\"", 1)
        .replacen(
            "base_url = \"http://127.0.0.1:9\"",
            "base_url = \"ftp://x\"",
            1,
        );
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"name\": is used by an earlier export",
    );
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"page\": \"user-front\" must be a path",
    );
    assert_has(
        &p,
        "exports.toml: [backend]: field \"base_url\": \"ftp://x\" is not an http",
    );
    let text = BASE.replacen(
        "date_format = \"html5\"",
        "date_format = \"html5\"\nheader_row = \"one\"",
        1,
    );
    let p = problems(&text);
    assert!(
        p[0].starts_with("exports.toml: export \"users\": ") && p[0].contains("invalid type"),
        "{p:#?}"
    );
}

#[test]
fn syntax_errors_give_the_line() {
    let p = problems("[backend\nbase_url = 1\n");
    assert!(
        p[0].starts_with("exports.toml: not valid TOML: line 1"),
        "{p:#?}"
    );
}

#[test]
fn load_names_the_file_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my-exports.toml");
    std::fs::write(
        &path,
        BASE.replacen("end_selector = \"#filter-end\"\n", "", 1),
    )
    .unwrap();
    let e = Config::load(&path).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "{}: export \"users\": field \"end_selector\": missing",
            path.display()
        )),
        "{e}"
    );
    let e = Config::load(&dir.path().join("nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot read configuration file") && e.contains("nope.toml"),
        "{e}"
    );
}

#[test]
fn a_wrongly_typed_or_unknown_field_is_the_only_problem_reported_for_its_export() {
    // A typo or a wrong type in one field used to discard the whole export, so every other
    // field of it was reported "missing" as well (and the type error named no field).
    // The typo leaves the real field unset, which is then (rightly) reported too, and only it.
    let p = problems(&BASE.replacen("date_format = \"html5\"", "date_fromat = \"html5\"", 1));
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"date_fromat\": unknown field",
    );
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"date_format\": missing",
    );
    assert_eq!(p.len(), 2, "{p:#?}");
    let cases = [
        (
            BASE.replacen(
                "spreadsheet_id = \"abc_DEF-123\"",
                "spreadsheet_id = \"abc_DEF-123\"\nkey_columns = \"User ID\"",
                1,
            ),
            "exports.toml: export \"users\": field \"key_columns\": invalid type",
        ),
        (
            BASE.replacen(
                "button = { selector = \".expot-pdf\" }",
                "button = { selector = \".expot-pdf\", txt = \"Export\" }",
                1,
            ),
            "exports.toml: export \"users\": field \"button.txt\": unknown field",
        ),
        (
            BASE.replacen("page = \"/user-front\"", "page = 5", 1),
            "exports.toml: export \"users\": field \"page\": invalid type",
        ),
        (
            format!("[login]\ntimeout_secs = \"60\"\n{BASE}"),
            "exports.toml: [login]: field \"timeout_secs\": invalid type",
        ),
    ];
    for (text, expected) in cases {
        let p = problems(&text);
        assert_has(&p, expected);
        assert_eq!(p.len(), 1, "{p:#?}");
    }
}

#[test]
fn a_date_format_with_time_fields_is_a_problem_not_a_panic() {
    for format in ["%d/%m/%Y %H:%M", "%s", "%Y-%m-%d %z"] {
        let text = BASE.replacen(
            "date_format = \"html5\"",
            &format!("date_format = \"{format}\""),
            1,
        );
        let p = problems(&text);
        assert_has(
            &p,
            &format!("exports.toml: export \"users\": field \"date_format\": \"{format}\""),
        );
        assert_eq!(p.len(), 1, "{p:#?}");
    }
}

#[test]
fn an_absurd_deadline_is_a_problem_not_a_panic_at_run_time() {
    // A deadline is added to the current instant; a huge one overflows it.
    let text = format!("{BASE}\n[defaults]\ndownload_timeout_secs = 9223372036854775807\n");
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: [defaults]: field \"download_timeout_secs\": must be at most",
    );
    let text = BASE.replacen(
        "spreadsheet_id = \"abc_DEF-123\"",
        "spreadsheet_id = \"abc_DEF-123\"\ndownload_timeout_secs = 100000000000",
        1,
    );
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"users\": field \"download_timeout_secs\": must be at most",
    );
}

#[test]
fn selecting_a_name_twice_runs_it_once_in_file_order() {
    let config = Config::from_str(BASE, "exports.toml").unwrap();
    let picked: Vec<&str> = config
        .select(&["transactions".into(), "users".into(), "transactions".into()])
        .unwrap()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(picked, ["users", "transactions"]);
}

#[test]
fn the_store_and_the_history_checks_are_validated_with_their_field() {
    let text = format!("{BASE}\n[store]\nurl = \"gs://bucket/x\"\n");
    assert_has(
        &problems(&text),
        "exports.toml: [store]: field \"url\": \"gs://bucket/x\": unsupported scheme \"gs\"",
    );
    let text = BASE.replacen(
        "spreadsheet_id = \"xyz\"",
        "spreadsheet_id = \"xyz\"\non_header_change = \"ignore\"\nmin_rows = -1",
        1,
    );
    let p = problems(&text);
    assert_has(
        &p,
        "exports.toml: export \"transactions\": field \"on_header_change\": \"ignore\" is not one of \"warn\"",
    );
    assert_has(
        &p,
        "exports.toml: export \"transactions\": field \"min_rows\": -1 is negative",
    );

    // Valid values, and a relative store folder taken from the file's folder.
    let text = format!(
        "{}\n[store]\nurl = \"runs-store\"\n",
        BASE.replacen(
            "spreadsheet_id = \"xyz\"",
            "spreadsheet_id = \"xyz\"\non_header_change = \"fail\"\nmin_rows = 1",
            1
        )
    );
    let config = Config::from_str(&text, "/etc/exportsync/exports.toml").unwrap();
    assert_eq!(
        config.store.location,
        Some(exportsync::store::StoreLocation::Local(
            "/etc/exportsync/runs-store".into()
        ))
    );
    let t = &config.exports[1];
    assert_eq!(t.on_header_change, exportsync::config::OnHeaderChange::Fail);
    assert_eq!(t.min_rows, Some(1));
    assert_eq!(
        config.exports[0].on_header_change,
        exportsync::config::OnHeaderChange::Warn,
        "warn by default"
    );
}
