//! Profile ↔ the `Customizations/Common` element tree, with WCD's element and attribute names.
//!
//! Names come from WCD's settings store (`shared/reference/wcd-store/settings-*.jsonl`) and
//! the real answer files in `shared/reference/customizations/`: list items carry their key
//! attribute (`UPN`, `CertificateName`, `SSID`, `UserName`, `CertificateHash`, `Name`) and,
//! where WCD writes it, a `Name` attribute; enum values are WCD's display labels; booleans are
//! `True`/`False`. WCD writes elements in alphabetical order; so does this module.

use crate::profile::{
    Asset, AuthPolicy, AzureAdJoin, ClientCertificate, Dependency, DomainJoin, Enrollment,
    KeyLocation, LocalUser, Profile, ProvisioningCommand, TrustedCertificate, TrustedProvisioner,
    Wifi, WifiSecurity,
};
use crate::secret::Secret;
use crate::setting::{flatten, format_path, parse_path, Node, RawSetting, Segment};

/// Customizations.xml element paths of the typed settings (below `Common`).
pub(crate) mod paths {
    pub(crate) const UPN: &str = "Workplace/Enrollments/UPN";
    pub(crate) const CLIENT_CERT: &str = "Certificates/ClientCertificates/ClientCertificate";
    pub(crate) const ROOT_CERT: &str = "Certificates/RootCertificates/RootCertificate";
    /// WCD's own spelling, `CACerificate`.
    pub(crate) const CA_CERT: &str = "Certificates/CACertificates/CACerificate";
    pub(crate) const PEOPLE_CERT: &str = "Certificates/TrustedPeopleCertificates/Certificate";
    pub(crate) const PROVISIONER: &str = "Certificates/TrustedProvisioners/Certificate";
    pub(crate) const WLAN: &str = "ConnectivityProfiles/WLAN/WLANSetting/WLANConfig";
    /// WCD's raw WLAN profile list (an `.xml` file per item); carries the security types WCD
    /// has no typed settings for.
    pub(crate) const WLAN_PROFILE: &str = "ConnectivityProfiles/WLAN/Profiles/Profile";
    pub(crate) const COMPUTER: &str = "Accounts/ComputerAccount";
    pub(crate) const USER: &str = "Accounts/Users/User";
    pub(crate) const AZURE: &str = "Accounts/Azure";
    pub(crate) const COMMAND: &str = "ProvisioningCommands/PrimaryContext/Command/CommandConfig";
}

/// A field path for diagnostics: `prefix[value]` or `prefix[Key=value]` (see
/// [`ppkg_format::path`]).
pub(crate) fn item_path(prefix: &str, key: &str, value: &str) -> String {
    let names: Vec<&str> = prefix.split('/').collect();
    let mut segs: Vec<Segment> = names.iter().map(|n| Segment::plain(n)).collect();
    if let Some(last) = segs.last_mut() {
        last.attrs.push((key.to_owned(), value.to_owned()));
    }
    format_path(&segs)
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "True" | "true" => Some(true),
        "False" | "false" => Some(false),
        _ => None,
    }
}

struct Item {
    segs: Vec<Segment>,
    out: Vec<RawSetting>,
}

impl Item {
    fn new(prefix: &str, attrs: &[(&str, &str)]) -> Self {
        let mut segs: Vec<Segment> = prefix.split('/').map(Segment::plain).collect();
        if let Some(last) = segs.last_mut() {
            last.attrs = attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
        }
        Item {
            segs,
            out: Vec::new(),
        }
    }
    fn set(&mut self, rel: &str, value: impl Into<String>) {
        let mut segs = self.segs.clone();
        segs.extend(rel.split('/').map(Segment::plain));
        self.out.push(RawSetting::new(format_path(&segs), value));
    }
    fn set_opt(&mut self, rel: &str, value: Option<impl Into<String>>) {
        if let Some(v) = value {
            self.set(rel, v);
        }
    }
    fn set_seg(&mut self, rel: &[Segment], value: impl Into<String>) {
        let mut segs = self.segs.clone();
        segs.extend_from_slice(rel);
        self.out.push(RawSetting::new(format_path(&segs), value));
    }
}

