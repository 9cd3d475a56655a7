"""The transitions-library side: imported only when the first machine is built."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from transitions.core import Machine, State


class TaggedState(State):
    """A state with tags, like transitions.extensions.states.Tags without importing the extensions package."""

    def __init__(self, *args: Any, tags: Iterable[str] = (), **kwargs: Any) -> None:
        self.tags = frozenset(tags)
        super().__init__(*args, **kwargs)


class FilingMachine(Machine):
    """A Machine whose states accept `tags`."""

    state_cls = TaggedState


def build(config: dict[str, Any]) -> Machine:
    """Build a model-less machine; callers fire events on throwaway models via `Event.trigger`."""
    return FilingMachine(model=None, **config)
