//! The WIM XML data: the `<WIM>` document and its `<IMAGE INDEX="1">` fields.
//!
//! A `.ppkg` keeps its package metadata (name, version, package GUID, owner type as `ALTITUDE`)
//! in the WIM's XML data, which is UTF-16LE text with a byte-order mark and no XML declaration
//! (FORMAT.md §1–2; `reference/ppkg/start_pins_wim_xml.txt` is the real file converted to UTF-8).
//! [`ImageInfo`] parses that document and writes it back in the exact field order and formatting
//! of Windows Configuration Designer (WCD): no whitespace between elements, empty elements
//! written as `<X></X>`, FILETIMEs as `HIGHPART`/`LOWPART` upper-case hex with a `0x` prefix and
//! eight digits (`0x01DC0D07`).

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{Error, ErrorKind, Result};

/// Largest XML data (in bytes of UTF-16LE) that [`decode_utf16le`] accepts: 16 MiB. Real packages
/// have under 2 KiB; the cap keeps a hostile header from making us allocate gigabytes.
pub const MAX_XML_BYTES: u64 = 16 << 20;

/// The WIM XML data's `<IMAGE INDEX="1">` fields, in WCD's order (NAME, DESCRIPTION, NOTES,
/// AUTHOR, VERSION, ALTITUDE, RESETCLEAR, PACKAGEID, DIRCOUNT, FILECOUNT, TOTALBYTES,
/// HARDLINKBYTES, CREATIONTIME, LASTMODIFICATIONTIME, WIMBOOT); see
/// `reference/ppkg/start_pins_wim_xml.txt`.
///
/// `WIMBOOT` is always written as `0` (packages are never WIMBoot images) and not kept when
/// parsing. Elements this struct does not name are kept in [`ImageInfo::extra`] when they hold
/// only text, and dropped when they have child elements (for example wimlib's `<WINDOWS>`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// `NAME`: the package name (`PackageConfig/Name`).
    pub name: String,
    /// `DESCRIPTION`: empty in WCD packages.
    pub description: String,
    /// `NOTES`: WCD writes build facts here
    /// (`VERSION=<tool>;Source=Classic;;TargetSkus=…;EncryptPackage=False;…`).
    pub notes: String,
    /// `AUTHOR`: empty in WCD packages.
    pub author: String,
    /// `VERSION`: the package version, `"1.0"` by default (`N.N` or `N.N.N.N`).
    pub version: String,
    /// `ALTITUDE`: the `OwnerType` as a number (Microsoft 0 … OEM 2000 … ITAdmin 5000).
    pub altitude: Option<u32>,
    /// `RESETCLEAR`: `0` in every known package.
    pub reset_clear: Option<u32>,
    /// `PACKAGEID`: the package GUID as written, braced lower-case (`{b84f2c39-…}`).
    pub package_id: Option<String>,
    /// `DIRCOUNT`: directories in the image, the root not counted.
    pub dir_count: u64,
    /// `FILECOUNT`: files in the image.
    pub file_count: u64,
    /// `TOTALBYTES` of the image: the sum of the file sizes in bytes.
    pub total_bytes: u64,
    /// `HARDLINKBYTES`: bytes in extra hard links (0 in packages).
    pub hard_link_bytes: u64,
    /// `CREATIONTIME` as a FILETIME (100 ns ticks since 1601-01-01 UTC).
    pub creation_time: u64,
    /// `LASTMODIFICATIONTIME` as a FILETIME (100 ns ticks since 1601-01-01 UTC).
    pub last_modification_time: u64,
    /// Unknown elements that hold only text, as (element name, unescaped text), in input order;
    /// written after `WIMBOOT`.
    pub extra: Vec<(String, String)>,
}

impl ImageInfo {
    /// Parses a whole `<WIM>` document (already decoded from UTF-16LE, see [`decode_utf16le`]) and
    /// returns the fields of its first `<IMAGE>` element.
    ///
    /// # Errors
    /// [`ErrorKind::Xml`] with the 1-based line and column when the text is not well formed, the
    /// root is not `<WIM>`, there is no `<IMAGE>`, or a number (`DIRCOUNT`, `ALTITUDE`,
    /// `HIGHPART` in hex …) does not parse.
    pub fn from_wim_xml(xml: &str) -> Result<Self> {
        parse_wim_xml(xml).map(|(_, info)| info)
    }

