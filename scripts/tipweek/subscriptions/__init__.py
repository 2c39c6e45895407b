"""The subscription list: a small web service where people join (double
opt-in), confirm and leave, its store (SQLite or PostgreSQL), and what the
sender reads from it.

- ``store``: the records and the narrow interface; ``sqlite`` / ``postgres``
  implement it; ``open_store(url)`` picks one.
- ``tokens``: signed confirm and unsubscribe tokens.
- ``service``: the Starlette app; ``pages/``: its templates; ``look``: the
  site's name and colours from mkdocs.yml, and the page renderer.
- ``confirmation``: the confirmation email and its transport.
- ``commands``: ``tipweek list serve|import|export|stats|unsubscribe``
  (``people`` reads an import CSV; ``backup``: the export file and the
  consent rule of its import; ``counts`` makes the stats).
- ``sending``: what ``tipweek send --list`` needs (the subscribers to mail,
  each one's unsubscribe URL).
"""
