"""Task and efficiency metrics (pure NumPy)."""
__all__ = []
