"""WordPress exports built for the tests: the shape WordPress 6 writes (WXR 1.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

SITE = "https://old.example.org"


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class WpComment:
    id: int
    content: str
    approved: str = "1"
    parent: int = 0
    author: str = "A reader"
    email: str = "reader@example.net"
    user_id: int = 0
    date_gmt: str = "2024-03-02 10:00:00"
    kind: str = ""

    def xml(self) -> str:
        return f"""
      <wp:comment>
        <wp:comment_id>{self.id}</wp:comment_id>
        <wp:comment_author>{cdata(self.author)}</wp:comment_author>
        <wp:comment_author_email>{cdata(self.email)}</wp:comment_author_email>
        <wp:comment_author_url>https://reader.example.net</wp:comment_author_url>
        <wp:comment_author_IP>192.0.2.1</wp:comment_author_IP>
        <wp:comment_date>{self.date_gmt}</wp:comment_date>
        <wp:comment_date_gmt>{self.date_gmt}</wp:comment_date_gmt>
        <wp:comment_content>{cdata(self.content)}</wp:comment_content>
        <wp:comment_approved>{cdata(self.approved)}</wp:comment_approved>
        <wp:comment_type>{cdata(self.kind)}</wp:comment_type>
        <wp:comment_parent>{self.parent}</wp:comment_parent>
        <wp:comment_user_id>{self.user_id}</wp:comment_user_id>
      </wp:comment>"""


@dataclass
class WpItem:
    id: int
    title: str
    content: str = "<p>Hello.</p>"
    status: str = "publish"
    name: str = ""
    creator: str = "alice"
    date_gmt: str = "2024-03-01 09:30:00"
    kind: str = "post"
    categories: list[tuple[str, str, str]] = field(default_factory=list)  # domain, nicename, label
    comments: list[WpComment] = field(default_factory=list)
    excerpt: str = ""
    sticky: int = 0
    link: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # more postmeta: _thumbnail_id...
    attachment_url: str = ""  # an attachment's file

    def xml(self) -> str:
        link = self.link or f"{SITE}/2024/03/01/{self.name or self.id}/"
        cats = "".join(
            f'\n      <category domain="{d}" nicename="{escape(n)}">{cdata(label)}</category>'
            for d, n, label in self.categories
        )
        meta = "".join(
            f"""
      <wp:postmeta>
        <wp:meta_key>{cdata(key)}</wp:meta_key>
        <wp:meta_value>{cdata(value)}</wp:meta_value>
      </wp:postmeta>"""
            for key, value in self.meta.items()
        )
        attached = (
            f"\n      <wp:attachment_url>{cdata(self.attachment_url)}</wp:attachment_url>"
            if self.attachment_url
            else ""
        )
        return f"""
    <item>
      <title>{cdata(self.title)}</title>
      <link>{escape(link)}</link>
      <pubDate>Fri, 01 Mar 2024 09:30:00 +0000</pubDate>
      <dc:creator>{cdata(self.creator)}</dc:creator>
      <guid isPermaLink="false">{SITE}/?p={self.id}</guid>
      <description></description>
      <content:encoded>{cdata(self.content)}</content:encoded>
      <excerpt:encoded>{cdata(self.excerpt)}</excerpt:encoded>
      <wp:post_id>{self.id}</wp:post_id>
      <wp:post_date>{cdata(self.date_gmt)}</wp:post_date>
      <wp:post_date_gmt>{cdata(self.date_gmt)}</wp:post_date_gmt>
      <wp:comment_status>{cdata("open")}</wp:comment_status>
      <wp:ping_status>{cdata("open")}</wp:ping_status>
      <wp:post_name>{cdata(self.name)}</wp:post_name>
      <wp:status>{cdata(self.status)}</wp:status>
      <wp:post_parent>0</wp:post_parent>
      <wp:menu_order>0</wp:menu_order>
      <wp:post_type>{cdata(self.kind)}</wp:post_type>
      <wp:post_password>{cdata("")}</wp:post_password>
      <wp:is_sticky>{self.sticky}</wp:is_sticky>{attached}{cats}
      <wp:postmeta>
        <wp:meta_key>{cdata("_edit_last")}</wp:meta_key>
        <wp:meta_value>{cdata("1")}</wp:meta_value>
      </wp:postmeta>{meta}{"".join(c.xml() for c in self.comments)}
    </item>"""


@dataclass
class WpAuthor:
    id: int
    login: str
    email: str
    display: str
    first: str = ""
    last: str = ""

    def xml(self) -> str:
        return f"""
    <wp:author>
      <wp:author_id>{self.id}</wp:author_id>
      <wp:author_login>{cdata(self.login)}</wp:author_login>
      <wp:author_email>{cdata(self.email)}</wp:author_email>
      <wp:author_display_name>{cdata(self.display)}</wp:author_display_name>
      <wp:author_first_name>{cdata(self.first)}</wp:author_first_name>
      <wp:author_last_name>{cdata(self.last)}</wp:author_last_name>
    </wp:author>"""


def document(authors: list[WpAuthor], items: list[WpItem], head: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8" ?>{head}
<rss version="2.0"
  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.2/">
  <channel>
    <title>Old Blog</title>
    <link>{SITE}</link>
    <description>Just another WordPress site</description>
    <pubDate>Sat, 01 Jun 2024 12:00:00 +0000</pubDate>
    <language>en-US</language>
    <wp:wxr_version>1.2</wp:wxr_version>
    <wp:base_site_url>{SITE}</wp:base_site_url>
    <wp:base_blog_url>{SITE}</wp:base_blog_url>
    {"".join(a.xml() for a in authors)}
    <wp:category>
      <wp:term_id>2</wp:term_id>
      <wp:category_nicename>{cdata("travel")}</wp:category_nicename>
      <wp:category_parent>{cdata("")}</wp:category_parent>
      <wp:cat_name>{cdata("Travel")}</wp:cat_name>
    </wp:category>
    <wp:tag>
      <wp:term_id>3</wp:term_id>
      <wp:tag_slug>{cdata("cafe")}</wp:tag_slug>
      <wp:tag_name>{cdata("Café")}</wp:tag_name>
    </wp:tag>
    <generator>https://wordpress.org/?v=6.5</generator>
{"".join(i.xml() for i in items)}
  </channel>
</rss>
""".encode()


