"""The web pages of every actor, rendered on the server in French or English."""
