//! The keyed upsert into Google Sheets: stub, replaced by the Sheets issue.
