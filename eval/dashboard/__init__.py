"""The leads' weekly dashboard (eval's numbers, shown in the app's shell). ``create_app`` mounts
``router``: the one place ``assistant`` imports ``eval``."""

from eval.dashboard.routes import router

__all__ = ["router"]
