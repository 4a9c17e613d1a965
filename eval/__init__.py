"""Evaluation: datasets → scores → reports. Never imported by the app (import direction)."""
