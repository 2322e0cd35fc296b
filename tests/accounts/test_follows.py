"""Following authors, as every door (form or API) calls it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand.accounts import services
from inkstand.accounts.models import Follow
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.extensions import db
from inkstand.site import services as site


def _follows() -> set[tuple[int, int]]:
    return {(f.follower_id, f.followed_id) for f in db.session.scalars(select(Follow))}


@pytest.mark.parametrize("role", ["reader", "author", "editor", "admin"])
def test_any_account_follows_an_author(factory, role):
    author, fan = factory.user(username="ada"), factory.user(role)
    assert services.follow(db.session, fan, "ada").id == author.id
    assert _follows() == {(fan.id, author.id)}


def test_following_is_by_name_whatever_its_case(factory):
    author, fan = factory.user(username="Ada"), factory.user("reader")
    assert services.follow(db.session, fan, "aDA").id == author.id


def test_following_twice_changes_nothing(factory):
    author, fan = factory.user(username="ada"), factory.user("reader")
    services.follow(db.session, fan, "ada")
    services.follow(db.session, fan, "ada")
    assert _follows() == {(fan.id, author.id)}


def test_unfollowing_removes_only_that_follow_and_twice_changes_nothing(factory):
    ada, bea, fan = factory.user(username="ada"), factory.user(username="bea"), factory.user()
    services.follow(db.session, fan, "ada")
    services.follow(db.session, fan, "bea")
    services.follow(db.session, ada, "bea")
    assert services.unfollow(db.session, fan, "ada").id == ada.id
    services.unfollow(db.session, fan, "ada")
    assert _follows() == {(fan.id, bea.id), (ada.id, bea.id)}


def test_a_visitor_may_not_follow(factory):
    factory.user(username="ada")
    with pytest.raises(Forbidden):
        services.follow(db.session, None, "ada")
    with pytest.raises(Forbidden):
        services.unfollow(db.session, None, "ada")
    assert _follows() == set()


def test_nobody_follows_herself(factory):
    ada = factory.user(username="ada")
    with pytest.raises(Invalid) as error:
        services.follow(db.session, ada, "ADA")
    assert error.value.errors == {"username": ["You cannot follow yourself."]}
    assert _follows() == set()


@pytest.mark.parametrize("action", [services.follow, services.unfollow])
@pytest.mark.parametrize("name", ["nobody", "", "x" * 500, "ada\x00", "%"])
def test_an_unknown_name_is_not_found(factory, action, name):
    factory.user(username="ada")
    with pytest.raises(NotFound):
        action(db.session, factory.user("reader"), name)


def test_following_ids_answers_for_many_authors_in_one_query(factory, queries):
    fan = factory.user("reader")
    authors = [factory.user(username=f"writer{n}") for n in range(5)]
    for author in authors[:3]:
        services.follow(db.session, fan, author.username)
    queries.clear()
    found = services.following_ids(db.session, fan, [a.id for a in authors] + [10**6])
    assert found == {a.id for a in authors[:3]}
    assert len(queries) == 1


def test_following_ids_costs_nothing_for_a_visitor_or_no_authors(factory, queries):
    fan = factory.user("reader")
    queries.clear()
    assert services.following_ids(db.session, None, [fan.id]) == set()
    assert services.following_ids(db.session, fan, []) == set()
    assert queries == []


def test_a_profile_counts_followers_and_knows_the_viewer_in_one_query(factory, queries):
    ada, fan, other = factory.user(username="ada"), factory.user(), factory.user()
    services.follow(db.session, fan, "ada")
    services.follow(db.session, other, "ada")
    services.follow(db.session, ada, other.username)
    for viewer, followed in [(fan, True), (ada, False), (None, False)]:
        queries.clear()
        profile = services.get_profile(db.session, viewer, "ADA")
        assert (profile.user.id, profile.followers, profile.followed) == (ada.id, 2, followed)
        assert len(queries) == 1
    with pytest.raises(NotFound):
        services.get_profile(db.session, None, "nobody")


def test_following_retires_cached_pages_and_unfollowing_too(factory):
    """Author pages show the follower count, so a follow is a change visitors see."""
    factory.user(username="ada")
    fan = factory.user()
    versions = [site.content_version(db.session)]
    services.follow(db.session, fan, "ada")
    versions.append(site.content_version(db.session))
    services.unfollow(db.session, fan, "ada")
    versions.append(site.content_version(db.session))
    services.unfollow(db.session, fan, "ada")  # nothing changes, nothing is retired
    versions.append(site.content_version(db.session))
    assert len(set(versions)) == 3
    assert versions[2] == versions[3]


def test_a_follow_goes_with_either_account(factory):
    ada, fan = factory.user(username="ada"), factory.user()
    services.follow(db.session, fan, "ada")
    db.session.delete(fan)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0
    assert ada.id
