//! From positioned glyphs to text lines and segments: glyphs sharing a baseline form a line;
//! within a line, a gap wider than half an em or a vertical rule starts a new segment (a
//! candidate cell), a smaller gap is a word space. Space glyphs are ignored: the geometry
//! decides, so producers that draw spaces and those that only move the pen agree.

use super::page::{Direction, Glyph, Page};

/// A gap wider than this many ems between two glyphs of a line separates segments.
const SEGMENT_GAP_EM: f32 = 0.5;
/// A gap wider than this many ems (and not a segment gap) is a word space.
const WORD_GAP_EM: f32 = 0.12;
/// Glyphs whose baselines differ by less than this many ems share a line.
const BASELINE_EM: f32 = 0.3;

/// Text whose glyphs sit next to each other on one line: one cell, or part of one.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub text: String,
    pub left: f32,
    pub right: f32,
}

/// One line of text on a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub page: usize,
    pub baseline: f32,
    /// The largest font size on the line.
    pub size: f32,
    pub segments: Vec<Segment>,
}

impl Line {
    /// Where the line's ink starts, roughly (ascenders).
    pub fn top(&self) -> f32 {
        self.baseline - 0.8 * self.size
    }

    /// Where the line's ink ends, roughly (descenders).
    pub fn bottom(&self) -> f32 {
        self.baseline + 0.25 * self.size
    }

    pub fn left(&self) -> f32 {
        self.segments.first().map_or(0.0, |s| s.left)
    }

    pub fn right(&self) -> f32 {
        self.segments.last().map_or(0.0, |s| s.right)
    }

    /// The line's text, segments joined by single spaces.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        texts.join(" ")
    }
}

/// The page's text lines, top to bottom, each with its segments left to right. Vertical rules
/// split segments, so text in two ruled cells never merges however close it is.
pub fn text_lines(page: &Page) -> Vec<Line> {
    let mut glyphs: Vec<&Glyph> = page
        .glyphs
        .iter()
        .filter(|g| !g.text.is_empty() && g.size > 0.0)
        .collect();
    glyphs.sort_by(|a, b| {
        a.baseline
            .total_cmp(&b.baseline)
            .then(a.left.total_cmp(&b.left))
    });
    let mut verticals: Vec<(f32, f32, f32)> = page
        .rules
        .iter()
        .filter(|r| r.direction == Direction::Vertical)
        .map(|r| (r.at, r.from, r.to))
        .collect();
    verticals.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut lines = Vec::new();
    let mut start = 0;
    while start < glyphs.len() {
        let first = glyphs[start];
        let mut end = start + 1;
        while end < glyphs.len()
            && glyphs[end].baseline - first.baseline
                <= BASELINE_EM * first.size.max(glyphs[end].size)
        {
            end += 1;
        }
        let mut members = glyphs[start..end].to_vec();
        members.sort_by(|a, b| a.left.total_cmp(&b.left));
        if members.iter().any(|g| !g.text.trim().is_empty()) {
            lines.push(build_line(page.number, &members, &verticals));
        }
        start = end;
    }
    lines
}

fn build_line(page: usize, glyphs: &[&Glyph], verticals: &[(f32, f32, f32)]) -> Line {
    let visible = || glyphs.iter().filter(|g| !g.text.trim().is_empty());
    let size = visible().map(|g| g.size).fold(0.0, f32::max);
    let count = visible().count().max(1);
    let baseline = visible().map(|g| g.baseline).sum::<f32>() / count as f32;
    let (top, bottom) = (baseline - 0.7 * size, baseline);
    let crosses_rule = |from: f32, to: f32| {
        verticals
            .iter()
            .any(|&(x, y0, y1)| x > from && x < to && y0 <= bottom && y1 >= top)
    };
    let mut segments: Vec<Segment> = Vec::new();
    let mut previous: Option<&Glyph> = None;
    // Widths are repaired with the spaces still there (a space bounds the glyph before it),
    // then spaces go: the geometry decides where words and cells break.
    let repaired = repair_widths(glyphs);
    for glyph in repaired.iter().filter(|g| !g.text.trim().is_empty()) {
        match (previous, segments.last_mut()) {
            (Some(prev), Some(segment)) => {
                // The same glyph drawn twice (fake bold, shadows) is one glyph.
                if glyph.text == prev.text && (glyph.left - prev.left).abs() < 0.1 * size {
                    continue;
                }
                let gap = glyph.left - prev.right;
                let em = prev.size.max(glyph.size);
                let split_at = (prev.right + glyph.left) / 2.0;
                if gap > SEGMENT_GAP_EM * em
                    || crosses_rule(
                        split_at.min(prev.right - 0.3),
                        split_at.max(glyph.left + 0.3),
                    ) && gap > -0.2 * em
                {
                    segments.push(segment_of(glyph));
                } else {
                    if gap > WORD_GAP_EM * em && !segment.text.ends_with(' ') {
                        segment.text.push(' ');
                    }
                    segment.text.push_str(&glyph.text);
                    segment.right = segment.right.max(glyph.right);
                }
            }
            _ => segments.push(segment_of(glyph)),
        }
        previous = Some(glyph);
    }
    for segment in &mut segments {
        segment.text = segment.text.trim().to_owned();
    }
    Line {
        page,
        baseline,
        size,
        segments,
    }
}

