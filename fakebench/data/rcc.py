"""Members of a Qt resource bundle (`.rcc`, format versions 1 to 3): GCompris ships its photographs
inside such bundles, so the packaged-photos source (`fakebench.data.photos`) reads them from here
without Qt.

Layout (Qt's `rcc` writer): a 20-byte header `qres`, version, then the offsets of the tree, the data and
the names. A tree node is 14 bytes (version 1) or 22 (version 2+, a modification time added): name
offset, flags, then a directory's child count and first child, or a file's locale and data offset. A
file's data is a 4-byte length and the bytes, zlib-compressed behind a 4-byte size when flag 1 is set.
"""
from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from pathlib import Path

from fakebench.core.errors import FakebenchError

MAGIC = b"qres"
COMPRESSED, DIRECTORY, COMPRESSED_ZSTD = 1, 2, 4


def _bad(path: Path, why: str) -> FakebenchError:
    return FakebenchError(f"{path} is not a readable Qt resource bundle: {why}",
                          fix="reinstall the package that ships it")


def members(path: Path) -> dict[str, tuple[int, int]]:
    """Every file in the bundle: its resource path (`/gcompris/src/activities/erase/resource/bee.webp`)
    -> (data offset, flags); read once per version of the file (size and mtime)."""
    st = path.stat()
    return _members(path, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _members(path: Path, size: int, mtime_ns: int) -> dict[str, tuple[int, int]]:
    data = path.read_bytes()
    if data[:4] != MAGIC or len(data) < 20:
        raise _bad(path, "no 'qres' header")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    node_size = 14 if version < 2 else 22

    def name(offset: int) -> str:
        (length,) = struct.unpack(">H", data[names + offset:names + offset + 2])
        return data[names + offset + 6:names + offset + 6 + 2 * length].decode("utf-16-be")

    found: dict[str, tuple[int, int]] = {}
    stack = [(0, "")]
    while stack:
        index, prefix = stack.pop()
        at = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", data[at:at + 6])
        here = f"{prefix}/{name(name_offset)}" if index else ""
        if flags & DIRECTORY:
            count, first = struct.unpack(">II", data[at + 6:at + 14])
            stack += [(child, here) for child in range(first, first + count)]
        else:
            (offset,) = struct.unpack(">I", data[at + 10:at + 14])
            found[here] = (payload + offset, flags)
    return found


def read_member(path: Path, member: str) -> bytes:
    """The bytes of one file in the bundle, decompressed; `member` as `members` names it."""
    where = members(path).get(member)
    if where is None:
        raise FakebenchError(f"{path} holds no {member}", fix="reinstall the package that ships it")
    offset, flags = where
    with open(path, "rb") as fh:
        fh.seek(offset)
        (length,) = struct.unpack(">I", fh.read(4))
        blob = fh.read(length)
    if flags & COMPRESSED_ZSTD:
        raise _bad(path, f"{member} is zstd-compressed, which this reader does not decode")
    return zlib.decompress(blob[4:]) if flags & COMPRESSED else blob
