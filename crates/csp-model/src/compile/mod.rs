//! The compiler: an answer file (`customizations.xml`) → `RunTime.xml` + ordered `.provxml`
//! groups + DataAsset payloads, as Windows Configuration Designer writes them.
//!
//! The rules and where each comes from (FORMAT.md §4; "Acer" and "start_pins" are the two real
//! WCD 2025.416 packages in `shared/reference/ppkg/`; "store" is `shared/reference/wcd-store/`):
//!
//! 1. **Walk**: every element below `Settings/Customizations/Common` is a catalog setting, found
//!    by its path; a map's items carry the map's key attribute (`<User UserName="ICTMSFO5">`), a
//!    list's items are numbered from 0 (`<CommandConfig Name="cortex">` is item 0) (Acer).
//! 2. **Values**: enum labels become their stored value (`Administrators` → `2`, `Yes` → `1`),
//!    booleans `True`/`False` become `true`/`false`, other text is written as is (escaped by the
//!    writer) (Acer; store `Validation\Values`).
//! 3. **CSP path**: drop `./Vendor/MSFT/`, replace each `~Key~` with the item's key (maps) or
//!    index (lists; `~Command~` → `0`), keep `$(__PackageID)` literal, drop `!scope=Device`
//!    (the device scope is the default of a package; FORMAT.md §4 writes certificate paths
//!    without it), nest one `characteristic` per segment and end in a `parm` whose `name` is the
//!    last segment, `datatype` from the kind, `SettingsPath` the setting path without `/`
//!    (Acer, start_pins).
//! 4. **Registry-mapped settings** (no CSP path) go under `MCSF` + the setting's instance path
//!    (HideOobe → `MCSF/OOBE/Desktop`) (Acer).
//! 5. **Assets** without a CSP path are DataAsset payloads, referenced from
//!    `Provisioning/Assets/{<package id>}/<instance path>` by a parm named
//!    `<i>_<base64 SHA-256>\<file>` whose value is the file name; `<i>` counts the payloads of
//!    one setting name (one DataAsset element, whose folder numbers its files from 0) in RunTime
//!    order (Acer: `0_…\Cortex…msi`, `1_…\GlobalProtect…msi`; the per-element count is what
//!    `ppkg_format::layout` writes). Assets with a CSP path are written inline (see `Inline`):
//!    certificates as DER base64 with `@CertificateHash@` their SHA-1 thumbprint, PFX files in
//!    base64, XML and license files as text (store, FORMAT.md §4; no sample); app packages and
//!    the store's placeholder path `Dummy` stay payloads.
//! 6. **Groups**: settings with an `AtomicRoot` share one `.provxml` per root instance (both
//!    Accounts settings of one user); any other setting gets its own file. The group's
//!    SettingsGroup is the sequence table's GUID for the group path; its 2nd, 3rd… use in one
//!    package gets `_0`, `_1`… (Acer, SAMPLE-CHECK.md).
//! 7. **Order** (FORMAT.md §4 calls it open): groups are sorted by
//!    (a) the kind of output: CSP settings first, registry-mapped (`MCSF`) settings next, and
//!    settings inside list items or stored as payloads (provisioning commands) last, then
//!    (b) document order of the group's first setting.
//!    Evidence: the Acer answer file lists Accounts, OOBE, Policies, ProvisioningCommands and WCD
//!    numbered Accounts 0, Policies 1, OOBE 2, then the commands; start_pins has one group.
//!    The store's apply level is *not* a sort key: HideOobe is level 2 in the Desktop sequence
//!    table (it waits for `/CleanPC`) yet WCD wrote it before the level-1 commands; the engine
//!    orders by level itself. This is the simplest rule that fits both samples and the store.
//!    WCD 2024.613 (bypass_oobe sample, answer order Accounts, OOBE, Policies, commands) kept
//!    HideOobe (MCSF) in document order between Accounts and Policies, so (a) separates CSP from
//!    MCSF only for [`WcdVersion::Wcd2025`] (the default); [`CompileOptions::wcd`] picks the rule.
//! 8. **File names**: `<n>__` + the group's instance path (keys and indexes substituted) with `/`
//!    → `_` + `.provxml`, numbered from 0 in order; RunTime.xml lists them in that order
//!    (both samples). Encoding and layout (BOM, CRLF, 2 spaces) are the `ppkg-format` writers'.
//! 9. **ForceSettingReload**: `/Accounts/ComputerAccount/ComputerName` is followed, in its group,
//!    by `Provisioning/ForceSettingReload` parm `ComputerName` = `1` (`integer`) with the same
//!    `SettingsPath` (bypass_oobe, WCD 2024; no 2025 sample sets a computer name, so both
//!    versions write it). No other sample setting gets one, including none of the others that
//!    need no reboot; whether WCD adds it to every `RequiresReboot` setting is not known.
//!
//! Only `Customizations/Common` is compiled; an answer file whose `Variant`/`Profile` elements
//! hold settings is refused (see `refuse_multivariant`), never built without them.
//!
//! ```
//! use csp_model::catalog::Catalog;
//! use csp_model::compile::{compile, CompileOptions, NoAssets};
//! use ppkg_format::answer::AnswerFile;
//!
//! let xml = r#"<WindowsCustomizations>
//!   <PackageConfig xmlns="urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0">
//!     <ID>{19738506-279f-4439-993d-779fef2a3d60}</ID><Name>demo</Name>
//!     <Version>1.0</Version><OwnerType>ITAdmin</OwnerType>
//!   </PackageConfig>
//!   <Settings xmlns="urn:schemas-microsoft-com:windows-provisioning">
//!     <Customizations><Common>
//!       <Policies><ApplicationManagement>
//!         <AllowAllTrustedApps>Yes</AllowAllTrustedApps>
//!       </ApplicationManagement></Policies>
//!     </Common></Customizations>
//!   </Settings>
//! </WindowsCustomizations>"#;
//! let answer = AnswerFile::parse(xml.as_bytes())?;
//! let out = compile(&answer, Catalog::builtin(), &CompileOptions::default(), &NoAssets)?;
//! let (name, doc) = &out.provxml[0];
//! assert_eq!(name, "0__Policies_ApplicationManagement_AllowAllTrustedApps.provxml");
//! assert_eq!(out.runtime.sets[0].settings_group, "1d06ee0e-b4a8-559b-b253-c7f645eb1b9c");
//! let (path, parm) = &doc.parms()[0];
//! assert_eq!(path.join("/"), "Policy/Config/ApplicationManagement");
//! assert_eq!(parm.value.as_deref(), Some("1"));
//! # Ok::<(), csp_model::Error>(())
//! ```

