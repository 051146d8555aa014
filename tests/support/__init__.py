"""What the tests share besides fixtures: helpers imported as ``from support.<module> import ...``.

``tests/`` is on ``sys.path`` (pytest's rootdir import mode), so ``support`` is importable
from any test module and from ``conftest.py``; the tests import nothing from ``bench/``.
"""
