//! Embeds the reference files built at set-up (`data/referentiel/communes.tsv` and
//! `contours.tsv`, by `scripts/setup.sh`) into the library, compressed, so that the binary runs
//! from any directory without them (issue #21). A file absent at build time is not embedded:
//! the library then looks for it on disk, as before, and says how to build it.

use std::io::Write;
use std::path::{Path, PathBuf};

const FILES: [(&str, &str); 2] = [("COMMUNES", "communes.tsv"), ("CONTOURS", "contours.tsv")];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let data = manifest.join("../../data/referentiel");
    let mut code = String::new();
    for (constant, name) in FILES {
        let source = data.join(name);
        println!("cargo:rerun-if-changed={}", source.display());
        let embedded = match std::fs::read(&source) {
            Ok(bytes) => compress(&bytes, &out.join(format!("{name}.gz"))),
            Err(_) => {
                println!(
                    "cargo:warning={name} absent : lancez scripts/setup.sh pour l'intégrer au binaire"
                );
                None
            }
        };
        code.push_str(&match embedded {
            Some(path) => format!(
                "/// `{name}`, gzip-compressed.\npub const {constant}: Option<&[u8]> = Some(include_bytes!({path:?}));\n"
            ),
            None => format!("/// `{name}`: absent at build time.\npub const {constant}: Option<&[u8]> = None;\n"),
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
