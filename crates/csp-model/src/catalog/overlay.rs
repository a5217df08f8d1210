//! Overlay entries: settings that WCD's 2019 store lacks but newer real packages use.

use super::{
    ApplyInfo, Constraints, CspAction, CspMapping, EditionSet, Origin, RegistryMapping, Setting,
    SettingKind, StoreSet,
};

/// A setting learned from a real package (or written by hand), added to a catalog with
/// [`super::Catalog::add_overlay`].
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct OverlayEntry {
    /// Setting path, e.g. `/Policies/Start/ConfigureStartPins`.
    pub path: String,
    /// What the setting holds (from the provxml `datatype`: `boolean` → Bool, `integer` → Int,
    /// else Text).
    pub kind: SettingKind,
    /// CSP path, e.g. `./Vendor/MSFT/Policy/Config/Start/ConfigureStartPins`; `None` for a
    /// registry-mapped (`MCSF`) setting.
    pub csp_path: Option<String>,
    /// Whether the package compiled it under `MCSF` (registry-mapped, registry path unknown).
    pub registry_mapped: bool,
    /// The SettingsGroup GUID the package's RunTime.xml gives the setting's group (without an
    /// `_<n>` repeat suffix).
    pub settings_group: Option<String>,
    /// The atomic root, when the package grouped several settings into one provxml.
    pub atomic_root: Option<String>,
    /// Editions that have the setting (the package's `TargetSkus`, when known).
    pub editions: EditionSet,
    /// Where it was learned (package or file name).
    pub source: String,
}

impl OverlayEntry {
    pub(super) fn csp_mapping(&self) -> Option<CspMapping> {
        self.csp_path.as_ref().map(|p| CspMapping {
            path: p.clone(),
            action: CspAction::Set,
            context: None,
        })
    }

    /// The catalog setting for this entry at (normalized) `path`.
    pub(super) fn to_setting(&self, path: &str) -> Setting {
        let mut s = self.ancestor_setting(path);
        s.kind = self.kind;
        s.csp = self.csp_mapping();
        s.registry = self.registry_mapped.then(|| RegistryMapping {
            path: String::new(),
            on_last_remove: false,
            multi_string: false,
        });
        s.atomic_root.clone_from(&self.atomic_root);
        s.settings_group.clone_from(&self.settings_group);
        s
    }

    /// A [`SettingKind::Tree`] node at `path` for a missing ancestor of this entry.
    pub(super) fn ancestor_setting(&self, path: &str) -> Setting {
        Setting {
            path: path.to_owned(),
            name: path.rsplit('/').next().unwrap_or_default().to_owned(),
            kind: SettingKind::Tree,
            editions: self.editions,
            key_attribute: None,
            item_element: None,
            atomic_root: None,
            required: false,
            private: false,
            serialization: None,
            file_path: None,
            apply: ApplyInfo::default(),
            csp: None,
            registry: None,
            default: Vec::new(),
            constraints: Constraints::default(),
            values: Vec::new(),
            validation_subkeys: Vec::new(),
            display_name: None,
            conditions: Vec::new(),
            settings_group: None,
            apply_levels: [None; 7],
            origin: Origin::Overlay(self.source.clone()),
            stores: StoreSet::EMPTY,
        }
    }
}

/// The overlay entries built into [`super::Catalog::builtin`], learned from the real packages in
/// `shared/reference/ppkg/`:
///
/// - `/Policies/Start/ConfigureStartPins` (text) → `./Vendor/MSFT/Policy/Config/Start/ConfigureStartPins`,
///   SettingsGroup `d66ea0fd-afd5-5f17-a853-597f25399be1`: `start_pins.ppkg` (WCD 2025.416,
///   `TargetSkus=Desktop`), file `Prov/RunTime/0__Policies_Start_ConfigureStartPins.provxml`.
///   The setting is newer than the 2019 store (`wcd-store/SAMPLE-CHECK.md`).
pub fn builtin_overlay() -> Vec<OverlayEntry> {
    vec![OverlayEntry {
        path: "/Policies/Start/ConfigureStartPins".to_owned(),
        kind: SettingKind::Text,
        csp_path: Some("./Vendor/MSFT/Policy/Config/Start/ConfigureStartPins".to_owned()),
        registry_mapped: false,
        settings_group: Some("d66ea0fd-afd5-5f17-a853-597f25399be1".to_owned()),
        atomic_root: None,
        editions: EditionSet::only(super::Edition::Desktop),
        source: "start_pins.ppkg (WCD 2025.416)".to_owned(),
    }]
}
