//! Specs: YAML files of service behaviour, parsed into a typed model that keeps source positions.
//! No I/O beyond reading files; nothing here talks to a service.

pub mod cases;
pub mod generate;
mod load;
pub mod model;
pub mod node;
pub mod raw;
pub mod source;
pub mod template;
mod validate;

use std::path::{Path, PathBuf};

pub use model::*;
pub use source::{SpecError, SpecErrors};
pub use load::{load_str, parse_yaml};
pub use validate::{BUILTINS, CAPABILITIES};

/// Reads and validates one spec file: its spec, or one per row of its `cases:` table.
pub fn load_file(path: &Path) -> Result<Vec<Spec>, SpecErrors> {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&name, &text),
        Err(e) => Err(SpecErrors {
            file: name.clone(),
            errors: vec![SpecError::new(&source::SourceFile::new(name, ""), source::Span::default(), format!("cannot read: {e}"))],
        }),
    }
}

/// Every `*.yaml`/`*.yml` file under the given paths (files are taken as they are), sorted.
pub fn discover(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = paths
        .iter()
        .flat_map(|p| {
            walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        })
        .collect();
    files.sort();
    files.dedup();
    files
}

/// The JSON Schema of the spec format, for editors.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(raw::RawSpec)).expect("schema serialises")
}

/// The one spec of a text without a case table (for tests and benches).
pub fn load_one(name: &str, text: &str) -> Result<Spec, SpecErrors> {
    load_str(name, text).map(|mut specs| specs.remove(0))
}
