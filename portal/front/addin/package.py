"""The add-in file `DebtorPortal.xlam`: an Office Open XML package built from the text in `addin/`.

What Excel needs (see the README's add-in section): the workbook part with the add-in content
type, `xl/vbaProject.bin` linked from the workbook, and the ribbon `customUI/customUI.xml` linked
from the package root. Entries are stored (not deflated) with a fixed date, in name order, so the
file is byte-identical on every build, whatever zlib the machine has.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import cfb, ovba

PROJECT_NAME = "DebtorPortal"
FILE_NAME = "DebtorPortal.xlam"
RIBBON = "customUI.xml"
STANDARD_MODULES = ("Ribbon", "Dispatch")  # in this order in the project
DOCUMENT_MODULES = (("ThisWorkbook", ovba.WORKBOOK_BASE), ("Sheet1", ovba.WORKSHEET_BASE))
_PROJECT_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "debtor-portal:vba-project")).upper() + "}"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"
VBA_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
RIBBON_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class AddinSourceError(Exception):
    """The add-in's text sources are missing or unusable; the message says which and what to do."""


def source_dir() -> Path:
    """The add-in's text sources: inside the installed package, or the checkout's top-level `addin/`."""
    package = Path(__file__).resolve().parents[2]
    for candidate in (package / "addin", package.parent / "addin"):
        if (candidate / RIBBON).is_file():
            return candidate
    raise AddinSourceError("The add-in's sources (addin/customUI.xml and the .bas modules) are missing: reinstall.")


@dataclass(frozen=True)
class Sources:
    ribbon: bytes
    modules: tuple[ovba.Module, ...]


_VB_NAME = re.compile(r'^Attribute VB_Name = "([A-Za-z][A-Za-z0-9_]*)"\s*$', re.MULTILINE)


def read_sources(folder: Path | None = None) -> Sources:
    """The ribbon XML and the VBA modules, read from `folder` (default: `source_dir()`)."""
    folder = Path(folder) if folder is not None else source_dir()
    modules = []
    for name in STANDARD_MODULES:
        path = folder / f"{name}.bas"
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise AddinSourceError(f"{path} is missing: the add-in needs it.") from None
        except UnicodeDecodeError as exc:
            raise AddinSourceError(
                f"{path}, byte {exc.start}: only ASCII is allowed in the VBA sources (write {{e9}} for é)."
            ) from None
        found = _VB_NAME.search(text)
        if found is None or found.group(1) != name:
            raise AddinSourceError(f'{path}: its first line must be Attribute VB_Name = "{name}".')
        modules.append(ovba.Module(name, text))
    documents = [ovba.document_module(name, base) for name, base in DOCUMENT_MODULES]
    ribbon = folder / RIBBON
    if not ribbon.is_file():
        raise AddinSourceError(f"{ribbon} is missing: the add-in needs it.")
    return Sources(ribbon.read_bytes(), (documents[0], *modules, *documents[1:]))


def vba_project(sources: Sources) -> bytes:
    """`xl/vbaProject.bin`: the modules in a compound file, in MS-OVBA's source-only form."""
    return cfb.compound_file(ovba.project_streams(PROJECT_NAME, _PROJECT_ID, list(sources.modules)))


def _parts(sources: Sources) -> dict[str, bytes]:
    content_types = (
        _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ADDIN_CONTENT_TYPE}"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f'<Override PartName="/xl/vbaProject.bin" ContentType="{VBA_CONTENT_TYPE}"/>'
        "</Types>"
    )
    root_rels = (
        _XML + f'<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{RIBBON_RELATIONSHIP}" Target="customUI/customUI.xml"/>'
        "</Relationships>"
    )
    workbook_rels = (
        _XML + f'<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{_R}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_R}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{VBA_RELATIONSHIP}" Target="vbaProject.bin"/>'
        "</Relationships>"
    )
    workbook = (
        _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_R}">'
        '<workbookPr codeName="ThisWorkbook"/><bookViews><workbookView/></bookViews>'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    sheet = (
        _XML + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_R}">'
        '<sheetPr codeName="Sheet1"/><dimension ref="A1"/><sheetData/></worksheet>'
    )
    styles = (
        _XML + f'<styleSheet xmlns="{_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
    return {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": root_rels.encode(),
        "customUI/customUI.xml": sources.ribbon,
        "xl/_rels/workbook.xml.rels": workbook_rels.encode(),
        "xl/styles.xml": styles.encode(),
        "xl/vbaProject.bin": vba_project(sources),
        "xl/workbook.xml": workbook.encode(),
        "xl/worksheets/sheet1.xml": sheet.encode(),
    }


def xlam(sources: Sources) -> bytes:
    """The add-in file's bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for name, data in sorted(_parts(sources).items()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0
            info.external_attr = 0
            package.writestr(info, data)
    return buffer.getvalue()


@dataclass(frozen=True)
class Built:
    path: Path
    sha256: str  # of the .xlam
    vba_sha256: str  # of xl/vbaProject.bin: what a person verified in Excel


def build(out: Path, folder: Path | None = None) -> Built:
    """Write the add-in to `out` from the sources in `folder`."""
    sources = read_sources(folder)
    data = xlam(sources)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".new")
    temporary.write_bytes(data)
    temporary.replace(out)
    return Built(out, hashlib.sha256(data).hexdigest(), hashlib.sha256(vba_project(sources)).hexdigest())
