"""The local benchmark mirror (standard suite): every file is checked against the mirror's
MANIFEST.sha256 before it is read."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import EmbedlabError
from ..paths import relative_to_root
from ..provenance import sha256_file


class MirrorLacks(Exception):
    """The mirror is not configured, absent, or does not hold a file: try the hub."""


class Mirror:
    """The benchmark mirror at ``root`` (None = not configured)."""

    def __init__(self, root: str | os.PathLike | None):
        self.root = Path(root) if root is not None else None
        self.manifest: dict[str, str] | None = None
        if self.root is not None and (self.root / "MANIFEST.sha256").is_file():
            self.manifest = {}
            for line in (self.root / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines():
                if line.strip():
                    digest, rel = line.split(maxsplit=1)
                    self.manifest[rel.strip().lstrip("*")] = digest.lower()

    def why_not(self) -> str | None:
        """Why the mirror cannot be read (paths relative to the repository root), or None."""
        if self.root is None:
            return "no mirror configured"
        # These reasons end up in data/tasks/index.json: no path that depends on the clone's location.
        if not self.root.is_dir():
            return f"mirror folder {relative_to_root(self.root)} is missing"
        if self.manifest is None:
            return f"mirror folder {relative_to_root(self.root)} has no MANIFEST.sha256"
        return None

    def file(self, rel: str) -> Path:
        """Path of ``rel`` inside the mirror after checking its sha256 (mismatch -> EmbedlabError;
        not configured, not listed or missing -> MirrorLacks)."""
        why = self.why_not()
        if why:
            raise MirrorLacks(why)
        path = self.root / rel
        if rel not in self.manifest:
            raise MirrorLacks(f"{rel} is not listed in {relative_to_root(self.root)}/MANIFEST.sha256")
        if not path.is_file():
            raise MirrorLacks(f"mirror file {relative_to_root(path)} is missing")
        got = sha256_file(path)
        if got != self.manifest[rel]:
            raise EmbedlabError(
                f"checksum mismatch for mirror file {path}: sha256 {got[:12]}..., MANIFEST.sha256 says "
                f"{self.manifest[rel][:12]}...",
                "restore the file from the source named in its folder's SOURCE.md (never edit the mirror)")
        return path
