"""Pure presentation: labels, colours, table columns and cells. No widgets, no service calls."""