mod asset;
mod wlan;

use std::collections::HashMap;

use ppkg_format::answer::AnswerFile;
use ppkg_format::layout::{DataAsset, PackageParts};
use ppkg_format::provxml::{Parm, ProvDoc};
use ppkg_format::runtime::{ConfigurationSet, RunTime};
use ppkg_format::wim::Source;
use ppkg_format::xml::Element;

pub use asset::{
    data_asset_key, file_name_of, AssetContent, AssetFile, AssetResolver, DirResolver, MapResolver,
    NoAssets, PayloadDigest, PayloadDigests, PayloadError, StreamDigests, MAX_INLINE_ASSET,
};

use crate::catalog::{Catalog, Edition, Setting, SettingKind};
use crate::error::{Error, Result};

/// The WCD release whose output the compiler imitates where releases differ (see
/// `docs/FORMAT.md`, "Group order"). Each variant names the real package that shows its rules.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[non_exhaustive]
pub enum WcdVersion {
    /// WCD 2024.613 (`bypass_oobe_wcd2024.ppkg`, built with `Source=CLI`): groups in document
    /// order, with settings inside list items and payloads last; CSP and registry-mapped
    /// (`MCSF`) settings are not separated (HideOobe between Accounts and Policies).
    Wcd2024,
    /// WCD 2025.416 (Acer and start_pins samples): CSP settings first, registry-mapped (`MCSF`)
    /// settings next, list items and payloads last (HideOobe after Policies). The default.
    #[default]
    Wcd2025,
}

impl WcdVersion {
    /// The build number WCD writes in the package's `NOTES` (`VERSION=2025.416.0.0+…`).
    pub fn build(self) -> &'static str {
        match self {
            WcdVersion::Wcd2024 => "2024.613.0.0",
            WcdVersion::Wcd2025 => "2025.416.0.0",
        }
    }
}

/// Compiler options.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Target edition: chooses the catalog variant of each setting. Default
    /// [`Edition::Desktop`] (both samples target Desktop).
    pub edition: Edition,
    /// The WCD release to imitate where releases differ; default the newest,
    /// [`WcdVersion::Wcd2025`].
    pub wcd: WcdVersion,
    /// Package ID used in `Provisioning/Assets/{…}` references, braced (`{19738506-…}`).
    /// Default `None`: the answer file's `PackageConfig/ID`, braced lower-case.
    pub package_id: Option<String>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            edition: Edition::Desktop,
            wcd: WcdVersion::default(),
            package_id: None,
        }
    }
}

impl CompileOptions {
    /// Options for `edition` (other fields default).
    pub fn for_edition(edition: Edition) -> Self {
        Self {
            edition,
            ..Self::default()
        }
    }
}

/// The compiled documents of a package: what `ppkg_format::layout::PackageParts` needs besides
/// the answer file.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// `Multivariant/0/Prov/RunTime.xml`.
    pub runtime: RunTime,
    /// `Multivariant/0/Prov/RunTime/<name>` documents, in RunTime order
    /// (`("0__Accounts_Users_ICTMSFO5.provxml", doc)`).
    pub provxml: Vec<(String, ProvDoc)>,
    /// DataAsset payloads, in RunTime order (the order `ppkg_format::layout::PackageParts::assets`
    /// needs: per setting name, key index order).
    pub assets: Vec<CompiledAsset>,
}

impl Compiled {
    /// The parts `ppkg_format::layout::write_package` lays out: `answer_file` (the compiled
    /// answer file), the RunTime, the documents and the payloads (in-memory content as
    /// `Source::Bytes`, files as `Source::File`, streamed by the writer).
    pub fn into_parts(self, answer_file: impl Into<std::sync::Arc<AnswerFile>>) -> PackageParts {
        PackageParts {
            answer_file: answer_file.into(),
            runtime: self.runtime,
            provxml: self.provxml,
            assets: self
                .assets
                .into_iter()
                .map(|a| DataAsset {
                    setting_name: a.setting_name,
                    setting_path: a.setting_path,
                    file_name: a.file_name,
                    source: match (a.written, a.content) {
                        (Some(d), _) => Source::Written(d),
                        (None, AssetContent::Bytes(b)) => Source::from(b),
                        (None, AssetContent::File(p)) => Source::from(p),
                    },
                })
                .collect(),
        }
    }
}

