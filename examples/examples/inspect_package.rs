//! Inspect a package: metadata, compiled settings with their CSP paths, payloads.
//!
//! `cargo run -p ppkg-examples --example inspect_package -- FILE.ppkg`
//!
//! Works on any WIM the reader supports; parts that are missing are reported as missing.

use std::error::Error;
use std::fs::File;
use std::io::BufReader;

use ppkg::format::layout::Package;
use ppkg::format::owner::OwnerType;
use ppkg::format::wim::WimReader;

fn main() -> Result<(), Box<dyn Error>> {
    let Some(path) = std::env::args_os().nth(1) else {
        return Err("usage: inspect_package FILE.ppkg".into());
    };
    let wim = WimReader::new(BufReader::new(File::open(&path)?))?;
    let mut pkg = Package::open(wim)?;
    let info = pkg.image_info().clone();
    println!("name:       {}", info.name);
    println!("version:    {}", info.version);
    println!("package id: {}", info.package_id.as_deref().unwrap_or("-"));
    let owner = info.altitude.and_then(OwnerType::from_altitude);
    println!("owner type: {owner:?} (altitude {:?})", info.altitude);
    for (file, doc) in pkg.provxml()? {
        println!("{file}");
        for (chars, parm) in doc.parms() {
            // Values are not printed: they may be secrets (`ppkg inspect` masks them).
            println!(
                "  {}/{} ({})",
                chars.join("/"),
                parm.name,
                parm.datatype.as_deref().unwrap_or("-")
            );
        }
    }
    for a in pkg.assets()? {
        println!(
            "payload {} ({} bytes) for {}",
            a.file_name, a.size, a.setting_path
        );
    }
    Ok(())
}
