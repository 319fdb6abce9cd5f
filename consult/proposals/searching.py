"""Proposals in the archive's search: a merged one is not found."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from ..search.index import Document, register
from ..search.kinds import plain_text
from .models import Proposal, ProposalState


def proposal_document(proposal: Proposal) -> Document:
    """A merged proposal is a duplicate whose co-signatures and comments live on in the
    other: not found."""
    return Document(title=proposal.title, body=plain_text(proposal.body), place_id=proposal.place_id,
                    at=proposal.created_at, tier=proposal.tier,
                    visible=proposal.state is not ProposalState.merged)


def register_kinds() -> None:
    register("proposal", Proposal, label=_l("Proposals"), document=proposal_document,
             link=lambda row: url_for("proposals.detail", proposal_id=row.doc_id),
             fields=("title", "body", "state", "tier", "place", "place_id", "created_at"))
