"""An API client: requests with a bearer token, JSON in and out."""
import pytest

from consult.api import service
from consult.database import unit_of_work


@pytest.fixture
def make_token(app):
    def make(user, *, days: int = 30, name: str = "test") -> str:
        with unit_of_work():
            _, secret = service.create_personal_token(actor=user, name=name, days=days)
        return secret
    return make


class Api:
    def __init__(self, client, secret=None):
        self.client, self.secret = client, secret

    def headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return {**headers, **(extra or {})}

    def get(self, url, headers=None, **kwargs):
        return self.client.get(url, headers=self.headers(headers), **kwargs)

    def post(self, url, json=None, headers=None, **kwargs):
        return self.client.post(url, json=json if json is not None else {}, headers=self.headers(headers), **kwargs)


@pytest.fixture
def api(client):
    def as_(secret=None) -> Api:
        return Api(client, secret)
    return as_
