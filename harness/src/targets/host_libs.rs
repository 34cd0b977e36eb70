//! LocalStack on the host: what it would download at run time, put where it looks first.
//!
//! LocalStack looks for a package under `usr/lib/localstack/<name>/<version>` below its
//! `FILESYSTEM_ROOT` (its "static libs") before downloading it. conform gives it:
//! - `kinesis-local/0.5.2`: its Kinesis engine, installed from npm beside localstack-core;
//! - `dynamodb-local/2`: DynamoDB Local, the pinned jar (`DynamoDBLocal.jar` with its
//!   `DynamoDBLocal_lib`), and in place of LocalStack's agent `ddb-local-loader-0.1.jar` (which
//!   lifts the limit of 20 global secondary indexes, downloaded from LocalStack's artifacts
//!   repository) one that does nothing, so DynamoDB Local runs unpatched;
//! - `java/21`: the Java that runs it (LocalStack would download Temurin 21; 17 or newer works).

use std::os::unix::fs::symlink;
use std::path::Path;

/// The do-nothing Java agent; its source is beside it.
const NO_OP_AGENT: &[u8] = include_bytes!("../../pins/no-op-agent.jar");

/// Fills `<state>/usr/lib/localstack` for one start: links to the install's `lib/` entries, to the
/// jar and its libraries, and to the Java home that `$JAVA` (or `java`) belongs to.
pub fn link(state: &Path, jar: &Path) -> Result<(), String> {
    let libraries = super::java::jar_libraries(jar)?;
    let java_home = super::java::java_home()?;
    let install_libs = state.parent().and_then(Path::parent).map(|d| d.join("lib")).ok_or("no install directory")?;
    let root = state.join("usr/lib/localstack");
    let io = |what: &str, e: std::io::Error| format!("cannot {what} under {}: {e}", root.display());
    let dynamodb = root.join("dynamodb-local/2");
    std::fs::create_dir_all(&dynamodb).map_err(|e| io("create dynamodb-local/2", e))?;
    std::fs::create_dir_all(root.join("java")).map_err(|e| io("create java", e))?;
    for entry in std::fs::read_dir(&install_libs).into_iter().flatten().flatten() {
        symlink(entry.path(), root.join(entry.file_name())).map_err(|e| io("link the installed libraries", e))?;
    }
    symlink(jar, dynamodb.join("DynamoDBLocal.jar")).map_err(|e| io("link DynamoDBLocal.jar", e))?;
    symlink(&libraries, dynamodb.join("DynamoDBLocal_lib")).map_err(|e| io("link DynamoDBLocal_lib", e))?;
    std::fs::write(dynamodb.join("ddb-local-loader-0.1.jar"), NO_OP_AGENT).map_err(|e| io("write the agent", e))?;
    symlink(&java_home, root.join("java/21")).map_err(|e| io("link java/21", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_agent_names_a_premain_class_it_holds() {
        let text = String::from_utf8_lossy(super::NO_OP_AGENT);
        assert!(text.contains("NoOpAgent.class"), "the jar lists its class");
        assert!(super::NO_OP_AGENT.starts_with(b"PK"), "a zip archive");
    }
}
