"""The vocabulary every room uses: settings, problems (RFC 9457), instants, ids, canonical and
strict JSON, the version."""
