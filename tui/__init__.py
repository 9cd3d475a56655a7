"""The Textual dashboard. It talks to the filing service and domain types only, never to storage.

Layers, top to bottom (checked by import-linter): `cli`/`serve` (entry points) > `app` > `commands`
(palette) > `screens` (+ `dialogs/`) > `widgets` (+ `panels/`, `filing_table/`) > `messages` > `view`
(pure presentation). Screens reach the app only through `screens.host.Host` and bubbling messages.
"""
