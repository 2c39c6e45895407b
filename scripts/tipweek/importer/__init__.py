"""``tipweek import``: bring an existing blog or feed into the tip library.

The stages, each a module: ``fetch`` gets the bytes of a file or URL,
``sources`` reads them as one of four formats (``rss``: RSS and WordPress,
``atom``: Atom and Blogger) into :class:`~.posts.Post` records, ``convert``
turns a post's HTML into safe Markdown, ``plan`` decides what each post
becomes (file, tags, summary, draft or skipped, and why); the click command
that writes the plan and runs the checker is ``cli.import_command``.
"""