    /// Refuses fields XML 1.0 cannot carry (`NAME` is the package name, `NOTES`, `VERSION`,
    /// `PACKAGEID`, … are package metadata): a WIM whose XML data holds U+0001 is one
    /// `wimlib-imagex verify` rejects and Windows cannot read (issue #11).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming the `<IMAGE>` field and the character position.
    pub fn check_xml_chars(&self) -> Result<()> {
        let mut fields: Vec<(&str, &str)> = vec![
            ("NAME", &self.name),
            ("DESCRIPTION", &self.description),
            ("NOTES", &self.notes),
            ("AUTHOR", &self.author),
            ("VERSION", &self.version),
        ];
        if let Some(id) = &self.package_id {
            fields.push(("PACKAGEID", id));
        }
        for (k, v) in &self.extra {
            fields.push((k, v));
            fields.push(("(element name)", k));
        }
        for (field, value) in fields {
            if let Some((_, n, c)) = crate::xml::first_non_xml_char(value) {
                return Err(crate::Error::invalid_input(format!(
                    "WIM XML data <IMAGE><{field}>: {} at character {} cannot be written (XML 1.0 \
                     cannot carry it; the package would not open)",
                    crate::xml::char_name(c),
                    n + 1
                )));
            }
        }
        Ok(())
    }

    /// Writes the whole `<WIM>` document as WCD does:
    /// `<WIM><TOTALBYTES>{wim_total_bytes}</TOTALBYTES><IMAGE INDEX="1">…</IMAGE></WIM>`, where
    /// `wim_total_bytes` is the byte offset of the XML data in the WIM (that is what WCD and
    /// wimlib store there). Text is escaped as .NET's `XmlWriter` does in element content
    /// (`&amp;`, `&lt;`, `&gt;`; quotes are kept as they are).
    pub fn to_wim_xml(&self, wim_total_bytes: u64) -> String {
        let mut s = String::with_capacity(1024);
        s.push_str("<WIM><TOTALBYTES>");
        s.push_str(&wim_total_bytes.to_string());
        s.push_str("</TOTALBYTES><IMAGE INDEX=\"1\">");
        push_elem(&mut s, "NAME", &self.name);
        push_elem(&mut s, "DESCRIPTION", &self.description);
        push_elem(&mut s, "NOTES", &self.notes);
        push_elem(&mut s, "AUTHOR", &self.author);
        push_elem(&mut s, "VERSION", &self.version);
        if let Some(a) = self.altitude {
            push_elem(&mut s, "ALTITUDE", &a.to_string());
        }
        if let Some(r) = self.reset_clear {
            push_elem(&mut s, "RESETCLEAR", &r.to_string());
        }
        if let Some(id) = &self.package_id {
            push_elem(&mut s, "PACKAGEID", id);
        }
        push_elem(&mut s, "DIRCOUNT", &self.dir_count.to_string());
        push_elem(&mut s, "FILECOUNT", &self.file_count.to_string());
        push_elem(&mut s, "TOTALBYTES", &self.total_bytes.to_string());
        push_elem(&mut s, "HARDLINKBYTES", &self.hard_link_bytes.to_string());
        push_filetime(&mut s, "CREATIONTIME", self.creation_time);
        push_filetime(&mut s, "LASTMODIFICATIONTIME", self.last_modification_time);
        push_elem(&mut s, "WIMBOOT", "0");
        for (k, v) in &self.extra {
            push_elem(&mut s, k, v);
        }
        s.push_str("</IMAGE></WIM>");
        s
    }
}

