//! Interoperability of `ppkg_format::xpress` with wimlib, an independent XPRESS implementation.
//!
//! - `decodes_wimlib_chunks`: files generated at test time are captured by
//!   `wimlib-imagex capture --compress=XPRESS`; every compressed resource of that WIM (file
//!   blobs and the image metadata) is split into its chunks, which our decoder expands; the
//!   result must hash to the SHA-1 recorded in wimlib's blob table.
//! - `wimlib_reads_our_chunks`: the compressed resources of such a WIM are re-encoded with our
//!   compressor, appended to the file and the blob table entries pointed at them; then
//!   `wimlib-imagex verify` (which decompresses and checks every blob's SHA-1) and
//!   `wimlib-imagex apply` must accept the file and give back the original bytes.
//!
//! Only as much of the WIM format as these tests need is parsed here (header at offset 0, blob
//! table resource header at offset 48, 50-byte blob table entries, chunk tables with 4-byte
//! entries); the crate's own WIM reader is tested elsewhere.

use std::path::Path;
use std::process::Command;

use ppkg_format::xpress;
use sha1::{Digest, Sha1};

/// Resource header flag: the resource is compressed.
const RESHDR_COMPRESSED: u8 = 0x04;

/// One 50-byte blob table entry.
#[derive(Debug)]
struct Blob {
    /// Byte offset of this entry in the file.
    entry_at: usize,
    stored_size: u64,
    flags: u8,
    offset: u64,
    original_size: u64,
    sha1: [u8; 20],
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(a)
}

fn blob_table(wim: &[u8]) -> Vec<Blob> {
    assert_eq!(&wim[..8], b"MSWIM\0\0\0", "not a WIM");
    let flags = u32::from_le_bytes(wim[16..20].try_into().expect("4 bytes"));
    assert_ne!(flags & 0x0002_0000, 0, "WIM is not XPRESS-compressed");
    let chunk = u32::from_le_bytes(wim[20..24].try_into().expect("4 bytes"));
    assert_eq!(chunk as usize, xpress::MAX_CHUNK);
    let rh = &wim[48..72];
    let size = le_u64(&rh[..7]) as usize;
    assert_eq!(
        rh[7] & RESHDR_COMPRESSED,
        0,
        "compressed blob table not handled here"
    );
    let off = le_u64(&rh[8..16]) as usize;
    wim[off..off + size]
        .chunks_exact(50)
        .enumerate()
        .map(|(i, e)| Blob {
            entry_at: off + 50 * i,
            stored_size: le_u64(&e[..7]),
            flags: e[7],
            offset: le_u64(&e[8..16]),
            original_size: le_u64(&e[16..24]),
            sha1: e[30..50].try_into().expect("20 bytes"),
        })
        .collect()
}

/// The chunks of a compressed resource: `(stored bytes, uncompressed size)`.
fn chunks<'a>(wim: &'a [u8], b: &Blob) -> Vec<(&'a [u8], usize)> {
    let res = &wim[b.offset as usize..(b.offset + b.stored_size) as usize];
    let usize_orig = b.original_size as usize;
    let n = usize_orig.div_ceil(xpress::MAX_CHUNK);
    assert!(
        b.original_size < 1 << 32,
        "8-byte chunk table entries not handled here"
    );
    let table_len = 4 * (n - 1);
    let mut starts = vec![0usize];
    for e in res[..table_len].chunks_exact(4) {
        starts.push(u32::from_le_bytes(e.try_into().expect("4 bytes")) as usize);
    }
    let data = &res[table_len..];
    starts.push(data.len());
    (0..n)
        .map(|i| {
            let unc = (usize_orig - i * xpress::MAX_CHUNK).min(xpress::MAX_CHUNK);
            (&data[starts[i]..starts[i + 1]], unc)
        })
        .collect()
}

/// xorshift64*: deterministic test data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// XML- and log-like text: repeated tags and words with varying numbers.
fn text_like(rng: &mut Rng, size: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "characteristic",
        "parm",
        "Enrollments",
        "Provisioning",
        "value",
        "datatype=\"string\"",
        "SettingsPath",
        "Workplace",
        "UPN",
        "AuthPolicy",
        "DiscoveryServiceFullURL",
        "https://enroll.example.com/EnrollmentServer/Discovery.svc",
        "OnPremise",
        "Secret",
        "error",
        "warning",
        "retry",
        "the",
        "of",
        "and",
    ];
    let mut out = Vec::with_capacity(size + 200);
    while out.len() < size {
        let depth = rng.below(6) as usize;
        out.extend(std::iter::repeat_n(b' ', depth * 2));
        out.extend_from_slice(b"<");
        out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
        for _ in 0..rng.below(4) {
            out.extend_from_slice(b" ");
            out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
            out.extend_from_slice(format!("=\"{}\"", rng.below(100_000)).as_bytes());
        }
        out.extend_from_slice(b" />\r\n");
    }
    out.truncate(size);
    out
}

/// Test files: name and contents, covering the chunk-size boundaries, long matches (length
/// extension bytes), text and incompressible data.
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let random: Vec<u8> = (0..70_000).map(|_| rng.next() as u8).collect();
    let mut mixed = text_like(&mut rng, 50_000);
    mixed.extend_from_slice(&random[..20_000]);
    mixed.extend(std::iter::repeat_n(b'z', 300));
    mixed.extend_from_slice(&random[..20_000]);
    vec![
        ("one.bin", vec![b'x']),
        ("exact.txt", text_like(&mut rng, 32_768)),
        ("over.txt", text_like(&mut rng, 32_769)),
        ("text.xml", text_like(&mut rng, 300_000)),
        ("zeros.bin", vec![0u8; 100_000]),
        ("random.bin", random),
        ("mixed.bin", mixed),
        (
            "ramp.bin",
            (0..90_000u32).map(|i| (i / 7 % 251) as u8).collect(),
        ),
    ]
}

