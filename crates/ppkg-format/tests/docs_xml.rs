//! `ppkg_format::xml` against the real files in `../shared/reference/`: every sample parses and
//! writes back byte for byte with the style detected from it, and WCD's own files are reproduced
//! from scratch by `WriteStyle::wcd()` / `wcd_index()` after their layout is thrown away.

use std::path::{Path, PathBuf};

use ppkg_format::xml::{Document, Element, Indent, Node, WriteStyle};
use ppkg_format::ErrorKind;

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            files_under(&p, out);
        } else if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("xml" | "provxml")
        ) {
            out.push(p);
        }
    }
}

/// The WCD-built files (both sample packages' extracted members).
fn wcd_files() -> Option<Vec<PathBuf>> {
    let mut v = Vec::new();
    for d in [
        "ppkg/start_pins_extracted",
        "ppkg/acer_baseconfig_extracted",
    ] {
        files_under(&ppkg_testdata::reference_file(d)?, &mut v);
    }
    v.sort();
    Some(v)
}

/// The public customizations.xml samples (hand-edited by their authors, not all WCD-written).
fn customization_files() -> Option<Vec<PathBuf>> {
    let mut v = Vec::new();
    files_under(&ppkg_testdata::reference_file("customizations")?, &mut v);
    v.sort();
    Some(v)
}

/// This sample writes an attribute across lines inside its start tag
/// (`<Add PackageName=\n "…" \n></Add>`). The tree keeps attributes, not the whitespace between
/// them (see the module docs), so the bytes differ there; the content must survive.
const NOT_BYTE_EXACT: &[&str] = &["msiot-Appx.IoTOnboardingTask.customizations.xml"];

fn strip_positions(e: &mut Element) {
    e.pos = Default::default();
    for a in &mut e.attrs {
        a.pos = Default::default();
    }
    for c in &mut e.children {
        if let Node::Element(c) = c {
            strip_positions(c);
        }
    }
}

#[test]
fn every_sample_round_trips_with_its_detected_style() {
    let (Some(wcd), Some(custom)) = (wcd_files(), customization_files()) else {
        return;
    };
    assert!(
        wcd.len() >= 28,
        "expected all extracted files, got {}",
        wcd.len()
    );
    assert_eq!(custom.len(), 8);
    let mut exact = 0;
    for path in wcd.iter().chain(&custom) {
        let bytes = std::fs::read(path).unwrap();
        let (doc, style) = Document::parse_with_style(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let out = doc.to_bytes(&style);
        let name = path.file_name().unwrap().to_str().unwrap();
        if NOT_BYTE_EXACT.contains(&name) {
            assert_ne!(
                out, bytes,
                "{name} now round-trips: remove it from NOT_BYTE_EXACT"
            );
            let mut a = Document::parse(&out).unwrap();
            let mut b = doc.clone();
            strip_positions(&mut a.root);
            strip_positions(&mut b.root);
            assert_eq!(a, b, "{name}: content changed");
        } else {
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&bytes),
                "{}",
                path.display()
            );
            exact += 1;
        }
    }
    assert_eq!(exact, wcd.len() + custom.len() - NOT_BYTE_EXACT.len());
}

#[test]
fn wcd_files_are_reproduced_by_the_wcd_style_from_scratch() {
    let Some(wcd) = wcd_files() else { return };
    for path in wcd {
        let bytes = std::fs::read(&path).unwrap();
        let mut doc = Document::parse(&bytes).unwrap();
        doc.root = doc.root.without_layout();
        doc.prolog.clear();
        doc.epilog.clear();
        let index_file = !bytes.starts_with(b"\xEF\xBB\xBF");
        let style = if index_file {
            WriteStyle::wcd_index()
        } else {
            WriteStyle::wcd()
        };
        assert_eq!(
            String::from_utf8_lossy(&doc.to_bytes(&style)),
            String::from_utf8_lossy(&bytes),
            "{}",
            path.display()
        );
        let (_, detected) = Document::parse_with_style(&bytes).unwrap();
        assert_eq!(detected.indent, Indent::Spaces(2), "{}", path.display());
    }
}

#[test]
fn positions_point_into_the_real_answer_file() {
    let Some(p) = ppkg_testdata::reference_file(
        "ppkg/acer_baseconfig_extracted/Multivariant/0/customizations.xml",
    ) else {
        return;
    };
    let bytes = std::fs::read(p).unwrap();
    let doc = Document::parse(&bytes).unwrap();
    let user = doc
        .root
        .descendant("Settings/Customizations/Common/Accounts/Users/User")
        .unwrap();
    assert_eq!((user.pos.line, user.pos.column), (16, 13));
    let off = usize::try_from(user.pos.offset).unwrap();
    assert!(bytes[off..].starts_with(b"<User UserName=\"ICTMSFO5\">"));
    let attr = user.attr_node("UserName").unwrap();
    assert_eq!((attr.pos.line, attr.pos.column), (16, 19));
}

