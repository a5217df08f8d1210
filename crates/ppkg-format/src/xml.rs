//! A lossless XML tree with source positions, the base of the document models ([`crate::answer`],
//! [`crate::provxml`], [`crate::runtime`], the layout index files).
//!
//! Parsing keeps everything a provisioning document holds: the byte order mark, the declaration,
//! comments and processing instructions, whitespace text between elements (so a hand-written
//! file comes back with its own layout) and whether an empty element was written `<X />` or
//! `<X></X>`. Each element and attribute carries its [`TextPos`] (byte offset, 1-based line and
//! column) so that validation reports can point into the file.
//!
//! Writing follows a [`WriteStyle`]: [`WriteStyle::wcd`] is the layout Windows Configuration
//! Designer (WCD) writes (UTF-8 BOM, CRLF, 2-space indentation, `<X />` with a space, `&quot;`
//! `&amp;` `&lt;` `&gt;` in attribute values; checked with `od -c` on every file of
//! `reference/ppkg/*_extracted`), [`Document::parse_with_style`] detects the style of an input so
//! that parse → write gives the same bytes.
//!
//! Text is stored unescaped and with line ends normalized to `\n` (XML 1.0 §2.11); the writer
//! turns `\n` back into the style's line end. Not kept (documented limits of the round trip):
//! whitespace *inside* tags (`<a  x="1"\n>` is written `<a x="1">`), the quote character of
//! attribute values (always `"`), and which of `>` / `&gt;` a text used (the writer escapes as
//! WCD's .NET writer does: `&`, `<`, `>` in text; `&`, `<`, `>`, `"`, CR, LF, TAB in attributes).
//!
//! Hostile input: DOCTYPE (and with it every entity declaration) is rejected, nesting is capped at
//! [`MAX_DEPTH`], input size at [`MAX_DOCUMENT_BYTES`]; no input makes the parser panic.

use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, ErrorKind, Result};

/// Most attributes one element may carry (WCD's answer files and `.provxml` use at most three).
/// The duplicate-attribute check is quadratic in the count, so an element with 200,000
/// attributes took 23 s before this limit; more give [`ErrorKind::LimitExceeded`].
pub const MAX_ATTRIBUTES: usize = 256;

/// Deepest element nesting accepted by [`Document::parse`]; real answer files nest about 12 deep.
pub const MAX_DEPTH: usize = 256;

/// Largest document accepted by [`Document::parse`], in bytes (64 MiB). Answer files and
/// `.provxml` documents are kilobytes; a large embedded certificate is a few hundred KiB.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether XML 1.0 can carry `c` in a document, raw or as a character reference (XML 1.0 §2.2
/// `Char`: TAB, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF). Everything else — the
/// C0 controls other than TAB/LF/CR (NUL included), U+FFFE and U+FFFF — makes a document no
/// parser accepts (Windows' XmlLite and `wimlib-imagex verify` refuse such a package; issue #11).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `text` that XML 1.0 cannot carry ([`is_xml_char`]), as its byte
/// offset in `text`, its 0-based character index and the character; `None` when all can.
pub fn first_non_xml_char(text: &str) -> Option<(usize, usize, char)> {
    // Fast path: in UTF-8 a refused character is a C0 control byte or starts with 0xEF
    // (U+FFFE and U+FFFF are EF BF BE / EF BF BF); text without either is all XML.
    let suspect = |b: &u8| (*b < 0x20 && !matches!(*b, b'\t' | b'\n' | b'\r')) || *b == 0xEF;
    if !text.as_bytes().iter().any(suspect) {
        return None;
    }
    text.char_indices()
        .enumerate()
        .find(|(_, (_, c))| !is_xml_char(*c))
        .map(|(n, (i, c))| (i, n, c))
}

/// `U+0001`-style name of a character, for messages (never the character itself, which a
/// terminal may not show).
pub fn char_name(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Refuses text that XML 1.0 cannot carry: `what` names the document (e.g. the package member
/// `Multivariant/0/Prov/RunTime/0__x.provxml`), and the error gives the 1-based line and column
/// of the character in `text`.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] at the first character [`is_xml_char`] rejects.
pub fn check_xml_text(text: &str, what: &str) -> Result<()> {
    let Some((byte, _, c)) = first_non_xml_char(text) else {
        return Ok(());
    };
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Err(Error::invalid_input(format!(
        "{what}:{line}:{column}: {} cannot be written: XML 1.0 has no way to carry it (control \
         characters other than TAB, CR, LF, NUL, U+FFFE and U+FFFF are refused rather than \
         written into a document Windows cannot parse)",
        char_name(c)
    )))
}

/// Where a node starts in its source text.
///
/// `offset` is the byte offset from the start of the input (counting a BOM); `line` and `column`
/// are 1-based and `column` counts characters (Unicode scalar values), not bytes. A node built in
/// code (not parsed) has the all-zero position ([`TextPos::default`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TextPos {
    /// Byte offset in the input.
    pub offset: u64,
    /// 1-based line number (0 when the node was not parsed).
    pub line: u32,
    /// 1-based column in characters (0 when the node was not parsed).
    pub column: u32,
}

impl TextPos {
    /// Whether this position came from parsed input (line is not 0).
    pub fn is_known(&self) -> bool {
        self.line != 0
    }
}

impl std::fmt::Display for TextPos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parsed XML document: BOM flag, declaration, the nodes around the root, and the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Whether the input began with a UTF-8 byte order mark (`EF BB BF`).
    pub bom: bool,
    /// The `<?xml …?>` declaration, if any.
    pub declaration: Option<Declaration>,
    /// Comments, processing instructions and whitespace text before the root element.
    pub prolog: Vec<Node>,
    /// The root element.
    pub root: Element,
    /// Comments, processing instructions and whitespace text after the root element.
    pub epilog: Vec<Node>,
}

/// The XML declaration (`<?xml version="1.0" encoding="utf-8" standalone="yes"?>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// `version`, `"1.0"` in every sample.
    pub version: String,
    /// `encoding` as written (`"utf-8"` in answer files, `"UTF-8"` in WCD's index files).
    pub encoding: Option<String>,
    /// `standalone` as written (`"yes"` in WCD's `.provxml` files).
    pub standalone: Option<String>,
}

impl Declaration {
    /// `version="1.0"` with the given encoding and no `standalone`.
    pub fn new(encoding: &str) -> Self {
        Self {
            version: "1.0".into(),
            encoding: Some(encoding.into()),
            standalone: None,
        }
    }

    /// The declaration as text: `<?xml version="1.0" encoding="utf-8"?>`.
    pub fn render(&self) -> String {
        let mut s = format!("<?xml version=\"{}\"", self.version);
        if let Some(e) = &self.encoding {
            let _ = write!(s, " encoding=\"{e}\"");
        }
        if let Some(sa) = &self.standalone {
            let _ = write!(s, " standalone=\"{sa}\"");
        }
        s.push_str("?>");
        s
    }
}

