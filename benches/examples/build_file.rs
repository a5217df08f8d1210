//! `ppkg build ANSWER --asset-dir DIR -o OUT` through the facade with the system allocator, for
//! heap profilers (`valgrind --tool=massif` sees glibc malloc, not the CLI's mimalloc):
//! `cargo run --release -p ppkg-benches --example build_file -- ANSWER ASSET_DIR OUT`.

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [answer, assets, out] = &a[..] else {
        eprintln!("usage: build_file ANSWER ASSET_DIR OUT");
        std::process::exit(2);
    };
    let w =
        ppkg::Package::from_path(answer).and_then(|p| p.assets_folder(assets).write_atomic(out));
    match w {
        Ok(w) => println!("{} bytes, {} payloads", w.bytes, w.payloads),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
