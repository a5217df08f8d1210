//! The CSP node tree over many DDF files, and OMA-URI resolution.

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::{DdfError, DdfErrorKind};
use super::model::{DdfFile, DdfNode};

/// The scope part of an OMA-URI.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[non_exhaustive]
pub enum UriScope {
    /// `./Device/…`, and `./Vendor/MSFT/…` with no scope (Windows applies an unscoped
    /// `./Vendor/MSFT` URI to the device; Microsoft's CSP docs, "device scope").
    Device,
    /// `./User/…`: the current user.
    User,
    /// A URI outside `Vendor`, e.g. `./DevDetail/…` (DevDetail.xml's `<Path>.</Path>`).
    Unscoped,
}

impl UriScope {
    /// Whether a root defined in scope `self` can serve a URI in scope `uri`: same scope, an
    /// unscoped root (e.g. `./DevDetail`) serves any, and a device root serves an unscoped URI.
    fn serves(self, uri: UriScope) -> bool {
        self == uri || self == Self::Unscoped || (uri == Self::Unscoped && self == Self::Device)
    }
}

/// A parsed OMA-URI: scope plus the segments after the scope (`./User/Vendor/MSFT/WiFi` →
/// `User`, `["Vendor", "MSFT", "WiFi"]`).
///
/// Accepted forms: `./Device/…`, `./User/…`, `./Vendor/…` (device), `./Other/…` (unscoped), the
/// same without the leading `./` (as `MSFT:DependencyUri` writes them), and `.` alone.
/// Segments are kept as written (percent escapes such as `Lab%20Net` are not decoded).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct OmaUri {
    /// The scope.
    pub scope: UriScope,
    /// The segments after the scope.
    pub segments: Vec<String>,
}

impl OmaUri {
    /// Parses a URI; `None` when a segment is empty (`./Vendor//WiFi`, a trailing `/`).
    pub fn parse(uri: &str) -> Option<Self> {
        let s = uri.trim();
        let s = s
            .strip_prefix("./")
            .or_else(|| if s == "." { Some("") } else { None })
            .unwrap_or(s);
        let s = s.strip_prefix('/').unwrap_or(s);
        let mut segments: Vec<String> = Vec::new();
        if !s.is_empty() {
            for seg in s.split('/') {
                if seg.is_empty() {
                    return None;
                }
                segments.push(seg.to_owned());
            }
        }
        let scope = match segments.first().map(String::as_str) {
            Some("Device") => {
                segments.remove(0);
                UriScope::Device
            }
            Some("User") => {
                segments.remove(0);
                UriScope::User
            }
            Some("Vendor") => UriScope::Device,
            _ => UriScope::Unscoped,
        };
        Some(Self { scope, segments })
    }
}

impl fmt::Display for OmaUri {
    /// `./Device/Vendor/MSFT/WiFi`, `./User/…`, `./DevDetail/…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(".")?;
        match self.scope {
            UriScope::Device => f.write_str("/Device")?,
            UriScope::User => f.write_str("/User")?,
            UriScope::Unscoped => {}
        }
        for s in &self.segments {
            write!(f, "/{s}")?;
        }
        Ok(())
    }
}

/// One CSP root in a [`CspTree`]: its full URI and top-level node.
#[derive(Clone, Debug, PartialEq)]
struct Root {
    uri: OmaUri,
    node: DdfNode,
    file: usize,
}

/// The CSP node trees of many DDF files, keyed by root URI (e.g.
/// `./Device/Vendor/MSFT/ClientCertificateInstall` and its `./User` twin).
///
/// A root's URI is its `<Path>` plus its `<NodeName>`, except when the path already ends in the
/// node name: `ProvisioningCommandsDDF.xml` writes `<Path>./Vendor/MSFT/ProvisioningCommands</Path>`
/// for node `ProvisioningCommands`, whose documented URIs are
/// `./Vendor/MSFT/ProvisioningCommands/DeviceContext/…`. A root may sit inside another
/// (`Security_AreaDDF.xml` defines `./Device/Vendor/MSFT/Policy/Config/Security` inside
/// Policy.xml's dynamic `Config/<area>`); [`CspTree::resolve`] tries the longest root first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CspTree {
    roots: Vec<Root>,
    duplicates: Vec<String>,
}

