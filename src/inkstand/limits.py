"""Rate-limit policies: each declared once, with its setting and its key, and applied
by every door (the site's pages, /api/v1, the RealWorld API) that needs it.

A door names the policy and says only what it alone knows: who is asking (its own
way of finding the calling account) or which account a log-in names (its own
body's field). The budget, its scope, its setting, which requests spend it and how
its key is written live here, so a comment posted through any door spends the same
budget::

    @limits.COMMENT(account=auth.viewer)
    def create(...): ...

Two other kinds of limit are declared here too: a ``Quota`` a service spends
silently where a 429 would tell too much (reset mails to one account), and a ``Cap``
on what one client holds at once (open live streams per address and per account).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

from flask import Response, current_app
from flask_limiter.util import get_remote_address
from limits import parse_many

from inkstand import backends
from inkstand.extensions import limiter
from inkstand.slots import Slots

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., Any])


class Identified(Protocol):
    id: int


class Per(Enum):
    """Whom a budget belongs to."""

    ADDRESS = "address"  # the client address (behind PROXY_COUNT trusted proxies)
    ACCOUNT = "account"  # the calling account; calls without one spend nothing
    LOGIN_NAME = "login name"  # the account a log-in attempt names, found or not
    LOGIN_NAME_AT_ADDRESS = "login name at address"  # that account, from the client address
    BEARER = "API token"  # the token presented (hashed), else the client address


def client_address() -> str:
    return get_remote_address() or ""


def failed(response: Response) -> bool:
    """Whether an answer refused the request (a wrong password, an invalid form). A
    request refused by a limit tried nothing and spends nothing: an attacker slowed
    by her own address's budget stops spending the account's."""
    return response.status_code >= 400 and response.status_code != 429


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
        (the key of the account a log-in names, ``accounts.services.login_key``: the
        same whether named by username or e-mail, in any case or spacing) or ``token``
        (the API token's digest or None)."""
        found = {Per.ACCOUNT: account, Per.LOGIN_NAME: name, Per.LOGIN_NAME_AT_ADDRESS: name,
                 Per.BEARER: token}  # fmt: skip
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
        return lambda: f"login:{named()}", lambda: KNOWN_LOGIN_ADDRESSES.knows(named())
    if per == Per.LOGIN_NAME_AT_ADDRESS and find is not None:
        named_here = find
        return lambda: f"login:{named_here()}|address:{client_address()}", None
    if per == Per.BEARER and find is not None:
        presented = find

        def by_token() -> str:
            digest = presented()
            return "token:" + digest if digest else "address:" + client_address()

        return by_token, None
    return client_address, None


@dataclass(frozen=True)
class Quota:
    """A budget a service spends by its own choice, silently, where a 429 would tell too
    much: a password-reset mail goes only to an account that exists, so refusing the
    request openly would say which addresses have one. Kept where the limits are."""

    scope: str
    setting: str

    def allows(self, key: str) -> bool:
        """Spend one from ``key``'s budget; False when it was already spent."""
        try:
            strategy = limiter.limiter
            items = parse_many(str(current_app.config[self.setting]))
            spent = [strategy.hit(item, self.scope, key) for item in items]  # every period
            return all(spent)
        except Exception:  # the store is unreachable: the per-address limits still stand
            log.exception("the %s quota could not be counted", self.scope)
            return True


class Held:
    """A slot held under a cap, until ``release`` (which may be called more than once)."""

    def __init__(self, slots: Slots, keys: list[str], slot: str) -> None:
        self._slots, self._keys, self._slot = slots, keys, slot
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._slots.give_back(self._keys, self._slot)


@dataclass(frozen=True)
class Cap:
    """At most so many held at once (open live streams), per client address and per
    account, whichever app process holds them (counted in Redis, or in the one
    process): one client cannot take every slot."""

    name: str
    per_address: str  # the settings of each cap
    per_account: str

    def caps(self, account: Identified | None) -> dict[str, int]:
        config = current_app.config
        caps = {f"{self.name}:address:{client_address()}": int(config[self.per_address])}
        if account is not None:
            caps[f"{self.name}:account:{account.id}"] = int(config[self.per_account])
        return caps

    def take(self, account: Identified | None, lease: float) -> Held | None:
        """A slot for this request's client (and ``account``), held for at most ``lease``
        seconds; None when the address or the account holds as many as it may."""
        slots: Slots = current_app.extensions[backends.SLOTS]
        caps = self.caps(account)
        slot = slots.take(caps, lease)
        return Held(slots, list(caps), slot) if slot is not None else None


