#!/usr/bin/env python3
"""Looks into a running sandbox (the process tree under ROOT_PID) from the host, for
scripts/lambda-image.sh:

  sandbox.py procs ROOT_PID           the processes under ROOT_PID, one JSON object per line
  sandbox.py tmp ROOT_PID             every path in the sandbox's /tmp with its type, sorted
  sandbox.py watch ROOT_PID OUT       samples every 50 ms until SIGTERM, then writes to OUT the
                                      peak of the summed PSS of the tree (shared pages counted
                                      once), the peak RSS sum, and the peak /tmp usage
"""

import json
import os
import signal
import sys
import time


def children_map():
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        name = stat[stat.find("(") + 1:stat.rfind(")")]
        kids.setdefault(int(rest[1]), []).append((int(entry), name, rest[0]))
    return kids


def tree(root):
    """[(pid, name, state)] of every descendant of root (root itself excluded)."""
    kids, out, todo = children_map(), [], [root]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


def rollup(pid, field):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tmp_root(root):
    """The sandbox's /tmp, seen through the deepest process (the sandbox's own mounts)."""
    procs = tree(root)
    pid = procs[-1][0] if procs else root
    return f"/proc/{pid}/root/tmp"


def main():
    command, root = sys.argv[1], int(sys.argv[2])
    if command == "procs":
        for pid, name, state in tree(root):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                cmdline = ""
            print(json.dumps({"pid": pid, "name": name, "state": state, "cmdline": cmdline[:200]}))
    elif command == "tmp":
        base = tmp_root(root)
        if not os.path.isdir(base):
            sys.exit(f"sandbox.py: cannot see the sandbox's /tmp at {base}")
        print("d .")
        for dirpath, dirnames, filenames in os.walk(base):
            for name in sorted(dirnames + filenames):
                path = os.path.join(dirpath, name)
                kind = "d" if os.path.isdir(path) else "f"
                print(f"{kind} {os.path.relpath(path, base)}")
    elif command == "watch":
        out = sys.argv[3]
        peak = {"pss_bytes": 0, "rss_bytes": 0, "tmp_bytes": 0, "processes": 0, "samples": 0}
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        while not stop:
            procs = tree(root)
            pids = [p[0] for p in procs] + [root]
            peak["pss_bytes"] = max(peak["pss_bytes"], sum(rollup(p, "Pss") for p in pids))
            peak["rss_bytes"] = max(peak["rss_bytes"], sum(rollup(p, "Rss") for p in pids))
            peak["processes"] = max(peak["processes"], len(pids))
            try:
                st = os.statvfs(tmp_root(root))
                peak["tmp_bytes"] = max(peak["tmp_bytes"], (st.f_blocks - st.f_bfree) * st.f_frsize)
            except OSError:
                pass
            peak["samples"] += 1
            time.sleep(0.05)
        with open(out, "w") as f:
            json.dump(peak, f)
    else:
        sys.exit(f"sandbox.py: unknown command {command}")


if __name__ == "__main__":
    main()
