"""The mermaid diagram is generated from the machine config and shows all of it."""

from __future__ import annotations

import pytest

from states import Event, Kind, Lang, Stage, label, machine_config, to_mermaid

LANGS: list[Lang] = ["zh", "en", "both"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_transition_and_state_is_drawn(kind: Kind, lang: Lang) -> None:
    text = to_mermaid(kind, lang)
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> draft" in lines
    config = machine_config(kind)
    for t in config["transitions"]:
        assert f"    {t['source']} --> {t['dest']}: {label(Event(t['trigger']), lang, kind)}" in lines
    for state in config["states"]:
        assert f"    {state['name']} : {label(Stage(state['name']), lang, kind)}" in lines
        assert (f"    {state['name']} --> [*]" in lines) is state["final"]
    arrows = [line for line in lines if "-->" in line and "[*]" not in line]
    assert len(arrows) == len(config["transitions"])


def test_labels_follow_the_kind() -> None:
    assert "approved : 已通过 (approved)" in to_mermaid(Kind.ENTITY)
    assert "approved : 已备案" in to_mermaid(Kind.ALGORITHM, "zh")
    assert "second_review --> offline_check: start offline check" in to_mermaid(Kind.ALGORITHM, "en")
