//! DDF v2: load the ten real DDF files of `shared/reference/ddf/`, walk every node and compare
//! the counts of each property with counts taken from the XML text itself; resolve OMA-URIs;
//! check values; and feed hostile input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use csp_model::ddf::{
    AllowedValues, CaseSense, DdfErrorKind, DdfFile, DdfNode, DdfSet, DfFormat, DynamicNodeNaming,
    Occurrence, Operation, Scope, UriScope, ValueType, MAX_DEPTH,
};
use csp_model::validate::Code;
use proptest::prelude::*;

fn ddf_dir() -> Option<PathBuf> {
    ppkg_testdata::reference_file("ddf")
}

/// The XML text with CDATA sections and comments removed, so that markup quoted inside
/// descriptions (`<ProviderID>`, `<Data>`) is not counted.
fn markup_only(text: &str) -> String {
    let re = regex::Regex::new(r"(?s)<!\[CDATA\[.*?\]\]>|<!--.*?-->").expect("valid regex");
    re.replace_all(text, "").into_owned()
}

/// Counts elements named `name` (start or empty tags) in `markup`.
fn count(markup: &str, name: &str) -> usize {
    let re = regex::Regex::new(&format!(r"<{}[\s/>]", regex::escape(name))).expect("valid regex");
    re.find_iter(markup).count()
}

fn all_allowed_values(n: &DdfNode) -> Vec<&AllowedValues> {
    let mut out: Vec<&AllowedValues> = n.props.allowed_values.iter().collect();
    for g in &n.props.dependency_behavior {
        out.extend(g.changed_allowed_values.iter());
        for d in &g.dependencies {
            out.extend(d.allowed_value.iter());
        }
    }
    out
}

#[derive(Default, Debug, PartialEq)]
struct Counts(BTreeMap<String, usize>);

impl Counts {
    fn add(&mut self, key: &str, n: usize) {
        *self.0.entry(key.to_owned()).or_default() += n;
    }
}

