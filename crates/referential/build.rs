//! Embeds the reference files built at set-up (`data/referentiel/communes.tsv` and
//! `contours.tsv`, by `scripts/setup.sh`) into the library, so that the binary runs from any
//! directory without them (issue #21). A file absent at build time is not embedded: the library
//! then looks for it on disk, as before, and says how to build it.
//!
//! The communes (3 MB) are embedded as they are: every command that checks a file or serves
//! reads them, and reading them from the binary costs neither inflating them (a tenth of a
//! small file's check) nor a copy; the contours (7 MB, read by the territory's pages and
//! commands only) are compressed.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Each file's constant, name, and whether it is compressed.
const FILES: [(&str, &str, bool); 2] = [
    ("COMMUNES", "communes.tsv", false),
    ("CONTOURS", "contours.tsv", true),
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let data = manifest.join("../../data/referentiel");
    let mut code = String::new();
    for (constant, name, compressed) in FILES {
        let source = data.join(name);
        println!("cargo:rerun-if-changed={}", source.display());
        let embedded = match std::fs::read(&source) {
            Ok(bytes) if compressed => compress(&bytes, &out.join(format!("{name}.gz"))),
            // As text (checked UTF-8 by the compiler), from the file set-up made.
            Ok(_) => source.canonicalize().ok().map(|p| p.display().to_string()),
            Err(_) => {
                println!(
                    "cargo:warning={name} absent : lancez scripts/setup.sh pour l'intégrer au binaire"
                );
                None
            }
        };
        let kind = if compressed { "[u8]" } else { "str" };
        code.push_str(&match embedded {
            Some(path) if compressed => format!(
                "/// `{name}`, gzip-compressed.\npub const {constant}: Option<&{kind}> = Some(include_bytes!({path:?}));\n"
            ),
            Some(path) => format!(
                "/// `{name}`.\npub const {constant}: Option<&{kind}> = Some(include_str!({path:?}));\n"
            ),
            None => format!(
                "/// `{name}`: absent at build time.\npub const {constant}: Option<&{kind}> = None;\n"
            ),
        });
    }
    if let Err(e) = std::fs::write(out.join("embedded.rs"), code) {
        panic!("écriture de embedded.rs : {e}");
    }
}

fn compress(bytes: &[u8], path: &Path) -> Option<String> {
    let file = std::fs::File::create(path).ok()?;
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::new(6));
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()?;
    Some(path.display().to_string())
}
