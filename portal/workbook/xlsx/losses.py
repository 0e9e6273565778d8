"""What an .xlsx package holds that openpyxl would drop or damage on a load and save.

openpyxl rewrites the whole file from its own model of it: whatever it does not model is lost.
`losses(path)` reads the package itself (parts, content types, relationships, drawings, VML and
sheet XML) and names those things, so that the writer (portal.workbook.write) can refuse before
touching the file. What openpyxl keeps and drops was checked by round-tripping test files
(tests/test_workbook_write.py).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

_OD = "application/vnd.openxmlformats-officedocument."
_SML = _OD + "spreadsheetml."
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"

# Parts openpyxl reads and writes back (drawings, VML, pictures and external links are
# looked into further below).
_KEPT = {
    _SML + "sheet.main+xml",
    _SML + "template.main+xml",
    _SML + "worksheet+xml",
    _SML + "sharedStrings+xml",
    _SML + "styles+xml",
    _OD + "theme+xml",
    "application/vnd.openxmlformats-package.core-properties+xml",
    _OD + "extended-properties+xml",
    _OD + "custom-properties+xml",
    _SML + "table+xml",
    _SML + "comments+xml",
    "application/vnd.openxmlformats-package.relationships+xml",
}
# Parts openpyxl drops that Excel rebuilds or that hold nothing of the user's.
_HARMLESS = {
    _SML + "calcChain+xml",  # the order Excel last calculated in; rebuilt on the next calculation
    _SML + "printerSettings",  # the printer driver's private settings; the page setup itself is kept
    _SML + "volatileDependencies+xml",  # a cache of volatile functions' inputs, rebuilt by Excel
    "application/vnd.ms-excel.person+xml",  # authors of threaded comments (the comments are checked)
}
_MACRO_MAIN = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}

# content type -> loss; None: part of a loss counted elsewhere
_LOST_TYPES: dict[str, str | None] = {
    _OD + "drawingml.chart+xml": "chart",
    "application/vnd.ms-office.chartex+xml": "chart",
    "application/vnd.ms-office.chartstyle+xml": None,
    "application/vnd.ms-office.chartcolorstyle+xml": None,
    _OD + "drawingml.chartshapes+xml": None,
    _SML + "chartsheet+xml": "chartsheet",
    _SML + "dialogsheet+xml": "dialogsheet",
    "application/vnd.ms-excel.macrosheet+xml": "xlm",
    "application/vnd.ms-excel.intlmacrosheet+xml": "xlm",
    _SML + "pivotTable+xml": "pivot",
    _SML + "pivotCacheDefinition+xml": "pivot_cache",
    _SML + "pivotCacheRecords+xml": None,
    "application/vnd.ms-excel.slicer+xml": "slicer",
    "application/vnd.ms-excel.slicerCache+xml": None,
    "application/vnd.ms-excel.timeline+xml": "timeline",
    "application/vnd.ms-excel.timelineCache+xml": None,
    "application/vnd.ms-office.vbaProject": "macros",
    "application/vnd.ms-office.vbaProjectSignature": "macros",
    "application/vnd.ms-office.vbaProjectSignatureAgile": "macros",
    "application/vnd.ms-office.vbaProjectSignatureV3": "macros",
    "application/vnd.ms-office.vbaData+xml": "macros",
    "application/vnd.ms-excel.attachedToolbars": "macros",
    "application/vnd.ms-excel.controlproperties+xml": "form_control",
    "application/vnd.ms-office.activeX+xml": "activex",
    "application/vnd.ms-office.activeX": None,
    _OD + "oleObject": "ole",
    "application/vnd.ms-excel.threadedcomments+xml": "threaded",
    _OD + "model+data": "data_model",
    _SML + "connections+xml": "connections",
    _SML + "queryTable+xml": "connections",
    _OD + "customXmlProperties+xml": "custom_xml",
    _SML + "sheetMetadata+xml": "dynamic_arrays",
    "application/vnd.ms-office.webextension+xml": "web_ext",
    "application/vnd.ms-office.webextensiontaskpanes+xml": "web_ext",
    _SML + "revisionHeaders+xml": "revisions",
    _SML + "revisionLog+xml": "revisions",
    _SML + "userNames+xml": "revisions",
    "application/vnd.ms-excel.featurepropertybag+xml": "cell_features",
    "application/vnd.ms-office.classificationlabels+xml": "sensitivity",
    _SML + "tableSingleCells+xml": "xml_maps",
}
# path prefix -> loss, for parts whose content type is generic (application/xml, octet-stream)
_LOST_PATHS: tuple[tuple[str, str | None], ...] = (
    ("customXml/", "custom_xml"),
    ("customUI/", "custom_ui"),
    ("xl/customUI/", "custom_ui"),
    ("xl/embeddings/", "ole"),
    ("xl/activeX/", "activex"),
    ("xl/ctrlProps/", "form_control"),
    ("xl/richData/", "rich_data"),
    ("xl/model/", "data_model"),
    ("xl/xmlMaps.xml", "xml_maps"),
    ("xl/webextensions/", "web_ext"),
    ("xl/slicers/", "slicer"),
    ("xl/slicerCaches/", None),
    ("xl/timelines/", "timeline"),
    ("xl/timelineCaches/", None),
    ("xl/revisions/", "revisions"),
    ("xl/pivotTables/", "pivot"),
    ("xl/pivotCache/", "pivot_cache"),
    ("xl/threadedComments/", "threaded"),
    ("xl/featurePropertyBag/", "cell_features"),
    ("docMetadata/", "sensitivity"),
    ("xl/charts/", None),
    ("xl/persons/", None),
    ("xl/printerSettings/", None),
)

# Worksheet extensions (<ext uri=...>): openpyxl drops every one of them.
_SHEET_EXTENSIONS = {
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": "cf_ext",
    "{B025F937-C7B1-47D3-B67F-A62EFF666E3E}": "cf_ext",  # a rule's link to its Excel 2010 part
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": "dv_ext",
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "sparklines",
    "{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}": "slicer",
    "{3A4CF648-6AED-40F4-86FF-DC5316D8AED3}": "slicer",
    "{7E03D99C-DC04-49D9-9315-930204A7B6E9}": "timeline",
    "{FC87AEE6-9EDD-4A0A-B7FB-166176984837}": "protected_ranges",
    "{F7C9EE02-42E1-4005-9D12-6889AFFD525C}": "web_ext",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": None,  # "ignore error" marks: only the green triangles return
}
# Worksheet elements openpyxl does not read (it keeps everything else a worksheet may hold).
_SHEET_ELEMENTS = {
    "legacyDrawingHF": "hf_pictures",
    "picture": "background",
    "oleObjects": "ole",
    "controls": "form_control",
    "customSheetViews": "custom_views",
    "protectedRanges": "protected_ranges",
    "dataConsolidate": "consolidation",
    "smartTags": "smart_tags",
    "cellWatches": "cell_watches",
    "webPublishItems": "web_publish",
}
_SHEET_ELEMENT = re.compile(r"<(?:\w+:)?(" + "|".join(_SHEET_ELEMENTS) + r")[\s/>]")
_EXT_URI = re.compile(r"<(?:\w+:)?ext\s[^>]*?uri=\"(\{[0-9A-Fa-f-]+\})\"")
_UNKNOWN = object()
_DYNAMIC_CELL = re.compile(r"<(?:\w+:)?c\s[^>]*\b(?:cm|vm)=\"")

# loss -> (one, several with {n}); a single string is a mass noun, never counted
_LABELS: dict[str, tuple[str, str] | str] = {
    "chart": ("a chart", "{n} charts"),
    "chartsheet": ("a chart sheet", "{n} chart sheets"),
    "pivot": ("a pivot table", "{n} pivot tables"),
    "pivot_cache": "pivot table data (a pivot cache)",
    "slicer": ("a slicer", "{n} slicers"),
    "timeline": ("a timeline", "{n} timelines"),
    "macros": "macros (VBA)",
    "xlm": "Excel 4.0 macro sheets",
    "dialogsheet": "Excel 5.0 dialog sheets",
    "shape": ("a shape or text box", "{n} shapes or text boxes"),
    "picture_link": ("a picture with a hyperlink", "{n} pictures with hyperlinks"),
    "picture_format": (
        "a picture in a format the writer cannot keep (SVG, EMF, WMF or unreadable)",
        "{n} pictures in formats the writer cannot keep (SVG, EMF, WMF or unreadable)",
    ),
    "graphic": ("a SmartArt or other embedded graphic", "{n} SmartArt or other embedded graphics"),
    "ink": "ink drawings",
    "drawing_other": (
        "a drawing object (3D model, control or other)",
        "{n} drawing objects (3D models, controls or other)",
    ),
    "form_control": "form controls (buttons, check boxes, lists)",
    "activex": "ActiveX controls",
    "ole": "embedded objects (OLE: documents or files inside the workbook)",
    "external_link": (
        "a link to another workbook with data the writer cannot keep (DDE, OLE or a cloud address)",
        "{n} links to other workbooks with data the writer cannot keep (DDE, OLE or cloud addresses)",
    ),
    "threaded": "threaded comments (comments with replies)",
    "data_model": "a data model (Power Pivot)",
    "connections": "data connections (Power Query or external data)",
    "custom_xml": "custom XML data (such as SharePoint document properties)",
    "dynamic_arrays": "dynamic array formulas or linked data types",
    "rich_data": "pictures in cells or linked data types (stocks, geography)",
    "web_ext": "Office add-in data (web extensions)",
    "revisions": "a shared workbook's change history",
    "cell_features": "check boxes in cells",
    "sensitivity": "a sensitivity label",
    "xml_maps": "XML maps",
    "custom_ui": "a custom ribbon (customUI)",
    "sparklines": "sparklines",
    "cf_ext": "conditional formatting from Excel 2010 or later (data bars, icon sets, rules on other sheets)",
    "dv_ext": "data validation lists that refer to other sheets",
    "protected_ranges": "protected ranges (Allow Edit Ranges)",
    "custom_views": "custom views",
    "hf_pictures": "pictures in the page header or footer",
    "background": "a sheet background picture",
    "consolidation": "data consolidation settings",
    "smart_tags": "smart tags",
    "cell_watches": "cell watches",
    "web_publish": "web publishing settings",
    "extension": "other Excel extension data",
}


def human_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def relationships(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str, bool]]:
    """A part's relationships: id -> (type, target part or URL, external)."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    try:
        root = ET.fromstring(z.read(rels_name))
    except KeyError:
        return {}
    found = {}
    for rel in root.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        external = rel.get("TargetMode") == "External"
        target = rel.get("Target", "")
        found[rel.get("Id", "")] = (rel.get("Type", ""), target if external else _resolve(part, target), external)
    return found


