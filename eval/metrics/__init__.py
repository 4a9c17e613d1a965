"""Metrics, one small module each, in the style of ragas' collections (see ``base``)."""
