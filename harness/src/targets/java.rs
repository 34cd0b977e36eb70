//! The Java that runs DynamoDB Local (on its own, and inside LocalStack on the host), checked
//! before anything starts: an older or missing Java fails at once with what is needed, not with a
//! class file error in a log after a minute of waiting. So is the jar, with its native libraries.

use std::path::{Path, PathBuf};
use std::process::Command;

/// DynamoDB Local 3.x is compiled for Java 17.
const MINIMUM: u32 = 17;

/// The Java to run (`$JAVA`, else `java` on `PATH`), checked to be 17 or newer.
pub fn java() -> Result<String, String> {
    let java = std::env::var("JAVA").unwrap_or_else(|_| "java".into());
    let out = Command::new(&java).arg("-version").output().map_err(|e| {
        format!("cannot run `{java}` ({e}): DynamoDB Local needs Java {MINIMUM} or newer (Debian: apt-get install openjdk-17-jre-headless; or set $JAVA)")
    })?;
    let text = String::from_utf8_lossy(&out.stderr);
    let major = java_major(&text).ok_or_else(|| format!("cannot read the version of `{java}` (`{java} -version` said: {})", text.lines().next().unwrap_or("nothing")))?;
    if major < MINIMUM {
        return Err(format!("`{java}` is Java {major}; DynamoDB Local needs Java {MINIMUM} or newer (set $JAVA to one)"));
    }
    Ok(java)
}

/// The home directory of that Java (the directory holding `bin/java`), for a program that wants a
/// `JAVA_HOME` rather than a command: LocalStack looks for `<home>/bin/java`.
pub fn java_home() -> Result<PathBuf, String> {
    let java = java()?;
    let program = if java.contains('/') {
        PathBuf::from(&java)
    } else {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|dir| dir.join(&java))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("`{java}` is not on PATH"))?
    };
    // /usr/bin/java is a chain of links (Debian's alternatives) to <home>/bin/java.
    let real = std::fs::canonicalize(&program).map_err(|e| format!("{}: {e}", program.display()))?;
    real.parent()
        .and_then(Path::parent)
        .filter(|home| home.join("bin/java").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} is not in a Java home's bin directory", real.display()))
}

/// The native libraries DynamoDB Local's jar needs (`DynamoDBLocal_lib` beside it), checked to be
/// there with the jar: without them it starts and then fails its first request.
pub fn jar_libraries(jar: &Path) -> Result<PathBuf, String> {
    if !jar.is_file() {
        return Err(format!("DynamoDB Local's jar {} is missing (conform targets install dynamodb-local)", jar.display()));
    }
    let libraries = jar.parent().unwrap_or(Path::new(".")).join("DynamoDBLocal_lib");
    if !libraries.is_dir() {
        return Err(format!("{} is missing beside DynamoDB Local's jar (it holds the SQLite library)", libraries.display()));
    }
    Ok(libraries)
}

/// The major version in `java -version` output: `openjdk version "17.0.15"` → 17, `"1.8.0_392"` → 8.
fn java_major(text: &str) -> Option<u32> {
    let quoted = text.split('"').nth(1)?;
    let mut parts = quoted.split('.');
    match parts.next()?.parse().ok()? {
        1 => parts.next()?.parse().ok(),
        major => Some(major),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_java_major_versions() {
        assert_eq!(java_major("openjdk version \"17.0.15\" 2025-04-15"), Some(17));
        assert_eq!(java_major("openjdk version \"25\" 2025-09-16"), Some(25));
        assert_eq!(java_major("java version \"1.8.0_392\""), Some(8));
        assert_eq!(java_major("no version here"), None);
    }
}