/// An element: its qualified name as written, attributes in source order, children, position.
///
/// Namespaces are not resolved: `xmlns` declarations are ordinary [`Attr`]s and lookups by
/// "local" name ([`Element::child`]) ignore any prefix. Provisioning documents use default
/// namespaces only, so this is all the document models need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// Qualified name as written (`Settings`, `x:foo`).
    pub name: String,
    /// Attributes in source order; values unescaped.
    pub attrs: Vec<Attr>,
    /// Child nodes in order, including whitespace text.
    pub children: Vec<Node>,
    /// Position of the `<` of the start tag.
    pub pos: TextPos,
    /// Whether an element without children is written `<X />` (true) or `<X></X>` (false).
    /// Ignored when the element has children.
    pub self_closing: bool,
}

/// An attribute: qualified name, unescaped value, position of its name.
///
/// `Debug` shows the value's length, not the value (values may be secrets, e.g. a `.provxml`
/// `parm value`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Attr {
    /// Qualified name as written (`Name`, `xmlns`, `xmlns:x`).
    pub name: String,
    /// Value with entity and character references replaced.
    pub value: String,
    /// Position of the first character of the name.
    pub pos: TextPos,
}

/// One node of the tree.
///
/// `Debug` shows the length of text, CDATA, comments and processing instructions, not their
/// content: answer files hold passwords and enrollment secrets as element text (and sometimes
/// in commented-out settings). Write the document to see its content.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data, unescaped, line ends normalized to `\n`.
    Text(String),
    /// A CDATA section's content (without `<![CDATA[` / `]]>`).
    CData(String),
    /// A comment's content (without `<!--` / `-->`).
    Comment(String),
    /// A processing instruction's content (target and data, without `<?` / `?>`).
    ProcessingInstruction(String),
}

impl Node {
    /// The element, if this node is one.
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Node::Element(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is a text node made only of XML whitespace (space, tab, CR, LF).
    pub fn is_whitespace(&self) -> bool {
        matches!(self, Node::Text(t) if is_xml_whitespace(t))
    }
}

impl std::fmt::Debug for Attr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attr")
            .field("name", &self.name)
            .field("value", &format_args!("<{} bytes>", self.value.len()))
            .field("pos", &self.pos)
            .finish()
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, len) = match self {
            Node::Element(e) => return f.debug_tuple("Element").field(e).finish(),
            Node::Text(t) => ("Text", t.len()),
            Node::CData(t) => ("CData", t.len()),
            Node::Comment(t) => ("Comment", t.len()),
            Node::ProcessingInstruction(t) => ("ProcessingInstruction", t.len()),
        };
        write!(f, "{kind}(<{len} bytes>)")
    }
}

/// Line ends to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Newline {
    /// `\r\n`, as WCD writes every file [seen in `reference/ppkg/*_extracted`].
    #[default]
    CrLf,
    /// `\n`.
    Lf,
}

impl Newline {
    fn as_str(self) -> &'static str {
        match self {
            Newline::CrLf => "\r\n",
            Newline::Lf => "\n",
        }
    }
}

/// How element content is laid out when writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Indent {
    /// Write every node as stored, whitespace text included (exact round trip of parsed input).
    Preserve,
    /// Re-indent element-only content with this many spaces per level, dropping the stored
    /// whitespace between elements. Text content (an element with non-whitespace text, CDATA, or
    /// only whitespace) is written as stored, never reformatted.
    Spaces(u8),
}

/// The byte layout used by [`Document::to_bytes`].
///
/// `Default` is [`WriteStyle::wcd`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteStyle {
    /// Write a UTF-8 byte order mark. WCD: yes for answer files, `RunTime.xml`,
    /// `MasterDatastore.xml` and `.provxml`; no for the `<Type>/<Type>.xml` index files.
    pub bom: bool,
    /// Line end. WCD: CRLF.
    pub newline: Newline,
    /// Layout of element content. WCD: 2 spaces.
    pub indent: Indent,
    /// Exact declaration text to write instead of rendering [`Document::declaration`]; set by
    /// [`Document::parse_with_style`] only when the input's declaration is not in the canonical
    /// form (e.g. `<?xml version="1.0" encoding="utf-8" ?>`). Default `None`.
    pub declaration: Option<String>,
    /// Write empty elements as `<X />` (true, WCD) or `<X/>` (false).
    pub space_before_slash: bool,
    /// End the file with a line end after the root (only in [`Indent::Spaces`] mode; in
    /// [`Indent::Preserve`] mode the stored epilog decides). WCD: no.
    pub final_newline: bool,
}

impl Default for WriteStyle {
    fn default() -> Self {
        Self::wcd()
    }
}

impl WriteStyle {
    /// WCD's layout of answer files, `RunTime.xml`, `MasterDatastore.xml` and `.provxml`: BOM,
    /// CRLF, 2-space indentation, `<X />`, no line end after the root element.
    pub fn wcd() -> Self {
        Self {
            bom: true,
            newline: Newline::CrLf,
            indent: Indent::Spaces(2),
            declaration: None,
            space_before_slash: true,
            final_newline: false,
        }
    }

    /// WCD's layout of the `<Type>/<Type>.xml` index files: as [`WriteStyle::wcd`] without BOM.
    pub fn wcd_index() -> Self {
        Self {
            bom: false,
            ..Self::wcd()
        }
    }

    /// Write nodes exactly as stored, with the given BOM flag and line ends.
    pub fn preserve(bom: bool, newline: Newline) -> Self {
        Self {
            bom,
            newline,
            indent: Indent::Preserve,
            declaration: None,
            space_before_slash: true,
            final_newline: false,
        }
    }
}

impl Document {
    /// A document with this root, the declaration `<?xml version="1.0" encoding="utf-8"?>` and a
    /// BOM, as WCD writes its answer files.
    pub fn new(root: Element) -> Self {
        Self {
            bom: true,
            declaration: Some(Declaration::new("utf-8")),
            prolog: Vec::new(),
            root,
            epilog: Vec::new(),
        }
    }

