"""The memory a WordPress import takes: a WXR file of the size asked for (default 500 MB)
is written, then imported by `inkstand import wordpress` into a new SQLite site, and the
command's peak resident memory is read from the kernel.

    .venv/bin/python bench/wxr_memory.py --megabytes 500

The file holds ``--posts`` real posts (each with three threaded comments), then attachments
(read whole and skipped, as the report says) up to the size asked for, so the whole file
goes through the streaming reader in reasonable time. The reader holds one item at a time,
so the peak stays flat whatever the size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Big</title><wp:base_site_url>https://big.example.org</wp:base_site_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[writer]]></wp:author_login>
<wp:author_email><![CDATA[writer@big.example.org]]></wp:author_email>
<wp:author_display_name><![CDATA[Writer]]></wp:author_display_name></wp:author>
"""
PARAGRAPH = (
    "<p>Ein Absatz über Wolken, naïve cafés and <strong>bold</strong> claims, with a "
    '<a href="https://example.com/">link</a> and enough words to look like writing.</p>\n'
)


def item(n: int, paragraphs: int) -> str:
    body = PARAGRAPH * paragraphs
    comments = "".join(
        f"<wp:comment><wp:comment_id>{n * 10 + c}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[Reader {c}]]></wp:comment_author>"
        f"<wp:comment_date_gmt>2024-01-01 10:0{c}:00</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[Comment {c} on {n}]]></wp:comment_content>"
        f"<wp:comment_approved>1</wp:comment_approved>"
        f"<wp:comment_parent>{n * 10 + c - 1 if c else 0}</wp:comment_parent></wp:comment>"
        for c in range(3)
    )
    return (
        f"<item><title><![CDATA[Post {n}]]></title><link>https://big.example.org/?p={n}</link>"
        f"<dc:creator><![CDATA[writer]]></dc:creator>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        f"<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2024-01-01 10:00:00</wp:post_date_gmt>"
        f"<wp:post_name><![CDATA[post-{n}]]></wp:post_name><wp:status>publish</wp:status>"
        f"<wp:post_type>post</wp:post_type>{comments}</item>\n"
    )


def attachment(n: int, paragraphs: int) -> str:
    """An item the import reads whole and skips (a media attachment with a long caption)."""
    return item(n, paragraphs).replace(
        "<wp:post_type>post</wp:post_type>", "<wp:post_type>attachment</wp:post_type>"
    )


def write(path: Path, megabytes: int, posts: int, paragraphs: int) -> tuple[int, int]:
    """``posts`` real posts, then attachments until the file has ``megabytes``."""
    target, n = megabytes * 1024 * 1024, 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        while n < posts:
            n += 1
            out.write(item(n, paragraphs))
        while out.tell() < target:
            n += 1
            out.write(attachment(n, paragraphs))
        out.write("</channel></rss>\n")
    return posts, n - posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--posts", type=int, default=1000, help="real posts; the rest is skipped")
    parser.add_argument("--paragraphs", type=int, default=30, help="per item (~5 KB)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="inkstand-wxr-"))
    source = folder / "export.xml"
    posts, skipped = write(source, args.megabytes, args.posts, args.paragraphs)
    print(
        f"{source.stat().st_size / 1e6:.0f} MB: {posts} posts with {posts * 3} comments, "
        f"{skipped} attachments read and skipped"
    )
    env = {**os.environ, "INKSTAND_INSTANCE_PATH": str(folder / "instance")}
    env.pop("INKSTAND_DATABASE_URL", None)
    env.pop("INKSTAND_REDIS_URL", None)
    inkstand = [str(Path(sys.executable).with_name("inkstand"))]
    subprocess.run([*inkstand, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*inkstand, "create-admin", "--username", "admin", "--email", "admin@example.org",
         "--password", "a long enough password"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    started = time.monotonic()
    command = ["/usr/bin/time", "-f", "%M", *inkstand, "import", "wordpress", str(source)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    print("\n".join(line for line in done.stdout.splitlines() if "created" in line))
    print(f"import: {seconds:.0f} s, peak resident memory {peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main()
