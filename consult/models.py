"""Imports every domain's models so that the metadata is complete."""
from .accounts.models import (  # noqa: F401
    InviteCode,
    LoginFailure,
    Organisation,
    OrganisationMember,
    RoleGrant,
    User,
)
from .audit.models import AuditEntry  # noqa: F401
from .places.models import Grid, Household, HouseholdMember, Place  # noqa: F401
from .proposals.models import (  # noqa: F401
    Category,
    Comment,
    CoSignature,
    Proposal,
    ProposalCall,
    ProposalEvent,
    ProposalPhoto,
)
from .notifications.models import Notification  # noqa: F401
from .notifications.outbox import Delivery, DeliverySetting  # noqa: F401
from .notifications.reminders import ReminderSent  # noqa: F401
from .notifications.push import PushSubscription  # noqa: F401
from .voting.models import Ballot, BallotBoxEntry, BallotOption, BallotVoter, Participation  # noqa: F401
from .meetings.models import (  # noqa: F401
    AgendaItem,
    Attendance,
    Invitee,
    Meeting,
    MeetingEvent,
    RaisedHand,
    SignedOut,
    Statement,
)
from .motions.models import Motion, MotionUpdate, Rating, Responder  # noqa: F401
from .minutes.models import Minutes, MinutesVersion, Remark, Signature, Signer  # noqa: F401
