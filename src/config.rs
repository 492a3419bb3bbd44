//! The export definitions file (`exports.toml`): stub, replaced by the browser-source issue.