AUTHORS = [
    WpAuthor(1, "alice", "alice@old.example.org", "Alice Ångström", "Alice", "Ångström"),
    WpAuthor(2, "bob", "bob@old.example.org", "Bob"),
    WpAuthor(3, "chloé", "chloe@old.example.org", "Chloé Dubois"),
]


def realistic() -> bytes:
    """Several authors, nested comments, drafts, private, pending and scheduled posts,
    categories and tags, a page, non-ASCII text and CDATA holding markup."""
    items = [
        WpItem(
            10,
            "Über den Wolken — a trip",
            name="uber-den-wolken",
            content=(
                "First paragraph with <strong>bold</strong> and a "
                '<a href="https://example.com">link</a>.\n\n'
                "Second paragraph: naïve café ☕.\n\n<h2>Section</h2>\n"
                "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
            ),
            categories=[
                ("category", "travel", "Travel"),
                ("post_tag", "cafe", "Café"),
                ("category", "uncategorized", "Uncategorized"),
            ],
            comments=[
                WpComment(100, "Lovely trip!", date_gmt="2024-03-02 10:00:00"),
                WpComment(
                    101,
                    "Thanks!",
                    parent=100,
                    author="Alice",
                    email="alice@old.example.org",
                    user_id=1,
                    date_gmt="2024-03-02 11:00:00",
                ),
                WpComment(102, "A reply to the reply", parent=101, date_gmt="2024-03-02 12:00:00"),
                WpComment(103, "A fourth level", parent=102, date_gmt="2024-03-02 13:00:00"),
                WpComment(
                    104, "Waiting for approval", approved="0", date_gmt="2024-03-03 09:00:00"
                ),
                WpComment(105, "Buy pills", approved="spam", date_gmt="2024-03-03 10:00:00"),
                WpComment(106, "Pinged", kind="pingback"),
            ],
            excerpt="A trip above the clouds.",
            sticky=1,
        ),
        WpItem(
            11,
            "A draft by Bob",
            status="draft",
            creator="bob",
            name="",
            date_gmt="0000-00-00 00:00:00",
            content="Not finished.",
        ),
        WpItem(12, "Private notes", status="private", creator="bob", name="private-notes"),
        WpItem(
            13, "Coming soon", status="future", name="coming-soon", date_gmt="2099-01-01 08:00:00"
        ),
        WpItem(14, "Please review", status="pending", creator="chloé", name="please-review"),
        WpItem(
            15,
            "About me",
            kind="page",
            name="about",
            link=f"{SITE}/about/",
            content="<p>I write.</p>",
        ),
        WpItem(16, "logo.png", kind="attachment", status="inherit"),
        WpItem(17, "Menu", kind="nav_menu_item", status="publish"),
        WpItem(18, "Binned", status="trash"),
    ]
    return document(AUTHORS, items)