def _content_types(z: zipfile.ZipFile) -> dict[str, str]:
    """Each part's content type, from the overrides and the per-extension defaults."""
    root = ET.fromstring(z.read("[Content_Types].xml"))
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.iter(f"{{{_CT_NS}}}Default")}
    overrides = {
        o.get("PartName", "").lstrip("/"): o.get("ContentType", "") for o in root.iter(f"{{{_CT_NS}}}Override")
    }
    types = {}
    for name in z.namelist():
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        types[name] = overrides.get(name) or defaults.get(name.rsplit(".", 1)[-1].lower(), "")
    return types


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _picture_keepable(data: bytes) -> bool:
    """What openpyxl's reader does with a picture: kept when Pillow reads it and it is not WMF/EMF."""
    from PIL import Image as PILImage  # openpyxl itself drops every picture when Pillow is missing

    try:
        with PILImage.open(io.BytesIO(data)) as image:
            return (image.format or "").upper() != "WMF"
    except Exception:
        return False


def _drawing_losses(z: zipfile.ZipFile, part: str, found: Counter) -> None:
    rels = relationships(z, part)
    root = ET.fromstring(z.read(part))
    for anchor in root:
        kind = _local(anchor.tag)
        if kind == "AlternateContent":  # Excel wraps slicers, timelines, controls and 3D models in these
            inner = {_local(e.tag) for e in anchor.iter()}
            if "slicer" in inner:
                continue  # counted from the slicer parts
            found["timeline" if "timeslicer" in inner else "drawing_other"] += 1
            continue
        if kind not in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor"):
            continue
        for obj in anchor:
            what = _local(obj.tag)
            if what in ("sp", "cxnSp"):
                found["shape"] += 1
            elif what == "grpSp":  # openpyxl keeps one picture of a group, and no group
                found["shape"] += sum(1 for e in obj.iter() if _local(e.tag) in ("sp", "cxnSp")) or 1
                _picture_losses(z, rels, obj, found)
            elif what == "pic":
                _picture_losses(z, rels, obj, found)
            elif what == "graphicFrame":
                uri = next((e.get("uri") for e in obj.iter() if _local(e.tag) == "graphicData"), "")
                if uri != _CHART_URI:
                    found["graphic"] += 1  # a chart is counted from its part
            elif what == "contentPart":
                found["ink"] += 1
            elif what == "AlternateContent":
                found["drawing_other"] += 1


