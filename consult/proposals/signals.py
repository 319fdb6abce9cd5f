"""What proposals tell the other domains. Sent inside the transaction of the change."""
from blinker import Namespace

signals = Namespace()

# A matter was raised; sender: the proposal, with ``actor``.
proposal_raised = signals.signal("proposal-raised")