/// Counts of every property, taken from the parsed model.
fn model_counts(file: &DdfFile) -> Counts {
    let mut c = Counts::default();
    for (_, n) in file.walk() {
        let p = &n.props;
        c.add("Node", 1);
        c.add("NodeName", 1);
        c.add("DFProperties", 1);
        c.add("dynamic", usize::from(n.is_dynamic()));
        c.add("Path", usize::from(n.path.is_some()));
        c.add("AccessType", 1);
        for a in p.access.names() {
            c.add(a, 1);
        }
        c.add("DefaultValue", usize::from(p.default_value.is_some()));
        c.add("Description", usize::from(p.description.is_some()));
        c.add("DFFormat", 1);
        c.add(p.format.name(), 1);
        if let Some(o) = &p.occurrence {
            c.add("Occurrence", 1);
            c.add(
                match o {
                    Occurrence::One => "One",
                    Occurrence::ZeroOrOne => "ZeroOrOne",
                    Occurrence::ZeroOrMore => "ZeroOrMore",
                    Occurrence::OneOrMore => "OneOrMore",
                    Occurrence::ZeroOrN(_) => "ZeroOrN",
                    Occurrence::OneOrN(_) => "OneOrN",
                    _ => "other-occurrence",
                },
                1,
            );
        }
        if let Some(s) = &p.scope {
            c.add("Scope", 1);
            c.add(
                match s {
                    Scope::Permanent => "Permanent",
                    Scope::Dynamic => "Dynamic",
                    _ => "other-scope",
                },
                1,
            );
        }
        c.add("DFTitle", usize::from(p.title.is_some()));
        c.add("DFType", 1);
        c.add("MIME", p.df_type.mime.len());
        c.add("DDFName", usize::from(p.df_type.ddf_name.is_some()));
        c.add("CaseSense", usize::from(p.case_sense.is_some()));
        match &p.case_sense {
            Some(CaseSense::Sensitive) => c.add("CS", 1),
            Some(CaseSense::Insensitive) => c.add("CIS", 1),
            Some(other) => panic!("unknown CaseSense {other:?}"),
            None => {}
        }
        if let Some(a) = &p.applicability {
            c.add("MSFT:Applicability", 1);
            c.add(
                "MSFT:OsBuildVersion",
                usize::from(a.os_build_version.is_some()),
            );
            c.add("MSFT:CspVersion", usize::from(a.csp_version.is_some()));
            c.add(
                "MSFT:EditionAllowList",
                usize::from(a.edition_allow_list.is_some()),
            );
            assert!(a.extra.is_empty(), "unknown applicability {:?}", a.extra);
        }
        if let Some(d) = &p.dynamic_node_naming {
            c.add("MSFT:DynamicNodeNaming", 1);
            c.add(
                match d {
                    DynamicNodeNaming::ServerGeneratedUniqueIdentifier => {
                        "MSFT:ServerGeneratedUniqueIdentifier"
                    }
                    DynamicNodeNaming::ClientInventory => "MSFT:ClientInventory",
                    DynamicNodeNaming::UniqueName(_) => "MSFT:UniqueName",
                    _ => "other-naming",
                },
                1,
            );
        }
        c.add(
            "MSFT:AllowedValues",
            usize::from(p.allowed_values.is_some()),
        );
        for av in all_allowed_values(n) {
            c.add(&format!("ValueType={:?}", av.value_type), 1);
            c.add("MSFT:Enum", av.enums.len());
            c.add(
                "MSFT:Value",
                av.enums.len() + usize::from(av.value.is_some()),
            );
            c.add(
                "MSFT:ValueDescription",
                av.enums.iter().filter(|e| e.description.is_some()).count()
                    + usize::from(av.value_description.is_some()),
            );
            c.add("MSFT:List", usize::from(av.list_delimiter.is_some()));
            assert!(
                av.extra.is_empty(),
                "unknown allowed-values parts {:?}",
                av.extra
            );
        }
        c.add(
            "MSFT:RebootBehavior",
            usize::from(p.reboot_behavior.is_some()),
        );
        c.add("MSFT:GpMapping", usize::from(p.gp_mapping.is_some()));
        c.add("MSFT:Deprecated", usize::from(p.deprecated.is_some()));
        c.add(
            "MSFT:DependencyBehavior",
            usize::from(!p.dependency_behavior.is_empty()),
        );
        c.add("MSFT:DependencyGroup", p.dependency_behavior.len());
        c.add(
            "MSFT:Dependency",
            p.dependency_behavior
                .iter()
                .map(|g| g.dependencies.len())
                .sum(),
        );
        c.add(
            "MSFT:ConflictResolution",
            usize::from(p.conflict_resolution.is_some()),
        );
        c.add("MSFT:AtomicRequired", usize::from(p.atomic_required));
        assert!(
            p.extra.is_empty(),
            "node {} has unknown properties {:?}",
            n.name,
            p.extra
        );
    }
    c
}

