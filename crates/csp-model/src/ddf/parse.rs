//! DDF parsing in two steps: quick-xml events → a generic element tree ([`RawProperty`], with
//! positions and limits) → the typed model.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::error::{DdfError, DdfErrorKind};
use super::model::{
    AccessType, AdmxBacked, AllowedValues, Applicability, CaseSense, ConflictResolution, DdfFile,
    DdfNode, Dependency, DependencyGroup, DependencyType, Deprecated, DfFormat, DfProperties,
    DfType, DynamicNodeNaming, EnumValue, GpMapping, Occurrence, RawProperty, RebootBehavior,
    ReplaceBehavior, Scope, SourcePos,
};
use super::{MAX_DEPTH, MAX_ELEMENTS};

/// Maps byte offsets to [`SourcePos`]: `ppkg_format::xml::LineIndex` (linear on one-line
/// files), in this module's position type.
pub(crate) struct LineIndex<'a>(ppkg_format::xml::LineIndex<'a>);

impl<'a> LineIndex<'a> {
    /// `base` is added to every offset (the length of a stripped byte-order mark).
    pub(crate) fn new(text: &'a str, base: usize) -> Self {
        Self(ppkg_format::xml::LineIndex::new(text, base))
    }

    pub(crate) fn pos(&self, offset: usize) -> SourcePos {
        let p = self.0.pos(offset);
        SourcePos {
            line: p.line,
            column: p.column,
            offset: usize::try_from(p.offset).unwrap_or(usize::MAX),
        }
    }
}

/// Decodes the input to text: UTF-8 with an optional byte-order mark. Returns the text and the
/// number of bytes skipped.
pub(crate) fn decode_utf8(bytes: &[u8]) -> Result<(&str, usize), DdfError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(DdfError::new(
            DdfErrorKind::Encoding("UTF-16 byte-order mark; DDF files are UTF-8".into()),
            Some(SourcePos {
                line: 1,
                column: 1,
                offset: 0,
            }),
        ));
    }
    let (body, base) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (rest, 3),
        None => (bytes, 0),
    };
    match std::str::from_utf8(body) {
        Ok(s) => Ok((s, base)),
        Err(e) => {
            let good = e.valid_up_to();
            // The prefix is valid UTF-8 by construction.
            let prefix = std::str::from_utf8(&body[..good]).unwrap_or("");
            let pos = LineIndex::new(prefix, base).pos(good);
            Err(DdfError::new(
                DdfErrorKind::Encoding(format!("invalid UTF-8 at byte {}", good + base)),
                Some(pos),
            ))
        }
    }
}

/// Reads XML text into one root [`RawProperty`], enforcing the depth and element limits. The
/// DOCTYPE, comments and processing instructions are skipped; no entity is expanded.
pub(crate) fn read_tree(text: &str, lines: &LineIndex<'_>) -> Result<RawProperty, DdfError> {
    let mut reader = Reader::from_str(text);
    let cfg = reader.config_mut();
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;

    let mut stack: Vec<RawProperty> = Vec::new();
    let mut root: Option<RawProperty> = None;
    let mut count = 0usize;
    let to_usize = |p: u64| usize::try_from(p).unwrap_or(usize::MAX);
    let malformed =
        |msg: String, at: usize| DdfError::new(DdfErrorKind::Malformed(msg), Some(lines.pos(at)));

    loop {
        let start = to_usize(reader.buffer_position());
        let event = reader
            .read_event()
            .map_err(|e| malformed(e.to_string(), to_usize(reader.error_position())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(DdfError::new(
                        DdfErrorKind::TooManyElements {
                            limit: MAX_ELEMENTS,
                        },
                        Some(lines.pos(start)),
                    ));
                }
                if root.is_some() {
                    return Err(malformed("content after the root element".into(), start));
                }
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let mut attributes = Vec::new();
                for (i, a) in e.attributes().enumerate() {
                    if i >= ppkg_format::xml::MAX_ATTRIBUTES {
                        return Err(malformed(
                            format!(
                                "more than {} attributes on one element",
                                ppkg_format::xml::MAX_ATTRIBUTES
                            ),
                            start,
                        ));
                    }
                    let a = a.map_err(|err| malformed(err.to_string(), start))?;
                    let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                    let value = a
                        .unescape_value()
                        .map_err(|err| malformed(format!("attribute {key}: {err}"), start))?
                        .into_owned();
                    attributes.push((key, value));
                }
                let el = RawProperty {
                    name,
                    attributes,
                    text: String::new(),
                    children: Vec::new(),
                    pos: lines.pos(start),
                };
                if matches!(event, Event::Start(_)) {
                    if stack.len() >= MAX_DEPTH {
                        return Err(DdfError::new(
                            DdfErrorKind::TooDeep { limit: MAX_DEPTH },
                            Some(lines.pos(start)),
                        ));
                    }
                    stack.push(el);
                } else {
                    attach(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                if let Some(el) = stack.pop() {
                    attach(&mut stack, &mut root, el);
                }
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|err| malformed(err.to_string(), start))?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(malformed("text outside the root element".into(), start)),
                }
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c)
                    .map_err(|err| malformed(err.to_string(), start))?
                    .to_owned();
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&s),
                    None => return Err(malformed("CDATA outside the root element".into(), start)),
                }
            }
            Event::Eof => break,
            // Declaration, DOCTYPE (never expanded), comments, processing instructions.
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(DdfError::new(
            DdfErrorKind::Malformed(format!("<{}> is not closed", open.name)),
            Some(open.pos),
        ));
    }
    root.ok_or_else(|| malformed("no root element".into(), text.len()))
}

