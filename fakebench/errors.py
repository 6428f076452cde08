"""User-facing errors: one line that names the thing and the fix, never a traceback wall."""


class FakebenchError(Exception):
    """An error caused by input or environment, reported to the user as one line.

    `fix` says what to do about it; the CLI and the pytest plugin print ``message (fix: ...)``.
    """

    def __init__(self, message: str, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message


class UnknownNameError(FakebenchError, KeyError):
    """A registry lookup for a name nobody registered."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return FakebenchError.__str__(self)


class IntegrityError(FakebenchError):
    """A file whose sha256 does not match its manifest."""
