"""The fork tests import fork.init and their helpers by name."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # fork_helpers, beside this file
    sys.path.insert(0, str(HERE))
