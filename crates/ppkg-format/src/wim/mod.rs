//! The WIM container (Windows Imaging Format, version 1.13) as `.ppkg` files use it.
//!
//! Two layers (FORMAT.md §1; the "Windows Imaging File Format" paper):
//! - the **index layer**, [`WimReader::new`]: header, blob table, the image's metadata resource
//!   (security data + dentry tree) and the UTF-16LE XML data are read and every offset, size,
//!   count and alignment is checked against the file before anything is handed out;
//! - the **access layer**, [`WimReader::open`]: a streaming [`BlobReader`] per file that
//!   decompresses chunk by chunk and checks the SHA-1 at the end; [`WimReader::extract_to`]
//!   writes a whole image safely.
//!
//! The writer, [`write_wim`], streams an [`ImageTree`] into a WIM as Windows Configuration
//! Designer does (XPRESS, 32 KiB chunks, flags `0x00020082`), deterministically for a fixed
//! [`WriteOptions::deterministic`] GUID and time.
//!
//! ```
//! use ppkg_format::metadata::ImageInfo;
//! use ppkg_format::wim::{write_wim, ImageTree, WimReader, WriteOptions};
//!
//! let mut tree = ImageTree::new();
//! tree.add_file("Multivariant/0/customizations.xml", "<WindowsCustomizations/>")?;
//! let info = ImageInfo { name: "demo".into(), version: "1.0".into(), ..ImageInfo::default() };
//! let mut wim = std::io::Cursor::new(Vec::new());
//! write_wim(&mut wim, &tree, &info, &WriteOptions::deterministic([7; 16], 0x01DC_0D07_2073_7ED1))?;
//!
//! let mut reader = WimReader::new(wim)?;
//! assert_eq!(reader.image_info().name, "demo");
//! let entry = reader.find("Multivariant/0/customizations.xml").cloned().expect("written above");
//! assert_eq!(reader.read_to_vec(&entry, 1 << 20)?, b"<WindowsCustomizations/>");
//! # Ok::<(), ppkg_format::Error>(())
//! ```

mod codec;
mod dentry;
pub mod extract;
mod header;
mod parallel;
mod reader;
mod resource;
mod stream;
mod writer;

pub use dentry::{
    FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL,
    FILE_ATTRIBUTE_REPARSE_POINT, MAX_DENTRIES, MAX_PATH_BYTES,
};
pub use header::*;
pub use reader::{
    BlobEntry, Entry, ExtractOptions, ExtractStats, WimReader, BLOB_ENTRY_SIZE,
    MAX_BLOB_TABLE_BYTES, MAX_METADATA_BYTES, MAX_WIM_XML_BYTES,
};
pub use resource::BlobReader;
pub use writer::{
    write_wim, BlobDigest, Compression, FileCount, ImageTree, ResourceCache, Source, WimWriter,
    WriteOptions, WriteStats, CHUNK_SIZE,
};
