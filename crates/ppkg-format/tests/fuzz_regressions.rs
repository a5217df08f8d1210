//! Inputs that crashed a fuzz target (`fuzz/`), kept as regression tests: each file in
//! `tests/fuzz-regressions/` is named `<target>-<first 8 hex digits of its SHA-1>.bin` and is
//! run through the same property as that target.

use std::path::PathBuf;

use std::io::{Cursor, Read};

use ppkg_format::answer::AnswerFile;
use ppkg_format::wim::WimReader;
use ppkg_format::xml::Document;

/// The `answer_roundtrip` property: whatever parses must parse again from our own output, and
/// writing is a fixed point after one round trip.
fn answer_roundtrip(data: &[u8]) {
    let Ok(answer) = AnswerFile::parse(data) else {
        return;
    };
    let written = answer.to_bytes();
    let again = AnswerFile::parse(&written).expect("our own output parses");
    assert_eq!(again.to_bytes(), written, "writing is a fixed point");
}

/// The `wim_read` property: opening and reading every file (first 4 MiB each) returns errors,
/// never panics (the fuzz build runs with overflow checks, as debug tests do).
fn wim_read(data: &[u8]) {
    let Ok(mut r) = WimReader::new(Cursor::new(data)) else {
        return;
    };
    for e in r.entries().to_vec() {
        if e.is_dir {
            continue;
        }
        if let Ok(f) = r.open(&e) {
            let mut sink = Vec::new();
            let _ = f.take(4 << 20).read_to_end(&mut sink);
        }
    }
}

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz-regressions")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{target}-")))
        })
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn wim_read_crashes() {
    let cases = inputs("wim_read");
    assert!(!cases.is_empty(), "regression inputs are present");
    for (path, data) in cases {
        eprintln!("{}", path.display());
        wim_read(&data);
        // The overflowing resource is reported, not accepted.
        assert!(
            WimReader::new(Cursor::new(&data)).is_err(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn answer_roundtrip_crashes() {
    let cases = inputs("answer_roundtrip");
    assert!(!cases.is_empty(), "regression inputs are present");
    for (path, data) in cases {
        eprintln!("{}", path.display());
        answer_roundtrip(&data);
    }
}

/// The crash reduced: quick-xml reads `<\r\r/>` as an element with an empty name, which the
/// writer turned into `<>`…`</>`; such names are now refused with their position.
#[test]
fn empty_and_invalid_element_names_are_refused() {
    for (xml, line) in [
        ("<a>\r\n<\r\r/></a>", 2),
        ("<a>\n  <1b/></a>", 2),
        ("<a><b -x=\"1\"/></a>", 1),
    ] {
        let e = Document::parse(xml.as_bytes()).expect_err(xml);
        let shown = e.to_string();
        assert!(shown.contains("XML"), "{xml:?}: {shown}");
        assert!(
            shown.contains(&format!("line {line}")) || shown.contains(&format!("{line}:")),
            "{xml:?}: {shown}"
        );
    }
    // Names with digits, dots, dashes, colons and non-ASCII letters stay valid.
    Document::parse("<a><b.c-d:e_1 x.y=\"1\"/><Ünïcode/></a>".as_bytes()).expect("valid names");
}

/// The second `answer_roundtrip` crash reduced: under `encoding="ascii"` a character reference
/// must be written back as a reference, not as raw UTF-8.
#[test]
fn ascii_declared_documents_stay_ascii() {
    let xml = "<?xml version=\"1.0\" encoding=\"ascii\"?><a b=\"&#xE9;\">caf&#xE9; &#x1F600;</a>";
    let doc = Document::parse(xml.as_bytes()).expect("parses");
    assert_eq!(doc.root.text(), "café 😀");
    let (doc, style) = Document::parse_with_style(xml.as_bytes()).expect("parses");
    let out = doc.to_bytes(&style);
    assert!(out.is_ascii(), "{}", String::from_utf8_lossy(&out));
    let again = Document::parse(&out).expect("our output parses");
    assert_eq!(again.root.text(), "café 😀");
    assert_eq!(again.root.attr("b"), Some("é"));
}
