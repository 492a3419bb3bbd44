//! HTML tables (what PHP panels often send with an .xls name): a small tag scanner for
//! `table`/`tr`/`td`/`th` with entity decoding. Cells come out as raw text, typed later.

use super::csv::decode;
use super::grid::{Grid, GridRow};
use super::{Cell, Format, TableError};

/// Reads the largest `<table>` of the document into a grid of raw text cells.
pub fn read(bytes: &[u8], export: &str) -> Result<Grid, TableError> {
    let (text, warning) = decode(bytes);
    let rows = largest_table(&text).ok_or_else(|| TableError::HtmlWithoutTable {
        export: export.to_owned(),
    })?;
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(index, texts)| GridRow {
            number: index + 1,
            cells: texts
                .into_iter()
                .map(|t| {
                    if t.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(t)
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Grid {
        format: Format::Html,
        sheet: None,
        text_source: true,
        rows,
        warnings: warning.into_iter().collect(),
    })
}

/// One piece of markup.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Open(String, &'a str),
    Close(String),
    Text(&'a str),
}

/// The rows of the document's largest table (most non-empty cells; the first on a tie), each
/// a list of cell texts (whitespace collapsed, entities decoded, `<br>` as a line break,
/// `colspan` expanded). Nested tables are read on their own, so a data table inside a layout
/// table is found, and a table cut off before `</table>` still yields what it holds.
fn largest_table(html: &str) -> Option<Vec<Vec<String>>> {
    let mut open: Vec<TableBuilder> = Vec::new();
    let mut done: Vec<TableBuilder> = Vec::new();
    let mut opened = 0;
    for token in Tokens::new(html) {
        match token {
            Token::Open(name, attrs) => {
                let current = open.last_mut();
                match (name.as_str(), current) {
                    ("table", _) => {
                        open.push(TableBuilder {
                            started: opened,
                            ..TableBuilder::default()
                        });
                        opened += 1;
                    }
                    ("tr", Some(table)) => table.start_row(),
                    ("td" | "th", Some(table)) => table.start_cell(colspan(attrs)),
                    ("br", Some(table)) => table.push_text("\n"),
                    ("div" | "p" | "li", Some(table)) => table.push_text(" "),
                    _ => {}
                }
            }
            Token::Close(name) => match (name.as_str(), open.last_mut()) {
                ("table", Some(_)) => done.extend(open.pop().map(TableBuilder::finish)),
                ("tr", Some(table)) => table.end_row(),
                ("td" | "th", Some(table)) => table.finish_cell(),
                _ => {}
            },
            Token::Text(raw) => {
                if let Some(table) = open.last_mut()
                    && let Some((text, _)) = table.cell.as_mut()
                {
                    decode_entities_into(raw, text);
                }
            }
        }
    }
    done.extend(open.into_iter().rev().map(TableBuilder::finish));
    done.sort_by_key(|t| t.started);
    let best = done
        .into_iter()
        .filter(|t| !t.rows.is_empty())
        .rev()
        .max_by_key(|t| t.filled_cells())?;
    Some(best.rows)
}

#[derive(Default)]
struct TableBuilder {
    rows: Vec<Vec<String>>,
    /// The open cell's text and colspan.
    cell: Option<(String, usize)>,
    in_row: bool,
    /// Order in which tables were opened, to prefer the first on a tie.
    started: usize,
}

impl TableBuilder {
    fn start_row(&mut self) {
        self.finish_cell();
        self.rows.push(Vec::new());
        self.in_row = true;
    }

    fn end_row(&mut self) {
        self.finish_cell();
        self.in_row = false;
    }

    fn start_cell(&mut self, span: usize) {
        self.finish_cell();
        if !self.in_row {
            self.start_row();
        }
        self.cell = Some((String::new(), span));
    }

    fn push_text(&mut self, text: &str) {
        if let Some((cell, _)) = self.cell.as_mut() {
            cell.push_str(text);
        }
    }

    fn finish_cell(&mut self) {
        let Some((text, span)) = self.cell.take() else {
            return;
        };
        if let Some(row) = self.rows.last_mut() {
            row.push(collapse_whitespace(&text));
            row.extend(std::iter::repeat_n(String::new(), span.saturating_sub(1)));
        }
    }

    fn finish(mut self) -> Self {
        self.finish_cell();
        self
    }

    fn filled_cells(&self) -> usize {
        self.rows.iter().flatten().filter(|c| !c.is_empty()).count()
    }
}

/// Collapses runs of spaces (HTML whitespace and no-break spaces) into one space and trims
/// each line; line breaks from `<br>` survive.
fn collapse_whitespace(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split(|c: char| c.is_whitespace() || c == '\u{a0}')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim_matches('\n')
        .to_owned()
}

fn colspan(attrs: &str) -> usize {
    attribute(attrs, "colspan")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000)
}

/// The value of attribute `name` in a tag's attribute text (quoted or bare).
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let start = from + found;
        from = start + name.len();
        let before_ok = start == 0 || !lower.as_bytes()[start - 1].is_ascii_alphanumeric();
        let rest = attrs[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value = rest[1..].trim_start();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or(""),
        });
    }
    None
}

