//! The process-wide rustls crypto provider, in its own home: the Sheets client (ring) and the
//! AWS SDK (aws-lc-rs) are both linked, and rustls panics when it has to choose between two
//! backends, so every TLS user calls [`install_crypto_provider`] first.

use std::sync::Once;

/// Installs ring as the process-wide rustls provider, once.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another part of the process installed one first: keep theirs.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
