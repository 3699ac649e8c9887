"""Debian packages as a text source: download once into a cache, then read files out of them.

:func:`fetch_deb` downloads a package with ``apt-get download`` into the cache (no
installation, no root needed) and reuses the cached file on later runs.
:func:`read_deb` opens a ``.deb`` with the standard library alone (a ``.deb`` is an ``ar``
archive holding ``control.tar.*`` and ``data.tar.*``) and yields the files whose paths a
filter accepts, without extracting anything to disk. :func:`deb_info` gives the package's
name, version and the licence lines of its ``copyright`` file, for the data card.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from gmsa_rag.errors import GMSAError

# reserved for evaluating this project: never a training source, in any language
RESERVED_PACKAGES = ("debian-handbook", "debian-reference")

_AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60
_INDEX = "index.json"
# one file inside a package bigger than this is skipped (no documentation page is this big)
MAX_MEMBER_BYTES = 32 << 20


class DebError(GMSAError):
    """A package cannot be downloaded or read (missing tools, unknown name, broken file)."""


@dataclass(frozen=True)
class DebInfo:
    """What the data card says about a package: name, version, file and licences."""

    package: str
    version: str
    filename: str
    licenses: tuple[str, ...]
    copyright_path: str


def check_not_reserved(package: str) -> None:
    """Raise DebError for the packages kept for evaluation (``debian-handbook``, ``debian-reference-*``)."""
    if any(package == r or package.startswith(r + "-") for r in RESERVED_PACKAGES):
        raise DebError(f"{package!r} is reserved for evaluating gmsa_rag and is never used for training")


# ------------------------------------------------------------------ download (cached)


def _read_index(debs: Path) -> dict[str, str]:
    try:
        data = json.loads((debs / _INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}


def _write_index(debs: Path, index: dict[str, str]) -> None:
    tmp = debs / (_INDEX + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(index.items())), indent=1) + "\n", encoding="utf-8")
    tmp.replace(debs / _INDEX)


def fetch_deb(package: str, cache_dir: Path, refresh: bool = False) -> Path:
    """The cached ``.deb`` of ``package``, downloaded with ``apt-get download`` if not cached yet.

    The cache remembers which file belongs to which package (``index.json``), so a re-run
    reads the same bytes without the network; ``refresh=True`` downloads the current
    version again. A download goes to a temporary folder first, so an interrupted one
    leaves nothing half-written in the cache.

    Raises:
        DebError: the package is reserved, apt-get is missing, or the download failed.
    """
    check_not_reserved(package)
    debs = Path(cache_dir) / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    index = _read_index(debs)
    cached = index.get(package)
    if cached and not refresh and (debs / cached).is_file():
        return debs / cached
    if shutil.which("apt-get") is None:
        raise DebError(
            f"cannot download {package!r}: apt-get not found (the Debian sources need a Debian or "
            "Ubuntu machine with package lists; or put the .deb into the cache by hand)"
        )
    tmp = debs / f".download-{package}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        done = subprocess.run(
            ["apt-get", "download", "-q", package], cwd=tmp, capture_output=True, text=True, timeout=900
        )
        files = sorted(tmp.glob("*.deb"))
        if done.returncode != 0 or len(files) != 1:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise DebError(f"apt-get download {package} failed: {detail[-1] if detail else done.returncode}")
        target = debs / files[0].name
        files[0].replace(target)
    except subprocess.TimeoutExpired as exc:
        raise DebError(f"apt-get download {package} timed out") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if cached and cached != target.name:
        (debs / cached).unlink(missing_ok=True)
    index[package] = target.name
    _write_index(debs, index)
    return target


# ------------------------------------------------------------------ reading a .deb


def _ar_members(f: BinaryIO, path: Path) -> Iterator[tuple[str, int, int]]:
    """(name, offset, size) of each member of an ``ar`` archive."""
    if f.read(len(_AR_MAGIC)) != _AR_MAGIC:
        raise DebError(f"{path} is not a Debian package (no ar header)")
    offset = len(_AR_MAGIC)
    while True:
        f.seek(offset)
        header = f.read(_AR_HEADER)
        if not header:
            return
        if len(header) < _AR_HEADER or header[58:60] != b"`\n":
            raise DebError(f"{path} is truncated or corrupted (bad ar member header)")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise DebError(f"{path} is corrupted (bad ar member size)") from None
        yield name, offset + _AR_HEADER, size
        offset += _AR_HEADER + size + (size % 2)


def _open_tar(f: BinaryIO, name: str, path: Path) -> tarfile.TarFile:
    """A streaming reader of the ``control.tar.*`` / ``data.tar.*`` member ``name``."""
    kind = name.rsplit(".", 1)[-1] if name.count(".") > 1 else ""
    if kind == "zst":
        try:
            import zstandard
        except ImportError as exc:
            raise DebError(f"{path} is zstd-compressed; install zstandard to read it") from exc
        stream: BinaryIO = zstandard.ZstdDecompressor().stream_reader(f)
        return tarfile.open(fileobj=stream, mode="r|")
    modes = {"": "r|", "gz": "r|gz", "xz": "r|xz", "bz2": "r|bz2"}
    if kind not in modes:
        raise DebError(f"{path}: unsupported member {name!r}")
    return tarfile.open(fileobj=f, mode=modes[kind])


class _Slice(io.RawIOBase):
    """A read-only window ``[start, start+size)`` of an open file (one ar member)."""

    def __init__(self, f: BinaryIO, start: int, size: int):
        self._f, self._pos, self._end = f, start, start + size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self._end - self._pos)
        if n <= 0:
            return 0
        self._f.seek(self._pos)
        data = self._f.read(n)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _tar_of(f: BinaryIO, path: Path, prefix: str) -> tarfile.TarFile:
    for name, start, size in _ar_members(f, path):
        if name.startswith(prefix):
            return _open_tar(io.BufferedReader(_Slice(f, start, size), 1 << 20), name, path)
    raise DebError(f"{path} has no {prefix}* member")


def read_deb(path: Path, want: Callable[[str], bool]) -> Iterator[tuple[str, bytes]]:
    """(path, content) of each regular file in the package's data whose path ``want`` accepts.

    Paths are relative, without the leading ``./`` (``usr/share/doc/...``), in archive
    order. Files over :data:`MAX_MEMBER_BYTES` are skipped. Nothing is written to disk.

    Raises:
        DebError: the file is not a readable Debian package.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f, _tar_of(f, path, "data.tar") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if member.isfile() and member.size <= MAX_MEMBER_BYTES and want(name):
                    handle = tar.extractfile(member)
                    if handle is not None:
                        yield name, handle.read()
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise DebError(f"cannot read {path}: {exc}") from exc


