"""Parsing XML that comes from outside: no DTD, no entities, no network, names without namespaces."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from .records import UnreadableFile


def parse(data: bytes, file: str) -> tuple[ET.Element, str]:
    """The root element with every tag stripped of its namespace, and the root's namespace.

    A document type declaration is refused before anything in it is expanded: statements and
    e-invoices never need one, and entities are how XML "bombs" and external fetches work.
    """
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnreadableFile(
            file,
            "it declares a DTD or entities, which bank statements and e-invoices never contain: it was refused "
            "without being read (it may be a malicious file). Ask the sender for the original file.",
        ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise UnreadableFile(
            file,
            f"it is not well-formed XML ({_reason(exc)}). The file is probably incomplete or damaged: "
            "download or export it again.",
            f"line {line}, column {column + 1}",
        ) from None
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.partition("}")[2]
        for key in [k for k in element.attrib if k.startswith("{")]:
            element.attrib[key.partition("}")[2]] = element.attrib.pop(key)
    return root, namespace


def _reason(exc: ET.ParseError) -> str:
    text = str(exc)
    return text.split(":")[0] if ":" in text else text


def text(element: ET.Element | None, path: str = "") -> str:
    """The stripped text at `path` under `element` ("" when absent)."""
    if element is None:
        return ""
    found = element.find(path) if path else element
    return (found.text or "").strip() if found is not None else ""
