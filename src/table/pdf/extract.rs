//! Reads a PDF's pages into [`Page`]s with the `pdf_oxide` crate: every shown character with
//! its Unicode text (ToUnicode maps, standard and embedded encodings, Identity-H CID fonts),
//! baseline origin, advance and size, and every stroked or filled axis-aligned line or
//! rectangle. An encrypted file is opened with the empty user password (what a panel's "print
//! protection" uses); one that needs a real password is reported as such.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_oxide::document::PdfDocument;
use pdf_oxide::elements::{PathContent, PathOperation};
use pdf_oxide::layout::Color;

use super::page::{Glyph, Page};

/// Why the pages could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractError {
    /// The file needs a user password.
    Password,
    /// The file is not a readable PDF (truncated, damaged, or a construct the reader fails on).
    Damaged(String),
}

/// Every page of the document, in order.
pub fn pages(bytes: &[u8]) -> Result<Vec<Page>, ExtractError> {
    // The reader is third-party code walking untrusted bytes: a panic in it is a damaged file,
    // not a crashed run.
    catch_unwind(AssertUnwindSafe(|| read_pages(bytes))).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the PDF reader failed".to_owned());
        Err(ExtractError::Damaged(detail))
    })
}

fn read_pages(bytes: &[u8]) -> Result<Vec<Page>, ExtractError> {
    let damaged = |e: pdf_oxide::error::Error| ExtractError::Damaged(e.to_string());
    let document = PdfDocument::from_bytes(bytes.to_vec()).map_err(damaged)?;
    // Opening tries the empty user password; an encrypted file it did not open needs one.
    if document.is_encrypted() && !document.authenticate(b"").map_err(damaged)? {
        return Err(ExtractError::Password);
    }
    let count = document.page_count().map_err(damaged)?;
    (0..count)
        .map(|index| read_page(&document, index).map_err(damaged))
        .collect()
}

fn read_page(document: &PdfDocument, index: usize) -> pdf_oxide::error::Result<Page> {
    let (llx, lly, urx, ury) = document.get_page_media_box(index)?;
    let (left, top) = (llx.min(urx), lly.max(ury));
    let mut page = Page {
        number: index + 1,
        width: (urx - llx).abs(),
        height: (ury - lly).abs(),
        glyphs: Vec::new(),
        rules: Vec::new(),
    };
    for c in document.extract_chars(index)?.iter() {
        if c.rotation_degrees.abs() > 1.0 && (c.rotation_degrees - 360.0).abs() > 1.0 {
            continue; // Rotated text (watermarks, vertical labels) is not table text.
        }
        let x = c.origin_x - left;
        let width = if c.advance_width > 0.0 {
            c.advance_width
        } else {
            c.bbox.width
        };
        page.glyphs.push(Glyph {
            text: c.char.to_string(),
            left: x,
            right: x + width.max(0.0),
            baseline: top - c.origin_y,
            size: c.font_size,
        });
    }
    for path in document.extract_paths(index)?.iter() {
        add_path(&mut page, path, left, top);
    }
    Ok(page)
}

/// Adds the rules a path draws: its straight segments when stroked, its rectangles (and
/// four-cornered axis-aligned polygons) when filled or stroked. White paint draws nothing.
fn add_path(page: &mut Page, path: &PathContent, left: f32, top: f32) {
    let stroked = path.stroke_color.as_ref().is_some_and(|c| !is_white(c));
    let filled = path.fill_color.as_ref().is_some_and(|c| !is_white(c));
    if !stroked && !filled {
        return;
    }
    let point = |x: f32, y: f32| (x - left, top - y);
    let mut corners: Vec<(f32, f32)> = Vec::new();
    let mut current: Option<(f32, f32)> = None;
    let mut start: Option<(f32, f32)> = None;
    for op in &path.operations {
        match *op {
            PathOperation::MoveTo(x, y) => {
                close_polygon(page, &mut corners, filled);
                let p = point(x, y);
                (current, start) = (Some(p), Some(p));
                corners.push(p);
            }
            PathOperation::LineTo(x, y) => {
                let p = point(x, y);
                if let (Some(from), true) = (current, stroked) {
                    page.add_segment(from.0, from.1, p.0, p.1);
                }
                corners.push(p);
                current = Some(p);
            }
            PathOperation::CurveTo(_, _, _, _, x, y) => {
                // Curves (rounded corners) are not rules; the pen still moves.
                corners.clear();
                current = Some(point(x, y));
            }
            PathOperation::Rectangle(x, y, w, h) => {
                close_polygon(page, &mut corners, filled);
                let (a, b) = (point(x, y), point(x + w, y + h));
                page.add_rectangle(a.0, a.1, b.0, b.1);
                current = None;
            }
            PathOperation::ClosePath => {
                if let (Some(from), Some(to), true) = (current, start, stroked) {
                    page.add_segment(from.0, from.1, to.0, to.1);
                }
                current = start;
            }
        }
    }
    close_polygon(page, &mut corners, filled);
}

/// A filled four-cornered axis-aligned polygon is a rectangle (how some producers draw cell
/// backgrounds and thick rules).
fn close_polygon(page: &mut Page, corners: &mut Vec<(f32, f32)>, filled: bool) {
    if filled && (4..=5).contains(&corners.len()) {
        let (mut left, mut right) = (f32::MAX, f32::MIN);
        let (mut top, mut bottom) = (f32::MAX, f32::MIN);
        for &(x, y) in corners.iter() {
            (left, right) = (left.min(x), right.max(x));
            (top, bottom) = (top.min(y), bottom.max(y));
        }
        let on_edges = corners.iter().all(|&(x, y)| {
            ((x - left).abs() < 0.5 || (x - right).abs() < 0.5)
                && ((y - top).abs() < 0.5 || (y - bottom).abs() < 0.5)
        });
        if on_edges {
            page.add_rectangle(left, top, right, bottom);
        }
    }
    corners.clear();
}

/// White (or nearly) paint draws no visible rule.
fn is_white(color: &Color) -> bool {
    color.r > 0.97 && color.g > 0.97 && color.b > 0.97
}
