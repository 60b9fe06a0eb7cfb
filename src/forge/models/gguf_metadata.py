"""A GGUF file's metadata values by key, read without parsing the rest of the file.

gguf's GGUFReader builds a numpy view of every field and tensor up front: for a real
vocabulary (Qwen2's 151,643 tokens and as many merges) that is 900,000 parts and 8-17 s, paid
each time a served or evaluated GGUF's chat template was looked up. The metadata is a list of
key-value pairs at the head of the file; this walks it with struct over a memory map, skipping
the arrays it is not asked for (about 0.1 s for that vocabulary), and stops at the last key
wanted. Format: github.com/ggml-org/ggml/blob/master/docs/gguf.md (versions 2 and 3).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

from forge.errors import InputError

_MAGIC = b"GGUF"
_STRING, _ARRAY = 8, 9
# value type -> struct format (little-endian) of the fixed-size scalars
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_SIZES = {t: struct.calcsize(f) for t, f in _SCALARS.items()}


class _Cursor:
    def __init__(self, buf: Any, path: Path):
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, fmt: str) -> Any:
        try:
            (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        except struct.error:
            raise InputError("GGUF file is cut off inside its metadata", path=str(self.path)) from None
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> bytes:
        n = self.take("<Q")
        if self.pos + n > len(self.buf):
            raise InputError("GGUF file is cut off inside its metadata", path=str(self.path))
        self.pos += n
        return bytes(self.buf[self.pos - n : self.pos])

    def skip_strings(self, count: int) -> None:
        buf, pos, unpack = self.buf, self.pos, struct.Struct("<Q").unpack_from
        try:
            for _ in range(count):
                pos += 8 + unpack(buf, pos)[0]
        except struct.error:
            raise InputError("GGUF file is cut off inside its metadata", path=str(self.path)) from None
        if pos > len(buf):
            raise InputError("GGUF file is cut off inside its metadata", path=str(self.path))
        self.pos = pos

    def value(self, kind: int, keep: bool) -> Any:
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            return self.string().decode("utf-8", errors="replace")
        if kind != _ARRAY:
            raise InputError(f"GGUF metadata has a value of unknown type {kind}", path=str(self.path))
        item, count = self.take("<I"), self.take("<Q")
        if keep:
            return [self.value(item, True) for _ in range(count)]
        if item in _SIZES:
            self.pos += _SIZES[item] * count
        elif item == _STRING:
            self.skip_strings(count)
        else:  # arrays of arrays: walked one by one
            for _ in range(count):
                self.value(item, False)
        return None


def gguf_metadata(path: Path | str, keys: set[str]) -> dict[str, Any]:
    """The values of `keys` that the GGUF file at `path` holds (strings as str, arrays as lists);
    a key it lacks is left out."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            raise InputError("not a GGUF file (it is empty)", path=str(path)) from None
    with buf:
        cursor = _Cursor(buf, path)
        if buf[:4] != _MAGIC:
            raise InputError("not a GGUF file (no GGUF magic at its start)", path=str(path))
        cursor.pos = 4
        version = cursor.take("<I")
        if struct.unpack("<I", struct.pack(">I", version))[0] in (2, 3):
            raise InputError("GGUF file is big-endian; only little-endian GGUF is read here", path=str(path))
        if version not in (2, 3):
            raise InputError(
                f"GGUF version {version} is not read here (versions 2 and 3 are)",
                path=str(path),
                hint="re-export the model with a current llama.cpp or Forge",
            )
        cursor.take("<Q")  # tensor count
        found: dict[str, Any] = {}
        for _ in range(cursor.take("<Q")):
            key = cursor.string().decode("utf-8", errors="replace")
            wanted = key in keys
            value = cursor.value(cursor.take("<I"), wanted)
            if wanted:
                found[key] = value
                if len(found) == len(keys):
                    break
        return found