def _picture_losses(z: zipfile.ZipFile, rels: dict, element: ET.Element, found: Counter) -> None:
    for pic in (e for e in element.iter() if _local(e.tag) == "pic"):
        names = {_local(e.tag) for e in pic.iter()}
        if "hlinkClick" in names or "hlinkHover" in names:
            found["picture_link"] += 1  # openpyxl keeps the link but drops its target: Excel repairs the file
        if "svgBlip" in names:
            found["picture_format"] += 1
            continue
        blip = next((e for e in pic.iter() if _local(e.tag) == "blip"), None)
        embed = blip.get(f"{{{REL_NS}}}embed") if blip is not None else None
        rel = rels.get(embed or "")
        if rel and not rel[2]:
            try:
                data = z.read(rel[1])
            except KeyError:
                continue
            if not _picture_keepable(data):
                found["picture_format"] += 1


_EXTERNAL_LINK_ELEMENTS = {
    "externalLink",
    "externalBook",
    "sheetNames",
    "sheetName",
    "definedNames",
    "definedName",
    "sheetDataSet",
    "sheetData",
    "row",
    "cell",
    "v",
}


def _vml_losses(text: str, flags: set[str]) -> None:
    """A VML drawing holds comment boxes (kept: openpyxl redraws them) or form controls (dropped)."""
    kinds = re.findall(r"ObjectType=\"(\w+)\"", text)
    if any(k != "Note" for k in kinds):
        flags.add("form_control")


