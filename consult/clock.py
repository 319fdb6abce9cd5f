"""Time. Stored as naive UTC everywhere; shown in Asia/Shanghai by Flask-Babel."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
