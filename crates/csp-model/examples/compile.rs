//! Compiles an answer file and prints (or writes) what WCD would put in `Multivariant/0/Prov/`.
//!
//! Usage: `cargo run -p csp-model --example compile -- <customizations.xml> [asset dir] [out dir]`
//! (asset files are looked up by file name in `asset dir`; with `out dir`, `RunTime.xml` and
//! `RunTime/*.provxml` are written there, else listed with their parms).

use std::path::PathBuf;
use std::process::ExitCode;

use csp_model::catalog::Catalog;
use csp_model::compile::{compile, CompileOptions, DirResolver};
use ppkg_format::answer::AnswerFile;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some(input) = args.first() else {
        eprintln!("usage: compile <customizations.xml> [asset dir] [out dir]");
        return ExitCode::from(2);
    };
    let assets = DirResolver::new(args.get(1).cloned().unwrap_or_else(|| PathBuf::from(".")));
    let result = std::fs::read(input)
        .map_err(|e| format!("{}: {e}", input.display()))
        .and_then(|b| AnswerFile::parse(&b).map_err(|e| format!("{}: {e}", input.display())))
        .and_then(|a| {
            compile(&a, Catalog::builtin(), &CompileOptions::default(), &assets)
                .map_err(|e| format!("{}: {e}", input.display()))
        });
    let compiled = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(out) = args.get(2) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(out.join("RunTime"))?;
            std::fs::write(out.join("RunTime.xml"), compiled.runtime.to_bytes())?;
            for (name, doc) in &compiled.provxml {
                std::fs::write(out.join("RunTime").join(name), doc.to_bytes())?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            eprintln!("{}: {e}", out.display());
            return ExitCode::FAILURE;
        }
        println!(
            "wrote {} documents to {}",
            compiled.provxml.len(),
            out.display()
        );
    } else {
        for ((name, doc), set) in compiled.provxml.iter().zip(&compiled.runtime.sets) {
            println!("{name}  SettingsGroup={}", set.settings_group);
            for (chars, parm) in doc.parms() {
                // Values are not printed: they may be secrets.
                println!(
                    "    {}/{}  ({})",
                    chars.join("/"),
                    parm.name,
                    parm.datatype.as_deref().unwrap_or("-")
                );
            }
        }
    }
    for a in &compiled.assets {
        println!("payload {} -> {}", a.setting_path, a.key);
    }
    ExitCode::SUCCESS
}
