//! The typed DDF model: one struct or enum per element of `DDFv2.xsd` / `DDFv2Msft.xsd`.
//!
//! Enumerated properties carry an `Other(String)` variant so that a value outside the schema
//! (newer DDF files add some) is kept, not lost.

use std::path::Path;

use super::error::{DdfError, DdfErrorKind};

/// A place in a source file: 1-based line and column (column counted in characters) and the
/// 0-based byte offset.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct SourcePos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters (Unicode scalar values).
    pub column: u32,
    /// 0-based byte offset in the input.
    pub offset: usize,
}

/// One DDF file: `<MgmtTree>` with its `<VerDTD>`, optional `<MSFT:Diagnostics>` and top-level
/// `<Node>`s (`DDFv2.xsd`, element `MgmtTree`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DdfFile {
    /// `<VerDTD>` text, e.g. `1.2`.
    pub ver_dtd: Option<String>,
    /// `<MSFT:Diagnostics>` text (usually empty).
    pub diagnostics: Option<String>,
    /// The top-level nodes, each with a `<Path>` (the CSP roots; a file may have a `./User` and a
    /// `./Device` copy of the same CSP).
    pub nodes: Vec<DdfNode>,
    /// Unknown children of `<MgmtTree>`, kept as they are.
    pub extra: Vec<RawProperty>,
}

impl DdfFile {
    /// Parses one DDF file from its bytes (UTF-8, optionally with a byte-order mark).
    ///
    /// # Errors
    /// [`DdfError`] with the line and column when the bytes are not UTF-8, the XML is not well
    /// formed or hits a limit ([`super::MAX_DEPTH`], [`super::MAX_ELEMENTS`]), the root is not
    /// `<MgmtTree>`, a `<Node>` lacks `<NodeName>`/`<DFProperties>`, or a numeric property
    /// (`ZeroOrN`, `OneOrN`) is not a number.
    pub fn parse(bytes: &[u8]) -> Result<Self, DdfError> {
        super::parse::parse_file(bytes)
    }

    /// Reads and parses one DDF file from disk (see [`DdfFile::parse`]); errors name the file.
    ///
    /// # Errors
    /// As [`DdfFile::parse`], plus [`DdfErrorKind::Io`] when the file cannot be read.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DdfError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| DdfError::new(DdfErrorKind::Io(e), None).with_file(path))?;
        Self::parse(&bytes).map_err(|e| e.with_file(path))
    }

    /// Every node of the file, depth first (parents before children), with its depth (top-level
    /// nodes have depth 0).
    pub fn walk(&self) -> Vec<(usize, &DdfNode)> {
        let mut out = Vec::new();
        for n in &self.nodes {
            n.walk_into(0, &mut out);
        }
        out
    }
}

/// One `<Node>`: its name, optional `<Path>`, properties and child nodes (`DDFv2.xsd`, element
/// `Node`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DdfNode {
    /// `<NodeName>` text; empty for an unnamed (dynamic, "interior") node whose name the server
    /// or client chooses (see [`DfProperties::dynamic_node_naming`]).
    pub name: String,
    /// `<Path>`: the URI of the parent, given on top-level nodes (e.g. `./Device/Vendor/MSFT`).
    pub path: Option<String>,
    /// `<DFProperties>`.
    pub props: DfProperties,
    /// Child `<Node>`s in document order.
    pub children: Vec<DdfNode>,
    /// Where the `<Node>` element starts.
    pub pos: SourcePos,
}

impl DdfNode {
    /// Whether this node is unnamed (`<NodeName/>` empty), so any URI segment names an instance.
    pub fn is_dynamic(&self) -> bool {
        self.name.is_empty()
    }

    /// The child named `name` (exact, case-sensitive as OMA-DM URIs are), if any.
    pub fn child(&self, name: &str) -> Option<&DdfNode> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The node and all its descendants, depth first, with depths relative to `self` (0).
    pub fn walk(&self) -> Vec<(usize, &DdfNode)> {
        let mut out = Vec::new();
        self.walk_into(0, &mut out);
        out
    }

    fn walk_into<'a>(&'a self, depth: usize, out: &mut Vec<(usize, &'a DdfNode)>) {
        out.push((depth, self));
        for c in &self.children {
            c.walk_into(depth + 1, out);
        }
    }

    /// The name to show for this node: its `<NodeName>`, or for a dynamic node its `<DFTitle>` in
    /// angle brackets (`<SSID>`), or `<dynamic>`.
    pub fn display_name(&self) -> String {
        if !self.is_dynamic() {
            return self.name.clone();
        }
        match &self.props.title {
            Some(t) if !t.trim().is_empty() => format!("<{}>", t.trim()),
            _ => "<dynamic>".to_owned(),
        }
    }
}

