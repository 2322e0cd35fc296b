"""The answer to a button that marks or unmarks something for the account pressing
it (Follow, Favourite): the same for every feature that has one."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue

from inkstand import runtime
from inkstand.accounts.models import User
from inkstand.exceptions import Invalid


def pressed(
    change: Callable[[User], tuple[str, str]], *, log_in_first: str, back: str | None
) -> ResponseReturnValue:
    """Run ``change`` as the account, which answers what to say and where to go, and go
    there; a refusal is said as an error, back on ``back``. A visitor (logged out in
    another tab since the page was shown) is asked to log in, then sent ``back``."""
    user = runtime.user()
    if user is None:
        flash(log_in_first, "info")
        return redirect(url_for("accounts.login", next=back))
    try:
        done, where = change(user)
    except Invalid as error:
        flash(error.message, "error")
        return redirect(back or url_for("blog.index"))
    flash(done, "success")
    return redirect(where)
