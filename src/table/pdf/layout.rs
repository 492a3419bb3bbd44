//! The table on the pages: finds the header, the columns (ruling lines, else the gaps that run
//! down the page, split where the header shows two cells), the rows (ruling lines and stripes,
//! else the spacing of lines, so a wrapped cell stays one cell), and what is page furniture
//! (titles, page numbers, print dates, running lines, repeated headers, "no data" lines).
//! Pure: works on [`Page`]s, knows nothing of the PDF syntax. docs/tables.md has the rules.

use super::furniture::{is_no_data, is_page_furniture};
use super::lines::{Line, Segment, text_lines};
use super::page::{Direction, Page, Rule};

/// How the columns were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnSource {
    /// Vertical ruling lines or cell edges.
    Rules,
    /// Gaps that run down the page through every line of the table.
    Gaps,
    /// Gaps, split where the header has two cells over one run of text.
    HeaderPositions,
}

/// How the rows were told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowSource {
    /// Horizontal ruling lines, cell edges or stripes between rows.
    Rules,
    /// The spacing of lines: a wrapped cell's lines sit closer than two rows.
    Spacing,
}

/// The table found on the pages: the header's cells, then each data row's cells, all as the
/// text a person reads (wrapped lines joined by single spaces, empty cells empty).
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub columns_from: ColumnSource,
    pub rows_from: RowSource,
    pub pages: usize,
    /// Headers repeated at the top of later pages, left out.
    pub repeated_headers: usize,
    /// Page furniture left out, each as `page N: "text"`.
    pub dropped: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// No page holds any text.
    NoText { pages: usize },
    /// Text, but nothing laid out as a table (no line with two or more cells).
    NoTable { pages: usize },
}

/// A line with where it sits in the document, for grouping.
struct Placed<'a> {
    line: &'a Line,
    page_index: usize,
}

