"""Kibana: saved-object model, validation and files kept in git."""