/// `<DFProperties>`: every property of a node (`DDFv2.xsd` element `DFProperties`, plus the
/// `MSFT:` elements of `DDFv2Msft.xsd`). Nothing is dropped: unknown elements are in
/// [`DfProperties::extra`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DfProperties {
    /// `<AccessType>`: the OMA-DM commands the node accepts.
    pub access: AccessType,
    /// `<DefaultValue>` text, exactly as written.
    pub default_value: Option<String>,
    /// `<Description>` text (text and CDATA joined), exactly as written.
    pub description: Option<String>,
    /// `<DFFormat>`.
    pub format: DfFormat,
    /// `<Occurrence>`; `None` when absent (the OMA default is `One`).
    pub occurrence: Option<Occurrence>,
    /// `<Scope>`.
    pub scope: Option<Scope>,
    /// `<DFTitle>` text.
    pub title: Option<String>,
    /// `<DFType>`: MIME type(s) or DDF name.
    pub df_type: DfType,
    /// `<CaseSense>`.
    pub case_sense: Option<CaseSense>,
    /// `<MSFT:Applicability>`.
    pub applicability: Option<Applicability>,
    /// `<MSFT:DynamicNodeNaming>`.
    pub dynamic_node_naming: Option<DynamicNodeNaming>,
    /// `<MSFT:AllowedValues>`.
    pub allowed_values: Option<AllowedValues>,
    /// `<MSFT:ReplaceBehavior>`.
    pub replace_behavior: Option<ReplaceBehavior>,
    /// `<MSFT:RebootBehavior>`.
    pub reboot_behavior: Option<RebootBehavior>,
    /// `<MSFT:GpMapping>`.
    pub gp_mapping: Option<GpMapping>,
    /// `<MSFT:CommonErrorResults>` children (`CommonErrorOne` … `CommonErrorTen`) as
    /// (element name, text).
    pub common_error_results: Vec<(String, String)>,
    /// `<MSFT:Deprecated>`.
    pub deprecated: Option<Deprecated>,
    /// `<MSFT:DependencyBehavior>`: its `<MSFT:DependencyGroup>`s.
    pub dependency_behavior: Vec<DependencyGroup>,
    /// `<MSFT:ConflictResolution>`.
    pub conflict_resolution: Option<ConflictResolution>,
    /// `<MSFT:AtomicRequired/>` is present: the node and its children must be sent in one
    /// `<Atomic>`.
    pub atomic_required: bool,
    /// Any other child element of `<DFProperties>`, kept whole.
    pub extra: Vec<RawProperty>,
}

/// `<AccessType>`: which OMA-DM commands the node accepts (`DDFv2.xsd`, element `AccessType`).
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
pub struct AccessType {
    /// `<Add/>`.
    pub add: bool,
    /// `<Copy/>`.
    pub copy: bool,
    /// `<Delete/>`.
    pub delete: bool,
    /// `<Exec/>`.
    pub exec: bool,
    /// `<Get/>`.
    pub get: bool,
    /// `<Replace/>`.
    pub replace: bool,
}

impl AccessType {
    /// The allowed commands as names (`Add`, `Copy`, `Delete`, `Exec`, `Get`, `Replace`, in that
    /// order).
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.add, "Add"),
            (self.copy, "Copy"),
            (self.delete, "Delete"),
            (self.exec, "Exec"),
            (self.get, "Get"),
            (self.replace, "Replace"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
        .collect()
    }
}

/// `<DFFormat>`: the data format of the node's value (`DDFv2.xsd`, element `DFFormat`).
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum DfFormat {
    /// `b64`: base64 text.
    B64,
    /// `bin`: binary.
    Bin,
    /// `bool`: `true` / `false`.
    Bool,
    /// `chr`: text.
    Chr,
    /// `int`: a 32-bit integer (OMA-DM: signed; Microsoft's CSPs use unsigned DWORDs too).
    Int,
    /// `node`: an interior node with no value.
    #[default]
    Node,
    /// `null`: no value (Exec-only nodes).
    Null,
    /// `xml`: an XML document.
    Xml,
    /// `date`: ISO 8601 date.
    Date,
    /// `time`: ISO 8601 time.
    Time,
    /// `float`: a floating-point number.
    Float,
    /// A format outside the schema, kept as written.
    Other(String),
}

