"""The `tipweek` command: click commands, a thin layer over the stages.
"""