pub fn layout(pages: &[Page]) -> Result<Layout, LayoutError> {
    let page_count = pages.len();
    let mut dropped = Vec::new();
    let mut page_lines: Vec<Vec<Line>> = pages.iter().map(text_lines).collect();
    if page_lines.iter().all(Vec::is_empty) {
        return Err(LayoutError::NoText { pages: page_count });
    }
    for lines in &mut page_lines {
        drop_furniture_segments(lines, &mut dropped);
    }

    let widest = page_lines
        .iter()
        .flatten()
        .map(|l| l.segments.len())
        .max()
        .unwrap_or(0);
    if widest < 2 {
        return Err(LayoutError::NoTable { pages: page_count });
    }
    let wide_enough = widest.div_ceil(2).max(2);
    let (anchor_page, anchor_line) = page_lines
        .iter()
        .enumerate()
        .find_map(|(p, lines)| {
            lines
                .iter()
                .position(|l| l.segments.len() >= wide_enough)
                .map(|i| (p, i))
        })
        .expect("the widest line is wide enough");
    // The header's own lines (a wrapped header cell's `Saldo` / `Poin` around it) repeat at the
    // same place on every page too: they are the repeated header, not running lines.
    let header_texts: Vec<String> = {
        let anchor = &page_lines[anchor_page][anchor_line];
        page_lines[anchor_page]
            .iter()
            .filter(|l| (l.baseline - anchor.baseline).abs() <= 2.5 * anchor.size)
            .map(Line::text)
            .collect()
    };
    let anchor_baseline = page_lines[anchor_page][anchor_line].baseline;
    drop_running_lines(&mut page_lines, &header_texts, &mut dropped);
    let anchor_line = page_lines[anchor_page]
        .iter()
        .position(|l| l.baseline == anchor_baseline)
        .expect("the anchor is no running line");

    // Every line from the anchor on is a candidate table line; rules come with their pages.
    let table_lines: Vec<Placed<'_>> = page_lines
        .iter()
        .enumerate()
        .skip(anchor_page)
        .flat_map(|(p, lines)| {
            let skip = if p == anchor_page { anchor_line } else { 0 };
            lines.iter().skip(skip).map(move |line| Placed {
                line,
                page_index: p,
            })
        })
        .collect();
    let (left, right) = extent(&table_lines);
    let separators: Vec<Vec<f32>> = pages
        .iter()
        .map(|page| horizontal_separators(&page.rules, left, right))
        .collect();
    let (rows_from, spacing) = row_breaks(&table_lines, &separators);

    // The header row: the anchor line and the lines just above and below it that continue its
    // wrapped cells. Lines above that (the title, the period) are not the table.
    let anchor_lines = &page_lines[anchor_page];
    let anchor = &anchor_lines[anchor_line];
    let seps = &separators[anchor_page];
    let mut header_start = anchor_line;
    while header_start > 0
        && continues_header(
            &anchor_lines[header_start - 1],
            &anchor_lines[header_start],
            anchor,
            seps,
        )
    {
        header_start -= 1;
    }
    let mut header_end = anchor_line + 1;
    while header_end < anchor_lines.len()
        && continues_header(
            &anchor_lines[header_end],
            &anchor_lines[header_end - 1],
            anchor,
            seps,
        )
    {
        header_end += 1;
    }
    for line in &anchor_lines[..header_start] {
        dropped.push(format!(
            "page {}: \"{}\" (above the table)",
            anchor_page + 1,
            line.text()
        ));
    }
    // Then rows of lines, page by page.
    let mut groups: Vec<(usize, Vec<&Line>)> = vec![(
        anchor_page,
        anchor_lines[header_start..header_end].iter().collect(),
    )];
    for (p, lines) in page_lines.iter().enumerate().skip(anchor_page) {
        let skip = if p == anchor_page { header_end } else { 0 };
        let mut current: Vec<&Line> = Vec::new();
        for line in lines.iter().skip(skip) {
            if let Some(previous) = current.last()
                && breaks(previous, line, &separators[p], rows_from, spacing)
            {
                groups.push((p, std::mem::take(&mut current)));
            }
            current.push(line);
        }
        if !current.is_empty() {
            groups.push((p, current));
        }
    }
    let header_lines = &groups[0].1;

    let body_lines: Vec<&Line> = groups
        .iter()
        .flat_map(|(_, lines)| lines.iter().copied())
        .collect();
    let (columns, columns_from) = columns(pages, &body_lines, header_lines);

    let header = cells_of(header_lines, &columns);
    let mut rows: Vec<(usize, Vec<String>, Vec<&Line>)> = Vec::new();
    let mut repeated_headers = 0;
    let (header_page, mut page, mut groups_on_page) = (groups[0].0, groups[0].0, 0);
    for (p, lines) in &groups[1..] {
        if *p != page {
            page = *p;
            groups_on_page = 0;
        }
        groups_on_page += 1;
        let cells = cells_of(lines, &columns);
        if *p != header_page && groups_on_page <= 3 && same_cells(&cells, &header) {
            repeated_headers += 1;
            // Lines above a repeated header on its page are running headers.
            while rows.last().is_some_and(|(row_page, _, _)| row_page == p) {
                let (_, _, lines) = rows.pop().expect("checked above");
                for line in lines {
                    dropped.push(format!(
                        "page {}: \"{}\" (running header)",
                        p + 1,
                        line.text()
                    ));
                }
            }
            continue;
        }
        rows.push((*p, cells, lines.clone()));
    }
    // "No data" lines and trailing notes far below the table are not rows.
    let mut kept = Vec::with_capacity(rows.len());
    for (p, cells, lines) in rows {
        let filled: Vec<&String> = cells.iter().filter(|c| !c.is_empty()).collect();
        if filled.len() == 1 && is_no_data(filled[0]) {
            dropped.push(format!("page {}: \"{}\" (no data line)", p + 1, filled[0]));
            continue;
        }
        kept.push((p, cells, lines));
    }
    drop_trailing_notes(&mut kept, spacing, &mut dropped);
    Ok(Layout {
        header,
        rows: kept.into_iter().map(|(_, cells, _)| cells).collect(),
        columns_from,
        rows_from,
        pages: page_count,
        repeated_headers,
        dropped,
    })
}

