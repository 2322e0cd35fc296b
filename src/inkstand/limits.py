"""Rate-limit policies: each declared once, with its setting and its key, and applied
by every door (the site's pages, /api/v1, the RealWorld API) that needs it.

A door names the policy and says only what it alone knows: who is asking (its own
way of finding the calling account) or which account a log-in names (its own
body's field). The budget, its scope, its setting, which requests spend it and how
its key is written live here, so a comment posted through any door spends the same
budget::

    @limits.COMMENT(account=auth.viewer)
    def create(...): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

from flask import Response, current_app
from flask_limiter.util import get_remote_address

from inkstand.extensions import limiter

View = TypeVar("View", bound=Callable[..., Any])


class Identified(Protocol):
    id: int


class Per(Enum):
    """Whom a budget belongs to."""

    ADDRESS = "address"  # the client address (behind PROXY_COUNT trusted proxies)
    ACCOUNT = "account"  # the calling account; calls without one spend nothing
    LOGIN_NAME = "login name"  # the account a log-in attempt names, found or not
    BEARER = "API token"  # the token presented (hashed), else the client address


def client_address() -> str:
    return get_remote_address() or ""


def login_name(name: object) -> str:
    """The key of a log-in name: the same account whatever its case or spacing."""
    return name.strip().lower()[:254] if isinstance(name, str) else ""


def failed(response: Response) -> bool:
    """Whether an answer refused the request (a wrong password, an invalid form)."""
    return response.status_code >= 400


@dataclass(frozen=True)
class Budget:
    """One budget: a setting in Flask-Limiter notation, spent under one scope."""

    scope: str
    setting: str
    per: Per

    def limits(self) -> str:
        return str(current_app.config[self.setting])


@dataclass(frozen=True)
class Policy:
    """A named set of budgets and the requests that spend them."""

    name: str
    budgets: tuple[Budget, ...]
    methods: tuple[str, ...] | None = None  # None: every method
    only_failures: bool = False  # only refused requests spend (failed log-ins)

    def __call__(
        self,
        *,
        account: Callable[[], Identified | None] | None = None,
        name: Callable[[], object] | None = None,
        token: Callable[[], str | None] | None = None,
    ) -> Callable[[View], View]:
        """Apply the policy to a view (or a blueprint). The door passes how it finds
        what a budget is per: ``account`` (the calling account or None), ``name``
        (the log-in name sent) or ``token`` (the API token's digest or None)."""
        found = {Per.ACCOUNT: account, Per.LOGIN_NAME: name, Per.BEARER: token}
        missing = [b.per.value for b in self.budgets if b.per != Per.ADDRESS and not found[b.per]]
        if missing:
            raise TypeError(f"the {self.name} policy needs to know the {', '.join(missing)}")

        def apply(view: View) -> View:
            # Flask-Limiter checks limits of one period in the order they are added and
            # stops at the first refusal: a request refused by a budget spends no later one.
            for budget in self.budgets:
                limited = self._limit(budget, found.get(budget.per))(view)
                view = view if limited is None else limited  # a blueprint is limited in place
            return view

        return apply

    def _limit(self, budget: Budget, find: Callable[[], Any] | None) -> Any:
        key, exempt = _key(budget.per, find)
        return limiter.shared_limit(
            budget.limits, budget.scope, key_func=key, exempt_when=exempt,
            methods=list(self.methods) if self.methods else None,
            deduct_when=failed if self.only_failures else None,
            override_defaults=False,  # a route's policy adds to its blueprint's, never replaces
        )  # fmt: skip


def _key(
    per: Per, find: Callable[[], Any] | None
) -> tuple[Callable[[], str], Callable[[], bool] | None]:
    """The key function of a budget (never empty: Flask-Limiter skips an empty key),
    and when a request is exempt from it."""
    if per == Per.ACCOUNT and find is not None:
        account = find

        def by_account() -> str:
            caller = account()
            return f"account:{caller.id if caller is not None else ''}"

        return by_account, lambda: account() is None
    if per == Per.LOGIN_NAME and find is not None:
        named = find
        return lambda: "name:" + login_name(named()), None
    if per == Per.BEARER and find is not None:
        presented = find

        def by_token() -> str:
            digest = presented()
            return "token:" + digest if digest else "address:" + client_address()

        return by_token, None
    return client_address, None


POST = ("POST",)

COMMENT = Policy(
    "comment",
    (
        Budget("comment-account", "COMMENT_LIMITS_PER_ACCOUNT", Per.ACCOUNT),
        Budget("comment-address", "COMMENT_LIMITS_PER_ADDRESS", Per.ADDRESS),
    ),
    methods=POST,
)
LOGIN = Policy(
    "login",
    (
        Budget("login-account", "LOGIN_LIMITS_PER_ACCOUNT", Per.LOGIN_NAME),
        Budget("login-address", "LOGIN_LIMITS_PER_ADDRESS", Per.ADDRESS),
    ),
    methods=POST,
    only_failures=True,
)
REGISTER = Policy(
    "register", (Budget("register-address", "REGISTER_LIMITS_PER_ADDRESS", Per.ADDRESS),), POST
)
PASSWORD_RESET = Policy(
    "password-reset",
    (Budget("password-reset-address", "PASSWORD_RESET_LIMITS_PER_ADDRESS", Per.ADDRESS),),
    methods=POST,
)
ADDRESS_CHANGE = Policy(
    "address-change",
    (Budget("address-change-account", "ADDRESS_CHANGE_LIMITS_PER_ACCOUNT", Per.ACCOUNT),),
    methods=POST,
)
DATA_EXPORT = Policy(
    "data-export",
    (Budget("data-export-account", "DATA_EXPORT_LIMITS_PER_ACCOUNT", Per.ACCOUNT),),
    methods=POST,
)
PREVIEW = Policy(
    "preview", (Budget("preview-account", "PREVIEW_LIMITS_PER_ACCOUNT", Per.ACCOUNT),), POST
)
AUTOSAVE = Policy(
    "autosave", (Budget("autosave-account", "AUTOSAVE_LIMITS_PER_ACCOUNT", Per.ACCOUNT),), POST
)
LIVE = Policy("live", (Budget("live-address", "LIVE_LIMITS_PER_ADDRESS", Per.ADDRESS),))
API = Policy(
    "api",
    (
        Budget("api-v1", "API_LIMITS", Per.BEARER),
        Budget("api-v1-address", "API_LIMITS_PER_ADDRESS", Per.ADDRESS),
    ),
)

POLICIES = (
    COMMENT, LOGIN, REGISTER, PASSWORD_RESET, ADDRESS_CHANGE, DATA_EXPORT, PREVIEW, AUTOSAVE,
    LIVE, API,
)  # fmt: skip
