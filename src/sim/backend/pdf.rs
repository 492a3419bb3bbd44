//! The simulator's PDF exports, laid out the way a Laravel panel's dompdf view prints a table:
//! a title and a period line on the first page, a bold header repeated at the top of every page,
//! text cells wrapping at spaces onto more lines (header cells too: `Saldo` / `Akhir`), numbers
//! right-aligned, `Halaman N dari M` at the foot of each page, and a ruled, lightly ruled or
//! borderless table. Written with `pdf-writer` in the standard Helvetica (WinAnsiEncoding, no
//! embedded font), measured with Adobe's widths ([`super::helvetica`]). Deterministic: the same
//! rows give the same bytes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::helvetica::{width, win_ansi};
use crate::table::Cell;

/// The lines drawn around the cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rules {
    /// Every cell boxed (`border: 1px solid` in the view).
    Grid,
    /// A line under the header and a light line between rows (DataTables / pdfmake style).
    Horizontal,
    /// No lines at all: the columns are only visible from the text.
    None,
}

/// How one export's PDF looks.
#[derive(Clone, Debug)]
pub(crate) struct PdfLayout {
    pub landscape: bool,
    pub rules: Rules,
    /// The first line of the first page, e.g. `Laporan Transaksi Poin`.
    pub title: String,
    /// The line under it, e.g. `Periode: 20-11-2024 s/d 22-11-2024`.
    pub period: String,
    /// The widest a text column gets (points) before its cells wrap at spaces; never narrower
    /// than the column's longest word, so no word is ever split.
    pub wrap_at: f32,
}

const MARGIN: f32 = 36.0;
const BODY_SIZE: f32 = 8.0;
const TITLE_SIZE: f32 = 13.0;
const PERIOD_SIZE: f32 = 9.0;
const LINE: f32 = 10.0;
const PAD_X: f32 = 4.0;
const PAD_Y: f32 = 3.0;
/// Room kept at the foot of each page for the page number.
const FOOTER: f32 = 30.0;
/// What the table shows when the range has no rows.
pub(crate) const NO_DATA: &str = "Tidak ada data untuk periode ini.";

/// One table row (or the header) broken into lines per cell.
struct Laid {
    cells: Vec<Vec<String>>,
    height: f32,
}

