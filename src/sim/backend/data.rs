//! The simulated exports: their names, pages and date formats, the deterministic rows each one
//! holds for a date range, and the xlsx file that carries them. Pure: no I/O.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::table::Cell;

/// The names of the four simulated exports, as `exports.toml` names them.
pub const EXPORTS: [&str; 4] = [
    "transactions",
    "point_transactions",
    "users",
    "coin_payments",
];

/// One of the four exports of the simulated panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExportKind {
    Transactions,
    PointTransactions,
    Users,
    CoinPayments,
}

/// How a page expects its dates to be typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateFormat {
    /// A text input in `DD/MM/YYYY`.
    DayMonthYear,
    /// An HTML5 `<input type=date>`, whose value is `YYYY-MM-DD`.
    Html5,
}

impl DateFormat {
    fn pattern(self) -> &'static str {
        match self {
            DateFormat::DayMonthYear => "%d/%m/%Y",
            DateFormat::Html5 => "%Y-%m-%d",
        }
    }

    /// What a user is told to type, for error messages and placeholders.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            DateFormat::DayMonthYear => "DD/MM/YYYY",
            DateFormat::Html5 => "YYYY-MM-DD",
        }
    }

    /// Parses a date strictly: the text must be exactly the formatted date (zero-padded).
    pub(crate) fn parse(self, raw: &str) -> Option<NaiveDate> {
        let date = NaiveDate::parse_from_str(raw, self.pattern()).ok()?;
        (date.format(self.pattern()).to_string() == raw).then_some(date)
    }
}

const TRANSACTION_COLUMNS: [&str; 27] = [
    "Transaksi ID",
    "Tanggal Transaksi",
    "Invoice",
    "Nama Pelanggan",
    "No HP",
    "Email",
    "Member Level",
    "Outlet",
    "Kasir",
    "Produk",
    "Kategori",
    "Qty",
    "Harga Satuan",
    "Subtotal",
    "Diskon",
    "Kode Voucher",
    "Poin Digunakan",
    "Ongkos Kirim",
    "Pajak",
    "Total",
    "Metode Pembayaran",
    "Status Pembayaran",
    "Tanggal Bayar",
    "Status Pesanan",
    "Kurir",
    "No Resi",
    "Kota",
];

const POINT_TRANSACTION_COLUMNS: [&str; 12] = [
    "ID",
    "Tanggal",
    "User ID",
    "Nama",
    "No HP",
    "Tipe",
    "Poin",
    "Saldo Akhir",
    "Referensi",
    "Keterangan",
    "Outlet",
    "Status",
];

const USER_COLUMNS: [&str; 10] = [
    "ID",
    "Nama",
    "Email",
    "No HP",
    "Jenis Kelamin",
    "Tanggal Lahir",
    "Kota",
    "Level",
    "Total Poin",
    "Tanggal Daftar",
];

const COIN_PAYMENT_COLUMNS: [&str; 6] = [
    "ID Pembayaran",
    "Tanggal",
    "Nama",
    "No HP",
    "Jumlah Koin",
    "Nominal",
];

impl ExportKind {
    pub(crate) const ALL: [ExportKind; 4] = [
        ExportKind::Transactions,
        ExportKind::PointTransactions,
        ExportKind::Users,
        ExportKind::CoinPayments,
    ];

