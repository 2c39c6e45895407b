"""The subscription list, the one non-static part: the web service (Starlette), its store
(SQLite or PostgreSQL), signed tokens, and the confirmation email.
"""
