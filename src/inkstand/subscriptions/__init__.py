"""Readers by e-mail: subscriptions to the site or to one author, confirmed by a
mailed link, and each new post mailed to them once by a background job."""
