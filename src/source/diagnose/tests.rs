use std::time::Duration;

use super::*;

fn el(tag: &str, text: &str, classes: &str, selector: &str) -> Found {
    Found {
        tag: tag.into(),
        text: text.into(),
        classes: classes.split_whitespace().map(str::to_owned).collect(),
        visible: true,
        selector: Some(selector.into()),
        ..Found::default()
    }
}

fn input(kind: &str, id: &str, name: &str, label: &str, placeholder: &str) -> Found {
    Found {
        tag: "input".into(),
        kind: kind.into(),
        id: id.into(),
        name: name.into(),
        text: label.into(),
        placeholder: placeholder.into(),
        visible: true,
        selector: Some(if id.is_empty() {
            format!("input[name=\"{name}\"]")
        } else {
            format!("#{id}")
        }),
        ..Found::default()
    }
}

/// The clickables of the simulator's users page after `rename_button = users=Unduh Excel`.
fn users_page() -> Vec<Found> {
    vec![
        el("a", "ATK Admin", "", "header > a:nth-of-type(1)"),
        el("a", "Transaksi", "", "nav > a:nth-of-type(1)"),
        el("a", "Transaksi Poin", "", "nav > a:nth-of-type(2)"),
        el("a", "User Front", "", "nav > a:nth-of-type(3)"),
        el("a", "Koin Pay", "", "nav > a:nth-of-type(4)"),
        el("button", "Logout", "btn", "form > button"),
        el(
            "button",
            "Unduh Excel",
            "btn btn-outline-success m3 unduh-data",
            "button.unduh-data",
        ),
    ]
}

fn selectors(ranked: &[Candidate]) -> Vec<String> {
    ranked
        .iter()
        .map(|c| c.found.selector.clone().unwrap())
        .collect()
}

const USERS_BUTTON: Wanted = Wanted::Button {
    selector: ".btn.btn-success.m3.expot-pdf",
    text: None,
};

#[test]
fn a_renamed_button_with_other_text_and_class_ranks_first() {
    let page = users_page();
    let ranked = rank(&USERS_BUTTON, &page);
    // Navigation links share nothing with the configured button, and a Logout button only
    // its generic `btn` class.
    assert_eq!(selectors(&ranked), ["button.unduh-data"], "{ranked:#?}");
}

#[test]
fn a_text_that_contains_the_configured_one_beats_lookalike_classes() {
    let page = vec![
        el("button", "Filter", "btn btn-primary", "button.btn-primary"),
        el("button", "Reset", "btn", "button:nth-of-type(2)"),
        el("a", "Export PDF", "btn btn-danger", "a.btn-danger"),
        el("button", "Logout", "btn", "form > button"),
    ];
    let wanted = Wanted::Button {
        selector: ".btn",
        text: Some("Export"),
    };
    let ranked = rank(&wanted, &page);
    assert_eq!(selectors(&ranked)[0], "a.btn-danger", "{ranked:#?}");
    assert!(ranked[0].score > ranked[1].score + 0.2, "{ranked:#?}");
}

#[test]
fn a_misspelt_class_is_near_its_correct_spelling() {
    let page = vec![
        el("button", "Simpan", "btn btn-primary", "button.btn-primary"),
        el(
            "button",
            "Export",
            "btn btn-success export-pdf",
            "button.export-pdf",
        ),
    ];
    let ranked = rank(
        &Wanted::Button {
            selector: ".expot-pdf",
            text: None,
        },
        &page,
    );
    assert_eq!(selectors(&ranked), ["button.export-pdf"]);
}

#[test]
fn a_hidden_clickable_ranks_below_a_visible_one_of_equal_likeness() {
    let mut hidden = el("button", "Export", "btn export", "#a");
    hidden.visible = false;
    let visible = el("button", "Export", "btn export", "#b");
    let page = [hidden, visible];
    let ranked = rank(
        &Wanted::Button {
            selector: ".btn-export",
            text: Some("Export"),
        },
        &page,
    );
    assert_eq!(selectors(&ranked)[0], "#b");
}

fn renamed_date_page() -> Vec<Found> {
    vec![
        input("search", "q", "q", "Cari", "Cari user"),
        input("date", "tgl-awal", "tgl_awal", "Dari", ""),
        input("date", "tgl-akhir", "tgl_akhir", "Sampai", ""),
    ]
}

#[test]
fn date_inputs_rank_by_their_role_in_the_range() {
    let page = renamed_date_page();
    let start = rank(
        &Wanted::DateInput {
            selector: "#filter-start",
            end: false,
        },
        &page,
    );
    assert_eq!(selectors(&start), ["#tgl-awal", "#tgl-akhir"], "{start:#?}");
    let end = rank(
        &Wanted::DateInput {
            selector: "#filter-end",
            end: true,
        },
        &page,
    );
    assert_eq!(selectors(&end), ["#tgl-akhir", "#tgl-awal"], "{end:#?}");
}

