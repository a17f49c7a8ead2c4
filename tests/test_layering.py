"""The stages of scanner/ import only downwards: a lower stage never imports a higher one
(discovery, probes and protocols never import render or the CLI; the rules never import the
scan pipeline; nothing but the CLI imports the CLI). Imports are read from the source (ast),
including those inside functions, so a lazy import cannot hide an upward edge."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

SCANNER = REPO / "scanner"

# Lowest first. A module belongs to the longest prefix listed; modules of one stage may
# import each other. An import of a stage above the importer's own is an error.
STAGES: list[tuple[str, ...]] = [
    ("scanner", "scanner.errors", "scanner.model", "scanner.text", "scanner.tomlfile",
     "scanner.inputfile", "scanner.resources", "scanner.observer", "scanner.state",
     "scanner.ports", "scanner.versions", "scanner.schema"),
    ("scanner.protocols", "scanner.nmapdb", "scanner.netinfo", "scanner.scope",
     "scanner.knowledge", "scanner.jsonio"),
    ("scanner.discovery", "scanner.portscan", "scanner.probes", "scanner.wlan",
     "scanner.classification"),
    ("scanner.policy", "scanner.site", "scanner.plan", "scanner.hosts"),
    ("scanner.rules",),
    ("scanner.pipeline", "scanner.external", "scanner.baseline"),
    ("scanner.render", "scanner.monitor"),
    ("scanner.fleet", "scanner.lab"),
    ("scanner.cli", "scanner.__main__"),
]
RANK = {prefix: i for i, stage in enumerate(STAGES) for prefix in stage}


def _module(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _rank(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in RANK:
            return RANK[prefix]
    raise AssertionError(f"{module}: in no stage of tests/test_layering.py (add it)")


def _imports(path: Path) -> set[str]:
    """The scanner modules a file imports; ``from scanner import x`` counts as scanner.x."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "scanner")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "scanner":
            if node.module == "scanner":
                found.update(f"scanner.{a.name}" for a in node.names
                             if (SCANNER / a.name).is_dir() or (SCANNER / f"{a.name}.py").exists())
            else:
                found.add(node.module)
    return found


def _edges() -> list[tuple[str, str]]:
    return [(_module(p), imported) for p in sorted(SCANNER.rglob("*.py"))
            for imported in sorted(_imports(p))]


def test_every_module_is_in_a_stage() -> None:
    for path in SCANNER.rglob("*.py"):
        _rank(_module(path))


def test_no_stage_imports_a_higher_one() -> None:
    upward = [f"{a} (stage {_rank(a)}) imports {b} (stage {_rank(b)})"
              for a, b in _edges() if _rank(b) > _rank(a)]
    assert not upward, "\n".join(upward)


def test_the_rule_functions_do_not_import_the_engine_that_runs_them() -> None:
    rule_modules = {"scanner.rules.base", "scanner.rules.checks", "scanner.rules.lifecycle",
                    "scanner.rules.evidence", "scanner.rules.admin_ui"}
    back = [(a, b) for a, b in _edges() if a in rule_modules and b == "scanner.rules.engine"]
    assert not back, back


def test_the_check_finds_an_upward_import(tmp_path: Path) -> None:
    """The test above can fail: a probe that imports the renderer is caught."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from scanner.render.html import render_html\n")
    assert _imports(probe) == {"scanner.render.html"}
    assert _rank("scanner.render.html") > _rank("scanner.probes.web")
