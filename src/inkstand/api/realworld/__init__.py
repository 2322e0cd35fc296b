"""A RealWorld ("Conduit") compatible API under /api, so that RealWorld front ends
run on Inkstand: a thin adapter over the accounts, blog and comments services."""

from __future__ import annotations

from inkstand.api.realworld import articles, comments, users
from inkstand.api.realworld.blueprint import bp, init_app

__all__ = ["articles", "bp", "comments", "init_app", "users"]