/// One DataAsset payload.
#[derive(Clone, Debug)]
pub struct CompiledAsset {
    /// The setting's name, `DataAsset.xml`'s `Metadata Key="Name"` (`CommandFile`).
    pub setting_name: String,
    /// The setting's instance path with list indexes and map keys
    /// (`/ProvisioningCommands/PrimaryContext/Command/0/CommandFile`).
    pub setting_path: String,
    /// The stored file name (`Cortex_XDR_9_0_0_16757_x64.msi`).
    pub file_name: String,
    /// The reference as written in the answer file (`D:\Cortex_XDR_9_0_0_16757_x64.msi`).
    pub source_ref: String,
    /// The DataAsset key `<i>_<base64 SHA-256>\<file>`, also the folder + file below
    /// `DataAsset/2/`.
    pub key: String,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// Size in bytes.
    pub size: u64,
    /// The content.
    pub content: AssetContent,
    /// The blob holding it, when a package writer hashed it ([`compile_with`]).
    pub written: Option<ppkg_format::wim::BlobDigest>,
}

/// Compiles the `Common` settings of `answer`. See the [module documentation](self) for the
/// rules.
///
/// # Errors
/// - [`Error::UnknownSetting`] for an element that is not a catalog setting at its place, with
///   its line:column;
/// - [`Error::InvalidValue`] for a value that cannot be converted (not a boolean, not an integer
///   or enum label, missing map key attribute, unbound `~Key~`, no SettingsGroup);
/// - [`Error::Asset`] when the resolver fails or a certificate cannot be read;
/// - [`Error::AnswerFile`] when payloads need a package ID and none is known.
pub fn compile(
    answer: &AnswerFile,
    catalog: &Catalog,
    opts: &CompileOptions,
    assets: &dyn AssetResolver,
) -> Result<Compiled> {
    compile_with(answer, catalog, opts, assets, &mut StreamDigests)
}

/// [`compile`], hashing the DataAsset payloads with `digests`: given the
/// [`WimWriter`](ppkg_format::wim::WimWriter) of the package, the payloads are written while
/// they are hashed and the compiled assets refer to their blobs, so that a build reads each
/// payload once (issue #15). Payloads are hashed in the order their settings appear.
///
/// # Errors
/// As [`compile`]; [`Error::Format`] for errors of the writer.
pub fn compile_with(
    answer: &AnswerFile,
    catalog: &Catalog,
    opts: &CompileOptions,
    assets: &dyn AssetResolver,
    digests: &mut dyn PayloadDigests,
) -> Result<Compiled> {
    let mut provxml = Vec::new();
    let mut compiled =
        compile_streaming(answer, catalog, opts, assets, digests, &mut |name, doc| {
            provxml.push((name, doc))
        })?;
    compiled.provxml = provxml;
    Ok(compiled)
}

/// [`compile_with`], handing each `.provxml` document to `docs` (its file name, e.g.
/// `0__Accounts_Users_ICTMSFO5.provxml`, and the document) as soon as it is made, in RunTime
/// order, instead of collecting them: the returned [`Compiled::provxml`] is empty. A package
/// writer serializes each one at once, so that the build never holds every document tree
/// (issue #15: 2,000 command files compile to 12,000 documents, about 35 MB of trees against
/// 1.6 MB serialized).
///
/// # Errors
/// As [`compile_with`]. Documents already handed over before an error are part of a failed
/// build; the caller discards them.
pub fn compile_streaming(
    answer: &AnswerFile,
    catalog: &Catalog,
    opts: &CompileOptions,
    assets: &dyn AssetResolver,
    digests: &mut dyn PayloadDigests,
    docs: &mut dyn FnMut(String, ProvDoc),
) -> Result<Compiled> {
    compile_impl(answer, catalog, opts, assets, Some((digests, docs)))
}

/// Runs every check [`compile`] runs, without hashing payloads or making the documents: what
/// validation's dry run of the compiler needs (`validate` runs it on every clean answer file,
/// so that a valid answer file is one the build accepts). The refusals are the compiler's: a
/// setting it has no handler for, a value it cannot convert, a missing SettingsGroup, Wi-Fi
/// settings it cannot turn into a profile, payloads without a package ID, multivariant
/// settings; payloads are only resolved (`assets`), not read.
///
/// About 3× faster than [`compile`] on a 1 MiB answer file (no document trees, names or
/// RunTime; issue #15's criterion rows).
///
/// # Errors
/// As [`compile`], except read errors of payload contents.
pub fn compile_check(
    answer: &AnswerFile,
    catalog: &Catalog,
    opts: &CompileOptions,
    assets: &dyn AssetResolver,
) -> Result<()> {
    compile_impl(answer, catalog, opts, assets, None).map(|_| ())
}

/// Where a compile's payload digests come from and its documents go.
type CompileOut<'a> = (
    &'a mut dyn PayloadDigests,
    &'a mut dyn FnMut(String, ProvDoc),
);

