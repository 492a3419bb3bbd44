#!/usr/bin/env python3
"""Stages, for the builder base of Dockerfile.lambda (scripts/lambda-image.sh), a CARGO_HOME that
holds exactly the crates.io packages Cargo.lock names: each package's .crate file and its entry in
the sparse index cache. Cargo then builds offline (CARGO_NET_OFFLINE) with --locked, as it would
with the network. Whatever Cargo.lock says is taken: a dependency added tomorrow is staged without
a change here.

The .crate files come from the host's CARGO_HOME when it has them, else from crates.io (what
`cargo fetch --locked` would download: the packages of other platforms, which a host build never
fetches), kept in DOWNLOADS; each is checked against Cargo.lock's checksum. The index entries come
from the host's CARGO_HOME (any cargo command that resolved this Cargo.lock there wrote them).
Every staged file and directory gets one fixed mtime, so the same Cargo.lock stages the same bytes
and the builder's layer, and the dependency layer built on it, stay cached.

Usage: stage_crates.py CARGO_LOCK HOST_CARGO_HOME DOWNLOADS OUT_CARGO_HOME"""

import hashlib
import os
import shutil
import sys
import tomllib
import urllib.request
from pathlib import Path

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
DOWNLOAD = "https://static.crates.io/crates/{name}/{name}-{version}.crate"
FIXED_MTIME = 1_000_000_000  # 2001-09-09: any constant will do


def index_path(name):
    """The sparse index's layout: 1/a, 2/ab, 3/a/abc, ab/cd/abcd..."""
    name = name.lower()
    if len(name) <= 2:
        return f"{len(name)}/{name}"
    if len(name) == 3:
        return f"3/{name[0]}/{name}"
    return f"{name[:2]}/{name[2:4]}/{name}"


def place(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    os.utime(dst, (FIXED_MTIME, FIXED_MTIME))


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(package, downloads):
    """The .crate from crates.io into DOWNLOADS, checked against Cargo.lock's checksum."""
    path = downloads / f"{package['name']}-{package['version']}.crate"
    if path.is_file() and sha256(path) == package.get("checksum"):
        return path
    downloads.mkdir(parents=True, exist_ok=True)
    url = DOWNLOAD.format(**package)
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != package.get("checksum"):
        sys.exit(f"stage_crates: {url} does not match Cargo.lock's checksum")
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.rename(path)
    return path


def main():
    lock, host, downloads, out = (Path(a) for a in sys.argv[1:5])
    packages = tomllib.loads(lock.read_text()).get("package", [])
    others = sorted({p["source"] for p in packages if p.get("source") and p["source"] != CRATES_IO})
    if others:
        sys.exit(f"stage_crates: sources other than crates.io are not staged: {others}")
    registries = sorted((host / "registry" / "index").glob("index.crates.io-*"))
    if not registries:
        sys.exit(f"stage_crates: no crates.io index under {host}/registry/index (run cargo fetch --locked)")
    # The directory's hash suffix depends on cargo's version; take the one holding config.json.
    reg = next((r for r in registries if (r / "config.json").is_file()), registries[-1]).name
    if out.exists():
        shutil.rmtree(out)
    place(host / "registry" / "index" / reg / "config.json", out / "registry" / "index" / reg / "config.json")
    missing, size, fetched, names = [], 0, 0, set()
    for p in packages:
        if p.get("source") != CRATES_IO:
            continue
        crate = host / "registry" / "cache" / reg / f"{p['name']}-{p['version']}.crate"
        if not (crate.is_file() and sha256(crate) == p.get("checksum")):
            crate = fetch(p, downloads)
            fetched += 1
        place(crate, out / "registry" / "cache" / reg / crate.name)
        size += crate.stat().st_size
        names.add(p["name"])
    for name in sorted(names):
        entry = host / "registry" / "index" / reg / ".cache" / index_path(name)
        if entry.is_file():
            place(entry, out / "registry" / "index" / reg / ".cache" / index_path(name))
        else:
            missing.append(name)
    if missing:
        sys.exit(f"stage_crates: no index entry in {host} for {len(missing)} package(s) of Cargo.lock "
                 f"(run cargo fetch --locked): {', '.join(missing[:10])}")
    for root, dirs, _ in os.walk(out, topdown=False):
        for d in dirs:
            os.utime(Path(root) / d, (FIXED_MTIME, FIXED_MTIME))
    os.utime(out, (FIXED_MTIME, FIXED_MTIME))
    count = sum(1 for p in packages if p.get("source") == CRATES_IO)
    print(f"stage_crates: {count} packages, {size // 1048576} MB of .crate files "
          f"({fetched} not in the host's cache), index {reg}")


if __name__ == "__main__":
    main()
