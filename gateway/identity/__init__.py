"""Who is calling: registered clients and their administration, the gateway's signing keys and
server secret, the OAuth 2.0 authorisation server."""