/// Whether `line`, next to `neighbour` (the anchor or a line already in the header), continues
/// the header's wrapped cells: close by, not across a rule, with few segments, each under at
/// most one of the anchor's cells (a title line spans several).
fn continues_header(line: &Line, neighbour: &Line, anchor: &Line, separators: &[f32]) -> bool {
    let (upper, lower) = if line.baseline < neighbour.baseline {
        (line, neighbour)
    } else {
        (neighbour, line)
    };
    let close = lower.baseline - upper.baseline <= 1.5 * upper.size.max(lower.size);
    let few = line.segments.len() * 3 <= anchor.segments.len().max(3);
    let under_one = line.segments.iter().all(|segment| {
        anchor
            .segments
            .iter()
            .filter(|a| a.right > segment.left && a.left < segment.right)
            .count()
            <= 1
    });
    close && few && under_one && !separated(upper, lower, separators)
}

fn same_cells(a: &[String], b: &[String]) -> bool {
    let norm = |s: &String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| norm(x) == norm(y))
}

/// Page numbers and print dates are dropped wherever they are, segment by segment.
fn drop_furniture_segments(lines: &mut Vec<Line>, dropped: &mut Vec<String>) {
    for line in lines.iter_mut() {
        let page = line.page;
        line.segments.retain(|segment| {
            let furniture = is_page_furniture(&segment.text);
            if furniture {
                dropped.push(format!("page {page}: \"{}\"", segment.text));
            }
            !furniture
        });
    }
    lines.retain(|line| !line.segments.is_empty());
}

/// Running headers and footers: the same text at the same height as the first or last lines of
/// two or more pages.
fn drop_running_lines(pages: &mut [Vec<Line>], header_texts: &[String], dropped: &mut Vec<String>) {
    if pages.len() < 2 {
        return;
    }
    let edge = |lines: &[Line], index: usize| index < 2 || index + 2 >= lines.len();
    let mut running: Vec<(usize, usize)> = Vec::new();
    for (p, lines) in pages.iter().enumerate() {
        for (i, line) in lines.iter().enumerate() {
            if !edge(lines, i) || line.segments.len() > 3 {
                continue;
            }
            let text = line.text();
            if header_texts.contains(&text) {
                continue;
            }
            let elsewhere = pages.iter().enumerate().any(|(q, others)| {
                q != p
                    && others.iter().enumerate().any(|(j, other)| {
                        edge(others, j)
                            && (other.baseline - line.baseline).abs() < 2.0
                            && other.text() == text
                    })
            });
            if elsewhere {
                running.push((p, i));
            }
        }
    }
    for &(p, i) in running.iter().rev() {
        let line = pages[p].remove(i);
        dropped.push(format!(
            "page {}: \"{}\" (on every page)",
            p + 1,
            line.text()
        ));
    }
}

fn extent(lines: &[Placed<'_>]) -> (f32, f32) {
    let wide = lines.iter().filter(|p| p.line.segments.len() >= 2);
    let left = wide
        .clone()
        .map(|p| p.line.left())
        .fold(f32::INFINITY, f32::min);
    let right = wide
        .map(|p| p.line.right())
        .fold(f32::NEG_INFINITY, f32::max);
    (left, right)
}

/// The `y` of horizontal rules (or edge runs) that cross at least half the table's width.
fn horizontal_separators(rules: &[Rule], left: f32, right: f32) -> Vec<f32> {
    let mut horizontals: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.direction == Direction::Horizontal)
        .collect();
    horizontals.sort_by(|a, b| a.at.total_cmp(&b.at));
    let width = (right - left).max(1.0);
    let mut separators = Vec::new();
    let mut i = 0;
    while i < horizontals.len() {
        let mut j = i;
        let mut spans: Vec<(f32, f32)> = Vec::new();
        while j < horizontals.len() && horizontals[j].at - horizontals[i].at <= 1.5 {
            let r = horizontals[j];
            spans.push((r.from.max(left), r.to.min(right)));
            j += 1;
        }
        if covered(&mut spans) >= 0.5 * width {
            separators.push(horizontals[i].at);
        }
        i = j;
    }
    separators
}

/// Total length covered by the spans (overlaps counted once).
fn covered(spans: &mut [(f32, f32)]) -> f32 {
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut reach = f32::NEG_INFINITY;
    for &(from, to) in spans.iter() {
        if to <= from {
            continue;
        }
        let start = from.max(reach);
        if to > start {
            total += to - start;
        }
        reach = reach.max(to);
    }
    total
}