impl DfFormat {
    /// The format for an element name (`chr` → [`DfFormat::Chr`]); unknown names give
    /// [`DfFormat::Other`].
    pub fn from_name(s: &str) -> Self {
        match s {
            "b64" => Self::B64,
            "bin" => Self::Bin,
            "bool" => Self::Bool,
            "chr" => Self::Chr,
            "int" => Self::Int,
            "node" => Self::Node,
            "null" => Self::Null,
            "xml" => Self::Xml,
            "date" => Self::Date,
            "time" => Self::Time,
            "float" => Self::Float,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The element name (`chr`, `int`, …).
    pub fn name(&self) -> &str {
        match self {
            Self::B64 => "b64",
            Self::Bin => "bin",
            Self::Bool => "bool",
            Self::Chr => "chr",
            Self::Int => "int",
            Self::Node => "node",
            Self::Null => "null",
            Self::Xml => "xml",
            Self::Date => "date",
            Self::Time => "time",
            Self::Float => "float",
            Self::Other(s) => s,
        }
    }
}

/// `<Occurrence>`: how many instances of the node may exist (`DDFv2.xsd`, element
/// `Occurrence`).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum Occurrence {
    /// Exactly one.
    One,
    /// Zero or one.
    ZeroOrOne,
    /// Any number.
    ZeroOrMore,
    /// At least one.
    OneOrMore,
    /// Zero to N (`<ZeroOrN>N</ZeroOrN>`).
    ZeroOrN(u64),
    /// One to N (`<OneOrN>N</OneOrN>`).
    OneOrN(u64),
    /// A value outside the schema, kept as written.
    Other(String),
}

impl Occurrence {
    /// The largest number of instances allowed, `None` when unbounded or unknown.
    pub fn max(&self) -> Option<u64> {
        match self {
            Self::One | Self::ZeroOrOne => Some(1),
            Self::ZeroOrN(n) | Self::OneOrN(n) => Some(*n),
            _ => None,
        }
    }

    /// Whether at least one instance is required.
    pub fn required(&self) -> bool {
        matches!(self, Self::One | Self::OneOrMore | Self::OneOrN(_))
    }
}

/// `<Scope>`: whether the node is fixed or created and deleted at run time.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum Scope {
    /// `<Permanent/>`.
    Permanent,
    /// `<Dynamic/>`.
    Dynamic,
    /// A value outside the schema, kept as written.
    Other(String),
}

/// `<DFType>`: the MIME type(s) of a leaf's value, or the DDF name of an interior node
/// (`DDFv2.xsd`, element `DFType`; real files, e.g. `accounts_ddf.xml`, give both).
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct DfType {
    /// `<MIME>` texts (possibly empty strings for `<MIME/>`), in order.
    pub mime: Vec<String>,
    /// `<DDFName>` text (possibly empty), when present.
    pub ddf_name: Option<String>,
}

/// `<CaseSense>`: whether values compare case-sensitively.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum CaseSense {
    /// `<CS/>`: case sensitive.
    Sensitive,
    /// `<CIS/>`: case insensitive.
    Insensitive,
    /// A value outside the schema, kept as written.
    Other(String),
}

/// `<MSFT:Applicability>`: which devices the node applies to (`DDFv2Msft.xsd`).
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct Applicability {
    /// `<MSFT:OsBuildVersion>`: first OS build(s), e.g. `10.0.10586` or a `;`-separated list
    /// with backports.
    pub os_build_version: Option<String>,
    /// `<MSFT:CspVersion>`, e.g. `1.0`.
    pub csp_version: Option<String>,
    /// `<MSFT:EditionAllowList>`: `;`-separated Windows SKU ids in hex (e.g. `0x4;0x30;`), as
    /// written.
    pub edition_allow_list: Option<String>,
    /// `<MSFT:RequiresAzureAd/>` is present.
    pub requires_azure_ad: bool,
    /// Unknown children, kept whole.
    pub extra: Vec<RawProperty>,
}

impl Applicability {
    /// The edition allow list as SKU numbers (`0x30` → 48); entries that are not hex numbers are
    /// skipped. `None` when there is no list (all editions).
    pub fn editions(&self) -> Option<Vec<u32>> {
        let list = self.edition_allow_list.as_deref()?;
        Some(
            list.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .filter_map(|s| {
                    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
                    u32::from_str_radix(hex, 16).ok()
                })
                .collect(),
        )
    }

    /// Whether a Windows SKU id (the `OperatingSystemSKU` / `PRODUCT_*` number, e.g. 0x30 for
    /// Pro, 0x4 for Enterprise) is allowed; `true` when there is no allow list.
    pub fn allows_sku(&self, sku: u32) -> bool {
        self.editions().is_none_or(|l| l.contains(&sku))
    }
}