    /// Parse UTF-8 bytes (with or without BOM), or UTF-16 LE/BE bytes that start with their
    /// byte order mark (`FF FE` / `FE FF`; XML 1.0 §4.3.3 and Appendix F).
    ///
    /// # Errors
    /// - [`ErrorKind::Encoding`] (with the byte offset in the input) for UTF-16 without a BOM
    ///   (or a NUL-byte pattern), invalid UTF-8, an unpaired UTF-16 surrogate or an odd number
    ///   of UTF-16 bytes, or a declaration that contradicts the bytes (`encoding="utf-16"` over
    ///   UTF-8 bytes, `encoding="utf-8"` over UTF-16 bytes).
    /// - [`ErrorKind::Xml`] with line and column (and the byte offset) for text that is not well
    ///   formed, a DOCTYPE, an unknown entity (`&bogus;`), content outside the root element.
    /// - [`ErrorKind::LimitExceeded`] for input over [`MAX_DOCUMENT_BYTES`] or nesting deeper
    ///   than [`MAX_DEPTH`].
    pub fn parse(bytes: &[u8]) -> Result<Document> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::new(ErrorKind::LimitExceeded {
                what: "XML document size".into(),
                value: bytes.len() as u64,
                limit: MAX_DOCUMENT_BYTES as u64,
            }));
        }
        if let Some(text) = decode_utf16(bytes)? {
            // UTF-16 with a byte order mark (what Windows PowerShell 5.1 writes by default;
            // XML 1.0 §4.3.3 requires every XML processor to read it). Parsed from its UTF-8
            // transcoding: lines and columns are exact, byte offsets count the transcoded
            // text. The document is written back as UTF-8 (packages hold UTF-8), so its
            // declaration is rewritten to say so.
            let mut p = Parser::new(&text, 0);
            p.utf16 = true;
            let mut doc = p.run()?;
            doc.bom = true;
            if let Some(d) = doc.declaration.as_mut() {
                if d.encoding.is_some() {
                    d.encoding = Some("utf-8".into());
                }
            }
            return Ok(doc);
        }
        check_not_utf16(bytes)?;
        let (bom, body) = match bytes.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, bytes),
        };
        let base = if bom { BOM.len() } else { 0 };
        if let Some(nul) = body.iter().position(|&b| b == 0) {
            return Err(Error::new(ErrorKind::Encoding(
                "NUL byte in XML text (UTF-16 or binary data?)".into(),
            ))
            .at((base + nul) as u64));
        }
        let text = std::str::from_utf8(body).map_err(|e| {
            Error::new(ErrorKind::Encoding("invalid UTF-8".into()))
                .at((base + e.valid_up_to()) as u64)
        })?;
        let mut doc = Parser::new(text, base).run()?;
        doc.bom = bom;
        Ok(doc)
    }

    /// Parse a string (which holds no BOM; a leading U+FEFF is treated as one).
    ///
    /// # Errors
    /// As [`Document::parse`].
    pub fn parse_str(s: &str) -> Result<Document> {
        Self::parse(s.as_bytes())
    }

    /// Parse and detect the input's [`WriteStyle`], so that `doc.to_bytes(&style)` gives back
    /// the input bytes (within the limits listed in the module docs).
    ///
    /// The style is [`Indent::Spaces`] (2 or 4) when re-indenting reproduces the input exactly
    /// (true of every file WCD writes), so that later edits are laid out the same way; otherwise
    /// [`Indent::Preserve`].
    ///
    /// # Errors
    /// As [`Document::parse`].
    pub fn parse_with_style(bytes: &[u8]) -> Result<(Document, WriteStyle)> {
        let doc = Self::parse(bytes)?;
        // UTF-16 input: the style is read from its UTF-8 transcoding (it is written as UTF-8).
        let transcoded = decode_utf16(bytes)?.map(String::into_bytes);
        let bytes = transcoded.as_deref().unwrap_or(bytes);
        let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
        let newline = match body.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && body[i - 1] == b'\r' => Newline::CrLf,
            Some(_) => Newline::Lf,
            None => Newline::CrLf,
        };
        let space_before_slash = match find(body, b"/>") {
            Some(i) => i > 0 && body[i - 1] == b' ',
            None => true,
        };
        let mut style = WriteStyle {
            bom: doc.bom,
            newline,
            indent: Indent::Preserve,
            declaration: None,
            space_before_slash,
            final_newline: body.ends_with(b"\n"),
        };
        if let Some(decl) = doc.declaration.as_ref().filter(|_| transcoded.is_none()) {
            if body.starts_with(b"<?xml") {
                if let Some(end) = find(body, b"?>") {
                    let raw = String::from_utf8_lossy(&body[..end + 2]).into_owned();
                    if raw != decl.render() {
                        style.declaration = Some(raw);
                    }
                }
            }
        }
        if bytes.len() <= 4 << 20 {
            // Only the width the first indented line uses can reproduce the input: one trial
            // write instead of two.
            let first_indent = body
                .split(|&b| b == b'\n')
                .skip(1)
                .map(|l| l.iter().take_while(|&&b| b == b' ').count())
                .find(|&n| n > 0);
            let widths: &[u8] = match first_indent {
                Some(2) => &[2],
                Some(4) => &[4],
                _ => &[],
            };
            for &width in widths {
                let trial = WriteStyle {
                    indent: Indent::Spaces(width),
                    ..style.clone()
                };
                if doc.to_bytes(&trial) == bytes {
                    return Ok((doc, trial));
                }
            }
        }
        Ok((doc, style))
    }

    /// Serialize with `style`, refusing a tree that holds a character XML 1.0 cannot carry
    /// ([`is_xml_char`]) in a name, attribute value, text, comment or processing instruction:
    /// such a document would not parse anywhere, so it is never written. `what` names the
    /// document in the error.
    ///
    /// # Errors
    /// As [`check_xml_text`].
    pub fn try_to_bytes(&self, style: &WriteStyle, what: &str) -> Result<Vec<u8>> {
        let bytes = self.to_bytes(style);
        let text = std::str::from_utf8(&bytes).unwrap_or_default();
        check_xml_text(text.trim_start_matches('\u{feff}'), what)?;
        Ok(bytes)
    }

    /// Serialize with `style`. Infallible: every tree is written as well-formed XML text as long
    /// as names are valid XML names, comments hold no `--` and every character is one XML 1.0
    /// can carry (not checked here; [`Document::try_to_bytes`] checks the characters).
    pub fn to_bytes(&self, style: &WriteStyle) -> Vec<u8> {
        self.write(style, None)
    }

    /// [`Document::to_bytes`] of this document with `more` appended to the root's children,
    /// taken one at a time: the same bytes as pushing them all first, without holding their
    /// tree (issue #15: `RunTime.xml` of 12,000 settings groups was about 6 MB of `Element`s
    /// for 2.4 MB of text).
    pub fn to_bytes_appending(
        &self,
        style: &WriteStyle,
        more: &mut dyn Iterator<Item = Element>,
    ) -> Vec<u8> {
        self.write(style, Some(more))
    }

    fn write(
        &self,
        style: &WriteStyle,
        more: Option<&mut dyn Iterator<Item = Element>>,
    ) -> Vec<u8> {
        let mut w = Writer {
            out: String::new(),
            style,
            ascii_only: false,
        };
        if let Some(raw) = &style.declaration {
            w.out.push_str(raw);
        } else if let Some(d) = &self.declaration {
            w.out.push_str(&d.render());
        }
        // A declaration naming an ASCII-compatible encoding other than UTF-8 (accepted on input
        // only for pure-ASCII bytes) gets pure-ASCII output: other characters in text and
        // attribute values are written as character references (found by the
        // `answer_roundtrip` fuzz target: `&#xE9;` under `encoding="ascii"` came back raw).
        let decl = w.out.to_ascii_lowercase();
        w.ascii_only =
            decl.contains("encoding") && !decl.contains("utf-8") && !decl.contains("utf8");
        match style.indent {
            Indent::Preserve => {
                for n in &self.prolog {
                    w.node(n, 0, false);
                }
                w.element_appending(&self.root, 0, false, more);
                for n in &self.epilog {
                    w.node(n, 0, false);
                }
            }
            Indent::Spaces(_) => {
                let mut first = self.declaration.is_none() && style.declaration.is_none();
                for n in self.prolog.iter().filter(|n| !n.is_whitespace()) {
                    if !first {
                        w.newline();
                    }
                    first = false;
                    w.node(n, 0, true);
                }
                if !first {
                    w.newline();
                }
                w.element_appending(&self.root, 0, true, more);
                for n in self.epilog.iter().filter(|n| !n.is_whitespace()) {
                    w.newline();
                    w.node(n, 0, true);
                }
                if style.final_newline {
                    w.newline();
                }
            }
        }
        let mut out = Vec::with_capacity(w.out.len() + 3);
        if style.bom {
            out.extend_from_slice(BOM);
        }
        out.extend_from_slice(w.out.as_bytes());
        out
    }
}