/// The PDF of one export: `header` and `rows` as a table, over as many pages as it takes.
pub(crate) fn build_pdf(layout: &PdfLayout, header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let (page_w, page_h) = if layout.landscape {
        (842.0, 595.0)
    } else {
        (595.0, 842.0)
    };
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| c.canonical().into_owned()).collect())
        .collect();
    let numeric: Vec<bool> = (0..header.len())
        .map(|c| {
            rows.iter().all(|r| {
                matches!(
                    r.get(c),
                    Some(Cell::Int(_) | Cell::Decimal(_) | Cell::Empty)
                )
            }) && !rows.is_empty()
        })
        .collect();
    let text_columns: Vec<bool> = (0..header.len())
        .map(|c| rows.iter().any(|r| matches!(r.get(c), Some(Cell::Text(_)))))
        .collect();
    let widths = column_widths(layout, header, &texts, &text_columns, page_w - 2.0 * MARGIN);
    let head = lay_out(
        header.iter().map(|h| (*h).to_owned()).collect(),
        &widths,
        true,
    );
    let body: Vec<Laid> = texts
        .into_iter()
        .map(|r| lay_out(r, &widths, false))
        .collect();

    // Rows per page: the first page starts below the title and period lines.
    let title_room = TITLE_SIZE + PERIOD_SIZE + 22.0;
    let bottom = MARGIN + FOOTER;
    let mut pages: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut top = page_h - MARGIN - title_room - head.height;
    for (i, row) in body.iter().enumerate() {
        if top - row.height < bottom && i > start {
            pages.push(start..i);
            start = i;
            top = page_h - MARGIN - head.height;
        }
        top -= row.height;
    }
    pages.push(start..body.len());

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let page_ids: Vec<(Ref, Ref)> = (0..pages.len() as i32)
        .map(|i| (Ref::new(6 + 2 * i), Ref::new(7 + 2 * i)))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(page_ids.len() as i32);
    for (font, base) in [(regular, &b"Helvetica"[..]), (bold, b"Helvetica-Bold")] {
        pdf.type1_font(font)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(&layout.title))
        .producer(TextStr("exportsync backend simulator (pdf-writer)"));

    let total = pages.len();
    for (n, (range, (page_id, content_id))) in pages.iter().zip(&page_ids).enumerate() {
        let mut content = Content::new();
        let mut top = page_h - MARGIN;
        if n == 0 {
            text(
                &mut content,
                MARGIN,
                top - TITLE_SIZE,
                TITLE_SIZE,
                true,
                &layout.title,
            );
            top -= TITLE_SIZE + 6.0;
            text(
                &mut content,
                MARGIN,
                top - PERIOD_SIZE,
                PERIOD_SIZE,
                false,
                &layout.period,
            );
            top -= PERIOD_SIZE + 16.0;
        }
        let table_top = top;
        draw_row(
            &mut content,
            &head,
            &widths,
            top,
            &vec![false; widths.len()],
            true,
        );
        top -= head.height;
        let mut lines = vec![table_top, top];
        for row in &body[range.clone()] {
            draw_row(&mut content, row, &widths, top, &numeric, false);
            top -= row.height;
            lines.push(top);
        }
        if body.is_empty() {
            text(
                &mut content,
                MARGIN + PAD_X,
                top - PAD_Y - BODY_SIZE,
                BODY_SIZE,
                false,
                NO_DATA,
            );
        }
        draw_rules(&mut content, layout.rules, &widths, &lines);
        let footer = format!("Halaman {} dari {total}", n + 1);
        let footer_x = (page_w - width(&footer, BODY_SIZE, false)) / 2.0;
        text(&mut content, footer_x, MARGIN, BODY_SIZE, false, &footer);

        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, page_w, page_h))
            .parent(tree)
            .contents(*content_id);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();
        pdf.stream(*content_id, &content.finish());
    }
    pdf.finish()
}

/// Each column as wide as its widest cell and its longest header word, text columns capped at
/// `wrap_at` (but never below their longest word); squeezed evenly if the page is too narrow.
fn column_widths(
    layout: &PdfLayout,
    header: &[&str],
    rows: &[Vec<String>],
    text_columns: &[bool],
    available: f32,
) -> Vec<f32> {
    let mut widths: Vec<f32> = header
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let longest_word = |s: &str, bold| {
                s.split(' ')
                    .map(|w| width(w, BODY_SIZE, bold))
                    .fold(0.0, f32::max)
            };
            let mut widest: f32 = 0.0;
            let mut word: f32 = longest_word(name, true);
            for row in rows {
                let cell = row.get(c).map(String::as_str).unwrap_or("");
                widest = widest.max(width(cell, BODY_SIZE, false));
                word = word.max(longest_word(cell, false));
            }
            let cap = if text_columns[c] {
                layout.wrap_at
            } else {
                f32::MAX
            };
            widest.min(cap).max(word) + 2.0 * PAD_X
        })
        .collect();
    let sum: f32 = widths.iter().sum();
    if sum > available {
        let scale = available / sum;
        widths.iter_mut().for_each(|w| *w *= scale);
    }
    widths
}

/// Breaks each cell into lines that fit its column, at spaces only.
fn lay_out(cells: Vec<String>, widths: &[f32], bold: bool) -> Laid {
    let cells: Vec<Vec<String>> = cells
        .iter()
        .zip(widths)
        .map(|(cell, w)| wrap(cell, w - 2.0 * PAD_X, bold))
        .collect();
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    Laid {
        cells,
        height: lines as f32 * LINE + 2.0 * PAD_Y,
    }
}