@dataclass(frozen=True)
class KnownAddresses:
    """The client addresses each account logged in from lately, kept where the limits'
    counters are. The account's log-in budget over every address does not apply at
    an address it knows: strangers elsewhere who spend that budget do not keep the
    owner out where she usually logs in (her address's own budgets still apply)."""

    scope: str
    seconds: int

    def _key(self, name: str) -> str:
        return f"{self.scope}/{name}/{client_address()}"

    def remember(self, name: str) -> None:
        """Remember this request's client address for the account keyed ``name``."""
        try:
            limiter.storage.incr(self._key(name), self.seconds)
        except Exception:  # the store is unreachable: the address is simply not known
            log.exception("a known log-in address could not be kept")

    def knows(self, name: str) -> bool:
        try:
            return bool(limiter.storage.get(self._key(name)))
        except Exception:
            return False


POST = ("POST",)

COMMENT = Policy(
    "comment",
    (
        Budget("comment-account", "COMMENT_LIMITS_PER_ACCOUNT", Per.ACCOUNT),
        Budget("comment-address", "COMMENT_LIMITS_PER_ADDRESS", Per.ADDRESS),
    ),
    methods=POST,
)
# Failed log-ins. An address that fails at one account is slowed for long (its own
# budgets, of hours), but the account's budget over every address has short periods
# only: a stranger who spends it keeps the owner out for a minute at most, not an hour,
# and not at all at an address she logged in from lately.
KNOWN_LOGIN_ADDRESSES = KnownAddresses("login-known", 30 * 24 * 3600)
LOGIN = Policy(
    "login",
    (
        Budget("login-account-address", "LOGIN_LIMITS_PER_ACCOUNT_AND_ADDRESS",
               Per.LOGIN_NAME_AT_ADDRESS),
        Budget("login-address", "LOGIN_LIMITS_PER_ADDRESS", Per.ADDRESS),
        Budget("login-account", "LOGIN_LIMITS_PER_ACCOUNT", Per.LOGIN_NAME),
    ),
    methods=POST,
    only_failures=True,
)  # fmt: skip
REGISTER = Policy(
    "register", (Budget("register-address", "REGISTER_LIMITS_PER_ADDRESS", Per.ADDRESS),), POST
)
PASSWORD_RESET = Policy(
    "password-reset",
    (Budget("password-reset-address", "PASSWORD_RESET_LIMITS_PER_ADDRESS", Per.ADDRESS),),
    methods=POST,
)
# Reset mails to one account, whoever asks from wherever: a stranger rotating
# addresses cannot flood one inbox. Spent only when a mail would go.
PASSWORD_RESET_MAIL = Quota("password-reset-account", "PASSWORD_RESET_LIMITS_PER_ACCOUNT")
ADDRESS_CHANGE = Policy(
    "address-change",
    (Budget("address-change-account", "ADDRESS_CHANGE_LIMITS_PER_ACCOUNT", Per.ACCOUNT),),
    methods=POST,
)
CONFIRMATION_MAIL = Policy(
    "confirmation-mail",
    (Budget("confirmation-mail-account", "CONFIRMATION_MAIL_LIMITS_PER_ACCOUNT", Per.ACCOUNT),),
    methods=POST,
)
SUBSCRIBE = Policy(
    "subscribe", (Budget("subscribe-address", "SUBSCRIBE_LIMITS_PER_ADDRESS", Per.ADDRESS),), POST
)
# Confirmation mails to one subscriber address, whoever asks from wherever; spent
# silently, so the form never says whether an address is subscribed.
SUBSCRIPTION_MAIL = Quota("subscription-mail-address", "SUBSCRIPTION_MAIL_LIMITS_PER_ADDRESS")
# Codes typed at log-in, at enrolment and to turn two-factor log-in off: only wrong ones
# spend, per account (the one logging in, or the logged-in one) and per address.
TWO_FACTOR = Policy(
    "two-factor",
    (
        Budget("two-factor-account", "TWO_FACTOR_LIMITS_PER_ACCOUNT", Per.ACCOUNT),
        Budget("two-factor-address", "TWO_FACTOR_LIMITS_PER_ADDRESS", Per.ADDRESS),
    ),
    methods=POST,
    only_failures=True,
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
# Live streams and long polls open at once; LIVE_READERS_MAX caps each process besides.
LIVE_READERS = Cap("live", "LIVE_READERS_PER_ADDRESS", "LIVE_READERS_PER_ACCOUNT")
API = Policy(
    "api",
    (
        Budget("api-v1", "API_LIMITS", Per.BEARER),
        Budget("api-v1-address", "API_LIMITS_PER_ADDRESS", Per.ADDRESS),
    ),
)

POLICIES = (
    COMMENT, LOGIN, REGISTER, PASSWORD_RESET, ADDRESS_CHANGE, CONFIRMATION_MAIL, TWO_FACTOR,
    DATA_EXPORT, PREVIEW, AUTOSAVE, LIVE, API, SUBSCRIBE,
)  # fmt: skip