impl Element {
    /// An element with this name, no attributes, no children, written `<name />` while empty.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            attrs: Vec::new(),
            children: Vec::new(),
            pos: TextPos::default(),
            self_closing: true,
        }
    }

    /// Builder form of [`Element::set_attr`].
    #[must_use]
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder form of [`Element::push`].
    #[must_use]
    pub fn with_child(mut self, child: Element) -> Self {
        self.push(child);
        self
    }

    /// Builder form of [`Element::set_text`].
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.set_text(text);
        self
    }

    /// The value of the attribute with this exact (qualified) name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The attribute with this exact name, with its position.
    pub fn attr_node(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// Set an attribute: replaces the value in place (order kept) or appends a new one.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.attrs.iter_mut().find(|a| a.name == name) {
            Some(a) => a.value = value,
            None => self.attrs.push(Attr {
                name,
                value,
                pos: TextPos::default(),
            }),
        }
    }

    /// Remove an attribute, returning its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let i = self.attrs.iter().position(|a| a.name == name)?;
        Some(self.attrs.remove(i).value)
    }

    /// The name without its namespace prefix (`foo` for `x:foo`).
    pub fn local_name(&self) -> &str {
        local(&self.name)
    }

    /// The first child element whose local name is `local`.
    pub fn child(&self, local_name: &str) -> Option<&Element> {
        self.elements().find(|e| e.local_name() == local_name)
    }

    /// Mutable form of [`Element::child`].
    pub fn child_mut(&mut self, local_name: &str) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.local_name() == local_name)
    }

    /// The first child element named `local_name`, appended (as `Element::new(local_name)`)
    /// when missing.
    pub fn child_or_insert(&mut self, local_name: &str) -> &mut Element {
        let idx = self
            .children
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.local_name() == local_name));
        let idx = match idx {
            Some(i) => i,
            None => {
                self.push(Element::new(local_name));
                self.children.len() - 1
            }
        };
        match &mut self.children[idx] {
            Node::Element(e) => e,
            // The index was found or pushed as an element just above.
            _ => unreachable!("child_or_insert index points at an element"),
        }
    }

    /// Follow a `/`-separated path of local names (`"Customizations/Common"`), first match at
    /// each step.
    pub fn descendant(&self, path: &str) -> Option<&Element> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .try_fold(self, |e, step| e.child(step))
    }

    /// Mutable form of [`Element::descendant`].
    pub fn descendant_mut(&mut self, path: &str) -> Option<&mut Element> {
        let mut cur = self;
        for step in path.split('/').filter(|s| !s.is_empty()) {
            cur = cur.child_mut(step)?;
        }
        Some(cur)
    }

    /// Child elements in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> + '_ {
        self.children.iter().filter_map(Node::as_element)
    }

    /// Mutable child elements in order.
    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> + '_ {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// Child elements whose local name is `local_name`.
    pub fn elements_named<'a>(
        &'a self,
        local_name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements()
            .filter(move |e| e.local_name() == local_name)
    }

    /// Whether the element has at least one child element.
    pub fn has_elements(&self) -> bool {
        self.elements().next().is_some()
    }

    /// The concatenated direct text and CDATA children (unescaped; no trimming).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            match n {
                Node::Text(t) | Node::CData(t) => s.push_str(t),
                _ => {}
            }
        }
        s
    }

    /// Replace all children by one text node (none when `text` is empty, so the element is
    /// written empty).
    pub fn set_text(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.children.clear();
        if !text.is_empty() {
            self.children.push(Node::Text(text));
        }
    }

    /// Append a child element.
    pub fn push(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// Remove every child element named `local_name`; returns how many were removed.
    pub fn remove_children(&mut self, local_name: &str) -> usize {
        let before = self.children.len();
        self.children
            .retain(|n| !matches!(n, Node::Element(e) if e.local_name() == local_name));
        before - self.children.len()
    }

    /// A copy with whitespace-only text removed from element-only content (recursively), so that
    /// writing with [`Indent::Spaces`] lays it out afresh. Text content is untouched.
    #[must_use]
    pub fn without_layout(&self) -> Element {
        let mut e = self.clone();
        strip_layout(&mut e);
        e
    }
}

fn strip_layout(e: &mut Element) {
    if is_structural(e) {
        e.children.retain(|n| !n.is_whitespace());
    }
    for c in e.elements_mut() {
        strip_layout(c);
    }
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

fn is_xml_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Element-only content (elements, comments, PIs, whitespace text): re-indentable.
fn is_structural(e: &Element) -> bool {
    let mut markup = false;
    for n in &e.children {
        match n {
            Node::Element(_) | Node::Comment(_) | Node::ProcessingInstruction(_) => markup = true,
            Node::Text(t) if is_xml_whitespace(t) => {}
            _ => return false,
        }
    }
    markup
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// UTF-16 detection: a UTF-16 BOM, or `<` next to a NUL in the first two bytes.
/// UTF-16 bytes that start with a byte order mark (`FF FE` little endian, `FE FF` big
/// endian), transcoded to UTF-8 without the BOM; `None` for bytes without a UTF-16 BOM.
///
/// Source: XML 1.0 (Fifth Edition) §4.3.3 "Entities encoded in UTF-16 MUST … begin with the
/// Byte Order Mark" and Appendix F.1; the Unicode Standard §3.9 (D91) for surrogate pairs.
///
/// # Errors
/// [`ErrorKind::Encoding`] at the byte offset of an unpaired surrogate or of a trailing odd
/// byte.
fn decode_utf16(bytes: &[u8]) -> Result<Option<String>> {
    let big_endian = match bytes {
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] => true,
        _ => return Ok(None),
    };
    if bytes.len() % 2 != 0 {
        return Err(Error::new(ErrorKind::Encoding(
            "UTF-16 text with an odd number of bytes".into(),
        ))
        .at((bytes.len() - 1) as u64));
    }
    let units = bytes.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut out = String::with_capacity(bytes.len() / 2 + bytes.len() / 4);
    let mut offset = 2u64;
    for r in char::decode_utf16(units.skip(1)) {
        match r {
            Ok(c) => {
                out.push(c);
                offset += 2 * c.len_utf16() as u64;
            }
            Err(e) => {
                return Err(Error::new(ErrorKind::Encoding(format!(
                    "unpaired UTF-16 surrogate {:#06X}",
                    e.unpaired_surrogate()
                )))
                .at(offset))
            }
        }
    }
    if let Some(nul) = out.find('\0') {
        let units_before = out[..nul].encode_utf16().count() as u64;
        return Err(Error::new(ErrorKind::Encoding(
            "NUL character in UTF-16 XML text".into(),
        ))
        .at(2 + units_before * 2));
    }
    Ok(Some(out))
}

fn check_not_utf16(bytes: &[u8]) -> Result<()> {
    let msg = match bytes {
        [b'<', 0, ..] | [0, b'<', ..] => {
            "UTF-16 text without a byte order mark (XML 1.0 §4.3.3 requires one); save it as \
             UTF-8 or as UTF-16 with a BOM"
        }
        _ => return Ok(()),
    };
    Err(Error::new(ErrorKind::Encoding(msg.into())).at(0))
}

/// Normalize line ends (XML 1.0 §2.11): CRLF and lone CR become LF.
fn normalize_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        std::borrow::Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Maps byte offsets of a text to [`TextPos`] (1-based line, 1-based column in characters).
///
/// Positions are usually asked for in document order, so the previous answer is kept and the
/// next column is counted on from there (forwards or backwards on the same line): a document of
/// millions of elements on one line costs linear time, not quadratic (200,000 elements on one
/// line took 19 s before). Used by this module's parser and by csp-model's DDF parser.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Bytes before `text` in the input (a BOM), added to every offset.
    base: usize,
    line_starts: Vec<usize>,
    /// (line start, offset, 0-based column) of the previous [`LineIndex::pos`] call.
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    /// An index of `text`, whose offsets are reported with `base` added (the length of a
    /// stripped byte-order mark).
    pub fn new(text: &'a str, base: usize) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self {
            text,
            base,
            line_starts,
            last: std::cell::Cell::new((0, 0, 0)),
        }
    }

    /// Position of byte offset `off` of the text (clamped to its length); a column inside a
    /// multi-byte character counts bytes from there.
    pub fn pos(&self, off: usize) -> TextPos {
        let off = off.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= off);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self.column(start, off);
        TextPos {
            offset: (self.base + off) as u64,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }

    /// 0-based character column of byte `off` on the line starting at `start`.
    fn column(&self, start: usize, off: usize) -> usize {
        let count = |a: usize, b: usize| self.text.get(a..b).map_or(b - a, |s| s.chars().count());
        let (last_start, last_off, last_col) = self.last.get();
        let column = if last_start != start {
            count(start, off)
        } else if last_off <= off {
            last_col + count(last_off, off)
        } else {
            last_col - count(off, last_off).min(last_col)
        };
        self.last.set((start, off, column));
        column
    }
}

