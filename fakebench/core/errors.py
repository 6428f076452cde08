"""User-facing errors: one line that names the thing and the fix, never a traceback wall."""


def first_line(exc: BaseException) -> str:
    """An exception's first line of text (or its type name): enough for a one-line report."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


class BadImageError(FakebenchError):
    """An image file that cannot be used: quarantined (one failed row), never a crashed run.

    `reason` is a short machine-readable code (see `fakebench.core.imageio.REASONS`); `path` names the file.
    """

    def __init__(self, message: str, fix: str | None = None, *, reason: str = "corrupt", path: str = "") -> None:
        self.reason = reason  # keyword defaults keep the exception picklable (worker processes)
        self.path = path
        super().__init__(message, fix)


class BadWeightsError(FakebenchError):
    """A weights file that cannot be loaded as plain tensors; `reason` is a short code."""

    def __init__(self, message: str, fix: str | None = None, *, reason: str = "corrupt", path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(message, fix)


class UnsafePickleError(BadWeightsError):
    """A pickle-based checkpoint that holds objects beyond tensors: refused, never unpickled."""


class WeightsMissingError(FakebenchError):
    """A real model's weights are not on this machine; `fix` is the command that fetches them."""


class ProtocolError(FakebenchError):
    """What a registry factory built lacks what its protocol needs (a detector without `policy`, a
    generator without a capability): the message names the missing pieces, the fix the protocol."""
