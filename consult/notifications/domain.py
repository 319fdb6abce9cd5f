"""The inbox and its e-mail copies. The messages are declared by the domains that send them."""
from flask_babel import lazy_gettext as _l

from ..domains import Domain, Due
from . import digest, models, outbox, push, reminders
from .views import bp

# The outbox's tables live beside the code that uses them: named here, so that they are
# mapped with the rest.
TABLES = (outbox.Delivery, outbox.DeliverySetting, reminders.ReminderSent, push.PushSubscription)

DOMAIN = Domain(
    "notifications", models=models, blueprint=bp,
    messages={
        "ballot.reminder": _l("Voting on “%(question)s” closes within %(hours)d hours and you have not voted yet"),
        "meeting.reminder": _l("The meeting “%(title)s” begins within %(hours)d hours"),
        "digest": _l("Your daily digest: %(count)d messages"),
    },
    # Reminders before deadlines; each person and deadline once (flagged rows).
    due=(Due("reminders", lambda: True, reminders.run),
         # The daily digest of those who chose it, once its time has come.
         Due("digest", lambda: True, digest.run)),
)