struct Parser<'a> {
    text: &'a str,
    /// Bytes before `text` in the input (a BOM).
    base: usize,
    lines: LineIndex<'a>,
    /// Whether `text` was transcoded from UTF-16 (its declaration must then name UTF-16).
    utf16: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, base: usize) -> Self {
        Self {
            text,
            base,
            lines: LineIndex::new(text, base),
            utf16: false,
        }
    }

    /// Position of a byte offset into `text`.
    fn pos(&self, off: usize) -> TextPos {
        self.lines.pos(off)
    }

    fn err(&self, off: usize, message: impl Into<String>) -> Error {
        let p = self.pos(off);
        Error::new(ErrorKind::Xml {
            message: message.into(),
            line: p.line,
            column: p.column,
        })
        .at(p.offset)
    }

    fn run(&self) -> Result<Document> {
        let mut reader = Reader::from_str(self.text);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.trim_text(false);
        cfg.expand_empty_elements = false;

        let mut declaration = None;
        let mut prolog = Vec::new();
        let mut epilog = Vec::new();
        let mut root: Option<Element> = None;
        let mut stack: Vec<Element> = Vec::new();
        let mut seen_markup = false;

        loop {
            let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let ev = match reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let at = usize::try_from(reader.error_position()).unwrap_or(start);
                    return Err(self.err(at, e.to_string()));
                }
            };
            let node = match ev {
                Event::Eof => break,
                Event::Decl(d) => {
                    if seen_markup || start != 0 {
                        return Err(self.err(
                            start,
                            "XML declaration must be at the very start of the document",
                        ));
                    }
                    declaration = Some(self.declaration(&d, start)?);
                    seen_markup = true;
                    continue;
                }
                Event::DocType(_) => {
                    return Err(self.err(
                        start,
                        "DOCTYPE is not allowed in provisioning XML (no DTDs, no entity \
                         declarations)",
                    ));
                }
                Event::Start(s) => {
                    if root.is_some() {
                        return Err(self.err(start, "second root element after the root"));
                    }
                    if stack.len() >= MAX_DEPTH {
                        let p = self.pos(start);
                        return Err(Error::new(ErrorKind::LimitExceeded {
                            what: format!(
                                "at line {}, column {}: XML nesting depth",
                                p.line, p.column
                            ),
                            value: stack.len() as u64 + 1,
                            limit: MAX_DEPTH as u64,
                        })
                        .at(p.offset));
                    }
                    let mut el = self.element(&s, start)?;
                    el.self_closing = false;
                    stack.push(el);
                    seen_markup = true;
                    continue;
                }
                Event::End(_) => {
                    // quick-xml checks that the name matches (check_end_names).
                    let Some(mut done) = stack.pop() else {
                        return Err(self.err(start, "end tag without a start tag"));
                    };
                    // Children are complete: give back the growth slack (a 2,000-command answer
                    // file's tree halves, issue #15).
                    done.children.shrink_to_fit();
                    Node::Element(done)
                }
                Event::Empty(s) => {
                    if root.is_some() {
                        return Err(self.err(start, "second root element after the root"));
                    }
                    let mut el = self.element(&s, start)?;
                    el.self_closing = true;
                    seen_markup = true;
                    Node::Element(el)
                }
                Event::Text(t) => {
                    let raw = std::str::from_utf8(&t).map_err(|_| {
                        Error::new(ErrorKind::Encoding("invalid UTF-8".into()))
                            .at((self.base + start) as u64)
                    })?;
                    let norm = normalize_newlines(raw);
                    let value = quick_xml::escape::unescape(&norm)
                        .map_err(|e| self.err(start, format!("in text: {e}")))?;
                    if stack.is_empty() && !is_xml_whitespace(&value) {
                        return Err(self.err(start, "text outside the root element"));
                    }
                    Node::Text(value.into_owned())
                }
                Event::CData(c) => {
                    if stack.is_empty() {
                        return Err(self.err(start, "CDATA outside the root element"));
                    }
                    Node::CData(normalize_newlines(&self.utf8(&c, start)?).into_owned())
                }
                Event::Comment(c) => {
                    seen_markup = true;
                    Node::Comment(normalize_newlines(&self.utf8(&c, start)?).into_owned())
                }
                Event::PI(p) => {
                    seen_markup = true;
                    Node::ProcessingInstruction(
                        normalize_newlines(&self.utf8(&p, start)?).into_owned(),
                    )
                }
            };
            match stack.last_mut() {
                Some(parent) => parent.children.push(node),
                None => match node {
                    Node::Element(e) => root = Some(e),
                    other if root.is_some() => epilog.push(other),
                    other => prolog.push(other),
                },
            }
        }
        if let Some(open) = stack.last() {
            return Err(self.err(
                self.text.len(),
                format!(
                    "element <{}> opened at {} is not closed",
                    open.name, open.pos
                ),
            ));
        }
        let Some(root) = root else {
            return Err(self.err(self.text.len(), "no root element"));
        };
        Ok(Document {
            bom: false,
            declaration,
            prolog,
            root,
            epilog,
        })
    }

    fn utf8(&self, b: &[u8], start: usize) -> Result<String> {
        std::str::from_utf8(b).map(str::to_owned).map_err(|_| {
            Error::new(ErrorKind::Encoding("invalid UTF-8".into())).at((self.base + start) as u64)
        })
    }

    fn declaration(
        &self,
        d: &quick_xml::events::BytesDecl<'_>,
        start: usize,
    ) -> Result<Declaration> {
        let text = |r: std::result::Result<std::borrow::Cow<'_, [u8]>, String>| -> Result<String> {
            let v = r.map_err(|e| self.err(start, format!("in XML declaration: {e}")))?;
            Ok(String::from_utf8_lossy(&v).into_owned())
        };
        let version = text(d.version().map_err(|e| e.to_string()))?;
        let encoding = match d.encoding() {
            Some(r) => Some(text(r.map_err(|e| e.to_string()))?),
            None => None,
        };
        let standalone = match d.standalone() {
            Some(r) => Some(text(r.map_err(|e| e.to_string()))?),
            None => None,
        };
        if let Some(enc) = &encoding {
            let e = enc.to_ascii_lowercase();
            let ascii_ok = matches!(
                e.as_str(),
                "us-ascii" | "ascii" | "iso-8859-1" | "windows-1252" | "latin1"
            ) && self.text.is_ascii();
            let utf16_name = matches!(
                e.as_str(),
                "utf-16" | "utf16" | "utf-16le" | "utf-16be" | "unicode"
            );
            let agrees = if self.utf16 {
                utf16_name
            } else {
                e == "utf-8" || e == "utf8" || ascii_ok
            };
            if !agrees {
                let off = self
                    .text
                    .get(start..)
                    .and_then(|s| s.find("encoding"))
                    .map_or(start, |i| start + i);
                // The offset in the input: the BOM, then two bytes per UTF-16 code unit.
                let at = if self.utf16 {
                    self.text
                        .get(..off)
                        .map_or(0, |t| 2 + t.encode_utf16().count() as u64 * 2)
                } else {
                    (self.base + off) as u64
                };
                let bytes_are = if self.utf16 { "UTF-16" } else { "UTF-8" };
                return Err(Error::new(ErrorKind::Encoding(format!(
                    "the declaration says encoding=\"{enc}\" but the bytes are {bytes_are}"
                )))
                .at(at));
            }
        }
        Ok(Declaration {
            version,
            encoding,
            standalone,
        })
    }

    fn element(&self, s: &BytesStart<'_>, start: usize) -> Result<Element> {
        let name = std::str::from_utf8(s.name().as_ref())
            .map_err(|_| self.err(start, "element name is not UTF-8"))?
            .to_owned();
        if !is_xml_name(&name) {
            return Err(self.err(
                start,
                format!("{name:?} is not an XML element name (XML 1.0 §2.3 Name)"),
            ));
        }
        // Offsets of each attribute name inside the tag, from a scan of the raw tag text
        // (`s` derefs to the bytes between `<` and `>`).
        let raw: &[u8] = s;
        let offsets = attr_offsets(raw);
        let mut attrs = Vec::new();
        for (i, a) in s.attributes().with_checks(true).enumerate() {
            if i >= MAX_ATTRIBUTES {
                let p = self.pos(start);
                return Err(Error::new(ErrorKind::LimitExceeded {
                    what: format!(
                        "at line {}, column {}: attributes of <{name}>",
                        p.line, p.column
                    ),
                    value: i as u64 + 1,
                    limit: MAX_ATTRIBUTES as u64,
                })
                .at(p.offset));
            }
            let a = a.map_err(|e| self.err(start, format!("in <{name}>: {e}")))?;
            let aname = std::str::from_utf8(a.key.as_ref())
                .map_err(|_| self.err(start, "attribute name is not UTF-8"))?
                .to_owned();
            if !is_xml_name(&aname) {
                return Err(self.err(
                    start,
                    format!("in <{name}>: {aname:?} is not an XML attribute name"),
                ));
            }
            let rel = offsets.get(i).copied().unwrap_or(0);
            let apos = start + 1 + rel;
            let value = a
                .unescape_value()
                .map_err(|e| self.err(apos, format!("in attribute {aname} of <{name}>: {e}")))?
                .into_owned();
            attrs.push(Attr {
                name: aname,
                value,
                pos: self.pos(apos),
            });
        }
        Ok(Element {
            name,
            attrs,
            children: Vec::new(),
            pos: self.pos(start),
            self_closing: false,
        })
    }
}

