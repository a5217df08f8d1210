//! Walking an answer file against the catalog: [`Validator`] and [`validate`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ppkg_format::answer::AnswerFile;
use ppkg_format::xml::{Element, TextPos};

use super::report::{Code, Diagnostic, LineCol, Logger, Report, Severity};
use super::value::{check_value, PatternCache};
use crate::catalog::{Catalog, CspAction, Edition, GroupSource, Setting, SettingKind, Store};
use crate::ddf::{DdfSet, Operation};

/// Validates an answer file for a target edition and returns every diagnostic at once (see
/// [`Validator`] for the rules).
pub fn validate(answer: &AnswerFile, catalog: &Catalog, edition: Edition) -> Report {
    Validator::new(catalog, edition).validate(answer)
}

/// Validates answer files against a [`Catalog`] for one target [`Edition`].
///
/// What is checked (each finding a [`Diagnostic`], nothing stops the walk):
/// - structure: `<WindowsCustomizations>` root, `<PackageConfig>` fields (ADK
///   `PackageConfig.xsd` via `ppkg_format`), `<Settings>/<Customizations>`, and that each
///   `<Variant>`/`<Profile>` `TargetRef` names a `<Target>` ([`Code::Structure`]); settings put
///   outside `Customizations/Common` (field case B01) are [`Code::WrongParent`];
/// - every element under `Common` and under each variant's `Settings` is looked up by its path
///   (element names joined with `/`, list and map items by their item element):
///   [`Code::UnknownSetting`] with the nearest valid names, or [`Code::WrongParent`] when the name
///   exists under another parent; [`Code::SettingNotInTarget`] when the target edition lacks it (field
///   case B02);
/// - map items need their key attribute, unique (case-insensitive, as Windows compares user
///   names and UPNs) among siblings ([`Code::MissingKey`], [`Code::DuplicateKey`]); list items
///   their `Name` (warnings: the index identifies list items);
/// - a setting repeated under one parent ([`Code::DuplicateSetting`]); attributes other than the
///   item key and `Name` ([`Code::UnexpectedAttribute`]); text in a container
///   ([`Code::UnexpectedText`]); child elements in a value setting ([`Code::WrongType`]);
///   required children missing from a present parent ([`Code::MissingRequired`]);
/// - each value, as [`super::validate_value`] does;
/// - what `build` checks (issue #11: `validate` exit 0 ⇒ `build` exit 0): a value setting the
///   compiler has no handler for ([`Code::NoCompilerHandler`]) or no SettingsGroup for
///   ([`Code::NoSettingsGroup`]); every character of every element name, attribute and text of
///   the whole file, `PackageConfig` included, that XML 1.0 cannot carry
///   ([`Code::InvalidXmlChar`]); multivariant `Variant`/`Profile` settings, which are not
///   compiled ([`Code::MultivariantNotCompiled`]); and, when the walk found no error, a dry run
///   of the compiler (stand-in asset content) whose refusal becomes a
///   [`Code::NoCompilerHandler`] error, so that no check of the compiler is left out;
/// - notes: a SettingsGroup GUID that is generated rather than WCD's
///   ([`Code::GeneratedSettingsGroup`]), a Desktop setting only the 2019 store has
///   ([`Code::OlderStoreOnly`]).
///
/// Paths in diagnostics are catalog paths with item keys, prefixed by the variant for variant
/// settings: `/Workplace/Enrollments/UPN[alias@contoso.net]/AuthPolicy`,
/// `Variant[1]/Policies/AllowBrowser`.
///
/// With [`Validator::with_ddf`], each value of a CSP-mapped setting is also checked against the
/// DDF node its CSP path names (`!scope=` turned into `./Device`/`./User`, `~Key~` matching the
/// dynamic node), after WCD's own conversion (enum label → value, `True` → `true`). A DDF finding
/// is at most a warning, its message starting `DDF <uri>:`: the store is what WCD enforces, the
/// DDF what the device's CSP documents. Settings whose CSP the set lacks are not checked.
#[derive(Clone, Copy, Debug)]
pub struct Validator<'a> {
    catalog: &'a Catalog,
    edition: Edition,
    ddf: Option<&'a DdfSet>,
    dry_compile: bool,
}

impl<'a> Validator<'a> {
    /// A validator for `edition` over `catalog`.
    pub fn new(catalog: &'a Catalog, edition: Edition) -> Self {
        Self {
            catalog,
            edition,
            ddf: None,
            dry_compile: true,
        }
    }

