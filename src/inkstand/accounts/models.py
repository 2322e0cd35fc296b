"""People who use Inkstand, and what they may do."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, func, true
from sqlalchemy.orm import Mapped, mapped_column

from inkstand.db import IDS_NEVER_REUSED, Base, PublicContent, UTCDateTime, utcnow


class Role(StrEnum):
    """Roles, weakest first: each may do what the ones before it may."""

    READER = "reader"
    AUTHOR = "author"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


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
    # Whether she is told by e-mail of new comments on her posts.
    notify_comments: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The nonce the one live link confirming a new address carries (see
    # passwords.AddressLinks); None when no change of address is waiting.
    email_change_nonce: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("uq_users_username_lower", func.lower(username), unique=True),
        IDS_NEVER_REUSED,
    )
    private_fields = frozenset(
        {"email", "password_hash", "role", "notify_comments", "email_change_nonce"}
    )

    # Flask-Login reads these; kept here so the model needs no Flask import.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return True

    def get_id(self) -> str:
        """The key a session keeps: a new password ends every other session."""
        return f"{self.id}:{self.password_fingerprint}"

    @property
    def password_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

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