/// The result of [`CspTree::resolve`]: the node an OMA-URI names and how it was reached.
#[derive(Clone, Debug)]
pub struct Resolved<'a> {
    /// The node named by the URI.
    pub node: &'a DdfNode,
    /// The nodes from the CSP root down to `node` (inclusive).
    pub chain: Vec<&'a DdfNode>,
    /// The URI as parsed.
    pub uri: OmaUri,
    /// The URI of the root that served it (e.g. `./Device/Vendor/MSFT/WiFi`).
    pub root: String,
    /// Index of the file (in load order) that defines the root.
    pub file: usize,
    /// The segments that named dynamic nodes, with each node's display name
    /// (`("<SSID>", "Lab%20Net")`).
    pub instances: Vec<(String, String)>,
}

impl CspTree {
    /// Adds the top-level nodes of `file` (index `file_index` in load order). A root whose URI is
    /// already present is not added; its URI is recorded in [`CspTree::duplicates`].
    pub fn add_file(&mut self, file: &DdfFile, file_index: usize) {
        for n in &file.nodes {
            let Some(mut uri) = OmaUri::parse(n.path.as_deref().unwrap_or(".")) else {
                self.duplicates
                    .push(format!("{:?}: unparseable <Path>", n.path));
                continue;
            };
            if uri.segments.last().map(String::as_str) != Some(n.name.as_str()) {
                uri.segments.push(n.name.clone());
            }
            if self.roots.iter().any(|r| r.uri == uri) {
                self.duplicates.push(uri.to_string());
                continue;
            }
            self.roots.push(Root {
                uri,
                node: n.clone(),
                file: file_index,
            });
        }
    }

    /// The root URIs and their nodes, in load order.
    pub fn roots(&self) -> impl Iterator<Item = (String, &DdfNode)> + '_ {
        self.roots.iter().map(|r| (r.uri.to_string(), &r.node))
    }

    /// The root URIs defined more than once (only the first definition is kept), and roots whose
    /// `<Path>` could not be parsed.
    pub fn duplicates(&self) -> &[String] {
        &self.duplicates
    }

    /// The number of nodes in all roots.
    pub fn node_count(&self) -> usize {
        self.roots.iter().map(|r| r.node.walk().len()).sum()
    }

    /// The root whose URI is exactly `uri` (`./Vendor/MSFT/WiFi` finds the device root).
    pub fn root(&self, uri: &str) -> Option<&DdfNode> {
        let uri = OmaUri::parse(uri)?;
        self.roots.iter().find(|r| r.uri == uri).map(|r| &r.node)
    }

    /// Resolves an OMA-URI (`./Device/Vendor/MSFT/WiFi/Profile/MyNet/WlanXml`,
    /// `./Vendor/MSFT/…`, `./User/…`) to its node.
    ///
    /// Rules: the roots whose URI is a prefix of `uri` (in a compatible scope, see
    /// [`UriScope`]) are tried longest first; below a root each segment matches a named child
    /// exactly (case-sensitive, per OMA-DM), else the unnamed (dynamic) child, which matches any
    /// segment (or, when its `MSFT:UniqueName` is an anchored regex, a segment matching it);
    /// a named match that fails deeper is retried as dynamic. `None` when nothing matches.
    pub fn resolve(&self, uri: &str) -> Option<Resolved<'_>> {
        let parsed = OmaUri::parse(uri)?;
        let mut candidates: Vec<&Root> = self
            .roots
            .iter()
            .filter(|r| {
                r.uri.scope.serves(parsed.scope)
                    && r.uri.segments.len() <= parsed.segments.len()
                    && r.uri.segments[..] == parsed.segments[..r.uri.segments.len()]
            })
            .collect();
        candidates.sort_by_key(|r| std::cmp::Reverse(r.uri.segments.len()));
        for r in candidates {
            let rest = &parsed.segments[r.uri.segments.len()..];
            let mut chain = vec![&r.node];
            let mut instances = Vec::new();
            if walk(&r.node, rest, &mut chain, &mut instances) {
                let node = chain.last().copied().unwrap_or(&r.node);
                return Some(Resolved {
                    node,
                    chain,
                    uri: parsed,
                    root: r.uri.to_string(),
                    file: r.file,
                    instances,
                });
            }
        }
        None
    }
}

