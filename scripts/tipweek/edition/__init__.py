"""One edition per run: the site's identity, the one URL scheme, related tips, and each tip's body
rendered once (with its cache), read by the site, the feeds, the email and the sender alike.
"""
