"""What meetings tell the other domains (and the room's transport)."""
from blinker import Namespace

signals = Namespace()

# A meeting was scheduled; sender: the meeting, with ``actor``. The matters on its agenda
# go to deliberation.
meeting_scheduled = signals.signal("meeting-scheduled")
# Sent inside the transaction that ends a meeting, with ``actor``: the minutes draft theirs.
meeting_ended = signals.signal("meeting-ended")
# Sent after a commit with the room events it wrote, ``events`` as (meeting id, message).
events_committed = signals.signal("meeting-events-committed")
