"""The compiler behind ``jit``: IR passes, then NumPy source generation."""
