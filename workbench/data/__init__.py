"""Synthetic commerce data."""
