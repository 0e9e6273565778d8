"""A Compound File (MS-CFB, version 3: 512-byte sectors) holding storages and streams, written in one go.

Streams under 4096 bytes live in the mini stream (64-byte sectors), as readers expect. The layout
is a pure function of the entries: no clock, no random bytes, so the same entries give the same file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_HEADER_DIFAT = 109
_ENTRY = 128
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1


@dataclass
class _Node:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Node] = field(default_factory=list)
    id: int = 0
    left: int = NO_STREAM
    right: int = NO_STREAM
    child: int = NO_STREAM
    start: int = END_OF_CHAIN
    size: int = 0


def _order(name: str) -> tuple[int, str]:
    """MS-CFB 2.6.4: shorter names first, then by upper-case code units."""
    return len(name.encode("utf-16-le")), name.upper()


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError(f"{name!r} cannot name an entry of a compound file")


def _tree(nodes: list[_Node]) -> int:
    """Link siblings as a balanced binary search tree (every node black); the root's id."""
    if not nodes:
        return NO_STREAM
    middle = len(nodes) // 2
    root = nodes[middle]
    root.left, root.right = _tree(nodes[:middle]), _tree(nodes[middle + 1 :])
    return root.id


def _chain(fat: list[int], first: int, count: int) -> None:
    for n in range(count):
        fat[first + n] = first + n + 1 if n + 1 < count else END_OF_CHAIN


def _sectors(data: bytes, size: int) -> int:
    return (len(data) + size - 1) // size


def compound_file(streams: dict[str, bytes]) -> bytes:
    """The compound file holding `streams`, by path ("VBA/dir"); storages are made from the paths."""
    root = _Node("Root Entry", _ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        parent = root
        for part in parts[:-1]:
            _check_name(part)
            found = next((n for n in parent.children if n.name == part and n.kind == _STORAGE), None)
            if found is None:
                found = _Node(part, _STORAGE)
                parent.children.append(found)
            parent = found
        _check_name(parts[-1])
        if any(n.name.upper() == parts[-1].upper() for n in parent.children):
            raise ValueError(f"{path}: two entries of one storage with the same name")
        parent.children.append(_Node(parts[-1], _STREAM, data))

    entries: list[_Node] = []

    def number(node: _Node) -> None:
        node.id = len(entries)
        entries.append(node)
        node.children.sort(key=lambda n: _order(n.name))
        for child in node.children:
            number(child)

    number(root)
    for node in entries:
        node.child = _tree(node.children)

    mini = bytearray()
    mini_fat: list[int] = []
    large = [n for n in entries if n.kind == _STREAM and len(n.data) >= MINI_CUTOFF]
    for node in entries:
        if node.kind == _STREAM:
            node.size = len(node.data)
            if node.size == 0:
                node.start = END_OF_CHAIN
            elif node.size < MINI_CUTOFF:
                count = _sectors(node.data, MINI_SECTOR)
                node.start = len(mini_fat)
                mini_fat += [0] * count
                _chain(mini_fat, node.start, count)
                mini += node.data.ljust(count * MINI_SECTOR, b"\x00")
        elif node.kind == _STORAGE:
            node.start, node.size = 0, 0

    # Sectors in file order: directory, mini FAT, mini stream, large streams, then the FAT itself.
    directory_count = _sectors(bytes(len(entries) * _ENTRY), SECTOR)
    mini_fat_bytes = b"".join(struct.pack("<I", v) for v in mini_fat)
    mini_fat_count = _sectors(mini_fat_bytes, SECTOR)
    mini_count = _sectors(bytes(mini), SECTOR)
    data_count = directory_count + mini_fat_count + mini_count + sum(_sectors(n.data, SECTOR) for n in large)
    fat_count = 1
    while fat_count * (SECTOR // 4) < data_count + fat_count:
        fat_count += 1
    if fat_count > _HEADER_DIFAT:
        raise ValueError("the compound file would be too large for this writer")
    fat = [FREE] * (fat_count * (SECTOR // 4))
    sector = 0
    directory_start = sector
    _chain(fat, sector, directory_count)
    sector += directory_count
    mini_fat_start = sector if mini_fat_count else END_OF_CHAIN
    _chain(fat, sector, mini_fat_count)
    sector += mini_fat_count
    root.start = sector if mini_count else END_OF_CHAIN
    root.size = len(mini)
    _chain(fat, sector, mini_count)
    sector += mini_count
    for node in large:
        count = _sectors(node.data, SECTOR)
        node.start = sector
        _chain(fat, sector, count)
        sector += count
    fat_start = sector
    for n in range(fat_count):
        fat[fat_start + n] = FAT_SECTOR

    header = bytearray()
    header += _SIGNATURE + bytes(16)
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack(
        "<IIIIIIIII", 0, fat_count, directory_start, 0, MINI_CUTOFF, mini_fat_start, mini_fat_count, END_OF_CHAIN, 0
    )
    difat = [fat_start + n for n in range(fat_count)] + [FREE] * (_HEADER_DIFAT - fat_count)
    header += b"".join(struct.pack("<I", v) for v in difat)

    directory = bytearray()
    for node in entries:
        name = node.name.encode("utf-16-le") + b"\x00\x00"
        directory += name.ljust(64, b"\x00") + struct.pack("<HBB", len(name), node.kind, _BLACK)
        directory += struct.pack("<III", node.left, node.right, node.child) + bytes(16) + bytes(4) + bytes(16)
        directory += struct.pack("<IQ", node.start, node.size)
    unused = b"\x00" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NO_STREAM, NO_STREAM, NO_STREAM)
    unused += bytes(16 + 4 + 16) + struct.pack("<IQ", 0, 0)
    while len(directory) % SECTOR:
        directory += unused

    body = bytearray(directory)
    body += mini_fat_bytes.ljust(mini_fat_count * SECTOR, b"\xff")
    body += bytes(mini).ljust(mini_count * SECTOR, b"\x00")
    for node in large:
        body += node.data.ljust(_sectors(node.data, SECTOR) * SECTOR, b"\x00")
    body += b"".join(struct.pack("<I", v) for v in fat)
    return bytes(header) + bytes(body)
