"""The ``hey`` commands a Flagger load tester runs, read as the load they send.

A Canary's ``rollout`` (or ``pre-rollout``) webhook to flagger-loadtester
with ``metadata: {type: cmd, cmd: "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"}``
makes the load tester run that command in the background. :func:`parse_hey`
reads it the way ``hey`` reads its flags (Go's ``flag`` package: ``-z 1m``,
``-z=1m`` or ``--z 1m``; flags end at the first argument that is not one,
the URL):

* ``-c`` workers (default 50), each sending one request at a time;
* ``-q`` requests per second per worker: a worker waits for a tick of a
  ``1/q`` s ticker (cut to whole microseconds, as Go's ``time.Duration``
  is) before each request, so its first request leaves ``1/q`` s after the
  start;
* ``-z`` how long it sends (a Go duration); without it, ``-n`` requests in
  all (default 200, at least ``-c``), ``n // c`` per worker;
* the URL's host names the Service: ``<service>``, ``<service>.<namespace>``
  or ``<service>.<namespace>.svc.cluster.local``, with or without a port.

Every other flag of hey (``-m``, ``-H``, ``-d``, ``-t``, ``-host``, ...) is
accepted and changes nothing here. Refused with a ``ValueError`` that says
what was expected: a flag hey does not know (hey exits without sending
anything), hey's own refusals (``-n`` below ``-c``, ``-c`` below 1), no
URL, and no ``-q`` (without a rate limit hey sends as fast as the answers
come back: a closed loop the simulated load tester does not model).

The simulated load is open: a worker's next request leaves at its next
tick whatever became of the last one. hey's workers wait for each answer, so
against a version slower than ``1/q`` per request a real run sends less.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

from simulator.scenario.manifests.quantities import parse_go_duration

__all__ = ["HeyCommand", "parse_hey", "is_hey"]

_VALUE_FLAGS = {"m", "h", "d", "D", "A", "T", "a", "host", "U", "o", "c", "n", "q", "t", "z", "H", "x", "cpus"}
"""hey's flags that take a value."""

_BOOLEAN_FLAGS = {"h2", "disable-compression", "disable-keepalive", "disable-redirects"}
"""hey's flags that take none (``-h2`` or ``-h2=true``)."""

_SHELL_OPERATORS = {"|", "||", "&", "&&", ";", ";;", "(", ")", "<", ">", ">>"}

_MAX_RATE = 1e6
"""Requests per second per worker above which hey's ticker period is 0 (and its workers never send)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HeyCommand:
    """The load of one ``hey`` run.

    ``workers`` clients each send a request every ``period`` seconds (the
    first one ``period`` after the start) for ``duration`` seconds, to the
    Service ``service`` (in ``namespace``, when the URL names one).
    """

    workers: int
    period: float
    duration: float
    service: str
    namespace: str | None = None
    url: str = ""

    @property
    def rate(self) -> float:
        """Requests per second, all workers together."""
        return self.workers / self.period

    @property
    def requests_per_worker(self) -> int:
        """Requests each worker sends: one per tick within ``duration``."""
        return int(math.floor(self.duration / self.period + 1e-9))


def _words(command: str) -> list[str]:
    """The words of the first command of ``command`` (up to a shell operator)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = []
    for word in lexer:
        if word in _SHELL_OPERATORS:
            break
        words.append(word)
    return words


def is_hey(command: str) -> bool:
    """Whether ``command`` runs ``hey`` (its first word, any path to it)."""
    try:
        words = _words(command)
    except ValueError:  # unbalanced quotes: the shell would refuse it too
        return False
    return bool(words) and words[0].rsplit("/", 1)[-1] == "hey"


def _flags(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """hey's flags (the last of each) and the arguments after them, as Go's ``flag`` package reads them."""
    flags: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        name, equals, value = word.lstrip("-").partition("=")
        if name in _BOOLEAN_FLAGS:
            flags[name] = value if equals else "true"
        elif name in _VALUE_FLAGS:
            if not equals:
                index += 1
                if index == len(words):
                    raise ValueError(f"flag -{name} needs a value")
                value = words[index]
            flags[name] = value
        else:
            raise ValueError(f"hey has no flag -{name} (hey would exit without sending a request)")
        index += 1
    return flags, words[index:]


def _whole(flags: dict[str, str], name: str, default: int) -> int:
    text = flags.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"-{name} {text}: expected a whole number") from None


def _service(url: str) -> tuple[str, str | None]:
    """The Service and namespace a URL's host names."""
    host = urlsplit(url if "://" in url else f"http://{url}").hostname
    if not host:
        raise ValueError(f"no host in the URL {url}")
    labels = host.split(".")
    return labels[0], (labels[1] if len(labels) > 1 else None)


def parse_hey(command: str) -> HeyCommand:
    """The load ``command`` (a ``hey`` command line) sends; ``ValueError`` saying what was expected."""
    words = _words(command)
    if not words or words[0].rsplit("/", 1)[-1] != "hey":
        raise ValueError("expected a hey command")
    flags, arguments = _flags(words[1:])
    if not arguments:
        raise ValueError("expected the URL to load after hey's flags")
    workers = _whole(flags, "c", 50)
    try:
        rate = float(flags.get("q", "0"))
    except ValueError:
        raise ValueError(f"-q {flags['q']}: expected requests per second per worker") from None
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError("expected -q RATE (requests per second per worker): without a rate limit hey sends as "
                         "fast as answers come back, which the simulated load tester does not model")
    if rate > _MAX_RATE:
        raise ValueError(f"-q {rate:g}: expected at most {_MAX_RATE:g} requests per second per worker")
    period = math.floor(1e6 / rate) / 1e6  # Go: time.Duration(1e6/q) * time.Microsecond
    if "z" in flags:
        duration = parse_go_duration(flags["z"])
        if workers < 1:
            raise ValueError(f"-c {workers}: expected at least 1 worker")
    else:
        total = _whole(flags, "n", 200)
        if total < 1 or workers < 1:
            raise ValueError(f"-n {total} -c {workers}: expected at least 1 request and 1 worker")
        if total < workers:
            raise ValueError(f"-n {total} -c {workers}: hey refuses -n below -c")
        duration = (total // workers) * period
    service, namespace = _service(arguments[0])
    return HeyCommand(workers=workers, period=period, duration=duration, service=service, namespace=namespace,
                      url=arguments[0])
