//! Compile-time diagnostics of the sandbox macros, checked with trybuild (see `tests/ui.rs`).
