//! `conform targets install` and `conform targets list`.

use std::path::PathBuf;

use super::exit;

use crate::targets::{self, install, TargetChoice};

pub fn install_targets(names: &[String]) -> u8 {
    // Resolve every name before installing anything: a typo should not leave half an install.
    let mut emulators = Vec::new();
    for name in names {
        match install::by_name(name) {
            Some(emulator) => emulators.push(emulator),
            None => {
                eprintln!("error: conform does not manage `{name}` (it manages: {})", install::names().join(", "));
                return exit::BAD_INPUT;
            }
        }
    }
    for emulator in emulators {
        if let Err(e) = emulator.install(&mut |line| eprintln!("{line}")) {
            eprintln!("error: {e}");
            return exit::TARGET;
        }
        eprintln!("{} {} ready", emulator.name, emulator.version);
    }
    exit::OK
}

pub fn list_targets(config: &std::path::Path) -> u8 {
    println!("{:<15} {:<8} {:<47} {:<10} where", "target", "version", "services", "status");
    for profile in &targets::managed::PROFILES {
        let emulator = profile.emulator;
        let (status, place) = if let Some(path) = std::env::var_os(emulator.override_var) {
            ("override", format!("{} (from {})", PathBuf::from(path).display(), emulator.override_var))
        } else if let Some(path) = emulator.current_program() {
            ("installed", path.display().to_string())
        } else if let Some(v) = emulator.installed_version() {
            ("stale", format!("{v} installed: conform targets install {}", emulator.name))
        } else {
            ("missing", format!("conform targets install {} (or installed on first use)", emulator.name))
        };
        println!("{:<15} {:<8} {:<47} {:<10} {place}", emulator.name, emulator.version, profile.services.join(","), status);
    }
    println!(
        "{:<15} {:<8} {:<47} {:<10} container {}:{} via testcontainers (needs a Docker engine)",
        "localstack",
        targets::localstack::TAG,
        targets::localstack::SERVICES.join(","),
        "docker",
        targets::localstack::IMAGE,
        targets::localstack::TAG
    );
    println!("{:<15} {:<8} {:<47} {:<10} --endpoint URL or SERVICE=URL", "endpoint", "-", "any", "ready");
    match targets::config::Config::load(config) {
        Ok(c) if !c.targets.is_empty() => {
            println!("\nnamed in {}:", config.display());
            for name in c.targets.keys() {
                match c.choice(name) {
                    Ok(Some(configured)) => match &configured.inner {
                        TargetChoice::Endpoint { urls, .. } => {
                            let urls: Vec<String> = urls.iter().map(|(s, u)| if s == "*" { u.clone() } else { format!("{s}={u}") }).collect();
                            println!("  {name:<22} endpoint {}", urls.join(" "))
                        }
                        other => println!("  {name:<22} {}", other.name()),
                    },
                    Ok(None) => {}
                    Err(e) => println!("  {name:<22} invalid: {e}"),
                }
            }
        }
        Ok(_) => {}
        Err(e) => eprintln!("warning: {e}"),
    }
    println!("\ncombine emulators with +, e.g. --target kinesalite+dynalite+moto: each service from the first that serves it");
    exit::OK
}


