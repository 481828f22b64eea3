"""dialogs/ is a pure core: importing it loads no channel, database or PDF library."""

from __future__ import annotations

import subprocess
import sys


def test_dialogs_imports_no_telegram_sqlmodel_or_weasyprint() -> None:
    code = (
        "import sys, dialogs.engine, dialogs.machine, dialogs.review;"
        "print(sorted(m for m in ('telegram', 'sqlmodel', 'sqlalchemy', 'weasyprint') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
