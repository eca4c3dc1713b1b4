"""Errors a user can cause, each with the exit code the CLI returns for it."""


class UserError(Exception):
    """A problem with the user's input; the CLI prints the message and exits with ``exit_code``."""

    exit_code = 2


class MissingWeightsError(UserError):
    """Pretrained weights were required but are not on disk."""

    exit_code = 4
