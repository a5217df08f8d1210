//! The `ppkg` command-line tool.

fn main() {
    eprintln!("ppkg: under construction");
}
