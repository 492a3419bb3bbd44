//! A minimal reader of `/proc`: the processes of this machine with their parent, state, name
//! and command line. Used to find Chromium helpers left behind after a browser closed.

/// One process as `/proc/<pid>/stat` and `cmdline` describe it.
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// `R`, `S`, `Z` (zombie), ...
    pub state: char,
    /// The short name from `stat` (at most 15 characters), e.g. `chrome_crashpad`.
    pub name: String,
    /// Arguments joined by spaces; empty for zombies and kernel threads.
    pub cmdline: String,
}

impl Proc {
    pub fn is_chromium(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.starts_with("chrom") || n.starts_with("headless_shell")
    }
}

/// Every process readable now. Processes that vanish while being read are skipped.
pub fn list() -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read)
        .collect()
}

/// Reads one process; `None` when it is gone.
pub fn read(pid: u32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is between the first '(' and the LAST ')': it may itself contain ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_owned();
    let mut rest = stat[close + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .replace('\0', " ")
                .trim()
                .to_owned()
        })
        .unwrap_or_default();
    Some(Proc {
        pid,
        ppid,
        state,
        name,
        cmdline,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_this_process_with_its_parent() {
        let me = super::read(std::process::id()).expect("own /proc entry");
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        assert!(me.state != 'Z');
        assert!(super::list().iter().any(|p| p.pid == me.pid));
    }
}
