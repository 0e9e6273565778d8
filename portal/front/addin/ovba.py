"""A VBA project in the source-only form of MS-OVBA: compressed module text, no p-code, no cache.

The `_VBA_PROJECT` stream holds only its version (0xFFFF), which tells Office to compile the
modules from their source on opening. Every stream here is a pure function of the modules, so
the same sources give the same bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

CODE_PAGE = 1252
LCID = 0x0409
VBA_PROJECT_STREAM = bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x01, 0x00])
CHUNK = 4096
_ENCRYPTION_SEED = 0x5A  # any byte will do; a fixed one keeps builds identical

WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"


class ModuleKind(Enum):
    STANDARD = "standard"  # a .bas module
    DOCUMENT = "document"  # ThisWorkbook, Sheet1: code behind a workbook or a sheet


@dataclass(frozen=True)
class Module:
    name: str
    source: str  # the module's text, `Attribute` lines included; lines end in CRLF once stored
    kind: ModuleKind = ModuleKind.STANDARD

    def stored(self) -> bytes:
        text = self.source.replace("\r\n", "\n").replace("\n", "\r\n")
        if not text.endswith("\r\n"):
            text += "\r\n"
        return text.encode(f"cp{CODE_PAGE}")


def document_module(name: str, base: str) -> Module:
    """An empty document module, with the attributes Office gives one."""
    attributes = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, "\r\n".join(attributes) + "\r\n", ModuleKind.DOCUMENT)


# --------------------------------------------------------------------------------------------
# Compression (MS-OVBA 2.4.1)
# --------------------------------------------------------------------------------------------


def _copy_token_shape(position: int) -> tuple[int, int]:
    """(bit count of the offset, maximum length) for a copy token at `position` in its chunk."""
    bits = max((position - 1).bit_length(), 4)
    return bits, (0xFFFF >> bits) + 3


def _longest_match(chunk: bytes, position: int, seen: dict[bytes, list[int]]) -> tuple[int, int]:
    """(offset, length) of the longest earlier match for the bytes at `position` (the nearest of equals);
    length 0 when there is none of at least 3 bytes. `seen` lists where each 3 bytes occurred."""
    _, maximum = _copy_token_shape(position)
    limit = min(maximum, len(chunk) - position)
    best_length, best_offset = 0, 0
    for candidate in reversed(seen.get(chunk[position : position + 3], ())):
        length = 0
        while length < limit and chunk[candidate + length] == chunk[position + length]:
            length += 1
        if length > best_length:
            best_length, best_offset = length, position - candidate
    return (best_offset, best_length) if best_length >= 3 else (0, 0)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    seen: dict[bytes, list[int]] = {}
    position = 0

    def advance(count: int) -> None:
        nonlocal position
        for _ in range(count):
            seen.setdefault(chunk[position : position + 3], []).append(position)
            position += 1

    while position < len(chunk):
        flags, tokens = 0, bytearray()
        for bit in range(8):
            if position >= len(chunk):
                break
            offset, length = _longest_match(chunk, position, seen)
            if length:
                bits, _ = _copy_token_shape(position)
                tokens += struct.pack("<H", ((offset - 1) << (16 - bits)) | (length - 3))
                flags |= 1 << bit
                advance(length)
            else:
                tokens.append(chunk[position])
                advance(1)
        out.append(flags)
        out += tokens
    if len(out) > CHUNK:
        if len(chunk) < CHUNK:
            raise ValueError("a module's text does not compress: it cannot be stored in a VBA project")
        return struct.pack("<H", 0x3FFF) + chunk  # a raw chunk: header with the flag clear, then the bytes
    return struct.pack("<H", (len(out) + 2 - 3) | 0x3000 | 0x8000) + bytes(out)


def compress(data: bytes) -> bytes:
    """The MS-OVBA CompressedContainer of `data`."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _compress_chunk(data[start : start + CHUNK])
    return bytes(out)


# --------------------------------------------------------------------------------------------
# The PROJECT stream's protection fields (MS-OVBA 2.4.3): "not protected", "no password", "visible"
# --------------------------------------------------------------------------------------------


def encrypt(data: bytes, project_id: str, seed: int = _ENCRYPTION_SEED) -> str:
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted, encrypted1, encrypted2 = project_key, seed ^ project_key, seed ^ version
    ignored = (seed & 6) // 2
    for value in [0] * ignored + list(struct.pack("<I", len(data))) + list(data):
        byte = value ^ ((encrypted2 + unencrypted) & 0xFF)
        out.append(byte)
        encrypted2, encrypted1, unencrypted = encrypted1, byte, value
    return out.hex().upper()


# --------------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------------


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text(value: str) -> bytes:
    return value.encode(f"cp{CODE_PAGE}")


def _unicode(value: str) -> bytes:
    return value.encode("utf-16-le")


def dir_stream(project_name: str, modules: list[Module]) -> bytes:
    """The `VBA/dir` stream, uncompressed (MS-OVBA 2.3.4.2): project information, no references, modules."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # SYSKIND: 32-bit Windows; Office adapts it on opening
    out += _record(0x0002, struct.pack("<I", LCID))
    out += _record(0x0014, struct.pack("<I", LCID))
    out += _record(0x0003, struct.pack("<H", CODE_PAGE))
    out += _record(0x0004, _text(project_name))
    out += _record(0x0005, b"") + _record(0x0040, b"")  # doc string
    out += _record(0x0006, b"") + _record(0x003D, b"")  # help file
    out += _record(0x0007, struct.pack("<I", 0))  # help context
    out += _record(0x0008, struct.pack("<I", 0))  # lib flags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # version 1.0
    out += _record(0x000C, b"") + _record(0x003C, b"")  # constants
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))
    for module in modules:
        out += _record(0x0019, _text(module.name))
        out += _record(0x0047, _unicode(module.name))
        out += _record(0x001A, _text(module.name)) + _record(0x0032, _unicode(module.name))
        out += _record(0x001C, b"") + _record(0x0048, b"")
        out += _record(0x0031, struct.pack("<I", 0))  # no p-code: the source starts the stream
        out += _record(0x001E, struct.pack("<I", 0))
        out += _record(0x002C, struct.pack("<H", 0xFFFF))
        out += _record(0x0021 if module.kind is ModuleKind.STANDARD else 0x0022, b"")
        out += _record(0x002B, b"")
    out += _record(0x0010, b"")
    return bytes(out)


def project_stream(project_name: str, project_id: str, modules: list[Module]) -> bytes:
    """The `PROJECT` stream (MS-OVBA 2.3.1): the project's properties as text."""
    lines = [f'ID="{project_id}"']
    for module in modules:
        lines.append(
            f"Document={module.name}/&H00000000" if module.kind is ModuleKind.DOCUMENT else f"Module={module.name}"
        )
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(bytes(4), project_id)}"',
        f'DPB="{encrypt(bytes(1), project_id)}"',
        f'GC="{encrypt(bytes([0xFF]), project_id)}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
        "",
    ]
    return _text("\r\n".join(lines))


def project_wm_stream(modules: list[Module]) -> bytes:
    """The `PROJECTwm` stream: each module's name in the code page and in UTF-16."""
    out = bytearray()
    for module in modules:
        out += _text(module.name) + b"\x00" + _unicode(module.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def project_streams(project_name: str, project_id: str, modules: list[Module]) -> dict[str, bytes]:
    """Every stream of the project, by path in the container ("VBA/dir", "PROJECT", ...)."""
    streams = {
        "PROJECT": project_stream(project_name, project_id, modules),
        "PROJECTwm": project_wm_stream(modules),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(project_name, modules)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(module.stored())
    return streams
