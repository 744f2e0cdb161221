"""Interpreters of the IR: one module per transformation."""
