"""The one exception type a user of embedlab is meant to see."""

from __future__ import annotations


class EmbedlabError(Exception):
    """A problem with the user's input or environment, with the fix in the message.

    Printed by the command line as a single line: ``error: <problem> (fix: <fix>)``.
    """

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} (fix: {fix})" if fix else problem)


def require_package(module: str, pip_name: str | None = None):
    """Import ``module`` or raise an EmbedlabError naming the pip package to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name = pip_name or module
        raise EmbedlabError(
            f"package '{name}' is not installed ({exc.__class__.__name__}: {exc})",
            f"run `make install` or `.venv/bin/pip install {name}`",
        ) from None