fn capture(dir: &Path, wim: &Path) {
    let st = Command::new("wimlib-imagex")
        .args(["capture"])
        .arg(dir)
        .arg(wim)
        .args(["--compress=XPRESS", "--threads=1", "--no-acls"])
        .output()
        .expect("run wimlib-imagex");
    assert!(
        st.status.success(),
        "wimlib-imagex capture failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
}

fn write_corpus(dir: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let files = corpus();
    for (name, data) in &files {
        std::fs::write(dir.join(name), data).expect("write test file");
    }
    files
}

#[test]
fn decodes_wimlib_chunks() {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).expect("mkdir");
    let files = write_corpus(&src);
    let wim_path = tmp.path().join("x.wim");
    capture(&src, &wim_path);
    let wim = std::fs::read(&wim_path).expect("read wim");
    let blobs = blob_table(&wim);
    let mut decoded_chunks = 0;
    let mut hashes = Vec::new();
    for b in &blobs {
        if b.flags & RESHDR_COMPRESSED == 0 {
            continue;
        }
        let mut data = Vec::new();
        for (stored, unc) in chunks(&wim, b) {
            if stored.len() == unc {
                data.extend_from_slice(stored);
                continue;
            }
            let mut out = vec![0u8; unc];
            xpress::decompress(stored, &mut out).unwrap_or_else(|e| {
                panic!("blob at {}: {e}", b.offset);
            });
            decoded_chunks += 1;
            data.extend_from_slice(&out);
        }
        assert_eq!(data.len() as u64, b.original_size);
        let h: [u8; 20] = Sha1::digest(&data).into();
        assert_eq!(h, b.sha1, "SHA-1 of blob at {} after decoding", b.offset);
        hashes.push(h);
    }
    // Every compressible file was stored compressed by wimlib and decoded by us.
    for (name, data) in &files {
        if data.len() < 1000 || *name == "random.bin" {
            continue;
        }
        let h: [u8; 20] = Sha1::digest(data).into();
        assert!(
            hashes.contains(&h),
            "{name} was not among the decoded blobs"
        );
    }
    assert!(decoded_chunks >= 20, "only {decoded_chunks} chunks decoded");
}
#[test]
fn wimlib_reads_our_chunks() {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).expect("mkdir");
    let files = write_corpus(&src);
    let wim_path = tmp.path().join("x.wim");
    capture(&src, &wim_path);
    let mut wim = std::fs::read(&wim_path).expect("read wim");
    let blobs = blob_table(&wim);
    let mut compressor = xpress::Compressor::new();
    let mut rewritten = 0;
    for b in &blobs {
        if b.flags & RESHDR_COMPRESSED == 0 {
            continue;
        }
        // Decode wimlib's chunks, re-encode each with our compressor.
        let mut table = Vec::new();
        let mut body = Vec::new();
        let mut buf = Vec::new();
        let old = chunks(&wim, b);
        let n = old.len();
        for (i, (stored, unc)) in old.into_iter().enumerate() {
            let mut plain = vec![0u8; unc];
            if stored.len() == unc {
                plain.copy_from_slice(stored);
            } else {
                xpress::decompress(stored, &mut plain).expect("decode wimlib chunk");
            }
            if i > 0 {
                table.extend_from_slice(&(body.len() as u32).to_le_bytes());
            }
            let len = compressor.compress(&plain, &mut buf);
            assert_eq!(len, buf.len());
            if len < unc {
                body.extend_from_slice(&buf);
            } else {
                body.extend_from_slice(&plain);
            }
        }
        assert_eq!(table.len(), 4 * (n - 1));
        let new_off = wim.len() as u64;
        let new_size = (table.len() + body.len()) as u64;
        wim.extend_from_slice(&table);
        wim.extend_from_slice(&body);
        let e = b.entry_at;
        wim[e..e + 7].copy_from_slice(&new_size.to_le_bytes()[..7]);
        wim[e + 8..e + 16].copy_from_slice(&new_off.to_le_bytes());
        rewritten += 1;
        // The image metadata resource is also referenced from the header (boot metadata is
        // not used here), and from the blob table only: nothing else to patch.
    }
    assert!(rewritten >= 5, "only {rewritten} resources rewritten");
    let ours = tmp.path().join("ours.wim");
    std::fs::write(&ours, &wim).expect("write wim");
    let v = Command::new("wimlib-imagex")
        .arg("verify")
        .arg(&ours)
        .output()
        .expect("run wimlib-imagex verify");
    assert!(
        v.status.success(),
        "wimlib-imagex verify rejected our chunks: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    let dst = tmp.path().join("dst");
    let a = Command::new("wimlib-imagex")
        .arg("apply")
        .arg(&ours)
        .arg("1")
        .arg(&dst)
        .output()
        .expect("run wimlib-imagex apply");
    assert!(
        a.status.success(),
        "wimlib-imagex apply failed: {}",
        String::from_utf8_lossy(&a.stderr)
    );
    for (name, data) in &files {
        let got = std::fs::read(dst.join(name)).expect("applied file");
        assert!(
            got == *data,
            "{name} differs after wimlib applied our chunks"
        );
    }
}