/// The compiler: with `out` (the payload hasher and the document sink) it compiles; without,
/// it only checks ([`compile_check`]).
fn compile_impl(
    answer: &AnswerFile,
    catalog: &Catalog,
    opts: &CompileOptions,
    assets: &dyn AssetResolver,
    out: Option<CompileOut<'_>>,
) -> Result<Compiled> {
    let checking = out.is_none();
    refuse_multivariant(answer)?;
    let mut walker = Walker {
        catalog,
        edition: opts.edition,
        leaves: Vec::new(),
    };
    if let Some(common) = answer.common() {
        walker.tree(common, "", &[], &[], false)?;
    }
    let leaves = walker.leaves;

    // Read once, on the first payload (the answer file's PackageConfig is parsed for it).
    let mut known_id: Option<String> = None;
    let mut package_id = || -> Result<String> {
        if let Some(id) = known_id.as_ref().or(opts.package_id.as_ref()) {
            return Ok(id.clone());
        }
        let config = answer.package_config()?;
        let id = config.id_braced().ok_or_else(|| {
            Error::AnswerFile(
                "PackageConfig/ID is missing; payloads need a package ID (CompileOptions::package_id)"
                    .to_owned(),
            )
        })?;
        known_id = Some(id.clone());
        Ok(id)
    };

    // Group the leaves.
    let mut groups: Vec<Group> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut wlan_slots: HashMap<String, (usize, usize)> = HashMap::new();
    for (order, leaf) in leaves.iter().enumerate() {
        let s = leaf.setting;
        let root = s.atomic_root.as_deref().unwrap_or(&s.path);
        let depth = segments(root).count();
        let instance = &leaf.instance[..depth.min(leaf.instance.len())];
        let key = instance.join("/");
        let gi = match by_key.get(&key) {
            Some(&i) => i,
            None => {
                let group_path = root.to_owned();
                let guid = catalog
                    .settings_group(&group_path)
                    .ok_or_else(|| {
                        leaf.invalid("the sequence table has no SettingsGroup for its group")
                    })?
                    .to_owned();
                groups.push(Group {
                    instance: instance.to_vec(),
                    guid,
                    tier: leaf.tier(opts.wcd),
                    order,
                    // Most groups hold one parm (a Pending is a few hundred bytes; 12,000
                    // groups of a default capacity of 4 were 13 MB, issue #15).
                    parms: Vec::with_capacity(1),
                });
                by_key.insert(key.clone(), groups.len() - 1);
                groups.len() - 1
            }
        };
        if let Some(field) = wlan_field(s) {
            // All WLANXmlSettings of one WLANConfig item become one WlanXml parm.
            let item = leaf.instance[..leaf.instance.len() - 1].join("/");
            let slot = match wlan_slots.get(&item) {
                Some(&slot) => slot,
                None => {
                    let ssid = leaf
                        .binding("SSID")
                        .ok_or_else(|| leaf.invalid("WLAN settings outside a WLANSetting item"))?
                        .to_owned();
                    // First in its group: the WiFi CSP creates `Profile/<SSID>` from `WlanXml`,
                    // so `Proxy` and the rest can only follow it (inferred; no sample).
                    groups[gi].parms.insert(
                        0,
                        Pending::Wlan {
                            ssid,
                            settings: wlan::WlanSettings::default(),
                            pos: leaf.element.pos.line,
                        },
                    );
                    let slot = (gi, 0);
                    wlan_slots.insert(item, slot);
                    slot
                }
            };
            if let Pending::Wlan { settings, .. } = &mut groups[slot.0].parms[slot.1] {
                let value = leaf.value()?;
                match field {
                    WlanField::SecurityType => settings.security_type = Some(value),
                    WlanField::SecurityKey => settings.security_key = Some(value),
                    WlanField::AutoConnect => settings.auto_connect = Some(value == "true"),
                    WlanField::Hidden => settings.hidden = Some(value == "true"),
                }
            }
            continue;
        }
        let pending = leaf.pending(assets)?;
        if checking {
            // Only what the document loop could still refuse is kept (Wi-Fi, above).
            if matches!(pending, Pending::DataAsset { .. }) {
                package_id()?;
            }
            continue;
        }
        groups[gi].parms.push(pending);
        if s.path == COMPUTER_NAME {
            // WCD 2024 sample: the computer name is followed by
            // `Provisioning/ForceSettingReload/ComputerName` = 1 (integer), same SettingsPath.
            groups[gi].parms.push(Pending::Ready {
                path: vec!["Provisioning".to_owned(), "ForceSettingReload".to_owned()],
                parm: Parm::new(&s.path[1..], "ComputerName", "1", "integer"),
            });
        }
    }

    // The leaves borrow the answer file and hold every instance path: not needed past here.
    drop(leaves);
    drop(by_key);
    drop(wlan_slots);
    let Some((digests, docs)) = out else {
        // Checking only: what the document loop below can still refuse. Only the Wi-Fi
        // parms were kept (payloads needing a package ID were checked above).
        for pending in groups.iter().flat_map(|g| &g.parms) {
            if let Pending::Wlan {
                ssid,
                settings,
                pos,
            } = pending
            {
                wlan::profile_xml(ssid, settings).map_err(|message| Error::InvalidValue {
                    path: WLAN_XML_SETTINGS.to_owned(),
                    line: *pos,
                    column: 0,
                    message,
                })?;
            }
        }
        return Ok(Compiled {
            runtime: RunTime::new(),
            provxml: Vec::new(),
            assets: Vec::new(),
        });
    };
    hash_payloads(&mut groups, digests)?;

    // Order (rule 7) and number (rule 8).
    groups.sort_by_key(|g| (g.tier, g.order));
    let mut runtime = RunTime::new();
    let mut compiled_assets = Vec::new();
    // DataAssets so far per setting name: the next one's index in its key.
    let mut asset_index: HashMap<String, usize> = HashMap::new();
    let mut guid_uses: HashMap<String, usize> = HashMap::new();
    for (n, group) in groups.into_iter().enumerate() {
        let uses = guid_uses.entry(group.guid.clone()).or_insert(0);
        let settings_group = if *uses == 0 {
            group.guid.clone()
        } else {
            format!("{}_{}", group.guid, *uses - 1)
        };
        *uses += 1;
        let name = format!("{n}__{}.provxml", file_part(&group.instance));
        let mut doc = ProvDoc::new();
        for pending in group.parms {
            match pending {
                Pending::Ready { path, parm } => {
                    let path: Vec<&str> = path.iter().map(String::as_str).collect();
                    doc.add_parm(&path, parm);
                }
                Pending::Wlan {
                    ssid,
                    settings,
                    pos,
                } => {
                    let xml = wlan::profile_xml(&ssid, &settings).map_err(|message| {
                        Error::InvalidValue {
                            path: WLAN_XML_SETTINGS.to_owned(),
                            line: pos,
                            column: 0,
                            message,
                        }
                    })?;
                    doc.add_parm(
                        &["WiFi", "Profile", &ssid],
                        Parm::new(&WLAN_XML_SETTINGS[1..], "WlanXml", xml, "string"),
                    );
                }
                Pending::DataAsset {
                    setting_name,
                    setting_path,
                    instance_path,
                    source_ref,
                    file,
                    sha256,
                    size,
                    written,
                } => {
                    let index = {
                        let n = asset_index.entry(setting_name.clone()).or_insert(0);
                        *n += 1;
                        *n - 1
                    };
                    let key = data_asset_key(index, &sha256, &file.file_name);
                    let pid = package_id()?;
                    doc.add_parm(
                        &["Provisioning", "Assets", &pid, &instance_path],
                        Parm::new(
                            &setting_path[1..],
                            key.clone(),
                            file.file_name.clone(),
                            "string",
                        ),
                    );
                    compiled_assets.push(CompiledAsset {
                        setting_name,
                        setting_path: instance_path,
                        file_name: file.file_name,
                        source_ref,
                        key,
                        sha256,
                        size,
                        content: file.content,
                        written,
                    });
                }
            }
        }
        runtime
            .sets
            .push(ConfigurationSet::provxml(settings_group, &name));
        docs(name, doc);
    }
    Ok(Compiled {
        runtime,
        provxml: Vec::new(),
        assets: compiled_assets,
    })
}

