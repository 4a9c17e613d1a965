"""npm data packages: ``npm pack`` (the ordinary client) or a local tarball, then read a JSON member."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from knowledge_base.connectors import Fetched, SyncError

PACK_TIMEOUT_S = 300


def fetch_package(package: str, version: str | None, file: Path | None, workdir: Path) -> Fetched:
    """The package tarball: ``file`` as given (offline), else ``npm pack package[@version]``."""
    if file is not None:
        if not file.is_file():
            raise SyncError(f"no such tarball: {file}")
        manifest = read_member(file, "package/package.json")
        found = str(manifest.get("version", "unknown"))
        if manifest.get("name") not in (None, package):
            raise SyncError(f"{file} holds {manifest.get('name')}, not {package}")
        if version is not None and version != found:
            raise SyncError(f"{file} holds {package}@{found}, not the version {version} asked for")
        return Fetched(file, package, found, f"file {file}")
    npm = shutil.which("npm")
    if npm is None:
        raise SyncError("npm is not installed; download the tarball elsewhere and pass --file")
    spec = f"{package}@{version}" if version else package
    try:
        done = subprocess.run(
            [npm, "pack", spec, "--json", "--pack-destination", str(workdir)],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=PACK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SyncError(f"npm pack {spec} timed out after {PACK_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        raise SyncError(f"npm pack {spec} failed: {done.stderr.strip()[-500:]}")
    try:
        info = json.loads(done.stdout)[0]
        tarball = workdir / info["filename"]
        return Fetched(tarball, package, str(info["version"]), f"npm registry ({info.get('integrity', '')})")
    except (ValueError, LookupError, TypeError) as exc:
        raise SyncError(f"npm pack {spec}: unexpected output {done.stdout[:200]!r}") from exc


def read_member(tarball: Path, member: str) -> Any:
    """The parsed JSON of one file of an npm tarball (``package/…``)."""
    try:
        with tarfile.open(tarball, "r:*") as archive:
            handle = archive.extractfile(member)
            if handle is None:
                raise SyncError(f"{tarball}: {member} is not a file")
            with handle:
                return json.loads(handle.read().decode("utf-8"))
    except KeyError as exc:
        raise SyncError(f"{tarball}: no {member} in the package") from exc
    except (tarfile.TarError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise SyncError(f"{tarball}: cannot read {member}: {exc}") from exc
