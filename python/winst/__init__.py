"""The winst wheel installer, from Python.

The ``winst`` package ships the ``winst`` binary as its script. This module only finds it:
``find_winst_bin()`` gives its path, for running it with ``subprocess``; ``python -m winst``
runs it. Not here: anything winst itself does (see ``winst --help``).
"""

from winst._find_winst import find_winst_bin

__all__ = ["find_winst_bin"]