/// Refuses an answer file with multivariant settings (a `Variant` or `Profile` whose `Settings`
/// hold any setting): their layout in a package is not established from evidence
/// (`docs/FORMAT.md`, "Multivariant"), and compiling only `Common` would leave them out
/// silently (issue #11).
fn refuse_multivariant(answer: &AnswerFile) -> Result<()> {
    let Some(cust) = answer.settings().and_then(|s| s.child("Customizations")) else {
        return Ok(());
    };
    for (n, v) in cust
        .elements()
        .filter(|e| matches!(e.local_name(), "Variant" | "Profile"))
        .enumerate()
    {
        let holds = v
            .child("Settings")
            .is_some_and(|s| s.elements().next().is_some());
        if holds {
            let label = match v.attr("Name") {
                Some(name) => format!("{}[{name}]", v.local_name()),
                None => format!("{}[{}]", v.local_name(), n + 1),
            };
            return Err(Error::InvalidValue {
                path: format!("Settings/Customizations/{label}"),
                line: v.pos.line,
                column: v.pos.column,
                message: "multivariant settings are not compiled (their package layout is not \
                          established from evidence); building would leave them out, so the \
                          build is refused: move them into <Common> or build one package per \
                          target"
                    .to_owned(),
            });
        }
    }
    Ok(())
}

/// Refuses text XML 1.0 cannot carry in a value or key (the writers would refuse the document
/// later without naming the setting).
fn check_chars(path: &str, el: &Element, text: &str) -> Result<()> {
    use ppkg_format::xml::{char_name, first_non_xml_char};
    let found = first_non_xml_char(text)
        .map(|(_, n, c)| ("the value", n, c))
        .or_else(|| {
            el.attrs
                .iter()
                .find_map(|a| first_non_xml_char(&a.value).map(|(_, n, c)| ("an attribute", n, c)))
        });
    match found {
        None => Ok(()),
        Some((what, n, c)) => Err(Error::InvalidValue {
            path: path.to_owned(),
            line: el.pos.line,
            column: el.pos.column,
            message: format!(
                "{what} holds {} at character {}; XML 1.0 cannot carry it",
                char_name(c),
                n + 1
            ),
        }),
    }
}

/// `CommonSettings/1/AnswerFile.xml` as WCD writes it: the answer file's `<Settings>` without
/// comments and without the `Name` attribute of list items, which WCD drops (Acer sample:
/// `<CommandConfig Name="cortex">` in customizations.xml, `<CommandConfig>` in AnswerFile.xml;
/// map keys such as `<User UserName=…>` stay). Pass the result as
/// `ppkg_format::layout::LayoutOptions::common_settings_xml`.
///
/// Map items lose a `Name` attribute too when `Name` is not their key: the WCD 2024 sample's
/// `<User UserName="admin" Name="admin">` is `<User UserName="admin">` in its AnswerFile.xml.
pub fn answer_settings_xml(answer: &AnswerFile, catalog: &Catalog) -> Vec<u8> {
    answer.common_settings_xml_with(|path, attr| {
        if attr.name != "Name" {
            return true;
        }
        let parent = path.rfind('/').map_or("", |i| &path[..i]);
        !matches!(catalog.get(parent), Some(p) if p.kind == SettingKind::List
            || (p.kind == SettingKind::Map && p.key_attribute.as_deref() != Some("Name")))
    })
}

/// The computer name setting, which WCD follows with a `ForceSettingReload` parm (rule 9).
const COMPUTER_NAME: &str = "/Accounts/ComputerAccount/ComputerName";

