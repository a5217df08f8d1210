//! The README's Rust quick start is the crate's first doctest, line for line (hidden `# `
//! lines aside), so the README shows code that runs.

/// The first ```` ```rust ```` block after `marker` in `text`, lines as written.
fn first_rust_block(text: &str, marker: &str) -> Vec<String> {
    let at = text.find(marker).expect("marker present");
    let mut lines = text[at..]
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("```"));
    lines.next();
    lines
        .take_while(|l| !l.trim_start().starts_with("```"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_quick_start_is_the_crate_doctest() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs"))
        .expect("lib.rs");
    let readme_block = first_rust_block(&readme, "## Library quick start");
    let doc: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let doc_block: Vec<String> = first_rust_block(&doc, "")
        .into_iter()
        .filter(|l| !l.trim_start().starts_with("# ") && l.trim() != "#")
        .collect();
    assert!(!readme_block.is_empty());
    assert_eq!(readme_block, doc_block);
    assert!(
        readme_block.len() <= 10,
        "the quick start has {} lines",
        readme_block.len()
    );
}
