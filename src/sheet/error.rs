//! The errors of the Sheets upsert. Each names the spreadsheet and tab and says what to do;
//! none carries a token or key material (Google's error bodies carry neither).

use std::time::Duration;

use super::plan::PlanError;

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// 403 or 404: the service account cannot see the spreadsheet.
    #[error(
        "spreadsheet {spreadsheet_id} cannot be opened (HTTP {status}): share it with {client_email} as Editor, and check that the id is right"
    )]
    NoAccess {
        spreadsheet_id: String,
        status: u16,
        client_email: String,
    },

    /// A 400 the API gave for a request it will never accept (bad range, grid limits...).
    #[error(
        "spreadsheet {spreadsheet_id}, tab {tab:?}: the Sheets API rejected the {call}: {message}"
    )]
    Rejected {
        spreadsheet_id: String,
        tab: String,
        call: &'static str,
        message: String,
    },

    /// 429 until the retries or the deadline ran out.
    #[error(
        "spreadsheet {spreadsheet_id}, tab {tab:?}: Sheets API quota exhausted: the {call} was refused with 429 {attempts} times over {waited:?}; run again later (the next run repairs a partial write)"
    )]
    QuotaExhausted {
        spreadsheet_id: String,
        tab: String,
        call: &'static str,
        attempts: u32,
        waited: Duration,
    },

    /// 5xx, timeouts or connection failures until the retries or the deadline ran out.
    #[error(
        "spreadsheet {spreadsheet_id}, tab {tab:?}: the Sheets API did not complete the {call} after {attempts} attempts over {waited:?} (last: {last}); run again later (the next run repairs a partial write)"
    )]
    Unavailable {
        spreadsheet_id: String,
        tab: String,
        call: &'static str,
        attempts: u32,
        waited: Duration,
        last: String,
    },

    /// The OAuth token endpoint refused the service-account key or could not be reached.
    #[error(
        "cannot get a Google access token for {client_email} from {token_uri}: {message}; check the `google` section of the secrets (the service-account key JSON)"
    )]
    Token {
        client_email: String,
        token_uri: String,
        message: String,
    },

    /// The export does not fit the target (unknown key column).
    #[error("spreadsheet {spreadsheet_id}, tab {tab:?}: {source}")]
    Plan {
        spreadsheet_id: String,
        tab: String,
        source: PlanError,
    },

    /// A response the client could not understand (missing tab id after addSheet...).
    #[error("spreadsheet {spreadsheet_id}, tab {tab:?}: unexpected Sheets API response: {message}")]
    Protocol {
        spreadsheet_id: String,
        tab: String,
        message: String,
    },

    /// The HTTP client could not be built.
    #[error("cannot set up the Sheets API client: {0}")]
    Setup(String),
}

impl SheetError {
    /// True for errors a later run may not hit (quota, outage); false for ones that need a
    /// change by a person (sharing, key, configuration).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SheetError::QuotaExhausted { .. } | SheetError::Unavailable { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_access_names_spreadsheet_and_email() {
        let e = SheetError::NoAccess {
            spreadsheet_id: "1abc".into(),
            status: 403,
            client_email: "bot@proj.iam.gserviceaccount.com".into(),
        }
        .to_string();
        assert!(e.contains("1abc"), "{e}");
        assert!(
            e.contains("share it with bot@proj.iam.gserviceaccount.com as Editor"),
            "{e}"
        );
    }
}