/// The WCD setting path of the node whose children make a WLAN profile.
const WLAN_XML_SETTINGS: &str = "/ConnectivityProfiles/WLAN/WLANSetting/WLANConfig/WLANXmlSettings";
/// [`WLAN_XML_SETTINGS`] for the validator, which checks the same handler set.
pub(crate) const WLAN_XML_SETTINGS_PATH: &str = WLAN_XML_SETTINGS;

#[derive(Clone, Copy)]
enum WlanField {
    SecurityType,
    SecurityKey,
    AutoConnect,
    Hidden,
}

fn wlan_field(s: &Setting) -> Option<WlanField> {
    let rest = s.path.strip_prefix(WLAN_XML_SETTINGS)?.strip_prefix('/')?;
    Some(match rest {
        "SecurityType" => WlanField::SecurityType,
        "SecurityKey" => WlanField::SecurityKey,
        "AutoConnect" => WlanField::AutoConnect,
        "HiddenNetwork" => WlanField::Hidden,
        _ => return None,
    })
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The group-path part of a `.provxml` file name: segments joined by `_`, as WCD names them
/// (`Workplace_Enrollments_enroll@example.com`). List keys (a UPN, an SSID, a user name) can
/// hold characters that no Windows file name carries (`/ \\ : < > " | ? *`, control
/// characters): each becomes `_` (the name ends in `.provxml`, so a key's trailing dot or space
/// is not at the end of the name), so the package builds whatever the key; RunTime.xml
/// names the file, so the device finds it by that name [inferred: no WCD sample holds such a
/// key; found by the `xml_chars` proptest with a UPN `<@contoso.com` and an SSID with a tab].
fn file_part(instance: &[String]) -> String {
    instance
        .iter()
        .map(|s| {
            s.chars()
                .map(|c| {
                    if c.is_control()
                        || matches!(c, '/' | '\\' | ':' | '<' | '>' | '"' | '|' | '?' | '*')
                    {
                        '_'
                    } else {
                        c
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

struct Group {
    instance: Vec<String>,
    guid: String,
    tier: u8,
    order: usize,
    parms: Vec<Pending>,
}

/// A parm waiting for the final order (payload indexes are assigned in RunTime order).
enum Pending {
    Ready {
        path: Vec<String>,
        parm: Parm,
    },
    Wlan {
        ssid: String,
        settings: wlan::WlanSettings,
        pos: u32,
    },
    DataAsset {
        setting_name: String,
        setting_path: String,
        instance_path: String,
        source_ref: String,
        file: AssetFile,
        sha256: [u8; 32],
        size: u64,
        written: Option<ppkg_format::wim::BlobDigest>,
    },
}

/// One value setting found in the answer file.
struct Leaf<'a> {
    setting: &'a Setting,
    element: &'a Element,
    /// Instance path segments: element names, map keys and list indexes.
    instance: Vec<String>,
    /// `~Name~` bindings, outermost first: map key attribute → key, list name → index.
    bindings: Vec<(String, String)>,
    in_list: bool,
}

impl Leaf<'_> {
    fn invalid(&self, message: &str) -> Error {
        Error::InvalidValue {
            path: self.setting.path.clone(),
            line: self.element.pos.line,
            column: self.element.pos.column,
            message: message.to_owned(),
        }
    }

    fn binding(&self, name: &str) -> Option<&str> {
        self.bindings
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Rule 7(a): 0 CSP, 1 MCSF (WCD 2025; 0 for WCD 2024), 2 list items and payloads.
    fn tier(&self, wcd: WcdVersion) -> u8 {
        let s = self.setting;
        if self.in_list || (s.kind == SettingKind::Asset && s.csp.is_none()) {
            2
        } else if s.csp.is_none() && s.registry.is_some() && wcd >= WcdVersion::Wcd2025 {
            1
        } else {
            0
        }
    }

    /// Rule 2: the value written to provxml.
    fn value(&self) -> Result<String> {
        let s = self.setting;
        let text = self.element.text();
        if s.is_enum() {
            if let Some(v) = s.value_for_label(text.trim()) {
                return Ok(v.to_owned());
            }
            // A label in another case: a warning for the validator (value.rs), so compiled
            // as the label it matches; `validate` exit 0 ⇒ `build` exit 0 (issue #11).
            if let Some(v) = s
                .values
                .iter()
                .find(|v| v.label_or_value().eq_ignore_ascii_case(text.trim()))
            {
                return Ok(v.value.clone());
            }
            if s.kind != SettingKind::Int {
                return Err(self.invalid("value is not one of the allowed labels"));
            }
        }
        match s.kind {
            SettingKind::Bool => match text.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" => Ok("true".to_owned()),
                t if t.eq_ignore_ascii_case("false") || t == "0" => Ok("false".to_owned()),
                _ => Err(self.invalid("not a boolean (True or False)")),
            },
            SettingKind::Int => {
                let t = text.trim();
                if t.parse::<i64>().is_ok() {
                    Ok(t.to_owned())
                } else if s.is_enum() {
                    Err(self.invalid("not an allowed label or an integer"))
                } else {
                    Err(self.invalid("not an integer"))
                }
            }
            _ => Ok(text),
        }
    }

    /// Rule 3: the characteristic path and parm name from the CSP path.
    fn csp_target(&self, csp: &str, cert_hash: Option<&str>) -> Result<(Vec<String>, String)> {
        let rest = csp
            .strip_prefix("./Vendor/MSFT/")
            .or_else(|| csp.strip_prefix("./Device/Vendor/MSFT/"))
            .unwrap_or(csp);
        let mut out = Vec::new();
        for seg in rest.split('/').filter(|s| !s.is_empty()) {
            let seg = strip_device_scope(seg);
            if let Some(name) = seg.strip_prefix('~').and_then(|s| s.strip_suffix('~')) {
                let v = self.binding(name).ok_or_else(|| {
                    self.invalid(&format!(
                        "CSP path placeholder ~{name}~ has no list or map key"
                    ))
                })?;
                out.push(v.to_owned());
            } else if seg == "@CertificateHash@" {
                let h = cert_hash.ok_or_else(|| {
                    self.invalid("@CertificateHash@ outside a certificate setting")
                })?;
                out.push(h.to_owned());
            } else {
                out.push(seg.to_owned());
            }
        }
        let name = out.pop().ok_or_else(|| self.invalid("empty CSP path"))?;
        Ok((out, name))
    }

    fn pending(&self, resolver: &dyn AssetResolver) -> Result<Pending> {
        let s = self.setting;
        let settings_path = &s.path[1..];
        if s.kind == SettingKind::Asset {
            let reference = self.element.text().trim().to_owned();
            let asset_err = |message: String| Error::Asset {
                path: s.path.clone(),
                reference: reference.clone(),
                message,
            };
            let file = resolver
                .resolve(&s.path, &reference)
                .map_err(|e| asset_err(e.to_string()))?;
            if let (Some(csp), Some(inline)) = (&s.csp, inline_kind(s)) {
                // Rule 5, inline content.
                let bytes = file
                    .content
                    .read_limited()
                    .map_err(|e| asset_err(e.to_string()))?;
                let (value, hash) = match inline {
                    Inline::Certificate => {
                        let der = asset::certificate_der(&bytes).map_err(asset_err)?;
                        let hash = asset::thumbprint(&der);
                        (asset::b64(&der), Some(hash))
                    }
                    Inline::Base64 => (asset::b64(&bytes), None),
                    Inline::Text => {
                        let text = std::str::from_utf8(&bytes)
                            .map_err(|_| asset_err("not UTF-8 text".to_owned()))?;
                        (text.trim_start_matches('\u{feff}').to_owned(), None)
                    }
                };
                let (path, name) = self.csp_target(&csp.path, hash.as_deref())?;
                return Ok(Pending::Ready {
                    path,
                    parm: Parm::new(settings_path, name, value, s.kind.datatype()),
                });
            }
            // Hashed later, all payloads in parallel (`hash_payloads`).
            let (sha256, size) = ([0u8; 32], 0);
            return Ok(Pending::DataAsset {
                setting_name: s.name.clone(),
                setting_path: s.path.clone(),
                instance_path: format!("/{}", self.instance.join("/")),
                source_ref: reference,
                file,
                sha256,
                size,
                written: None,
            });
        }
        let value = self.value()?;
        if let Some(csp) = &s.csp {
            let (path, name) = self.csp_target(&csp.path, None)?;
            return Ok(Pending::Ready {
                path,
                parm: Parm::new(settings_path, name, value, s.kind.datatype()),
            });
        }
        if s.registry.is_some() {
            // Rule 4.
            let mut path = vec!["MCSF".to_owned()];
            path.extend(self.instance[..self.instance.len() - 1].iter().cloned());
            return Ok(Pending::Ready {
                path,
                parm: Parm::new(settings_path, s.name.clone(), value, s.kind.datatype()),
            });
        }
        Err(self.invalid(
            "the store gives this setting no CSP path or registry value; WCD compiles it with a \
             handler this compiler does not implement",
        ))
    }
}

/// Computes the SHA-256 and size of every DataAsset payload (their names carry the hash) with
/// `digests`, all payloads in one call (in the order of their settings): [`StreamDigests`]
/// hashes them in parallel; a package writer writes them as it hashes them.
fn hash_payloads(groups: &mut [Group], digests: &mut dyn PayloadDigests) -> Result<()> {
    let mut payloads: Vec<&mut Pending> = groups
        .iter_mut()
        .flat_map(|g| g.parms.iter_mut())
        .filter(|p| matches!(p, Pending::DataAsset { .. }))
        .collect();
    if payloads.is_empty() {
        return Ok(());
    }
    let contents: Vec<&AssetContent> = payloads
        .iter()
        .filter_map(|p| match &**p {
            Pending::DataAsset { file, .. } => Some(&file.content),
            _ => None,
        })
        .collect();
    let found = match digests.digests(&contents) {
        Ok(d) => d,
        Err(PayloadError::Read { index, error }) => {
            return Err(match payloads.get(index).map(|p| &**p) {
                Some(Pending::DataAsset {
                    setting_path,
                    source_ref,
                    ..
                }) => Error::Asset {
                    path: setting_path.clone(),
                    reference: source_ref.clone(),
                    message: error.to_string(),
                },
                _ => Error::Io(error),
            })
        }
        Err(PayloadError::Other(e)) => return Err(e),
    };
    drop(contents);
    for (p, d) in payloads.iter_mut().zip(found) {
        if let Pending::DataAsset {
            sha256,
            size,
            written,
            ..
        } = &mut **p
        {
            (*sha256, *size, *written) = (d.sha256, d.size, d.written);
        }
    }
    Ok(())
}

/// How an asset setting with a CSP path is written inline (rule 5).
#[derive(Clone, Copy)]
enum Inline {
    /// `.cer`: DER in base64; the path's `@CertificateHash@` is its SHA-1 thumbprint
    /// (RootCATrustedCertificates `EncodedCertificate`, TrustedProvisioners).
    Certificate,
    /// `.pfx`: the bytes in base64 (ClientCertificateInstall `PFXCertBlob`).
    Base64,
    /// XML and license files: the text itself (AssignedAccess `Configuration`, `AddLicense`,
    /// `UpgradeEditionWithLicense`, SurfaceHub `LanProfile`).
    Text,
}

/// The inline form of an asset setting from its CSP path and allowed extensions (store
/// `Validation\<ext>` subkeys), or `None` for a payload: app packages (`appx`, `msix`…, which
/// can be large) and the store's placeholder CSP path `Dummy` (app dependencies) are stored as
/// DataAsset payloads like command files (store; the inline forms follow the CSP node formats:
/// b64 for certificates, chr/xml for profiles and licenses; no sample shows them).
fn inline_kind(s: &Setting) -> Option<Inline> {
    let csp = s.csp.as_ref()?;
    if csp.path == "Dummy" {
        return None;
    }
    let has = |ext: &str| {
        s.validation_subkeys
            .iter()
            .any(|k| k.name.eq_ignore_ascii_case(ext))
    };
    if has("cer") || csp.path.contains("@CertificateHash@") {
        Some(Inline::Certificate)
    } else if has("pfx") {
        Some(Inline::Base64)
    } else if ["appx", "appxbundle", "msix", "msixbundle", "xap"]
        .iter()
        .any(|e| has(e))
    {
        None
    } else {
        Some(Inline::Text)
    }
}

/// Drops a `!scope=Device` marker from a CSP path segment (rule 3); other scopes stay.
fn strip_device_scope(seg: &str) -> &str {
    match seg.find("!scope=") {
        Some(i) if seg[i + 7..].eq_ignore_ascii_case("device") => &seg[..i],
        _ => seg,
    }
}

/// Collects the value settings of an answer file (rule 1).
struct Walker<'a> {
    catalog: &'a Catalog,
    edition: Edition,
    leaves: Vec<Leaf<'a>>,
}

impl<'a> Walker<'a> {
    fn lookup(&self, parent: &str, el: &Element) -> Result<&'a Setting> {
        let name = el.local_name();
        self.catalog
            .child(parent, name, Some(self.edition))
            .or_else(|| self.catalog.child(parent, name, None))
            .ok_or_else(|| Error::UnknownSetting {
                path: format!("{parent}/{name}"),
                line: el.pos.line,
                column: el.pos.column,
            })
    }

    /// The children of a tree element at catalog path `path`.
    fn tree(
        &mut self,
        el: &'a Element,
        path: &str,
        instance: &[String],
        bindings: &[(String, String)],
        in_list: bool,
    ) -> Result<()> {
        for child in el.elements() {
            let s = self.lookup(path, child)?;
            let mut inst = instance.to_vec();
            inst.push(child.local_name().to_owned());
            self.visit(child, s, inst, bindings, in_list)?;
        }
        Ok(())
    }

    fn visit(
        &mut self,
        el: &'a Element,
        s: &'a Setting,
        instance: Vec<String>,
        bindings: &[(String, String)],
        in_list: bool,
    ) -> Result<()> {
        match s.kind {
            SettingKind::Tree => self.tree(el, &s.path, &instance, bindings, in_list),
            SettingKind::Map | SettingKind::List => {
                let item_name = s.item_element.as_deref().unwrap_or_default();
                let key_attr = s.key_attribute.as_deref().unwrap_or("Name");
                for (index, item) in el.elements().enumerate() {
                    if item.local_name() != item_name {
                        return Err(Error::UnknownSetting {
                            path: format!("{}/{}", s.path, item.local_name()),
                            line: item.pos.line,
                            column: item.pos.column,
                        });
                    }
                    let item_setting = self.lookup(&s.path, item)?;
                    check_chars(&item_setting.path, item, "")?;
                    let (key_name, key) = if s.kind == SettingKind::Map {
                        let key = item.attr(key_attr).ok_or_else(|| Error::InvalidValue {
                            path: item_setting.path.clone(),
                            line: item.pos.line,
                            column: item.pos.column,
                            message: format!("map item has no {key_attr} attribute"),
                        })?;
                        (key_attr.to_owned(), key.to_owned())
                    } else {
                        (s.name.clone(), index.to_string())
                    };
                    let mut inst = instance.clone();
                    inst.push(key.clone());
                    let mut b = bindings.to_vec();
                    b.push((key_name, key));
                    let item_in_list = in_list || s.kind == SettingKind::List;
                    self.visit(item, item_setting, inst, &b, item_in_list)?;
                }
                Ok(())
            }
            _ => {
                check_chars(&s.path, el, &el.text())?;
                self.leaves.push(Leaf {
                    setting: s,
                    element: el,
                    instance,
                    bindings: bindings.to_vec(),
                    in_list,
                });
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::file_part;

    #[test]
    fn group_file_names_carry_no_character_windows_refuses() {
        let part =
            |keys: &[&str]| file_part(&keys.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>());
        assert_eq!(
            part(&["Workplace", "Enrollments", "enroll@example.com"]),
            "Workplace_Enrollments_enroll@example.com"
        );
        assert_eq!(part(&["W", "<@contoso.com"]), "W__@contoso.com");
        assert_eq!(
            part(&["WLAN", "off\tice", "a/b\\c:d*e?f\"g|h>"]),
            "WLAN_off_ice_a_b_c_d_e_f_g_h_"
        );
    }
}
