"""Keywords of the public API that were renamed, accepted under their old name for one more release."""

from __future__ import annotations

import warnings
from typing import TypeVar

__all__ = ["renamed_keyword"]

Value = TypeVar("Value")


def renamed_keyword(function: str, new: str, new_value: Value | None, old: str, old_value: Value | None,
                    *, stacklevel: int = 3) -> Value | None:
    """The value given under ``new``, or under the old name ``old`` with a :class:`DeprecationWarning`.

    Both at once is a :class:`TypeError`, as Python answers a keyword given
    twice. ``stacklevel`` 3 points the warning at the caller of ``function``.
    """
    if old_value is None:
        return new_value
    if new_value is not None:
        raise TypeError(f"{function}() got both '{new}' and '{old}'; expected only '{new}' ('{old}' is its old name)")
    warnings.warn(f"{function}(): '{old}=' is deprecated and will be removed in the next release; "
                  f"use '{new}=' instead", DeprecationWarning, stacklevel=stacklevel)
    return old_value
