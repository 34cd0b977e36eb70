//! Loading: YAML text → validated specs (one per file, or one per row of its `cases:` table), and
//! the project-wide YAML reader whose errors point at file:line:col.

use std::collections::BTreeSet;

use super::model::Spec;
use super::raw::RawSpec;
use super::source::{did_you_mean, SourceFile, Span, SpecError, SpecErrors};
use super::validate::{Validator, BUILTINS};
use super::cases;

/// Parse and validate one spec file's text: one spec, or one per row of its `cases:` table.
/// `name` is how the file is reported (its path).
pub fn load_str(name: &str, text: &str) -> Result<Vec<Spec>, SpecErrors> {
    let file = SourceFile::new(name, text);
    let fail = |errors| SpecErrors { file: name.to_owned(), errors };
    let mut raw: RawSpec = parse_yaml(name, text)?;
    let Some(table) = raw.cases.take() else {
        let mut v = Validator::new(&file, Vec::new());
        let spec = v.spec(raw);
        return if v.errors.is_empty() { Ok(vec![spec]) } else { Err(fail(v.errors)) };
    };
    let mut taken: BTreeSet<String> = BUILTINS.iter().map(|s| s.to_string()).collect();
    taken.extend(raw.resources.keys().cloned());
    taken.extend(raw.steps.iter().flat_map(|s| s.value.capture.iter().flat_map(|c| c.keys().cloned())));
    let problems = |problems: Vec<cases::Problem>| {
        let mut v = Validator::new(&file, Vec::new());
        for p in problems {
            let e = v.error(p.pos, p.len, p.message);
            if let Some(help) = p.help {
                e.help(help);
            }
        }
        v.errors
    };
    let unused = cases::unused(&table, &cases::referenced(&mut raw));
    let rows = match cases::table(&table, &taken) {
        Ok(rows) => rows,
        Err(mut p) => {
            p.extend(unused);
            return Err(fail(problems(p)));
        }
    };
    let columns: Vec<String> = cases::column_keys(&table).into_iter().map(|k| k.name).collect();
    let mut specs = Vec::new();
    let mut errors: Vec<SpecError> = problems(unused);
    for case in rows {
        // Each case validates its own copy of the file: cells differ in type and presence.
        let mut raw: RawSpec = parse_yaml(name, text)?;
        raw.cases = None;
        cases::bind(&mut raw, &case.cells);
        let mut v = Validator::new(&file, columns.clone());
        let mut spec = v.spec(raw);
        spec.id = format!("{}/{}", spec.id, case.name);
        spec.title = case.title.unwrap_or_else(|| format!("{} ({})", spec.title, case.name));
        spec.source = case.source.unwrap_or(spec.source);
        // A mistake in the shared part of the file shows once, not once per case.
        for e in v.errors {
            if !errors.iter().any(|seen| seen.to_string() == e.to_string()) {
                errors.push(e);
            }
        }
        specs.push(spec);
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(fail(errors))
    }
}

/// Deserialises any YAML document of the project (specs, expectations, target configs) with
/// errors that point at file:line:col.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, SpecErrors> {
    // A tag such as `!!python/object` means nothing to a spec: refused, never silently dropped.
    let options = serde_saphyr::options! { reject_unsupported_tags: true, reject_tagged_field_names: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let file = SourceFile::new(name, text);
        SpecErrors { file: name.to_owned(), errors: vec![yaml_error(&file, &e)] }
    })
}

fn yaml_error(file: &SourceFile, error: &serde_saphyr::Error) -> SpecError {
    let span = error
        .location()
        .map(|l| Span::at(file.offset_of(l.line(), l.column()), 1))
        .unwrap_or_default();
    // Errors arrive wrapped for snippet and alias rendering; the cause is what tells the story.
    let mut error = error;
    while let serde_saphyr::Error::WithSnippet { error: inner, .. } | serde_saphyr::Error::AliasError { error: inner, .. } = error {
        error = inner;
    }
    match error {
        serde_saphyr::Error::SerdeUnknownField { field, expected, .. } => {
            let mut e = SpecError::new(file, Span::at(span.offset, field.len()), format!("unknown key `{field}`"));
            e.label("not a key here");
            let known = expected.join("`, `");
            match did_you_mean(field, expected.iter().copied()) {
                Some(best) => e.help(format!("did you mean `{best}`? Keys allowed here: `{known}`")),
                None => e.help(format!("keys allowed here: `{known}`")),
            };
            e
        }
        serde_saphyr::Error::SerdeUnknownVariant { variant, expected, .. } => {
            let mut e = SpecError::new(file, Span::at(span.offset, variant.len()), format!("unknown value `{variant}`"));
            match did_you_mean(variant, expected.iter().copied()) {
                Some(best) => e.help(format!("did you mean `{best}`? Allowed: `{}`", expected.join("`, `"))),
                None => e.help(format!("allowed: `{}`", expected.join("`, `"))),
            };
            e
        }
        other => {
            let text = other.without_snippet().to_string();
            // serde-saphyr appends " at line L column C"; the location is shown already.
            let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
            SpecError::new(file, span, message)
        }
    }
}

/// Every diagnostic of a spec text as `message | help`, for tests of what the loader says.
#[cfg(test)]
pub(crate) fn diagnostics(text: &str) -> Vec<String> {
    match load_str("t.yaml", text) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors.iter().map(|e| format!("{} | {}", e, e.help.clone().unwrap_or_default())).collect(),
    }
}