/// Parses a `<WIM>` document and returns its `<WIM><TOTALBYTES>` (the XML data's offset, when
/// present) and the first image's fields. See [`ImageInfo::from_wim_xml`].
///
/// # Errors
/// As [`ImageInfo::from_wim_xml`].
pub fn parse_wim_xml(xml: &str) -> Result<(Option<u64>, ImageInfo)> {
    let mut reader = Reader::from_str(xml);
    let mut info = ImageInfo::default();
    let mut wim_total = None;
    let mut seen_image = false;
    let mut in_image = false;
    let mut done_image = false;
    // Element stack: name and whether the element has child elements.
    let mut stack: Vec<String> = Vec::new();
    let mut has_children: Vec<bool> = Vec::new();
    let mut text = String::new();
    let mut time_parts: (Option<u32>, Option<u32>) = (None, None);
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(xml, reader.error_position(), &e.to_string()))?;
        match ev {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                if stack.is_empty() && name != "WIM" {
                    return Err(xml_err(
                        xml,
                        pos,
                        &format!("root element is <{name}>, not <WIM>"),
                    ));
                }
                if stack.len() == 1 && name == "IMAGE" {
                    if !seen_image {
                        in_image = true;
                    }
                    seen_image = true;
                }
                if let Some(parent) = has_children.last_mut() {
                    *parent = true;
                }
                stack.push(name);
                has_children.push(false);
                text.clear();
            }
            Event::Empty(start) => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                if stack.is_empty() {
                    return Err(xml_err(xml, pos, "the <WIM> element is empty"));
                }
                if let Some(parent) = has_children.last_mut() {
                    *parent = true;
                }
                if in_image && stack.len() == 2 {
                    set_field(&mut info, &name, "", xml, pos)?;
                }
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| xml_err(xml, pos, &e.to_string()))?;
                text.push_str(&s);
            }
            Event::CData(t) => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let container = has_children.pop().unwrap_or(false);
                let depth = stack.len();
                if depth == 1 && name == "TOTALBYTES" {
                    wim_total = Some(parse_u64(text.trim(), xml, pos)?);
                } else if in_image && depth == 2 {
                    match name.as_str() {
                        "CREATIONTIME" | "LASTMODIFICATIONTIME" => {
                            let (Some(hi), Some(lo)) = time_parts else {
                                return Err(xml_err(
                                    xml,
                                    pos,
                                    &format!("<{name}> needs HIGHPART and LOWPART"),
                                ));
                            };
                            let v = (u64::from(hi) << 32) | u64::from(lo);
                            if name == "CREATIONTIME" {
                                info.creation_time = v;
                            } else {
                                info.last_modification_time = v;
                            }
                            time_parts = (None, None);
                        }
                        // Unknown elements with children (wimlib's <WINDOWS>) are not kept.
                        _ if container => {}
                        _ => set_field(&mut info, &name, &text, xml, pos)?,
                    }
                } else if in_image && depth == 3 {
                    match name.as_str() {
                        "HIGHPART" => time_parts.0 = Some(parse_hex32(text.trim(), xml, pos)?),
                        "LOWPART" => time_parts.1 = Some(parse_hex32(text.trim(), xml, pos)?),
                        _ => {}
                    }
                } else if in_image && depth == 1 && name == "IMAGE" {
                    in_image = false;
                    done_image = true;
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(xml_err(
            xml,
            xml.len() as u64,
            &format!("<{}> is not closed", stack.join("/")),
        ));
    }
    if !done_image {
        return Err(xml_err(xml, 0, "no <IMAGE> element in the WIM XML data"));
    }
    Ok((wim_total, info))
}

/// Decodes WIM XML data: UTF-16LE, with or without the byte-order mark `FF FE`.
///
/// # Errors
/// [`ErrorKind::Encoding`] for an odd length, a big-endian BOM or unpaired surrogates (with the
/// byte offset); [`ErrorKind::LimitExceeded`] above [`MAX_XML_BYTES`].
pub fn decode_utf16le(bytes: &[u8]) -> Result<String> {
    if bytes.len() as u64 > MAX_XML_BYTES {
        return Err(Error::new(ErrorKind::LimitExceeded {
            what: "XML data size".into(),
            value: bytes.len() as u64,
            limit: MAX_XML_BYTES,
        }));
    }
    if bytes.len() % 2 != 0 {
        return Err(Error::new(ErrorKind::Encoding(format!(
            "UTF-16LE XML data has an odd length ({} bytes)",
            bytes.len()
        ))));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::new(ErrorKind::Encoding(
            "XML data is UTF-16 big-endian; WIM XML data is UTF-16LE".into(),
        )));
    }
    let body = bytes.strip_prefix(&[0xFF, 0xFE]).unwrap_or(bytes);
    let base = (bytes.len() - body.len()) as u64;
    let units = body
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut out = String::with_capacity(body.len() / 2);
    for (i, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok(c) => out.push(c),
            Err(e) => {
                return Err(Error::new(ErrorKind::Encoding(format!(
                    "unpaired UTF-16 surrogate {:#06x} in the XML data",
                    e.unpaired_surrogate()
                )))
                .at(base + 2 * i as u64))
            }
        }
    }
    Ok(out)
}

