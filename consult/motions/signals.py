"""What motions tell the other domains: the matter a motion was assigned for follows it.
Each is sent inside the motion's transaction; sender: the motion, with ``reason``."""
from blinker import Namespace

signals = Namespace()

# A motion was assigned, or sent back to its responder: the matter is in action.
motion_assigned = signals.signal("motion-assigned")
motion_sent_back = signals.signal("motion-sent-back")
# A motion was reopened (by a moderator, or by the residents' ratings).
motion_reopened = signals.signal("motion-reopened")
# A motion was completed, closed or withdrawn, with ``outcome``: "completed" when every
# motion of the matter still standing is completed or closed and one at least completed,
# "closed" when all of them are closed, None while others are still under way.
motion_settled = signals.signal("motion-settled")
# A step of a motion was recorded (assign, acknowledge, answer, progress, complete, close …)
# or a household rated it (``action`` "rate"); sender: the motion, with ``action`` and the
# step's ``body`` (its reason, progress or evidence as written; None for a rating).
motion_recorded = signals.signal("motion-recorded")