/// Splits HTML into tags and text. Comments, doctype, `<script>` and `<style>` are skipped.
struct Tokens<'a> {
    html: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(html: &'a str) -> Self {
        Tokens { html, pos: 0 }
    }

    fn skip_past(&mut self, end: &str) {
        let rest = &self.html[self.pos..];
        let lower_end = end.to_ascii_lowercase();
        self.pos = match find_ignore_ascii_case(rest, &lower_end) {
            Some(i) => self.pos + i + end.len(),
            None => self.html.len(),
        };
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let rest = &self.html[self.pos..];
            if rest.is_empty() {
                return None;
            }
            if !rest.starts_with('<') {
                let len = rest.find('<').unwrap_or(rest.len());
                self.pos += len;
                return Some(Token::Text(&rest[..len]));
            }
            if rest.starts_with("<!--") {
                self.skip_past("-->");
                continue;
            }
            let closing = rest.starts_with("</");
            let name_start = if closing { 2 } else { 1 };
            let name_len = rest[name_start..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len() - name_start);
            if name_len == 0 && !rest[name_start..].starts_with(['!', '?']) {
                // A lone `<` in text.
                self.pos += 1;
                return Some(Token::Text("<"));
            }
            let name_end = name_start + name_len;
            let (attrs, consumed) = match tag_end(rest) {
                Some(end) => (&rest[name_end..end - 1], end),
                None => (&rest[name_end..], rest.len()),
            };
            let name = rest[name_start..name_end].to_ascii_lowercase();
            self.pos += consumed;
            if name.is_empty() {
                continue; // <!DOCTYPE ...>, <?xml ...?>
            }
            if closing {
                return Some(Token::Close(name));
            }
            if name == "script" || name == "style" {
                self.skip_past(&format!("</{name}"));
                self.skip_past(">");
                continue;
            }
            return Some(Token::Open(name, attrs));
        }
    }
}

/// Index just past the `>` that ends the tag starting at `tag[0] == '<'`, skipping quoted
/// attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn find_ignore_ascii_case(haystack: &str, needle_lower: &str) -> Option<usize> {
    let n = needle_lower.len();
    haystack
        .as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
}

/// Appends `raw` with character references decoded: the common named ones and numeric ones.
/// Unknown references are kept as written.
fn decode_entities_into(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest[1..]
            .find(';')
            .filter(|&len| len > 0 && len <= 10)
            .and_then(|len| decode_entity(&rest[1..1 + len]).map(|c| (c, len + 2)));
        match decoded {
            Some((c, consumed)) => {
                out.push(c);
                rest = &rest[consumed..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "euro" => '€',
        "copy" => '©',
        "reg" => '®',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        _ => return None,
    })
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
