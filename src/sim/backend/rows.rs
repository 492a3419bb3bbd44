//! Deterministic generators of plausible rows for each export: every value is a pure function
//! of (export, date, row index), so runs and overlapping ranges agree.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::table::Cell;

/// A tiny deterministic generator (splitmix64) seeded by export, date and row index, so every
/// row is the same in every run and every range that contains its date.
pub(crate) struct Mix(u64);

impl Mix {
    pub(crate) fn new(export: &str, date: NaiveDate, index: usize) -> Mix {
        let mut seed: u64 = 0xcbf2_9ce4_8422_2325;
        for b in export.bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        seed ^= (date.num_days_from_ce() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        seed ^= (index as u64).wrapping_mul(0xd1b5_4a32_d192_ed03);
        Mix(seed)
    }

    /// A generator for values shared by a whole day (not tied to one row).
    pub(crate) fn per_day(export: &str, date: NaiveDate) -> Mix {
        Mix::new(export, date, usize::MAX)
    }

    pub(crate) fn next(&mut self) -> u64 {
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

    /// A member's name: sometimes with é, ë or ü, which a PDF must carry through its font
    /// encoding.
    fn member_name(&mut self) -> String {
        let first = if self.next().is_multiple_of(4) {
            self.pick(ACCENTED_FIRST_NAMES)
        } else {
            self.pick(FIRST_NAMES)
        };
        format!("{first} {}", self.pick(LAST_NAMES))
    }
}

const ACCENTED_FIRST_NAMES: &[&str] = &["Zoë", "Renée", "Jürgen", "Noël", "Hélène"];

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

pub(crate) fn transaction(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
    // 16 digits: "9", YYMMDD, a per-day block, the index. Above 2^53, so a reader that turns
    // it into a float visibly corrupts it.
    let day_block = Mix::per_day("transactions", date).next() % 1000;
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

pub(crate) fn point_transaction(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
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

pub(crate) fn user(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
    let id = i64::from(date.num_days_from_ce()) * 10_000 + index as i64 + 1;
    let name = mix.member_name();
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

pub(crate) fn coin_payment(mix: &mut Mix, date: NaiveDate, index: usize) -> Vec<Cell> {
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
