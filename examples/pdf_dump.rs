//! Debug: prints the glyphs, lines and rules of a PDF page as the reader sees them.
fn main() {
    let path = std::env::args().nth(1).expect("a PDF");
    let page_no: usize = std::env::args().nth(2).map_or(1, |p| p.parse().unwrap());
    let bytes = std::fs::read(&path).unwrap();
    let pages = exportsync::table::pdf::extract::pages(&bytes).unwrap();
    let page = &pages[page_no - 1];
    println!(
        "page {} {}x{} glyphs {} rules {}",
        page.number,
        page.width,
        page.height,
        page.glyphs.len(),
        page.rules.len()
    );
    for g in page
        .glyphs
        .iter()
        .skip(std::env::args().nth(3).map_or(0, |s| s.parse().unwrap()))
        .take(40)
    {
        println!(
            "  glyph {:?} {:.1}-{:.1} base {:.1} size {:.1}",
            g.text, g.left, g.right, g.baseline, g.size
        );
    }
    for r in page.rules.iter().take(30) {
        println!("  rule {:?}", r);
    }
    for l in exportsync::table::pdf::lines::text_lines(page)
        .iter()
        .take(30)
    {
        let segs: Vec<String> = l
            .segments
            .iter()
            .map(|s| format!("[{:.0}-{:.0} {}]", s.left, s.right, s.text))
            .collect();
        println!(
            "  line {:.1} size {:.1}: {}",
            l.baseline,
            l.size,
            segs.join(" ")
        );
    }
}
