"""What ballots tell the other domains. Sent inside the transaction of the change; a
receiver's writes are part of it, and its refusal (a ``DomainError``) undoes it all."""
from blinker import Namespace

signals = Namespace()

# A ballot was drafted; sender: the ballot, with ``actor``. A matter put to the vote goes
# to deliberation.
ballot_drafted = signals.signal("ballot-drafted")
# A ballot was counted; sender: the ballot, with ``passed`` and ``summary`` (the
# explanation in the installation's language). A matter voted on follows its result.
ballot_closed = signals.signal("ballot-closed")
# A ballot is about to open; sender: the ballot. A receiver may refuse (a ``DomainError``)
# or return the electorate's rows for ``ballot_voters`` (the owners' frozen register).
ballot_opening = signals.signal("ballot-opening")
