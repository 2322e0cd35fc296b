"""Images: uploads validated by decoding, stored by content hash, served for a year."""
