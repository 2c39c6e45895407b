"""The MkDocs plugin and what it shows: its options, the page views, the templates and assets, the
live preview, and `tipweek build` / `serve`.
"""
