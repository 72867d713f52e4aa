"""The vault's exceptions. Messages name files and case ids at most: never key bytes, never personal data."""

from __future__ import annotations


class VaultError(Exception):
    """Base of every vault failure."""


class KeyMissing(VaultError):
    """A key the vault needs is not there: the application must not start."""


class KeyFileUnsafe(VaultError):
    """A key file can be read by others than its owner (mode is not 0600)."""


class SealedDataInvalid(VaultError):
    """Sealed bytes failed authentication: changed, swapped, truncated, replayed or under another key."""

    def __init__(self, what: str = "sealed data") -> None:
        super().__init__(f"{what} could not be opened: it is damaged or does not belong here")


class KeyDestroyed(VaultError):
    """The case's data key was destroyed (erasure): its payload can never be opened again."""

    def __init__(self) -> None:
        super().__init__("this case was erased: its data key no longer exists")
