"""ictqa: find what the 情報通信白書 says, and exactly where it says it."""

__version__ = "0.1.0"