    pub(crate) fn from_name(name: &str) -> Option<ExportKind> {
        ExportKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ExportKind::Transactions => EXPORTS[0],
            ExportKind::PointTransactions => EXPORTS[1],
            ExportKind::Users => EXPORTS[2],
            ExportKind::CoinPayments => EXPORTS[3],
        }
    }

    /// The export's page, also the prefix of its download endpoint (`<page>/export`).
    pub(crate) fn page_path(self) -> &'static str {
        match self {
            ExportKind::Transactions => "/transaction",
            ExportKind::PointTransactions => "/point_transaction",
            ExportKind::Users => "/user-front",
            ExportKind::CoinPayments => "/koin_pay",
        }
    }

    /// The page's human title, shown in the navigation.
    pub(crate) fn title(self) -> &'static str {
        match self {
            ExportKind::Transactions => "Transaksi",
            ExportKind::PointTransactions => "Transaksi Poin",
            ExportKind::Users => "User Front",
            ExportKind::CoinPayments => "Koin Pay",
        }
    }

    pub(crate) fn date_format(self) -> DateFormat {
        match self {
            ExportKind::Transactions => DateFormat::DayMonthYear,
            _ => DateFormat::Html5,
        }
    }

    /// The names of the two date fields the download request carries.
    pub(crate) fn date_fields(self) -> (&'static str, &'static str) {
        match self {
            ExportKind::Transactions => ("start_date", "end_date"),
            _ => ("start", "end"),
        }
    }

    pub(crate) fn header(self) -> &'static [&'static str] {
        match self {
            ExportKind::Transactions => &TRANSACTION_COLUMNS,
            ExportKind::PointTransactions => &POINT_TRANSACTION_COLUMNS,
            ExportKind::Users => &USER_COLUMNS,
            ExportKind::CoinPayments => &COIN_PAYMENT_COLUMNS,
        }
    }

    /// The attachment's file name for a range.
    pub(crate) fn file_name(self, start: NaiveDate, end: NaiveDate) -> String {
        format!("{}_{start}_{end}.xlsx", self.name())
    }

    /// Rows on one day: `rows_per_day`, except coin payments, which are rare (1 or 2 a day,
    /// never more than `rows_per_day`).
    fn rows_on(self, date: NaiveDate, rows_per_day: usize) -> usize {
        match self {
            ExportKind::CoinPayments => {
                let wanted = 1 + (Mix::new(self, date, usize::MAX).next() % 2) as usize;
                wanted.min(rows_per_day)
            }
            _ => rows_per_day,
        }
    }

    /// Every row of the export for the dates in `[start, end]`, day by day.
    pub(crate) fn rows(
        self,
        start: NaiveDate,
        end: NaiveDate,
        rows_per_day: usize,
    ) -> Vec<Vec<Cell>> {
        let mut rows = Vec::new();
        for date in start.iter_days().take_while(|d| *d <= end) {
            for index in 0..self.rows_on(date, rows_per_day) {
                rows.push(self.row(date, index));
            }
        }
        rows
    }

    /// One row, a pure function of (export, date, index).
    fn row(self, date: NaiveDate, index: usize) -> Vec<Cell> {
        let mut mix = Mix::new(self, date, index);
        match self {
            ExportKind::Transactions => transaction_row(&mut mix, date, index),
            ExportKind::PointTransactions => point_transaction_row(&mut mix, date, index),
            ExportKind::Users => user_row(&mut mix, date, index),
            ExportKind::CoinPayments => coin_payment_row(&mut mix, date, index),
        }
    }
}

/// The file an export answers for a range, so tests can compare bytes and rows: the header and
/// the typed rows, in file order.
///
/// # Panics
/// When `export` is not one of [`EXPORTS`]: this is a test helper, and an empty answer would let
/// a mistyped name pass a test silently.
pub fn export_rows(
    export: &str,
    start: NaiveDate,
    end: NaiveDate,
    rows_per_day: usize,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let kind = known_export(export);
    let header = kind.header().iter().map(|h| (*h).to_owned()).collect();
    (header, kind.rows(start, end, rows_per_day))
}

/// The exact bytes of the xlsx an export answers for a range (identical in every run), so
/// tests can compare a downloaded file with what the simulator served.
///
/// # Panics
/// When `export` is not one of [`EXPORTS`], as [`export_rows`].
pub fn export_file(
    export: &str,
    start: NaiveDate,
    end: NaiveDate,
    rows_per_day: usize,
) -> Result<Vec<u8>, XlsxError> {
    let kind = known_export(export);
    build_xlsx(kind.header(), &kind.rows(start, end, rows_per_day))
}

fn known_export(export: &str) -> ExportKind {
    ExportKind::from_name(export)
        .unwrap_or_else(|| panic!("unknown export {export:?}; the simulator has {EXPORTS:?}"))
}

/// Builds the xlsx workbook of one export: a bold header row, then the rows. Text stays text,
/// numbers are numbers, dates and date-times are serials with a date number format.
pub(crate) fn build_xlsx(header: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the bytes identical across runs (zip entries carry none).
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let datetime_format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let sheet = workbook.add_worksheet();
    sheet.set_name("Export")?;
    for (col, name) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Int(i) => {
                    sheet.write_number(r, c, *i as f64)?;
                }
                Cell::Decimal(f) => {
                    sheet.write_number(r, c, *f)?;
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(r, c, *b)?;
                }
                Cell::Date(_) | Cell::DateTime(_) => {
                    let serial = cell.to_serial().unwrap_or_default();
                    let format = if matches!(cell, Cell::Date(_)) {
                        &date_format
                    } else {
                        &datetime_format
                    };
                    sheet.write_number_with_format(r, c, serial, format)?;
                }
            }
        }
    }
    workbook.save_to_buffer()
}

