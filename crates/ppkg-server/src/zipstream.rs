//! A zip writer for streaming: stored (uncompressed) entries whose bytes are known before the
//! entry is written, so each local header carries the real CRC-32 and sizes and no seeking or
//! data descriptor is needed (APPNOTE.TXT 6.3.10 §4.3.7, §4.3.12, §4.3.16). Packages are
//! already compressed (XPRESS inside the WIM), so storing them costs nothing.
//!
//! Limits (no ZIP64): at most 65,535 entries and 4 GiB in all; beyond them [`ZipStream`]
//! returns an error rather than writing a broken archive.

use std::io::{self, Write};

/// Writes entries to `W` one after the other, then the central directory on [`finish`].
///
/// [`finish`]: ZipStream::finish
pub struct ZipStream<W: Write> {
    out: W,
    offset: u64,
    central: Vec<u8>,
    entries: u32,
}

fn too_big() -> io::Error {
    io::Error::other("zip archive over 4 GiB or 65,535 entries (ZIP64 is not written)")
}

/// MS-DOS date 1980-01-01 00:00 (entries carry no time: the archive is reproducible).
const DOS_DATE: u16 = (1 << 5) | 1;

impl<W: Write> ZipStream<W> {
    /// A new archive.
    pub fn new(out: W) -> Self {
        ZipStream {
            out,
            offset: 0,
            central: Vec::new(),
            entries: 0,
        }
    }

    /// The writer, without finishing the archive (to abort a stream: what was written is not a
    /// whole zip).
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes one stored entry. `name` is stored as UTF-8 (general-purpose flag bit 11).
    ///
    /// # Errors
    /// Write errors, or the archive would pass the limits.
    pub fn add(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| too_big())?;
        let offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        if self.entries == u32::from(u16::MAX) {
            return Err(too_big());
        }
        let crc = crc32fast::hash(data);
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        h.extend_from_slice(&(1u16 << 11).to_le_bytes()); // UTF-8 names
        h.extend_from_slice(&0u16.to_le_bytes()); // stored
        h.extend_from_slice(&0u16.to_le_bytes()); // time
        h.extend_from_slice(&DOS_DATE.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&name_len.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // extra
        h.extend_from_slice(name.as_bytes());
        let end = self.offset + h.len() as u64 + data.len() as u64;
        if end > u64::from(u32::MAX) {
            return Err(too_big());
        }
        self.out.write_all(&h)?;
        self.out.write_all(data)?;
        self.offset = end;
        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&0x031eu16.to_le_bytes()); // made by: Unix, 3.0
        c.extend_from_slice(&20u16.to_le_bytes());
        c.extend_from_slice(&(1u16 << 11).to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes());
        c.extend_from_slice(&DOS_DATE.to_le_bytes());
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&size.to_le_bytes());
        c.extend_from_slice(&size.to_le_bytes());
        c.extend_from_slice(&name_len.to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes()); // extra
        c.extend_from_slice(&0u16.to_le_bytes()); // comment
        c.extend_from_slice(&0u16.to_le_bytes()); // disk
        c.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
        c.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes()); // external: -rw-r--r--
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.entries += 1;
        Ok(())
    }

    /// Writes the central directory and the end record; returns the writer.
    ///
    /// # Errors
    /// Write errors, or the archive passed the limits.
    pub fn finish(mut self) -> io::Result<W> {
        let cd_offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let cd_size = u32::try_from(self.central.len()).map_err(|_| too_big())?;
        let n = u16::try_from(self.entries).map_err(|_| too_big())?;
        self.out.write_all(&self.central)?;
        let mut e = Vec::with_capacity(22);
        e.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        e.extend_from_slice(&n.to_le_bytes());
        e.extend_from_slice(&n.to_le_bytes());
        e.extend_from_slice(&cd_size.to_le_bytes());
        e.extend_from_slice(&cd_offset.to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&e)?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_crate_reads_it_back() {
        let mut z = ZipStream::new(Vec::new());
        z.add("a.ppkg", b"hello").expect("add");
        z.add("b é.ppkg", &[0u8; 1000]).expect("add");
        let bytes = z.finish().expect("finish");
        let mut r = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("readable zip");
        assert_eq!(r.len(), 2);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut r.by_name("a.ppkg").expect("a"), &mut s).expect("read");
        assert_eq!(s, "hello");
        let b = r.by_name("b é.ppkg").expect("b");
        assert_eq!(b.size(), 1000);
    }
}
