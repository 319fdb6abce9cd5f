"""What minutes tell the other domains. Sent inside the transaction of the change."""
from blinker import Namespace

signals = Namespace()

# Minutes were signed by all and published (公示) for the first time; sender: the minutes.
minutes_published = signals.signal("minutes-published")
