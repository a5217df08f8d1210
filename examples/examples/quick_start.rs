//! The README's quick start: build, encrypt and sign the example enrollment package in one
//! call (the PFX is a self-signed TEST certificate shipped with the examples).
//!
//! `cargo run -p ppkg-examples --example quick_start` (from the workspace root).

use ppkg::{Encryption, Package};

fn main() -> Result<(), ppkg::Error> {
    let written = Package::from_path("examples/bulk-enrollment.toml")?
        .encrypt(Encryption::Generate)
        .sign_with_pfx_file("examples/assets/example-test-signer.pfx", "example-signer")?
        .write_atomic("enrollment.ppkg")?;
    eprintln!(
        "wrote {} ({} bytes), catalog {:?}",
        written.package_id, written.bytes, written.catalog_path
    );
    if let Some(p) = &written.password {
        println!("password: {}", p.expose());
    }
    Ok(())
}