def _control_fields(path: Path) -> dict[str, str]:
    with open(path, "rb") as f, _tar_of(f, path, "control.tar") as tar:
        for member in tar:
            if member.name.removeprefix("./") == "control":
                handle = tar.extractfile(member)
                text = handle.read().decode("utf-8", "replace") if handle else ""
                return dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", text, flags=re.M))
    raise DebError(f"{path} has no control file")


def _licenses(copyright_text: str) -> tuple[str, ...]:
    """The distinct ``License:`` names of a (DEP-5) copyright file, in order of appearance."""
    seen: dict[str, None] = {}
    for name in re.findall(r"^License:[ \t]*(\S.*)$", copyright_text, flags=re.M):
        seen.setdefault(name.strip(), None)
    return tuple(seen)


def deb_info(path: Path) -> DebInfo:
    """Name, version and licences of a cached package (from its control and copyright files)."""
    path = Path(path)
    try:
        fields = _control_fields(path)
        package = fields.get("Package", path.name.split("_", 1)[0])
        copyright_path = f"usr/share/doc/{package}/copyright"
        texts = [data for _, data in read_deb(path, lambda name: name == copyright_path)]
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise DebError(f"cannot read {path}: {exc}") from exc
    licenses = _licenses(texts[0].decode("utf-8", "replace")) if texts else ()
    return DebInfo(
        package=package, version=fields.get("Version", ""), filename=path.name,
        licenses=licenses or ("see the package's copyright file",), copyright_path=copyright_path,
    )
