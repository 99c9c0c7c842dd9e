"""Protocol plumbing: URIs, keys, signatures, JSON-LD, fetching, delivery. Pure where it can be."""