    /// Whether a clean walk ends with the dry run of the compiler (default `true`). A caller
    /// that compiles the same answer file right after may turn it off and, only when its
    /// compile fails, validate again with it on for the placed diagnostic: that is what
    /// `ppkg::Package` does when it writes, saving one compile per package (bulk runs).
    pub fn with_dry_compile(mut self, on: bool) -> Self {
        self.dry_compile = on;
        self
    }

    /// Also checks CSP-mapped values against the nodes of `ddf` (see the type's docs).
    pub fn with_ddf(mut self, ddf: &'a DdfSet) -> Self {
        self.ddf = Some(ddf);
        self
    }

    /// Validates a whole answer file; the diagnostics come back sorted in a [`Report`].
    pub fn validate(&self, answer: &AnswerFile) -> Report {
        let mut out = Vec::new();
        self.validate_into(answer, &mut out);
        Report::new(out)
    }

    /// Validates a whole answer file, handing each diagnostic to `logger` as it is found.
    pub fn validate_into(&self, answer: &AnswerFile, logger: &mut dyn Logger) {
        let mut w = Walker {
            v: self,
            out: Vec::new(),
            cache: PatternCache::default(),
            path: String::with_capacity(256),
            display: String::with_capacity(256),
            in_edition: true,
            noted_groups: Vec::new(),
        };
        w.answer(answer);
        if self.dry_compile && !w.out.iter().any(Diagnostic::is_error) {
            w.dry_compile(answer);
        }
        for d in w.out {
            logger.log(d);
        }
    }

    /// Validates the settings below one settings container (`<Common>` or a variant's
    /// `<Settings>`), with `prefix` before every diagnostic path.
    pub fn validate_settings(&self, container: &Element, prefix: &str, logger: &mut dyn Logger) {
        let mut w = Walker {
            v: self,
            out: Vec::new(),
            cache: PatternCache::default(),
            path: String::with_capacity(256),
            display: String::from(prefix),
            in_edition: true,
            noted_groups: Vec::new(),
        };
        w.children(container, None, &Lookup::root());
        for d in w.out {
            logger.log(d);
        }
    }
}

fn pos(p: TextPos) -> Option<LineCol> {
    p.is_known().then_some(LineCol {
        line: p.line,
        column: p.column,
    })
}

/// What the catalog says about one setting path for the target edition, with the answers for
/// its children memoized below it (a walk asks the same few paths thousands of times: one per
/// map item; a memo tree needs no hashing of paths).
struct Lookup<'a> {
    /// Any variant (`Catalog::get`).
    any: Option<&'a Setting>,
    /// The target edition's variant.
    edition: Option<&'a Setting>,
    /// Required children in the target edition (trees only).
    required: Vec<&'a Setting>,
    /// Memoized children, by element name.
    kids: RefCell<Vec<(Box<str>, Rc<Lookup<'a>>)>>,
}

impl Lookup<'_> {
    fn root() -> Rc<Self> {
        Rc::new(Lookup {
            any: None,
            edition: None,
            required: Vec::new(),
            kids: RefCell::new(Vec::new()),
        })
    }
}

struct Walker<'v, 'a> {
    v: &'v Validator<'a>,
    out: Vec<Diagnostic>,
    cache: PatternCache,
    /// Catalog path of the current container (`""` for the top level).
    path: String,
    /// Display path of the current container.
    display: String,
    /// Whether every setting above the current one exists in the target edition.
    in_edition: bool,
    /// Group paths already given a [`Code::GeneratedSettingsGroup`] note.
    noted_groups: Vec<String>,
}

