"""Placeholder, replaced by the numerical-differentiation module."""