fn separated(a: &Line, b: &Line, separators: &[f32]) -> bool {
    let (from, to) = (a.baseline, b.top() + 0.1 * b.size);
    separators.iter().any(|&y| y > from && y < to)
}

fn breaks(a: &Line, b: &Line, separators: &[f32], source: RowSource, spacing: f32) -> bool {
    separated(a, b, separators)
        || (source == RowSource::Spacing && b.baseline - a.baseline > spacing)
}

/// Decides how rows are told apart, and for spacing, the line distance above which a new row
/// starts. Rules when rules separate rows and every unseparated pair of lines sits clearly
/// closer than separated ones (wrapped lines inside ruled cells).
fn row_breaks(lines: &[Placed<'_>], separators: &[Vec<f32>]) -> (RowSource, f32) {
    let mut apart = Vec::new();
    let mut together = Vec::new();
    for pair in lines.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.page_index != b.page_index {
            continue;
        }
        let distance = b.line.baseline - a.line.baseline;
        if separated(a.line, b.line, &separators[a.page_index]) {
            apart.push(distance);
        } else {
            together.push(distance);
        }
    }
    if together.is_empty() {
        return (RowSource::Rules, f32::INFINITY);
    }
    together.sort_by(f32::total_cmp);
    if !apart.is_empty() {
        apart.sort_by(f32::total_cmp);
        let median_apart = apart[apart.len() / 2];
        let widest_together = *together.last().expect("not empty");
        if widest_together < 0.92 * median_apart {
            return (RowSource::Rules, f32::INFINITY);
        }
    }
    let smallest = together[0];
    let largest = *together.last().expect("not empty");
    if largest <= 1.15 * smallest {
        // Every line is as far from the next: no cell wraps, each line is a row.
        return (RowSource::Spacing, 0.5 * smallest);
    }
    let (mut best_ratio, mut threshold) = (0.0, largest);
    for pair in together.windows(2) {
        let ratio = pair[1] / pair[0].max(0.01);
        if ratio > best_ratio {
            best_ratio = ratio;
            threshold = (pair[0] * pair[1]).sqrt();
        }
    }
    (RowSource::Spacing, threshold)
}

/// Column intervals `(left, right)`, left to right.
fn columns(pages: &[Page], lines: &[&Line], header: &[&Line]) -> (Vec<(f32, f32)>, ColumnSource) {
    let header_segments = header.iter().map(|l| l.segments.len()).max().unwrap_or(0);
    if let Some(ruled) = ruled_columns(pages, lines, header)
        && ruled.len() >= header_segments.max(2)
    {
        return (ruled, ColumnSource::Rules);
    }
    let mut spans: Vec<(f32, f32)> = lines
        .iter()
        .filter(|l| l.segments.len() >= 2)
        .chain(header.iter())
        .flat_map(|l| l.segments.iter().map(|s| (s.left, s.right)))
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut intervals: Vec<(f32, f32)> = Vec::new();
    for (from, to) in spans {
        match intervals.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => intervals.push((from, to)),
        }
    }
    // Where one run of text holds two header cells, the header shows the boundary.
    let mut header_cells: Vec<&Segment> = header.iter().flat_map(|l| l.segments.iter()).collect();
    header_cells.sort_by(|a, b| a.left.total_cmp(&b.left));
    let mut split = false;
    let mut result = Vec::new();
    for (from, to) in intervals {
        let inside: Vec<&&Segment> = header_cells
            .iter()
            .filter(|s| s.left >= from - 0.5 && s.right <= to + 0.5)
            .collect();
        let mut start = from;
        for pair in inside.windows(2) {
            if pair[1].left > pair[0].right {
                let cut = (pair[0].right + pair[1].left) / 2.0;
                result.push((start, cut));
                start = cut;
                split = true;
            }
        }
        result.push((start, to));
    }
    let source = if split {
        ColumnSource::HeaderPositions
    } else {
        ColumnSource::Gaps
    };
    (result, source)
}

