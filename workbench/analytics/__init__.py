"""Queries that return pandas DataFrames."""