/// `<MSFT:DynamicNodeNaming>`: how an unnamed node's instances are named (`DDFv2Msft.xsd`).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum DynamicNodeNaming {
    /// `<MSFT:ServerGeneratedUniqueIdentifier/>`: the server picks a unique id.
    ServerGeneratedUniqueIdentifier,
    /// `<MSFT:ClientInventory/>`: the client names instances from device state.
    ClientInventory,
    /// `<MSFT:UniqueName>text</MSFT:UniqueName>`: the server names the node; per the schema the
    /// text is a regex, though real files mostly hold prose (e.g. "The MSI product code for the
    /// application."). See [`DynamicNodeNaming::unique_name_pattern`].
    UniqueName(String),
    /// Another child element, kept by name.
    Other(String),
}

impl DynamicNodeNaming {
    /// For `UniqueName`, the text when it is usable as a regex: anchored (`^…$`) and compiling.
    /// Prose descriptions (the usual case in real files) give `None`.
    pub fn unique_name_pattern(&self) -> Option<&str> {
        match self {
            Self::UniqueName(s) => {
                let t = s.trim();
                (t.starts_with('^') && t.ends_with('$') && regex::Regex::new(t).is_ok())
                    .then_some(t)
            }
            _ => None,
        }
    }
}

/// `<MSFT:AllowedValues ValueType="…">` (also used for `DependencyAllowedValue` and
/// `DependencyChangedAllowedValues`): the values a node accepts (`DDFv2Msft.xsd`,
/// `AllowedValuesGroup`).
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct AllowedValues {
    /// The `ValueType` attribute.
    pub value_type: ValueType,
    /// `<MSFT:Enum>` entries (ENUM and Flag).
    pub enums: Vec<EnumValue>,
    /// A direct `<MSFT:Value>` (Range `[0-30]`, RegEx pattern, SDDL, XSD text, …).
    pub value: Option<String>,
    /// A direct `<MSFT:ValueDescription>`.
    pub value_description: Option<String>,
    /// `<MSFT:AdmxBacked>`.
    pub admx_backed: Option<AdmxBacked>,
    /// `<MSFT:List Delimiter="…"/>`: the value is a list, split by this delimiter, as written
    /// (`\xF000` stays six characters; see [`AllowedValues::list_delimiter`]).
    pub list_delimiter: Option<String>,
    /// Other attributes and children, kept whole.
    pub extra: Vec<RawProperty>,
}

impl AllowedValues {
    /// The list delimiter as a string, with a `\xHHHH` escape (as Microsoft writes U+F000)
    /// decoded.
    pub fn list_delimiter(&self) -> Option<String> {
        let d = self.list_delimiter.as_deref()?;
        if let Some(hex) = d.strip_prefix("\\x").or_else(|| d.strip_prefix("\\u")) {
            if let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                return Some(c.to_string());
            }
        }
        Some(d.to_owned())
    }
}

/// The `ValueType` attribute of `<MSFT:AllowedValues>` (`DDFv2Msft.xsd`,
/// `AllowedValuesAttributeGroup`; matched case-insensitively, so `Regex` and `RegEx` agree).
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum ValueType {
    /// `ENUM`: one of the `<MSFT:Enum>` values.
    Enum,
    /// `Flag`: a bitwise OR of the `<MSFT:Enum>` values.
    Flag,
    /// `Range`: `[min-max]` or `[n]`.
    Range,
    /// `RegEx`: the value matches `<MSFT:Value>`.
    RegEx,
    /// `SDDL`: a security descriptor string.
    Sddl,
    /// `XSD`: the value is XML valid against the XSD in `<MSFT:Value>`.
    Xsd,
    /// `ADMX`: described by an ADMX policy (`<MSFT:AdmxBacked>`).
    Admx,
    /// `JSON`: described by a JSON schema.
    Json,
    /// `None`: no data-driven rule.
    #[default]
    None,
    /// A type outside the schema, kept as written.
    Other(String),
}

impl ValueType {
    /// The value type for a `ValueType` attribute, matched case-insensitively; unknown values give
    /// [`ValueType::Other`].
    pub fn from_attr(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "enum" => Self::Enum,
            "flag" => Self::Flag,
            "range" => Self::Range,
            "regex" => Self::RegEx,
            "sddl" => Self::Sddl,
            "xsd" => Self::Xsd,
            "admx" => Self::Admx,
            "json" => Self::Json,
            "none" => Self::None,
            _ => Self::Other(s.to_owned()),
        }
    }
}

