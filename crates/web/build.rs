//! Builds into the binary the files of the map libraries (Leaflet and its marker clusters,
//! npm packages installed from the lockfile by `scripts/setup.sh`), so that the binary serves
//! them from any directory (issue #21). A file absent at build time is looked for on disk at
//! run time, as before.

use std::path::PathBuf;

/// (name served, place in `node_modules`, media type).
const VENDOR: [(&str, &str, &str); 8] = [
    (
        "leaflet.js",
        "leaflet/dist/leaflet.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "leaflet.css",
        "leaflet/dist/leaflet.css",
        "text/css; charset=utf-8",
    ),
    (
        "leaflet.markercluster.js",
        "leaflet.markercluster/dist/leaflet.markercluster.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "MarkerCluster.css",
        "leaflet.markercluster/dist/MarkerCluster.css",
        "text/css; charset=utf-8",
    ),
    (
        "MarkerCluster.Default.css",
        "leaflet.markercluster/dist/MarkerCluster.Default.css",
        "text/css; charset=utf-8",
    ),
    (
        "marker-icon.png",
        "leaflet/dist/images/marker-icon.png",
        "image/png",
    ),
    (
        "marker-icon-2x.png",
        "leaflet/dist/images/marker-icon-2x.png",
        "image/png",
    ),
    (
        "marker-shadow.png",
        "leaflet/dist/images/marker-shadow.png",
        "image/png",
    ),
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let modules = manifest.join("../../node_modules");
    let mut code = String::from(
        "/// (name served, place in `node_modules`, media type, contents when built in).\n\
         pub const VENDOR: [(&str, &str, &str, Option<&[u8]>); 8] = [\n",
    );
    for (name, path, mime) in VENDOR {
        let file = modules.join(path);
        println!("cargo:rerun-if-changed={}", file.display());
        let contents = match file.canonicalize() {
            Ok(abs) if abs.is_file() => {
                format!("Some(include_bytes!({:?}))", abs.display().to_string())
            }
            _ => {
                println!(
                    "cargo:warning={path} absent : lancez scripts/setup.sh (npm ci) pour l'intégrer au binaire"
                );
                "None".to_string()
            }
        };
        code.push_str(&format!(
            "    ({name:?}, {path:?}, {mime:?}, {contents}),\n"
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("vendor.rs"), code) {
        panic!("écriture de vendor.rs : {e}");
    }
}