fn walk<'a>(
    node: &'a DdfNode,
    rest: &[String],
    chain: &mut Vec<&'a DdfNode>,
    instances: &mut Vec<(String, String)>,
) -> bool {
    let Some((seg, tail)) = rest.split_first() else {
        return true;
    };
    if let Some(named) = node
        .children
        .iter()
        .find(|c| !c.is_dynamic() && c.name == *seg)
    {
        chain.push(named);
        if walk(named, tail, chain, instances) {
            return true;
        }
        chain.pop();
    }
    for dynamic in node.children.iter().filter(|c| c.is_dynamic()) {
        if let Some(pattern) = dynamic
            .props
            .dynamic_node_naming
            .as_ref()
            .and_then(|d| d.unique_name_pattern())
        {
            if !regex::Regex::new(pattern).is_ok_and(|re| re.is_match(seg)) {
                continue;
            }
        }
        chain.push(dynamic);
        instances.push((dynamic.display_name(), seg.clone()));
        if walk(dynamic, tail, chain, instances) {
            return true;
        }
        instances.pop();
        chain.pop();
    }
    false
}

/// A set of DDF files and the [`CspTree`] built from them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DdfSet {
    files: Vec<(Option<PathBuf>, DdfFile)>,
    tree: CspTree,
}

impl DdfSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set holding one DDF file parsed from `bytes` (see [`DdfFile::parse`]).
    ///
    /// # Errors
    /// As [`DdfFile::parse`].
    pub fn parse(bytes: &[u8]) -> Result<Self, DdfError> {
        let mut set = Self::new();
        set.add(DdfFile::parse(bytes)?, None);
        Ok(set)
    }

    /// Loads every `*.xml` file of a folder (not recursive, in file-name order) whose root
    /// element is `<MgmtTree>`; other XML files are skipped.
    ///
    /// # Errors
    /// [`DdfErrorKind::Io`] when the folder or a file cannot be read; any parse error of a DDF
    /// file (naming the file, line and column); [`DdfErrorKind::NoFiles`] when no DDF file was
    /// found.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, DdfError> {
        let dir = dir.as_ref();
        let io = |e| DdfError::new(DdfErrorKind::Io(e), None).with_file(dir);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        paths.retain(|p| {
            p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        });
        paths.sort();
        let mut set = Self::new();
        for p in paths {
            let bytes = std::fs::read(&p)
                .map_err(|e| DdfError::new(DdfErrorKind::Io(e), None).with_file(&p))?;
            match DdfFile::parse(&bytes) {
                Ok(f) => set.add(f, Some(p)),
                Err(DdfError {
                    kind: DdfErrorKind::NotMgmtTree { .. },
                    ..
                }) => {}
                Err(e) => return Err(e.with_file(p)),
            }
        }
        if set.files.is_empty() {
            return Err(DdfError::new(DdfErrorKind::NoFiles, None).with_file(dir));
        }
        Ok(set)
    }

    /// Adds a parsed file (with the path it came from, if any) and its roots.
    pub fn add(&mut self, file: DdfFile, path: Option<PathBuf>) {
        let index = self.files.len();
        self.tree.add_file(&file, index);
        self.files.push((path, file));
    }

    /// The files, in load order, with their paths.
    pub fn files(&self) -> impl Iterator<Item = (Option<&Path>, &DdfFile)> + '_ {
        self.files.iter().map(|(p, f)| (p.as_deref(), f))
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is loaded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The CSP tree of all files.
    pub fn tree(&self) -> &CspTree {
        &self.tree
    }

    /// Shorthand for `self.tree().resolve(uri)`.
    pub fn resolve(&self, uri: &str) -> Option<Resolved<'_>> {
        self.tree.resolve(uri)
    }
}
