//! What the table layout reads off a PDF page: positioned glyphs and ruling lines, in points,
//! with `y` growing down the page (the reverse of PDF's own axis), so "above" means smaller `y`.

/// One shown character (or ligature, as its Unicode text) where the page draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct Glyph {
    pub text: String,
    /// Left edge of the glyph's advance box.
    pub left: f32,
    /// Right edge: `left` plus the glyph's advance width.
    pub right: f32,
    /// The baseline's distance from the top of the page.
    pub baseline: f32,
    /// Font size on the page (after every transformation), in points.
    pub size: f32,
}

/// A horizontal or vertical ruling line: a stroked segment, a thin filled rectangle, or an edge
/// of a filled cell or stripe background.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub direction: Direction,
    /// `y` of a horizontal rule, `x` of a vertical one.
    pub at: f32,
    /// Where it starts and ends along its direction (`from <= to`).
    pub from: f32,
    pub to: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Horizontal,
    Vertical,
}

/// One page's content, in reading order of pages (1-based `number`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub number: usize,
    pub width: f32,
    pub height: f32,
    pub glyphs: Vec<Glyph>,
    pub rules: Vec<Rule>,
}

impl Page {
    /// Adds the rules that an axis-aligned rectangle shows: a thin one is a line; a larger one
    /// (a cell or stripe background) shows its four edges. A rectangle covering most of the
    /// page is a page background and shows nothing.
    pub fn add_rectangle(&mut self, left: f32, top: f32, right: f32, bottom: f32) {
        let (left, right) = (left.min(right), left.max(right));
        let (top, bottom) = (top.min(bottom), top.max(bottom));
        let (width, height) = (right - left, bottom - top);
        if width <= 0.0 && height <= 0.0 {
            return;
        }
        if self.width > 0.0 && width >= self.width * 0.9 && height >= self.height * 0.5 {
            return;
        }
        const THIN: f32 = 2.5;
        if height <= THIN && width > THIN {
            self.add_rule(Direction::Horizontal, (top + bottom) / 2.0, left, right);
        } else if width <= THIN && height > THIN {
            self.add_rule(Direction::Vertical, (left + right) / 2.0, top, bottom);
        } else if width > THIN && height > THIN {
            self.add_rule(Direction::Horizontal, top, left, right);
            self.add_rule(Direction::Horizontal, bottom, left, right);
            self.add_rule(Direction::Vertical, left, top, bottom);
            self.add_rule(Direction::Vertical, right, top, bottom);
        }
    }

    /// Adds a stroked segment when it is (nearly) horizontal or vertical; diagonals are not
    /// table rules.
    pub fn add_segment(&mut self, x0: f32, y0: f32, x1: f32, y1: f32) {
        let (dx, dy) = ((x1 - x0).abs(), (y1 - y0).abs());
        if dy <= 0.5 && dx > 0.5 {
            self.add_rule(
                Direction::Horizontal,
                (y0 + y1) / 2.0,
                x0.min(x1),
                x0.max(x1),
            );
        } else if dx <= 0.5 && dy > 0.5 {
            self.add_rule(Direction::Vertical, (x0 + x1) / 2.0, y0.min(y1), y0.max(y1));
        }
    }

    fn add_rule(&mut self, direction: Direction, at: f32, from: f32, to: f32) {
        if [at, from, to].iter().all(|v| v.is_finite()) {
            self.rules.push(Rule {
                direction,
                at,
                from,
                to,
            });
        }
    }
}
