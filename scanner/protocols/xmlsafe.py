"""XML from the network: refuse DTDs (entity expansion, external entities), cap the size."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

MAX_XML = 512 * 1024
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def parse_xml(data: bytes) -> ET.Element | None:
    if len(data) > MAX_XML or _DTD.search(data):
        return None
    try:
        return ET.fromstring(data)
    except (ET.ParseError, ValueError, UnicodeError):
        return None


def local(tag: str) -> str:
    """Tag name without namespace: ``{ns}Service`` -> ``Service``."""
    return tag.rsplit("}", 1)[-1]


def find_text(root: ET.Element, name: str, limit: int = 256) -> str:
    for el in root.iter():
        if local(el.tag) == name and el.text:
            return el.text.strip()[:limit]
    return ""
