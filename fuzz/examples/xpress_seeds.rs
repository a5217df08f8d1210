//! Writes XPRESS seeds made by our encoder: `xpress_decode` inputs are a 2-byte little-endian
//! (output length − 1) followed by the compressed chunk.
//!
//! Usage: `cargo run --example xpress_seeds -- corpus/xpress_decode`

use std::path::PathBuf;

use ppkg_format::xpress;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "corpus/xpress_decode".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let text =
        b"<wap-provisioningdoc><characteristic type=\"Workplace\"/></wap-provisioningdoc>\r\n"
            .repeat(40);
    let mut mixed: Vec<u8> = (0u32..3000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    mixed.extend_from_slice(&text[..1000]);
    let inputs: [(&str, &[u8]); 4] = [
        ("seed-text", &text),
        ("seed-mixed", &mixed),
        ("seed-one", b"A"),
        ("seed-run", &[0u8; 4096]),
    ];
    for (name, input) in inputs {
        let packed = xpress::compress(input);
        let len = u16::try_from(input.len() - 1).expect("seed inputs are under 64 KiB");
        let mut seed = len.to_le_bytes().to_vec();
        seed.extend_from_slice(&packed);
        std::fs::write(dir.join(name), seed)?;
    }
    Ok(())
}
