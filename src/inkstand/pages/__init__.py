"""Static pages (About, Contact...) at the site root, the header's menu, and the site's
icon and logo."""