fn secret_text(s: &Option<Secret>) -> Option<String> {
    s.as_ref().map(|s| s.expose().to_owned())
}

/// The typed fields as settings, in WCD's (alphabetical) order.
pub(crate) fn typed_settings(p: &Profile) -> Vec<RawSetting> {
    let mut items: Vec<Item> = Vec::new();
    if let Some(az) = &p.azure_ad {
        let mut it = Item::new(paths::AZURE, &[]);
        it.set_opt("Authority", az.authority.clone());
        it.set("BPRT", az.bprt.expose());
        items.push(it);
    }
    if p.computer_name.is_some() || p.domain_join.is_some() {
        let mut it = Item::new(paths::COMPUTER, &[]);
        if let Some(dj) = &p.domain_join {
            it.set_opt("Account", dj.account.clone());
            it.set_opt("AccountOU", dj.ou.clone());
        }
        it.set_opt("ComputerName", p.computer_name.clone());
        if let Some(dj) = &p.domain_join {
            it.set("DomainName", dj.domain.clone());
            it.set_opt("Password", secret_text(&dj.password));
        }
        items.push(it);
    }
    for u in &p.local_users {
        let mut it = Item::new(paths::USER, &[("UserName", &u.name)]);
        it.set_opt("Password", secret_text(&u.password));
        it.set_opt("UserGroup", u.group.clone());
        items.push(it);
    }
    for c in &p.ca_certificates {
        items.push(trusted_item(paths::CA_CERT, "CertificatePath", c));
    }
    for c in &p.client_certificates {
        let label = c.label.as_deref().unwrap_or(&c.name);
        let mut it = Item::new(
            paths::CLIENT_CERT,
            &[("CertificateName", &c.name), ("Name", label)],
        );
        it.set_opt("CertificatePassword", secret_text(&c.password));
        it.set("CertificatePath", c.pfx.path.clone());
        it.set_opt("ExportCertificate", c.export_certificate.map(bool_text));
        it.set_opt(
            "KeyLocation",
            c.key_location.as_ref().map(|k| k.label().to_owned()),
        );
        items.push(it);
    }
    for c in &p.root_certificates {
        items.push(trusted_item(paths::ROOT_CERT, "CertificatePath", c));
    }
    for c in &p.trusted_people_certificates {
        items.push(trusted_item(paths::PEOPLE_CERT, "TrustedCertificate", c));
    }
    for t in &p.trusted_provisioners {
        let label = t.label.as_deref().unwrap_or(&t.hash);
        let mut it = Item::new(
            paths::PROVISIONER,
            &[("CertificateHash", &t.hash), ("Name", label)],
        );
        it.set("TrustedProvisioner", t.certificate.path.clone());
        items.push(it);
    }
    for w in &p.wifi {
        if !w.security.is_wcd_typed() && !matches!(w.security, WifiSecurity::Other(_)) {
            // WPA3 and 802.1X: a WLAN profile XML file (generated, see `Profile::assets`).
            let mut it = Item::new(paths::WLAN_PROFILE, &[("Name", &w.ssid)]);
            let path = format_path(&it.segs);
            it.out.push(RawSetting::new(
                path,
                crate::wlan::wlan_profile_file_name(&w.ssid),
            ));
            items.push(it);
            continue;
        }
        let mut it = Item::new(paths::WLAN, &[("SSID", &w.ssid), ("Name", &w.ssid)]);
        it.set_opt("ProxyServerPort", w.proxy.clone());
        it.set_opt("WLANXmlSettings/AutoConnect", w.auto_connect.map(bool_text));
        it.set_opt("WLANXmlSettings/HiddenNetwork", w.hidden.map(bool_text));
        it.set_opt("WLANXmlSettings/SecurityKey", secret_text(&w.key));
        it.set("WLANXmlSettings/SecurityType", w.security.label());
        items.push(it);
    }
    for c in &p.commands {
        let mut it = Item::new(paths::COMMAND, &[("Name", &c.name)]);
        it.set_opt("CommandFile", c.file.as_ref().map(|f| f.path.clone()));
        it.set("CommandLine", c.command_line.clone());
        it.set_opt("ContinueInstall", c.continue_install.map(bool_text));
        for d in &c.dependencies {
            let segs = [
                Segment::plain("DependencyPackages"),
                Segment {
                    name: "Dependency".into(),
                    attrs: vec![("Name".into(), d.name.clone())],
                },
            ];
            it.set_seg(&segs, d.file.path.clone());
        }
        it.set_opt("RestartRequired", c.restart_required.map(bool_text));
        it.set_opt(
            "ReturnCodeRestart",
            c.return_code_restart.map(|n| n.to_string()),
        );
        it.set_opt(
            "ReturnCodeSuccess",
            c.return_code_success.map(|n| n.to_string()),
        );
        items.push(it);
    }
    for e in &p.enrollments {
        let mut it = Item::new(paths::UPN, &[("UPN", &e.upn), ("Name", &e.upn)]);
        it.set("AuthPolicy", e.auth_policy.label());
        it.set_opt(
            "DiscoveryServiceFullUrl",
            e.discovery_service_full_url.clone(),
        );
        it.set_opt(
            "EnrollmentServiceFullUrl",
            e.enrollment_service_full_url.clone(),
        );
        it.set_opt("PolicyServiceFullUrl", e.policy_service_full_url.clone());
        it.set_opt("Secret", secret_text(&e.secret));
        items.push(it);
    }
    items.into_iter().flat_map(|i| i.out).collect()
}

