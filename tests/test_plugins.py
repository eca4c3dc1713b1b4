import pluggy
import pytest

from normbench.plugins import (
    DEFAULT_PLUGINS,
    collect_architectures,
    collect_baselines,
    collect_metrics,
    collect_norms,
    get_plugin_manager,
    load_norms,
)

PLUGIN_SOURCE = """
from torch import nn
from normbench import NormSpec, hookimpl

@hookimpl
def normbench_register_norms(registry):
    registry.add(NormSpec(name="fake_ln", factory=lambda c: nn.GroupNorm(1, c)))
"""


def test_each_call_builds_a_fresh_manager():
    assert get_plugin_manager(entrypoints=False) is not get_plugin_manager(entrypoints=False)


def test_builtins_are_registered_by_module_name():
    pm = get_plugin_manager(entrypoints=False)
    assert {pm.get_name(p) for p in pm.get_plugins()} >= set(DEFAULT_PLUGINS)


def test_entry_point_plugins_are_discovered(fake_distribution):
    fake_distribution("nb_layernorm", PLUGIN_SOURCE, dist_name="nb-layernorm", entry_name="fake_layernorm")
    registry = load_norms()
    assert "fake_ln" in registry.names()
    assert registry.plugin_of("fake_ln") == "fake_layernorm"


def test_blocked_plugins_are_not_loaded(monkeypatch, fake_distribution):
    fake_distribution("nb_layernorm2", PLUGIN_SOURCE, entry_name="fake_layernorm")
    monkeypatch.setenv("NORMBENCH_DISABLE_PLUGINS", "fake_layernorm, normbench.norms.batchnorm")
    names = load_norms().names()
    assert "fake_ln" not in names and "bn" not in names and "in" in names


def test_misspelled_hook_fails_when_the_manager_is_built(fake_distribution):
    fake_distribution("nb_typo", PLUGIN_SOURCE.replace("register_norms", "register_normz"), entry_name="typo")
    with pytest.raises(pluggy.PluginValidationError, match="normbench_register_normz"):
        get_plugin_manager()


def test_builtins_register_through_the_public_hooks():
    pm = get_plugin_manager(entrypoints=False)
    assert len(pm.hook.normbench_register_norms.get_hookimpls()) == len(collect_norms(pm)) == 11
    assert [impl.plugin_name for impl in pm.hook.normbench_register_architectures.get_hookimpls()] == [
        "normbench.architectures.transformer",
        "normbench.architectures.adain",
        "normbench.architectures.msgnet",
    ]
    assert collect_architectures(pm).names() == ["transformer", "adain", "adain16", "msgnet"]
    assert [impl.plugin_name for impl in pm.hook.normbench_register_metrics.get_hookimpls()] == [
        "normbench.metrics.builtin"
    ]
    assert collect_metrics(pm).names() == [
        "distances",
        "lpips",
        "fid",
        "artfid",
        "contrast",
        "batch_dependence",
        "identity_check",
        "patches",
    ]
    assert collect_baselines(pm).names() == ["identity", "color_transfer", "style_image"]
