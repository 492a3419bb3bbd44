//! The catalogue of the simulated panel's four exports: names, pages, date formats, columns,
//! and which rows each one holds for a date range. Pure.

use chrono::NaiveDate;

use super::rows;
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
                let wanted = 1 + (rows::Mix::per_day(self.name(), date).next() % 2) as usize;
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
        self.row_iter(start, end, rows_per_day).collect()
    }

    /// The rows of [`Self::rows`], generated lazily.
    pub(crate) fn row_iter(
        self,
        start: NaiveDate,
        end: NaiveDate,
        rows_per_day: usize,
    ) -> impl Iterator<Item = Vec<Cell>> {
        start
            .iter_days()
            .take_while(move |d| *d <= end)
            .flat_map(move |date| {
                (0..self.rows_on(date, rows_per_day)).map(move |index| self.row(date, index))
            })
    }

    /// How many rows [`Self::rows`] holds, without generating them.
    pub(crate) fn row_count(self, start: NaiveDate, end: NaiveDate, rows_per_day: usize) -> usize {
        start
            .iter_days()
            .take_while(|d| *d <= end)
            .map(|date| self.rows_on(date, rows_per_day))
            .sum()
    }

    /// One row, a pure function of (export, date, index).
    fn row(self, date: NaiveDate, index: usize) -> Vec<Cell> {
        let mut mix = rows::Mix::new(self.name(), date, index);
        match self {
            ExportKind::Transactions => rows::transaction(&mut mix, date, index),
            ExportKind::PointTransactions => rows::point_transaction(&mut mix, date, index),
            ExportKind::Users => rows::user(&mut mix, date, index),
            ExportKind::CoinPayments => rows::coin_payment(&mut mix, date, index),
        }
    }
}
