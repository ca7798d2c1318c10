#!/usr/bin/env python3
"""Why two wheels (or any zip files) that should be byte-identical are not.

Compares the archives member by member: the list and order of members, each
member's zip metadata (timestamp, permissions, compression) and contents. For a
member whose contents differ it shows a unified diff (text), the differing ELF
sections and build IDs (shared objects), or a hex dump around the first
differing byte (anything else). Standard library only, so tests can use it::

    python -m tools.reliability.wheel_diff A.whl B.whl      # exit status 1 if they differ
"""

from __future__ import annotations

import difflib
import hashlib
import struct
import sys
import zipfile
from pathlib import Path

#: Members whose contents differ are shown this far (lines of diff, bytes of hex).
MAX_DIFF_LINES = 60
HEX_CONTEXT = 48


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hexdump(data: bytes, start: int, length: int) -> list[str]:
    lines = []
    for offset in range(start - start % 16, min(len(data), start + length), 16):
        chunk = data[offset : offset + 16]
        text = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk)
        lines.append(f"    {offset:08x}  {chunk.hex(' '):<47}  {text}")
    return lines


def first_difference(a: bytes, b: bytes) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def elf_sections(data: bytes) -> dict[str, bytes]:
    """Section name -> contents of an ELF file (empty if it is not ELF)."""
    if data[:4] != b"\x7fELF":
        return {}
    is_64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is_64:
        (shoff,) = struct.unpack_from(endian + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 0x3A)
        layout = endian + "IIQQQQIIQQ"  # name, type, flags, addr, offset, size, ...
    else:
        (shoff,) = struct.unpack_from(endian + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 0x2E)
        layout = endian + "IIIIIIIIII"
    headers = [
        struct.unpack_from(layout, data, shoff + i * shentsize) for i in range(shnum)
    ]
    if not headers:
        return {}
    names_offset, names_size = headers[shstrndx][4], headers[shstrndx][5]
    names = data[names_offset : names_offset + names_size]
    sections = {}
    for header in headers:
        name_at, kind, offset, size = header[0], header[1], header[4], header[5]
        name = names[name_at : names.index(b"\0", name_at)].decode(errors="replace")
        no_bits = 8  # SHT_NOBITS (.bss): no contents in the file
        sections[name or "(null)"] = (
            b"" if kind == no_bits else data[offset : offset + size]
        )
    return sections


def build_id(sections: dict[str, bytes]) -> str:
    note = sections.get(".note.gnu.build-id", b"")
    return note[16:].hex() if len(note) > 16 else "(none)"


#: Sections of NUL-terminated strings: differences are shown as strings.
STRING_SECTIONS = {".comment", ".dynstr", ".debug_str", ".debug_line_str", ".strtab"}


def string_changes(a: bytes, b: bytes, limit: int = 8) -> list[str]:
    """The strings only in one of two string sections (paths, versions, ...)."""
    strings_a = {item.decode(errors="replace") for item in a.split(b"\0") if item}
    strings_b = {item.decode(errors="replace") for item in b.split(b"\0") if item}
    lines = [
        f"      only in the first:  {text!r}"
        for text in sorted(strings_a - strings_b)[:limit]
    ]
    lines += [
        f"      only in the second: {text!r}"
        for text in sorted(strings_b - strings_a)[:limit]
    ]
    return lines or ["      the same strings, in another order"]


def explain_elf(a: bytes, b: bytes) -> list[str]:
    sa, sb = elf_sections(a), elf_sections(b)
    lines = [f"    build-id {build_id(sa)} vs {build_id(sb)}"]
    for name in sorted(set(sa) | set(sb)):
        if sa.get(name) != sb.get(name):
            size_a = len(sa[name]) if name in sa else "absent"
            size_b = len(sb[name]) if name in sb else "absent"
            lines.append(f"    section {name}: differs ({size_a} vs {size_b} bytes)")
            if name in sa and name in sb and name in STRING_SECTIONS:
                lines += string_changes(sa[name], sb[name])
            elif name in sa and name in sb and name in {".rodata", ".data"}:
                at = first_difference(sa[name], sb[name])
                lines += ["     first difference in the section at offset " + hex(at)]
                lines += hexdump(sa[name], max(0, at - 16), HEX_CONTEXT)
                lines += ["     vs", *hexdump(sb[name], max(0, at - 16), HEX_CONTEXT)]
    lines.append(
        "    (build paths in .rodata or .debug_*: -ffile-prefix-map; different"
    )
    lines.append(
        "     compilers or flags: compare the .comment sections and the build logs)"
    )
    return lines


