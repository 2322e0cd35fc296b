"""Follows, favourites and the feed through HTTP: the buttons, the counts, the
feed page, what visitors get, and what each page costs."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from inkstand.accounts import services as accounts
from inkstand.accounts.models import Follow, User
from inkstand.blog.models import Post
from inkstand.blog.services import favourites
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import PAGE_BUDGETS, PASSWORD, bulk_posts, change_account, login, submit


def _text(response) -> str:
    return response.get_data(as_text=True)


def _forms(html: str) -> list[str]:
    """The actions of the POST forms in the page's main part (not the menu's log-out)."""
    main = html.split('<main id="content"', 1)[1]
    return re.findall(r'<form method="post" action="([^"]+)"', main)


def _follows() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(Follow)) or 0)


def _favourites(post: Post) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(Post.favourite_count).where(Post.id == post.id)) or 0)


class TestAuthorPage:
    def test_a_visitor_is_offered_a_log_in_that_comes_back(self, client, factory):
        factory.user(username="ada")
        html = _text(client.get("/authors/ada"))
        assert "0 followers" in html
        assert _forms(html) == []
        assert 'href="/login?next=/authors/ada">Follow</a>' in html
        assert "csrf" not in html.lower()  # nothing tied to a session on a shared page

    def test_a_reader_follows_and_unfollows_with_the_button(self, client, factory):
        factory.user(username="ada")
        login(client, factory.user("reader"))
        html = _text(client.get("/authors/ada"))
        assert _forms(html) == ["/authors/ada/follow"]
        response = submit(client, "/authors/ada/follow", page="/authors/ada")
        assert response.status_code == 302
        assert response.headers["Location"] == "/authors/ada"
        html = _text(client.get("/authors/ada"))
        assert "You now follow ada." in html
        assert "1 follower<" in html
        assert _forms(html) == ["/authors/ada/unfollow"]
        submit(client, "/authors/ada/unfollow", page="/authors/ada")
        assert _follows() == 0
        html = _text(client.get("/authors/ada"))
        assert "You no longer follow ada." in html
        assert _forms(html) == ["/authors/ada/follow"]

    def test_an_author_gets_no_button_on_her_own_page(self, client, factory):
        ada = factory.user(username="ada")
        login(client, ada)
        assert _forms(_text(client.get("/authors/ada"))) == []

    def test_following_herself_by_a_forged_form_is_refused_with_a_message(self, client, factory):
        ada = factory.user(username="ada")
        login(client, ada)
        response = submit(client, "/authors/ada/follow", follow_redirects=True)
        assert response.status_code == 200
        assert "You cannot follow yourself." in _text(response)
        assert _follows() == 0

    @pytest.mark.parametrize("action", ["follow", "unfollow"])
    @pytest.mark.parametrize("name", ["nobody", "a%00b", "x" * 300])
    def test_an_unknown_author_is_not_found(self, client, factory, action, name):
        login(client, factory.user("reader"))
        assert submit(client, f"/authors/{name}/{action}").status_code == 404
        assert client.get(f"/authors/{name}").status_code == 404

    def test_a_logged_out_form_sends_to_log_in_and_back(self, client, factory):
        """A form shown before logging out elsewhere: log in, then the author page."""
        factory.user(username="ada")
        reader = factory.user("reader")
        response = submit(client, "/authors/ada/follow")  # a session, but no account
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == ["/authors/ada"]
        response = submit(
            client, f"/login?{location.query}", {"login": reader.username, "password": PASSWORD}
        )
        assert response.headers["Location"] == "/authors/ada"
        assert _follows() == 0


class TestPostPage:
    def test_a_visitor_sees_the_count_and_a_log_in_link(self, client, factory):
        post = factory.post(factory.user())
        favourites.favourite(db.session, factory.user("reader"), post.id)
        html = _text(client.get(f"/posts/{post.slug}"))
        assert "1 favourite<" in html
        assert f'href="/login?next=/posts/{post.slug}">Favourite</a>' in html
        assert not [f for f in _forms(html) if "favourite" in f]

    @pytest.mark.parametrize("role", ["reader", "author", "editor", "admin"])
    def test_an_account_favourites_and_unfavourites(self, client, factory, role):
        post = factory.post(factory.user(username="ada"))
        login(client, factory.user(role))
        page = f"/posts/{post.slug}"
        assert f"/posts/{post.id}/favourite" in _forms(_text(client.get(page)))
        response = submit(client, f"/posts/{post.id}/favourite", page=page)
        assert response.headers["Location"] == page
        html = _text(client.get(page))
        assert "Added to your favourites." in html
        assert "1 favourite<" in html
        assert f"/posts/{post.id}/unfavourite" in _forms(html)
        submit(client, f"/posts/{post.id}/favourite", page=page)  # twice counts once
        assert _favourites(post) == 1
        submit(client, f"/posts/{post.id}/unfavourite", page=page)
        assert _favourites(post) == 0
        assert f"/posts/{post.id}/favourite" in _forms(_text(client.get(page)))

    def test_the_author_may_favourite_her_own_post(self, client, factory):
        ada = factory.user()
        post = factory.post(ada)
        login(client, ada)
        assert submit(client, f"/posts/{post.id}/favourite").status_code == 302
        assert _favourites(post) == 1

    @pytest.mark.parametrize("action", ["favourite", "unfavourite"])
    def test_a_draft_of_another_or_an_unknown_post_is_not_found(self, client, factory, action):
        draft = factory.post(factory.user(), status="draft")
        login(client, factory.user("author"))
        for post_id in (draft.id, 10**6, 2**31):
            assert submit(client, f"/posts/{post_id}/{action}").status_code == 404
        assert client.post(f"/posts/{10**30}/{action}").status_code in {400, 404}
        assert _favourites(draft) == 0

    def test_a_logged_out_form_sends_to_log_in_and_back(self, client, factory):
        post = factory.post(factory.user())
        page = f"/posts/{post.slug}"
        response = submit(
            client,
            f"/posts/{post.id}/favourite",
            headers={"Referer": f"http://inkstand.test{page}"},
        )
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [page]
        assert _favourites(post) == 0

    def test_lists_show_the_favourite_count_beside_the_comments(self, client, factory):
        author = factory.user(username="ada")
        post = factory.post(author, tags="python")
        for fan in (factory.user("reader"), factory.user("reader")):
            favourites.favourite(db.session, fan, post.id)
        for url in ["/", "/tags/python", "/authors/ada"]:
            assert "· 2 favourites" in _text(client.get(url)), url


class TestFeedPage:
    def test_the_menu_links_the_feed_for_an_account_only(self, client, factory):
        assert 'href="/feed"' not in _text(client.get("/"))
        assert client.get("/feed").status_code == 302
        login(client, factory.user("reader"))
        assert '<a href="/feed">Feed</a>' in _text(client.get("/"))

    def test_the_feed_lists_followed_authors_newest_first_in_pages(self, client, factory):
        site.update(db.session, factory.user("admin"), posts_per_page=3)
        ada, bea = factory.user(username="ada"), factory.user(username="bea")
        reader = factory.user("reader")
        bulk_posts(ada, 4)
        factory.post(bea, "Not followed")
        accounts.follow(db.session, reader, "ada")
        login(client, reader)
        html = _text(client.get("/feed"))
        assert _titles(html) == ["Bulk 3", "Bulk 2", "Bulk 1"]
        older = re.search(r'href="(/feed\?before=[^"]+)"', html)[1]
        html = _text(client.get(older))
        assert _titles(html) == ["Bulk 0"]
        assert re.search(r'href="/feed\?after=[^"]+"', html)

    def test_an_empty_feed_points_to_authors_to_follow(self, client, factory):
        ada, bea = factory.user(username="ada"), factory.user(username="bea")
        change_account(bea, display_name="Bea B")
        factory.user(username="quiet")  # no published post: not offered
        factory.post(ada)
        factory.post(bea)
        factory.post(factory.user(username="drafter"), status="draft")
        login(client, factory.user("reader"))
        html = _text(client.get("/feed"))
        assert "Your feed shows the posts of the authors you follow" in html
        offered = re.findall(r'<li><a href="/authors/([^"]+)">([^<]+)</a></li>', html)
        assert offered == [("ada", "ada"), ("bea", "Bea B")]

    def test_a_broken_page_link_is_a_clear_error(self, client, factory):
        login(client, factory.user("reader"))
        assert client.get("/feed?before=junk").status_code == 400


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', html)


class TestQueryCounts:
    """An account's pages cost a fixed few more queries than a visitor's, whatever
    the number of posts, follows and favourites."""

    def _count(self, client, queries, url: str) -> int:
        queries.clear()
        assert client.get(url).status_code == 200
        return len(queries)

    def _grow(self, factory, author: User, reader: User, post: Post) -> None:
        bulk_posts(author, 100)
        for n in range(15):
            other = factory.user(username=f"fan{n}")
            accounts.follow(db.session, other, author.username)
            accounts.follow(db.session, reader, other.username)
            favourites.favourite(db.session, other, post.id)
            factory.post(other)

    @pytest.mark.parametrize(
        ("page", "extra"),
        [
            ("author", 1),  # the account; the follow state comes with the author
            ("post", 1),  # the account; her favourite mark comes with the post
            ("home", 1),
        ],
    )
    def test_an_account_adds_a_fixed_few_queries(self, client, factory, queries, page, extra):
        ada, reader = factory.user(username="ada"), factory.user("reader")
        post = factory.post(ada, "Watched")
        accounts.follow(db.session, reader, "ada")
        favourites.favourite(db.session, reader, post.id)
        url = {"author": "/authors/ada", "post": f"/posts/{post.slug}", "home": "/"}[page]
        login(client, reader)
        small = self._count(client, queries, url)
        self._grow(factory, ada, reader, post)
        large = self._count(client, queries, url)
        assert small == large == PAGE_BUDGETS[page] + extra

    def test_the_feed_costs_three_queries_whatever_it_holds(self, client, factory, queries):
        ada, reader = factory.user(username="ada"), factory.user("reader")
        post = factory.post(ada)
        accounts.follow(db.session, reader, "ada")
        login(client, reader)
        small = self._count(client, queries, "/feed")
        self._grow(factory, ada, reader, post)
        large = self._count(client, queries, "/feed")
        assert small == large == 3  # the account, the site settings, the posts with authors

    def test_an_empty_feed_adds_one_query_for_authors_to_follow(self, client, factory, queries):
        for n in range(12):
            factory.post(factory.user(username=f"writer{n}"))
        login(client, factory.user("reader"))
        assert self._count(client, queries, "/feed") == 4
