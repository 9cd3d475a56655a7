"""Human-readable output of the commands, by group; `common` holds tables, JSON printing and stage names."""
