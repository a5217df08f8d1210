//! The settings catalog: every setting of Windows Configuration Designer's settings store, for all
//! seven editions, plus an overlay of settings learned from newer real packages.
//!
//! The data comes from WCD's settings store (ICD 2019.625; `shared/reference/wcd-store/`, whose
//! `TYPES.md` decodes the codes), turned into the compact table `data/catalog.tsv` by
//! `gen/gen_catalog.rs` (`cargo run -p csp-model --example gen-catalog -- <wcd-store>`). The
//! table is embedded with `include_str!` and parsed once, lazily, by [`Catalog::builtin`].
//!
//! A setting is addressed by its **path** as the store writes it: the element names of the
//! answer file below `Settings/Customizations/Common`, with list and map items written by their
//! item element name, e.g. `/Workplace/Enrollments/UPN/AuthPolicy` (map `Enrollments`, key
//! attribute `UPN`, item element `UPN`) or
//! `/ProvisioningCommands/PrimaryContext/Command/CommandConfig/CommandLine` (list `Command`, item
//! element `CommandConfig`).
//!
//! ```
//! use csp_model::catalog::{Catalog, Edition, SettingKind};
//!
//! let catalog = Catalog::builtin();
//! let auth = catalog.get("/Workplace/Enrollments/UPN/AuthPolicy").expect("in the store");
//! assert_eq!(auth.kind, SettingKind::Int);
//! assert_eq!(auth.value_for_label("OnPremise"), Some("0"));
//! assert_eq!(
//!     auth.csp.as_ref().map(|c| c.path.as_str()),
//!     Some("./Vendor/MSFT/Provisioning/Enrollments/~UPN~/AuthPolicy")
//! );
//! assert!(auth.editions.contains(Edition::Desktop));
//! ```

mod learn;
mod overlay;
pub(crate) mod table;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

pub use learn::learn_overlay;
pub use overlay::{builtin_overlay, OverlayEntry};

use crate::error::Result;

/// The generated table (its format is documented in `table.rs`).
const TABLE: &str = include_str!("../../data/catalog.tsv");

/// A Windows edition as WCD's settings store splits them: one settings hive and one sequence hive
/// per edition (`wcd-store/SOURCES.md`). `Common` is WCD's "All Windows editions"
/// (`TargetSkus=WindowsCommon` in a package's WIM notes).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[non_exhaustive]
pub enum Edition {
    /// All Windows editions (the common subset).
    Common,
    /// Windows desktop editions (Home, Pro, Enterprise, Education).
    Desktop,
    /// HoloLens (first generation).
    HoloLens,
    /// Windows Holographic (HoloLens 2 and later).
    Holographic,
    /// Windows IoT Core (IoT UAP).
    IoTUAP,
    /// Windows 10 Mobile.
    Mobile,
    /// Surface Hub (Windows 10 Team).
    Team,
}

impl Edition {
    /// Every edition, in the store's (and the table's) column order.
    pub const ALL: [Edition; 7] = [
        Edition::Common,
        Edition::Desktop,
        Edition::HoloLens,
        Edition::Holographic,
        Edition::IoTUAP,
        Edition::Mobile,
        Edition::Team,
    ];

    /// The store's name of the edition (`settings-<name>.jsonl`): `Common`, `Desktop`, …
    pub fn name(self) -> &'static str {
        match self {
            Edition::Common => "Common",
            Edition::Desktop => "Desktop",
            Edition::HoloLens => "HoloLens",
            Edition::Holographic => "Holographic",
            Edition::IoTUAP => "IoTUAP",
            Edition::Mobile => "Mobile",
            Edition::Team => "Team",
        }
    }

    /// The name WCD writes in a package's `TargetSkus=` build note (`WindowsCommon` for
    /// [`Edition::Common`], the edition name otherwise), as seen in the Acer sample's WIM XML
    /// (`TargetSkus=WindowsCommon,Desktop`).
    pub fn target_sku(self) -> &'static str {
        match self {
            Edition::Common => "WindowsCommon",
            other => other.name(),
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The error of [`Edition::from_str`]: the text is not an edition name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown edition {0:?} (expected one of Common, Desktop, HoloLens, Holographic, IoTUAP, Mobile, Team)")]
pub struct ParseEditionError(pub String);

impl FromStr for Edition {
    type Err = ParseEditionError;

    /// Parses an edition name, ASCII case-insensitively; also accepts `WindowsCommon` and `All`
    /// for [`Edition::Common`], `IoT`/`IoTCore` for [`Edition::IoTUAP`], `SurfaceHub` for
    /// [`Edition::Team`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        for e in Edition::ALL {
            if t.eq_ignore_ascii_case(e.name()) {
                return Ok(e);
            }
        }
        let alias = [
            ("WindowsCommon", Edition::Common),
            ("All", Edition::Common),
            ("IoT", Edition::IoTUAP),
            ("IoTCore", Edition::IoTUAP),
            ("SurfaceHub", Edition::Team),
        ];
        alias
            .iter()
            .find(|(name, _)| t.eq_ignore_ascii_case(name))
            .map(|(_, e)| *e)
            .ok_or_else(|| ParseEditionError(s.to_owned()))
    }
}