/// Byte offsets (from the start of the tag content) of each attribute name.
fn attr_offsets(raw: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut i = raw.iter().position(|&b| ws(b)).unwrap_or(raw.len());
    while i < raw.len() {
        while i < raw.len() && ws(raw[i]) {
            i += 1;
        }
        if i >= raw.len() || raw[i] == b'/' {
            break;
        }
        out.push(i);
        while i < raw.len() && raw[i] != b'=' {
            i += 1;
        }
        while i < raw.len() && raw[i] != b'"' && raw[i] != b'\'' {
            i += 1;
        }
        if i >= raw.len() {
            break;
        }
        let q = raw[i];
        i += 1;
        while i < raw.len() && raw[i] != q {
            i += 1;
        }
        i += 1;
    }
    out
}

struct Writer<'s> {
    out: String,
    style: &'s WriteStyle,
    /// Write non-ASCII characters of text and attribute values as `&#xHHHH;`.
    ascii_only: bool,
}

impl Writer<'_> {
    fn newline(&mut self) {
        self.out.push_str(self.style.newline.as_str());
    }

    fn indent(&mut self, depth: usize) {
        if let Indent::Spaces(n) = self.style.indent {
            for _ in 0..depth * usize::from(n) {
                self.out.push(' ');
            }
        }
    }

    /// Raw text with `\n` turned into the style's line end.
    fn raw(&mut self, s: &str) {
        let nl = self.style.newline.as_str();
        for (i, part) in s.split('\n').enumerate() {
            if i > 0 {
                self.out.push_str(nl);
            }
            self.out.push_str(part);
        }
    }

    fn text(&mut self, s: &str) {
        let nl = self.style.newline.as_str();
        self.escaped(s, |b| match b {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            b'\r' => Some("&#xD;"),
            b'\n' => Some(nl),
            _ => None,
        });
    }

    fn attr_value(&mut self, s: &str) {
        self.escaped(s, |b| match b {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            b'"' => Some("&quot;"),
            b'\r' => Some("&#xD;"),
            b'\n' => Some("&#xA;"),
            b'\t' => Some("&#x9;"),
            _ => None,
        });
    }

    /// Copy `s`, replacing the ASCII bytes `map` names; runs between them are copied whole (the
    /// replaced bytes are ASCII, so every cut is on a character boundary).
    fn escaped<'n>(&mut self, s: &str, map: impl Fn(u8) -> Option<&'n str>) {
        let before = self.out.len();
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            if let Some(rep) = map(b) {
                self.out.push_str(&s[start..i]);
                self.out.push_str(rep);
                start = i + 1;
            }
        }
        self.out.push_str(&s[start..]);
        if self.ascii_only && !s.is_ascii() {
            // Rare: a document that declares a non-UTF-8 encoding was given non-ASCII text.
            let pushed = self.out.split_off(before);
            for c in pushed.chars() {
                if c.is_ascii() {
                    self.out.push(c);
                } else {
                    use std::fmt::Write as _;
                    let _ = write!(self.out, "&#x{:X};", u32::from(c));
                }
            }
        }
    }

    fn node(&mut self, n: &Node, depth: usize, pretty: bool) {
        match n {
            Node::Element(e) => self.element(e, depth, pretty),
            Node::Text(t) => self.text(t),
            Node::CData(t) => {
                self.out.push_str("<![CDATA[");
                self.raw(t);
                self.out.push_str("]]>");
            }
            Node::Comment(t) => {
                self.out.push_str("<!--");
                self.raw(t);
                self.out.push_str("-->");
            }
            Node::ProcessingInstruction(t) => {
                self.out.push_str("<?");
                self.raw(t);
                self.out.push_str("?>");
            }
        }
    }

    fn element(&mut self, e: &Element, depth: usize, pretty: bool) {
        self.element_appending(e, depth, pretty, None);
    }

    /// [`Writer::element`] with `more` elements after `e`'s own children.
    fn element_appending(
        &mut self,
        e: &Element,
        depth: usize,
        pretty: bool,
        more: Option<&mut dyn Iterator<Item = Element>>,
    ) {
        let (first, more) = match more {
            Some(it) => match it.next() {
                Some(first) => (Some(first), Some(it)),
                None => (None, None),
            },
            None => (None, None),
        };
        self.out.push('<');
        self.out.push_str(&e.name);
        for a in &e.attrs {
            self.out.push(' ');
            self.out.push_str(&a.name);
            self.out.push_str("=\"");
            self.attr_value(&a.value);
            self.out.push('"');
        }
        if e.children.is_empty() && first.is_none() {
            if e.self_closing {
                self.out.push_str(if self.style.space_before_slash {
                    " />"
                } else {
                    "/>"
                });
            } else {
                self.out.push_str("></");
                self.out.push_str(&e.name);
                self.out.push('>');
            }
            return;
        }
        self.out.push('>');
        // Appended elements are markup: with them, `e` is structural unless its own children
        // hold text.
        let structural = if first.is_some() {
            e.children
                .iter()
                .all(|n| !matches!(n, Node::Text(_) | Node::CData(_)) || n.is_whitespace())
        } else {
            is_structural(e)
        };
        let appended = first.into_iter().chain(more.into_iter().flatten());
        if pretty && structural {
            for c in e.children.iter().filter(|n| !n.is_whitespace()) {
                self.newline();
                self.indent(depth + 1);
                self.node(c, depth + 1, true);
            }
            for c in appended {
                self.newline();
                self.indent(depth + 1);
                self.element(&c, depth + 1, true);
            }
            self.newline();
            self.indent(depth);
        } else {
            for c in &e.children {
                self.node(c, depth + 1, false);
            }
            for c in appended {
                self.element(&c, depth + 1, false);
            }
        }
        self.out.push_str("</");
        self.out.push_str(&e.name);
        self.out.push('>');
    }
}