/// One `<MSFT:Enum>`: a value and its description.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct EnumValue {
    /// `<MSFT:Value>` text, as written.
    pub value: String,
    /// `<MSFT:ValueDescription>` text.
    pub description: Option<String>,
}

/// `<MSFT:AdmxBacked Area Name File/>`.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct AdmxBacked {
    /// `Area` attribute.
    pub area: String,
    /// `Name` attribute.
    pub name: String,
    /// `File` attribute.
    pub file: String,
}

/// `<MSFT:ReplaceBehavior>`.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum ReplaceBehavior {
    /// `Append`.
    Append,
    /// `Replace`.
    Replace,
    /// Another value, kept as written.
    Other(String),
}

/// `<MSFT:RebootBehavior>`.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum RebootBehavior {
    /// `None`: no reboot needed.
    None,
    /// `Automatic`: the node reboots the device.
    Automatic,
    /// `ServerInitiated`: the server must reboot the device.
    ServerInitiated,
    /// Another value, kept as written.
    Other(String),
}

/// `<MSFT:ConflictResolution>`: how policy values from several sources merge.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum ConflictResolution {
    /// `NoMerge`.
    NoMerge,
    /// `LowestValueMostSecure`.
    LowestValueMostSecure,
    /// `HighestValueMostSecure`.
    HighestValueMostSecure,
    /// `LastWrite`.
    LastWrite,
    /// `LowestValueMostSecureZeroHasNoLimits`.
    LowestValueMostSecureZeroHasNoLimits,
    /// `HighestValueMostSecureZeroHasNoLimits`.
    HighestValueMostSecureZeroHasNoLimits,
    /// Another value, kept as written.
    Other(String),
}

/// `<MSFT:GpMapping GpEnglishName GpAreaPath GpElement/>`: the group policy the node maps to.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct GpMapping {
    /// `GpEnglishName`.
    pub gp_english_name: String,
    /// `GpAreaPath`.
    pub gp_area_path: String,
    /// `GpElement`, when given.
    pub gp_element: Option<String>,
}

/// `<MSFT:Deprecated OsBuildDeprecated="…"/>`.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct Deprecated {
    /// `OsBuildDeprecated`: the OS build from which the node should no longer be set.
    pub os_build_deprecated: Option<String>,
}

/// `<MSFT:DependencyGroup FriendlyId="…">`: one dependency of the node on other nodes.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct DependencyGroup {
    /// `FriendlyId`.
    pub friendly_id: String,
    /// `<MSFT:DependencyChangedAllowedValues>`: the node's allowed values when the dependency
    /// holds.
    pub changed_allowed_values: Option<AllowedValues>,
    /// The `<MSFT:Dependency>` entries.
    pub dependencies: Vec<Dependency>,
}

/// `<MSFT:Dependency Type="DependsOn|Not">`.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct Dependency {
    /// The `Type` attribute.
    pub kind: DependencyType,
    /// `<MSFT:DependencyUri>`, as written (e.g.
    /// `Device/Vendor/MSFT/DMClient/Provider/[ProviderID]/ManagementServerAddressList`).
    pub uri: String,
    /// `<MSFT:DependencyAllowedValue>`.
    pub allowed_value: Option<AllowedValues>,
}

/// The `Type` attribute of `<MSFT:Dependency>`.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum DependencyType {
    /// `DependsOn`: the other node must hold the value.
    #[default]
    DependsOn,
    /// `Not`: the other node must not hold the value.
    Not,
    /// Another value, kept as written.
    Other(String),
}

/// An element kept as it was written: qualified name, attributes, text (text and CDATA joined)
/// and children. Used for anything the typed model does not know.
#[derive(Clone, Debug, Default, Eq, Hash, PartialEq)]
pub struct RawProperty {
    /// Qualified element name as written (e.g. `MSFT:Foo`).
    pub name: String,
    /// Attributes as (qualified name, unescaped value), in order.
    pub attributes: Vec<(String, String)>,
    /// Text content (unescaped text and CDATA, concatenated).
    pub text: String,
    /// Child elements.
    pub children: Vec<RawProperty>,
    /// Where the element starts.
    pub pos: SourcePos,
}

impl RawProperty {
    /// The name without its namespace prefix (`MSFT:Value` → `Value`).
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// The value of the attribute whose local name is `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k.rsplit(':').next() == Some(name))
            .map(|(_, v)| v.as_str())
    }
}