def _sheet_losses(text: str, found: Counter, flags: set[str]) -> None:
    for uri in _EXT_URI.findall(text):
        key = _SHEET_EXTENSIONS.get(uri.upper(), "extension")
        if key:
            flags.add(key)  # a mass noun, or slicers and timelines counted from their own parts
    for name in _SHEET_ELEMENT.findall(text):
        flags.add(_SHEET_ELEMENTS[name])
    if _DYNAMIC_CELL.search(text):
        flags.add("dynamic_arrays")


def losses(path: Path) -> list[str]:
    """What a load + save through openpyxl would drop or damage in this workbook, for people.

    Empty when the writer may write it. Items read like "2 charts", "a pivot table", "macros (VBA)".
    """
    path = Path(path)
    found: Counter = Counter()
    flags: set[str] = set()
    unknown: list[str] = []
    with zipfile.ZipFile(path) as z:
        for name, ctype in _content_types(z).items():
            if name.endswith(".rels"):
                continue
            if ctype in _MACRO_MAIN:
                flags.add("macros")
            elif ctype == _SML + "worksheet+xml":
                _sheet_losses(z.read(name).decode("utf-8", "replace"), found, flags)
            elif ctype in _KEPT or ctype in _HARMLESS:
                continue
            elif ctype == _OD + "drawing+xml":
                _drawing_losses(z, name, found)
            elif ctype == _OD + "vmlDrawing" or name.endswith(".vml"):
                _vml_losses(z.read(name).decode("utf-8", "replace"), flags)
            elif ctype == _SML + "externalLink+xml":
                elements = {_local(e.tag) for e in ET.fromstring(z.read(name)).iter()}
                if elements - _EXTERNAL_LINK_ELEMENTS:
                    found["external_link"] += 1
            elif ctype in _LOST_TYPES:
                key = _LOST_TYPES[ctype]
                if key == "slicer":
                    found[key] += sum(1 for e in ET.fromstring(z.read(name)).iter() if _local(e.tag) == "slicer") or 1
                elif key:
                    found[key] += 1
            elif ctype.startswith("image/") or name.startswith(("xl/media/", "docProps/")):
                continue  # pictures are judged where they are used; docProps: the thumbnail
            else:
                match = next((k for prefix, k in _LOST_PATHS if name.startswith(prefix)), _UNKNOWN)
                if match is _UNKNOWN:
                    unknown.append(name)
                elif match:
                    found[match] += 1
    if found.get("pivot"):
        found.pop("pivot_cache", None)  # the pivot tables' own data
        flags.discard("pivot_cache")
    items = []
    for key, label in _LABELS.items():
        if key not in found and key not in flags:
            continue
        n = found.get(key, 0)
        if isinstance(label, str):
            items.append(label)
        else:
            items.append(label[0] if n <= 1 else label[1].format(n=n))
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        items.append(f"other content the writer does not know ({shown})")
    return items
