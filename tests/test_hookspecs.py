"""Meta-tests: the contract module is complete, documented, and every hook has a test."""

import inspect
import pathlib

import pytest

import normbench
from normbench import hookspecs

HOOKS = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("normbench_")]


def test_there_is_at_least_one_hook():
    assert "normbench_register_norms" in HOOKS


def test_every_hook_documents_its_parameters_and_return():
    for name in HOOKS:
        hook = getattr(hookspecs, name)
        doc = inspect.getdoc(hook) or ""
        for parameter in inspect.signature(hook).parameters:
            assert f":param {parameter}:" in doc, f"{name} does not document {parameter}"
        assert ":returns:" in doc, f"{name} does not document its return"


def test_every_hook_has_a_test():
    source = "\n".join(p.read_text() for p in pathlib.Path(__file__).parent.glob("test_*.py"))
    for name in HOOKS:
        assert f"def test_hook_{name}" in source, f"no test_hook_{name} in tests/"


def test_plugin_authors_get_hookimpl_and_specs_from_the_package_root():
    assert normbench.hookimpl.project_name == "normbench"
    assert {"hookimpl", "NormSpec", "CONDITIONINGS"} <= set(normbench.__all__)


@pytest.mark.parametrize(
    "cls_name",
    [
        "NormSpec",
        "MetricSpec",
        "Column",
        "MetricContext",
        "StylizedSample",
        "BaselineSpec",
        "ArchitectureSpec",
        "TrainingSettings",
        "TrackerSpec",
        "TrackerContext",
    ],
)
def test_the_contract_module_documents_every_field_of_the_types_a_plugin_meets(cls_name):
    """A plugin author reads hookspecs.py: every field of every type a hook hands out or takes is described there,
    under the type's own heading, so a new field cannot go undocumented."""
    import dataclasses

    import normbench
    from normbench import hookspecs

    text = hookspecs.__doc__
    heading = f"``{cls_name}`` ("
    assert heading in text, f"hookspecs.py has no section for {cls_name}"
    section = text.split(heading, 1)[1].split("\n\n``", 1)[0]
    missing = [f.name for f in dataclasses.fields(getattr(normbench, cls_name)) if f"``{f.name}``" not in section]
    assert not missing, f"hookspecs.py does not describe {cls_name} fields {missing}"
