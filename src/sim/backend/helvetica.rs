//! The standard Helvetica and Helvetica-Bold metrics (Adobe's AFM files, widths in 1/1000 em)
//! for the WinAnsiEncoding bytes 32..=255, and text encoding to WinAnsi: enough for the
//! simulator's PDFs to wrap cells and right-align numbers as a real producer would.

/// Advance widths of the bytes 32..=255 in Helvetica (0: no glyph in WinAnsi).
const REGULAR: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    0, 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222,
    333, 333, 350, 556, 1000, 0, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556, 537, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Advance widths of the bytes 32..=255 in Helvetica-Bold.
const BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    0, 556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 278, 278,
    500, 500, 350, 556, 1000, 0, 1000, 556, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, 611, 611,
    611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

/// Text in WinAnsiEncoding (Windows-1252): é, ë, ü and the other Western European letters
/// keep their glyph; a character the encoding lacks becomes `?`.
pub(crate) fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        let mut buf = [0u8; 4];
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(ch.encode_utf8(&mut buf));
        if unmappable || bytes.len() != 1 || bytes[0] < 32 {
            out.push(b'?');
        } else {
            out.push(bytes[0]);
        }
    }
    out
}

/// The width in points of `text` set in Helvetica (or Helvetica-Bold) at `size` points.
pub(crate) fn width(text: &str, size: f32, bold: bool) -> f32 {
    let table = if bold { &BOLD } else { &REGULAR };
    let units: u32 = win_ansi(text)
        .iter()
        .map(|&b| u32::from(table[usize::from(b) - 32]))
        .sum();
    units as f32 * size / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_adobes() {
        // Helvetica: space 278, digits 556, "W" 944, é 556; Helvetica-Bold: "a" 556, "b" 611.
        assert_eq!(width(" ", 1000.0, false), 278.0);
        assert_eq!(width("0123456789", 1000.0, false), 5560.0);
        assert_eq!(width("W", 1000.0, false), 944.0);
        assert_eq!(width("é", 1000.0, false), 556.0);
        assert_eq!(width("ab", 1000.0, true), 1167.0);
        assert!((width("Saldo", 8.0, true) - 8.0 * 2.723).abs() < 0.001);
    }

    #[test]
    fn text_is_encoded_in_win_ansi() {
        assert_eq!(win_ansi("Zoë é ü"), b"Zo\xeb \xe9 \xfc");
        assert_eq!(win_ansi("€"), b"\x80");
        assert_eq!(win_ansi("日\n"), b"??");
    }
}