/// A tiny deterministic generator (splitmix64) seeded by export, date and row index, so every
/// row is the same in every run and every range that contains its date.
struct Mix(u64);

impl Mix {
    fn new(kind: ExportKind, date: NaiveDate, index: usize) -> Mix {
        let mut seed: u64 = 0xcbf2_9ce4_8422_2325;
        for b in kind.name().bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        seed ^= (date.num_days_from_ce() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        seed ^= (index as u64).wrapping_mul(0xd1b5_4a32_d192_ed03);
        Mix(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[(self.next() % choices.len() as u64) as usize]
    }

    /// A time on `date`, between 07:00 and 22:59.
    fn time_on(&mut self, date: NaiveDate) -> NaiveDateTime {
        let seconds = self.between(7 * 3600, 23 * 3600 - 1) as u32;
        date.and_hms_opt(seconds / 3600, seconds / 60 % 60, seconds % 60)
            .expect("seconds below 23:00 form a valid time")
    }

    /// An Indonesian mobile number: a leading zero, so it must stay text.
    fn phone(&mut self) -> String {
        format!("08{}{:09}", self.between(1, 9), self.next() % 1_000_000_000)
    }

    fn name(&mut self) -> String {
        format!("{} {}", self.pick(FIRST_NAMES), self.pick(LAST_NAMES))
    }
}

const FIRST_NAMES: &[&str] = &[
    "Andi", "Budi", "Citra", "Dewi", "Eka", "Fajar", "Gita", "Hendra", "Indah", "Joko", "Kartika",
    "Lestari", "Made", "Nur", "Putri", "Rizky", "Sari", "Teguh", "Wulan", "Yusuf",
];
const LAST_NAMES: &[&str] = &[
    "Pratama", "Saputra", "Wijaya", "Santoso", "Hidayat", "Kusuma", "Nugroho", "Siregar", "Halim",
    "Gunawan", "Lubis", "Setiawan",
];
const CITIES: &[&str] = &[
    "Jakarta",
    "Bandung",
    "Surabaya",
    "Medan",
    "Semarang",
    "Makassar",
    "Denpasar",
    "Yogyakarta",
];
const OUTLETS: &[&str] = &[
    "ATK Kemang",
    "ATK Senopati",
    "ATK Dago",
    "ATK Tunjungan",
    "Online",
];

/// `YYYYMMDD` of a date, used inside identifiers.
fn compact(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

fn transaction_row(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
    // 16 digits: "9", YYMMDD, a per-day block, the index. Above 2^53, so a reader that turns
    // it into a float visibly corrupts it.
    let day_block = Mix::new(ExportKind::Transactions, date, usize::MAX).next() % 1000;
    let id = format!(
        "9{:02}{:02}{:02}{day_block:03}{index:06}",
        date.year() % 100,
        date.month(),
        date.day()
    );
    let at = mix.time_on(date);
    let name = mix.name();
    let email = format!(
        "{}{}@example.com",
        name.split(' ').next().unwrap_or("user").to_lowercase(),
        mix.between(1, 999)
    );
    let qty = mix.between(1, 5);
    let price = mix.between(5, 250) * 1000;
    let subtotal = qty * price;
    let discount = if mix.next().is_multiple_of(4) {
        subtotal / 10
    } else {
        0
    };
    let voucher = if discount > 0 {
        format!("HEMAT{}", mix.between(10, 99))
    } else {
        String::new()
    };
    let points_used = if mix.next().is_multiple_of(5) {
        mix.between(1, 50) * 100
    } else {
        0
    };
    let shipping = mix
        .pick(&["0", "9000", "15000", "22000"])
        .parse::<i64>()
        .unwrap_or(0);
    let base = subtotal - discount - points_used;
    let tax = (base * 11) as f64 / 100.0;
    let total = base as f64 + tax + shipping as f64;
    let paid = !mix.next().is_multiple_of(10);
    let paid_at = if paid {
        Cell::DateTime(at + chrono::Duration::minutes(mix.between(1, 50)))
    } else {
        Cell::Empty
    };
    let courier = if shipping > 0 {
        mix.pick(&["JNE", "J&T", "SiCepat", "GoSend"])
    } else {
        ""
    };
    let receipt = if shipping > 0 && paid {
        format!(
            "{}{:010}",
            courier.to_uppercase().replace('&', ""),
            mix.next() % 10_000_000_000
        )
    } else {
        String::new()
    };
    vec![
        Cell::Text(id),
        Cell::DateTime(at),
        Cell::Text(format!("INV/{}/{:05}", compact(date), index + 1)),
        Cell::Text(name),
        Cell::Text(mix.phone()),
        Cell::Text(email),
        Cell::Text(mix.pick(&["Silver", "Gold", "Platinum"]).to_owned()),
        Cell::Text(mix.pick(OUTLETS).to_owned()),
        Cell::Text(mix.pick(&["Rina", "Agus", "Tono", "Maya"]).to_owned()),
        Cell::Text(
            mix.pick(&[
                "Pulpen Gel 0.5",
                "Buku Tulis A5",
                "Map Plastik",
                "Stapler Mini",
                "Kertas HVS A4",
                "Spidol Whiteboard",
            ])
            .to_owned(),
        ),
        Cell::Text(
            mix.pick(&["Alat Tulis", "Kertas", "Perlengkapan Kantor"])
                .to_owned(),
        ),
        Cell::Int(qty),
        Cell::Int(price),
        Cell::Int(subtotal),
        Cell::Int(discount),
        Cell::Text(voucher),
        Cell::Int(points_used),
        Cell::Int(shipping),
        Cell::Decimal(tax),
        Cell::Decimal(total),
        Cell::Text(
            mix.pick(&["QRIS", "Transfer Bank", "Kartu Kredit", "OVO", "Tunai"])
                .to_owned(),
        ),
        Cell::Text(if paid { "Lunas" } else { "Menunggu" }.to_owned()),
        paid_at,
        Cell::Text(
            if paid {
                mix.pick(&["Selesai", "Dikirim", "Diproses"])
            } else {
                "Baru"
            }
            .to_owned(),
        ),
        Cell::Text(courier.to_owned()),
        Cell::Text(receipt),
        Cell::Text(mix.pick(CITIES).to_owned()),
    ]
}

fn point_transaction_row(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
    let id = i64::from(date.num_days_from_ce()) * 100_000 + index as i64 + 1;
    let kind = mix.pick(&["Earn", "Earn", "Earn", "Redeem", "Expired"]);
    let amount = mix.between(1, 40) * 25;
    let points = if kind == "Earn" { amount } else { -amount };
    vec![
        Cell::Int(id),
        Cell::DateTime(mix.time_on(date)),
        Cell::Int(mix.between(1_000, 99_999)),
        Cell::Text(mix.name()),
        Cell::Text(mix.phone()),
        Cell::Text(kind.to_owned()),
        Cell::Int(points),
        Cell::Int(mix.between(0, 20_000) + points.max(0)),
        Cell::Text(format!("TRX-{}-{:04}", compact(date), mix.between(1, 9999))),
        Cell::Text(
            match kind {
                "Earn" => "Poin belanja",
                "Redeem" => "Tukar voucher",
                _ => "Poin kedaluwarsa",
            }
            .to_owned(),
        ),
        Cell::Text(mix.pick(OUTLETS).to_owned()),
        Cell::Text(
            mix.pick(&["Sukses", "Sukses", "Sukses", "Dibatalkan"])
                .to_owned(),
        ),
    ]
}

fn user_row(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
    let id = i64::from(date.num_days_from_ce()) * 10_000 + index as i64 + 1;
    let name = mix.name();
    let email = format!(
        "{}.{}{}@example.com",
        name.split(' ').next().unwrap_or("user").to_lowercase(),
        index + 1,
        compact(date)
    );
    let birth = NaiveDate::from_ymd_opt(
        mix.between(1960, 2006) as i32,
        mix.between(1, 12) as u32,
        mix.between(1, 28) as u32,
    )
    .expect("day 1..=28 exists in every month");
    vec![
        Cell::Int(id),
        Cell::Text(name),
        Cell::Text(email),
        Cell::Text(mix.phone()),
        Cell::Text(mix.pick(&["Laki-laki", "Perempuan"]).to_owned()),
        Cell::Date(birth),
        Cell::Text(mix.pick(CITIES).to_owned()),
        Cell::Text(mix.pick(&["Silver", "Gold", "Platinum"]).to_owned()),
        Cell::Int(mix.between(0, 50_000)),
        Cell::DateTime(mix.time_on(date)),
    ]
}

fn coin_payment_row(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
    let coins = mix.between(1, 20) * 50;
    vec![
        Cell::Text(format!("KP-{}-{:04}", compact(date), index + 1)),
        Cell::DateTime(mix.time_on(date)),
        Cell::Text(mix.name()),
        Cell::Text(mix.phone()),
        Cell::Int(coins),
        Cell::Int(coins * 100),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn column_counts_match_the_design() {
        let counts: Vec<usize> = ExportKind::ALL.iter().map(|k| k.header().len()).collect();
        assert_eq!(counts, [27, 12, 10, 6]);
        for kind in ExportKind::ALL {
            for row in kind.rows(day("2026-01-01"), day("2026-01-03"), 3) {
                assert_eq!(row.len(), kind.header().len(), "{}", kind.name());
            }
        }
    }

    #[test]
    fn rows_are_stable_across_overlapping_ranges() {
        for export in EXPORTS {
            let (_, wide) = export_rows(export, day("2026-01-30"), day("2026-02-02"), 3);
            let (_, narrow) = export_rows(export, day("2026-02-01"), day("2026-02-01"), 3);
            assert!(!narrow.is_empty(), "{export}");
            let at = wide
                .iter()
                .position(|r| *r == narrow[0])
                .expect("narrow rows inside wide");
            assert_eq!(wide[at..at + narrow.len()], narrow[..], "{export}");
        }
    }

    #[test]
    fn transaction_ids_are_unique_16_digit_text_beyond_f64_precision() {
        let (_, rows) = export_rows("transactions", day("2026-12-30"), day("2027-01-02"), 1000);
        let mut seen = HashSet::new();
        for row in &rows {
            let Cell::Text(id) = &row[0] else {
                panic!("id must be text: {:?}", row[0])
            };
            assert!(
                id.len() == 16 && id.bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
            assert!(
                id.parse::<u64>().unwrap() > 1 << 53,
                "{id} would survive a float"
            );
            assert!(seen.insert(id.clone()), "duplicate id {id}");
            let Cell::Text(phone) = &row[4] else {
                panic!("phone must be text")
            };
            assert!(phone.starts_with('0'), "{phone}");
        }
        assert_eq!(seen.len(), 4000);
    }

    #[test]
    fn coin_payments_are_one_or_two_a_day_and_never_more_than_asked() {
        let (_, rows) = export_rows("coin_payments", day("2026-01-01"), day("2026-01-31"), 1000);
        assert!(rows.len() >= 31 && rows.len() <= 62, "{}", rows.len());
        assert!(
            rows.len() > 31 && rows.len() < 62,
            "both 1 and 2 occur in a month"
        );
        let (_, one) = export_rows("coin_payments", day("2026-01-01"), day("2026-01-31"), 1);
        assert_eq!(one.len(), 31);
        let (_, none) = export_rows("coin_payments", day("2026-01-01"), day("2026-01-31"), 0);
        assert!(none.is_empty());
    }

    #[test]
    fn an_empty_or_reversed_range_has_no_rows() {
        let (_, rows) = export_rows("users", day("2026-01-05"), day("2026-01-01"), 5);
        assert!(rows.is_empty());
    }

    #[test]
    fn dates_parse_strictly_in_the_page_format() {
        let dmy = DateFormat::DayMonthYear;
        assert_eq!(dmy.parse("05/02/2026"), Some(day("2026-02-05")));
        assert_eq!(dmy.parse("5/2/2026"), None);
        assert_eq!(dmy.parse("2026-02-05"), None);
        assert_eq!(dmy.parse("31/02/2026"), None);
        let html5 = DateFormat::Html5;
        assert_eq!(html5.parse("2026-02-05"), Some(day("2026-02-05")));
        assert_eq!(html5.parse("2026-2-5"), None);
        assert_eq!(html5.parse(" 2026-02-05"), None);
    }

    #[test]
    fn the_file_is_byte_identical_across_builds() {
        let a = export_file("users", day("2026-01-01"), day("2026-01-02"), 5).unwrap();
        let b = export_file("users", day("2026-01-01"), day("2026-01-02"), 5).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[..2], b"PK");
    }

    #[test]
    #[should_panic(expected = "unknown export")]
    fn an_unknown_export_name_is_refused_loudly() {
        export_rows("transaction", day("2026-01-01"), day("2026-01-01"), 1);
    }
}
