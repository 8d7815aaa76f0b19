"""The OAuth 2.0 authorisation server: tokens (RFC 9068), client authentication, JWKS, replay,
revocation and back-off."""
