//! What a browser session must not leave behind: a Chromium process, or a temporary directory.

use std::path::Path;

use exportsync::source::procs;

/// No Chromium or crashpad process descends from this test process or mentions our private
/// temp root, and the browser's temporary directories are gone.
pub fn assert_nothing_left(temp_root: &Path) {
    let me = std::process::id();
    let root = temp_root.display().to_string();
    let all = procs::list();
    let descends_from_me = |mut pid: u32| {
        for _ in 0..64 {
            let Some(p) = all.iter().find(|p| p.pid == pid) else {
                return false;
            };
            if p.ppid == me {
                return true;
            }
            if p.ppid <= 1 {
                return false;
            }
            pid = p.ppid;
        }
        false
    };
    let left: Vec<_> = all
        .iter()
        .filter(|p| p.cmdline.contains(&root) || (p.is_chromium() && descends_from_me(p.pid)))
        .collect();
    assert!(left.is_empty(), "browser processes left behind: {left:#?}");
    let dirs: Vec<_> = std::fs::read_dir(temp_root).unwrap().collect();
    assert!(
        dirs.is_empty(),
        "temporary directories left behind: {dirs:?}"
    );
}
