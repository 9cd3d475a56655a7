"""Actions on filings from the dashboard: open, advance, edit, add; each opens a screen over it."""

from __future__ import annotations

from tracker.domain import Filing
from tui.screens.detail import DetailScreen
from tui.screens.dialogs.advance import AdvanceScreen
from tui.screens.dialogs.forms import EditFilingScreen, NewFilingScreen, NewOrganisationScreen
from tui.screens.host import UsesHost
from tui.widgets.filing_table import FilingTable


class FilingActions(UsesHost):
    """Mixed into the dashboard screen, which provides `table` and `reload`."""

    @property
    def table(self) -> FilingTable:
        """The filings table."""
        return self.query_one(FilingTable)

    def reload(self, *, new_query: bool = False, focus: int | None = None) -> None:
        """Read the filings again (the screen's own loader); `focus` puts the cursor on that filing."""
        raise NotImplementedError

    def _selected(self) -> Filing | None:
        filing = self.table.selected
        if filing is None:
            self.app.notify("Select a filing first.", severity="warning", timeout=3)
        return filing

    def on_filing_table_filing_selected(self, message: FilingTable.FilingSelected) -> None:
        """Open a filing chosen in the table."""
        self.app.push_screen(DetailScreen(message.filing.id, message.filing.ref))

    def action_open(self) -> None:
        """Open the selected filing."""
        self.table.action_select()

    def action_advance(self) -> None:
        """Record an event for the selected filing."""
        filing = self._selected()
        if filing is not None:
            self.app.push_screen(AdvanceScreen(filing.id, filing.ref), self._changed)

    def action_edit(self) -> None:
        """Edit the selected filing's descriptive fields."""
        filing = self._selected()
        if filing is not None:
            self.app.push_screen(EditFilingScreen(filing), self._changed)

    def action_new_filing(self) -> None:
        """Add a filing in draft."""
        selected = self.table.selected
        self.app.push_screen(NewFilingScreen(selected.organisation if selected else None), self._changed)

    def action_new_organisation(self) -> None:
        """Register an organisation."""
        self.app.push_screen(NewOrganisationScreen(), self._changed)

    def _changed(self, result: object) -> None:
        # reload at once rather than wait for the change feed; the revision check drops the duplicate
        if result is not None:
            self.reload()
