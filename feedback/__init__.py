"""Feedback: panel events → store → audit chain (issue 5)."""
