//! Benchmarks live in `benches/benches/`; this library only shares input builders between them.
