//! A1 notation as the Sheets API reads it: `Sheet1`, `'Data #1'!A1:Z`, `Sheet1!A:AA`, `2:5`,
//! quoted sheet names with `''` escapes, column letters beyond `Z`. Pure parsing and formatting.

/// A parsed A1 range: an optional sheet name and an optional area (no area = the whole sheet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A1Range {
    pub sheet: Option<String>,
    pub area: Option<Area>,
}

/// A rectangle in zero-based, end-exclusive indices; `None` bounds are open (to the grid edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Area {
    pub start_row: Option<usize>,
    pub end_row: Option<usize>,
    pub start_col: Option<usize>,
    pub end_col: Option<usize>,
}

/// A concrete window of a grid: zero-based, end-exclusive, already clamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start_row: usize,
    pub end_row: usize,
    pub start_col: usize,
    pub end_col: usize,
}

/// One side of a range: `B7`, `B` or `7` (zero-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CellRef {
    col: Option<usize>,
    row: Option<usize>,
}

/// The widest column the Sheets UI knows is `ZZZ`; anything longer is not a column.
const MAX_COLUMN_LETTERS: usize = 3;
/// Rows beyond this cannot exist (10 million cells in one column).
const MAX_ROW_NUMBER: usize = 10_000_000;

impl A1Range {
    /// Parses `text` as a range with an explicit sheet (`X!A1:B2`), a bare area (`A1:B2`) or,
    /// when `is_sheet` says so, a bare sheet name. `None` when it is not A1 notation.
    pub fn parse(text: &str, is_sheet: impl Fn(&str) -> bool) -> Option<A1Range> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(rest) = text.strip_prefix('\'') {
            let (name, after) = parse_quoted(rest)?;
            return match after {
                "" => Some(A1Range {
                    sheet: Some(name),
                    area: None,
                }),
                _ => {
                    let area = parse_area(after.strip_prefix('!')?)?;
                    Some(A1Range {
                        sheet: Some(name),
                        area: Some(area),
                    })
                }
            };
        }
        if is_sheet(text) {
            return Some(A1Range {
                sheet: Some(text.to_string()),
                area: None,
            });
        }
        if let Some((name, area)) = text.rsplit_once('!') {
            if name.is_empty() || name.contains('\'') {
                return None;
            }
            return Some(A1Range {
                sheet: Some(name.to_string()),
                area: Some(parse_area(area)?),
            });
        }
        Some(A1Range {
            sheet: None,
            area: Some(parse_area(text)?),
        })
    }
}

/// Reads a quoted sheet name after its opening quote; returns the name and the text after the
/// closing quote. `''` inside stands for one quote.
fn parse_quoted(rest: &str) -> Option<(String, &str)> {
    let mut name = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                chars.next();
                name.push('\'');
            } else {
                return (!name.is_empty()).then(|| (name, &rest[i + 1..]));
            }
        } else {
            name.push(c);
        }
    }
    None
}

fn parse_area(text: &str) -> Option<Area> {
    let (first, second) = match text.split_once(':') {
        Some((a, b)) => (parse_cell_ref(a)?, Some(parse_cell_ref(b)?)),
        None => (parse_cell_ref(text)?, None),
    };
    let Some(second) = second else {
        // A single reference must name one cell.
        let (col, row) = (first.col?, first.row?);
        return Some(Area {
            start_row: Some(row),
            end_row: Some(row + 1),
            start_col: Some(col),
            end_col: Some(col + 1),
        });
    };
    // `1:A` mixes whole rows and whole columns: not A1.
    if (first.col.is_none() && second.row.is_none())
        || (first.row.is_none() && second.col.is_none())
    {
        return None;
    }
    let (start_col, end_col) = ordered(first.col, second.col);
    let (start_row, end_row) = ordered(first.row, second.row);
    Some(Area {
        start_row: start_row.or(Some(0)),
        end_row: end_row.map(|r| r + 1),
        start_col: start_col.or(Some(0)),
        end_col: end_col.map(|c| c + 1),
    })
}

