"""Mermaid diagrams generated from the machine config."""

from __future__ import annotations

from states.machines import machine_config
from states.names import Event, Kind, Lang, Stage, label


def to_mermaid(kind: Kind, lang: Lang = "both") -> str:
    """A mermaid `stateDiagram-v2` of `kind`'s machine, with labelled states and events."""
    config = machine_config(kind)
    lines = ["stateDiagram-v2", f"    [*] --> {config['initial']}"]
    for state in config["states"]:
        lines.append(f"    {state['name']} : {label(Stage(state['name']), lang, kind)}")
    for t in config["transitions"]:
        lines.append(f"    {t['source']} --> {t['dest']}: {label(Event(t['trigger']), lang, kind)}")
    lines += [f"    {state['name']} --> [*]" for state in config["states"] if state["final"]]
    return "\n".join(lines) + "\n"
