//! HTML tables (what PHP panels often send with an .xls name), read with the `scraper` HTML
//! parser (html5ever): every character reference decoded, unclosed tags closed as browsers
//! do. Cells come out as raw text, typed later by column (docs/tables.md).

use scraper::{ElementRef, Html, Selector};

use super::csv::decode;
use super::grid::{Grid, GridRow};
use super::{Cell, Format, TableError};

/// Reads the largest `<table>` of the document into a grid of raw text cells.
pub fn read(bytes: &[u8], export: &str) -> Result<Grid, TableError> {
    let (text, warning) = decode(bytes);
    let (rows, text_cells) =
        largest_table_marked(&text).ok_or_else(|| TableError::HtmlWithoutTable {
            export: export.to_owned(),
        })?;
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(index, texts)| GridRow {
            number: index + 1,
            cells: texts.into_iter().map(Cell::raw_text).collect(),
        })
        .collect();
    Ok(Grid {
        format: Format::Html,
        sheet: None,
        text_source: true,
        delimiter: None,
        rows,
        warnings: warning.into_iter().collect(),
        layout: None,
        text_cells,
    })
}

/// [`largest_table`], with the cells Excel's HTML format marks as text: a class or a `style`
/// whose `mso-number-format` is `\@` (the Text number format). Their positions are
/// `(row number, column index)`.
/// Rows of cell texts, and the `(row number, column index)` of the cells formatted as text.
type MarkedTable = (Vec<Vec<String>>, Vec<(usize, usize)>);

fn largest_table_marked(html: &str) -> Option<MarkedTable> {
    let document = Html::parse_document(html);
    let text_classes = text_format_classes(&document);
    let tables = Selector::parse("table").expect("a valid selector");
    let mut best: Option<(usize, MarkedTable)> = None;
    for table in document.select(&tables) {
        let mut rows = Vec::new();
        collect_rows(table, &mut rows);
        if rows.is_empty() {
            continue;
        }
        let filled = rows.iter().flatten().filter(|c| !c.0.is_empty()).count();
        if best.as_ref().is_none_or(|(most, _)| filled > *most) {
            let mut marked = Vec::new();
            let texts = rows
                .into_iter()
                .enumerate()
                .map(|(r, cells)| {
                    cells
                        .into_iter()
                        .enumerate()
                        .map(|(c, (text, element))| {
                            if element.is_some_and(|e| is_text_format(e, &text_classes)) {
                                marked.push((r + 1, c));
                            }
                            text
                        })
                        .collect()
                })
                .collect();
            best = Some((filled, (texts, marked)));
        }
    }
    best.map(|(_, table)| table)
}

/// Classes that the document's `<style>` rules give `mso-number-format:"\@"`.
fn text_format_classes(document: &Html) -> Vec<String> {
    let styles = Selector::parse("style").expect("a valid selector");
    let mut classes = Vec::new();
    for style in document.select(&styles) {
        let css: String = style.text().collect();
        for rule in css.split('}') {
            let Some((selectors, body)) = rule.split_once('{') else {
                continue;
            };
            if !declares_text_format(body) {
                continue;
            }
            for selector in selectors.split(',') {
                if let Some((_, class)) = selector.trim().rsplit_once('.') {
                    let class: String = class
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    if !class.is_empty() {
                        classes.push(class);
                    }
                }
            }
        }
    }
    classes
}

/// `mso-number-format:"\@"` (or `\@`, `"@"`, `'\@'`) among CSS declarations.
fn declares_text_format(declarations: &str) -> bool {
    declarations.split(';').any(|declaration| {
        let Some((name, value)) = declaration.split_once(':') else {
            return false;
        };
        let value: String = value
            .trim()
            .chars()
            .filter(|c| !matches!(c, '"' | '\'' | '\\'))
            .collect();
        name.trim().eq_ignore_ascii_case("mso-number-format") && value.trim() == "@"
    })
}

fn is_text_format(cell: ElementRef<'_>, text_classes: &[String]) -> bool {
    let element = cell.value();
    element.attr("style").is_some_and(declares_text_format)
        || element
            .classes()
            .any(|class| text_classes.iter().any(|c| c == class))
}

/// The rows of the document's largest table (most non-empty cells; the first on a tie), each
/// a list of cell texts (whitespace collapsed as a browser shows it, `<br>` as a line break,
/// `colspan` expanded). Nested tables are tables of their own, so a data table inside a layout
/// table is found; their text is not part of the enclosing cell.
#[cfg(test)]
fn largest_table(html: &str) -> Option<Vec<Vec<String>>> {
    largest_table_marked(html).map(|(rows, _)| rows)
}