/// A set of [`Edition`]s (a 7-bit mask).
#[derive(Clone, Copy, Default, Eq, Hash, PartialEq)]
pub struct EditionSet(u8);

impl EditionSet {
    /// No edition.
    pub const EMPTY: EditionSet = EditionSet(0);
    /// All seven editions.
    pub const ALL: EditionSet = EditionSet(0x7f);

    /// The set holding only `edition`.
    pub fn only(edition: Edition) -> Self {
        EditionSet(edition.bit())
    }

    /// Whether `edition` is in the set.
    pub fn contains(self, edition: Edition) -> bool {
        self.0 & edition.bit() != 0
    }

    /// Adds `edition`.
    pub fn insert(&mut self, edition: Edition) {
        self.0 |= edition.bit();
    }

    /// The union of two sets.
    pub fn union(self, other: EditionSet) -> Self {
        EditionSet(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The editions in the set, in [`Edition::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Edition> {
        Edition::ALL.into_iter().filter(move |e| self.contains(*e))
    }
}

impl fmt::Debug for EditionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for EditionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(e.name())?;
        }
        Ok(())
    }
}

impl FromIterator<Edition> for EditionSet {
    fn from_iter<T: IntoIterator<Item = Edition>>(iter: T) -> Self {
        let mut set = EditionSet::EMPTY;
        for e in iter {
            set.insert(e);
        }
        set
    }
}

/// A WCD settings store the catalog is generated from (`gen/gen_catalog.rs`).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[non_exhaustive]
pub enum Store {
    /// ICD 2019.625, all seven editions, with sequence tables (`shared/reference/wcd-store`).
    Wcd2019,
    /// Windows 11 22621 desktop store, no sequence table (`shared/reference/wcd-store-22621`);
    /// wins over 2019 for [`Edition::Desktop`].
    Wcd22621,
}

impl Store {
    /// Every store, oldest first.
    pub const ALL: [Store; 2] = [Store::Wcd2019, Store::Wcd22621];

    /// The name the table writes: `2019`, `22621`.
    pub fn name(self) -> &'static str {
        match self {
            Store::Wcd2019 => "2019",
            Store::Wcd22621 => "22621",
        }
    }

    /// The store named `name` (`2019`, `22621`).
    pub fn from_name(name: &str) -> Option<Store> {
        Store::ALL.into_iter().find(|s| s.name() == name)
    }

    /// A description for messages: `the 2019 store (ICD 2019.625)`.
    pub fn describe(self) -> &'static str {
        match self {
            Store::Wcd2019 => "the 2019 store (ICD 2019.625)",
            Store::Wcd22621 => "the 22621 store (Windows 11 22621 desktop)",
        }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A set of [`Store`]s.
#[derive(Clone, Copy, Default, Eq, Hash, PartialEq)]
pub struct StoreSet(u8);

impl StoreSet {
    /// No store.
    pub const EMPTY: StoreSet = StoreSet(0);

    /// The set holding only `store`.
    pub fn only(store: Store) -> Self {
        StoreSet(1 << store as u8)
    }

    /// Whether `store` is in the set.
    pub fn contains(self, store: Store) -> bool {
        self.0 & (1 << store as u8) != 0
    }

    /// Adds `store`.
    pub fn insert(&mut self, store: Store) {
        self.0 |= 1 << store as u8;
    }

    /// Whether the set is empty (an overlay entry: no store defines it).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The stores in the set, oldest first.
    pub fn iter(self) -> impl Iterator<Item = Store> {
        Store::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Debug for StoreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for StoreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(s.name())?;
        }
        Ok(())
    }
}

/// Where a SettingsGroup GUID comes from (`G` record `source`).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum GroupSource {
    /// A sequence table of the 2019 store.
    Store,
    /// A real WCD package's `Prov/RunTime.xml` (the package's file name).
    Learned(String),
    /// Not known from any evidence: [`generated_settings_group`] of the group path.
    Generated,
}

/// The namespace of [`generated_settings_group`]: a fixed, project-chosen UUID (not WCD's,
/// which is unknown).
pub const GENERATED_GROUP_NAMESPACE: [u8; 16] = [
    0x5d, 0x2f, 0x86, 0x0c, 0x3b, 0x71, 0x4e, 0x0a, 0x9c, 0x41, 0x62, 0x70, 0x6b, 0x67, 0x2d, 0x67,
];

/// The SettingsGroup GUID this crate generates for a group path no evidence gives one for: an
/// RFC 4122 version 5 UUID (SHA-1 name-based) of the group path's UTF-8 bytes (e.g.
/// `/Policies/WindowsAI/DisableAIDataAnalysis`) under [`GENERATED_GROUP_NAMESPACE`], lower-case
/// hyphenated.
///
/// Every SettingsGroup GUID in WCD's sequence tables and real packages is also version 5
/// (`xxxxxxxx-xxxx-5xxx-[89ab]xxx-…`), so WCD derives them from names too, but its namespace and
/// name form are unknown (tried: the RFC 4122 namespaces and the ETW one, path with and without
/// `/`, UTF-8/UTF-16, case-folded; none matched). A generated GUID therefore differs from WCD's;
/// validation says so with an info diagnostic (`docs/FORMAT.md`, "SettingsGroup GUIDs").
pub fn generated_settings_group(group_path: &str) -> String {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(GENERATED_GROUP_NAMESPACE);
    h.update(group_path.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
        b[14], b[15]
    )
}

/// What a setting holds: the store's `Type` code (`wcd-store/TYPES.md`, "Type" table).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum SettingKind {
    /// Type 1: `True`/`False` in customizations.xml, `datatype="boolean"` `true`/`false` in provxml.
    Bool,
    /// Type 2: an integer, or an enumeration whose labels customizations.xml uses
    /// (`datatype="integer"`).
    Int,
    /// Type 3: text (`datatype="string"`).
    Text,
    /// Type 4: a base64 binary blob (inferred in `TYPES.md`).
    Binary,
    /// Type 5: a file (asset) stored in the package: command files, certificates, app packages.
    Asset,
    /// Type 6: a container node with child settings.
    Tree,
    /// Type 7: an ordered list; items are identified by index (their `Name` attribute is a label).
    List,
    /// Type 8: a map; items are identified by the key attribute named by the setting's `Key`.
    Map,
}

impl SettingKind {
    /// The kind for a store `Type` code 1–8.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => SettingKind::Bool,
            2 => SettingKind::Int,
            3 => SettingKind::Text,
            4 => SettingKind::Binary,
            5 => SettingKind::Asset,
            6 => SettingKind::Tree,
            7 => SettingKind::List,
            8 => SettingKind::Map,
            _ => return None,
        })
    }

    /// The store `Type` code.
    pub fn code(self) -> u8 {
        match self {
            SettingKind::Bool => 1,
            SettingKind::Int => 2,
            SettingKind::Text => 3,
            SettingKind::Binary => 4,
            SettingKind::Asset => 5,
            SettingKind::Tree => 6,
            SettingKind::List => 7,
            SettingKind::Map => 8,
        }
    }

    /// Whether the setting has child settings (tree, list or map) rather than a value.
    pub fn is_container(self) -> bool {
        matches!(
            self,
            SettingKind::Tree | SettingKind::List | SettingKind::Map
        )
    }

    /// The provxml `datatype` WCD writes for a value of this kind: `boolean`, `integer` or
    /// `string` (seen in both sample packages; assets are written as strings).
    pub fn datatype(self) -> &'static str {
        match self {
            SettingKind::Bool => "boolean",
            SettingKind::Int => "integer",
            _ => "string",
        }
    }
}

impl fmt::Display for SettingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingKind::Bool => "bool",
            SettingKind::Int => "int",
            SettingKind::Text => "text",
            SettingKind::Binary => "binary",
            SettingKind::Asset => "asset",
            SettingKind::Tree => "tree",
            SettingKind::List => "list",
            SettingKind::Map => "map",
        })
    }
}

/// `Apply\Csp\Action` (`TYPES.md`, inferred meanings).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum CspAction {
    /// 1: Add/Replace the node value (plain `<parm>`).
    Set,
    /// 2: Exec (CleanPC, ChangeProductKey, app installs…).
    Exec,
    /// 3: Delete (app uninstall, filter exclusions removal).
    Delete,
}

impl CspAction {
    /// The action for a store code 1–3.
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            1 => CspAction::Set,
            2 => CspAction::Exec,
            3 => CspAction::Delete,
            _ => return None,
        })
    }
}

/// A setting's CSP mapping (`Apply\Csp`).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CspMapping {
    /// The CSP path (OMA-URI) as the store writes it, with `~Key~` placeholders for map/list keys,
    /// `!scope=Device|User` markers, `$(__PackageID)` and `@CertificateHash@`, e.g.
    /// `./Vendor/MSFT/Provisioning/Enrollments/~UPN~/AuthPolicy` or
    /// `RootCATrustedCertificates!scope=Device/Root/@CertificateHash@/EncodedCertificate`.
    pub path: String,
    /// What the provisioning engine does with the node.
    pub action: CspAction,
    /// `Apply\Csp\Context` (only value 1 seen: user context, inferred).
    pub context: Option<u32>,
}

/// A setting's registry mapping (`Apply\Registry`); such settings compile under an `MCSF`
/// characteristic (Acer sample: HideOobe → `MCSF/OOBE/Desktop`).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RegistryMapping {
    /// Key and value as `HKLM\...\Key\@ValueName`; empty for overlay entries learned from a
    /// package (the package does not say which registry value it is).
    pub path: String,
    /// `OnLastRemove` = 1 (meaning unknown; all under `/Power`).
    pub on_last_remove: bool,
    /// `TextType` = 2 (inferred: written as REG_MULTI_SZ).
    pub multi_string: bool,
}

/// When and how a setting is applied (`Apply` key of the store).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct ApplyInfo {
    /// `ApplyPasses` bit mask (0x7FF, 0x780, 0x380, 0x180, 0x80 seen; bits' meaning unknown).
    pub passes: u32,
    /// `ApplyAfterSetting`: setting paths or names (some without the leading `/`) that must be
    /// applied first, e.g. `["AutomaticTime", "WLAN", "Certificates"]` for enrollments.
    pub after: Vec<String>,
    /// `Apply\RequiresReboot`.
    pub requires_reboot: bool,
    /// `Apply\AtFirstSIMDetectOnly`.
    pub at_first_sim_detect_only: bool,
}

/// Value constraints (`Validation` key of the store).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Constraints {
    /// `Minimum` (inclusive).
    pub min: Option<i64>,
    /// `Maximum` (inclusive).
    pub max: Option<i64>,
    /// `MinLength` in characters.
    pub min_length: Option<u32>,
    /// `MaxLength` in characters.
    pub max_length: Option<u32>,
    /// `Pattern`: a regular expression as written in the store (.NET syntax, e.g. `^\d$`).
    pub pattern: Option<String>,
    /// `AllowedValueReference`: the path of another setting whose values are allowed.
    pub allowed_value_reference: Option<String>,
}

/// One enumeration value (`Validation\Values\<value>`).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct EnumValue {
    /// The stored value, written to provxml (`2`).
    pub value: String,
    /// The display label that customizations.xml uses (`Administrators`); `None` when the store
    /// has none, in which case the value itself is written (WLAN `SecurityType`: `WPA2-Personal`).
    pub label: Option<String>,
}

impl EnumValue {
    /// The text customizations.xml uses: the label, or the value when there is no label.
    pub fn label_or_value(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.value)
    }
}

/// A `Validation\<x>` subkey: an allowed file extension of an asset (`cer`, `pfx`, `xml`) or a
/// predefined key of a map (with its display label).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ValidationSubkey {
    /// Extension or key name.
    pub name: String,
    /// Display label, when the store has one.
    pub display: Option<String>,
}

/// A UI show-condition (`Visibility\<group>\<index>`): show this setting if the setting at the
/// relative path `setting` has `value` (condition 1, inferred "equals").
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct VisibilityCondition {
    /// Condition group (conditions in one group are combined).
    pub group: String,
    /// Index within the group.
    pub index: String,
    /// Relative setting path, e.g. `../SecurityType`.
    pub setting: String,
    /// Condition code (only 1 seen).
    pub condition: u32,
    /// Compared value, e.g. `WPA2-Personal`.
    pub value: String,
}

/// Where a catalog entry comes from.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum Origin {
    /// WCD's settings stores ([`Setting::stores`] says which).
    Store,
    /// An overlay entry; the text names the package or document it was learned from.
    Overlay(String),
}

/// One setting (or one edition variant of it) of the catalog.
///
/// Most settings are identical in every edition that has them; for the about 200 paths whose store
/// data differs between editions, the catalog holds one `Setting` per distinct variant, with
/// disjoint [`Setting::editions`] (see [`Catalog::get_in`]).
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct Setting {
    /// Path, e.g. `/Accounts/Users/User/UserGroup`.
    pub path: String,
    /// Last path segment: the answer-file element name (`UserGroup`).
    pub name: String,
    /// What the setting holds.
    pub kind: SettingKind,
    /// Editions whose store has this variant of the setting.
    pub editions: EditionSet,
    /// For a map: the key attribute of its items (store `Key`, e.g. `UserName`, `UPN`); for a
    /// list: `Name`, the attribute WCD writes on list items (`<CommandConfig Name="cortex">` in
    /// the Acer sample; the index, not the name, identifies the item); `None` otherwise.
    pub key_attribute: Option<String>,
    /// For a list or map: the item element name, i.e. its one child setting (`User`,
    /// `CommandConfig`, `UPN`); `None` otherwise.
    pub item_element: Option<String>,
    /// `AtomicRoot`: the path whose subtree compiles into one provxml group (one SettingsGroup),
    /// e.g. `/Workplace/Enrollments/UPN`.
    pub atomic_root: Option<String>,
    /// `Required`: must be present when its parent is.
    pub required: bool,
    /// `Visibility\Private` (hidden from IT-pro users, inferred).
    pub private: bool,
    /// `Serialization` code 1–9 (how an asset is encoded; per-code meaning unknown).
    pub serialization: Option<u32>,
    /// `FilePath`: the folder name an asset is staged under on the device.
    pub file_path: Option<String>,
    /// When and how it is applied.
    pub apply: ApplyInfo,
    /// CSP mapping, if the setting is written to a CSP.
    pub csp: Option<CspMapping>,
    /// Registry mapping, if the setting is written to the registry (compiled under `MCSF`).
    pub registry: Option<RegistryMapping>,
    /// Default value(s) as stored values (normally one; Desktop `ActiveHoursEnd` has two).
    pub default: Vec<String>,
    /// Value constraints.
    pub constraints: Constraints,
    /// Enumeration values and labels (empty when not an enumeration).
    pub values: Vec<EnumValue>,
    /// Allowed asset file extensions or predefined map keys.
    pub validation_subkeys: Vec<ValidationSubkey>,
    /// UI display name (`Visibility\DisplayName`).
    pub display_name: Option<String>,
    /// UI show-conditions.
    pub conditions: Vec<VisibilityCondition>,
    /// The SettingsGroup GUID of this path in the sequence table (lower-case, hyphenated), which
    /// RunTime.xml writes when this path is a compiled group's path.
    pub settings_group: Option<String>,
    /// Apply level per edition from the sequence table, indexed in [`Edition::ALL`] order
    /// (1 normal; 2 and 3 wait for `apply.after` dependencies).
    pub apply_levels: [Option<u8>; 7],
    /// Where the entry comes from.
    pub origin: Origin,
    /// Which settings stores define this variant (empty for overlay entries).
    pub stores: StoreSet,
}

impl Setting {
    /// The stored value for a text written in customizations.xml: the value whose label is
    /// `text`, else `text` itself if it is one of the values; `None` when the setting is not an
    /// enumeration or the text matches neither (Acer sample: `Administrators` → `2`, `Yes` → `1`).
    pub fn value_for_label(&self, text: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|v| v.label.as_deref() == Some(text))
            .or_else(|| self.values.iter().find(|v| v.value == text))
            .map(|v| v.value.as_str())
    }

    /// The label customizations.xml uses for a stored value (the value itself when unlabelled).
    pub fn label_for_value(&self, value: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|v| v.value == value)
            .map(EnumValue::label_or_value)
    }

    /// Whether the setting is an enumeration.
    pub fn is_enum(&self) -> bool {
        !self.values.is_empty()
    }

    /// The apply level in `edition` (sequence table), if the edition has an entry for the path.
    pub fn apply_level(&self, edition: Edition) -> Option<u8> {
        self.apply_levels[edition.index()]
    }

    /// The parent path (`/Accounts/Users/User` for `/Accounts/Users/User/Password`); `None` for
    /// a top-level setting.
    pub fn parent_path(&self) -> Option<&str> {
        parent_of(&self.path)
    }
}

/// A SequenceMap entry (`sequence-<Edition>.tsv`): a path (a setting path, or a dependency name
/// used by `ApplyAfterSetting` such as `Certificates`) with its SettingsGroup GUID and apply
/// level per edition. The same path has the same GUID in every edition (`TYPES.md`).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct SequenceEntry {
    /// The path as the store writes it (verbatim, some without a leading `/`).
    pub path: String,
    /// SettingsGroup GUID, lower-case hyphenated.
    pub settings_group: String,
    /// Apply level per edition ([`Edition::ALL`] order); `None` where the edition has no entry.
    pub levels: [Option<u8>; 7],
    /// Editions whose entry carries `RequiresReboot`.
    pub requires_reboot: EditionSet,
    /// Where the GUID comes from.
    pub source: GroupSource,
}

/// The settings catalog. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Catalog {
    settings: Vec<Setting>,
    /// path → indices of its variants in `settings`.
    by_path: HashMap<String, Vec<usize>>,
    /// parent path → child paths (each once, in table order).
    children: HashMap<String, Vec<String>>,
    sequence: Vec<SequenceEntry>,
    seq_by_path: HashMap<String, usize>,
    /// Older-store variants a newer store superseded (`O` records).
    superseded: Vec<Setting>,
}

impl Catalog {
    /// The built-in catalog: the embedded store table plus [`builtin_overlay`], parsed on first
    /// use and shared.
    ///
    /// # Panics
    /// If the embedded table is malformed, which the crate's tests rule out (the table is
    /// generated, and `catalog_gen` checks it against the generator).
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut catalog =
                Catalog::from_table(TABLE).expect("the embedded catalog table is well formed");
            catalog.add_overlay(builtin_overlay());
            catalog
        })
    }

    /// Parses a catalog table in the format of `data/catalog.tsv` (documented in
    /// `src/catalog/table.rs`), without any
    /// overlay.
    ///
    /// # Errors
    /// [`crate::Error::Catalog`] with the 1-based line of the first malformed record.
    pub fn from_table(text: &str) -> Result<Catalog> {
        let table = table::parse(text)?;
        let mut catalog = Catalog {
            settings: table.settings,
            by_path: HashMap::new(),
            children: HashMap::new(),
            sequence: table.sequence,
            seq_by_path: HashMap::new(),
            superseded: table.superseded,
        };
        catalog.reindex();
        Ok(catalog)
    }

    /// The built-in catalog (a clone) with `entries` added: see [`Catalog::add_overlay`].
    pub fn with_overlay(entries: impl IntoIterator<Item = OverlayEntry>) -> Catalog {
        let mut catalog = Catalog::builtin().clone();
        catalog.add_overlay(entries);
        catalog
    }

    /// Adds overlay entries (settings learned from newer real packages, see
    /// [`learn_overlay`]). A path the catalog lacks becomes a new setting, and
    /// its missing ancestors become [`SettingKind::Tree`] nodes; for a path it has, the entry only
    /// fills what the catalog lacks (SettingsGroup, CSP path).
    pub fn add_overlay(&mut self, entries: impl IntoIterator<Item = OverlayEntry>) {
        for entry in entries {
            let path = normalize(&entry.path).into_owned();
            if let Some(ids) = self.by_path.get(&path) {
                for &i in ids {
                    let s = &mut self.settings[i];
                    if s.settings_group.is_none() {
                        s.settings_group.clone_from(&entry.settings_group);
                    }
                    if s.csp.is_none() && s.registry.is_none() {
                        s.csp = entry.csp_mapping();
                    }
                }
                continue;
            }
            // Missing ancestors first, so that `children` finds the new setting.
            let mut ancestors = Vec::new();
            let mut p = parent_of(&path);
            while let Some(parent) = p {
                if self.by_path.contains_key(parent) {
                    break;
                }
                ancestors.push(parent.to_owned());
                p = parent_of(parent);
            }
            for a in ancestors.into_iter().rev() {
                let node = entry.ancestor_setting(&a);
                self.push(node);
            }
            let setting = entry.to_setting(&path);
            self.push(setting);
        }
    }

    fn push(&mut self, setting: Setting) {
        let i = self.settings.len();
        if let Some(parent) = parent_of(&setting.path) {
            let kids = self.children.entry(parent.to_owned()).or_default();
            if !kids.contains(&setting.path) {
                kids.push(setting.path.clone());
            }
        }
        self.by_path
            .entry(setting.path.clone())
            .or_default()
            .push(i);
        self.settings.push(setting);
    }

    /// Rebuilds the indexes and the derived fields (item element, list key attribute,
    /// SettingsGroup and apply levels from the sequence table).
    fn reindex(&mut self) {
        self.by_path.clear();
        self.children.clear();
        self.seq_by_path.clear();
        for (i, e) in self.sequence.iter().enumerate() {
            self.seq_by_path.insert(e.path.clone(), i);
        }
        for (i, s) in self.settings.iter().enumerate() {
            let ids = self.by_path.entry(s.path.clone()).or_default();
            if ids.is_empty() {
                if let Some(parent) = parent_of(&s.path) {
                    self.children
                        .entry(parent.to_owned())
                        .or_default()
                        .push(s.path.clone());
                }
            }
            ids.push(i);
        }
        for s in &mut self.settings {
            if let Some(&q) = self.seq_by_path.get(&s.path) {
                let e = &self.sequence[q];
                s.settings_group = Some(e.settings_group.clone());
                s.apply_levels = e.levels;
            }
            if matches!(s.kind, SettingKind::List | SettingKind::Map) {
                s.item_element = self
                    .children
                    .get(&s.path)
                    .and_then(|k| k.first())
                    .and_then(|c| c.rsplit('/').next())
                    .map(str::to_owned);
                if s.kind == SettingKind::List && s.key_attribute.is_none() {
                    s.key_attribute = Some("Name".to_owned());
                }
            }
        }
    }

    /// The setting at `path` (leading `/` optional). When editions differ, the Desktop variant
    /// is returned if there is one, else the first; use [`Catalog::get_in`] for a given edition.
    pub fn get(&self, path: &str) -> Option<&Setting> {
        let ids = self.by_path.get(normalize(path).as_ref())?;
        ids.iter()
            .map(|&i| &self.settings[i])
            .find(|s| s.editions.contains(Edition::Desktop))
            .or_else(|| ids.first().map(|&i| &self.settings[i]))
    }

    /// The variant of the setting at `path` that `edition` has, if any.
    pub fn get_in(&self, path: &str, edition: Edition) -> Option<&Setting> {
        self.variants(path).find(|s| s.editions.contains(edition))
    }

    /// Every variant of the setting at `path` (empty when unknown).
    pub fn variants<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a Setting> + 'a {
        self.by_path
            .get(normalize(path).as_ref())
            .into_iter()
            .flatten()
            .map(|&i| &self.settings[i])
    }

    /// The editions that have the setting at `path` in any variant (empty when unknown).
    pub fn editions_of(&self, path: &str) -> EditionSet {
        self.variants(path)
            .fold(EditionSet::EMPTY, |acc, s| acc.union(s.editions))
    }

    /// Whether `path` is a setting of the catalog.
    pub fn contains(&self, path: &str) -> bool {
        self.by_path.contains_key(normalize(path).as_ref())
    }

    /// Every entry (all variants), in path order (store entries, then overlay entries).
    pub fn iter(&self) -> impl Iterator<Item = &Setting> {
        self.settings.iter()
    }

    /// Every distinct path, in path order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.settings
            .iter()
            .enumerate()
            .filter(|(i, s)| self.by_path.get(&s.path).and_then(|ids| ids.first()) == Some(i))
            .map(|(_, s)| s.path.as_str())
    }

    /// Number of entries (variants included).
    pub fn len(&self) -> usize {
        self.settings.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.settings.is_empty()
    }

    /// The direct children of `path` (the [`Catalog::get`] variant of each); `path` may be `/`
    /// or empty for the top-level settings.
    pub fn children<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a Setting> + 'a {
        let key = if path.is_empty() || path == "/" {
            String::new()
        } else {
            normalize(path).into_owned()
        };
        self.children
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|p| self.get(p))
    }

    /// The child of `parent` named `name` (one element step of an answer file), choosing the
    /// variant of `edition` when given.
    pub fn child(&self, parent: &str, name: &str, edition: Option<Edition>) -> Option<&Setting> {
        let parent = normalize(parent);
        let path = if parent == "/" {
            format!("/{name}")
        } else {
            format!("{parent}/{name}")
        };
        match edition {
            Some(e) => self.get_in(&path, e),
            None => self.get(&path),
        }
    }

    /// Every entry that `edition` has.
    pub fn settings_for_edition(&self, edition: Edition) -> impl Iterator<Item = &Setting> {
        self.settings
            .iter()
            .filter(move |s| s.editions.contains(edition))
    }

    /// The SequenceMap entry of `path` (setting paths with `/`, dependency names such as
    /// `Certificates` or `WLAN` verbatim).
    pub fn sequence(&self, path: &str) -> Option<&SequenceEntry> {
        self.seq_by_path
            .get(path)
            .or_else(|| self.seq_by_path.get(normalize(path).as_ref()))
            .map(|&i| &self.sequence[i])
    }

    /// What an older store said about `path` where a newer store wins with different data
    /// (the 2019 Desktop record of a setting the 22621 store changed: other limits, values or
    /// CSP path). Never used to validate or compile; for display and diagnostics.
    pub fn superseded<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a Setting> + 'a {
        let path = normalize(path).into_owned();
        self.superseded.iter().filter(move |s| s.path == path)
    }

    /// The SequenceMap entry (or learned/generated group entry) that gives the SettingsGroup
    /// of a compiled group path, with its [`GroupSource`].
    pub fn group_source(&self, path: &str) -> Option<&GroupSource> {
        self.sequence(path).map(|e| &e.source)
    }

    /// Every SequenceMap entry, in path order.
    pub fn sequence_entries(&self) -> &[SequenceEntry] {
        &self.sequence
    }

    /// The SettingsGroup GUID of a group path (a setting path or an `ApplyAfterSetting` name).
    pub fn settings_group(&self, path: &str) -> Option<&str> {
        self.sequence(path)
            .map(|e| e.settings_group.as_str())
            .or_else(|| self.get(path).and_then(|s| s.settings_group.as_deref()))
    }

    /// Up to `n` known paths close to `path`, best first, for "did you mean" suggestions: the
    /// siblings (children of the same parent) whose name is within a small edit distance of the
    /// last segment (ASCII case-insensitive Levenshtein, at most max(2, len/3) edits), then the
    /// same test over every path of the catalog, keeping only paths that either end in the same
    /// name (a right name under a wrong parent, e.g. `/ApplicationManagement/AllowAllTrustedApps`
    /// → `/Policies/ApplicationManagement/AllowAllTrustedApps`) or share the path's leading
    /// segment (`/Policies/…`). A path far from everything gets no suggestion rather than an
    /// unrelated one (issue #11: `/Policies/WindowsAI/…` once got `/SMISettings/KeyboardFilter/…`).
    pub fn nearest(&self, path: &str, n: usize) -> Vec<&str> {
        let path = normalize(path);
        let last = path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let limit = (last.chars().count() / 3).max(2);
        let parent = parent_of(&path).unwrap_or("");
        // The leading segment, for a path with at least two segments.
        let first = (!parent.is_empty()).then(|| first_segment(&path)).flatten();
        let mut out: Vec<&str> = Vec::new();

        let mut scored: Vec<(usize, &str)> = self
            .children
            .get(parent)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let name = p.rsplit('/').next().unwrap_or_default();
                let d = levenshtein(&last, &name.to_ascii_lowercase());
                (d <= limit && p.as_str() != path.as_ref()).then_some((d, p.as_str()))
            })
            .collect();
        scored.sort();
        out.extend(scored.iter().map(|(_, p)| *p));

        if out.len() < n {
            let mut global: Vec<(usize, &str)> = self
                .paths()
                .filter(|p| *p != path.as_ref() && !out.contains(p))
                .filter_map(|p| {
                    let name = p.rsplit('/').next().unwrap_or_default();
                    let same_name = name.eq_ignore_ascii_case(&last);
                    let same_area = first.is_some() && first_segment(p) == first;
                    if !(same_name || same_area) {
                        return None;
                    }
                    let d = levenshtein(&last, &name.to_ascii_lowercase());
                    (d <= limit).then_some((d, p))
                })
                .collect();
            global.sort();
            out.extend(global.iter().map(|(_, p)| *p));
        }
        out.truncate(n);
        out
    }
}

/// The first segment of a `/`-path (`Policies` for `/Policies/WindowsAI/X`).
fn first_segment(path: &str) -> Option<&str> {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// `path` with a leading `/` (borrowed when it already has one).
fn normalize(path: &str) -> std::borrow::Cow<'_, str> {
    if path.starts_with('/') {
        std::borrow::Cow::Borrowed(path)
    } else {
        std::borrow::Cow::Owned(format!("/{path}"))
    }
}

/// The parent of a `/`-path; `Some("")` for a top-level path, `None` for `/` or `""`.
fn parent_of(path: &str) -> Option<&str> {
    let i = path.rfind('/')?;
    if i == 0 && path.len() == 1 {
        return None;
    }
    Some(&path[..i])
}

/// Levenshtein distance over chars.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_basics() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn parent_paths() {
        assert_eq!(parent_of("/A/B"), Some("/A"));
        assert_eq!(parent_of("/A"), Some(""));
        assert_eq!(parent_of("/"), None);
        assert_eq!(parent_of(""), None);
    }

    #[test]
    fn edition_names_round_trip() {
        for e in Edition::ALL {
            assert_eq!(e.name().parse::<Edition>().unwrap(), e);
            assert_eq!(e.to_string().to_lowercase().parse::<Edition>().unwrap(), e);
        }
        assert_eq!("WindowsCommon".parse::<Edition>().unwrap(), Edition::Common);
        assert!("Xbox".parse::<Edition>().is_err());
        let set: EditionSet = [Edition::Desktop, Edition::Team].into_iter().collect();
        assert_eq!(set.to_string(), "Desktop,Team");
        assert!(!set.contains(Edition::Mobile));
    }
}
