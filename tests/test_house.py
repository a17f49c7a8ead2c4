"""House rules a reader relies on: what comments cite exists in the repository, and the
findings catalog and the registered rule functions are the same set."""

from __future__ import annotations

import re

from scanner.rules.base import RULES, catalog, rules_in
from tests.conftest import REPO

SOURCES = ("scanner", "fingerprints", "reports", "scripts", "tests")
CITED = re.compile(r"\b((?:docs|scanner|fingerprints|reports|scripts|tests)/[\w./-]+\.(?:md|py|toml|j2|json))")


def _texts():
    for top in SOURCES:
        for path in (REPO / top).rglob("*"):
            if (path.suffix in (".py", ".toml", ".j2", ".sh") and "data" not in path.parts
                    and path.name != "test_house.py"):
                yield path, path.read_text(encoding="utf-8", errors="replace")


def test_comments_cite_only_files_in_the_repository() -> None:
    missing = []
    for path, text in _texts():
        if "shared/docs" in text:
            missing.append(f"{path.relative_to(REPO)}: cites shared/docs (outside the repository)")
        for cited in CITED.findall(text):
            target = cited.rstrip(".")
            if not (REPO / target).exists() and "*" not in target and "<" not in target:
                missing.append(f"{path.relative_to(REPO)}: {target}")
    assert not missing, "\n".join(missing)


def test_every_catalog_entry_has_a_rule_function_and_every_function_an_entry() -> None:
    from scanner.rules import checks, ipv6, lifecycle  # noqa: F401 - registration by import

    assert set(catalog()) == set(RULES)


def test_the_catalogs_wlan_category_is_the_set_of_registered_wlan_rules() -> None:
    from scanner.rules.checks import WLAN_REGISTERED

    assert set(rules_in("wlan")) == set(WLAN_REGISTERED) and WLAN_REGISTERED
    assert rules_in("inbound")  # the report's inbound section is not empty by accident
