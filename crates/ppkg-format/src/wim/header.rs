//! The 208-byte WIM header and the 24-byte resource header.
//!
//! Layout (little-endian; FORMAT.md §1, the "Windows Imaging File Format" paper, checked against
//! `reference/ppkg/start_pins.ppkg` with `xxd`):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `MSWIM\0\0\0` (pipable WIMs: `WLPWM\0\0\0`) |
//! | 8 | 4 | header size, 208 |
//! | 12 | 4 | version, `0x00010D00` (1.13) |
//! | 16 | 4 | flags (`0x00020082` in WCD packages) |
//! | 20 | 4 | chunk size (32768; 0 in uncompressed wimlib WIMs) |
//! | 24 | 16 | GUID |
//! | 40 | 2 | part number (1) |
//! | 42 | 2 | total parts (1) |
//! | 44 | 4 | image count |
//! | 48 | 24 | blob (lookup) table resource header |
//! | 72 | 24 | XML data resource header |
//! | 96 | 24 | boot metadata resource header |
//! | 120 | 4 | boot index |
//! | 124 | 24 | integrity table resource header |
//! | 148 | 60 | unused (zero) |

use crate::error::{Error, ErrorKind, Result};

/// Size of the WIM header in bytes.
pub const HEADER_SIZE: usize = 208;
/// Magic of a (non-pipable) WIM.
pub const MAGIC: [u8; 8] = *b"MSWIM\0\0\0";
/// Magic of a pipable WIM (wimlib's extension; not read by this crate).
pub const PIPABLE_MAGIC: [u8; 8] = *b"WLPWM\0\0\0";
/// WIM version 1.13, written by WCD and wimlib for non-solid WIMs.
pub const VERSION_1_13: u32 = 0x0001_0D00;
/// WIM version 1.12, the older layout (same structures).
pub const VERSION_1_12: u32 = 0x0001_0C00;
/// WIM version 3584 (`0x0E00`), used for solid (ESD-style) WIMs.
pub const VERSION_SOLID: u32 = 0x0000_0E00;

/// Header flag: resources may be compressed (one of the compression flags below is set).
pub const FLAG_COMPRESSION: u32 = 0x0000_0002;
/// Header flag: read-only.
pub const FLAG_READONLY: u32 = 0x0000_0004;
/// Header flag: part of a split (spanned) WIM.
pub const FLAG_SPANNED: u32 = 0x0000_0008;
/// Header flag: the WIM holds only resources (split part without metadata).
pub const FLAG_RESOURCE_ONLY: u32 = 0x0000_0010;
/// Header flag: the WIM holds only metadata.
pub const FLAG_METADATA_ONLY: u32 = 0x0000_0020;
/// Header flag: a writer did not finish.
pub const FLAG_WRITE_IN_PROGRESS: u32 = 0x0000_0040;
/// Header flag: reparse-point fix-up ("relative path junction"), set by WCD and wimlib.
pub const FLAG_RP_FIX: u32 = 0x0000_0080;
/// Header flag: XPRESS compression.
pub const FLAG_XPRESS: u32 = 0x0002_0000;
/// Header flag: LZX compression.
pub const FLAG_LZX: u32 = 0x0004_0000;
/// Header flag: LZMS compression.
pub const FLAG_LZMS: u32 = 0x0008_0000;
/// Header flag: XPRESS with large chunks ("XPRESS2", wimlib's name: new XPRESS).
pub const FLAG_XPRESS2: u32 = 0x0020_0000;

/// Resource flag: the resource is free space.
pub const RESHDR_FREE: u8 = 0x01;
/// Resource flag: the resource is an image's metadata (and, in WCD packages, the blob table).
pub const RESHDR_METADATA: u8 = 0x02;
/// Resource flag: the resource is compressed in chunks.
pub const RESHDR_COMPRESSED: u8 = 0x04;
/// Resource flag: the resource spans parts of a split WIM.
pub const RESHDR_SPANNED: u8 = 0x08;
/// Resource flag: a solid resource (several blobs compressed together).
pub const RESHDR_SOLID: u8 = 0x10;

/// Size of a resource header in bytes.
pub const RESHDR_SIZE: usize = 24;