#[test]
fn broken_answer_files_report_line_and_column() {
    // Field case B04: an unclosed <Settings> and a bad entity give a position, never a panic.
    let unclosed = b"<?xml version=\"1.0\"?>\r\n<WindowsCustomizations>\r\n  <Settings>\r\n</WindowsCustomizations>";
    let e = Document::parse(unclosed).unwrap_err();
    let ErrorKind::Xml { line, .. } = e.kind() else {
        panic!("{e}")
    };
    assert!(*line >= 3, "{e}");
    let entity =
        b"<WindowsCustomizations>\n  <Settings>&bogus;</Settings>\n</WindowsCustomizations>";
    let e = Document::parse(entity).unwrap_err();
    let ErrorKind::Xml { line, column, .. } = e.kind() else {
        panic!("{e}")
    };
    assert_eq!((*line, *column), (2, 13));
    assert!(e.to_string().contains("bogus"), "{e}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Any characters XML allows in text, including markup characters and line ends.
        proptest::collection::vec(
            prop_oneof![
                Just('<'),
                Just('>'),
                Just('&'),
                Just('"'),
                Just('\''),
                Just('\n'),
                Just('\t'),
                Just(' '),
                proptest::char::range('a', 'z'),
                proptest::char::range('\u{a0}', '\u{2fff}'),
            ],
            0..20,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn tree() -> impl Strategy<Value = Element> {
        let leaf = ("[a-z][a-z0-9]{0,5}", text(), text())
            .prop_map(|(n, a, t)| Element::new(n.clone()).with_attr("v", a).with_text(t));
        leaf.prop_recursive(4, 24, 4, |inner| {
            ("[A-Z][a-z]{0,5}", proptest::collection::vec(inner, 0..4)).prop_map(|(n, kids)| {
                let mut e = Element::new(n);
                for k in kids {
                    e.push(k);
                }
                e
            })
        })
    }

    proptest! {
        #[test]
        fn write_parse_write_is_stable(root in tree()) {
            let doc = Document::new(root);
            let bytes = doc.to_bytes(&WriteStyle::wcd());
            let (back, style) = Document::parse_with_style(&bytes).unwrap();
            prop_assert_eq!(back.to_bytes(&style), bytes.clone());
            // Attribute values and text survive exactly (B06: text is never reformatted).
            let mut a = back.root.clone();
            strip_positions(&mut a);
            let b = doc.root.clone();
            fn values(e: &Element, out: &mut Vec<String>) {
                for a in &e.attrs { out.push(a.value.clone()); }
                if !e.has_elements() { out.push(e.text()); }
                for c in e.elements() { values(c, out); }
            }
            let (mut va, mut vb) = (Vec::new(), Vec::new());
            values(&a, &mut va);
            values(&b, &mut vb);
            prop_assert_eq!(va, vb);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Document::parse(&bytes);
        }

        #[test]
        fn mutated_sample_never_panics(pos in 0usize..300, byte in any::<u8>()) {
            let mut s = b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<a x=\"1&amp;\">\r\n  <b>t&lt;</b>\r\n  <!-- c -->\r\n  <c><![CDATA[x]]></c>\r\n</a>".to_vec();
            let p = pos % s.len();
            s[p] = byte;
            let _ = Document::parse(&s);
            s.truncate(p);
            let _ = Document::parse(&s);
        }
    }
}

/// Every prefix of every sample, and every sample with one byte changed, parses or fails with
/// an error; none panics (hostile input, issue 2 item 5).
#[test]
fn truncated_and_corrupted_samples_never_panic() {
    let (Some(wcd), Some(custom)) = (wcd_files(), customization_files()) else {
        return;
    };
    let mut errors = 0usize;
    for path in wcd.iter().chain(&custom) {
        let bytes = std::fs::read(path).unwrap();
        for n in 0..bytes.len() {
            if Document::parse(&bytes[..n]).is_err() {
                errors += 1;
            }
        }
        for (i, flip) in (0..bytes.len())
            .step_by(7)
            .zip([b'<', b'&', 0, 0xFF, b'"', b'>'].iter().cycle())
        {
            let mut m = bytes.clone();
            m[i] = *flip;
            let _ = Document::parse(&m);
        }
    }
    // Nearly every prefix is an error (a cut inside the root element is never well formed).
    assert!(errors > 10_000, "{errors}");
}