/// Encodes text as WIM XML data: the BOM `FF FE` then UTF-16LE, as WCD writes it.
pub fn encode_utf16le(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + text.len() * 2);
    out.extend_from_slice(&[0xFF, 0xFE]);
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

/// Converts Unix seconds (as in `SOURCE_DATE_EPOCH`) to a FILETIME (100 ns ticks since 1601).
/// Saturates instead of overflowing.
pub fn unix_to_filetime(secs: u64) -> u64 {
    secs.saturating_add(11_644_473_600)
        .saturating_mul(10_000_000)
}

/// Converts a FILETIME to Unix seconds (truncated; `None` before 1970).
pub fn filetime_to_unix(ft: u64) -> Option<u64> {
    (ft / 10_000_000).checked_sub(11_644_473_600)
}

fn set_field(info: &mut ImageInfo, name: &str, text: &str, xml: &str, pos: u64) -> Result<()> {
    let t = text.trim();
    match name {
        "NAME" => info.name = text.to_owned(),
        "DESCRIPTION" => info.description = text.to_owned(),
        "NOTES" => info.notes = text.to_owned(),
        "AUTHOR" => info.author = text.to_owned(),
        "VERSION" => info.version = text.to_owned(),
        "ALTITUDE" => info.altitude = Some(parse_u32(t, xml, pos)?),
        "RESETCLEAR" => info.reset_clear = Some(parse_u32(t, xml, pos)?),
        "PACKAGEID" => info.package_id = Some(text.to_owned()),
        "DIRCOUNT" => info.dir_count = parse_u64(t, xml, pos)?,
        "FILECOUNT" => info.file_count = parse_u64(t, xml, pos)?,
        "TOTALBYTES" => info.total_bytes = parse_u64(t, xml, pos)?,
        "HARDLINKBYTES" => info.hard_link_bytes = parse_u64(t, xml, pos)?,
        "WIMBOOT" => {}
        _ => info.extra.push((name.to_owned(), text.to_owned())),
    }
    Ok(())
}

fn parse_u64(t: &str, xml: &str, pos: u64) -> Result<u64> {
    t.parse::<u64>()
        .map_err(|_| xml_err(xml, pos, &format!("'{t}' is not a decimal number")))
}

fn parse_u32(t: &str, xml: &str, pos: u64) -> Result<u32> {
    t.parse::<u32>()
        .map_err(|_| xml_err(xml, pos, &format!("'{t}' is not a 32-bit decimal number")))
}

fn parse_hex32(t: &str, xml: &str, pos: u64) -> Result<u32> {
    let digits = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    u32::from_str_radix(digits, 16)
        .map_err(|_| xml_err(xml, pos, &format!("'{t}' is not a 32-bit hex number")))
}

