"""The package reads top-down: each module imports only from its own layer or the layers below it.

The layers, lowest first, are the map in docs/architecture.md; a new module joins one of
them, and an import that goes up (a metric reaching into a run, the runtime into training) fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import normbench

#: Lowest first: a module may import from its own layer and those before it.
LAYERS = (
    (
        "core",
        (
            "normbench",
            "normbench.errors",
            "normbench.columns",
            "normbench.ops",
            "normbench.thumbnail",
            "normbench.fileio",
            "normbench.registry",
            "normbench.tracking",
            "normbench.numbers",
            "normbench.hookspecs",
            "normbench.markers",
        ),
    ),
    ("runtime", ("normbench.runtime",)),
    (
        "inputs",
        (
            "normbench.config",
            "normbench.catalog",
            "normbench.data",
            "normbench.images",
            "normbench.imageio",
            "normbench.samples",
            "normbench.weights",
        ),
    ),
    ("blocks", ("normbench.models", "normbench.norms", "normbench.metrics", "normbench.baselines")),
    ("training", ("normbench.training",)),
    ("plugins", ("normbench.architectures", "normbench.plugins", "normbench.testing")),
    ("store", ("normbench.store",)),
    ("lifecycle", ("normbench.lifecycle", "normbench.speedbench")),
    ("reuse", ("normbench.reuse",)),
    ("report", ("normbench.report",)),
    ("api", ("normbench.api", "normbench.listing", "normbench.notebook", "normbench.reusing")),
    ("cli", ("normbench.cli", "normbench.__main__")),
)
PACKAGE = Path(normbench.__file__).parent


def layer_of(module: str) -> int:
    """The index of the layer ``module`` belongs to: the longest prefix that names it."""
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix != "normbench" and module.startswith(prefix + "."))
    ]
    if not matches:
        raise ValueError(f"module {module!r} is in no layer of tests/test_layers.py; add it to one")
    return max(matches)[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The normbench modules ``path`` imports (``from normbench import x`` counts as the package's ``x``
    when ``x`` is a module, else as the package)."""
    names = set()
    for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.split(".")[0] == "normbench")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "normbench":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").is_file() or (
                    PACKAGE.parent / Path(*candidate.split("."))
                ).is_dir()
                names.add(candidate if is_module else node.module)
    return names


def runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:``, which names types for checkers and imports nothing."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from runtime_nodes(node)


#: The package's ``__init__`` is the facade that re-exports every layer's public names (lazily where heavy): it is
#: the top for what it imports and the core for what imports it (``hookimpl``, ``__version__``).
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path != PACKAGE / "__init__.py")


def upward_imports(path: Path, module: str) -> list[str]:
    """What ``path`` (the source of ``module``) imports from layers above its own."""
    return [
        f"{name} ({LAYERS[layer_of(name)][0]})" for name in sorted(imported(path)) if layer_of(name) > layer_of(module)
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_module_imports_only_downward(path: Path):
    module = module_name(path)
    upward = upward_imports(path, module)
    assert not upward, f"{module} ({LAYERS[layer_of(module)][0]}) imports from a higher layer: {', '.join(upward)}"


def test_every_layer_has_modules():
    used = {layer_of(module_name(path)) for path in MODULES} | {0}
    assert used == set(range(len(LAYERS))), "a layer of the map names no module: update the map"


def test_an_upward_import_is_caught(tmp_path):
    """The check itself can fail: a metric importing the run is caught, a type-only import is not."""
    source = tmp_path / "metric.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nfrom normbench import hookimpl\n"
        "from normbench.lifecycle import runner\nif TYPE_CHECKING:\n    from normbench.cli import run\n"
    )
    assert upward_imports(source, "normbench.metrics.metric") == ["normbench.lifecycle.runner (lifecycle)"]
    with pytest.raises(ValueError, match="in no layer"):
        layer_of("normbench.elsewhere")


def test_every_folder_of_modules_is_a_package_an_install_keeps():
    """setuptools' package discovery skips a folder without ``__init__.py``: a wheel would lack its modules."""
    folders = {path.parent for path in PACKAGE.rglob("*.py")}
    missing = sorted(
        str(folder.relative_to(PACKAGE.parent)) for folder in folders if not (folder / "__init__.py").is_file()
    )
    assert not missing, f"folders without __init__.py: {', '.join(missing)}"


#: The files of a stored run that only normbench.store reads or writes: their names appear in no other module's code.
STORED_FILES = ("manifest.json", "cell.json")


def stored_file_access(path: Path) -> list[str]:
    """``line: text`` of every string constant in ``path``'s code (not its docstrings) that is a path to a stored run's
    own files: the name itself (``run / "manifest.json"``) or a path ending in it; prose that names it is not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and any(node.value == name or node.value.endswith("/" + name) for name in STORED_FILES)
    ]


@pytest.mark.parametrize(
    "path", [path for path in MODULES if module_name(path).split(".")[1:2] != ["store"]], ids=module_name
)
def test_only_the_store_opens_a_run_manifest_or_cell_record(path: Path):
    found = stored_file_access(path)
    assert not found, f"{module_name(path)} names a stored run's file outside normbench.store: {'; '.join(found)}"


def test_a_manifest_opened_outside_the_store_is_caught(tmp_path):
    source = tmp_path / "reader.py"
    source.write_text(
        '"""Reads manifest.json (a docstring may say so)."""\nimport json\n\n'
        'DATA = json.loads(open("run/manifest.json").read())\n'
    )
    assert stored_file_access(source) == ["4: 'run/manifest.json'"]
