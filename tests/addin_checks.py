"""Checks of a built add-in that need no Excel, each returning what it found wrong (empty: all is well)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from portal.front.addin import package

CUSTOM_UI = "{http://schemas.microsoft.com/office/2006/01/customui}"
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

# What customui.xsd (2006) allows on the elements the ribbon uses, and the callbacks' VBA signatures.
ALLOWED = {
    "customUI": {"onLoad", "loadImage"},
    "ribbon": {"startFromScratch"},
    "tabs": set(),
    "tab": {"id", "tag", "label", "getLabel", "keytip", "visible", "insertAfterMso", "insertBeforeMso"},
    "group": {"id", "tag", "label", "getLabel", "screentip", "getScreentip", "visible", "imageMso"},
    "button": {
        "id",
        "tag",
        "size",
        "imageMso",
        "label",
        "getLabel",
        "screentip",
        "getScreentip",
        "supertip",
        "getSupertip",
        "onAction",
        "enabled",
        "getEnabled",
        "visible",
        "showLabel",
        "keytip",
    },
}
SIZES = {"normal", "large"}
SIGNATURES = {
    "onAction": r"\(\s*control\s+As\s+(?:Object|IRibbonControl)\s*\)",
    "getLabel": r"\(\s*control\s+As\s+(?:Object|IRibbonControl)\s*,\s*ByRef\s+returnedVal(?:\s+As\s+Variant)?\s*\)",
    "getScreentip": r"\(\s*control\s+As\s+(?:Object|IRibbonControl)\s*,\s*ByRef\s+returnedVal(?:\s+As\s+Variant)?\s*\)",
}
ISSUE_GROUPS = {  # the groups and buttons the ribbon must have, in order (by tag)
    "group_workbook": ["new", "check", "refresh"],
    "group_debtors": ["remind", "import_bank", "import_invoices", "overview"],
    "group_portal": ["build", "preview", "publish"],
    "group_help": ["help"],
}


def parts(xlam: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(xlam)) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def package_problems(xlam: bytes) -> list[str]:
    found = []
    files = parts(xlam)
    for name, data in files.items():
        if name.endswith((".xml", ".rels")):
            try:
                ET.fromstring(data)
            except ET.ParseError as exc:
                found.append(f"{name}: not well-formed XML ({exc})")
    if found:
        return found
    types = ET.fromstring(files["[Content_Types].xml"])
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{CONTENT_TYPES}Override")}
    defaults = {d.get("Extension"): d.get("ContentType") for d in types.iter(f"{CONTENT_TYPES}Default")}
    if overrides.get("/xl/workbook.xml") != package.ADDIN_CONTENT_TYPE:
        found.append("the workbook part does not have the add-in content type")
    if overrides.get("/xl/vbaProject.bin") != package.VBA_CONTENT_TYPE:
        found.append("xl/vbaProject.bin does not have the VBA project content type")
    for name in files:
        if name != "[Content_Types].xml" and f"/{name}" not in overrides and name.rsplit(".", 1)[-1] not in defaults:
            found.append(f"{name} has no content type")
    root = {r.get("Type"): r.get("Target") for r in ET.fromstring(files["_rels/.rels"]).iter(f"{RELS}Relationship")}
    if root.get(package.RIBBON_RELATIONSHIP) != "customUI/customUI.xml":
        found.append("the package root does not link customUI/customUI.xml as the ribbon (2006 form)")
    if root.get(package.OFFICE_DOCUMENT) != "xl/workbook.xml":
        found.append("the package root does not link the workbook")
    book = {
        r.get("Type"): r.get("Target")
        for r in ET.fromstring(files["xl/_rels/workbook.xml.rels"]).iter(f"{RELS}Relationship")
    }
    if book.get(package.VBA_RELATIONSHIP) != "vbaProject.bin":
        found.append("the workbook does not link vbaProject.bin")
    for target in [*root.values(), *(f"xl/{t}" for t in book.values())]:
        if target not in files:
            found.append(f"a relationship points to {target}, which is not in the package")
    code_name = ET.fromstring(files["xl/workbook.xml"]).find(f"{MAIN}workbookPr").get("codeName")
    sheet_code = ET.fromstring(files["xl/worksheets/sheet1.xml"]).find(f"{MAIN}sheetPr").get("codeName")
    names = [name for name, _ in package.DOCUMENT_MODULES]
    if [code_name, sheet_code] != names:
        found.append(f"code names {code_name}, {sheet_code} do not match the document modules {names}")
    return found


def ribbon_problems(ribbon: bytes, vba: dict[str, str]) -> list[str]:
    """Ribbon XML against the schema rules above and against the VBA: every callback has its Sub."""
    found = []
    root = ET.fromstring(ribbon)
    if root.tag != f"{CUSTOM_UI}customUI":
        return ["the ribbon is not a customUI document in the 2006 namespace"]
    ids = []
    code = "\n".join(vba.values())
    for element in root.iter():
        local = element.tag.removeprefix(CUSTOM_UI)
        if local not in ALLOWED:
            found.append(f"<{local}> is not an element this ribbon may use")
            continue
        for attribute, value in element.attrib.items():
            if attribute not in ALLOWED[local]:
                found.append(f"<{local}> does not take {attribute}")
            if attribute in SIGNATURES:
                pattern = rf"^Public Sub {re.escape(value)}\s*{SIGNATURES[attribute]}\s*$"
                if not re.search(pattern, code, re.MULTILINE | re.IGNORECASE):
                    found.append(f"{attribute}={value!r}: no 'Public Sub {value}' with the callback's signature")
        if "id" in element.attrib:
            ids.append(element.get("id"))
        if "label" in element.attrib and "getLabel" in element.attrib:
            found.append(f"{element.get('id')}: label and getLabel exclude each other")
        if local == "button":
            if element.get("size", "normal") not in SIZES:
                found.append(f"{element.get('id')}: size {element.get('size')!r}")
            for needed in ("tag", "imageMso", "getLabel", "getScreentip", "onAction"):
                if not element.get(needed):
                    found.append(f"button {element.get('id')} has no {needed}")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        found.append(f"ids used twice: {duplicates}")
    groups = {
        g.get("tag"): [b.get("tag") for b in g.iter(f"{CUSTOM_UI}button")] for g in root.iter(f"{CUSTOM_UI}group")
    }
    if groups != ISSUE_GROUPS:
        found.append(f"groups and buttons {groups} differ from {ISSUE_GROUPS}")
    return found


def module_text(text: str) -> str:
    """A module's code for comparison: no Attribute lines (nor LibreOffice's own option lines), LF, no blank end."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept = [
        line
        for line in lines
        if not line.startswith(("Attribute VB_", "Rem Attribute VBA_ModuleType", "Option VBASupport"))
    ]
    return "\n".join(kept).strip("\n")


def source_modules(folder: Path) -> dict[str, str]:
    return {name: module_text((folder / f"{name}.bas").read_text()) for name in package.STANDARD_MODULES}


def button_tags(ribbon: bytes) -> list[str]:
    return [b.get("tag") for b in ET.fromstring(ribbon).iter(f"{CUSTOM_UI}button")]


def label_tags(ribbon: bytes) -> list[str]:
    return [e.get("tag") for e in ET.fromstring(ribbon).iter() if e.get("getLabel")]