fn trusted_item(prefix: &str, leaf: &str, c: &TrustedCertificate) -> Item {
    let label = c.label.as_deref().unwrap_or(&c.name);
    let mut it = Item::new(prefix, &[("CertificateName", &c.name), ("Name", label)]);
    it.set(leaf, c.certificate.path.clone());
    it
}

/// Builds the `Common` element: typed settings and untyped ones merged into one tree, the
/// top-level groups in alphabetical order as WCD writes them.
///
/// # Errors
/// A [`crate::setting::PathError`] for an untyped setting whose path does not parse.
pub(crate) fn to_common(p: &Profile) -> Result<Node, crate::setting::PathError> {
    let mut root = Node::element("Common");
    for s in typed_settings(p).iter().chain(&p.settings) {
        insert_merging(&mut root, s)?;
    }
    root.children.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(root)
}

/// Adds a setting to the tree; an intermediate element merges with *any* sibling of the same name
/// and attributes, so typed and untyped settings of one group share one element.
fn insert_merging(root: &mut Node, s: &RawSetting) -> Result<(), crate::setting::PathError> {
    let mut segs = parse_path(&s.path)?;
    crate::setting::name_keys(&mut segs);
    let Some((leaf, dirs)) = segs.split_last() else {
        return Ok(());
    };
    let mut cur = root;
    for seg in dirs {
        let idx = match cur
            .children
            .iter()
            .position(|c| !c.is_leaf() && c.name == seg.name && c.attrs == seg.attrs)
        {
            Some(i) => i,
            None => {
                cur.children.push(Node {
                    name: seg.name.clone(),
                    attrs: seg.attrs.clone(),
                    text: None,
                    children: Vec::new(),
                });
                cur.children.len() - 1
            }
        };
        cur = &mut cur.children[idx];
    }
    cur.children.push(Node {
        name: leaf.name.clone(),
        attrs: leaf.attrs.clone(),
        text: Some(s.value.clone()),
        children: Vec::new(),
    });
    Ok(())
}

/// One list item (or singleton group) found while reading: its element, and its leaves
/// relative to it.
struct Group {
    pattern: usize,
    item: Segment,
    leaves: Vec<(Vec<Segment>, String)>,
    indexes: Vec<usize>,
}

const PATTERNS: &[&str] = &[
    paths::UPN,
    paths::CLIENT_CERT,
    paths::ROOT_CERT,
    paths::CA_CERT,
    paths::PEOPLE_CERT,
    paths::PROVISIONER,
    paths::WLAN,
    paths::COMPUTER,
    paths::USER,
    paths::AZURE,
    paths::COMMAND,
];

