"""Surveys (问卷, 需求征集): questionnaires for a place, one answer per household or person."""
from ..domains import Domain
from . import models
from .views import bp

DOMAIN = Domain("surveys", models=models, blueprint=bp)
