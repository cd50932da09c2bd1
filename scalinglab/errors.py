"""The one exception type for user mistakes.

:class:`InputError` marks a bad argument, parameter, spec or stored file
that the *user* can fix; the command line prints it as one line
(``scalinglab: error: ...``) with exit status 2. Anything else that escapes
is a bug of ours and shows its traceback. ``InputError`` subclasses
``ValueError`` so ``except ValueError`` keeps working.

>>> from scalinglab.errors import InputError
>>> try:
...     raise InputError("m must be >= 1, got 0")
... except ValueError as exc:
...     print(exc)
m must be >= 1, got 0
"""

__all__ = ["InputError"]


class InputError(ValueError):
    """A user error: bad input that the user can fix (printed as one line by the CLI).

    Examples
    --------
    >>> from scalinglab.errors import InputError
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> try:
    ...     RHMSpec.make(m=0)
    ... except InputError as exc:
    ...     print(exc)
    m must be >= 1, got 0
    """
