"""Configuration, read from the environment.

Every setting an operator may change is an environment variable documented here. The
defaults give the embedded setup: SQLite in ``instance/``, one process, no Redis.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _deadlines(text: str) -> dict[str, tuple[int, int]]:
    deadlines = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, hours = part.split("=")
        acknowledge, complete = hours.split("/")
        deadlines[kind.strip()] = (int(acknowledge), int(complete))
    return deadlines


class Config:
    # CONSULT_ENV=production: refuse to start without SECRET_KEY.
    PRODUCTION = os.environ.get("CONSULT_ENV") == "production"
    # SECRET_KEY signs sessions and CSRF tokens. Without one (outside production), a random
    # key is kept in instance/secret_key so that sessions survive restarts.
    SECRET_KEY = os.environ.get("SECRET_KEY")

    # DATABASE_URL: e.g. postgresql+psycopg://consult:secret@127.0.0.1/consult.
    # Default: SQLite file instance/consult.db.
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'consult.db'}"
    )
    # Database connections per process: a request or a room event holds one only for its
    # transaction. Under gevent thousands of room connections share DATABASE_POOL_SIZE (+
    # DATABASE_MAX_OVERFLOW) of them; an event that finds none free within
    # DATABASE_POOL_TIMEOUT seconds is answered "busy" instead of waiting without end.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_size": int(os.environ.get("DATABASE_POOL_SIZE", "10")),
        "max_overflow": int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
        "pool_timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "5")),
    }

    # The live room's limits (per server process): events per second of one connection
    # and of one person over all their connections; statements, raised or lowered hands
    # and votes per person and minute. An action over a limit is refused ("rate_limited").
    ROOM_ACTIONS_PER_SECOND = int(os.environ.get("ROOM_ACTIONS_PER_SECOND", "5"))
    ROOM_PERSON_ACTIONS_PER_SECOND = int(os.environ.get("ROOM_PERSON_ACTIONS_PER_SECOND", "8"))
    ROOM_STATEMENTS_PER_MINUTE = int(os.environ.get("ROOM_STATEMENTS_PER_MINUTE", "6"))
    ROOM_HANDS_PER_MINUTE = int(os.environ.get("ROOM_HANDS_PER_MINUTE", "10"))
    ROOM_CASTS_PER_MINUTE = int(os.environ.get("ROOM_CASTS_PER_MINUTE", "10"))
    # Casts in the room are written in batches (group commit): the first of a burst waits
    # this long for the others, again while more keep coming up to ROOM_CAST_GATHER in
    # all, and one transaction takes at most ROOM_CAST_BATCH.
    ROOM_CAST_WINDOW = float(os.environ.get("ROOM_CAST_WINDOW", "0.003"))
    ROOM_CAST_GATHER = float(os.environ.get("ROOM_CAST_GATHER", "0.03"))
    ROOM_CAST_BATCH = int(os.environ.get("ROOM_CAST_BATCH", "500"))

    # SOCKETIO_MESSAGE_QUEUE: redis://127.0.0.1:6379/0 when several server processes
    # must share live rooms. Empty: a single process.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # Connections to it per process, at most: a burst of handlers waits for a free one
    # (up to REDIS_POOL_TIMEOUT seconds) instead of opening connections without end.
    REDIS_POOL_SIZE = int(os.environ.get("REDIS_POOL_SIZE", "50"))
    REDIS_POOL_TIMEOUT = int(os.environ.get("REDIS_POOL_TIMEOUT", "10"))
    # gevent serves thousands of idle websockets in one process; tests use threading.
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "gevent")
    # SOCKETIO_ALLOWED_ORIGINS: the origins whose pages may open a live-room connection,
    # comma-separated (https://consult.example.org). Empty: this site's own address only.
    # SERVER_NAME: the site's host (and port), e.g. consult.example.org, for links built
    # outside a request. TRUSTED_HOSTS: the Host names requests may carry, comma-separated;
    # any other is refused with 400 (set it in production). Empty: any.
    SERVER_NAME = os.environ.get("SERVER_NAME") or None
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    SOCKETIO_ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("SOCKETIO_ALLOWED_ORIGINS", "").split(",")
                                if o.strip()] or None

    # Language and time: Chinese first, times stored in UTC and shown in Beijing time.
    LANGUAGES = ("zh_Hans", "en")
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "consult" / "translations")

    # Session cookies: HttpOnly and SameSite always; Secure whenever the request came in
    # over HTTPS (see consult.security), or always with SESSION_COOKIE_SECURE=1.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    # A sign-in ends after this many minutes without a request (default 7 days), and in
    # any case this many hours after it began (default 30 days). Signing out, "sign out
    # everywhere" and a password change end sign-ins on the server at once.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", str(7 * 24 * 60)))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", str(30 * 24)))
    # Number of reverse proxies (nginx) in front whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # Failed logins: at most this many per account and per address in the window.
    LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5"))
    LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20"))
    LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))

    # Uploaded photos live here, outside static/ (UPLOAD_DIR), each at most PHOTO_MAX_BYTES.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
    PHOTOS_PER_PROPOSAL = 4

    # E-mail for notifications: only when SMTP_HOST is set. SMTP_SECURITY is "starttls",
    # "ssl" or "none"; SMTP_USER / SMTP_PASSWORD when the server wants a login.
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "starttls")
    SMTP_USER = os.environ.get("SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_FROM = os.environ.get("SMTP_FROM", "consult@localhost")
    # The address of the site in e-mails, e.g. https://consult.example.org
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")

    # The outbox (every message × channel): a sender claims deliveries for
    # OUTBOX_LEASE_SECONDS; a failed one is tried again after OUTBOX_RETRY_SECONDS,
    # doubling each time up to OUTBOX_RETRY_MAX_SECONDS, and given up after
    # OUTBOX_MAX_ATTEMPTS. Deliveries are sent after the commit that queued them, by the
    # server's background loop and by `flask --app consult send`.
    OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
    OUTBOX_RETRY_SECONDS = int(os.environ.get("OUTBOX_RETRY_SECONDS", "60"))
    OUTBOX_RETRY_MAX_SECONDS = int(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", str(6 * 3600)))
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
    OUTBOX_SEND_AFTER_COMMIT = _bool("OUTBOX_SEND_AFTER_COMMIT", True)
    # Deliveries sent at once by one sender (threads waiting for the providers' answers).
    OUTBOX_SEND_CONCURRENCY = int(os.environ.get("OUTBOX_SEND_CONCURRENCY", "8"))

    # SMS: SMS_PROVIDER "aliyun" (Alibaba Cloud SMS) or "tencent" (Tencent Cloud SMS); off
    # without it or without the provider's credentials. SMS_SIGN_NAME is the approved
    # signature (签名); SMS_TEMPLATES gives the approved template of each kind of message as
    # "kind=template,…" (templates get ${title} and ${link}; "verify" gets ${code});
    # a kind without a template is not sent by SMS.
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER") or None
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
    SMS_TEMPLATES = dict(part.strip().split("=", 1) for part in os.environ.get("SMS_TEMPLATES", "").split(",")
                         if "=" in part)
    # Alibaba Cloud: the AccessKey pair of a RAM user allowed dysms:SendSms.
    SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID") or None
    SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET") or None
    SMS_ALIYUN_ENDPOINT = os.environ.get("SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com")
    SMS_ALIYUN_PROTOCOL = os.environ.get("SMS_ALIYUN_PROTOCOL", "https")
    SMS_ALIYUN_REGION = os.environ.get("SMS_ALIYUN_REGION", "cn-hangzhou")
    # Tencent Cloud: a SecretId/SecretKey pair and the SMS application's SdkAppId.
    SMS_TENCENT_SECRET_ID = os.environ.get("TENCENTCLOUD_SECRET_ID") or None
    SMS_TENCENT_SECRET_KEY = os.environ.get("TENCENTCLOUD_SECRET_KEY") or None
    SMS_TENCENT_APP_ID = os.environ.get("SMS_TENCENT_APP_ID") or None
    SMS_TENCENT_ENDPOINT = os.environ.get("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
    SMS_TENCENT_PROTOCOL = os.environ.get("SMS_TENCENT_PROTOCOL", "https")
    SMS_TENCENT_REGION = os.environ.get("SMS_TENCENT_REGION", "ap-guangzhou")
    # At most this many SMS a day (the site's day) per person and for the installation;
    # more wait for the next morning.
    SMS_DAILY_LIMIT_PER_PERSON = int(os.environ.get("SMS_DAILY_LIMIT_PER_PERSON", "5"))
    SMS_DAILY_LIMIT = int(os.environ.get("SMS_DAILY_LIMIT", "5000"))
    # No SMS, WeChat message or browser notification between QUIET_HOURS (local time; a
    # person may choose their own) except the URGENT_KINDS, which also skip the daily
    # digest. The former names SMS_QUIET_HOURS and SMS_URGENT_KINDS are still read.
    QUIET_HOURS = os.environ.get("QUIET_HOURS") or os.environ.get("SMS_QUIET_HOURS", "22:00-08:00")
    URGENT_KINDS = tuple(k.strip() for k in (os.environ.get("URGENT_KINDS") or os.environ.get(
        "SMS_URGENT_KINDS", "meeting.cancelled,meeting.changed,verify")).split(",") if k.strip())
    # The daily digest, for those who chose it: everything not urgent of the day, in one
    # message per channel at this local time.
    DIGEST_TIME = os.environ.get("DIGEST_TIME", "18:00")

    # WeChat official account (微信公众号, a service account with template messages): its
    # AppID and AppSecret; off without them. WECHAT_TEMPLATES gives the template of each kind
    # of message as "kind=template_id,…" (a kind without one is not sent by WeChat);
    # WECHAT_TEMPLATE_FIELDS names the template's fields and what fills them,
    # "field=title|text|link,…" (default "thing1=title,thing2=text": at most 20 characters each).
    WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID") or None
    WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET") or None
    WECHAT_TEMPLATES = dict(part.strip().split("=", 1) for part in os.environ.get("WECHAT_TEMPLATES", "").split(",")
                            if "=" in part)
    WECHAT_TEMPLATE_FIELDS = dict(part.strip().split("=", 1) for part in os.environ.get(
        "WECHAT_TEMPLATE_FIELDS", "thing1=title,thing2=text").split(",") if "=" in part)
    WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com")
    WECHAT_OAUTH_BASE = os.environ.get("WECHAT_OAUTH_BASE", "https://open.weixin.qq.com")

    # Web push (notifications in the browser, also on a phone's home screen): a VAPID key
    # pair, e.g. from `vapid --gen` (py-vapid): VAPID_PRIVATE_KEY the private key (PEM, or
    # its base64url DER), VAPID_PUBLIC_KEY the public key as base64url (the
    # applicationServerKey); VAPID_SUBJECT a contact, "mailto:…". Off without the keys.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY") or None
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:consult@localhost")

    # Reminders: those who have not voted in a ballot over a period, this many hours before
    # it closes; a meeting's invitees, this many hours before it begins (comma-separated,
    # empty: none). Each goes once per person and deadline.
    BALLOT_REMIND_HOURS = os.environ.get("BALLOT_REMIND_HOURS", "72,24")
    MEETING_REMIND_HOURS = os.environ.get("MEETING_REMIND_HOURS", "24,1")

    # Who reads what (PIPL's minimum necessary): "community" — a resident reads their own
    # community and what the subdistrict publishes, staff read where their roles reach;
    # "installation" — every signed-in person reads every place.
    READ_SCOPE = os.environ.get("READ_SCOPE", "community")

    # Days a raised matter may wait for triage before it shows as overdue.
    TRIAGE_DAYS = int(os.environ.get("TRIAGE_DAYS", "3"))

    # Motions (办事): how long each kind of responder has to acknowledge and to complete,
    # in hours, as "kind=ack/complete,…"; organisation kinds not listed take the defaults.
    MOTION_DEADLINES = _deadlines(os.environ.get(
        "MOTION_DEADLINES", "property_company=24/168,owners_committee=48/336,department=24/168,"
        "social_organisation=48/336"))
    MOTION_DEFAULT_DEADLINES = (24, 168)
    # A reminder this many hours before a deadline; an overdue motion goes one level up the
    # place tree after this grace period, and again after each further one.
    MOTION_REMIND_HOURS = int(os.environ.get("MOTION_REMIND_HOURS", "4"))
    MOTION_ESCALATION_GRACE_HOURS = int(os.environ.get("MOTION_ESCALATION_GRACE_HOURS", "48"))
    # 评事: residents rate a completed motion within this many days; it reopens when at least
    # MOTION_REOPEN_MIN_RATINGS have rated and the unsatisfied share reaches the threshold,
    # or at once when the resident who raised the matter is unsatisfied.
    MOTION_EVALUATION_DAYS = int(os.environ.get("MOTION_EVALUATION_DAYS", "7"))
    MOTION_REOPEN_SHARE = float(os.environ.get("MOTION_REOPEN_SHARE", "0.3"))
    MOTION_REOPEN_MIN_RATINGS = int(os.environ.get("MOTION_REOPEN_MIN_RATINGS", "3"))
    # 网格员承单: a grid worker accepts a resident's report within this many hours, or it
    # goes to the grid leader (网格长).
    REPORT_ACCEPT_HOURS = int(os.environ.get("REPORT_ACCEPT_HOURS", "2"))
    # Standing councils (月月有协商, 三方联席会): each occurrence is scheduled this many days
    # ahead, so that the invitees hear of it in time.
    COUNCIL_SCHEDULE_DAYS_AHEAD = int(os.environ.get("COUNCIL_SCHEDULE_DAYS_AHEAD", "14"))
    # How often the server looks for deadlines that passed (seconds; 0: only on access).
    MOTION_FOLLOW_UP_SECONDS = int(os.environ.get("MOTION_FOLLOW_UP_SECONDS", "60"))
    # Pages of motions look too, at most once in this many seconds per process (0: at
    # every view), so that nothing waits for a server without the background loop.
    MOTION_FOLLOW_UP_ON_ACCESS_SECONDS = int(os.environ.get("MOTION_FOLLOW_UP_ON_ACCESS_SECONDS", "10"))

    # Signed minutes are published to the residents for this many days (公示) before they
    # are archived; objections must be answered first.
    MINUTES_PUBLICITY_DAYS = int(os.environ.get("MINUTES_PUBLICITY_DAYS", "7"))

    # Owners' decisions (Civil Code art. 278). OWNERS_PROCEDURE: an owners' ballot opens
    # only on a register checked in public for OWNERS_REGISTER_CHECK_DAYS and frozen, and
    # OWNERS_NOTICE_DAYS after its notice (公告). OWNERS_CERTIFICATE_BINDING: an owner votes
    # online only once staff approved their property certificate number (不动产权证号);
    # without it, their unit is voted on paper. PROXY_MAX_OWNERS: the owners one proxy may
    # hold at a time.
    OWNERS_PROCEDURE = _bool("OWNERS_PROCEDURE", True)
    OWNERS_REGISTER_CHECK_DAYS = int(os.environ.get("OWNERS_REGISTER_CHECK_DAYS", "7"))
    OWNERS_NOTICE_DAYS = int(os.environ.get("OWNERS_NOTICE_DAYS", "15"))
    OWNERS_CERTIFICATE_BINDING = _bool("OWNERS_CERTIFICATE_BINDING", False)
    PROXY_MAX_OWNERS = int(os.environ.get("PROXY_MAX_OWNERS", "3"))

    # Owners' decisions: a ballot short of participation may be extended once, by at most
    # this many days; owners may object to the preliminary result for this many days.
    OWNERS_EXTENSION_MAX_DAYS = int(os.environ.get("OWNERS_EXTENSION_MAX_DAYS", "15"))
    OWNERS_OBJECTION_DAYS = int(os.environ.get("OWNERS_OBJECTION_DAYS", "7"))

    # Logs on standard error: "json" (one JSON line per record and per request) or "plain"
    # (Flask's default).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")

    # BACKUP_SIGNING_KEY signs the manifest of every backup (HMAC-SHA256); a restore refuses
    # a backup without this installation's signature. Keep it outside the backups (a
    # password safe): to restore on another machine, set the same key there. Empty: a key
    # derived from SECRET_KEY (HKDF with a fixed label), which changes when SECRET_KEY does.
    BACKUP_SIGNING_KEY = os.environ.get("BACKUP_SIGNING_KEY") or None

    # Household import: the largest file accepted.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", str(40 * 1024 * 1024)))

    # The JSON API (/api/v1): requests per token and per address (Flask-Limiter's
    # notation, "600/minute"); counted in RATELIMIT_STORAGE_URI, e.g. redis://127.0.0.1:6379/2
    # when several processes serve the site (default: in each process's memory).
    API_RATE_LIMIT_PER_TOKEN = os.environ.get("API_RATE_LIMIT_PER_TOKEN", "600/minute")
    API_RATE_LIMIT_PER_ADDRESS = os.environ.get("API_RATE_LIMIT_PER_ADDRESS", "1200/minute")
    # Webhooks: a failed delivery is tried again after WEBHOOK_RETRY_SECONDS, doubled after
    # each failure up to WEBHOOK_RETRY_MAX_SECONDS, at most WEBHOOK_MAX_ATTEMPTS times.
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
    WEBHOOK_RETRY_SECONDS = int(os.environ.get("WEBHOOK_RETRY_SECONDS", "60"))
    WEBHOOK_RETRY_MAX_SECONDS = int(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "21600"))
    WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "10"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Redis out of reach: count in each process's memory meanwhile rather than refuse.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    PASSWORD_HASH_COST = "default"

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    PAGE_SIZE = 50


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SOCKETIO_ASYNC_MODE = "threading"
    SQLALCHEMY_DATABASE_URI = os.environ.get("CONSULT_TEST_DATABASE_URL", "sqlite://")
    # An in-memory SQLite database has a single connection: no pool to size.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Tests act as fast as the machine goes; the tests of the limits set their own.
    ROOM_ACTIONS_PER_SECOND = ROOM_PERSON_ACTIONS_PER_SECOND = 10_000
    ROOM_STATEMENTS_PER_MINUTE = ROOM_HANDS_PER_MINUTE = ROOM_CASTS_PER_MINUTE = 10_000
    # Argon2 at full cost makes a suite of hundreds of logins slow; the parameters are
    # read from here so that tests use a cheaper (still Argon2id) setting.
    PASSWORD_HASH_COST = "test"
    MOTION_FOLLOW_UP_ON_ACCESS_SECONDS = 0
    # The tests of the other domains open owners' ballots at once; tests/owners follow the
    # whole procedure (OWNERS_PROCEDURE on).
    OWNERS_PROCEDURE = False
