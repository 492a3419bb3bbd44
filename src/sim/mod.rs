//! Loopback simulators of the outside services, started by tests (port 0) and by the CLI.

pub mod backend;
pub mod secretsmanager;
pub mod sheets;
pub mod telegram;
