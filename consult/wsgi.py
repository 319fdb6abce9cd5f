"""The WSGI entry for gunicorn: ``gunicorn -k gevent -w 1 --worker-connections 2000 consult.wsgi:app``.
gunicorn's gevent worker patches the standard library itself."""
from consult import create_app
from consult import schedule

app = create_app()
schedule.start(app)   # each process follows deadlines up; every step is flagged on its row when taken
