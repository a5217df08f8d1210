//! Runnable examples for the ppkg crates live in `examples/examples/`; this library is empty.
