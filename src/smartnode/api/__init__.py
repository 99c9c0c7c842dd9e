"""HTTP edges: well-known discovery, ActivityPub documents, the native JSON API."""
