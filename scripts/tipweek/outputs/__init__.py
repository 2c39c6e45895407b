"""What a run writes besides the pages, all from the edition: the feeds, the weekly email and its
web version, the search index; each written atomically.
"""
