"""The WSGI entry for gunicorn: ``gunicorn -k gevent -w 1 --worker-connections 2000 consult.wsgi:app``.
gunicorn's gevent worker patches the standard library itself."""
from consult import create_app

app = create_app()