/// A resource header: where a resource lies in the file, how big it is stored and unpacked, and
/// its flags (`RESHDR_*`). 24 bytes on disk: a 56-bit stored size, one flag byte, a u64 offset and
/// a u64 original (uncompressed) size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceHeader {
    /// Bytes the resource occupies in the file (chunk table included), at most 2^56 − 1.
    pub size_in_wim: u64,
    /// `RESHDR_*` flags.
    pub flags: u8,
    /// Absolute byte offset of the resource in the file.
    pub offset: u64,
    /// Uncompressed size in bytes.
    pub original_size: u64,
}

impl ResourceHeader {
    /// Parses 24 bytes.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] when fewer than 24 bytes are given.
    pub fn parse(b: &[u8]) -> Result<Self> {
        let b: &[u8; RESHDR_SIZE] = b
            .get(..RESHDR_SIZE)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                Error::new(ErrorKind::Truncated {
                    needed: (RESHDR_SIZE - b.len().min(RESHDR_SIZE)) as u64,
                })
            })?;
        let mut size = [0u8; 8];
        size[..7].copy_from_slice(&b[..7]);
        Ok(Self {
            size_in_wim: u64::from_le_bytes(size),
            flags: b[7],
            offset: le64(&b[8..16]),
            original_size: le64(&b[16..24]),
        })
    }

    /// The 24 bytes on disk.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the stored size does not fit in 56 bits.
    pub fn to_bytes(&self) -> Result<[u8; RESHDR_SIZE]> {
        if self.size_in_wim >= 1 << 56 {
            return Err(Error::invalid_input(format!(
                "resource size {} does not fit in 56 bits",
                self.size_in_wim
            )));
        }
        let mut b = [0u8; RESHDR_SIZE];
        b[..7].copy_from_slice(&self.size_in_wim.to_le_bytes()[..7]);
        b[7] = self.flags;
        b[8..16].copy_from_slice(&self.offset.to_le_bytes());
        b[16..24].copy_from_slice(&self.original_size.to_le_bytes());
        Ok(b)
    }

    /// Whether the header is all zero (no resource).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the resource is compressed in chunks.
    pub fn is_compressed(&self) -> bool {
        self.flags & RESHDR_COMPRESSED != 0
    }

    /// The end offset (`offset + size_in_wim`), or `None` on overflow.
    pub fn end(&self) -> Option<u64> {
        self.offset.checked_add(self.size_in_wim)
    }
}

/// The WIM header (see the module table). Produced by [`Header::parse`], which only decodes;
/// the checks against the file happen in [`crate::wim::WimReader::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version (`0x00010D00` = 1.13).
    pub version: u32,
    /// `FLAG_*` bits.
    pub flags: u32,
    /// Chunk size of compressed resources in bytes (32768 for XPRESS).
    pub chunk_size: u32,
    /// The WIM's GUID (random per file; WCD does not tie it to the package ID).
    pub guid: [u8; 16],
    /// Part number, 1-based.
    pub part_number: u16,
    /// Number of parts (1 unless split).
    pub total_parts: u16,
    /// Number of images.
    pub image_count: u32,
    /// Where the blob table is.
    pub blob_table: ResourceHeader,
    /// Where the XML data is.
    pub xml_data: ResourceHeader,
    /// Where the boot image's metadata is (zero in packages).
    pub boot_metadata: ResourceHeader,
    /// 1-based index of the bootable image, 0 for none.
    pub boot_index: u32,
    /// Where the integrity table is (zero: none).
    pub integrity: ResourceHeader,
}