/// The `tr` rows under `element` that belong to its table (not to a nested one).
fn collect_rows<'a>(
    element: ElementRef<'a>,
    rows: &mut Vec<Vec<(String, Option<ElementRef<'a>>)>>,
) {
    for child in element.child_elements() {
        match child.value().name() {
            "tr" => rows.push(row_cells(child)),
            "table" => {}
            _ => collect_rows(child, rows),
        }
    }
}

/// Each cell's text with its element (`None` for the blanks a `colspan` stands for).
fn row_cells(row: ElementRef<'_>) -> Vec<(String, Option<ElementRef<'_>>)> {
    let mut cells = Vec::new();
    for cell in row.child_elements() {
        if !matches!(cell.value().name(), "td" | "th") {
            continue;
        }
        let mut text = String::new();
        cell_text(cell, &mut text);
        cells.push((collapse_whitespace(&text), Some(cell)));
        let span = cell
            .value()
            .attr("colspan")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, 1_000);
        cells.extend(std::iter::repeat_n((String::new(), None), span - 1));
    }
    cells
}

/// Appends the text a cell shows: text nodes, `<br>` as a line break, block elements
/// separated by a space; nested tables, scripts and styles left out.
fn cell_text(element: ElementRef<'_>, out: &mut String) {
    for child in element.children() {
        if let Some(text) = child.value().as_text() {
            out.push_str(text);
        } else if let Some(inner) = ElementRef::wrap(child) {
            match inner.value().name() {
                "br" => out.push('\n'),
                "table" | "script" | "style" | "template" => {}
                "div" | "p" | "li" => {
                    out.push(' ');
                    cell_text(inner, out);
                    out.push(' ');
                }
                _ => cell_text(inner, out),
            }
        }
    }
}

/// Collapses runs of spaces (HTML whitespace) into one space and trims each line, as a
/// browser renders them; line breaks from `<br>` survive. A no-break space (`&nbsp;`) is a
/// space of its own that HTML does not collapse, but a cell holding only such spaces shows
/// nothing and is empty, as Excel reads it.
fn collapse_whitespace(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split(|c: char| c.is_ascii_whitespace() || c == '\u{a0}')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim_matches('\n')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(html: &str) -> Vec<Vec<String>> {
        largest_table(html).expect("a table")
    }

    #[test]
    fn reads_rows_and_cells_with_entities() {
        let html = r#"<html><head><style>td { color: red }</style></head><body>
            <!-- <table><tr><td>commented out</td></tr></table> -->
            <TABLE border="1"><thead><tr><th>Name</th><TH class='x'>Note</TH></tr></thead>
            <tbody><tr><td> Tom &amp; Jerry </td><td>a&lt;b&gt;c &#8364;&#x41;&nbsp;</td></tr>
            <tr><td>line<br>break</td><td>&bogus; & x</td></tr></tbody></TABLE>"#;
        assert_eq!(
            table(html),
            vec![
                vec!["Name", "Note"],
                vec!["Tom & Jerry", "a<b>c €A"],
                vec!["line\nbreak", "&bogus; & x"],
            ]
        );
    }

    #[test]
    fn every_named_and_numeric_reference_is_decoded() {
        let html = "<table><tr><td>Jos&eacute;</td><td>&#8364; 5</td><td>Se&ntilde;or &hellip;</td>\
                    <td>&Auml;&szlig;&ccedil;</td><td>&#x1F600;</td><td>&eacute</td></tr></table>";
        assert_eq!(
            table(html),
            vec![vec!["José", "€ 5", "Señor …", "Äßç", "😀", "é"]]
        );
    }

    #[test]
    fn unclosed_cells_and_colspan() {
        let html = "<table><tr><td colspan=2>wide<td>c\n<tr><td>1<td>2<td>3</table>";
        assert_eq!(
            table(html),
            vec![vec!["wide", "", "c"], vec!["1", "2", "3"]]
        );
    }

    #[test]
    fn nested_data_table_inside_a_layout_table_wins_and_empty_tables_are_skipped() {
        let html = "<table></table><table><tr><td>Report<table><tr><th>ID</th><th>Name</th></tr>\
                    <tr><td>0812</td><td>Ann</td></tr></table></td></tr></table>";
        assert_eq!(table(html), vec![vec!["ID", "Name"], vec!["0812", "Ann"]]);
    }

    #[test]
    fn first_of_equal_tables_and_unclosed_tables() {
        let html = "<table><tr><td>a</td></tr></table><table><tr><td>b</td></tr></table>";
        assert_eq!(table(html), vec![vec!["a"]]);
        assert_eq!(table("<table><tr><td>x<td>y"), vec![vec!["x", "y"]]);
    }

    #[test]
    fn attributes_with_gt_inside_quotes() {
        let html = r#"<table><tr><td title="a>b" colspan="2">x</td></tr></table>"#;
        assert_eq!(table(html), vec![vec!["x", ""]]);
    }

    #[test]
    fn page_without_table() {
        assert_eq!(largest_table("<html><form>login</form></html>"), None);
    }
}