impl<'a> Walker<'_, 'a> {
    /// The catalog's answer for the child `name` of `parent`, whose path is `self.path`.
    fn lookup(&self, parent: &Lookup<'a>, name: &str) -> Rc<Lookup<'a>> {
        if let Some((_, l)) = parent.kids.borrow().iter().find(|(n, _)| &**n == name) {
            return Rc::clone(l);
        }
        let catalog: &'a Catalog = self.v.catalog;
        let edition = self.v.edition;
        let any = catalog.get(&self.path);
        let in_edition = catalog.get_in(&self.path, edition);
        let required = match in_edition.or(any) {
            Some(s) if s.kind == SettingKind::Tree => catalog
                .children(&s.path)
                .filter(|c| c.required && c.editions.contains(edition))
                .collect(),
            _ => Vec::new(),
        };
        let l = Rc::new(Lookup {
            any,
            edition: in_edition,
            required,
            kids: RefCell::new(Vec::new()),
        });
        parent.kids.borrow_mut().push((name.into(), Rc::clone(&l)));
        l
    }

    fn push(&mut self, code: Code, path: String, at: TextPos, msg: String) {
        self.out.push(Diagnostic::new(code, path, pos(at), msg));
    }

    fn answer(&mut self, answer: &AnswerFile) {
        let doc = answer.document();
        let root = &doc.root;
        self.xml_chars(root, root.local_name());
        if root.local_name() != "WindowsCustomizations" {
            self.push(
                Code::Structure,
                root.name.clone(),
                root.pos,
                format!(
                    "root element is <{}>, expected <WindowsCustomizations>",
                    root.name
                ),
            );
        }
        match answer.package_config_element() {
            None => self.push(
                Code::Structure,
                "PackageConfig".into(),
                root.pos,
                "no <PackageConfig> (package ID, name, version, owner type, rank)".into(),
            ),
            Some(el) => {
                let problem = answer
                    .package_config()
                    .and_then(|c| c.validate())
                    .err()
                    .map(|e| e.to_string());
                if let Some(msg) = problem {
                    self.out.push(
                        Diagnostic::new(Code::Structure, "PackageConfig", pos(el.pos), msg)
                            .with_severity(Severity::Error),
                    );
                }
            }
        }
        let Some(settings) = answer.settings() else {
            self.push(
                Code::Structure,
                "Settings".into(),
                root.pos,
                "no <Settings>: the package carries no setting".into(),
            );
            return;
        };
        let mut customizations = None;
        for c in settings.elements() {
            if c.local_name() == "Customizations" {
                customizations = Some(c);
            } else {
                self.misplaced(c, "Settings");
            }
        }
        let Some(cust) = customizations else {
            self.push(
                Code::Structure,
                "Settings/Customizations".into(),
                settings.pos,
                "no <Customizations> in <Settings>".into(),
            );
            return;
        };
        let mut target_ids: HashMap<String, TextPos> = HashMap::new();
        for c in cust.elements() {
            if c.local_name() == "Targets" {
                self.targets(c, &mut target_ids);
            }
        }
        let mut variant_no = 0usize;
        let root = Lookup::root();
        for c in cust.elements() {
            match c.local_name() {
                "Common" => {
                    self.display.clear();
                    self.children(c, None, &root);
                }
                "Targets" => {}
                "Variant" | "Profile" => {
                    variant_no += 1;
                    let label = match c.attr("Name") {
                        Some(n) => format!("{}[{n}]", c.local_name()),
                        None => format!("{}[{variant_no}]", c.local_name()),
                    };
                    let count = c.child("Settings").map_or(0, count_values);
                    if count > 0 {
                        let msg = format!(
                            "multivariant <{}> with {count} setting(s) is not compiled: the \
                             layout WCD gives variants in a package (Multivariant/<n>/, \
                             Multivariant.xml conditions) is not established from any real \
                             package, and building without it would leave these settings out; \
                             move them into <Common> or build one package per target",
                            c.local_name()
                        );
                        self.push(Code::MultivariantNotCompiled, label.clone(), c.pos, msg);
                    }
                    for tr in c.child("TargetRefs").into_iter().flat_map(|t| t.elements()) {
                        match tr.attr("Id") {
                            Some(id) if target_ids.contains_key(id) => {}
                            Some(id) => self.push(
                                Code::Structure,
                                format!("{label}/TargetRefs"),
                                tr.pos,
                                format!("TargetRef {id:?} names no <Target>"),
                            ),
                            None => self.push(
                                Code::MissingKey,
                                format!("{label}/TargetRefs"),
                                tr.pos,
                                "<TargetRef> lacks its Id attribute".into(),
                            ),
                        }
                    }
                    if let Some(s) = c.child("Settings") {
                        self.display.clear();
                        self.display.push_str(&label);
                        self.path.clear();
                        self.children(s, None, &root);
                    }
                }
                _ => self.misplaced(c, "Settings/Customizations"),
            }
        }
        self.display.clear();
        self.path.clear();
    }

    fn targets(&mut self, targets: &Element, ids: &mut HashMap<String, TextPos>) {
        for t in targets.elements() {
            match t.attr("Id") {
                None => self.push(
                    Code::MissingKey,
                    "Targets/Target".into(),
                    t.pos,
                    "<Target> lacks its Id attribute".into(),
                ),
                Some(id) => {
                    if let Some(first) = ids.get(id) {
                        let msg = format!("Target Id {id:?} already used at {first}");
                        self.push(
                            Code::DuplicateKey,
                            format!("Targets/Target[{id}]"),
                            t.pos,
                            msg,
                        );
                    } else {
                        ids.insert(id.to_owned(), t.pos);
                    }
                    for cond in t.elements().flat_map(Element::elements) {
                        if cond.attr("Name").is_none() || cond.attr("Value").is_none() {
                            self.push(
                                Code::MissingKey,
                                format!("Targets/Target[{id}]/TargetState/Condition"),
                                cond.pos,
                                "<Condition> needs Name and Value attributes".into(),
                            );
                        }
                    }
                }
            }
        }
    }

    /// An element where only structure is expected (`Settings`, `Customizations` children).
    fn misplaced(&mut self, el: &Element, parent: &str) {
        let name = el.local_name();
        let top = format!("/{name}");
        let belongs: Vec<&str> = if self.v.catalog.contains(&top) {
            vec![top.as_str()]
        } else {
            self.v
                .catalog
                .nearest(&top, 3)
                .into_iter()
                .filter(|p| p.rsplit('/').next() == Some(name))
                .collect()
        };
        if !belongs.is_empty() {
            self.push(
                Code::WrongParent,
                format!("{parent}/{name}"),
                el.pos,
                format!(
                    "setting <{name}> must be inside Settings/Customizations/Common (or a \
                     variant's Settings), not directly in <{}>; it belongs at {} (target {})",
                    parent.rsplit('/').next().unwrap_or(parent),
                    belongs.join(" or "),
                    self.v.edition.name()
                ),
            );
        } else {
            self.push(
                Code::UnknownSetting,
                format!("{parent}/{name}"),
                el.pos,
                format!("<{name}> is not expected in <{parent}>"),
            );
        }
    }

    /// Walks the child elements of a settings container whose catalog entry is `container`
    /// (`None` for `Common` / a variant's `Settings`).
    fn children(&mut self, el: &Element, container: Option<&Setting>, node: &Lookup<'a>) {
        let kind = container.map(|s| s.kind);
        let item = container.and_then(|s| s.item_element.as_deref());
        let key_attr = container.and_then(|s| s.key_attribute.as_deref());
        let mut seen: Vec<(&str, TextPos)> = Vec::new();
        let mut keys: HashMap<String, TextPos> = HashMap::new();
        for c in el.elements() {
            let name = c.local_name();
            let is_item =
                matches!(kind, Some(SettingKind::Map | SettingKind::List)) && item == Some(name);
            if is_item {
                let strict = kind == Some(SettingKind::Map);
                let sev = if strict {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                let attr = key_attr.unwrap_or("Name");
                let key = c.attr(attr).filter(|k| !k.trim().is_empty());
                // The one path syntax (`ppkg_format::path`): `UPN[x]`,
                // `ClientCertificate[CertificateName=x]`.
                let item_display = format!(
                    "{}/{}",
                    self.display,
                    ppkg_format::path::Segment::item(name, attr, key.unwrap_or("?"))
                );
                match key {
                    None => self.out.push(
                        Diagnostic::new(
                            Code::MissingKey,
                            item_display.clone(),
                            pos(c.pos),
                            format!("<{name}> lacks its key attribute {attr}"),
                        )
                        .with_severity(sev),
                    ),
                    Some(k) => {
                        let folded = k.to_lowercase();
                        if let Some(first) = keys.get(&folded) {
                            let msg = format!("{attr}={k:?} is already used at {first}");
                            self.out.push(
                                Diagnostic::new(
                                    Code::DuplicateKey,
                                    item_display.clone(),
                                    pos(c.pos),
                                    msg,
                                )
                                .with_severity(sev),
                            );
                        } else {
                            keys.insert(folded, c.pos);
                        }
                        if let (true, Some(map)) = (strict, container) {
                            self.map_key(map, k, &item_display, c.pos);
                        }
                    }
                }
                self.element(c, name, Some(item_display), &[attr, "Name"], node);
            } else {
                if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                    let msg = format!("<{name}> already appears at {first}; WCD keeps one");
                    let p = format!("{}/{name}", self.display);
                    self.push(Code::DuplicateSetting, p, c.pos, msg);
                } else {
                    seen.push((name, c.pos));
                }
                self.element(c, name, None, &[], node);
            }
        }
    }

    /// Checks one setting element named `name` below the current container path.
    fn element(
        &mut self,
        c: &Element,
        name: &str,
        display: Option<String>,
        attrs_ok: &[&str],
        parent: &Lookup<'a>,
    ) {
        let path_len = self.path.len();
        let display_len = self.display.len();
        self.path.push('/');
        self.path.push_str(name);
        let is_item = display.is_some();
        match display {
            Some(d) => {
                self.display.clear();
                self.display.push_str(&d);
            }
            None => {
                self.display.push('/');
                self.display.push_str(name);
            }
        }
        let found = self.lookup(parent, name);
        self.setting(c, attrs_ok, is_item, &found);
        self.path.truncate(path_len);
        self.display.truncate(display_len);
    }

    fn setting(&mut self, c: &Element, attrs_ok: &[&str], is_item: bool, found: &Lookup<'a>) {
        let catalog = self.v.catalog;
        let edition = self.v.edition;
        let Some(any) = found.any else {
            self.unknown(c);
            return;
        };
        let setting = match found.edition {
            Some(s) => s,
            None => {
                // Reported once, at the outermost setting the edition lacks.
                if self.in_edition {
                    let msg = format!(
                        "{} is not available for the target edition {}; it exists for {}",
                        self.path,
                        edition.name(),
                        catalog.editions_of(&self.path)
                    );
                    self.push(Code::SettingNotInTarget, self.display.clone(), c.pos, msg);
                }
                any
            }
        };
        if edition == Edition::Desktop
            && found.edition.is_some()
            && !setting.stores.is_empty()
            && !setting.stores.contains(Store::Wcd22621)
        {
            let msg = format!(
                "{} is defined only by {}; the current Windows 11 store (22621) no longer lists \
                 it, so newer Windows may ignore it",
                self.path,
                Store::Wcd2019.describe()
            );
            self.push(Code::OlderStoreOnly, self.display.clone(), c.pos, msg);
        }
        let was_in_edition = self.in_edition;
        self.in_edition &= found.edition.is_some();
        for a in &c.attrs {
            let n = a.name.as_str();
            if n == "xmlns" || n.starts_with("xmlns:") || attrs_ok.contains(&n) {
                continue;
            }
            let msg = format!("attribute {n} is not part of the setting; WCD ignores it");
            self.push(Code::UnexpectedAttribute, self.display.clone(), a.pos, msg);
        }
        if setting.kind.is_container() {
            if c.children.iter().any(|n| {
                matches!(
                    n,
                    ppkg_format::xml::Node::Text(_) | ppkg_format::xml::Node::CData(_)
                ) && !n.is_whitespace()
            }) {
                let msg = format!("a {} setting holds child settings, not text", setting.kind);
                self.push(Code::UnexpectedText, self.display.clone(), c.pos, msg);
            }
            if !found.required.is_empty() {
                self.required(c, &found.required);
            }
            self.children(c, Some(setting), found);
        } else if let Some(child) = c.elements().next() {
            let msg = format!(
                "a {} setting takes a value, not child elements (found <{}>)",
                setting.kind,
                child.local_name()
            );
            self.push(Code::WrongType, self.display.clone(), child.pos, msg);
        } else {
            self.compile_checks(c, setting);
            let text = text_of(c);
            if is_item && text.trim().is_empty() {
                // A list or map item whose key is its whole content
                // (`<Add PackageName="…"></Add>` under /StartupBackgroundTasks/ToAdd).
                self.in_edition = was_in_edition;
                return;
            }
            check_value(
                setting,
                &text,
                &self.display,
                pos(c.pos),
                &mut self.cache,
                &mut self.out,
            );
            if let Some(ddf) = self.v.ddf {
                self.ddf_check(ddf, setting, &text, pos(c.pos));
            }
        }
        self.in_edition = was_in_edition;
    }

    /// Checks a CSP-mapped value against its DDF node (see [`Validator::with_ddf`]).
    fn ddf_check(&mut self, ddf: &DdfSet, setting: &Setting, text: &str, at: Option<LineCol>) {
        let Some(csp) = &setting.csp else { return };
        let uri = csp_uri(&csp.path);
        let Some(found) = ddf.resolve(&uri) else {
            return;
        };
        let op = match csp.action {
            CspAction::Exec => Operation::Exec,
            CspAction::Delete => return,
            _ if found.node.props.access.add => Operation::Add,
            _ => Operation::Replace,
        };
        let t = text.trim();
        let value = match setting.kind {
            SettingKind::Bool if t.eq_ignore_ascii_case("true") => "true",
            SettingKind::Bool if t.eq_ignore_ascii_case("false") => "false",
            SettingKind::Int if setting.is_enum() => setting.value_for_label(t).unwrap_or(t),
            SettingKind::Int => t,
            _ => text,
        };
        let mut found_diags = Vec::new();
        found
            .node
            .check_into(&self.display, at, value, op, &mut found_diags);
        for mut d in found_diags {
            d.severity = d.severity.min(Severity::Warning);
            d.message = format!("DDF {uri}: {}", d.message);
            self.out.push(d);
        }
    }

    fn required(&mut self, c: &Element, required: &[&Setting]) {
        let missing: Vec<String> = required
            .iter()
            .filter(|s| c.child(&s.name).is_none())
            .filter(|s| visible(c, s))
            .map(|s| s.name.clone())
            .collect();
        for m in missing {
            let msg = format!("required setting <{m}> is missing");
            self.push(Code::MissingRequired, self.display.clone(), c.pos, msg);
        }
    }

    /// Checks a map item's key against the map's own constraints: the store puts `Pattern`,
    /// `MinLength` and `MaxLength` on some maps (type 8), and they can only apply to the key
    /// (`/Calling/CauseCodeRegistrationTable/NetworkDescriptors` `^\d{5,6}$`,
    /// `/UnifiedWriteFilter/Volumes` length 2, `([a-z]|[A-Z]):`).
    fn map_key(&mut self, map: &Setting, key: &str, path: &str, at: TextPos) {
        let c = &map.constraints;
        let len = key.encode_utf16().count();
        if c.max_length.is_some_and(|m| len > m as usize)
            || c.min_length.is_some_and(|m| len < m as usize)
        {
            let msg = format!(
                "key {key:?} has {len} characters; allowed {}..={}",
                c.min_length.unwrap_or(0),
                c.max_length
                    .map_or_else(|| "any".to_owned(), |m| m.to_string())
            );
            self.push(Code::ValueTooLong, path.to_owned(), at, msg);
        }
        if let Some(p) = c.pattern.as_deref() {
            match self.cache.get(p) {
                Some(re) if re.is_match(key) => {}
                Some(_) => {
                    let msg = format!("key {key:?} does not match the pattern {p}");
                    self.push(Code::PatternMismatch, path.to_owned(), at, msg);
                }
                None => self.out.push(
                    Diagnostic::new(
                        Code::Unchecked,
                        path,
                        pos(at),
                        format!("the key pattern {p} could not be compiled; not checked"),
                    )
                    .with_severity(Severity::Info),
                ),
            }
        }
    }

    /// What the compiler needs of a value setting (issue #11, "no silent drops"): a way to write
    /// it (CSP path, registry mapping, payload, or one of the WLAN fields it composes into a
    /// profile) and a SettingsGroup for its group; notes a generated SettingsGroup once per group.
    fn compile_checks(&mut self, c: &Element, setting: &Setting) {
        let wlan_field = setting
            .path
            .strip_prefix(crate::compile::WLAN_XML_SETTINGS_PATH)
            .is_some_and(|r| {
                matches!(
                    r,
                    "/SecurityType" | "/SecurityKey" | "/AutoConnect" | "/HiddenNetwork"
                )
            });
        let handled = wlan_field
            || setting.kind == SettingKind::Asset
            || setting.csp.is_some()
            || setting.registry.is_some();
        if !handled {
            let msg = format!(
                "{} has no CSP path or registry value in the settings store; WCD writes it with a \
                 handler this compiler does not implement, so it cannot be built (remove it, or \
                 write the CSP node it stands for under another setting)",
                setting.path
            );
            self.push(Code::NoCompilerHandler, self.display.clone(), c.pos, msg);
            return;
        }
        let group = setting.atomic_root.as_deref().unwrap_or(&setting.path);
        if self.v.catalog.settings_group(group).is_none() {
            let msg = format!(
                "no SettingsGroup GUID is known for its group {group} (no sequence table entry, \
                 no real package); it cannot be built"
            );
            self.push(Code::NoSettingsGroup, self.display.clone(), c.pos, msg);
        } else if matches!(
            self.v.catalog.group_source(group),
            Some(GroupSource::Generated)
        ) && !self.noted_groups.iter().any(|g| g == group)
        {
            self.noted_groups.push(group.to_owned());
            let msg = format!(
                "the SettingsGroup GUID of {group} is generated ({}: UUID v5 of the group path; \
                 WCD's own GUID for it is not known from any store or real package)",
                self.v.catalog.settings_group(group).unwrap_or_default()
            );
            self.push(
                Code::GeneratedSettingsGroup,
                self.display.clone(),
                c.pos,
                msg,
            );
        }
    }

    /// Reports every character XML 1.0 cannot carry in `el`'s subtree: element and attribute
    /// names, attribute values, text. `path` is `el`'s display path (element names from the
    /// root, map keys in brackets).
    fn xml_chars(&mut self, el: &Element, path: &str) {
        use ppkg_format::xml::{char_name, first_non_xml_char, Node};
        if let Some((_, n, ch)) = first_non_xml_char(&el.name) {
            let msg = format!(
                "element name holds {} at character {}; XML 1.0 cannot carry it",
                char_name(ch),
                n + 1
            );
            self.push(Code::InvalidXmlChar, path.to_owned(), el.pos, msg);
        }
        for a in &el.attrs {
            let at = if a.pos.is_known() { a.pos } else { el.pos };
            if let Some((_, n, ch)) =
                first_non_xml_char(&a.name).or_else(|| first_non_xml_char(&a.value))
            {
                let msg = format!(
                    "attribute {} holds {} at character {}; XML 1.0 cannot carry it, so no \
                     package can hold it",
                    a.name.escape_debug(),
                    char_name(ch),
                    n + 1
                );
                self.push(Code::InvalidXmlChar, path.to_owned(), at, msg);
            }
        }
        let mut offset = 0usize;
        for node in &el.children {
            match node {
                Node::Element(child) => {
                    let key = child
                        .attrs
                        .iter()
                        .find(|a| !a.name.starts_with("xmlns") && a.name != "Name")
                        .or_else(|| child.attrs.iter().find(|a| a.name == "Name"))
                        .map(|a| format!("[{}]", a.value.escape_debug()))
                        .unwrap_or_default();
                    let p = format!("{path}/{}{key}", child.local_name());
                    self.xml_chars(child, &p);
                }
                Node::Text(t) | Node::CData(t) | Node::Comment(t) => {
                    if let Some((_, n, ch)) = first_non_xml_char(t) {
                        let msg = format!(
                            "the value holds {} at character {}; XML 1.0 cannot carry it, so no \
                             package can hold it (remove the control character)",
                            char_name(ch),
                            offset + n + 1
                        );
                        self.push(Code::InvalidXmlChar, path.to_owned(), el.pos, msg);
                    }
                    offset += t.chars().count();
                }
                Node::ProcessingInstruction(t) => {
                    if let Some((_, n, ch)) = first_non_xml_char(t) {
                        let msg = format!(
                            "processing instruction holds {} at character {}",
                            char_name(ch),
                            n + 1
                        );
                        self.push(Code::InvalidXmlChar, path.to_owned(), el.pos, msg);
                    }
                }
                _ => {}
            }
        }
    }

    /// Runs the compiler on the answer file with stand-in asset content (every reference
    /// resolves to an empty file of its name) and reports its refusal, if any, as a
    /// [`Code::NoCompilerHandler`] error at the position it names. Asset errors are not
    /// reported: the stand-in content is not the user's file (`build` reads the real one).
    fn dry_compile(&mut self, answer: &AnswerFile) {
        use crate::compile::{
            compile_check, file_name_of, AssetContent, AssetFile, CompileOptions,
        };
        use crate::Error;
        struct StandIn;
        impl crate::compile::AssetResolver for StandIn {
            fn resolve(&self, _: &str, reference: &str) -> std::io::Result<AssetFile> {
                Ok(AssetFile {
                    file_name: file_name_of(reference).to_owned(),
                    content: AssetContent::Bytes(Vec::new()),
                })
            }
        }
        let mut opts = CompileOptions::for_edition(self.v.edition);
        opts.package_id = Some("{00000000-0000-0000-0000-000000000000}".to_owned());
        // The compiler's checks without its documents: only the refusal matters here.
        let checked = compile_check(answer, self.v.catalog, &opts, &StandIn);
        let (path, line, column, message) = match checked {
            Ok(()) | Err(Error::Asset { .. }) => return,
            Err(Error::UnknownSetting { path, line, column }) => (
                path,
                line,
                column,
                "the compiler finds no such setting".to_owned(),
            ),
            Err(Error::InvalidValue {
                path,
                line,
                column,
                message,
            }) => (path, line, column, message),
            Err(e) => (String::new(), 0, 0, e.to_string()),
        };
        let at = (line > 0).then_some(LineCol { line, column });
        self.out.push(Diagnostic::new(
            Code::NoCompilerHandler,
            path,
            at,
            format!("build would refuse this: {message}"),
        ));
    }

    fn unknown(&mut self, c: &Element) {
        let name = c.local_name();
        let near = self.v.catalog.nearest(&self.path, 3);
        let same_name: Vec<&str> = near
            .iter()
            .copied()
            .filter(|p| p.rsplit('/').next() == Some(name))
            .collect();
        let edition = self.v.edition.name();
        if !same_name.is_empty() {
            let msg = format!(
                "<{name}> is not valid here (target {edition}); it belongs at {}",
                same_name.join(" or ")
            );
            self.push(Code::WrongParent, self.display.clone(), c.pos, msg);
        } else if near.is_empty() {
            let msg = format!("unknown setting {} (target {edition})", self.path);
            self.push(Code::UnknownSetting, self.display.clone(), c.pos, msg);
        } else {
            let msg = format!(
                "unknown setting {} (target {edition}); did you mean {}?",
                self.path,
                near.join(", ")
            );
            self.push(Code::UnknownSetting, self.display.clone(), c.pos, msg);
        }
    }
}

