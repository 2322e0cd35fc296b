"""Comments: threaded replies to posts, their moderation and spam defences."""
