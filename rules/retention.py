"""How long what people leave behind is kept (issue 27: once, here, for the code and the
texts that promise it)."""

from __future__ import annotations

import datetime as dt

# A cancelled interview's answers, so that /start resumes it (dialogs.texts promises it).
KEEP_CANCELLED_INTERVIEW = dt.timedelta(days=30)
