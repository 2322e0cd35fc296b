"""Moving a site in and out: the whole site as one zip (export, and import into an empty
site), and imports from WordPress (WXR) and Ghost (JSON), run as background jobs."""