fn wrap(text: &str, room: f32, bold: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && width(&candidate, BODY_SIZE, bold) > room + 0.01 {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn draw_row(
    content: &mut Content,
    row: &Laid,
    widths: &[f32],
    top: f32,
    right: &[bool],
    bold: bool,
) {
    let mut x = MARGIN;
    for ((lines, w), right) in row.cells.iter().zip(widths).zip(right) {
        for (i, line) in lines.iter().enumerate() {
            let baseline = top - PAD_Y - BODY_SIZE - i as f32 * LINE + 1.0;
            let at = if *right {
                x + w - PAD_X - width(line, BODY_SIZE, bold)
            } else {
                x + PAD_X
            };
            text(content, at, baseline, BODY_SIZE, bold, line);
        }
        x += w;
    }
}

/// The table's lines: `rows` holds the y of the table's top, the header's foot and each row's
/// foot.
fn draw_rules(content: &mut Content, rules: Rules, widths: &[f32], rows: &[f32]) {
    let left = MARGIN;
    let right = MARGIN + widths.iter().sum::<f32>();
    let (Some(&top), Some(&foot)) = (rows.first(), rows.last()) else {
        return;
    };
    match rules {
        Rules::None => {}
        Rules::Grid => {
            content.set_line_width(0.5).set_stroke_gray(0.0);
            for y in rows {
                content.move_to(left, *y).line_to(right, *y);
            }
            let mut x = left;
            content.move_to(x, top).line_to(x, foot);
            for w in widths {
                x += w;
                content.move_to(x, top).line_to(x, foot);
            }
            content.stroke();
        }
        Rules::Horizontal => {
            content.set_line_width(1.0).set_stroke_gray(0.0);
            content
                .move_to(left, rows[1])
                .line_to(right, rows[1])
                .stroke();
            content.set_line_width(0.3).set_stroke_gray(0.6);
            for y in &rows[2..] {
                content.move_to(left, *y).line_to(right, *y);
            }
            content.stroke();
        }
    }
}

fn text(content: &mut Content, x: f32, y: f32, size: f32, bold: bool, text: &str) {
    let font = if bold { Name(b"F2") } else { Name(b"F1") };
    content
        .begin_text()
        .set_font(font, size)
        .set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y])
        .show(Str(&win_ansi(text)))
        .end_text();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_never_inside_a_word() {
        let room = width("Kartika", BODY_SIZE, false) + 1.0;
        assert_eq!(
            wrap("Kartika Setiawan", room, false),
            ["Kartika", "Setiawan"]
        );
        assert_eq!(
            wrap("a.very.long@example.com", 5.0, false),
            ["a.very.long@example.com"]
        );
        assert_eq!(wrap("", 50.0, false), Vec::<String>::new());
    }

    #[test]
    fn the_same_rows_give_the_same_bytes_and_a_pdf() {
        let layout = PdfLayout {
            landscape: false,
            rules: Rules::Grid,
            title: "Laporan".into(),
            period: "Periode: 01-01-2026 s/d 02-01-2026".into(),
            wrap_at: 60.0,
        };
        let rows = vec![vec![Cell::Text("Zoë Müller".into()), Cell::Int(-25)]; 150];
        let a = build_pdf(&layout, &["Nama", "Saldo Poin"], &rows);
        assert_eq!(a, build_pdf(&layout, &["Nama", "Saldo Poin"], &rows));
        assert!(a.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&a);
        let total: usize = text
            .split("(Halaman 1 dari ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|n| n.parse().ok())
            .expect("a first page number");
        // About 45 rows of 16 points fit on a portrait page.
        assert!((3..=5).contains(&total), "150 rows on {total} pages");
        assert!(text.contains(&format!("(Halaman {total} dari {total})")));
    }
}
