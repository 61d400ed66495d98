//! Tracing subscriber (pretty or JSON) and PII masking helpers for anything that might be logged.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
/// The masking helpers live in the domain leaf (`domain/mask.rs`), where `domain::value`'s `Debug`
/// can use them without importing telemetry; logging code finds them here too.
pub use crate::domain::mask::{mask_email, mask_phone, mask_wechat_id};

pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr: stdout carries command output (the listening line, reports).
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr);
    // `try_init`: tests build several applications in one process.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
