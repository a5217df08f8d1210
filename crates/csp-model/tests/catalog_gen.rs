//! The committed table `data/catalog.tsv` is exactly what the generator produces from the store
//! dump in `shared/reference/wcd-store/` (skipped when the reference folder is absent).

#[path = "../gen/gen_catalog.rs"]
#[allow(dead_code)]
mod gen_catalog;

#[test]
fn committed_table_matches_the_generator() {
    let Some(store) = ppkg_testdata::reference_file("wcd-store") else {
        return;
    };
    let generated = gen_catalog::generate(&store).unwrap();
    let committed = include_str!("../data/catalog.tsv");
    if generated != committed {
        let line = generated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        panic!(
            "data/catalog.tsv is stale (first difference at line {line}); regenerate with \
             `cargo run -p csp-model --example gen-catalog -- {}`",
            store.display()
        );
    }
    assert!(
        committed.len() < 2 * 1024 * 1024,
        "table too large: {}",
        committed.len()
    );
}