/// Reads the `Common` element into the profile's typed fields; everything that does not fit
/// a type exactly (unknown child, duplicate, unparsable boolean or number, unexpected
/// attribute) stays in `settings`, in document order.
pub(crate) fn from_common(p: &mut Profile, common: &Node) {
    let flat = flatten(common);
    let parsed: Vec<Vec<Segment>> = flat
        .iter()
        .map(|s| {
            let mut segs = parse_path(&s.path).unwrap_or_default();
            crate::setting::name_keys(&mut segs);
            segs
        })
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    for (i, segs) in parsed.iter().enumerate() {
        for (pi, pat) in PATTERNS.iter().enumerate() {
            let names: Vec<&str> = pat.split('/').collect();
            let n = names.len();
            if segs.len() <= n
                || !segs[..n]
                    .iter()
                    .zip(&names)
                    .all(|(s, name)| s.name == *name)
                || segs[..n - 1].iter().any(|s| !s.attrs.is_empty())
            {
                continue;
            }
            let item = segs[n - 1].clone();
            let rel = segs[n..].to_vec();
            match groups
                .iter_mut()
                .find(|g| g.pattern == pi && g.item == item)
            {
                Some(g) => {
                    g.leaves.push((rel, flat[i].value.clone()));
                    g.indexes.push(i);
                }
                None => groups.push(Group {
                    pattern: pi,
                    item,
                    leaves: vec![(rel, flat[i].value.clone())],
                    indexes: vec![i],
                }),
            }
            break;
        }
    }
    let mut used = vec![false; flat.len()];
    for g in &groups {
        if take_group(p, g) {
            for &i in &g.indexes {
                used[i] = true;
            }
        }
    }
    p.settings = flat
        .into_iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(s, _)| s)
        .collect();
}

/// Leaves of one item by relative name; `None` when a name repeats or a leaf has attributes
/// (other than the allowed `Dependency[@Name]`).
struct Leaves<'a> {
    map: Vec<(String, &'a str)>,
    deps: Vec<(String, &'a str)>,
}

impl<'a> Leaves<'a> {
    fn new(leaves: &'a [(Vec<Segment>, String)], allowed: &[&str]) -> Option<Self> {
        let mut map: Vec<(String, &'a str)> = Vec::new();
        let mut deps = Vec::new();
        for (rel, v) in leaves {
            if rel.len() == 2
                && rel[0].name == "DependencyPackages"
                && rel[0].attrs.is_empty()
                && rel[1].name == "Dependency"
                && allowed.contains(&"DependencyPackages/Dependency")
            {
                let [(k, name)] = rel[1].attrs.as_slice() else {
                    return None;
                };
                if k != "Name" || deps.iter().any(|(n, _)| n == name) {
                    return None;
                }
                deps.push((name.clone(), v.as_str()));
                continue;
            }
            if rel.iter().any(|s| !s.attrs.is_empty()) {
                return None;
            }
            let name = rel
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join("/");
            if !allowed.contains(&name.as_str()) || map.iter().any(|(n, _)| *n == name) {
                return None;
            }
            map.push((name, v.as_str()));
        }
        Some(Leaves { map, deps })
    }
    fn get(&self, name: &str) -> Option<&'a str> {
        self.map.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
    fn string(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }
    fn secret(&self, name: &str) -> Option<Secret> {
        self.get(name).map(Secret::new)
    }
    /// `Ok(None)` when absent, `Err` when present but not a boolean.
    fn boolean(&self, name: &str) -> Result<Option<bool>, ()> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => parse_bool(v).map(Some).ok_or(()),
        }
    }
    fn int(&self, name: &str) -> Result<Option<i64>, ()> {
        match self.get(name) {
            None => Ok(None),
            // Keep only canonical text so the value writes back unchanged.
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n.to_string() == v => Ok(Some(n)),
                _ => Err(()),
            },
        }
    }
}

