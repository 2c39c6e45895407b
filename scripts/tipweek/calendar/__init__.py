"""What is out on a given day: the publishing rules, the tip of the week, re-runs from the archive,
the next free week for `tipweek new`, and the schedule report.
"""
