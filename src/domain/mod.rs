//! Pure domain types and rules (no IO). Filled by the write-path issues.
