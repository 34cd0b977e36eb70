//! Emulators must not outlive the conform that started them, even one killed outright (SIGKILL,
//! the OOM killer) that could not stop them. The kernel kills a child whose parent dies only when
//! asked at spawn (PR_SET_PDEATHSIG, see `process.rs`), and never that child's own children in
//! sessions of their own (LocalStack's Node.js Kinesis). So every start leaves a note: its owner's
//! pid, the emulator's process group, and a marker its whole tree carries on the command line
//! (its state directory); every later start stops what notes of dead owners name.

use std::path::PathBuf;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Note {
    owner: u32,
    group: i32,
    /// When the group leader started (clock ticks since boot), so a recycled pid is never killed.
    started: u64,
    marker: Option<String>,
}

fn dir() -> PathBuf {
    super::install::home().join("running")
}

/// Records a started emulator; the returned file is removed when it is stopped.
pub fn note(group: u32, marker: Option<String>) -> Option<PathBuf> {
    note_in(&dir(), std::process::id(), group, marker)
}

fn note_in(dir: &std::path::Path, owner: u32, group: u32, marker: Option<String>) -> Option<PathBuf> {
    let note = Note { owner, group: group as i32, started: start_time(group as i32)?, marker };
    let path = dir.join(format!("{}-{}.json", note.owner, note.group));
    std::fs::create_dir_all(dir).ok()?;
    std::fs::write(&path, serde_json::to_string(&note).ok()?).ok()?;
    Some(path)
}

/// Stops every emulator whose owner is gone; returns how many it found.
pub fn sweep() -> usize {
    sweep_in(&dir())
}

fn sweep_in(dir: &std::path::Path) -> usize {
    let mut stopped = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Some(note) = std::fs::read_to_string(entry.path()).ok().and_then(|t| serde_json::from_str::<Note>(&t).ok()) else {
            let _ = std::fs::remove_file(entry.path());
            continue;
        };
        if alive(note.owner as i32) {
            continue;
        }
        if start_time(note.group) == Some(note.started) {
            let _ = killpg(Pid::from_raw(note.group), Signal::SIGKILL);
            stopped += 1;
        }
        if let Some(marker) = note.marker.as_deref().filter(|m| !m.is_empty()) {
            for pid in processes_mentioning(marker) {
                let _ = kill(pid, Signal::SIGKILL);
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
    stopped
}

fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

/// The children of `pid`, from `/proc`: what a killed conform would leave orphaned.
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let child: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let ppid: u32 = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == pid).then_some(child)
        })
        .collect()
}

/// Field 22 of `/proc/<pid>/stat`.
fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()
}

fn processes_mentioning(marker: &str) -> Vec<Pid> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline).contains(marker).then(|| Pid::from_raw(pid))
        })
        .filter(|p| p.as_raw() != std::process::id() as i32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn what_a_dead_owner_left_running_is_stopped_and_a_live_owners_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let spawn = |marker: &str| std::process::Command::new("sleep").args(["30", marker]).process_group(0).spawn().unwrap();
        let (mut orphan, mut stray, mut kept) = (spawn("1"), spawn("conform-test-marker-1"), spawn("2"));
        // A dead owner: a process that has exited and been reaped.
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        gone.wait().unwrap();
        note_in(dir.path(), gone.id(), orphan.id(), Some("conform-test-marker-1".into())).unwrap();
        note_in(dir.path(), std::process::id(), kept.id(), None).unwrap();
        assert_eq!(sweep_in(dir.path()), 1);
        assert!(orphan.wait().is_ok_and(|s| !s.success()), "the orphan is killed");
        assert!(stray.wait().is_ok_and(|s| !s.success()), "so is a process carrying its marker");
        assert!(kept.try_wait().unwrap().is_none(), "a live owner's emulator keeps running");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the live owner's note remains");
        kept.kill().unwrap();
        let _ = kept.wait();
    }
}