/// Splits an item's attributes into (key, Name); `None` for other attribute sets.
fn key_and_name<'a>(
    item: &'a Segment,
    key: &str,
    name_attr: bool,
) -> Option<(&'a str, Option<&'a str>)> {
    let mut k = None;
    let mut n = None;
    for (a, v) in &item.attrs {
        if a == key && k.is_none() {
            k = Some(v.as_str());
        } else if a == "Name" && name_attr && n.is_none() {
            n = Some(v.as_str());
        } else {
            return None;
        }
    }
    Some((k?, n))
}

fn label_of(key: &str, name: Option<&str>) -> Option<String> {
    name.filter(|n| *n != key).map(str::to_owned)
}

fn take_group(p: &mut Profile, g: &Group) -> bool {
    take_group_inner(p, g).is_some()
}

fn take_group_inner(p: &mut Profile, g: &Group) -> Option<()> {
    match PATTERNS[g.pattern] {
        paths::UPN => {
            let (upn, name) = key_and_name(&g.item, "UPN", true)?;
            // WCD writes Name = UPN; keep other Name values untyped rather than lose them.
            if name.is_some_and(|n| n != upn) || p.enrollments.iter().any(|e| e.upn == upn) {
                return None;
            }
            let l = Leaves::new(
                &g.leaves,
                &[
                    "AuthPolicy",
                    "DiscoveryServiceFullUrl",
                    "EnrollmentServiceFullUrl",
                    "PolicyServiceFullUrl",
                    "Secret",
                ],
            )?;
            p.enrollments.push(Enrollment {
                upn: upn.to_owned(),
                auth_policy: AuthPolicy::from_label(l.get("AuthPolicy")?),
                discovery_service_full_url: l.string("DiscoveryServiceFullUrl"),
                enrollment_service_full_url: l.string("EnrollmentServiceFullUrl"),
                policy_service_full_url: l.string("PolicyServiceFullUrl"),
                secret: l.secret("Secret"),
            });
        }
        paths::CLIENT_CERT => {
            let (name, label) = key_and_name(&g.item, "CertificateName", true)?;
            let l = Leaves::new(
                &g.leaves,
                &[
                    "CertificatePassword",
                    "CertificatePath",
                    "ExportCertificate",
                    "KeyLocation",
                ],
            )?;
            p.client_certificates.push(ClientCertificate {
                name: name.to_owned(),
                label: label_of(name, label),
                pfx: Asset::path(l.get("CertificatePath")?),
                password: l.secret("CertificatePassword"),
                key_location: l.get("KeyLocation").map(KeyLocation::from_label),
                export_certificate: l.boolean("ExportCertificate").ok()?,
            });
        }
        pat @ (paths::ROOT_CERT | paths::CA_CERT | paths::PEOPLE_CERT) => {
            let (name, label) = key_and_name(&g.item, "CertificateName", true)?;
            let leaf = if pat == paths::PEOPLE_CERT {
                "TrustedCertificate"
            } else {
                "CertificatePath"
            };
            let l = Leaves::new(&g.leaves, &[leaf])?;
            let c = TrustedCertificate {
                name: name.to_owned(),
                label: label_of(name, label),
                certificate: Asset::path(l.get(leaf)?),
            };
            match pat {
                paths::ROOT_CERT => p.root_certificates.push(c),
                paths::CA_CERT => p.ca_certificates.push(c),
                _ => p.trusted_people_certificates.push(c),
            }
        }
        paths::PROVISIONER => {
            let (hash, label) = key_and_name(&g.item, "CertificateHash", true)?;
            let l = Leaves::new(&g.leaves, &["TrustedProvisioner"])?;
            p.trusted_provisioners.push(TrustedProvisioner {
                hash: hash.to_owned(),
                label: label_of(hash, label),
                certificate: Asset::path(l.get("TrustedProvisioner")?),
            });
        }
        paths::WLAN => {
            let (ssid, name) = key_and_name(&g.item, "SSID", true)?;
            if name.is_some_and(|n| n != ssid) || p.wifi.iter().any(|w| w.ssid == ssid) {
                return None;
            }
            let l = Leaves::new(
                &g.leaves,
                &[
                    "ProxyServerPort",
                    "WLANXmlSettings/AutoConnect",
                    "WLANXmlSettings/HiddenNetwork",
                    "WLANXmlSettings/SecurityKey",
                    "WLANXmlSettings/SecurityType",
                ],
            )?;
            let security = WifiSecurity::from_label(l.get("WLANXmlSettings/SecurityType")?);
            // WPA3 and 802.1X are written as a WLAN profile, never as WLANSetting: a
            // WLANSetting that names them is not WCD's and stays untyped (validation reports it).
            if !security.is_wcd_typed() && !matches!(security, WifiSecurity::Other(_)) {
                return None;
            }
            p.wifi.push(Wifi {
                ssid: ssid.to_owned(),
                security,
                key: l.secret("WLANXmlSettings/SecurityKey"),
                auto_connect: l.boolean("WLANXmlSettings/AutoConnect").ok()?,
                hidden: l.boolean("WLANXmlSettings/HiddenNetwork").ok()?,
                proxy: l.string("ProxyServerPort"),
                eap: None,
            });
        }
        paths::COMPUTER => {
            if !g.item.attrs.is_empty() || p.computer_name.is_some() || p.domain_join.is_some() {
                return None;
            }
            let l = Leaves::new(
                &g.leaves,
                &[
                    "Account",
                    "AccountOU",
                    "ComputerName",
                    "DomainName",
                    "Password",
                ],
            )?;
            let domain = l.string("DomainName");
            let has_join_fields = ["Account", "AccountOU", "Password"]
                .iter()
                .any(|n| l.get(n).is_some());
            if domain.is_none() && has_join_fields {
                return None;
            }
            p.computer_name = l.string("ComputerName");
            p.domain_join = domain.map(|domain| DomainJoin {
                domain,
                account: l.string("Account"),
                password: l.secret("Password"),
                ou: l.string("AccountOU"),
            });
        }
        paths::USER => {
            let (name, _) = key_and_name(&g.item, "UserName", false)?;
            if p.local_users.iter().any(|u| u.name == name) {
                return None;
            }
            let l = Leaves::new(&g.leaves, &["Password", "UserGroup"])?;
            p.local_users.push(LocalUser {
                name: name.to_owned(),
                password: l.secret("Password"),
                group: l.string("UserGroup"),
            });
        }
        paths::AZURE => {
            if !g.item.attrs.is_empty() || p.azure_ad.is_some() {
                return None;
            }
            let l = Leaves::new(&g.leaves, &["Authority", "BPRT"])?;
            p.azure_ad = Some(AzureAdJoin {
                authority: l.string("Authority"),
                bprt: l.secret("BPRT")?,
                issued: None,
                expires: None,
                account: None,
            });
        }
        paths::COMMAND => {
            let (name, _) = key_and_name(&g.item, "Name", false)?;
            if p.commands.iter().any(|c| c.name == name) {
                return None;
            }
            let l = Leaves::new(
                &g.leaves,
                &[
                    "CommandFile",
                    "CommandLine",
                    "ContinueInstall",
                    "DependencyPackages/Dependency",
                    "RestartRequired",
                    "ReturnCodeRestart",
                    "ReturnCodeSuccess",
                ],
            )?;
            p.commands.push(ProvisioningCommand {
                name: name.to_owned(),
                file: l.get("CommandFile").map(Asset::path),
                command_line: l.string("CommandLine")?,
                continue_install: l.boolean("ContinueInstall").ok()?,
                restart_required: l.boolean("RestartRequired").ok()?,
                return_code_restart: l.int("ReturnCodeRestart").ok()?,
                return_code_success: l.int("ReturnCodeSuccess").ok()?,
                dependencies: l
                    .deps
                    .iter()
                    .map(|(n, v)| Dependency {
                        name: n.clone(),
                        file: Asset::path(*v),
                    })
                    .collect(),
            });
        }
        _ => return None,
    }
    Some(())
}
