"""The report themes: one presentation package per theme, ``themes/<theme>/`` with ``data.py`` (tables from
the metrics), ``charts.py``, ``tables.py`` (the formatted tables a page shows) and ``text.py`` (findings: sentences
only), in the order of their notebooks (``NN_<theme>.ipynb``).

Which themes exist is this folder: each package's ``__init__`` declares its ``TITLE`` and ``NUMBER``, and
:data:`THEMES` (id -> title) is read from them. A theme never imports another theme (``tests/test_layout.py``).
"""

from ..metrics.rules import THEMES

__all__ = ["THEMES"]