#[test]
fn text_inputs_are_date_like_by_name_or_placeholder() {
    let page = vec![
        input("text", "", "keyword", "Cari", ""),
        input("text", "", "tanggal_sampai", "", ""),
        input("text", "", "periode1", "", "DD/MM/YYYY"),
        input("", "", "startDate", "", ""),
    ];
    let ranked = rank(
        &Wanted::DateInput {
            selector: "[name=\"start_date\"]",
            end: false,
        },
        &page,
    );
    let names = selectors(&ranked);
    assert_eq!(names[0], "input[name=\"startDate\"]", "{ranked:#?}");
    assert_eq!(names.len(), 3, "the search field is not a date: {names:?}");
    assert!(!names.contains(&"input[name=\"keyword\"]".to_owned()));
}

fn facts(title: &str, elements: Vec<Found>) -> PageFacts {
    PageFacts {
        title: title.into(),
        url: "http://127.0.0.1:9/user-front".into(),
        login_path: false,
        login_form: false,
        elements,
    }
}

#[test]
fn the_diagnosis_names_title_login_state_and_candidates() {
    let page = facts("User Front | ATK Admin", users_page());
    let line = describe(
        Some(&page),
        &USERS_BUTTON,
        "http://127.0.0.1:9/user-front",
        400,
    );
    assert!(
        line.starts_with(
            "check the selector in the configuration. The page is \"User Front | ATK Admin\" \
             (not the login page); nearest: `button.unduh-data` \"Unduh Excel\""
        ),
        "{line}"
    );
    assert!(
        !line.contains(" at http"),
        "the URL is already in the message: {line}"
    );
}

#[test]
fn a_page_that_moved_names_its_url() {
    let mut page = facts("Dashboard", users_page());
    page.url = "http://127.0.0.1:9/dashboard".into();
    let line = describe(
        Some(&page),
        &USERS_BUTTON,
        "http://127.0.0.1:9/user-front",
        400,
    );
    assert!(
        line.contains("\"Dashboard\" at http://127.0.0.1:9/dashboard (not the login page)"),
        "{line}"
    );
}

#[test]
fn the_login_page_is_said_first_and_no_selector_is_offered() {
    for (path, form) in [(true, false), (false, true)] {
        let mut page = facts("Login | ATK Admin", users_page());
        page.login_path = path;
        page.login_form = form;
        let line = describe(Some(&page), &USERS_BUTTON, &page.url.clone(), 400);
        assert!(
            line.starts_with("the page is the login page \"Login | ATK Admin\""),
            "{line}"
        );
        assert!(line.contains("the session was lost or the login did not stick"));
        assert!(!line.contains("nearest") && !line.contains("check the selector"));
    }
}

#[test]
fn no_answer_keeps_the_advice_and_says_so() {
    assert_eq!(
        describe(None, &USERS_BUTTON, "", 400),
        "check the selector in the configuration (the page did not answer a diagnosis)"
    );
}

#[test]
fn nothing_alike_is_said_plainly() {
    let page = facts("Kosong", vec![el("a", "Beranda", "", "a")]);
    assert!(
        describe(Some(&page), &USERS_BUTTON, "", 400)
            .ends_with("; no button or link on it resembles the configured one")
    );
    let inputs = facts("Kosong", vec![input("text", "q", "q", "Cari", "")]);
    let wanted = Wanted::DateInput {
        selector: "#filter-start",
        end: false,
    };
    assert!(
        describe(Some(&inputs), &wanted, "", 400).ends_with("; no input on it looks like a date")
    );
}

#[test]
fn texts_are_cut_quotes_flattened_and_hidden_or_unselectable_elements_marked_or_left_out() {
    let mut long = el(
        "button",
        &format!("Export \"semua\" {}", "data ".repeat(20)),
        "btn export",
        "#long",
    );
    long.visible = false;
    let mut unselectable = el("button", "Export", "export", "x");
    unselectable.selector = None;
    let too_long = el("button", "Export", "export", &"div > ".repeat(30));
    let page = facts("T", vec![unselectable, too_long, long]);
    let wanted = Wanted::Button {
        selector: ".btn-export",
        text: Some("Export"),
    };
    let line = describe(Some(&page), &wanted, "", 400);
    let shown = line.split("nearest: ").nth(1).unwrap();
    assert!(
        shown.starts_with("`#long` \"Export 'semua' data data"),
        "{line}"
    );
    assert!(shown.ends_with("…\" (hidden)"), "{line}");
    let quoted = shown.split('"').nth(1).unwrap();
    assert_eq!(quoted.chars().count(), MAX_TEXT_CHARS, "{quoted}");
}