/// Orders two optional bounds: with both present the smaller starts. A missing second bound is
/// open-ended (`A2:Z` runs to the last row); a missing first bound starts at zero.
fn ordered(a: Option<usize>, b: Option<usize>) -> (Option<usize>, Option<usize>) {
    match (a, b) {
        (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y))),
        (x, y) => (x, y),
    }
}

fn parse_cell_ref(text: &str) -> Option<CellRef> {
    let letters_end = text
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (letters, digits) = text.split_at(letters_end);
    if letters.is_empty() && digits.is_empty() {
        return None;
    }
    let col = match letters {
        "" => None,
        l => Some(column_index(l)?),
    };
    let row = match digits {
        "" => None,
        d if d.bytes().all(|b| b.is_ascii_digit()) => {
            let n: usize = d.parse().ok()?;
            if n == 0 || n > MAX_ROW_NUMBER {
                return None;
            }
            Some(n - 1)
        }
        _ => return None,
    };
    Some(CellRef { col, row })
}

/// `A` -> 0, `Z` -> 25, `AA` -> 26 (case-insensitive).
pub fn column_index(letters: &str) -> Option<usize> {
    if letters.is_empty()
        || letters.len() > MAX_COLUMN_LETTERS
        || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let n = letters.bytes().fold(0usize, |acc, b| {
        acc * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    Some(n - 1)
}

/// 0 -> `A`, 25 -> `Z`, 26 -> `AA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// A sheet title as it appears in a range: bare when it is a plain word, else quoted with `''`.
pub fn quote_sheet(title: &str) -> String {
    let plain = title.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !title.starts_with(|c: char| c.is_ascii_digit())
        && parse_area(title).is_none();
    if plain && !title.is_empty() {
        title.to_string()
    } else {
        format!("'{}'", title.replace('\'', "''"))
    }
}

impl Area {
    /// Clamps this area to a grid of `rows` x `cols`.
    pub fn clamp(&self, rows: usize, cols: usize) -> Window {
        let start_row = self.start_row.unwrap_or(0).min(rows);
        let start_col = self.start_col.unwrap_or(0).min(cols);
        Window {
            start_row,
            end_row: self.end_row.unwrap_or(rows).clamp(start_row, rows),
            start_col,
            end_col: self.end_col.unwrap_or(cols).clamp(start_col, cols),
        }
    }
}

impl Window {
    /// `Sheet1!A1:Z1000`, the form Google echoes back in `ValueRange.range`.
    pub fn to_a1(self, title: &str) -> String {
        let sheet = quote_sheet(title);
        if self.end_row <= self.start_row || self.end_col <= self.start_col {
            return format!(
                "{sheet}!{}{}",
                column_letters(self.start_col),
                self.start_row + 1
            );
        }
        let start = format!("{}{}", column_letters(self.start_col), self.start_row + 1);
        let end = format!("{}{}", column_letters(self.end_col - 1), self.end_row);
        if start == end {
            format!("{sheet}!{start}")
        } else {
            format!("{sheet}!{start}:{end}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<A1Range> {
        A1Range::parse(text, |name| name == "Sheet1" || name == "A1")
    }

    fn area(sr: usize, er: Option<usize>, sc: usize, ec: Option<usize>) -> Option<Area> {
        Some(Area {
            start_row: Some(sr),
            end_row: er,
            start_col: Some(sc),
            end_col: ec,
        })
    }

    #[test]
    fn column_letters_round_trip_beyond_z() {
        for (letters, index) in [("A", 0), ("Z", 25), ("AA", 26), ("AZ", 51), ("BA", 52)] {
            assert_eq!(column_index(letters), Some(index), "{letters}");
            assert_eq!(column_letters(index), letters);
        }
        assert_eq!(column_index("ZZZ"), Some(18277));
        assert_eq!(column_letters(18277), "ZZZ");
        assert_eq!(column_index("aa"), Some(26));
        assert_eq!(column_index("AAAA"), None);
        for i in 0..20_000 {
            assert_eq!(
                column_index(&column_letters(i)),
                Some(i).filter(|&i| i < 18278)
            );
        }
    }

    #[test]
    fn bare_sheet_name_is_the_whole_sheet() {
        let r = parse("Sheet1").unwrap();
        assert_eq!(r.sheet.as_deref(), Some("Sheet1"));
        assert_eq!(r.area, None);
        // A known sheet named like a cell is the sheet, not the cell.
        assert_eq!(parse("A1").unwrap().area, None);
    }

    #[test]
    fn quoted_names_with_escapes_and_specials() {
        let r = parse("'Data #1'!A1:Z").unwrap();
        assert_eq!(r.sheet.as_deref(), Some("Data #1"));
        assert_eq!(r.area, area(0, None, 0, Some(26)));
        let r = parse("'It''s: mine!'!B2").unwrap();
        assert_eq!(r.sheet.as_deref(), Some("It's: mine!"));
        assert_eq!(r.area, area(1, Some(2), 1, Some(2)));
        let r = parse("'Data #1'").unwrap();
        assert_eq!(r.sheet.as_deref(), Some("Data #1"));
        assert_eq!(r.area, None);
        assert_eq!(parse("'unterminated!A1"), None);
        assert_eq!(parse("'x'A1"), None);
    }

    #[test]
    fn area_forms() {
        assert_eq!(
            parse("Sheet1!A:AA").unwrap().area,
            area(0, None, 0, Some(27))
        );
        assert_eq!(parse("Sheet1!2:5").unwrap().area, area(1, Some(5), 0, None));
        assert_eq!(
            parse("Other!B3:A1").unwrap().area,
            area(0, Some(3), 0, Some(2))
        );
        assert_eq!(parse("A2:C").unwrap().area, area(1, None, 0, Some(3)));
        let r = parse("C7").unwrap();
        assert_eq!(r.sheet, None);
        assert_eq!(r.area, area(6, Some(7), 2, Some(3)));
    }

    #[test]
    fn rejects_what_is_not_a1() {
        for bad in [
            "",
            "Nope",
            "Sheet1!",
            "Sheet1!A0",
            "Sheet1!1:A",
            "Sheet1!A1:B2:C3",
            "A",
            "!A1",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any window of any titled sheet, written as Google writes it, reads back as itself.
        #[test]
        fn formatted_ranges_parse_back(
            title in "[A-Za-z0-9 #'!:_.-]{1,12}",
            r0 in 0usize..5000, rows in 1usize..5000,
            c0 in 0usize..800, cols in 1usize..800,
        ) {
            let window = Window { start_row: r0, end_row: r0 + rows, start_col: c0, end_col: c0 + cols };
            let text = window.to_a1(&title);
            let parsed = A1Range::parse(&text, |n| n == title).expect("parses");
            proptest::prop_assert_eq!(parsed.sheet.as_deref(), Some(title.as_str()));
            proptest::prop_assert_eq!(parsed.area.expect("has an area").clamp(10_000, 2_000), window);
        }
    }

    #[test]
    fn clamps_and_formats() {
        let a = parse("Sheet1!A:AA").unwrap().area.unwrap();
        let w = a.clamp(1000, 26);
        assert_eq!(w.to_a1("Sheet1"), "Sheet1!A1:Z1000");
        assert_eq!(w.to_a1("Data #1"), "'Data #1'!A1:Z1000");
        assert_eq!(w.to_a1("It's"), "'It''s'!A1:Z1000");
        let single = parse("B2").unwrap().area.unwrap().clamp(10, 10);
        assert_eq!(single.to_a1("Sheet1"), "Sheet1!B2");
        assert_eq!(quote_sheet("A1"), "'A1'");
        assert_eq!(quote_sheet("2024"), "'2024'");
    }
}