fn attach(stack: &mut [RawProperty], root: &mut Option<RawProperty>, el: RawProperty) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

pub(crate) fn parse_file(bytes: &[u8]) -> Result<DdfFile, DdfError> {
    let (text, base) = decode_utf8(bytes)?;
    let lines = LineIndex::new(text, base);
    let root = read_tree(text, &lines)?;
    if root.local_name() != "MgmtTree" {
        return Err(DdfError::new(
            DdfErrorKind::NotMgmtTree {
                found: root.name.clone(),
            },
            Some(root.pos),
        ));
    }
    let mut file = DdfFile::default();
    for child in root.children {
        match child.local_name() {
            "VerDTD" => file.ver_dtd = Some(child.text.trim().to_owned()),
            "Diagnostics" => file.diagnostics = Some(child.text),
            "Node" => file.nodes.push(node(child)?),
            _ => file.extra.push(child),
        }
    }
    Ok(file)
}

fn node(el: RawProperty) -> Result<DdfNode, DdfError> {
    let pos = el.pos;
    let mut name = None;
    let mut path = None;
    let mut props = None;
    let mut children = Vec::new();
    let mut extra = Vec::new();
    for c in el.children {
        match c.local_name() {
            "NodeName" => name = Some(c.text.trim().to_owned()),
            "Path" => path = Some(c.text.trim().to_owned()),
            "DFProperties" => props = Some(properties(c)?),
            "Node" => children.push(node(c)?),
            // DDFv2.xsd allows nothing else in <Node>; keep it rather than lose it.
            _ => extra.push(c),
        }
    }
    let missing = |element| {
        DdfError::new(
            DdfErrorKind::Missing {
                parent: "Node",
                element,
            },
            Some(pos),
        )
    };
    let mut props = props.ok_or_else(|| missing("DFProperties"))?;
    props.extra.extend(extra);
    Ok(DdfNode {
        name: name.ok_or_else(|| missing("NodeName"))?,
        path,
        props,
        children,
        pos,
    })
}

/// The local name of the first child element (`<DFFormat><chr/></DFFormat>` → `chr`).
fn first_child_name(el: &RawProperty) -> Option<String> {
    el.children.first().map(|c| c.local_name().to_owned())
}