/// An [`ErrorKind::Xml`] at a byte offset of `xml`, converted to 1-based line and column.
fn xml_err(xml: &str, byte: u64, message: &str) -> Error {
    let byte = usize::try_from(byte).unwrap_or(usize::MAX).min(xml.len());
    let mut cut = byte;
    while !xml.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &xml[..cut];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Error::new(ErrorKind::Xml {
        message: message.to_owned(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    })
    .in_part("WIM XML data")
}

fn push_elem(s: &mut String, name: &str, text: &str) {
    s.push('<');
    s.push_str(name);
    s.push('>');
    s.push_str(&quick_xml::escape::partial_escape(text));
    s.push_str("</");
    s.push_str(name);
    s.push('>');
}

fn push_filetime(s: &mut String, name: &str, ft: u64) {
    let hi = (ft >> 32) as u32;
    let lo = (ft & 0xFFFF_FFFF) as u32;
    s.push_str(&format!(
        "<{name}><HIGHPART>0x{hi:08X}</HIGHPART><LOWPART>0x{lo:08X}</LOWPART></{name}>"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    const WCD: &str = "<WIM><TOTALBYTES>4412</TOTALBYTES><IMAGE INDEX=\"1\"><NAME>n &amp; m</NAME><DESCRIPTION></DESCRIPTION><NOTES>x</NOTES><AUTHOR></AUTHOR><VERSION>1.0</VERSION><ALTITUDE>5000</ALTITUDE><RESETCLEAR>0</RESETCLEAR><PACKAGEID>{b84f2c39-eb59-4d4f-8ad1-0f93cec1384e}</PACKAGEID><DIRCOUNT>6</DIRCOUNT><FILECOUNT>9</FILECOUNT><TOTALBYTES>3153</TOTALBYTES><HARDLINKBYTES>0</HARDLINKBYTES><CREATIONTIME><HIGHPART>0x01DC0D07</HIGHPART><LOWPART>0x20737ED1</LOWPART></CREATIONTIME><LASTMODIFICATIONTIME><HIGHPART>0x01DC0D07</HIGHPART><LOWPART>0x207D23AC</LOWPART></LASTMODIFICATIONTIME><WIMBOOT>0</WIMBOOT></IMAGE></WIM>";

    #[test]
    fn wcd_round_trip_is_exact() {
        let (total, info) = parse_wim_xml(WCD).unwrap();
        assert_eq!(total, Some(4412));
        assert_eq!(info.name, "n & m");
        assert_eq!(info.altitude, Some(5000));
        assert_eq!(info.creation_time, 0x01DC_0D07_2073_7ED1);
        assert_eq!(info.to_wim_xml(4412), WCD);
        let quoted = ImageInfo {
            name: "a \"b\" 'c' <d>".into(),
            ..ImageInfo::default()
        };
        let xml = quoted.to_wim_xml(1);
        assert!(xml.contains("<NAME>a \"b\" 'c' &lt;d&gt;</NAME>"), "{xml}");
        assert_eq!(ImageInfo::from_wim_xml(&xml).unwrap().name, quoted.name);
    }

    #[test]
    fn wimlib_shape_parses_and_drops_nested() {
        let x = "<WIM><TOTALBYTES>9</TOTALBYTES><IMAGE INDEX=\"1\"><DIRCOUNT>2</DIRCOUNT><FILECOUNT>3</FILECOUNT><TOTALBYTES>4</TOTALBYTES><HARDLINKBYTES>0</HARDLINKBYTES><CREATIONTIME><HIGHPART>0x00000001</HIGHPART><LOWPART>0x00000002</LOWPART></CREATIONTIME><LASTMODIFICATIONTIME><HIGHPART>0x0</HIGHPART><LOWPART>0x3</LOWPART></LASTMODIFICATIONTIME><WINDOWS><ARCH>9</ARCH></WINDOWS><WIMBOOT>0</WIMBOOT><NAME>src</NAME><FLAGS>x</FLAGS></IMAGE></WIM>";
        let info = ImageInfo::from_wim_xml(x).unwrap();
        assert_eq!(info.dir_count, 2);
        assert_eq!(info.creation_time, (1 << 32) | 2);
        assert_eq!(info.name, "src");
        assert_eq!(info.extra, vec![("FLAGS".to_owned(), "x".to_owned())]);
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = ImageInfo::from_wim_xml("<WIM>\n<IMAGE><DIRCOUNT>x</DIRCOUNT></IMAGE></WIM>")
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Xml { line: 2, .. }), "{e}");
        assert!(ImageInfo::from_wim_xml("<X></X>").is_err());
        assert!(ImageInfo::from_wim_xml("<WIM></WIM>").is_err());
        assert!(ImageInfo::from_wim_xml("<WIM><IMAGE>").is_err());
    }

    #[test]
    fn utf16_round_trip_and_errors() {
        let b = encode_utf16le("<WIM>é</WIM>");
        assert_eq!(&b[..2], &[0xFF, 0xFE]);
        assert_eq!(decode_utf16le(&b).unwrap(), "<WIM>é</WIM>");
        assert!(decode_utf16le(&[0xFF, 0xFE, 0x41]).is_err());
        assert!(decode_utf16le(&[0xFE, 0xFF, 0, 0x41]).is_err());
        let e = decode_utf16le(&[0xFF, 0xFE, 0x41, 0, 0x00, 0xD8]).unwrap_err();
        assert_eq!(e.offset(), Some(4));
    }

    #[test]
    fn filetime_conversions() {
        assert_eq!(unix_to_filetime(0), 116_444_736_000_000_000);
        assert_eq!(
            filetime_to_unix(unix_to_filetime(1_700_000_000)),
            Some(1_700_000_000)
        );
        assert_eq!(filetime_to_unix(5), None);
    }
}
