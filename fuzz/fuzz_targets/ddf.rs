//! DDF (OMA-DM Device Description Framework v2) parsing, tree building, OMA-URI resolution and
//! value checks on arbitrary input.
#![no_main]

use csp_model::ddf::{DdfFile, DdfSet, Operation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = DdfFile::parse(data) {
        for (_, node) in file.walk() {
            let _ = node.display_name();
            let _ = node.check_value("1", Operation::Add);
        }
    }
    if let Ok(set) = DdfSet::parse(data) {
        let tree = set.tree();
        let _ = tree.node_count();
        let roots: Vec<String> = tree.roots().map(|(uri, _)| uri).collect();
        for uri in roots {
            let _ = tree.resolve(&format!("{uri}/x/y"));
        }
    }
});
