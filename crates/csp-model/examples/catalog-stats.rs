//! Prints the built-in catalog's size per edition and how long parsing the embedded table takes.
//!
//! Usage: `cargo run -p csp-model --release --example catalog-stats`

use std::time::Instant;

use csp_model::catalog::{Catalog, Edition};

fn main() {
    let table = include_str!("../data/catalog.tsv");
    let mut best = f64::MAX;
    let mut catalog = None;
    for _ in 0..10 {
        let start = Instant::now();
        let c = Catalog::from_table(table).expect("embedded table parses");
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        catalog = Some(c);
    }
    let Some(catalog) = catalog else {
        return;
    };
    println!(
        "table: {} bytes; {} entries, {} paths, {} sequence entries; parse best of 10: {best:.1} ms",
        table.len(),
        catalog.len(),
        catalog.paths().count(),
        catalog.sequence_entries().len()
    );
    for e in Edition::ALL {
        println!(
            "{e:>12}: {} settings",
            catalog.settings_for_edition(e).count()
        );
    }
    let start = Instant::now();
    let builtin = Catalog::builtin();
    println!(
        "builtin (table + overlay): {} entries in {:.1} ms",
        builtin.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
}
