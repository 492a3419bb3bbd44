//! Which file each simulated export answers, and how it is sent. The real backend answers the
//! transactions export with an xlsx and its three `.expot-pdf` exports with PDFs, each sent its
//! own way: point transactions as an attachment (from a `target=_blank` link, so in a new tab),
//! users inline in a tab the button opens with `window.open` (`Content-Disposition: inline;
//! filename="users.pdf"`, laravel-dompdf's `stream()`), coin payments inline in the same tab.
//! [`ExportFormats::Xlsx`] makes every export an xlsx attachment instead.

use chrono::NaiveDate;

use super::catalog::ExportKind;
use super::data::build_xlsx;
use super::pdf::{PdfLayout, Rules, build_pdf};

pub(crate) const XLSX_MIME: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub(crate) const PDF_MIME: &str = "application/pdf";

/// Which files the simulated exports answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormats {
    /// Every export answers an xlsx attachment.
    Xlsx,
    /// As the real backend: transactions answers an xlsx, point_transactions, users and
    /// coin_payments answer PDFs (attachment in a new tab, inline in a new tab, inline in the
    /// same tab).
    Pdf,
}

impl ExportFormats {
    /// The simulator's default: the real backend's formats, so the default config, `demo`, the
    /// pipeline and the Lambda tests read three PDFs and one xlsx end to end.
    pub const DEFAULT: ExportFormats = ExportFormats::Pdf;

    /// Whether `kind` answers a PDF.
    pub(crate) fn pdf(self, kind: ExportKind) -> bool {
        self == ExportFormats::Pdf && kind != ExportKind::Transactions
    }
}

impl Default for ExportFormats {
    fn default() -> Self {
        ExportFormats::DEFAULT
    }
}

/// How a PDF reaches the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// `Content-Disposition: attachment` (laravel-dompdf's `download()`).
    Attachment,
    /// `Content-Disposition: inline` (its `stream()`): a browser shows it in its viewer.
    Inline,
}

/// One answered file, exactly as the download endpoint sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedFile {
    pub bytes: Vec<u8>,
    /// The name a browser saves it under (`filename*` when the header has one).
    pub file_name: String,
    pub content_type: &'static str,
    pub disposition: String,
}

impl ExportKind {
    /// How this export's PDF is sent.
    pub(crate) fn delivery(self) -> Delivery {
        match self {
            ExportKind::PointTransactions => Delivery::Attachment,
            _ => Delivery::Inline,
        }
    }

    /// How this export's PDF looks: one ruled, one borderless, one with horizontal lines only.
    fn pdf_layout(self, start: NaiveDate, end: NaiveDate) -> PdfLayout {
        let period = format!(
            "Periode: {} s/d {}",
            start.format("%d-%m-%Y"),
            end.format("%d-%m-%Y")
        );
        let (landscape, rules, title) = match self {
            ExportKind::Users => (true, Rules::None, "Data User Front"),
            ExportKind::CoinPayments => (false, Rules::Horizontal, "Laporan Pembayaran Koin"),
            _ => (true, Rules::Grid, "Laporan Transaksi Poin"),
        };
        PdfLayout {
            landscape,
            rules,
            title: title.to_owned(),
            period,
            // Longer names ("Kartika Setiawan") and notes ("Poin kedaluwarsa") wrap.
            wrap_at: 56.0,
        }
    }

    /// The file an export answers for a range in `formats`, with `fixed_name` (the
    /// `fixed_file_name` fault) in place of its own name when given.
    pub(crate) fn serve(
        self,
        formats: ExportFormats,
        start: NaiveDate,
        end: NaiveDate,
        rows_per_day: usize,
        tweaks: &FileTweaks,
    ) -> Result<(ServedFile, usize), String> {
        let fixed_name = tweaks.fixed_name.as_deref();
        let mut rows = self.rows(start, end, rows_per_day);
        if let Some(max) = tweaks.max_rows {
            rows.truncate(max);
        }
        let count = rows.len();
        let header: Vec<&str> = self
            .header()
            .iter()
            .map(|h| match &tweaks.rename_column {
                Some((from, to)) if from == h => to.as_str(),
                _ => *h,
            })
            .collect();
        if !formats.pdf(self) {
            let bytes = build_xlsx(&header, &rows)
                .map_err(|e| format!("rust_xlsxwriter refused the file: {e}"))?;
            let file_name = fixed_name.map_or_else(|| self.file_name(start, end), str::to_owned);
            let disposition = format!("attachment; filename=\"{file_name}\"");
            let file = ServedFile {
                bytes,
                file_name,
                content_type: XLSX_MIME,
                disposition,
            };
            return Ok((file, count));
        }
        let bytes = build_pdf(&self.pdf_layout(start, end), &header, &rows);
        let dated = format!("{}_{start}_{end}.pdf", self.name());
        let kind = match self.delivery() {
            Delivery::Attachment => "attachment",
            Delivery::Inline => "inline",
        };
        let (file_name, disposition) = match (fixed_name, self) {
            (Some(name), _) => (name.to_owned(), format!("{kind}; filename=\"{name}\"")),
            (None, ExportKind::Users) => (
                "users.pdf".to_owned(),
                format!("{kind}; filename=\"users.pdf\""),
            ),
            // RFC 6266: a browser prefers `filename*` (here the dated name) to `filename`.
            (None, ExportKind::CoinPayments) => (
                dated.clone(),
                format!("{kind}; filename=\"coin_payments.pdf\"; filename*=UTF-8''{dated}"),
            ),
            (None, _) => (dated.clone(), format!("{kind}; filename=\"{dated}\"")),
        };
        let file = ServedFile {
            bytes,
            file_name,
            content_type: PDF_MIME,
            disposition,
        };
        Ok((file, count))
    }
}

/// What the faults change in one served file.
#[derive(Clone, Debug, Default)]
pub(crate) struct FileTweaks {
    /// Offer the file under this name.
    pub fixed_name: Option<String>,
    /// Head the column `.0` as `.1` instead.
    pub rename_column: Option<(String, String)>,
    /// Serve at most this many rows.
    pub max_rows: Option<usize>,
}
