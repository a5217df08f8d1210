//! Sign a package and verify the catalog: `sign_ppkg SIGNER.pfx PFX_PASSWORD PACKAGE.ppkg`.
//!
//! Writes `PACKAGE.cat` beside the package and prints what the catalog says.

use std::path::Path;
use std::time::SystemTime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pfx, password, package] = args.as_slice() else {
        return Err("usage: sign_ppkg SIGNER.pfx PFX_PASSWORD PACKAGE.ppkg".into());
    };
    let signer = ppkg_sign::Signer::from_pfx(&std::fs::read(pfx)?, password)?;
    let cat = ppkg_sign::sign_file(Path::new(package), &signer, SystemTime::now())?;
    let info = ppkg_sign::verify(&std::fs::read(&cat)?, std::fs::File::open(package)?)?;
    println!("wrote {}", cat.display());
    println!("catalog version {}", info.catalog_version);
    println!(
        "signer {} (thumbprint {})",
        info.signer.subject, info.signer.thumbprint
    );
    for m in &info.members {
        let id: String = m.identifier.iter().map(|b| format!("{b:02X}")).collect();
        println!("member {id} {}", m.file_name.as_deref().unwrap_or("-"));
    }
    Ok(())
}
