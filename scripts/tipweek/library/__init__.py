"""Read and validate the tips once: tips/*.md and principles.yml become a Library of Tips and
Principles, or errors that name file, line and fix.
"""
