"""The rules of writing posts, by concern: posts (create, change, publish, delete),
revisions (list, compare, restore) and favourites. Callers import the module they need."""
