"""People who use Inkstand, and what they may do."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from inkstand.db import IDS_NEVER_REUSED, Base, PublicContent, UTCDateTime, utcnow

# How a comment whose writer's account was deleted names its writer.
DELETED_ACCOUNT = "deleted account"


class Role(StrEnum):
    """Roles, weakest first: each may do what the ones before it may."""

    READER = "reader"
    AUTHOR = "author"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class EmailConfirmation(StrEnum):
    """The values of the site setting ``email_confirmation``."""

    REQUIRED = "required"  # an account confirms its address before it comments
    OFF = "off"  # not required: accounts comment at once


class User(PublicContent, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.READER.value)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # An address of a picture of the person, shown beside her name; "" for none.
    image_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The stored file of her uploaded avatar (an image of her own, its smallest copy
    # when it has one; see media.services.set_avatar); "" for none. One avatar at a
    # time: uploading one clears image_url, and a new image_url clears this.
    avatar_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # Whether she is told by e-mail of new comments on her posts.
    notify_comments: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The nonce the one live link confirming a new address carries (see
    # passwords.AddressLinks); None when no change of address is waiting.
    email_change_nonce: Mapped[str | None] = mapped_column(String(32))
    # When the account holder proved the address is hers (a link mailed to it, or an
    # operator's account); None until then. See accounts.permissions.must_confirm.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The nonce the one live link confirming the address at registration carries.
    email_confirm_nonce: Mapped[str | None] = mapped_column(String(32))
    # Two-factor log-in: the TOTP secret (base32) once enrolled, and the last time step
    # a code was accepted for, so that a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Raised by "log out everywhere": part of every session's and RealWorld token's
    # fingerprint, so raising it ends them all (see accounts/sessions.py).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # When an admin suspended the account: it cannot log in, and its sessions and
    # tokens open nothing, until she lifts it. None for an account in good standing.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Made by `inkstand demo`: `inkstand demo --clear` removes exactly these.
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Her time zone (an IANA name such as "Europe/Paris"): times she schedules are
    # shown in it beside UTC.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("uq_users_username_lower", func.lower(username), unique=True),
        # The admin's list of accounts, newest first, read by keyset.
        Index("ix_users_created_at_id", "created_at", "id"),
        IDS_NEVER_REUSED,
    )
    private_fields = frozenset(
        {
            "email", "password_hash", "role", "notify_comments", "email_change_nonce",
            "email_confirmed_at", "email_confirm_nonce", "totp_secret", "totp_last_step",
            "session_generation", "suspended_at", "demo", "time_zone",
        }
    )  # fmt: skip

    # Flask-Login reads these; kept here so the model needs no Flask import.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """False while suspended: Flask-Login then refuses to log the account in."""
        return self.suspended_at is None

    def get_id(self) -> str:
        """Flask-Login's key of the account; a log-in replaces it at once with the
        session's own key (accounts/sessions.py), and the loader refuses it alone."""
        return str(self.id)

    @property
    def password_fingerprint(self) -> str:
        """What a password reset link carries: a new password makes the link dead."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def two_factor(self) -> bool:
        """Whether a log-in asks for a code after the password."""
        return self.totp_secret is not None

    @property
    def session_fingerprint(self) -> str:
        """What every session and RealWorld token carries: a new password, or "log out
        everywhere" (a new session generation), changes it and so ends them all."""
        seed = f"{self.password_hash}\n{self.session_generation}"
        return hashlib.sha256(seed.encode()).hexdigest()[:16]

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def has_role(self, role: Role | str) -> bool:
        """True when the account's role is ``role`` or a stronger one."""
        return self.role_enum.rank >= Role(role).rank

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class UsernameRedirect(PublicContent, Base):
    """A name an account had: its old author page redirects to the account's page
    under whatever name it has now. Kept lower-cased, as names are matched. An
    old name is free for anyone at once; whoever takes it deletes its row."""

    __tablename__ = "username_redirects"

    username: Mapped[str] = mapped_column(String(30), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Follow(PublicContent, Base):
    """A reader following a writer: her posts make the reader's feed. Public
    content because author pages show how many follow her."""

    __tablename__ = "follows"

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_follows_followed_id_follower_id", "followed_id", "follower_id"),)


class RecoveryCode(Base):
    """One of the single-use codes that stand in for a two-factor code when the phone
    is lost. Only a SHA-256 of each is kept: a code holds 64 random bits, shown once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EndedSession(Base):
    """A log-in session ended before its time (logged out): its key, copied anywhere,
    opens nothing. Kept until the key would have expired anyway, then purged."""

    __tablename__ = "ended_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the session's random id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "read-write"


class ApiToken(Base):
    """A personal access token for the API. Only a hash of the secret is kept:
    the token itself is shown once, when it is made."""

    __tablename__ = "api_tokens"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(16), default=TokenScope.READ.value)
    # SHA-256 of the whole token, hex; the token holds 256 random bits, so a
    # plain hash is enough and can be looked up directly.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in the list to tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id} ({self.scope})>"


class Invitation(Base):
    """An admin's invitation to join with a role. The mailed link names the row and
    is signed (``passwords.InviteLinks``); accepting it deletes the row, so the link
    works once, and the account it made keeps nothing of it."""

    __tablename__ = "invitations"
    __table_args__ = IDS_NEVER_REUSED  # the mailed link names the row

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A random value the link carries: a row id alone could be guessed.
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Invitation {self.id} ({self.role})>"