fn properties(el: RawProperty) -> Result<DfProperties, DdfError> {
    let mut p = DfProperties::default();
    for c in el.children {
        match c.local_name() {
            "AccessType" => p.access = access(&c),
            "DefaultValue" => p.default_value = Some(c.text),
            "Description" => p.description = Some(c.text),
            "DFFormat" => {
                p.format = first_child_name(&c)
                    .map(|n| DfFormat::from_name(&n))
                    .unwrap_or_else(|| DfFormat::Other(c.text.trim().to_owned()));
            }
            "Occurrence" => p.occurrence = Some(occurrence(&c)?),
            "Scope" => {
                p.scope = Some(match first_child_name(&c).as_deref() {
                    Some("Permanent") => Scope::Permanent,
                    Some("Dynamic") => Scope::Dynamic,
                    Some(other) => Scope::Other(other.to_owned()),
                    None => Scope::Other(c.text.trim().to_owned()),
                });
            }
            "DFTitle" => p.title = Some(c.text),
            "DFType" => {
                let mut t = DfType::default();
                for m in &c.children {
                    match m.local_name() {
                        "MIME" => t.mime.push(m.text.trim().to_owned()),
                        "DDFName" => t.ddf_name = Some(m.text.trim().to_owned()),
                        _ => p.extra.push(m.clone()),
                    }
                }
                p.df_type = t;
            }
            "CaseSense" => {
                p.case_sense = Some(match first_child_name(&c).as_deref() {
                    Some("CS") => CaseSense::Sensitive,
                    Some("CIS") => CaseSense::Insensitive,
                    Some(other) => CaseSense::Other(other.to_owned()),
                    None => CaseSense::Other(c.text.trim().to_owned()),
                });
            }
            "Applicability" => p.applicability = Some(applicability(c)),
            "DynamicNodeNaming" => {
                p.dynamic_node_naming =
                    c.children.into_iter().next().map(|n| match n.local_name() {
                        "ServerGeneratedUniqueIdentifier" => {
                            DynamicNodeNaming::ServerGeneratedUniqueIdentifier
                        }
                        "ClientInventory" => DynamicNodeNaming::ClientInventory,
                        "UniqueName" => DynamicNodeNaming::UniqueName(n.text),
                        other => DynamicNodeNaming::Other(other.to_owned()),
                    });
            }
            "AllowedValues" => p.allowed_values = Some(allowed_values(c)),
            "ReplaceBehavior" => {
                p.replace_behavior = Some(match c.text.trim() {
                    "Append" => ReplaceBehavior::Append,
                    "Replace" => ReplaceBehavior::Replace,
                    other => ReplaceBehavior::Other(other.to_owned()),
                });
            }
            "RebootBehavior" => {
                p.reboot_behavior = Some(match c.text.trim() {
                    "None" => RebootBehavior::None,
                    "Automatic" => RebootBehavior::Automatic,
                    "ServerInitiated" => RebootBehavior::ServerInitiated,
                    other => RebootBehavior::Other(other.to_owned()),
                });
            }
            "GpMapping" => {
                p.gp_mapping = Some(GpMapping {
                    gp_english_name: c.attr("GpEnglishName").unwrap_or_default().to_owned(),
                    gp_area_path: c.attr("GpAreaPath").unwrap_or_default().to_owned(),
                    gp_element: c.attr("GpElement").map(str::to_owned),
                });
            }
            "CommonErrorResults" => {
                p.common_error_results = c
                    .children
                    .into_iter()
                    .map(|e| (e.local_name().to_owned(), e.text))
                    .collect();
            }
            "Deprecated" => {
                p.deprecated = Some(Deprecated {
                    os_build_deprecated: c.attr("OsBuildDeprecated").map(str::to_owned),
                });
            }
            "DependencyBehavior" => {
                p.dependency_behavior = c.children.into_iter().map(dependency_group).collect();
            }
            "ConflictResolution" => {
                p.conflict_resolution = Some(match c.text.trim() {
                    "NoMerge" => ConflictResolution::NoMerge,
                    "LowestValueMostSecure" => ConflictResolution::LowestValueMostSecure,
                    "HighestValueMostSecure" => ConflictResolution::HighestValueMostSecure,
                    "LastWrite" => ConflictResolution::LastWrite,
                    "LowestValueMostSecureZeroHasNoLimits" => {
                        ConflictResolution::LowestValueMostSecureZeroHasNoLimits
                    }
                    "HighestValueMostSecureZeroHasNoLimits" => {
                        ConflictResolution::HighestValueMostSecureZeroHasNoLimits
                    }
                    other => ConflictResolution::Other(other.to_owned()),
                });
            }
            "AtomicRequired" => p.atomic_required = true,
            _ => p.extra.push(c),
        }
    }
    Ok(p)
}

fn access(el: &RawProperty) -> AccessType {
    let mut a = AccessType::default();
    for c in &el.children {
        match c.local_name() {
            "Add" => a.add = true,
            "Copy" => a.copy = true,
            "Delete" => a.delete = true,
            "Exec" => a.exec = true,
            "Get" => a.get = true,
            "Replace" => a.replace = true,
            _ => {}
        }
    }
    a
}