/// Whether `name` matches XML 1.0 §2.3 `Name`: a NameStartChar (letter, `_`, `:` or a
/// character from U+00C0 up, the production's ranges) followed by NameChars (those, digits,
/// `-`, `.`, U+00B7). Checked exactly for ASCII; non-ASCII characters other than U+00D7 and
/// U+00F7 are accepted, a superset of the production's ranges. An empty name (quick-xml
/// reports `<\r/>` as an element with an empty name) is refused, which the writer could not
/// write back (found by the `answer_roundtrip` fuzz target).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start = |c: char| {
        c.is_ascii_alphabetic()
            || c == '_'
            || c == ':'
            || (c >= '\u{C0}' && c != '\u{D7}' && c != '\u{F7}')
    };
    start(first)
        && chars.all(|c| start(c) || c.is_ascii_digit() || c == '-' || c == '.' || c == '\u{B7}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `to_bytes_appending` writes what `to_bytes` writes of the tree with the elements pushed,
    /// in both layouts, for a root with and without children of its own (text included).
    #[test]
    fn appending_equals_pushing() {
        let extra = || {
            vec![
                Element::new("A").with_attr("x", "1<2"),
                Element::new("B").with_child(Element::new("C").with_text("t&u")),
            ]
        };
        let roots = [
            Element::new("R"),
            Element::new("R")
                .with_attr("v", "1")
                .with_child(Element::new("First")),
            Element::new("R").with_text("mixed"),
        ];
        let mut preserve = WriteStyle::wcd();
        preserve.indent = Indent::Preserve;
        for style in [WriteStyle::wcd(), preserve] {
            for root in &roots {
                for n in 0..=2 {
                    let mut whole = root.clone();
                    for e in extra().into_iter().take(n) {
                        whole.push(e);
                    }
                    let want = Document::new(whole).to_bytes(&style);
                    let mut more = extra().into_iter().take(n);
                    let got = Document::new(root.clone()).to_bytes_appending(&style, &mut more);
                    assert_eq!(
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&want),
                        "{style:?} {root:?} {n}"
                    );
                }
            }
        }
    }

    /// The byte-level fast path of `first_non_xml_char` agrees with `is_xml_char` for every
    /// character of the BMP and the first supplementary plane, alone and after other text.
    #[test]
    fn first_non_xml_char_agrees_with_is_xml_char() {
        for u in 0..0x2_0000u32 {
            let Some(c) = char::from_u32(u) else { continue };
            let text = format!("ab\u{E9}{c}z");
            let want = (!is_xml_char(c)).then_some((4, 3, c));
            assert_eq!(first_non_xml_char(&text), want, "U+{u:04X}");
        }
        assert_eq!(first_non_xml_char("plain ASCII\r\n\ttext"), None);
        assert_eq!(first_non_xml_char("\u{EFFF}\u{FFFD}"), None);
    }

    fn xml_err(r: Result<Document>) -> (String, u32, u32, Option<u64>) {
        let e = r.unwrap_err();
        match e.kind() {
            ErrorKind::Xml {
                message,
                line,
                column,
            } => (message.clone(), *line, *column, e.offset()),
            other => panic!("expected Xml error, got {other:?}"),
        }
    }

    #[test]
    fn positions_are_one_based_chars() {
        let d = Document::parse("\u{feff}<a>\n  <bé x='1' y=\"2\"/>\n</a>".as_bytes()).unwrap();
        assert!(d.bom);
        assert_eq!(
            d.root.pos,
            TextPos {
                offset: 3,
                line: 1,
                column: 1
            }
        );
        let b = d.root.child("bé").unwrap();
        assert_eq!((b.pos.line, b.pos.column, b.pos.offset), (2, 3, 9));
        let y = b.attr_node("y").unwrap();
        // `<bé x='1' ` is 10 characters (11 bytes) before `y`.
        assert_eq!((y.pos.line, y.pos.column), (2, 13));
    }

    #[test]
    fn unclosed_element_is_reported_with_its_start() {
        let (msg, line, _, _) = xml_err(Document::parse(b"<a>\n<Settings>\n</a>"));
        assert!(msg.contains("Settings") || msg.contains("a"), "{msg}");
        assert!(line >= 2, "{line}");
        let (msg, _, _, _) = xml_err(Document::parse(b"<a>\n<Settings>"));
        assert!(msg.contains("<Settings> opened at 2:1"), "{msg}");
    }

    #[test]
    fn unknown_entity_is_an_xml_error_with_position() {
        let (msg, line, col, off) = xml_err(Document::parse(b"<a>\n <b>x &bogus; y</b></a>"));
        assert!(msg.contains("bogus"), "{msg}");
        assert_eq!((line, col), (2, 5));
        assert_eq!(off, Some(8));
    }

    #[test]
    fn doctype_is_rejected() {
        let input = b"<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a>&x;</a>";
        let (msg, line, _, _) = xml_err(Document::parse(input));
        assert!(msg.contains("DOCTYPE"), "{msg}");
        assert_eq!(line, 2);
    }

    #[test]
    fn depth_is_capped() {
        let mut s = String::new();
        for _ in 0..(MAX_DEPTH + 1) {
            s.push_str("<a>");
        }
        let e = Document::parse(s.as_bytes()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::LimitExceeded { .. }), "{e}");
        let mut ok = String::new();
        for _ in 0..MAX_DEPTH {
            ok.push_str("<a>");
        }
        for _ in 0..MAX_DEPTH {
            ok.push_str("</a>");
        }
        Document::parse(ok.as_bytes()).unwrap();
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_with_bom_is_read_as_windows_reads_it() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<a k=\"\u{e9}\">\r\n  <b>\u{1F600} x</b>\r\n</a>\r\n";
        for be in [false, true] {
            let bytes = utf16(text, be);
            let (doc, style) = Document::parse_with_style(&bytes).unwrap();
            assert_eq!(doc.root.attr("k"), Some("\u{e9}"));
            let b = doc.root.elements().next().unwrap();
            assert_eq!(b.text(), "\u{1F600} x");
            assert_eq!((b.pos.line, b.pos.column), (3, 3));
            // Written back as UTF-8, saying so.
            let out = doc.to_bytes(&style);
            assert!(out.starts_with(BOM));
            let out = String::from_utf8(out).unwrap();
            assert!(out.contains("encoding=\"utf-8\""), "{out}");
            Document::parse(out.as_bytes()).unwrap();
        }
        // UTF-8 bytes with and without BOM.
        Document::parse(b"\xEF\xBB\xBF<a/>").unwrap();
        Document::parse(b"<a/>").unwrap();
        // A declaration that contradicts the UTF-16 bytes, at its byte offset.
        let bad = utf16("<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>", false);
        let e = Document::parse(&bad).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Encoding(_)), "{e}");
        assert_eq!(e.offset(), Some(2 + 2 * 20));
        // An unpaired surrogate, at its byte offset; an odd byte count.
        let mut bad = utf16("<a>x</a>", false);
        bad.splice(8..8, [0x00, 0xD8]);
        let e = Document::parse(&bad).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Encoding(_)), "{e}");
        assert_eq!(e.offset(), Some(8));
        let mut odd = utf16("<a/>", true);
        odd.push(b'x');
        assert_eq!(Document::parse(&odd).unwrap_err().offset(), Some(10));
    }

    #[test]
    fn encodings() {
        let e = Document::parse(b"<\0a\0/\0>\0").unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Encoding(_)));
        let e = Document::parse(b"<?xml version=\"1.0\" encoding=\"utf-16\"?><a/>").unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Encoding(_)), "{e}");
        assert_eq!(e.offset(), Some(20));
        let e = Document::parse(b"<a>\xC3</a>").unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Encoding(_)));
        assert_eq!(e.offset(), Some(3));
        let e = Document::parse(b"<a>x\0</a>").unwrap_err();
        assert_eq!(e.offset(), Some(4));
    }

    #[test]
    fn structure_errors() {
        for bad in [
            &b""[..],
            b"text",
            b"<a/><b/>",
            b"<a/>tail",
            b"<a></b>",
            b"</a>",
            b"<a x='1' x='2'/>",
            b"<a><?xml version=\"1.0\"?></a>",
            b"<a><!-- a -- b --></a>",
        ] {
            let r = Document::parse(bad);
            assert!(r.is_err(), "{:?} parsed", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn text_is_unescaped_and_newlines_normalized() {
        let d = Document::parse(b"<a t=\"&quot;x&amp;\">1 &lt; 2\r\n&#65;</a>").unwrap();
        assert_eq!(d.root.attr("t"), Some("\"x&"));
        assert_eq!(d.root.text(), "1 < 2\nA");
        let out = d.to_bytes(&WriteStyle::preserve(false, Newline::CrLf));
        assert_eq!(out, b"<a t=\"&quot;x&amp;\">1 &lt; 2\r\nA</a>");
    }

    #[test]
    fn pretty_writing_keeps_text_and_reindents_structure() {
        let root = Element::new("r")
            .with_attr("k", "a<b>\"c\"'")
            .with_child(Element::new("e"))
            .with_child(Element::new("t").with_text("  two  spaces \n kept "));
        let mut doc = Document::new(root);
        doc.root.children.push(Node::Comment(" c ".into()));
        let out = doc.to_bytes(&WriteStyle::wcd());
        let expect = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<r k=\"a&lt;b&gt;&quot;c&quot;'\">\r\n  <e />\r\n  <t>  two  spaces \r\n kept </t>\r\n  <!-- c -->\r\n</r>";
        assert_eq!(String::from_utf8(out.clone()).unwrap(), expect);
        let (back, style) = Document::parse_with_style(&out).unwrap();
        assert_eq!(style.indent, Indent::Spaces(2));
        assert_eq!(back.to_bytes(&style), out);
        assert_eq!(
            back.root.child("t").unwrap().text(),
            "  two  spaces \n kept "
        );
    }

    #[test]
    fn odd_declaration_survives() {
        let input = b"<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<a>\n</a>\n";
        let (d, s) = Document::parse_with_style(input).unwrap();
        assert_eq!(
            d.declaration.as_ref().unwrap().encoding.as_deref(),
            Some("utf-8")
        );
        assert_eq!(d.to_bytes(&s), input);
    }

    #[test]
    fn debug_hides_character_data_and_attribute_values() {
        let d = Document::parse(b"<a k=\"hunter2\"><Password>hunter2</Password><!--hunter2--></a>")
            .unwrap();
        let dbg = format!("{d:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(
            dbg.contains("Password") && dbg.contains("<7 bytes>"),
            "{dbg}"
        );
    }

    #[test]
    fn child_or_insert_and_paths() {
        let mut e = Element::new("Settings");
        e.child_or_insert("Customizations")
            .child_or_insert("Common")
            .set_text("x");
        assert_eq!(e.descendant("Customizations/Common").unwrap().text(), "x");
        e.descendant_mut("Customizations/Common")
            .unwrap()
            .set_text("");
        assert!(e
            .descendant("Customizations/Common")
            .unwrap()
            .children
            .is_empty());
        assert_eq!(e.remove_children("Customizations"), 1);
        assert!(!e.has_elements());
    }
}
