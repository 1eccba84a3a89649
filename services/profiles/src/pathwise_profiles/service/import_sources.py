"""Where a OneRoster file set comes from: an uploaded zip or an operator's server folder.

Both are checked before a job starts: a zip member or a folder path that points outside its
root is refused (we never extract, but a name such as ``../users.csv`` is a sign of a hostile or
broken archive), and so is a file set without a readable manifest.
"""

import io
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from pathwise_profiles.domain.oneroster_csv import Manifest, ManifestError, parse_manifest

__all__ = ["FileSet", "FolderFileSet", "ZipFileSet", "folder_under", "open_file_set"]

MAX_UNCOMPRESSED = 2 * 1024**3  # a zip that inflates beyond this is refused (zip bombs)


class FileSet(Protocol):
    def exists(self, name: str) -> bool: ...

    def lines(self, name: str) -> AbstractContextManager[io.TextIOBase]: ...


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return not path.is_absolute() and ".." not in path.parts and ":" not in name


@dataclass
class ZipFileSet:
    path: Path
    prefix: str = ""

    def __post_init__(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise ManifestError("The upload is not a readable zip file.") from exc
        bad = [i.filename for i in infos if not _safe_member(i.filename)]
        if bad:
            raise ManifestError(
                f"The zip holds member names outside the archive: {', '.join(bad[:5])}."
            )
        if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
            raise ManifestError("The zip inflates to more than 2 GiB.")
        names = {i.filename for i in infos}
        manifests = sorted(n for n in names if PurePosixPath(n).name == "manifest.csv")
        if not manifests:
            raise ManifestError("The zip has no manifest.csv (OneRoster 1.2 CSV needs one).")
        # Exports often wrap the files in one folder: read them next to the manifest.
        self.prefix = manifests[0][: -len("manifest.csv")]
        self._names = names

    def exists(self, name: str) -> bool:
        return f"{self.prefix}{name}" in self._names

    @contextmanager
    def lines(self, name: str) -> Iterator[io.TextIOBase]:
        with zipfile.ZipFile(self.path) as archive, archive.open(f"{self.prefix}{name}") as raw:
            yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


@dataclass
class FolderFileSet:
    root: Path

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()

    @contextmanager
    def lines(self, name: str) -> Iterator[io.TextIOBase]:
        with (self.root / name).open(encoding="utf-8-sig", newline="") as handle:
            yield handle


def folder_under(import_root: str | None, relative: str) -> Path:
    """The operator's folder, which must resolve (symlinks too) inside ``import_root``."""
    if not import_root:
        raise ManifestError("Folder imports are disabled: PROFILES_IMPORT_ROOT is not set.")
    root = Path(import_root).resolve()
    candidate = (root / relative).resolve()
    if PurePosixPath(relative).is_absolute() or not candidate.is_relative_to(root):
        raise ManifestError("The folder must be a relative path inside the import root.")
    if not candidate.is_dir():
        raise ManifestError(f"No folder {relative!r} in the import root.")
    return candidate


def open_file_set(files: FileSet) -> Manifest:
    """Read the manifest and check that every file it lists is there."""
    if not files.exists("manifest.csv"):
        raise ManifestError("No manifest.csv (OneRoster 1.2 CSV needs one).")
    with files.lines("manifest.csv") as handle:
        manifest = parse_manifest(handle)
    missing = [f"{n}.csv" for n in manifest.present() if not files.exists(f"{n}.csv")]
    if missing:
        raise ManifestError(
            f"manifest.csv lists {', '.join(missing)} but the file set does not contain it."
        )
    return manifest