#[test]
fn candidates_stop_at_the_room_left_but_the_best_is_always_named() {
    let many: Vec<Found> = (0..8)
        .map(|i| {
            el(
                "button",
                &format!("Export {i}"),
                "btn export",
                &format!("#export-{i}"),
            )
        })
        .collect();
    let page = facts("T", many);
    let wanted = Wanted::Button {
        selector: ".btn",
        text: Some("Export"),
    };
    let roomy = describe(Some(&page), &wanted, "", 1000);
    assert_eq!(
        roomy.matches("`#export-").count(),
        MAX_CANDIDATES,
        "{roomy}"
    );
    let tight = describe(Some(&page), &wanted, "", 10);
    assert_eq!(tight.matches("`#export-").count(), 1, "{tight}");
}

#[test]
fn the_whole_error_stays_one_short_line() {
    let candidates: Vec<Found> = (0..8)
        .map(|i| {
            el(
                "button",
                &"Unduh laporan lengkap ".repeat(5),
                "btn export",
                &format!("main > div:nth-of-type({i}) > form > div.row > div.col > button.btn"),
            )
        })
        .collect();
    let mut page = facts(&"Judul halaman yang panjang sekali ".repeat(5), candidates);
    page.url = format!("http://127.0.0.1:9/{}", "x".repeat(300));
    let wanted = Wanted::Button {
        selector: ".btn.btn-success.m3.expot-pdf",
        text: Some("Export"),
    };
    let mut error = SourceError::ElementMissing {
        export: "users".into(),
        what: "Export button",
        selector: ".btn.btn-success.m3.expot-pdf with text \"Export\"".into(),
        url: "http://127.0.0.1:9/user-front".into(),
        waited: Duration::from_secs(10),
        hint: Box::default(),
    };
    let base = error.to_string().chars().count() - CHECK_SELECTOR.chars().count();
    if let SourceError::ElementMissing { hint, url, .. } = &mut error {
        *hint = describe(Some(&page), &wanted, url, MAX_MESSAGE_CHARS - base).into();
    }
    let message = error.to_string();
    assert!(message.chars().count() <= MAX_MESSAGE_CHARS, "{message}");
    assert!(!message.contains('\n'));
    assert!(
        message.contains("; nearest: `main > div:nth-of-type(0)"),
        "{message}"
    );
}

#[test]
fn without_a_diagnosis_the_message_is_the_old_one() {
    let error = SourceError::ElementMissing {
        export: "users".into(),
        what: "start-date input",
        selector: "#filter-start".into(),
        url: "http://h/user-front".into(),
        waited: Duration::from_secs(10),
        hint: Box::default(),
    };
    assert_eq!(
        error.to_string(),
        "export users: start-date input `#filter-start` did not appear on http://h/user-front \
         within 10s; check the selector in the configuration"
    );
}

#[test]
fn the_missing_element_is_read_from_the_error() {
    let config = crate::config::Config::from_str(
        include_str!("../../../examples/sim.toml"),
        "examples/sim.toml",
    )
    .unwrap();
    let users = config.exports.iter().find(|e| e.name == "users").unwrap();
    assert_eq!(
        Wanted::of("Export button", users),
        Wanted::Button {
            selector: ".btn.btn-success.m3.expot-pdf",
            text: None
        }
    );
    assert_eq!(
        Wanted::of("start-date input", users),
        Wanted::DateInput {
            selector: "#filter-start",
            end: false
        }
    );
    assert_eq!(
        Wanted::of("end-date input", users),
        Wanted::DateInput {
            selector: "#filter-end",
            end: true
        }
    );
}

#[test]
fn the_pages_answer_decodes_with_missing_fields() {
    let facts: PageFacts = serde_json::from_str(
        r#"{"title": "T", "url": "u", "login_form": true,
            "elements": [{"tag": "input", "type": "date", "selector": null}]}"#,
    )
    .unwrap();
    assert!(facts.is_login_page());
    assert_eq!(facts.elements[0].kind, "date");
    assert_eq!(facts.elements[0].selector, None);
    assert!(facts.elements[0].classes.is_empty());
}

#[test]
fn the_script_carries_the_login_checks_as_javascript_strings() {
    let config = crate::config::Config::from_str(
        include_str!("../../../examples/sim.toml"),
        "examples/sim.toml",
    )
    .unwrap();
    let script = facts_script(&USERS_BUTTON, &config.login);
    assert!(script.contains(r#"loginPath = "/login""#), "{script}");
    assert!(script.contains(r#"passwordSelector = "[name=\"password\"]""#));
    assert!(script.contains("wantButton = true"));
    assert!(!script.contains("__"), "every placeholder is replaced");
}
