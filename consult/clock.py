"""Time. Stored as naive UTC everywhere; shown in Asia/Shanghai by Flask-Babel."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def from_local(moment: datetime) -> datetime:
    """A naive time entered on a page, in the installation's time zone, as naive UTC."""
    from flask_babel import get_timezone

    return moment.replace(tzinfo=get_timezone()).astimezone(timezone.utc).replace(tzinfo=None)
