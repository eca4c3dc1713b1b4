import json

import pytest
from torch import nn

from normbench import NormSpec, hookimpl
from normbench.plugins import collect_norms, get_plugin_manager
from normbench.registry import NormRegistry


def spec(name="gn", **kwargs):
    return NormSpec(name=name, factory=lambda c: nn.GroupNorm(1, c), **kwargs)


def test_builtins_are_registered_in_order(registry):
    assert registry.names() == [
        "in",
        "bn",
        "none",
        "cin",
        "adain",
        "comatch",
        "efdm",
        "wct",
        "adalin",
        "switchable",
        "thumbnail_in",
    ]


@pytest.mark.parametrize(
    "alias,name",
    [
        ("BatchNorm", "bn"),
        ("instance-norm", "in"),
        ("IN", "in"),
        ("no_norm", "none"),
        ("adaptive_instance_norm", "adain"),
    ],
)
def test_aliases_and_spelling_resolve_to_one_norm(registry, alias, name):
    assert registry.get(alias).name == name


def test_unknown_name_lists_the_available_norms(registry):
    with pytest.raises(ValueError, match=r"unknown norm 'xx'; available: in, bn, none, cin, adain, comatch"):
        registry.get("xx")


def test_duplicate_name_names_both_plugins():
    registry = NormRegistry()
    registry.registering("first_plugin").add(spec("gn"))
    with pytest.raises(ValueError, match="'first_plugin'.*'second_plugin'"):
        registry.registering("second_plugin").add(spec("GN"))


def test_alias_clashing_with_a_name_is_a_duplicate():
    registry = NormRegistry()
    registry.add(spec("gn"))
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(spec("groupnorm", aliases=("gn",)))


@pytest.mark.parametrize("bad", [dict(conditioning="style"), dict(name="has space"), dict(name="1st")])
def test_invalid_specs_are_rejected(bad):
    with pytest.raises(ValueError):
        spec(**{"name": "ok", **bad})


def test_hook_normbench_register_norms_sees_a_third_party_plugin_next_to_builtins():
    class Plugin:
        @hookimpl
        def normbench_register_norms(self, registry):
            registry.add(spec("gn"))

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Plugin(), name="groupnorm_plugin")
    registry = collect_norms(pm)
    assert registry.names()[-1] == "gn"
    assert registry.plugin_of("gn") == "groupnorm_plugin"
    assert registry.plugin_of("bn") == "normbench.norms.batchnorm"


def test_third_party_registering_a_builtin_name_is_rejected_naming_both():
    class Clash:
        @hookimpl
        def normbench_register_norms(self, registry):
            registry.add(spec("in"))

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Clash(), name="clash_plugin")
    with pytest.raises(ValueError, match="normbench.norms.instancenorm.*clash_plugin"):
        collect_norms(pm)


def test_conditioning_is_a_typed_value_that_plugins_may_give_as_its_string():
    from normbench import Conditioning

    spec = NormSpec("mine", nn.Identity, conditioning="style_feat")
    assert spec.conditioning is Conditioning.STYLE_FEAT and spec.conditioning == "style_feat"
    assert spec.conditioning.takes_arbitrary_styles and spec.conditioning.serves_many_styles
    assert not Conditioning.NONE.serves_many_styles
    assert json.dumps({"c": spec.conditioning}) == '{"c": "style_feat"}' and f"{spec.conditioning}" == "style_feat"
    with pytest.raises(
        ValueError, match="norm 'odd': unknown conditioning 'style'; available: none, style_id, style_feat"
    ):
        NormSpec("odd", nn.Identity, conditioning="style")
