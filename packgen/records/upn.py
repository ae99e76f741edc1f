"""The DfE unique pupil number (UPN) check letter, from the Common Basic Data Set."""

from __future__ import annotations

import re

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (11 digits, then a digit or, if temporary, a letter)."""
    total = 0
    for position, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else CHECK_LETTERS.index(char)
        total += value * position
    return CHECK_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why ``upn`` is not a valid UPN, or None when it is."""
    if not re.fullmatch(rf"[{CHECK_LETTERS}]\d{{11}}[\d{CHECK_LETTERS}]", upn):
        return (
            f"'{upn}' is not a UPN (13 characters: a check letter, 11 digits, "
            "then a digit or, for a temporary UPN, a letter)"
        )
    expected = check_letter(upn[1:])
    if upn[0] != expected:
        return f"'{upn}' has the wrong check letter (the digits give '{expected}'; check the UPN was copied correctly)"
    return None
