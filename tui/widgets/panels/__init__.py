"""The detail screen's panels, one module each; the screen lists which ones it shows and feeds them.

Importing this package registers nothing: `DetailScreen.PANELS` is the one list of extension panels.
"""

from tui.widgets.panels.base import DetailPanel, ExtensionPanel, PanelFailed
from tui.widgets.panels.deadlines import Deadlines, DeadlinesPanel
from tui.widgets.panels.filing import EventsPanel, FieldsPanel
from tui.widgets.panels.materials import MaterialsPanel
from tui.widgets.panels.notifications import NotificationsPanel
from tui.widgets.panels.timeline import TimelinePanel

__all__ = [
    "Deadlines",
    "DeadlinesPanel",
    "DetailPanel",
    "EventsPanel",
    "ExtensionPanel",
    "FieldsPanel",
    "MaterialsPanel",
    "NotificationsPanel",
    "PanelFailed",
    "TimelinePanel",
]
