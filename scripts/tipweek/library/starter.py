"""The starter body of a new tip: `tipweek new` writes it, and the rules refuse a tip that
still holds one of its lines."""

# The body `tipweek new` writes; a tip that still contains a line of it is not done.
SCAFFOLD_BODY = """\
Describe the situation in two or three sentences: who, where, what went wrong.

What to do:

- The first thing to say or do.
- The next step, and who takes it.

**Takeaway:** One sentence the reader should remember.
"""
SCAFFOLD_LINES = frozenset(line.strip() for line in SCAFFOLD_BODY.splitlines() if len(line.strip()) > 12)
