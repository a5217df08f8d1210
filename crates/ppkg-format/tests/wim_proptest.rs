//! Property: any small tree → `write_wim` → `WimReader` gives back the same folders, files and
//! bytes, for both compressions; the blob count equals the number of distinct non-empty files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use ppkg_format::wim::{write_wim, Compression, ImageTree, WimReader, WriteOptions};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_]{1,8}(\\.[a-z]{1,3})?",
        "[é日本ü ]{1,4}[a-z]",
        Just("Multivariant".to_owned()),
    ]
}

fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..300),
        2 => (1usize..70_000, any::<u8>()).prop_map(|(n, b)| (0..n).map(|i| b.wrapping_add((i / 7) as u8)).collect()),
        1 => Just(Vec::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn tree_wim_tree(
        items in proptest::collection::vec((proptest::collection::vec(name(), 1..4), content(), any::<bool>()), 0..12),
        xpress in any::<bool>(),
    ) {
        let mut tree = ImageTree::new();
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut dirs: BTreeSet<String> = BTreeSet::new();
        for (parts, bytes, is_dir) in &items {
            let path = parts.join("/");
            let ok = if *is_dir { tree.add_dir(&path).is_ok() } else { tree.add_file(&path, bytes.clone()).is_ok() };
            if !ok {
                continue;
            }
            // Record what the tree now holds (parents are folders).
            for i in 1..parts.len() {
                dirs.insert(parts[..i].join("/"));
            }
            if *is_dir { dirs.insert(path); } else { files.insert(path, bytes.clone()); }
        }
        let c = if xpress { Compression::Xpress } else { Compression::None };
        let mut out = Cursor::new(Vec::new());
        let stats = write_wim(&mut out, &tree, &Default::default(), &WriteOptions::deterministic([5; 16], 7).with_compression(c)).unwrap();
        let distinct: BTreeSet<&Vec<u8>> = files.values().filter(|b| !b.is_empty()).collect();
        prop_assert_eq!(stats.blobs, distinct.len() as u64);
        let mut r = WimReader::new(Cursor::new(out.into_inner())).unwrap();
        let got_dirs: BTreeSet<String> = r.entries().iter().filter(|e| e.is_dir).map(|e| e.path.clone()).collect();
        let got_dirs_upper: BTreeSet<String> = got_dirs.iter().map(|d| d.to_uppercase()).collect();
        let want_dirs_upper: BTreeSet<String> = dirs.iter().map(|d| d.to_uppercase()).collect();
        prop_assert_eq!(got_dirs_upper, want_dirs_upper);
        let mut got_files = BTreeMap::new();
        for e in r.entries().to_vec() {
            if !e.is_dir {
                got_files.insert(e.path.to_uppercase(), r.read_to_vec(&e, u64::MAX).unwrap());
            }
        }
        let want_files: BTreeMap<String, Vec<u8>> = files.into_iter().map(|(k, v)| (k.to_uppercase(), v)).collect();
        prop_assert_eq!(got_files, want_files);
    }
}
