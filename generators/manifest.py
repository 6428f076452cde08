"""sha256 manifests of committed weights (`SHA256SUMS`, the format `sha256sum` writes and checks).

The mini world and TAEF2 both commit their weights beside such a manifest and check every file
before use, so a missing or altered file stops a run with one line naming it and the way back."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from fakebench.core.cache import bytes_sha256, file_sha256
from fakebench.core.errors import FakebenchError, IntegrityError

MANIFEST = "SHA256SUMS"


def read_manifest(folder: Path, what: str, fix: str) -> dict[str, str]:
    """relative path -> sha256, from `folder/SHA256SUMS`; `what` names the weights in errors."""
    path = folder / MANIFEST
    if not path.is_file():
        raise FakebenchError(f"{what} weight manifest {str(path)!r} is missing", fix=fix)
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            entries[name.strip().lstrip("*")] = digest
    return entries


def write_manifest(folder: Path) -> None:
    """Hash every file below `folder` (the manifest itself aside) into `folder/SHA256SUMS`."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{file_sha256(p)}  {p.relative_to(folder).as_posix()}" for p in files]
    (folder / MANIFEST).write_text("\n".join(lines) + "\n")


def digest_of_digests(digests: list[str]) -> str:
    return bytes_sha256("".join(digests).encode())


def verify_files(folder: Path, prefix: str, what: str, fix: str) -> str:
    """Check every manifest entry whose path starts with `prefix` (once per process, folder and
    prefix); return one digest of them all. Raises IntegrityError naming the first bad file."""
    return _verify_files(folder.resolve(), prefix, what, fix)


@cache
def _verify_files(folder: Path, prefix: str, what: str, fix: str) -> str:
    manifest = read_manifest(folder, what, fix)
    names = sorted(n for n in manifest if n.startswith(prefix))
    if not names:
        raise FakebenchError(f"{what} component {prefix.rstrip('/')!r} is not in {folder / MANIFEST}", fix=fix)
    for name in names:
        path = folder / name
        if not path.is_file():
            raise IntegrityError(f"{what} weight file {str(path)!r} is missing", fix=fix)
        digest = file_sha256(path)
        if digest != manifest[name]:
            raise IntegrityError(
                f"{what} weight file {str(path)!r} is corrupted (sha256 {digest[:12]}..., "
                f"manifest says {manifest[name][:12]}...)",
                fix=fix,
            )
    return digest_of_digests([manifest[n] for n in names])