/// Columns between vertical rules that run through the table, when there are any.
fn ruled_columns(pages: &[Page], lines: &[&Line], header: &[&Line]) -> Option<Vec<(f32, f32)>> {
    let first = header.first()?;
    let header_height = header.last()?.bottom() - first.top();
    let mut xs: Vec<(f32, f32)> = Vec::new();
    for page in pages {
        let on_page: Vec<&&Line> = lines.iter().filter(|l| l.page == page.number).collect();
        let (Some(top), Some(bottom)) = (
            on_page.iter().map(|l| l.top()).reduce(f32::min),
            on_page.iter().map(|l| l.bottom()).reduce(f32::max),
        ) else {
            continue;
        };
        for rule in &page.rules {
            if rule.direction == Direction::Vertical && rule.to >= top && rule.from <= bottom {
                xs.push((rule.at, rule.to.min(bottom) - rule.from.max(top)));
            }
        }
    }
    xs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut boundaries: Vec<f32> = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        let mut j = i;
        let mut length = 0.0;
        while j < xs.len() && xs[j].0 - xs[i].0 <= 1.5 {
            length += xs[j].1;
            j += 1;
        }
        if length >= 0.8 * header_height {
            boundaries.push(xs[i].0);
        }
        i = j;
    }
    if boundaries.len() < 2 {
        return None;
    }
    let centers: Vec<f32> = lines
        .iter()
        .flat_map(|l| l.segments.iter().map(|s| (s.left + s.right) / 2.0))
        .collect();
    let mut edges = vec![f32::NEG_INFINITY];
    edges.extend(&boundaries);
    edges.push(f32::INFINITY);
    let columns: Vec<(f32, f32)> = edges
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|&(from, to)| centers.iter().any(|&c| c > from && c < to))
        .collect();
    (columns.len() >= 2).then_some(columns)
}

/// The cells of one row of lines: each segment goes to the column it overlaps most (the
/// nearest when it overlaps none); a cell's segments join top to bottom, left to right.
fn cells_of(lines: &[&Line], columns: &[(f32, f32)]) -> Vec<String> {
    let mut cells: Vec<Vec<&str>> = vec![Vec::new(); columns.len()];
    for line in lines {
        for segment in &line.segments {
            let index = column_of(segment, columns);
            cells[index].push(segment.text.as_str());
        }
    }
    cells
        .into_iter()
        .map(|parts| {
            parts
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn column_of(segment: &Segment, columns: &[(f32, f32)]) -> usize {
    let overlap = |&(from, to): &(f32, f32)| segment.right.min(to) - segment.left.max(from);
    let distance = |&(from, to): &(f32, f32)| {
        if segment.right < from {
            from - segment.right
        } else {
            segment.left - to
        }
    };
    let best = columns
        .iter()
        .enumerate()
        .max_by(|a, b| overlap(a.1).total_cmp(&overlap(b.1)))
        .expect("two or more columns");
    if overlap(best.1) > 0.0 {
        return best.0;
    }
    columns
        .iter()
        .enumerate()
        .min_by(|a, b| distance(a.1).total_cmp(&distance(b.1)))
        .expect("two or more columns")
        .0
}

/// Single-cell rows at the end of a page, well below the table's last row there (a signature
/// block, a note), are not data.
fn drop_trailing_notes(
    rows: &mut Vec<(usize, Vec<String>, Vec<&Line>)>,
    spacing: f32,
    dropped: &mut Vec<String>,
) {
    let pitch = if spacing.is_finite() { spacing } else { 0.0 };
    let mut index = rows.len();
    while index > 1 {
        let last_on_page = rows
            .get(index)
            .is_none_or(|next| next.0 != rows[index - 1].0);
        let (page, cells, lines) = &rows[index - 1];
        let (previous_page, _, previous_lines) = &rows[index - 2];
        let single = cells.iter().filter(|c| !c.is_empty()).count() == 1;
        let gap = match (previous_lines.last(), lines.first()) {
            (Some(a), Some(b)) if previous_page == page => b.top() - a.bottom(),
            _ => 0.0,
        };
        let typical = previous_lines
            .last()
            .map_or(0.0, |l| l.size * 1.2)
            .max(pitch);
        if last_on_page && single && gap > 2.0 * typical {
            let (page, _, lines) = rows.remove(index - 1);
            for line in lines {
                dropped.push(format!(
                    "page {}: \"{}\" (below the table)",
                    page + 1,
                    line.text()
                ));
            }
        }
        index -= 1;
    }
}