/// Some producers (Skia, in Chromium's PDFs) write a width of 0 for glyphs they place one by
/// one. Such a glyph is given the width of an average glyph (0.55 em), but never past the next
/// glyph's start, so gaps stay what the page shows.
fn repair_widths(glyphs: &[&Glyph]) -> Vec<Glyph> {
    let mut repaired: Vec<Glyph> = glyphs.iter().map(|g| (*g).clone()).collect();
    for index in 0..repaired.len() {
        let glyph = &repaired[index];
        if glyph.right - glyph.left >= 0.05 * glyph.size {
            continue;
        }
        let mut width = 0.55 * glyph.size;
        if let Some(next) = repaired.get(index + 1)
            && next.left > glyph.left
        {
            width = width.min(next.left - glyph.left);
        }
        repaired[index].right = repaired[index].left + width;
    }
    repaired
}

fn segment_of(glyph: &Glyph) -> Segment {
    Segment {
        text: glyph.text.clone(),
        left: glyph.left,
        right: glyph.right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::pdf::page::Rule;

    /// Glyphs for `text` starting at `left`, 10 pt Helvetica-ish: 5 pt per character.
    pub(crate) fn word(text: &str, left: f32, baseline: f32) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                text: c.to_string(),
                left: left + 5.0 * i as f32,
                right: left + 5.0 * (i + 1) as f32,
                baseline,
                size: 10.0,
            })
            .collect()
    }

    fn page(glyphs: Vec<Glyph>) -> Page {
        Page {
            number: 1,
            width: 600.0,
            height: 800.0,
            glyphs,
            rules: vec![],
        }
    }

    #[test]
    fn small_gaps_are_word_spaces_and_large_gaps_split_segments() {
        let mut glyphs = word("Saldo", 10.0, 100.0);
        glyphs.extend(word("Poin", 38.0, 100.0)); // 3 pt gap: a space
        glyphs.extend(word("Nama", 100.0, 100.5)); // 42 pt gap: a new segment
        let lines = text_lines(&page(glyphs));
        assert_eq!(lines.len(), 1);
        let texts: Vec<&str> = lines[0].segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Saldo Poin", "Nama"]);
        assert_eq!(lines[0].segments[1].left, 100.0);
    }

    #[test]
    fn lines_are_ordered_top_down_whatever_the_drawing_order() {
        let mut glyphs = word("second", 10.0, 120.0);
        glyphs.extend(word("first", 10.0, 100.0));
        let lines = text_lines(&page(glyphs));
        let texts: Vec<String> = lines.iter().map(Line::text).collect();
        assert_eq!(texts, ["first", "second"]);
    }

    #[test]
    fn a_vertical_rule_splits_touching_text() {
        let mut glyphs = word("12", 10.0, 100.0);
        glyphs.extend(word("Budi", 21.0, 100.0)); // 1 pt gap, but a rule at x = 20.5
        let mut page = page(glyphs);
        page.rules.push(Rule {
            direction: Direction::Vertical,
            at: 20.5,
            from: 80.0,
            to: 110.0,
        });
        let lines = text_lines(&page);
        assert_eq!(lines[0].segments.len(), 2);
        assert_eq!(lines[0].text(), "12 Budi");
    }

    #[test]
    fn space_glyphs_and_double_drawn_glyphs_are_ignored() {
        let mut glyphs = word("Ab", 10.0, 100.0);
        glyphs.extend(word(" ", 20.0, 100.0));
        glyphs.extend(word("b", 15.2, 100.0)); // "b" again, 0.2 pt to the right
        glyphs.extend(word("c", 23.0, 100.0));
        let lines = text_lines(&page(glyphs));
        assert_eq!(lines[0].text(), "Ab c");
    }
}