/// The same counts, taken from the XML text with regular expressions.
fn text_counts(markup: &str, keys: &Counts) -> Counts {
    let mut c = Counts::default();
    let dynamic =
        regex::Regex::new(r"<NodeName>\s*</NodeName>|<NodeName\s*/>").expect("valid regex");
    let value_type = regex::Regex::new(r#"ValueType="([^"]*)""#).expect("valid regex");
    for key in keys.0.keys() {
        let n = if key == "dynamic" {
            dynamic.find_iter(markup).count()
        } else if let Some(vt) = key.strip_prefix("ValueType=") {
            // ValueType attributes, matched on the Debug name of the typed variant.
            value_type
                .captures_iter(markup)
                .filter(|cap| format!("{:?}", ValueType::from_attr(&cap[1])) == vt)
                .count()
        } else {
            count(markup, key)
        };
        c.add(key, n);
    }
    c
}

#[test]
fn all_ten_ddf_files_load_and_every_property_count_matches_the_xml() {
    let Some(dir) = ddf_dir() else { return };
    let set = DdfSet::load_dir(&dir).unwrap();
    assert_eq!(set.len(), 10, "ten DDF files");
    let mut total_nodes = 0;
    let element = regex::Regex::new(r"<([A-Za-z][A-Za-z0-9:]*)[\s/>]").unwrap();
    for (path, file) in set.files() {
        let path = path.unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let markup = markup_only(&text);
        let model = model_counts(file);
        let from_text = text_counts(&markup, &model);
        assert_eq!(model, from_text, "{}", path.display());
        // And the other way round: no element kind of the XML is missing from the model.
        for cap in element.captures_iter(&markup) {
            let name = &cap[1];
            let structural = [
                "MgmtTree",
                "VerDTD",
                "MSFT:Diagnostics",
                "MSFT:DependencyUri",
                "MSFT:DependencyAllowedValue",
            ];
            assert!(
                model.0.contains_key(name)
                    || structural.contains(&name)
                    || !matches!(DfFormat::from_name(name), DfFormat::Other(_)),
                "{}: element <{name}> is not accounted for",
                path.display()
            );
        }
        assert_eq!(file.ver_dtd.as_deref(), Some("1.2"));
        assert!(file.extra.is_empty());
        total_nodes += model.0["Node"];
    }
    // 416 <Node> elements in the ten files (grep -c '<Node>' summed).
    assert_eq!(total_nodes, 416);
    assert_eq!(set.tree().node_count(), 416);
    assert!(
        set.tree().duplicates().is_empty(),
        "{:?}",
        set.tree().duplicates()
    );
}

fn load() -> Option<DdfSet> {
    Some(DdfSet::load_dir(ddf_dir()?).expect("reference DDF files load"))
}

#[test]
fn roots_are_keyed_by_full_uri_in_both_scopes() {
    let Some(set) = load() else { return };
    let roots: Vec<String> = set.tree().roots().map(|(u, _)| u).collect();
    for expected in [
        "./Device/Vendor/MSFT/ClientCertificateInstall",
        "./User/Vendor/MSFT/ClientCertificateInstall",
        "./Device/Vendor/MSFT/WiFi",
        "./User/Vendor/MSFT/WiFi",
        "./Device/Vendor/MSFT/ProvisioningCommands",
        "./Device/Vendor/MSFT/Policy/Config/Security",
        "./Device/Vendor/MSFT/Accounts",
        "./DevDetail",
    ] {
        assert!(
            roots.iter().any(|r| r == expected),
            "{expected} in {roots:?}"
        );
    }
    assert!(set.tree().root("./Vendor/MSFT/WiFi").is_some());
}

#[test]
fn resolves_dynamic_scoped_and_nested_uris() {
    let Some(set) = load() else { return };
    let tree = set.tree();

    let r = tree
        .resolve("./Device/Vendor/MSFT/WiFi/Profile/MyNet/WlanXml")
        .unwrap();
    assert_eq!(r.node.name, "WlanXml");
    assert_eq!(r.node.props.format, DfFormat::Chr);
    assert_eq!(r.root, "./Device/Vendor/MSFT/WiFi");
    assert_eq!(r.instances, vec![("<SSID>".to_owned(), "MyNet".to_owned())]);
    assert_eq!(r.chain.len(), 4);

    // Unscoped ./Vendor/MSFT means the device; %20 stays as written (field case B14).
    let r = tree
        .resolve("./Vendor/MSFT/WiFi/Profile/Lab%20Net/WlanXml")
        .unwrap();
    assert_eq!(r.uri.scope, UriScope::Device);
    assert_eq!(r.instances[0].1, "Lab%20Net");

    let r = tree
        .resolve("./User/Vendor/MSFT/WiFi/Profile/X/Proxy")
        .unwrap();
    assert_eq!(r.root, "./User/Vendor/MSFT/WiFi");

    // The ProvisioningCommands quirk: <Path> already ends in the node name.
    let r = tree
        .resolve("./Vendor/MSFT/ProvisioningCommands/PrimaryContext/Command/0/CommandLine")
        .unwrap();
    assert_eq!(r.node.name, "CommandLine");
    assert_eq!(r.instances.len(), 2);

    // Security_AreaDDF's root wins over Policy.xml's dynamic area; other areas fall back to it.
    let r = tree
        .resolve("./Device/Vendor/MSFT/Policy/Config/Security/RequireDeviceEncryption")
        .unwrap();
    assert_eq!(r.root, "./Device/Vendor/MSFT/Policy/Config/Security");
    assert!(r.node.props.allowed_values.is_some());
    let r = tree
        .resolve("./Device/Vendor/MSFT/Policy/Config/Browser/AllowCookies")
        .unwrap();
    assert_eq!(r.root, "./Device/Vendor/MSFT/Policy");
    assert!(r.node.is_dynamic());
    let r = tree
        .resolve("./Device/Vendor/MSFT/Policy/Config/Security/NotAPolicyOfThatFile")
        .unwrap();
    assert_eq!(r.root, "./Device/Vendor/MSFT/Policy");

    // DevDetail sits at "." and answers unscoped URIs.
    let r = tree
        .resolve("./DevDetail/Ext/Microsoft/DNSComputerName")
        .unwrap();
    assert_eq!(r.node.name, "DNSComputerName");
    // DependencyUri form (no "./").
    assert!(tree
        .resolve(
            "Device/Vendor/MSFT/DMClient/Provider/MS%20DM%20Server/ManagementServerAddressList"
        )
        .is_some());

    for missing in [
        "./Vendor/MSFT/WiFi/Nope",
        "./Vendor/MSFT/WiFi/Profile/X/WlanXml/TooDeep",
        "./Vendor/MSFT/NoSuchCsp",
        "./Vendor//MSFT",
        "./Device/Vendor/MSFT/Accounts/Users/u/Password/extra",
    ] {
        assert!(tree.resolve(missing).is_none(), "{missing}");
    }
    // Named children are case-sensitive (OMA-DM).
    assert!(tree
        .resolve("./Vendor/MSFT/wifi/Profile/X/WlanXml")
        .is_none());
}

#[test]
fn checks_values_against_ranges_enums_flags_regex_and_access() {
    let Some(set) = load() else { return };
    let tree = set.tree();
    let retry = tree
        .resolve("./Device/Vendor/MSFT/ClientCertificateInstall/SCEP/id1/Install/RetryCount")
        .unwrap();
    assert!(retry.check_value("3", Operation::Add, None).is_empty());
    let d = retry.check_value("31", Operation::Add, None);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::OutOfRange);
    assert!(d[0].message.contains("[0-30]"), "{}", d[0].message);
    assert!(d[0].path.ends_with("/Install/RetryCount"));
    assert_eq!(
        retry.check_value("x", Operation::Add, None)[0].code,
        Code::WrongType
    );

    // DevDetail nodes are Get-only.
    let dns = tree.resolve("./DevDetail/SwV").unwrap();
    let d = dns.check_value("1", Operation::Replace, None);
    assert_eq!(d[0].code, Code::AccessDenied);
    assert!(dns.check_value("", Operation::Get, None).is_empty());

    // Every ENUM node accepts each listed value and rejects a foreign one; same for Flag,
    // RegEx and Range, over all ten files.
    let mut checked = BTreeMap::<&str, usize>::new();
    for (_, file) in set.files() {
        for (_, n) in file.walk() {
            let Some(av) = &n.props.allowed_values else {
                continue;
            };
            let op = if n.props.access.replace {
                Operation::Replace
            } else if n.props.access.add {
                Operation::Add
            } else {
                continue;
            };
            match av.value_type {
                ValueType::Enum if !av.enums.is_empty() => {
                    for e in &av.enums {
                        let d = n.check_value(&e.value, op);
                        assert!(
                            d.iter().all(|d| d.code == Code::Deprecated),
                            "{}: {:?}",
                            n.name,
                            d
                        );
                    }
                    let d = n.check_value("zz-not-listed", op);
                    let codes: Vec<Code> = d.iter().map(|d| d.code).collect();
                    assert!(
                        codes.contains(&Code::EnumNotAllowed) || codes.contains(&Code::WrongType),
                        "{}: {codes:?}",
                        n.name
                    );
                    *checked.entry("enum").or_default() += 1;
                }
                ValueType::Flag => {
                    assert!(n.check_value("0x1", op).is_empty());
                    let d = n.check_value("0x100000", op);
                    assert_eq!(d[0].code, Code::EnumNotAllowed, "{d:?}");
                    *checked.entry("flag").or_default() += 1;
                }
                ValueType::RegEx => {
                    // DMClient SyncApplicationVersion: ^(\d\.)?(\d)$
                    assert!(n.check_value("1.2", op).is_empty());
                    assert_eq!(n.check_value("12", op)[0].code, Code::PatternMismatch);
                    *checked.entry("regex").or_default() += 1;
                }
                ValueType::Range => {
                    let b = csp_model::ddf::RangeBound::parse_list(av.value.as_deref().unwrap())
                        .unwrap();
                    assert!(n.check_value(&b[0].min.to_string(), op).is_empty());
                    assert!(n.check_value(&b[0].max.to_string(), op).is_empty());
                    let over = n.check_value(&(b[0].max + 1).to_string(), op);
                    assert!(
                        over.iter()
                            .any(|d| matches!(d.code, Code::OutOfRange | Code::WrongType)),
                        "{}: {over:?}",
                        n.name
                    );
                    *checked.entry("range").or_default() += 1;
                }
                _ => {}
            }
        }
    }
    assert!(checked["enum"] >= 20, "{checked:?}");
    assert_eq!(checked["flag"], 1, "{checked:?}");
    assert_eq!(checked["regex"], 1, "{checked:?}");
    assert_eq!(checked["range"], 7, "{checked:?}");
}