def explain_contents(name: str, a: bytes, b: bytes) -> list[str]:
    if a[:4] == b"\x7fELF" and b[:4] == b"\x7fELF":
        return explain_elf(a, b)
    try:
        text_a, text_b = a.decode(), b.decode()
    except UnicodeDecodeError:
        at = first_difference(a, b)
        lines = [
            f"    binary, {len(a)} vs {len(b)} bytes; first difference at offset {at:#x}:"
        ]
        return (
            lines
            + hexdump(a, max(0, at - 16), HEX_CONTEXT)
            + ["    vs"]
            + hexdump(b, max(0, at - 16), HEX_CONTEXT)
        )
    diff = list(
        difflib.unified_diff(
            text_a.splitlines(),
            text_b.splitlines(),
            f"a/{name}",
            f"b/{name}",
            lineterm="",
        )
    )
    shown = ["    " + line for line in diff[:MAX_DIFF_LINES]]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"    ... {len(diff) - MAX_DIFF_LINES} more lines")
    return shown


def compare_archives(first: Path, second: Path) -> list[str]:
    """Every difference between two zip archives, as report lines ([] when identical)."""
    if first.read_bytes() == second.read_bytes():
        return []
    report = [
        f"{first.name} ({sha256(first)[:16]}) and {second.name} ({sha256(second)[:16]}) differ:"
    ]
    with zipfile.ZipFile(first) as za, zipfile.ZipFile(second) as zb:
        infos_a = {info.filename: info for info in za.infolist()}
        infos_b = {info.filename: info for info in zb.infolist()}
        only_a = sorted(set(infos_a) - set(infos_b))
        only_b = sorted(set(infos_b) - set(infos_a))
        if only_a:
            report.append(f"  only in the first: {', '.join(only_a)}")
        if only_b:
            report.append(f"  only in the second: {', '.join(only_b)}")
        common_a = [name for name in infos_a if name in infos_b]
        common_b = [name for name in infos_b if name in infos_a]
        if common_a != common_b:
            report.append("  members are stored in a different order:")
            report += [
                f"    {x}  |  {y}"
                for x, y in zip(common_a, common_b, strict=False)
                if x != y
            ][:20]
        for name in common_a:
            ia, ib = infos_a[name], infos_b[name]
            meta = []
            for field in (
                "date_time",
                "external_attr",
                "compress_type",
                "create_system",
                "extra",
                "comment",
            ):
                va, vb = getattr(ia, field), getattr(ib, field)
                if va != vb:
                    meta.append(f"{field} {va!r} vs {vb!r}")
            if meta:
                report.append(f"  {name}: zip metadata differs: {'; '.join(meta)}")
                if "date_time" in " ".join(meta):
                    report.append(
                        "    (timestamps: is SOURCE_DATE_EPOCH set for both builds?)"
                    )
            a, b = za.read(name), zb.read(name)
            if a != b:
                report.append(f"  {name}: contents differ ({len(a)} vs {len(b)} bytes)")
                report += explain_contents(name, a, b)
    if len(report) == 1:
        report.append("  every member is identical: the zip container itself differs "
                      "(member headers, comment or compression level)")  # fmt: skip
    report.append(
        "  for a full recursive comparison: diffoscope " + f"{first} {second}"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__)
        return 2
    report = compare_archives(Path(args[0]), Path(args[1]))
    print("\n".join(report) if report else "identical")
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main())
