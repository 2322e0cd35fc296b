"""Discovery: feeds, the sitemap, page metadata, the monthly archive and related posts."""
