"""People who use Inkstand, and what they may do."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from inkstand.db import Base, PublicContent, UTCDateTime, utcnow


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("uq_users_username_lower", func.lower(username), unique=True),)
    private_fields = frozenset({"email", "password_hash", "role"})

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
