//! The browser source: stub, replaced by the browser-source issue.