fn occurrence(el: &RawProperty) -> Result<Occurrence, DdfError> {
    let Some(c) = el.children.first() else {
        return Ok(Occurrence::Other(el.text.trim().to_owned()));
    };
    let n = |c: &RawProperty| {
        c.text.trim().parse::<u64>().map_err(|_| {
            DdfError::new(
                DdfErrorKind::InvalidValue {
                    element: c.name.clone(),
                    value: c.text.chars().take(80).collect(),
                    reason: "not a non-negative integer",
                },
                Some(c.pos),
            )
        })
    };
    Ok(match c.local_name() {
        "One" => Occurrence::One,
        "ZeroOrOne" => Occurrence::ZeroOrOne,
        "ZeroOrMore" => Occurrence::ZeroOrMore,
        "OneOrMore" => Occurrence::OneOrMore,
        "ZeroOrN" => Occurrence::ZeroOrN(n(c)?),
        "OneOrN" => Occurrence::OneOrN(n(c)?),
        other => Occurrence::Other(other.to_owned()),
    })
}

fn applicability(el: RawProperty) -> Applicability {
    let mut a = Applicability::default();
    for c in el.children {
        match c.local_name() {
            "OsBuildVersion" => a.os_build_version = Some(c.text.trim().to_owned()),
            "CspVersion" => a.csp_version = Some(c.text.trim().to_owned()),
            "EditionAllowList" => a.edition_allow_list = Some(c.text.trim().to_owned()),
            "RequiresAzureAd" => a.requires_azure_ad = true,
            _ => a.extra.push(c),
        }
    }
    a
}

pub(crate) fn allowed_values(el: RawProperty) -> AllowedValues {
    let mut v = AllowedValues {
        value_type: super::model::ValueType::from_attr(el.attr("ValueType").unwrap_or("None")),
        ..AllowedValues::default()
    };
    for (k, val) in &el.attributes {
        if k.rsplit(':').next() != Some("ValueType") && !k.starts_with("xmlns") {
            v.extra.push(RawProperty {
                name: format!("@{k}"),
                text: val.clone(),
                pos: el.pos,
                ..RawProperty::default()
            });
        }
    }
    for c in el.children {
        match c.local_name() {
            "Enum" => {
                let mut e = EnumValue::default();
                for x in c.children {
                    match x.local_name() {
                        "Value" => e.value = x.text,
                        "ValueDescription" => e.description = Some(x.text),
                        _ => v.extra.push(x),
                    }
                }
                v.enums.push(e);
            }
            "Value" => v.value = Some(c.text),
            "ValueDescription" => v.value_description = Some(c.text),
            "AdmxBacked" => {
                v.admx_backed = Some(AdmxBacked {
                    area: c.attr("Area").unwrap_or_default().to_owned(),
                    name: c.attr("Name").unwrap_or_default().to_owned(),
                    file: c.attr("File").unwrap_or_default().to_owned(),
                });
            }
            "List" => v.list_delimiter = Some(c.attr("Delimiter").unwrap_or_default().to_owned()),
            _ => v.extra.push(c),
        }
    }
    v
}

fn dependency_group(el: RawProperty) -> DependencyGroup {
    let mut g = DependencyGroup {
        friendly_id: el.attr("FriendlyId").unwrap_or_default().to_owned(),
        ..DependencyGroup::default()
    };
    for c in el.children {
        match c.local_name() {
            "DependencyChangedAllowedValues" => {
                g.changed_allowed_values = Some(allowed_values(c));
            }
            "Dependency" => {
                let kind = match c.attr("Type") {
                    Some("DependsOn") | None => DependencyType::DependsOn,
                    Some("Not") => DependencyType::Not,
                    Some(other) => DependencyType::Other(other.to_owned()),
                };
                let mut d = Dependency {
                    kind,
                    ..Dependency::default()
                };
                for x in c.children {
                    match x.local_name() {
                        "DependencyUri" => d.uri = x.text.trim().to_owned(),
                        "DependencyAllowedValue" => d.allowed_value = Some(allowed_values(x)),
                        _ => {}
                    }
                }
                g.dependencies.push(d);
            }
            _ => {}
        }
    }
    g
}
