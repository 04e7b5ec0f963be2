"""Who is asking: operators' passwords, the admin token, signed session cookies, CSRF tokens.

A session is a cookie signed with the console's session key (itsdangerous): the operator's
name, role and a random nonce; nothing secret is in it, and nothing is kept server-side.
Every POST carries a CSRF token derived from the visitor's nonce (the session's, or before
login an anonymous cookie's) with an HMAC under the same key: a page of another site can
make the browser send the cookie but cannot read or compute the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from sync.settings import ConsoleSettings

SESSION_COOKIE = "ocop_session"
ANON_COOKIE = "ocop_visitor"  # nonce of a visitor not logged in: the login form's CSRF
ROLES = ("viewer", "operator")
_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


@dataclass(frozen=True)
class User:
    """A logged-in person: name, role, and the nonce their CSRF token derives from."""

    name: str
    role: str
    nonce: str

    @property
    def may_resync(self) -> bool:
        """Only the operator role may start runs."""
        return self.role == "operator"


def hash_password(password: str) -> str:
    """An argon2id hash for the configuration's `password_hash`."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when `password` matches an argon2 or bcrypt hash; never raises."""
    if stored.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            import bcrypt  # optional: only for hashes made elsewhere

            return bool(bcrypt.checkpw(password.encode(), stored.encode()))
        except (ImportError, ValueError):
            return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


class Authenticator:
    """Checks credentials against the configuration and signs/reads session cookies."""

    def __init__(self, config: ConsoleSettings) -> None:
        self.config = config
        key = config.session_key.get_secret_value() if config.session_key else None
        # Without a configured key sessions last as long as this process (fine on one host).
        self._key = (key or secrets.token_urlsafe(32)).encode()
        self._sessions = URLSafeTimedSerializer(self._key, salt="ocop-console-session")
        self.max_age = int(config.session_hours * 3600)

    @property
    def configured(self) -> bool:
        """False when nobody could log in (no operators, no admin token)."""
        return bool(self.config.operators or self.config.admin_token)

    def login(self, name: str, password: str) -> User | None:
        """The user these credentials belong to, or None."""
        token = self.config.admin_token
        if token is not None and name == "admin":
            if hmac.compare_digest(password.encode(), token.get_secret_value().encode()):
                return User("admin", "operator", secrets.token_urlsafe(16))
            return None
        for operator in self.config.operators:
            if operator.name == name:
                if verify_password(operator.password_hash.get_secret_value(), password):
                    return User(operator.name, operator.role, secrets.token_urlsafe(16))
                return None
        verify_password(_DUMMY_HASH, password)
        return None

    def session_cookie(self, user: User) -> str:
        """The signed cookie value of a session."""
        return self._sessions.dumps({"u": user.name, "r": user.role, "n": user.nonce})

    def user_from(self, cookie: str | None) -> User | None:
        """The session's user, or None when absent, forged, expired or no longer configured."""
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=self.max_age)
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        name, role, nonce = data.get("u"), data.get("r"), data.get("n")
        if not (isinstance(name, str) and isinstance(nonce, str) and role in ROLES):
            return None
        return User(name, self._current_role(name, str(role)), nonce)

    def _current_role(self, name: str, role: str) -> str:
        # A role lowered in the configuration applies at the next request, not next login.
        for operator in self.config.operators:
            if operator.name == name:
                return operator.role
        return role if name == "admin" and self.config.admin_token else "viewer"

    def csrf_token(self, nonce: str) -> str:
        """The CSRF token of the visitor with this nonce."""
        return hmac.new(self._key, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, nonce: str | None, token: str | None) -> bool:
        """True when `token` is this visitor's CSRF token."""
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce), token)


def new_nonce() -> str:
    """A fresh visitor nonce."""
    return secrets.token_urlsafe(16)