/// Whether a setting's UI show-conditions hold in its parent element `parent`: some condition
/// group whose conditions all hold (condition code 1, "equals", the only one in the store,
/// `TYPES.md`). Only sibling references (`../Name`) are evaluated; a setting with conditions of
/// another shape counts as not shown, so it is never reported as missing.
fn visible(parent: &Element, s: &Setting) -> bool {
    if s.conditions.is_empty() {
        return true;
    }
    let mut groups: Vec<&str> = s.conditions.iter().map(|c| c.group.as_str()).collect();
    groups.dedup();
    groups.iter().any(|g| {
        s.conditions.iter().filter(|c| c.group == *g).all(|c| {
            c.condition == 1
                && c.setting
                    .strip_prefix("../")
                    .filter(|n| !n.contains('/'))
                    .and_then(|n| parent.child(n))
                    .is_some_and(|e| e.text().trim().eq_ignore_ascii_case(c.value.trim()))
        })
    })
}

/// The text of a value element, borrowed when it is a single text node (the usual case).
fn text_of(c: &Element) -> std::borrow::Cow<'_, str> {
    match c.children.as_slice() {
        [] => std::borrow::Cow::Borrowed(""),
        [ppkg_format::xml::Node::Text(t)] => std::borrow::Cow::Borrowed(t.as_str()),
        _ => std::borrow::Cow::Owned(c.text()),
    }
}

/// The OMA-URI of a WCD CSP path: `./Vendor/MSFT/ClientCertificateInstall!scope=Device/…/~Key~/X`
/// → `./Device/Vendor/MSFT/ClientCertificateInstall/…/~Key~/X` (the `~Key~` segment stays; it
/// matches the DDF's dynamic node like any other segment).
fn csp_uri(path: &str) -> String {
    let mut scope = None;
    let mut segs: Vec<&str> = Vec::new();
    for seg in path.trim().trim_start_matches("./").split('/') {
        match seg.split_once("!scope=") {
            Some((name, sc)) => {
                scope = Some(sc);
                segs.push(name);
            }
            None => segs.push(seg),
        }
    }
    match scope {
        Some(sc) if sc.eq_ignore_ascii_case("user") => format!("./User/{}", segs.join("/")),
        Some(_) => format!("./Device/{}", segs.join("/")),
        None => format!("./{}", segs.join("/")),
    }
}

/// The number of value settings (elements without child elements) below a variant's
/// `<Settings>`.
fn count_values(el: &Element) -> usize {
    el.elements()
        .map(|c| if c.has_elements() { count_values(c) } else { 1 })
        .sum()
}
