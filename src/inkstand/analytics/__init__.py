"""First-party analytics: page views recorded without cookies, and the dashboard."""
