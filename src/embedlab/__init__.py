"""embedlab: reproducible measurements of text-embedding quality, size and speed."""

__version__ = "0.1.0"