#[test]
fn tree_check_reports_unknown_nodes_and_hides_secrets() {
    let Some(set) = load() else { return };
    let tree = set.tree();
    let d = tree.check("./Vendor/MSFT/WiFi/Nope", "x", Operation::Replace, None);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::UnknownNode);
    assert_eq!(d[0].path, "./Vendor/MSFT/WiFi/Nope");
    assert!(tree
        .check(
            "./Vendor/MSFT/WiFi/Profile/Lab%20Net/WlanXml",
            "<WLANProfile/>",
            Operation::Add,
            None
        )
        .is_empty());
    // A value of a password node never shows in a message.
    let d = tree.check(
        "./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/c1/PFXCertPassword",
        "hunter2",
        Operation::Exec,
        None,
    );
    assert_eq!(d[0].code, Code::AccessDenied, "{d:?}");
    assert!(d.iter().all(|d| !d.message.contains("hunter2")));
    let d = tree.check(
        "./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/c1/PFXCertPasswordEncryptionType",
        "hunter2",
        Operation::Replace,
        None,
    );
    assert!(!d.is_empty());
    assert!(d.iter().all(|d| !d.message.contains("hunter2")), "{d:?}");
}

#[test]
fn list_delimiter_and_properties_are_typed() {
    let Some(set) = load() else { return };
    let mut delimiters = Vec::new();
    let mut deprecated = 0;
    for (_, file) in set.files() {
        for (_, n) in file.walk() {
            if let Some(d) = n
                .props
                .allowed_values
                .as_ref()
                .and_then(|a| a.list_delimiter())
            {
                delimiters.push(d);
            }
            if let Some(d) = &n.props.deprecated {
                assert_eq!(d.os_build_deprecated.as_deref(), Some("10.0.22000"));
                deprecated += 1;
            }
        }
    }
    assert_eq!(delimiters.len(), 13);
    assert!(delimiters.contains(&"\u{f000}".to_owned()));
    assert!(delimiters.contains(&";".to_owned()));
    assert_eq!(deprecated, 2);

    let wifi = set.tree().root("./Device/Vendor/MSFT/WiFi").unwrap();
    let app = wifi.props.applicability.as_ref().unwrap();
    assert_eq!(app.os_build_version.as_deref(), Some("10.0.10586"));
    assert!(app.allows_sku(0x30)); // Pro
    assert!(app.allows_sku(0x65)); // Core (Home)
    assert!(!app.allows_sku(0x7)); // Server Standard is not listed
}