impl Header {
    /// Decodes the 208-byte header. Checks the magic and the header size only.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] for fewer than 208 bytes; [`ErrorKind::Unsupported`] for a
    /// pipable WIM; [`ErrorKind::NotWim`] for another magic or a header size other than 208.
    pub fn parse(b: &[u8]) -> Result<Self> {
        if b.len() >= 8 && b[..8] == PIPABLE_MAGIC {
            return Err(Error::unsupported("pipable WIM").at(0));
        }
        if b.len() < HEADER_SIZE {
            if b.len() < 8 || b[..8] == MAGIC {
                return Err(Error::new(ErrorKind::Truncated {
                    needed: (HEADER_SIZE - b.len()) as u64,
                })
                .at(b.len() as u64));
            }
            return Err(Error::new(ErrorKind::NotWim).at(0));
        }
        if b[..8] != MAGIC {
            return Err(Error::new(ErrorKind::NotWim).at(0));
        }
        let hdr_size = le32(&b[8..12]);
        if hdr_size as usize != HEADER_SIZE {
            return Err(Error::new(ErrorKind::NotWim).at(8));
        }
        Ok(Self {
            version: le32(&b[12..16]),
            flags: le32(&b[16..20]),
            chunk_size: le32(&b[20..24]),
            guid: b[24..40].try_into().unwrap_or_default(),
            part_number: le16(&b[40..42]),
            total_parts: le16(&b[42..44]),
            image_count: le32(&b[44..48]),
            blob_table: ResourceHeader::parse(&b[48..72])?,
            xml_data: ResourceHeader::parse(&b[72..96])?,
            boot_metadata: ResourceHeader::parse(&b[96..120])?,
            boot_index: le32(&b[120..124]),
            integrity: ResourceHeader::parse(&b[124..148])?,
        })
    }

    /// The 208 bytes on disk.
    ///
    /// # Errors
    /// As [`ResourceHeader::to_bytes`].
    pub fn to_bytes(&self) -> Result<[u8; HEADER_SIZE]> {
        let mut b = [0u8; HEADER_SIZE];
        b[..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&(HEADER_SIZE as u32).to_le_bytes());
        b[12..16].copy_from_slice(&self.version.to_le_bytes());
        b[16..20].copy_from_slice(&self.flags.to_le_bytes());
        b[20..24].copy_from_slice(&self.chunk_size.to_le_bytes());
        b[24..40].copy_from_slice(&self.guid);
        b[40..42].copy_from_slice(&self.part_number.to_le_bytes());
        b[42..44].copy_from_slice(&self.total_parts.to_le_bytes());
        b[44..48].copy_from_slice(&self.image_count.to_le_bytes());
        b[48..72].copy_from_slice(&self.blob_table.to_bytes()?);
        b[72..96].copy_from_slice(&self.xml_data.to_bytes()?);
        b[96..120].copy_from_slice(&self.boot_metadata.to_bytes()?);
        b[120..124].copy_from_slice(&self.boot_index.to_le_bytes());
        b[124..148].copy_from_slice(&self.integrity.to_bytes()?);
        Ok(b)
    }

    /// Whether resources may be XPRESS-compressed (`FLAG_COMPRESSION | FLAG_XPRESS`).
    pub fn is_xpress(&self) -> bool {
        self.flags & FLAG_COMPRESSION != 0 && self.flags & FLAG_XPRESS != 0
    }
}

pub(crate) fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

pub(crate) fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

pub(crate) fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshdr_round_trip() {
        let r = ResourceHeader {
            size_in_wim: 0x00AB_CDEF_0123_4567,
            flags: RESHDR_COMPRESSED | RESHDR_METADATA,
            offset: 208,
            original_size: 99,
        };
        assert_eq!(ResourceHeader::parse(&r.to_bytes().unwrap()).unwrap(), r);
        let too_big = ResourceHeader {
            size_in_wim: 1 << 56,
            ..r
        };
        assert!(too_big.to_bytes().is_err());
        assert!(ResourceHeader::parse(&[0; 23]).is_err());
    }

    #[test]
    fn header_rejects_other_magics() {
        let mut b = [0u8; HEADER_SIZE];
        assert_eq!(Header::parse(&b).unwrap_err().kind(), &ErrorKind::NotWim);
        b[..8].copy_from_slice(&PIPABLE_MAGIC);
        assert!(matches!(
            Header::parse(&b).unwrap_err().kind(),
            ErrorKind::Unsupported(m) if m.contains("pipable")
        ));
        b[..8].copy_from_slice(&MAGIC);
        b[8] = 0xD1;
        assert_eq!(Header::parse(&b).unwrap_err().kind(), &ErrorKind::NotWim);
        assert!(matches!(
            Header::parse(&MAGIC).unwrap_err().kind(),
            ErrorKind::Truncated { needed: 200 }
        ));
    }
}
