"""Normalise, validate, mask and bulk-load source records; reconcile what arrived."""