#[test]
fn parse_errors_carry_positions_and_hostile_input_is_refused() {
    // Entities declared in a DOCTYPE are never expanded.
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE MgmtTree [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<MgmtTree><VerDTD>&b;</VerDTD></MgmtTree>"#;
    let e = DdfFile::parse(bomb).unwrap_err();
    assert!(matches!(e.kind, DdfErrorKind::Malformed(_)), "{e}");
    assert_eq!(e.pos.unwrap().line, 3, "{e}");

    let deep = format!(
        "<MgmtTree>{}{}</MgmtTree>",
        "<a>".repeat(MAX_DEPTH + 5),
        "</a>".repeat(MAX_DEPTH + 5)
    );
    let e = DdfFile::parse(deep.as_bytes()).unwrap_err();
    assert!(matches!(e.kind, DdfErrorKind::TooDeep { .. }), "{e}");

    let e = DdfFile::parse(b"<MgmtTree>\n  <Node>\n</MgmtTree>").unwrap_err();
    assert!(matches!(e.kind, DdfErrorKind::Malformed(_)), "{e}");
    assert!(e.to_string().starts_with("3:"), "{e}");

    let e = DdfFile::parse(b"\xff\xfe<\0M\0").unwrap_err();
    assert!(matches!(e.kind, DdfErrorKind::Encoding(_)), "{e}");
    let e = DdfFile::parse(b"<MgmtTree>\n\xc3\x28</MgmtTree>").unwrap_err();
    assert!(e.to_string().starts_with("2:1:"), "{e}");

    let e = DdfFile::parse(b"<Other/>").unwrap_err();
    assert!(matches!(e.kind, DdfErrorKind::NotMgmtTree { .. }), "{e}");
    let e = DdfFile::parse(b"<MgmtTree>\n<Node><DFProperties/></Node></MgmtTree>").unwrap_err();
    assert!(e.to_string().contains("lacks <NodeName>"), "{e}");
    assert_eq!(e.pos.unwrap().line, 2);
    let e = DdfFile::parse(
        b"<MgmtTree><Node><NodeName>a</NodeName><DFProperties><Occurrence><ZeroOrN>many</ZeroOrN></Occurrence></DFProperties></Node></MgmtTree>",
    )
    .unwrap_err();
    assert!(matches!(e.kind, DdfErrorKind::InvalidValue { .. }), "{e}");
}

#[test]
fn unknown_properties_are_kept_raw() {
    let xml = br#"<MgmtTree xmlns:MSFT="m"><Node><NodeName>A</NodeName><Path>./Vendor/MSFT</Path>
<DFProperties><AccessType><Get/></AccessType><DFFormat><chr/></DFFormat>
<Occurrence><OneOrN>5</OneOrN></Occurrence><DFType><MIME>text/plain</MIME></DFType>
<MSFT:NewThing Attr="1">hello<MSFT:Sub/></MSFT:NewThing></DFProperties></Node></MgmtTree>"#;
    let f = DdfFile::parse(xml).unwrap();
    let p = &f.nodes[0].props;
    assert_eq!(p.occurrence, Some(Occurrence::OneOrN(5)));
    assert_eq!(p.df_type.mime, vec!["text/plain".to_owned()]);
    assert_eq!(p.extra.len(), 1);
    assert_eq!(p.extra[0].name, "MSFT:NewThing");
    assert_eq!(p.extra[0].attr("Attr"), Some("1"));
    assert_eq!(p.extra[0].text, "hello");
    assert_eq!(p.extra[0].children[0].local_name(), "Sub");
    assert_eq!(p.extra[0].pos.line, 4);
}

#[test]
fn load_dir_names_the_failing_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.xml"), b"<MgmtTree><Node>").unwrap();
    let e = DdfSet::load_dir(dir.path()).unwrap_err();
    assert!(e.to_string().contains("a.xml:1:"), "{e}");
    let e = DdfSet::load_dir(Path::new("/nonexistent/ddf")).unwrap_err();
    assert!(matches!(e.kind, DdfErrorKind::Io(_)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = DdfFile::parse(&bytes);
    }

    #[test]
    fn truncated_real_files_never_panic(cut in 0usize..20_000) {
        let Some(dir) = ddf_dir() else { return Ok(()) };
        let bytes = std::fs::read(dir.join("WiFi.xml")).unwrap();
        let cut = cut.min(bytes.len());
        if let Err(e) = DdfFile::parse(&bytes[..cut]) {
            prop_assert!(e.pos.is_some(), "{e}");
        }
    }
}

/// Every node of every root resolves from its own URI (dynamic segments named `x1`) back to
/// itself: 416 nodes, both scopes.
#[test]
fn every_node_resolves_from_its_own_uri() {
    let Some(set) = load() else { return };
    let tree = set.tree();
    let mut checked = 0;
    for (root_uri, root) in tree.roots() {
        let mut stack: Vec<(String, &DdfNode)> = vec![(root_uri.clone(), root)];
        while let Some((uri, node)) = stack.pop() {
            let r = tree
                .resolve(&uri)
                .unwrap_or_else(|| panic!("{uri} does not resolve"));
            assert!(std::ptr::eq(r.node, node), "{uri} resolved to another node");
            assert_eq!(r.root, root_uri, "{uri}");
            assert_eq!(
                r.instances.len(),
                r.chain.iter().filter(|n| n.is_dynamic()).count()
            );
            checked += 1;
            for c in &node.children {
                let seg = if c.is_dynamic() {
                    "x1"
                } else {
                    c.name.as_str()
                };
                stack.push((format!("{uri}/{seg}"), c));
            }
        }
    }
    assert_eq!(checked, 416);
}
