"""The assistant: question → mask PII → retrieve → decide → draft → check, served by FastAPI."""
