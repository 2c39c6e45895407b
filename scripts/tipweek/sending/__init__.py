"""Delivering the week's email: the recipients of a CSV file, the week's ledger, the transports
(Maildir, SMTP), pacing, the hard-bounce suppression list, and the status report.
"""
