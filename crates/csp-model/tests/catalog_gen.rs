//! The committed table `data/catalog.tsv` is exactly what the generator produces from the store
//! dumps in `shared/reference/wcd-store/` and `wcd-store-22621/` and the real packages in
//! `shared/reference/ppkg/` (skipped when the reference folder is absent).

#[path = "../gen/gen_catalog.rs"]
#[allow(dead_code)]
mod gen_catalog;

#[test]
fn committed_table_matches_the_generator() {
    let Some(store) = ppkg_testdata::reference_dir() else {
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

mod roundtrip {
    use proptest::prelude::*;
    use serde_json::json;

    use super::gen_catalog::{esc, project};
    use csp_model::catalog::{Catalog, SettingKind};

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 128,
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
            )),
            ..ProptestConfig::default()
        })]

        /// Whatever characters the store's strings hold (TAB, `%`, `|`, `=`, `,`, `;`, newlines,
        /// non-ASCII), the generator's escaping and the reader give them back unchanged.
        #[test]
        fn table_fields_round_trip(
            name in "[A-Za-z][A-Za-z0-9 %|=,;\t\n\u{e9}\u{4e2d}]{0,12}",
            display in "\\PC{0,20}",
            label in "[^\r]{0,20}",
            value in "[0-9a-z%|=,;]{1,6}",
            pattern in "\\PC{0,12}",
            default in "[^\r]{0,10}",
        ) {
            let path = format!("/Area/{name}");
            let record = json!({
                "path": path,
                "name": name,
                "type": 2,
                "apply": {"apply_passes": 2047, "apply_after_setting": "(A|/B/C)"},
                "csp": {"path": format!("./Vendor/MSFT/Area/{name}"), "action": 1},
                "default": [default],
                "validation": {"pattern": pattern, "minimum": "-5", "maximum": "4294967295"},
                "values": [{"value": value, "display": label}, {"value": "x"}],
                "visibility": {"display_name": display,
                               "conditions": [{"group": "1", "index": "1", "setting": "../S,|",
                                               "condition": 1, "value": label}]},
            });
            let table = format!(
                "V\t1\nS\t/Area\t1111111\t6{}\nS\t{}\t0100000\t{}\n",
                "\t".repeat(22),
                esc(&path),
                project(&record).unwrap()
            );
            let catalog = Catalog::from_table(&table).unwrap();
            let s = catalog.get(&path).unwrap();
            prop_assert_eq!(s.kind, SettingKind::Int);
            prop_assert_eq!(&s.name, &name);
            prop_assert_eq!(s.display_name.as_deref(), (!display.is_empty()).then_some(display.as_str()));
            prop_assert_eq!(s.constraints.pattern.as_deref(), (!pattern.is_empty()).then_some(pattern.as_str()));
            prop_assert_eq!(s.constraints.min, Some(-5));
            prop_assert_eq!(s.constraints.max, Some(4_294_967_295));
            prop_assert_eq!(&s.values[0].value, &value);
            prop_assert_eq!(s.values[0].label.as_deref(), Some(label.as_str()));
            prop_assert_eq!(s.values[1].label.as_deref(), None);
            prop_assert_eq!(&s.apply.after, &["A".to_owned(), "/B/C".to_owned()]);
            prop_assert_eq!(s.conditions[0].setting.as_str(), "../S,|");
            prop_assert_eq!(&s.conditions[0].value, &label);
            prop_assert_eq!(s.csp.as_ref().unwrap().path.clone(), format!("./Vendor/MSFT/Area/{name}"));
            if default.is_empty() {
                prop_assert!(s.default.is_empty());
            } else {
                prop_assert_eq!(&s.default, &vec![default.clone()]);
            }
            prop_assert!(catalog.children("/Area").any(|c| c.path == path));
        }
    }
}
