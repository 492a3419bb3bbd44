//! Text that a printed report carries but that is not table data: page numbers
//! (`Halaman 1 dari 3`, `Page 2 of 5`, `1 / 3`, `- 2 -`), print dates (`Dicetak: 03-12-2026`),
//! and the line a panel prints instead of rows when there are none (`Tidak ada data`).

/// A page number or a print date, in Indonesian or English.
pub fn is_page_furniture(text: &str) -> bool {
    is_page_number(text) || is_print_date(text)
}

/// `Halaman 2`, `Halaman 2 dari 3`, `Hal. 2/3`, `Page 2`, `Page 2 of 5`, `2 / 3`, `2 dari 3`,
/// `- 2 -`. A bare `2 / 3` counts only when its first number is not above the second.
pub fn is_page_number(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == '/')
        .filter(|t| !t.is_empty())
        .collect();
    let is_number =
        |t: &str| !t.is_empty() && t.len() <= 5 && t.bytes().all(|b| b.is_ascii_digit());
    let has_slash = lower.contains('/');
    match tokens.as_slice() {
        ["-", n, "-"] => is_number(n),
        [prefix, n] if is_page_word(prefix) => is_number(n.trim_end_matches(['.', ':'])),
        [prefix, n, joiner, m] if is_page_word(prefix) && is_joiner(joiner) => {
            is_number(n) && is_number(m)
        }
        [prefix, n, m] if is_page_word(prefix) && has_slash => is_number(n) && is_number(m),
        [n, joiner, m] if is_joiner(joiner) => is_number(n) && is_number(m) && le(n, m),
        [n, m] if has_slash => is_number(n) && is_number(m) && le(n, m) && lower.contains(" / "),
        _ => false,
    }
}

fn le(n: &str, m: &str) -> bool {
    matches!((n.parse::<u32>(), m.parse::<u32>()), (Ok(a), Ok(b)) if a >= 1 && a <= b)
}

fn is_page_word(word: &str) -> bool {
    matches!(
        word.trim_end_matches([':', '.']),
        "halaman" | "hal" | "page" | "pg" | "p" | "hlm"
    )
}

fn is_joiner(word: &str) -> bool {
    matches!(word, "dari" | "of" | "von" | "de")
}

/// `Dicetak: 03-12-2026 10:15`, `Tanggal cetak 03/12/2026`, `Printed on 2026-12-03`,
/// `Generated at ...`: a print-date label followed by something with digits.
pub fn is_print_date(text: &str) -> bool {
    const LABELS: &[&str] = &[
        "dicetak",
        "tanggal cetak",
        "tgl cetak",
        "tgl. cetak",
        "waktu cetak",
        "diunduh",
        "printed",
        "print date",
        "date printed",
        "generated",
        "downloaded",
        "exported on",
        "exported at",
    ];
    let lower = text.trim().to_lowercase();
    LABELS.iter().any(|label| {
        lower.strip_prefix(label).is_some_and(|rest| {
            rest.starts_with([' ', ':']) && rest.bytes().any(|b| b.is_ascii_digit())
        })
    })
}

/// What panels print in place of rows when a query finds none (DataTables' English and
/// Indonesian texts among them).
pub fn is_no_data(text: &str) -> bool {
    const PHRASES: &[&str] = &[
        "tidak ada data",
        "data tidak ditemukan",
        "data tidak tersedia",
        "belum ada data",
        "data kosong",
        "tidak ada transaksi",
        "tidak ditemukan data",
        "no data",
        "no records",
        "no matching records",
        "nothing found",
    ];
    let lower = text.trim().to_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_in_the_usual_forms() {
        for text in [
            "Halaman 1 dari 3",
            "halaman 12",
            "Hal. 2/3",
            "Page 2",
            "Page 2 of 5",
            "1 / 3",
            "2 dari 3",
            "- 2 -",
            "Page 3 / 7",
        ] {
            assert!(is_page_number(text), "{text}");
        }
    }

    #[test]
    fn data_that_resembles_page_numbers_is_not_furniture() {
        for text in [
            "12/10/1962",
            "1.250",
            "Rp 25.000",
            "5 / 3",
            "2/3",
            "Paket 2",
            "1",
        ] {
            assert!(!is_page_number(text), "{text}");
        }
    }

    #[test]
    fn print_dates_need_a_label_and_digits() {
        assert!(is_print_date("Dicetak: 03-12-2026 10:15"));
        assert!(is_print_date("Printed on 2026-12-03"));
        assert!(is_print_date("Tanggal cetak 03/12/2026"));
        assert!(!is_print_date("Dicetak ulang"));
        assert!(!is_print_date("Printer rusak 2"));
    }

    #[test]
    fn no_data_lines() {
        assert!(is_no_data("Tidak ada data"));
        assert!(is_no_data("No data available in table"));
        assert!(!is_no_data("Tukar voucher"));
    }
}
